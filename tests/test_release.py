"""Issue 26: during a rolling deploy old and new workers share one cache and one content
version; cache entries and ETags carry the release, so neither serves the other's pages
(config/release.py, directory/core/caching.py, docs/adr/0024)."""
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from config.release import SOURCES, digest_of_files, release_id
from directory.core import caching

pytestmark = pytest.mark.django_db


def test_the_release_is_release_id_else_git_sha_else_a_digest_of_the_files(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "base.html").write_text("<p>one</p>")
    assert release_id(tmp_path, {"RELEASE_ID": "2026.12.05-1", "GIT_SHA": "abc"}) == "2026.12.05-1"
    assert release_id(tmp_path, {"GIT_SHA": "0123456789abcdef0123"}) == "0123456789ab"
    digest = release_id(tmp_path, {"RELEASE_ID": " "})
    assert digest == digest_of_files(tmp_path) and len(digest) == 12
    for bad in ("a b", "x" * 65, "../etc", "v1:2"):
        with pytest.raises(ImproperlyConfigured, match="RELEASE_ID"):
            release_id(tmp_path, {"RELEASE_ID": bad})


def test_the_digest_changes_with_any_template_code_or_static_file_and_ignores_compiled_files(tmp_path):
    for source in SOURCES:
        (tmp_path / source).mkdir()
    (tmp_path / "templates" / "base.html").write_text("<p>one</p>")
    (tmp_path / "static" / "site.css").write_text("p {}")
    (tmp_path / "directory" / "views.py").write_text("x = 1")
    first = digest_of_files(tmp_path)
    assert digest_of_files(tmp_path) == first  # the same files: the same release, in every process
    (tmp_path / "directory" / "__pycache__").mkdir()
    (tmp_path / "directory" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("")
    assert digest_of_files(tmp_path) == first  # not what a page is made of
    for path, text in (("templates/base.html", "<p>two</p>"), ("static/site.css", "p {color: red}"),
                       ("directory/views.py", "x = 2")):
        before = digest_of_files(tmp_path)
        (tmp_path / path).write_text(text)
        assert digest_of_files(tmp_path) != before, path
    (tmp_path / "static" / "site.css").rename(tmp_path / "static" / "other.css")
    assert digest_of_files(tmp_path) != before  # a renamed file too


def test_the_running_release_comes_from_the_settings(settings):
    assert settings.RELEASE_ID and len(settings.RELEASE_ID) <= 64


@pytest.fixture
def shared_cache(settings):
    """One cache for 'both releases' (as Redis is for every worker in a rolling deploy)."""
    import uuid

    settings.CACHE_PAGES = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"test-{uuid.uuid4().hex}"}}


def test_an_old_workers_entry_is_never_read_by_a_new_worker(shared_cache, settings):
    settings.RELEASE_ID = "old"
    assert caching.cached("the districts", (), lambda: "old shape") == "old shape"
    settings.RELEASE_ID = "new"
    assert caching.cached("the districts", (), lambda: "new shape") == "new shape"
    settings.RELEASE_ID = "old"  # and the other way round: an old worker still reads its own
    assert caching.cached("the districts", (), lambda: "rebuilt") == "old shape"


def test_an_old_workers_page_is_never_served_by_a_new_worker(shared_cache, settings):
    def view_of(release):
        def view(request):
            return HttpResponse(f"<p>rendered by {release}</p>")
        return caching.cached_page(view)

    request = RequestFactory().get("/services/acacia/")
    request.LANGUAGE_CODE = "en-gb"
    settings.RELEASE_ID = "old"
    assert view_of("old")(request).content == b"<p>rendered by old</p>"
    assert view_of("anything")(request).content == b"<p>rendered by old</p>"  # cached for the old release
    settings.RELEASE_ID = "new"
    assert view_of("new")(request).content == b"<p>rendered by new</p>"


def test_a_browsers_copy_from_the_old_release_is_not_revalidated_by_the_new(settings):
    request = RequestFactory().get("/map/")
    request.LANGUAGE_CODE = "en-gb"
    settings.RELEASE_ID = "old"
    old = caching.etag_for(request), caching.etag_for(request, per_visitor=False)
    settings.RELEASE_ID = "new"
    new = caching.etag_for(request), caching.etag_for(request, per_visitor=False)
    assert old[0] != new[0] and old[1] != new[1]
