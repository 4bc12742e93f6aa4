"""Journeys (issue 22, item 5): an IMHSG editor records a service's practitioner time in a
district; a commissioner reads need against recorded capacity on /needs/ and on the map, where a
district with no figure is hatched grey with its own legend entry, never the lowest band."""
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from directory.models import Fact, Service, ServiceCapacity
from mapping.models import District
from tests.browser.steps import check, sign_in
from tests.conftest import SCREENSHOTS

# Transactional, so pytest-django runs them after the tests that share the seeded database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FTB = "forward-thinking-birmingham-under-2s-infant-mental-health"


def wait_for_districts(page):
    page.wait_for_selector("#district-map[data-drawn='10']", timeout=15000)


def close_up(page, selector, name):
    """A screenshot of one part of the page (the map with its legend, the gap table), big enough to
    read, beside the full-page one `check` takes."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator(selector).first.screenshot(path=SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png")


def test_an_imhsg_editor_records_practitioner_time_in_a_district(page, seeded_live_server, imhsg_editor):
    page.set_viewport_size({"width": 1280, "height": 900})
    ftb = Service.objects.get(slug=FTB)
    # Given Ellie, an IMHSG editor, opens Forward Thinking Birmingham's page in the admin
    sign_in(page, seeded_live_server, "ellie")
    page.goto(f"{seeded_live_server.url}/admin/directory/service/{ftb.pk}/change/")
    group = page.locator("#capacities-group")
    expect(group.get_by_role("heading", name="Capacity for parent-infant relationship work, per district")).to_be_visible()
    # When she adds Hodge Hill with the practitioner time the service told her
    page.get_by_role("button", name="Add another Capacity").click()
    page.select_option("#id_capacities-0-district", label="Hodge Hill")
    page.fill("#id_capacities-0-practitioner_wte", "-1")
    page.get_by_role("button", name="Save", exact=True).first.click()
    # Then a negative figure is refused in plain words
    expect(page.get_by_text("Practitioner time cannot be less than 0.")).to_be_visible()
    page.fill("#id_capacities-0-practitioner_wte", "1.0")
    page.fill("#id_capacities-0-note", "Clinical psychologist's time, from the service's e-mail.")
    close_up(page, ".app-capacity-inline", "close-admin-capacity-inline")
    check(page, "admin-capacity-inline")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    # And the figure is recorded with Ellie as its source
    row = ServiceCapacity.objects.get(service=ftb)
    assert (row.district.slug, row.practitioner_wte) == ("hodge-hill", Decimal("1.00"))
    assert Fact.objects.get(service=ftb, field="capacity").confirmed_by == imhsg_editor


def test_a_commissioner_reads_the_gap_on_the_needs_page_and_the_map(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    # Given no service has recorded its capacity
    page.goto(seeded_live_server.url + "/needs/#gap")
    wait_for_districts(page)
    # Then the page says the gap cannot be known, not that the city is 47 practitioners short
    expect(page.get_by_text("The gap cannot be known yet")).to_be_visible()
    expect(page.locator("td[data-gap='hodge-hill']")).to_contain_text("Not known yet")
    expect(page.locator("td[data-capacity-services='hodge-hill']")).to_contain_text("0 of 1")
    close_up(page, "#gap ~ .app-gap-unknown, #gap + p + .app-gap-unknown", "close-needs-gap-none")
    close_up(page, ".app-gap-table", "close-needs-gap-table-none")
    check(page, "needs-gap-none")

    # When Forward Thinking Birmingham's time in Hodge Hill is recorded, and they look again
    ServiceCapacity.objects.create(service=Service.objects.get(slug=FTB), district=District.objects.get(slug="hodge-hill"),
                                   practitioner_wte=Decimal("1.0"), note="Clinical psychologist's time.")
    page.reload()
    wait_for_districts(page)
    # Then Hodge Hill has a gap, the rest are still not known, and the city's gap is "up to"
    expect(page.locator("td[data-gap='hodge-hill']")).to_contain_text("5.4")
    expect(page.locator("td[data-gap='yardley']")).to_contain_text("Not known yet")
    expect(page.locator("td[data-gap='total']")).to_contain_text("Up to 46.0")
    expect(page.get_by_text("The gap cannot be known yet")).to_have_count(0)
    expect(page.get_by_role("heading", name="What to bear in mind about the gap")).to_be_visible()
    expect(page.get_by_text("The perinatal mental health service is already taken off.")).to_be_visible()
    # And shading the small map by the gap gives a legend where "no capacity recorded" is its own entry
    page.select_option("#measure", "practitioner_gap")
    legend = page.locator("#map-legend .app-legend")
    expect(legend.get_by_text("Gap: practitioners needed less time recorded")).to_be_visible()
    expect(legend.locator("li", has=page.locator(".app-legend__swatch--none"))).to_have_text(
        "No capacity recorded: gap not known")
    assert page.locator("path[data-district='yardley']").get_attribute("fill") == "url(#app-hatch)"
    assert page.locator("path[data-district='hodge-hill']").get_attribute("fill") != "url(#app-hatch)"
    expect(page.locator("#map-summary")).to_contain_text("No capacity recorded: gap not known in 9 districts.")
    close_up(page, ".app-gap-table", "close-needs-gap-table")
    close_up(page, "#gap-caveats + ul", "close-needs-gap-caveats")
    close_up(page, ".app-map-wrapper", "close-needs-gap-map")
    check(page, "needs-gap")

    # When they open the map shaded by the gap
    page.goto(seeded_live_server.url + "/map/?measure=practitioner_gap")
    wait_for_districts(page)
    legend = page.locator("#map-legend .app-legend")
    expect(legend.locator("li", has=page.locator(".app-legend__swatch--none"))).to_have_text(
        "No capacity recorded: gap not known")
    expect(page.locator("td[data-gap='hodge-hill']").first).to_contain_text("5.4")
    close_up(page, ".app-map-wrapper", "close-map-gap-legend")
    check(page, "map-gap-legend")
    # And pointing at Yardley says its gap is not known and why
    page.locator("path[data-district='yardley']").dispatch_event("mouseover")
    expect(page.locator(".leaflet-tooltip").filter(has_text="Yardley")).to_have_text(
        "Yardley: no capacity recorded: gap not known (gap: practitioners needed less time recorded; 0 of 1 "
        "specialised services have recorded their time)")
    # And choosing Hodge Hill on the map says its gap in words in the district's panel
    page.locator("path[data-district='hodge-hill']").dispatch_event("click")
    panel = page.locator("#district-panel")
    panel.get_by_role("heading", name="Hodge Hill", exact=True).wait_for()
    expect(panel.locator("[data-panel-gap]")).to_contain_text(
        "5.4 practitioners (1.0 practitioner time recorded by 1 of 1 specialised service, for 6.4 needed).")
    close_up(page, "#district-panel dl", "close-map-panel-gap")

    # And districts with no local service are hatched, with their own legend entry, not the lowest band
    page.select_option("#measure", "families_per_local_service")
    expect(legend.locator("li", has=page.locator(".app-legend__swatch--none"))).to_have_text("No local service")
    hatched = page.locator("path.app-district-shape[fill='url(#app-hatch)']")
    assert hatched.count() >= 1
    close_up(page, ".app-map-wrapper", "close-map-no-local-service-legend")
    check(page, "map-no-local-service-legend")

    # When a second specialised service covers Yardley and only FTB has recorded its time there
    from directory.models import Focus, Level

    ftb = Service.objects.get(slug=FTB)
    second = Service.objects.create(organisation=ftb.organisation, name="Yardley relationship team (journey)",
                                    slug="yardley-relationship-team-journey", status="published",
                                    summary="Parent-infant relationship work in Yardley.", focus=Focus.SPECIALISED,
                                    coverage_type="districts", no_referral_route_reason="Ask the team.")
    second.levels.set(Level.objects.filter(code="specialist"))
    second.coverage_districts.set(District.objects.filter(slug="yardley"))
    ServiceCapacity.objects.create(service=ftb, district=District.objects.get(slug="yardley"),
                                   practitioner_wte=Decimal("1.5"))
    page.goto(seeded_live_server.url + "/map/?measure=practitioner_gap")
    wait_for_districts(page)
    # Then Yardley's gap is "up to", outlined dashed, and the legend says what the dashes mean
    expect(page.locator("td[data-gap='yardley']").first).to_contain_text("Up to 3.8")
    expect(legend.locator("li", has=page.locator(".app-legend__swatch--partial"))).to_contain_text(
        "not every specialised service has recorded its time, so the gap is at most this")
    assert page.locator("path[data-district='yardley']").get_attribute("stroke-dasharray") == "6 4"
    assert page.locator("path[data-district='hodge-hill']").get_attribute("stroke-dasharray") is None
    close_up(page, ".app-map-wrapper", "close-map-gap-partial")
    check(page, "map-gap-partial")
