"""Issue 13: public pages are cached under the content version, and no curator's change is
ever hidden by a cache (docs/adr/0013-content-version-cache.md).

Every test runs twice: on the default local-memory cache, and on Redis (CACHE_URL=redis://),
the backend for several processes or machines. Each kind of change a curator can make
(a save in the admin, a bulk action, a CSV import, an approval, `loadseed`, confirming facts)
is made after the public pages have been cached, and the next public request must show it.
"""
import os
import re
import uuid

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from directory.core import content
from directory.models import PendingChange
from directory.models import ContentVersion, Service, Status, Venue
from directory.models import Fact, SeedRecord
from mapping.models import District, NeedsModelSettings
from tests.directory.curation.admin_forms import change_form_post
from tests.directory.curation.test_bulk import confirm, new_file, upload

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_reachable():
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    settings.CACHE_PAGES = True  # as in production (the test settings turn it off elsewhere)
    if request.param == "redis":
        if not _redis_reachable():
            if os.environ.get("CI"):
                pytest.fail(f"Redis is not reachable at {REDIS_URL}: .ci/run starts it")
            pytest.skip(f"Redis is not reachable at {REDIS_URL}")
        # A prefix of its own per test: nothing another test (or run) cached is ever read.
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": REDIS_URL, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                       "LOCATION": f"test-{uuid.uuid4().hex}"}}
    from django.core.cache import cache

    assert cache.get("nothing-here") is None  # the backend answers
    return request.param


def public():
    """A visitor who is not signed in: the one the caches serve."""
    return Client()


def acacia():
    return Service.objects.get(slug="acacia")


def public_urls(service):
    return [
        "/", "/search/", "/search/?q=perinatal", "/search/?level=targeted&stage=pregnant",
        f"/services/{service.slug}/", "/map/", "/map/districts.geojson", "/map/markers.geojson",
        "/needs/", "/parents/support/all/", f"/parents/services/{service.slug}/",
        "/api/services", f"/api/services/{service.uuid}",
    ]


def counted(url):
    """The queries of counting a search made before (directory/search/record.py) for a search page
    with keywords or filters: the write, in a savepoint in tests (SAVEPOINT, RELEASE); else 0."""
    return 3 if url.startswith("/search/?") else 0


def without_tokens(body):
    """A page without its CSRF tokens, which are masked afresh for every response."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body)


def warm(client, urls):
    """Ask for every page twice: the second answer comes from the cache, and is the same."""
    for url in urls:
        first = client.get(url)
        assert first.status_code == 200, url
        assert without_tokens(client.get(url).content) == without_tokens(first.content), url


def text(client, url):
    response = client.get(url)
    return response.status_code, response.content.decode()


def as_user(client, user):
    client.force_login(user)
    return client


# --- The cache is used ------------------------------------------------------------------

def test_a_repeated_page_costs_one_query_and_is_the_same(cache_backend, django_assert_num_queries):
    visitor = public()
    urls = public_urls(acacia())
    warm(visitor, urls)
    for url in urls:
        # The content version; and a search is counted (issue 22): the write, its count cached.
        with django_assert_num_queries(1 + counted(url)):
            assert visitor.get(url).status_code == 200


def test_a_cached_page_carries_each_visitors_own_csrf_token(cache_backend):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    service = acacia()
    page = f"/services/{service.slug}/"
    first.get(page)
    cached = second.get(page)  # served from the cache made for the first visitor
    token = cached.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert token != "__csrf_token__"
    response = second.post(reverse("directory:shortlist-change"),
                           {"csrfmiddlewaretoken": token, "service": service.pk, "action": "add", "next": page})
    assert response.status_code == 302
    assert "Remove" in second.get(page).content.decode()  # the shortlist changed the page
    assert "Remove" not in first.get(page).content.decode().split("shortlist")[1]


# --- Every kind of change shows at once -----------------------------------------------------

def test_a_save_in_the_admin_shows_on_every_public_page(cache_backend, client, curator):
    visitor = public()
    service = acacia()
    warm(visitor, public_urls(service))
    as_user(client, curator)
    url = reverse("admin:directory_service_change", args=[service.pk])
    response = client.post(url, change_form_post(client.get(url), name="Acacia Renamed Today"))
    assert response.status_code == 302
    for page in ("/search/", "/search/?q=perinatal", f"/services/{service.slug}/", "/parents/support/all/",
                 f"/parents/services/{service.slug}/", "/api/services", f"/api/services/{service.uuid}"):
        status, body = text(visitor, page)
        assert status == 200 and "Acacia Renamed Today" in body, page


def test_a_bulk_archive_takes_the_service_off_every_public_page(cache_backend, client, curator):
    visitor = public()
    service = acacia()
    warm(visitor, public_urls(service))
    as_user(client, curator)
    response = client.post(reverse("admin:directory_service_changelist"),
                           {"action": "archive", "_selected_action": [service.pk]})
    assert response.status_code == 302 and Service.objects.get(pk=service.pk).status == Status.ARCHIVED
    assert visitor.get(f"/services/{service.slug}/").status_code == 404
    assert visitor.get(f"/parents/services/{service.slug}/").status_code == 404
    assert visitor.get(f"/api/services/{service.uuid}").status_code == 404
    for page in ("/search/", "/search/?q=perinatal", "/parents/support/all/", "/api/services"):
        assert service.name not in text(visitor, page)[1], page


def test_a_bulk_restore_brings_it_back(cache_backend, client, curator):
    service = acacia()
    Service.objects.filter(pk=service.pk).update(status=Status.ARCHIVED)
    content.bump()
    visitor = public()
    assert visitor.get(f"/services/{service.slug}/").status_code == 404
    assert visitor.get(f"/services/{service.slug}/").status_code == 404  # the 404 is not cached as a page
    as_user(client, curator)
    client.post(reverse("admin:directory_service_changelist"), {"action": "restore", "_selected_action": [service.pk]})
    assert Service.objects.get(pk=service.pk).status == Status.PUBLISHED
    assert visitor.get(f"/services/{service.slug}/").status_code == 200


def test_a_csv_import_shows_at_once(cache_backend, curator_client):
    visitor = public()
    warm(visitor, ["/search/?q=weekly", "/api/services?per_page=100"])
    preview = upload(curator_client, new_file({}))
    assert preview.status_code == 200
    confirm(curator_client, preview)
    assert Service.objects.filter(slug="imported-baby-group", status=Status.PUBLISHED).exists()
    for page in ("/search/?q=weekly", "/api/services?per_page=100"):
        assert "Imported baby group" in text(visitor, page)[1], page


def test_an_approved_change_shows_at_once(cache_backend, client, acacia_editor, imhsg_editor):
    visitor = public()
    service = acacia()
    warm(visitor, public_urls(service))
    as_user(client, acacia_editor)
    url = reverse("admin:directory_service_change", args=[service.pk])
    client.post(url, change_form_post(client.get(url), summary="Friendly groups for mums and dads who feel low."))
    change = PendingChange.objects.get()
    # Held for approval: nothing public has changed yet.
    assert "Friendly groups for mums and dads" not in text(visitor, f"/services/{service.slug}/")[1]
    as_user(client, imhsg_editor)
    client.post(reverse("admin:directory_service_review_change", args=[service.pk, change.pk]), {"_approve": "1"})
    for page in (f"/services/{service.slug}/", "/search/", f"/api/services/{service.uuid}"):
        assert "Friendly groups for mums and dads" in text(visitor, page)[1], page


def test_loadseed_shows_what_it_loads(cache_backend):
    service = acacia()
    name = service.name
    service.delete()
    # As on a database that was never seeded with it.
    SeedRecord.objects.filter(key="service:acacia").delete()
    visitor = public()
    warm(visitor, ["/search/?sort=name", "/api/services?per_page=100", "/map/markers.geojson"])
    assert name not in text(visitor, "/search/?sort=name")[1]
    call_command("loadseed", verbosity=0)
    assert name in text(visitor, "/search/?sort=name")[1]
    assert name in text(visitor, "/api/services?per_page=100")[1]
    assert visitor.get("/services/acacia/").status_code == 200


def test_confirming_facts_shows_on_the_service_page(cache_backend, client, curator):
    service = Service.objects.filter(facts__confirmed_on__isnull=True).order_by("pk").first()
    visitor = public()
    page = f"/services/{service.slug}/"
    assert "Not yet confirmed by the IMHSG" in text(visitor, page)[1]
    visitor.get(page)
    as_user(client, curator)
    client.post(reverse("admin:directory_service_changelist"),
                {"action": "confirm_all_facts", "_selected_action": [service.pk]})
    assert not Fact.objects.filter(service=service, confirmed_on__isnull=True).exists()
    assert "Not yet confirmed by the IMHSG" not in text(visitor, page)[1]


def test_a_venue_moved_to_another_district_moves_on_the_map(cache_backend):
    venue = Venue.objects.filter(district__isnull=False, lat__isnull=False,
                                 service_at_locations__service__status=Status.PUBLISHED).first()
    other = District.objects.exclude(pk=venue.district_id).order_by("name").first()
    visitor = public()
    warm(visitor, ["/map/markers.geojson", "/map/districts.geojson"])
    assert other.name not in [f["properties"]["district"] for f in visitor.get("/map/markers.geojson").json()["features"]
                              if f["properties"]["name"] == venue.name]
    venue.district = other
    venue.save()
    districts = [f["properties"]["district"] for f in visitor.get("/map/markers.geojson").json()["features"]
                 if f["properties"]["name"] == venue.name]
    assert districts == [other.name]


def test_new_needs_parameters_show_on_the_needs_page_and_map(cache_backend):
    visitor = public()
    warm(visitor, ["/needs/", "/map/districts.geojson"])
    before = visitor.get("/map/districts.geojson").json()["totals"]["practitioners_needed"]
    settings_row = NeedsModelSettings.objects.get()
    settings_row.caseload *= 2
    settings_row.save()
    after = visitor.get("/map/districts.geojson").json()["totals"]["practitioners_needed"]
    assert after != before


def test_a_rolled_back_change_does_not_bump_the_version(cache_backend):
    before = content.current()
    try:
        with transaction.atomic():
            Service.objects.filter(slug="acacia").update(name="Never saved")
            content.bump()
            raise RuntimeError
    except RuntimeError:
        pass
    content.forget()
    assert content.current() == before
    assert ContentVersion.objects.get(pk=1).value == int(content.current(("services",)))


# --- ETags ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/search/?q=perinatal", "/services/acacia/", "/map/districts.geojson",
                                  "/map/markers.geojson", "/api/services", "/parents/support/all/"])
def test_the_etag_answers_304_until_the_content_changes(cache_backend, path, django_assert_num_queries):
    visitor = public()
    visitor.get(path)  # a first visit sets the CSRF cookie, which the ETag of a page depends on
    first = visitor.get(path)
    etag = first["ETag"]
    # The version, and nothing else: the page is not built. A search asked for again is still
    # counted (issue 22): the write, its count cached.
    with django_assert_num_queries(1 + counted(path)):
        again = visitor.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert visitor.get(path, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304  # as GZip weakens it
    service = acacia()
    service.summary += " Changed."
    service.save()
    changed = visitor.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_pages_etags_differ_between_visitors_and_are_private(cache_backend):
    one, two = public(), public()
    two.cookies["shortlist"] = str(acacia().pk)
    a, b = one.get("/search/"), two.get("/search/")
    assert a["ETag"] != b["ETag"]
    assert "private" in a["Cache-Control"] and "no-cache" in a["Cache-Control"]
    assert "Cookie" in a["Vary"]
    geojson = one.get("/map/districts.geojson")
    assert geojson["ETag"] == two.get("/map/districts.geojson")["ETag"] and "public" in geojson["Cache-Control"]


def test_a_page_on_someones_shortlist_is_not_served_to_another(cache_backend):
    service = acacia()
    listed = public()
    listed.cookies["shortlist"] = str(service.pk)
    assert "On your shortlist" in text(listed, f"/services/{service.slug}/")[1]
    assert "On your shortlist" not in text(public(), f"/services/{service.slug}/")[1]


def test_signed_in_staff_are_never_served_a_cached_page(cache_backend, client, curator, django_assert_max_num_queries):
    visitor = public()
    visitor.get("/search/")
    as_user(client, curator)
    client.get("/search/")
    with django_assert_max_num_queries(40) as captured:
        client.get("/search/")
    assert len(captured.captured_queries) > 3  # built afresh


def test_a_broken_cache_slows_pages_but_never_breaks_them(settings):
    # A Redis nobody listens on: every read and write fails, every page still answers.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    visitor = public()
    for url in public_urls(acacia()):
        assert visitor.get(url).status_code == 200, url


# --- The pieces of directory/caching.py, one at a time ---------------------------------------
# Found by mutation testing (docs/mutation.md): the page tests above prove the whole; these
# pin each rule (the key, the ETag's parts, the headers, what is never stored) on its own.

@pytest.fixture
def locmem(settings):
    settings.CACHE_PAGES = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"test-{uuid.uuid4().hex}"}}


def counting_view(body=b"<p>page</p>", status=200, **headers):
    from django.http import HttpResponse

    def view(request):
        view.calls += 1
        response = HttpResponse(body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response

    view.calls = 0
    return view


def get(path="/search/?q=x", **extra):
    from django.test import RequestFactory

    request = RequestFactory().get(path, **extra)
    request.LANGUAGE_CODE = "en-gb"
    return request


def test_a_key_is_the_version_the_name_and_a_digest_of_the_parts(locmem):
    import hashlib

    from directory.core import caching

    key = caching.make_key("map", ("B8", 3))
    assert key == f"v{content.current()}:map:{hashlib.sha256(repr(('B8', 3)).encode()).hexdigest()[:32]}"
    assert caching.make_key("map") == f"v{content.current()}:map:{hashlib.sha256(b'()').hexdigest()[:32]}"
    assert caching.make_key("map", ("B8", 4)) != key and caching.make_key("needs", ("B8", 3)) != key
    content.bump()
    assert caching.make_key("map", ("B8", 3)) != key


def test_a_value_is_computed_once_per_version_even_when_it_is_none(locmem):
    from directory.core import caching

    calls = []

    def compute():
        calls.append(1)
        return None

    assert caching.cached("nothing", ("a",), compute) is None
    assert caching.cached("nothing", ("a",), compute) is None
    assert len(calls) == 1
    assert caching.cached("nothing", ("b",), compute) is None and len(calls) == 2
    content.bump()
    caching.cached("nothing", ("a",), compute)
    assert len(calls) == 3
    assert caching.cached("answer", (), lambda: 42) == 42 and caching.cached("answer", (), lambda: 0) == 42
    assert caching.cached("another answer", (), lambda: 7) == 7  # the name is part of the key


def test_a_failing_cache_is_logged_with_what_it_was_for_and_the_value_is_built(caplog, settings):
    from directory.core import caching

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    with caplog.at_level("WARNING", logger="directory.core.caching"):
        assert caching.cached("the districts", (), lambda: "built") == "built"
    messages = [(r.name, r.levelname, r.getMessage(), bool(r.exc_info)) for r in caplog.records]
    assert messages == [("directory.core.caching", "WARNING", "cache read failed for the districts", True),
                        ("directory.core.caching", "WARNING", "cache write failed for the districts", True)]


def test_an_etag_is_the_version_the_address_and_for_pages_the_visitor_language_and_day(locmem, monkeypatch, settings):
    import hashlib
    from datetime import date

    from django.utils import timezone

    from directory.core import caching

    monkeypatch.setattr(timezone, "localdate", lambda: date(2026, 3, 1))
    request = get("/search/?q=x", HTTP_COOKIE="shortlist=1")
    parts = [content.current(), "testserver", "/search/?q=x", settings.RELEASE_ID, "shortlist=1", "en-gb",
             "2026-03-01"]
    assert caching.etag_for(request) == '"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32] + '"'
    assert caching.etag_for(request, per_visitor=False) == (
        '"' + hashlib.sha256("\n".join(parts[:4]).encode()).hexdigest()[:32] + '"')
    assert caching.etag_for(get("/search/?q=x")) != caching.etag_for(request)  # no cookie
    plain = get("/search/?q=x")
    del plain.LANGUAGE_CODE
    del plain.META["HTTP_COOKIE"]  # no Cookie header at all
    assert caching.etag_for(plain) == '"' + hashlib.sha256("\n".join(
        [*parts[:4], "", "", "2026-03-01"]).encode()).hexdigest()[:32] + '"'


def test_a_page_gets_its_etag_private_headers_and_a_304_without_running(locmem):
    from directory.core import caching

    view = counting_view()
    page = caching.content_etag(view)
    response = page(get())
    assert response.status_code == 200 and view.calls == 1
    etag = response["ETag"]
    assert etag == caching.etag_for(get())
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}
    assert set(response["Vary"].split(", ")) == {"Cookie", "Accept-Language"}
    again = page(get(HTTP_IF_NONE_MATCH=etag))
    assert again.status_code == 304 and view.calls == 1
    assert again["ETag"] == etag and set(again["Cache-Control"].split(", ")) == {"private", "no-cache"}
    assert set(again["Vary"].split(", ")) == {"Cookie", "Accept-Language"}
    # A failed If-Match is answered before the view too, with no ETag of its own.
    refused = page(get(HTTP_IF_MATCH='"something-else"'))
    assert refused.status_code == 412 and view.calls == 1 and not refused.has_header("ETag")


def test_data_for_everyone_is_public_and_does_not_vary_by_visitor(locmem):
    from directory.core import caching

    data = caching.content_etag(per_visitor=False)(counting_view())
    response = data(get("/map/districts.geojson", HTTP_COOKIE="shortlist=1"))
    assert set(response["Cache-Control"].split(", ")) == {"public", "no-cache"}
    assert not response.has_header("Vary")
    assert response["ETag"] == data(get("/map/districts.geojson"))["ETag"]
    not_modified = data(get("/map/districts.geojson", HTTP_IF_NONE_MATCH=response["ETag"]))
    assert not_modified.status_code == 304 and not not_modified.has_header("Vary")
    assert set(not_modified["Cache-Control"].split(", ")) == {"public", "no-cache"}
    custom = caching.content_etag(cache_control={"max_age": 60})(counting_view())
    assert custom(get())["Cache-Control"] == "max-age=60"


def test_posts_errors_and_a_views_own_etag_are_left_as_they_are(locmem):
    from django.test import RequestFactory

    from directory.core import caching

    view = counting_view()
    post = caching.content_etag(view)(RequestFactory().post("/search/", HTTP_IF_NONE_MATCH="*"))
    assert post.status_code == 200 and view.calls == 1 and not post.has_header("ETag")
    assert not post.has_header("Cache-Control")
    missing = caching.content_etag(counting_view(status=404))(get())
    assert missing.status_code == 404 and not missing.has_header("ETag") and not missing.has_header("Cache-Control")
    own = caching.content_etag(counting_view(ETag='W/"gzip"'))(get())
    assert own["ETag"] == 'W/"gzip"' and "no-cache" in own["Cache-Control"]
    head = caching.content_etag(counting_view())(RequestFactory().head("/search/"))
    assert head.has_header("ETag")


def test_a_cached_page_is_built_once_and_served_with_its_headers(locmem):
    from directory.core import caching

    view = counting_view(b"<p>built</p>", **{"Content-Language": "en-gb"})
    page = caching.cached_page(view)
    first = page(get())
    second = page(get())
    assert view.calls == 1 and second.content == b"<p>built</p>" and second.status_code == 200
    assert second["Content-Language"] == "en-gb" and second["Content-Type"] == first["Content-Type"]
    # Each part of the key makes a page of its own.
    page(get("/search/?q=y"))
    page(get(HTTP_HOST="other.example.org"))
    page(get(HTTP_COOKIE="shortlist=5"))
    welsh = get()
    welsh.LANGUAGE_CODE = "cy"
    page(welsh)
    assert view.calls == 5
    content.bump()
    page(get())
    assert view.calls == 6


def test_a_cached_page_puts_each_visitors_csrf_token_back(locmem):
    from django.middleware.csrf import _unmask_cipher_token

    from directory.core import caching

    form = b'<form><input type="hidden" name="csrfmiddlewaretoken" value="first-visitors-token"></form>'
    page = caching.cached_page(counting_view(form))
    page(get())
    visitor = get()
    served = page(visitor)
    start, end = b'<form><input type="hidden" name="csrfmiddlewaretoken" value="', b'"></form>'
    assert served.content.startswith(start) and served.content.endswith(end)
    token = served.content[len(start):-len(end)].decode()
    assert _unmask_cipher_token(token) == visitor.META["CSRF_COOKIE"]  # this visitor's own secret
    assert b"first-visitors-token" not in served.content and b"__csrf_token__" not in served.content
    plain = caching.cached_page(counting_view(b"<p>no form</p>"))
    plain(get("/about/"))
    quiet = get("/about/")
    assert plain(quiet).content == b"<p>no form</p>" and "CSRF_COOKIE" not in quiet.META


@pytest.mark.parametrize("why", ["off", "post", "signed-in", "message", "error", "sets-a-cookie", "streaming"])
def test_a_page_is_never_stored_or_served_from_the_cache_when(locmem, settings, why):
    from django.http import HttpResponse, StreamingHttpResponse
    from django.test import RequestFactory

    from directory.core import caching

    def view(request):
        view.calls += 1
        if why == "error":
            return HttpResponse(b"gone", status=404)
        if why == "streaming":
            return StreamingHttpResponse(iter([b"streamed"]))
        response = HttpResponse(b"page")
        if why == "sets-a-cookie":
            response.set_cookie("shortlist", "1")
        return response

    view.calls = 0
    page = caching.cached_page(view)
    settings.CACHE_PAGES = why != "off"

    def request():
        if why == "post":
            return RequestFactory().post("/search/")
        extra = {"signed-in": {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}=abc"},
                 "message": {"HTTP_COOKIE": "messages=hello"}}.get(why, {})
        return get(**extra)

    page(request())
    page(request())
    assert view.calls == 2


# --- The content version itself (directory/content.py) ----------------------------------------

def test_the_version_is_read_from_its_row_and_made_when_missing():
    ContentVersion.objects.filter(pk=1).update(value=12345)
    content.forget()
    assert content.current(("services",)) == "12345"
    everything = content.current()
    ContentVersion.objects.filter(pk=2).update(value=54321)  # the reference kind's row
    assert content.current(("services",)) == "12345" and content.current(("reference",)) == "54321"
    assert content.current() != everything  # every kind's version is in the whole one
    ContentVersion.objects.all().delete()
    made = content.current(("services",))
    assert made == str(ContentVersion.objects.get(pk=1).value) and int(made) >= 0
    assert set(ContentVersion.objects.values_list("id", "kind")) == {(pk, kind) for kind, pk in content.KINDS.items()}
    ContentVersion.objects.all().delete()
    content.bump()  # a bump with no row makes one per kind
    assert ContentVersion.objects.filter(pk=1, kind="services").count() == 1
    assert ContentVersion.objects.count() == len(content.KINDS)


def test_a_bump_changes_the_version_to_a_fresh_random_one():
    values = {content.new_value() for _ in range(50)}
    assert len(values) == 50 and all(0 <= v < 2 ** 62 for v in values)
    assert max(values) > 2 ** 40  # 62 random bits, not a small counter
    before = {kind: content.current((kind,)) for kind in content.KINDS}
    content.bump(kinds=["whatson"])
    assert {kind for kind in content.KINDS if content.current((kind,)) != before[kind]} == {"whatson"}
    content.bump()
    assert all(content.current((kind,)) != before[kind] for kind in content.KINDS)
    assert content.current(("services",)) == str(ContentVersion.objects.get(pk=1).value)


def test_within_a_request_the_version_is_read_once_and_forgotten_after(django_assert_num_queries):
    from django.http import HttpResponse
    from django.test import RequestFactory

    seen = []

    def view(request):
        with django_assert_num_queries(1):
            seen.append((content.current(), content.current()))
        Service.objects.filter(slug="acacia").update(name="Changed in the request")  # the trigger bumps it
        content.forget()
        seen.append(content.current())
        return HttpResponse()

    content.ContentVersionMiddleware(view)(RequestFactory().get("/"))
    assert seen[0][0] == seen[0][1] and seen[1] != seen[0][0]
    # Outside a request nothing is memoised: every call reads the row.
    ContentVersion.objects.filter(pk=1).update(value=777)
    assert content.current(("services",)) == "777"
    with django_assert_num_queries(2):
        content.current()
        content.current()


def test_a_save_in_a_request_makes_it_read_the_new_version():
    from django.http import HttpResponse
    from django.test import RequestFactory

    seen = []

    def view(request):
        seen.append(content.current())
        service = acacia()
        service.name = "Saved in the request"
        service.save()  # post_save forgets the memoised version
        seen.append(content.current())
        return HttpResponse()

    content.ContentVersionMiddleware(view)(RequestFactory().get("/"))
    assert seen[0] != seen[1] == content.current()
    assert ContentVersion.objects.get(pk=1).value == int(content.current(("services",)))


def test_every_public_table_and_only_those_bumps_the_version(django_user_model):
    from django.db import connection

    tables = content.content_tables()
    assert {"directory_service", "directory_service_levels", "directory_referralroute", "directory_venue",
            "mapping_district", "mapping_postcode"} <= set(tables)
    for private in ("directory_pendingchange", "directory_suggestion", "directory_seedrecord",
                    "directory_contentversion", "directory_historicalservice", "directory_servicedistrict",
                    "directory_servicesearchindex"):
        assert private not in tables
    assert list(tables) == sorted(tables)
    before = content.current()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_venue SET name = name WHERE id = (SELECT MIN(id) FROM directory_venue)")
    assert content.current() != before
    before = content.current()
    PendingChange.objects.create(service=acacia(), submitted_by=django_user_model.objects.create_user("pat"), data={})
    assert content.current() == before  # a curator's working record is not public


def test_the_triggers_are_installed_again_after_migrate_and_the_version_renewed():
    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER content_changed_directory_service_update")
        else:
            cursor.execute('DROP TRIGGER "content_changed_directory_service" ON "directory_service"')
    before = content.current()
    Service.objects.filter(slug="acacia").update(name="Unnoticed")
    assert content.current() == before  # no trigger, no bump
    content._after_migrate(apps.get_app_config("mapping"))  # another app's migrate: nothing to do
    assert content.current() == before
    content._after_migrate(apps.get_app_config("directory"))
    renewed = content.current()
    assert renewed != before
    Service.objects.filter(slug="acacia").update(name="Noticed")
    assert content.current() != renewed


def test_a_version_made_afresh_is_a_random_one_not_the_columns_default(monkeypatch):
    # The column's default is 1: every new database (and every restore that lost the row)
    # would then share one version, and caches outlive the data they were built from.
    monkeypatch.setattr(content, "new_value", lambda: 424242)
    ContentVersion.objects.all().delete()
    assert content.current(("services",)) == "424242" == content.current(("needs",))


def test_install_triggers_on_the_default_database_puts_back_a_dropped_trigger():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER content_changed_directory_venue_update")
        else:
            cursor.execute('DROP TRIGGER "content_changed_directory_venue" ON "directory_venue"')
    before = content.current()
    Venue.objects.update(name="Unnoticed")
    assert content.current() == before
    content.install_triggers()  # no database named: the default one
    Venue.objects.update(name="Noticed")
    assert content.current() != before


def test_a_content_table_not_created_yet_is_skipped_and_the_others_still_get_triggers(monkeypatch):
    # Migrating backwards (or part-way) ends with post_migrate while some content tables
    # do not exist: they are passed over, not the end of the list.
    from django.db import connection

    real = content.content_tables()
    monkeypatch.setattr(content, "content_tables", lambda: {"directory_aaa_not_created_yet": "services", **real})
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER content_changed_directory_venue_update")
        else:
            cursor.execute('DROP TRIGGER "content_changed_directory_venue" ON "directory_venue"')
    content.install_triggers()
    before = content.current()
    Venue.objects.update(name="Noticed")
    assert content.current() != before


@pytest.fixture
def signals_connected_afresh():
    """Every receiver content.connect_signals connects, disconnected, so that the test connects
    them itself; connected again (by the same function) afterwards."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

    def disconnect():
        for app_label in content.CONTENT_APPS:
            for model in apps.get_app_config(app_label).get_models():
                post_save.disconnect(sender=model, dispatch_uid=f"content-save-{model._meta.label}")
                post_delete.disconnect(sender=model, dispatch_uid=f"content-delete-{model._meta.label}")
        m2m_changed.disconnect(dispatch_uid="content-m2m")
        post_migrate.disconnect(dispatch_uid="content-migrate")

    disconnect()
    yield
    disconnect()
    content.connect_signals()


def in_a_request(view):
    from django.http import HttpResponse
    from django.test import RequestFactory

    def wrapped(request):
        view()
        return HttpResponse()

    content.ContentVersionMiddleware(wrapped)(RequestFactory().get("/"))


def test_connect_signals_forgets_the_version_on_public_saves_deletes_and_m2m_changes_only(
        signals_connected_afresh, django_user_model, django_assert_num_queries):
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from directory.models import Level

    content.connect_signals()
    service = acacia()
    author = django_user_model.objects.create_user("pat")
    level = Level.objects.exclude(pk__in=service.levels.all()).first()
    seen = {}

    def view():
        # A curator's working record is not public: saving or deleting it keeps the memo.
        content.current()
        proposal = PendingChange.objects.create(service=service, submitted_by=author, data={})
        with django_assert_num_queries(0):
            content.current()
        proposal.delete()
        with django_assert_num_queries(0):
            content.current()
        for name, change in (("save", lambda: service.save()),
                             ("m2m", lambda: service.levels.add(level)),
                             ("delete", lambda: service.referral_routes.first().delete())):
            memo = content.current()
            change()  # the trigger changed the version in the database
            # What the request reads now, and what the rows hold (read afresh, not the memo).
            seen[name] = (memo, content.current(), content._name(content._read(), content.ALL_KINDS))

    in_a_request(view)
    for name, (memo, after, stored) in seen.items():
        assert memo != after == stored, name
    # And a migrate of the directory app installs the triggers and renews the version.
    before = content.current()
    post_migrate.send(sender=apps.get_app_config("directory"), app_config=apps.get_app_config("directory"),
                      verbosity=0, interactive=False, using="default", apps=apps, plan=[])
    assert content.current() != before
