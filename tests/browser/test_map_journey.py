"""Journey: a commissioner looks at need against provision on the map, with no tile server.

The map draws the ten districts from /map/districts.geojson and the venue markers as
vectors (MAP_TILES_URL is unset here and the machine is offline); a district's panel
opens in place; a postcode zooms to its district; axe finds nothing on /map/ or /needs/.
"""
import pytest
from playwright.sync_api import expect

from tests.conftest import assert_no_axe_violations, screenshot

# Transactional, so pytest-django runs them after the tests that share the seeded database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for_districts(page):
    page.wait_for_selector("#district-map[data-drawn='10']", timeout=15000)


def test_it_draws_the_districts_opens_a_panel_and_finds_a_postcode(page, seeded_live_server, viewport):
    tile_requests = []
    page.on("request", lambda request: tile_requests.append(request.url) if "tile" in request.url else None)
    page.set_viewport_size(viewport)
    # Given no tile server is configured
    # When a commissioner opens the map
    page.goto(seeded_live_server.url + "/map/")
    wait_for_districts(page)
    # Then the ten district shapes are drawn, with a legend and venue markers, and no tile was asked for
    assert page.locator("path.app-district-shape").count() == 10
    expect(page.locator(".app-legend").get_by_text("Modelled need")).to_be_visible()
    # (the markers come from /map/markers.geojson, after the districts)
    page.wait_for_selector("#district-map[data-markers='3']", timeout=15000)
    assert page.locator(".leaflet-marker-icon").count() >= 1
    assert tile_requests == []
    expect(page.locator("#map-summary")).to_contain_text("Highest: Hodge Hill (332)")
    screenshot(page, "map")
    assert_no_axe_violations(page)

    # When they click Hodge Hill on the map
    page.locator("path[data-district='hodge-hill']").dispatch_event("click")
    # Then its panel shows its figures and its services as a stepped-care ladder
    panel = page.locator("#district-panel")
    panel.get_by_role("heading", name="Hodge Hill", exact=True).wait_for()
    expect(panel.get_by_text("4,208")).to_be_visible()
    expect(panel.locator(".app-ladder__step--universal")).to_be_visible()
    expect(panel.get_by_role("link", name="Community Perinatal Mental Health Team").first).to_be_visible()
    assert "district=hodge-hill" in page.url

    # When they choose Selly Oak from the list with the keyboard
    page.get_by_role("link", name="Selly Oak", exact=True).first.focus()
    page.keyboard.press("Enter")
    panel.get_by_role("heading", name="Selly Oak", exact=True).wait_for()
    assert page.evaluate("document.activeElement.id") == "district-panel-heading"

    # When they change the shading
    page.select_option("#measure", "imd_decile")
    expect(page.locator("#map-summary")).to_contain_text("Most deprived: Erdington, Hodge Hill and Ladywood (decile 1)")

    # When they search a postcode
    page.fill("#postcode", "b9 5ss")
    page.get_by_role("button", name="Find").click()
    wait_for_districts(page)
    # Then the map zooms to it, its district is highlighted and the nearest venues are listed
    expect(page.get_by_text("B9 5SS is in Hodge Hill")).to_be_visible()
    expect(page.locator(".leaflet-tooltip").filter(has_text="Postcode B9 5SS")).to_be_visible()
    expect(page.locator("#district-list a[aria-current]")).to_have_text("Hodge Hill")
    expect(page.get_by_text("Heartlands Hospital, B9 5SS: 0.0 miles")).to_be_visible()
    screenshot(page, "map-postcode")
    assert_no_axe_violations(page)

    # When they search a postcode we do not know
    page.fill("#postcode", "ZZ1 1ZZ")
    page.get_by_role("button", name="Find").click()
    # Then they are told plainly
    expect(page.locator(".nhsuk-error-summary").get_by_text("We could not find ZZ1 1ZZ")).to_be_visible()
    assert_no_axe_violations(page)


def test_it_shows_the_needs_table_and_map_layer_accessibly(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    page.goto(seeded_live_server.url + "/needs/")
    wait_for_districts(page)
    expect(page.locator("td[data-practitioners='total']")).to_have_text("47")
    expect(page.locator("td[data-practitioners='edgbaston']")).to_have_text("3.7")
    expect(page.locator(".app-legend").get_by_text("Practitioners needed")).to_be_visible()
    # And Table 1 with its assumptions: the rates, the babies in each pattern, and the caveats
    expect(page.locator("td[data-rate='secure']")).to_contain_text("50% (worked out)")
    expect(page.locator("td[data-secure='total']")).to_have_text("15,336")
    expect(page.get_by_text("The model ignores differences in adversity between districts.")).to_be_visible()
    expect(page.get_by_text("The 45% take-up figure is worked back")).to_be_visible()
    screenshot(page, "needs")
    assert_no_axe_violations(page)

    # What-if: a caseload of 40 families a year
    page.get_by_text("Try other numbers").click()
    page.fill("#caseload", "40")
    page.get_by_role("button", name="Work out the figures").click()
    wait_for_districts(page)
    expect(page.locator("td[data-practitioners='total']")).to_have_text("61")
    assert_no_axe_violations(page)

    # What-if: insecure attachment of 25% leaves 55% secure
    page.fill("#caseload", "")
    page.fill("#insecure_percent", "25")
    page.get_by_role("button", name="Work out the figures").click()
    wait_for_districts(page)
    expect(page.locator("td[data-rate='secure']")).to_contain_text("55% (worked out)")
    expect(page.locator("td[data-secure='total']")).to_have_text("16,869")
    screenshot(page, "needs-what-if")
    assert_no_axe_violations(page)


def test_a_keyboard_user_chooses_a_district_on_the_map_and_reads_local_provision(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    # Given a commissioner who uses only the keyboard opens the map
    page.goto(seeded_live_server.url + "/map/?measure=families_per_local_service")
    wait_for_districts(page)
    page.wait_for_selector("#district-map[data-wards='69']", timeout=15000)
    # Then the legend is under the map, never over a district
    legend = page.locator("#map-legend .app-legend")
    expect(legend).to_be_visible()
    map_box, legend_box = page.locator("#district-map").bounding_box(), legend.bounding_box()
    assert legend_box["y"] >= map_box["y"] + map_box["height"] - 1
    assert page.locator(".leaflet-control-container .app-legend").count() == 0
    # When they Tab to a district shape on the map and press Enter
    page.locator("path[data-district='hodge-hill']").focus()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Hodge Hill: show its services"
    page.keyboard.press("Enter")
    # Then its panel opens and focus moves to its heading
    page.locator("#district-panel").get_by_role("heading", name="Hodge Hill", exact=True).wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'district-panel-heading'")
    # And Tab moves on through the shapes with the keyboard alone
    page.locator("path[data-district='yardley']").focus()
    page.keyboard.press(" ")
    page.locator("#district-panel").get_by_role("heading", name="Yardley", exact=True).wait_for()
    # And the table tells local provision apart from city-wide services
    table = page.locator("table.app-figures-table").first
    expect(table.get_by_role("columnheader", name="Need per local service")).to_be_visible()
    expect(table.get_by_role("columnheader", name="City-wide matching services")).to_be_visible()
    screenshot(page, "map-keyboard")
    assert_no_axe_violations(page)


def test_a_postcode_district_zooms_to_a_map_with_ward_names_not_a_blank_shape(page, seeded_live_server, viewport):
    tile_requests = []
    page.on("request", lambda request: tile_requests.append(request.url) if "tile" in request.url else None)
    page.set_viewport_size(viewport)
    # When a practitioner types just the first part of a postcode
    page.goto(seeded_live_server.url + "/map/?postcode=B8")
    wait_for_districts(page)
    page.wait_for_selector("#district-map[data-wards='69']", timeout=15000)
    # Then the map zooms in, and ward names and lines give it a background without tiles
    expect(page.get_by_text("B8 is mostly in Hodge Hill")).to_be_visible()
    expect(page.locator(".app-ward-label").first).to_be_visible()
    assert page.locator(".app-ward-label").count() == 69
    assert tile_requests == []
    expect(page.get_by_text("so approximate")).to_be_visible()
    screenshot(page, "map-postcode-district")
    assert_no_axe_violations(page)
