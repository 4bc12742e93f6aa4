"""Issue 13 in a real browser: pages served from the cache work as built ones do (forms carry
each visitor's own CSRF token), a curator's change shows on the next visit, and the map
draws its venues from /map/markers.geojson."""
import pytest
from playwright.sync_api import expect

from directory.models import Service, Status
from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CPMHT = "Community Perinatal Mental Health Team"
SEARCH = "/search/?postcode=B8+1AA&stage=3-6&need=perinatal_mental_health_severe"


@pytest.fixture
def cached_pages(settings):
    settings.CACHE_PAGES = True  # as in production; the test settings turn it off elsewhere


def test_a_cached_page_shortlists_and_a_curators_change_shows_next_time(browser, seeded_live_server, cached_pages,
                                                                        viewport):
    first = browser.new_context(viewport=viewport)
    second = browser.new_context(viewport=viewport)
    try:
        # Given one practitioner's search, which the cache now holds
        page = first.new_page()
        page.goto(seeded_live_server.url + SEARCH)
        expect(page.get_by_role("heading", name="1 service found")).to_be_visible()

        # When a second practitioner opens the same search (served from the cache) and
        # shortlists the service, their own CSRF token is in the form
        other = second.new_page()
        other.goto(seeded_live_server.url + SEARCH)
        card = other.locator(".app-card").filter(has_text=CPMHT)
        card.get_by_role("button", name=f"Add {CPMHT} to shortlist").click()
        expect(other.get_by_text(f"{CPMHT} is on your shortlist.")).to_be_visible()
        # And the first practitioner's page is not theirs
        page.reload()
        expect(page.locator(".app-card").filter(has_text=CPMHT)
               .get_by_role("button", name=f"Add {CPMHT} to shortlist")).to_be_visible()

        # When a curator archives the service
        Service.objects.filter(name=CPMHT).update(status=Status.ARCHIVED)

        # Then the next visit to the same search no longer lists it
        other.goto(seeded_live_server.url + SEARCH)
        expect(other.get_by_role("heading", name="0 services found")).to_be_visible()
        screenshot(other, "cached-search-after-archive")
        assert_no_axe_violations(other)
    finally:
        first.close()
        second.close()


def test_the_map_draws_its_venues_from_their_own_geojson(page, seeded_live_server, cached_pages, viewport):
    page.set_viewport_size(viewport)
    markers = []
    page.on("response", lambda response: markers.append(response) if "/map/markers.geojson" in response.url else None)
    page.goto(seeded_live_server.url + "/map/")
    expect(page.locator("#district-map")).to_have_attribute("data-markers", "3")
    assert markers and markers[0].status == 200
    expect(page.locator(".leaflet-marker-icon, .marker-cluster").first).to_be_visible()
    expect(page.get_by_role("table").filter(has_text="Services here")).to_be_visible()
    screenshot(page, "map-markers-geojson")
    assert_no_axe_violations(page)
