"""Shared fixtures and personas.

The seed (districts, wards, postcodes, taxonomies, 25 services) is loaded
once into the test database; each test runs in a transaction that is rolled
back. Browser tests use `live_server`, whose transactional flush empties the
tables afterwards, so they load the seed again with `seeded_live_server`
(pytest-django runs transactional tests after the others).
"""
import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission

from directory.seed.loader import load_seed

# Sync Playwright runs an event loop in the test's thread; the ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from what the code renders now (tests/rendered.py)")


def _is_transactional(item):
    marker = item.get_closest_marker("django_db")
    flags = (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")) if marker else False
    return bool(flags) or bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def _uses_db(item):
    return item.get_closest_marker("django_db") is not None or "db" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Refuse to run a suite in which a test that needs the seed comes after a transactional
    one: the transactional test's flush empties the seed, and every later test fails for a
    reason far from its own code. pytest-django puts transactional tests last, but pytest then
    regroups tests that share a session-scoped parameter (the browser's), so one ordinary test
    asking for Playwright's `page` fixture once pulled every browser test ahead of most of the
    suite (CI failed with 446 "does not exist" errors)."""
    first_transactional = next((item for item in items if _is_transactional(item)), None)
    if first_transactional is None:
        return
    start = items.index(first_transactional)
    late = [item.nodeid for item in items[start:] if _uses_db(item) and not _is_transactional(item)]
    if late:
        raise pytest.UsageError(
            f"{len(late)} database test(s) would run after the transactional test {first_transactional.nodeid}, "
            f"whose flush empties the seed; the first: {late[0]}. Does one of them use a Playwright fixture "
            "(page, browser) or a parameter named like one?")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_seed()


@pytest.fixture
def curator(django_user_model):
    """Cara curates for the IMHSG: staff, with every directory permission but not superuser."""
    user = django_user_model.objects.create_user("cara", "cara@example.org", "a-long-curator-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["directory", "mapping"]))
    return user


def _staff_in_group(django_user_model, username, group):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username, f"{username}@example.org", "a-long-password-for-tests",
                                                 is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def imhsg_editor(django_user_model):
    """Ellie edits and publishes anything and moderates, for the IMHSG."""
    from directory.curation.roles import IMHSG_EDITORS

    return _staff_in_group(django_user_model, "ellie", IMHSG_EDITORS)


@pytest.fixture
def acacia_editor(django_user_model):
    """Omar works for Acacia Family Support: he may propose changes to Acacia's services only."""
    from directory.curation.roles import ORGANISATION_EDITORS
    from directory.models import Organisation

    user = _staff_in_group(django_user_model, "omar", ORGANISATION_EDITORS)
    Organisation.objects.get(name="Acacia Family Support").editors.add(user)
    return user


@pytest.fixture
def viewer(django_user_model):
    """Vic commissions services: read-only access to the admin and the dashboard."""
    from directory.curation.roles import VIEWERS

    return _staff_in_group(django_user_model, "vic", VIEWERS)


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


# --- Browser tests -------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
    }


@pytest.fixture
def seeded_live_server(live_server, transactional_db):
    load_seed()
    # The parents' topics come from a data migration, which the flush also empties.
    importlib.import_module("directory.migrations.0006_parents_topics").load_topics(django_apps)
    # So do the search synonyms and need steps (issue 11).
    importlib.import_module("directory.migrations.0011_search_synonyms_and_need_steps").load_search_words(django_apps)
    return live_server


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request):
    return request.param


def screenshot(page, name):
    """Save a full-page screenshot to screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


def assert_no_axe_violations(page):
    """Run axe-core (WCAG 2.2 AA and best practice) on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache, so one test's settings never shape another's
    cached answers (entries are keyed by the content version, which the seeded database
    shares between tests)."""
    from django.core.cache import cache

    from directory.search import facets, terms

    cache.clear()
    terms.forget()
    facets.forget()  # the facet index of the version (issue 26): built afresh, as after a save
    yield
