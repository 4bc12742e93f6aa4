"""Issue 22: the shortlist is one link away from every practitioners' page, with its count, and
no cached page ever shows one visitor's count to another."""
import re

import pytest
from django.test import Client

from directory.core.shortlist import COOKIE_NAME
from directory.models import Service
from tests.directory.core.test_caching import cache_backend  # noqa: F401  (the cache as in production)

pytestmark = pytest.mark.django_db

PAGES = ["/", "/search/", "/search/?q=perinatal", "/services/acacia/", "/about/", "/map/", "/needs/", "/shortlist/",
         "/services/acacia/suggest/"]
LINK = re.compile(r'<a class="nhsuk-header__navigation-link app-header__shortlist" href="/shortlist/"( aria-current="page")?>'
                  r'Your shortlist <span class="app-header__count">\((\d+)\)</span></a>')


def visitor(*slugs):
    """A practitioner whose shortlist cookie holds these services (none: no cookie at all)."""
    client = Client()
    if slugs:
        client.cookies[COOKIE_NAME] = ".".join(str(Service.objects.get(slug=slug).pk) for slug in slugs)
    return client


def header_count(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    found = LINK.findall(response.content.decode())
    assert len(found) == 1, f"{url}: {len(found)} shortlist links in the header"
    return int(found[0][1])


@pytest.mark.parametrize("url", PAGES)
def test_it_links_the_shortlist_with_its_count_from_every_practitioners_page(url):
    assert header_count(visitor(), url) == 0
    assert header_count(visitor("acacia", "new-baby-network"), url) == 2


def test_it_marks_the_link_as_the_current_page_on_the_shortlist_only(client):
    assert 'href="/shortlist/" aria-current="page"' in client.get("/shortlist/").content.decode()
    about = client.get("/about/").content.decode()
    assert 'href="/shortlist/" aria-current="page"' not in about and 'href="/about/" aria-current="page"' in about


def test_it_counts_from_the_cookie_without_a_query(django_assert_num_queries):
    client = visitor("acacia", "new-baby-network", "health-in-mind")
    with django_assert_num_queries(2):  # the content version and the lists, as without a shortlist
        assert header_count(client, "/about/") == 3


def test_a_bad_cookie_counts_only_what_it_holds_that_could_be_a_service():
    client = Client()
    client.cookies[COOKIE_NAME] = "1.x.1.\u00b2.40"
    assert header_count(client, "/about/") == 2


def test_the_parents_pages_keep_their_own_header(client):
    body = visitor("acacia").get("/parents/").content.decode()
    assert "app-header__shortlist" not in body and "Your list" in body


@pytest.mark.parametrize("url", PAGES)
def test_no_cached_page_carries_another_visitors_shortlist(cache_backend, url):  # noqa: F811
    """Pages are cached (CACHE_PAGES as in production): each visitor, in any order, and again from
    the cache, sees their own count and never another's."""
    three, nobody, one = visitor("acacia", "new-baby-network", "health-in-mind"), visitor(), visitor("acacia")
    for _ in range(2):  # the second round is served from the cache
        assert header_count(three, url) == 3
        assert header_count(nobody, url) == 0
        assert header_count(one, url) == 1
    # And a visitor with no cookie gets the page the cache holds for everyone without one.
    assert header_count(visitor(), url) == 0
