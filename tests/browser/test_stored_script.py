"""Journey: a hostile curator stores script in names and a javascript: address; nothing ever runs.

Names go into Leaflet tooltips and popups, headings, tables and the printed handout. Leaflet
renders a string tooltip as HTML, so every label built in JavaScript must be text. The test
fails on any dialog, on any link whose address is not https, http, mailto or tel, and on
any axe violation.
"""
import pytest
from playwright.sync_api import expect

from directory.models import Organisation, ReferralRoute, Service, Venue
from directory.core.shortlist import COOKIE_NAME
from mapping.models import District
from tests.conftest import DESKTOP, assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An attribute break-out that runs as soon as it is parsed as HTML, and a script element.
PAYLOAD = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
# A leading "0" puts the service first on the search page (sorted by name); districts hold 60 characters.
SERVICE, ORGANISATION, VENUE, DISTRICT = (f"0 Svc {PAYLOAD}", f"Org {PAYLOAD}", f"Venue {PAYLOAD}", f"D {PAYLOAD}")
SAFE_PROTOCOLS = ["http:", "https:", "mailto:", "tel:"]
# django-leaflet announces each map it makes; keep them so the test can reach the markers.
KEEP_MAPS = "window.addEventListener('map:init', function (e) { (window.testMaps = window.testMaps || []).push(e.detail.map); });"


@pytest.fixture
def hostile(seeded_live_server):
    """A published service with a mapped venue, with script in every name and a javascript: website."""
    service = Service.objects.published().filter(service_at_locations__venue__lat__isnull=False).first()
    venue = Venue.objects.filter(service_at_locations__service=service, lat__isnull=False).first()
    Service.objects.filter(pk=service.pk).update(name=SERVICE, url="javascript:alert(3)")
    Organisation.objects.filter(pk=service.organisation_id).update(name=ORGANISATION, url="javascript:alert(4)")
    ReferralRoute.objects.filter(service=service).update(url=" JavaScript:alert(5)")
    Venue.objects.filter(pk=venue.pk).update(name=VENUE)
    District.objects.filter(pk=venue.district_id).update(name=DISTRICT)
    service.refresh_from_db()
    return {"url": seeded_live_server.url, "service": service, "district": venue.district.slug}


@pytest.fixture
def watched(page):
    """The page, with every dialog recorded (and dismissed) and django-leaflet's maps kept."""
    page.set_viewport_size(DESKTOP)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(KEEP_MAPS)
    return page


def assert_nothing_ran(page, name):
    """No dialog, no link to anything but the web, mail or a phone, a screenshot, and axe."""
    page.wait_for_timeout(300)  # time for a broken image's onerror to fire, had one been made
    assert page.dialogs == []
    assert page.locator('a[href^="javascript:" i], a[href^="data:" i], a[href^="vbscript:" i]').count() == 0
    protocols = page.evaluate("Array.from(document.querySelectorAll('a[href]'), function (a) { return a.protocol; })")
    assert set(protocols) <= set(SAFE_PROTOCOLS)
    screenshot(page, f"stored-script-{name}")
    assert_no_axe_violations(page)


def hover(page, selector):
    for shape in page.locator(selector).all():
        shape.dispatch_event("mouseover")


def expect_tooltip(page, text):
    expect(page.locator(".leaflet-tooltip").filter(has_text=text)).to_have_count(1)


def open_marker_popup(page, title):
    """Zoom the cluster to the marker called `title`, hover it and open its popup."""
    page.evaluate("""(title) => new Promise((resolve) => {
        window.testMaps.forEach(function (map) {
            map.eachLayer(function (layer) {
                if (!layer.getLayers || !layer.zoomToShowLayer) return;
                layer.getLayers().forEach(function (marker) {
                    if (marker.options.title !== title) return;
                    layer.zoomToShowLayer(marker, function () { marker.fire("mouseover"); marker.openPopup(); resolve(); });
                });
            });
        });
    })""", title)


def test_it_never_runs_stored_script_on_the_service_page_and_its_map(watched, hostile):
    page = watched
    page.goto(hostile["url"] + hostile["service"].get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(SERVICE)
    page.wait_for_selector("#venue-map path.leaflet-interactive")
    # When the venue's marker and its district's outline are hovered
    hover(page, "#venue-map path.leaflet-interactive[fill='#ffffff'][stroke='#005eb8']")
    hover(page, "#venue-map path.leaflet-interactive[stroke='#4c6272']")
    # Then their tooltips show the names as text
    expect_tooltip(page, VENUE)
    expect_tooltip(page, f"{DISTRICT} district")
    # And the javascript: website and referral link are shown, but not as links
    expect(page.get_by_text("javascript:alert(3)")).to_be_visible()
    assert_nothing_ran(page, "service")


def test_it_never_runs_stored_script_on_the_map(watched, hostile):
    page = watched
    page.goto(hostile["url"] + "/map/")
    page.wait_for_selector("#district-map[data-drawn='10']", timeout=15000)
    # The markers come from /map/markers.geojson, after the districts.
    page.wait_for_selector("#district-map[data-markers]:not([data-markers='failed'])", timeout=15000)
    # When the district is hovered, its tooltip names it as text
    hover(page, f"path[data-district='{hostile['district']}']")
    expect_tooltip(page, DISTRICT)
    # When the venue's marker is hovered and opened, its popup names the venue and the service as text
    open_marker_popup(page, VENUE)
    popup = page.locator(".leaflet-popup")
    expect(popup.get_by_text(VENUE, exact=True)).to_be_visible()
    expect(popup.get_by_role("link", name=SERVICE)).to_be_visible()
    assert_nothing_ran(page, "map-popup")
    # When the district is clicked, its panel opens with the names as text
    page.locator(f"path[data-district='{hostile['district']}']").dispatch_event("click")
    expect(page.locator("#district-panel").get_by_role("heading", name=DISTRICT, exact=True)).to_be_visible()
    assert_nothing_ran(page, "map-panel")


def test_it_never_runs_stored_script_on_the_needs_page(watched, hostile):
    page = watched
    page.goto(hostile["url"] + "/needs/")
    page.wait_for_selector("#district-map[data-drawn='10']", timeout=15000)
    hover(page, f"path[data-district='{hostile['district']}']")
    expect_tooltip(page, DISTRICT)
    expect(page.get_by_role("link", name=DISTRICT, exact=True)).to_be_visible()
    assert_nothing_ran(page, "needs")


def test_it_never_runs_stored_script_in_search_the_shortlist_or_the_handout(watched, hostile):
    page = watched
    page.goto(hostile["url"] + "/search/?sort=name")  # best match ranks a hospital's own service last (issue 22)
    card = page.locator(".app-card").filter(has_text=SERVICE)
    expect(card.get_by_text(ORGANISATION)).to_be_visible()
    assert_nothing_ran(page, "search")

    # When the service is put on the shortlist from its card
    card.get_by_role("button", name=f"Add {SERVICE} to shortlist").click()
    expect(page.get_by_text(f"{SERVICE} is on your shortlist.")).to_be_visible()
    page.goto(hostile["url"] + "/shortlist/")
    expect(page.locator(".app-handout__item h2")).to_have_text(SERVICE)
    assert_nothing_ran(page, "shortlist")

    # And printed as a handout
    page.emulate_media(media="print")
    expect(page.get_by_text("See this list online")).to_be_visible()
    page.wait_for_timeout(300)
    assert page.dialogs == []
    screenshot(page, "stored-script-handout")
    page.emulate_media(media="screen")

    # And opened from its share link on another device
    page.context.clear_cookies()
    page.goto(hostile["url"] + f"/shortlist/?services={hostile['service'].pk}")
    expect(page.locator(".app-handout__item h2")).to_have_text(SERVICE)
    assert COOKIE_NAME not in {cookie["name"] for cookie in page.context.cookies()}
    assert_nothing_ran(page, "shared-list")


def test_it_never_runs_stored_script_on_the_parents_pages(watched, hostile):
    page = watched
    service = hostile["service"]
    Service.objects.filter(pk=service.pk).update(parent_description=f"Groups {PAYLOAD}")
    # The parents' page for the service, then the everything list and the saved list that name it.
    page.goto(hostile["url"] + f"/parents/services/{service.slug}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SERVICE)
    expect(page.get_by_text(f"Groups {PAYLOAD}")).to_be_visible()
    assert_nothing_ran(page, "parents-service")
    page.goto(hostile["url"] + "/parents/support/all/")
    expect(page.get_by_text(SERVICE).first).to_be_visible()
    assert_nothing_ran(page, "parents-everything")
    page.goto(hostile["url"] + f"/parents/saved/?services={service.pk}")
    expect(page.get_by_text(SERVICE).first).to_be_visible()
    assert_nothing_ran(page, "parents-saved")
