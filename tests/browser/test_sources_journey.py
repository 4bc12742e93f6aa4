"""Issue 8: a practitioner checks where a service's contacts came from, on its page and the handout."""
import pytest
from playwright.sync_api import expect

from directory.models import Service
from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOT_CONFIRMED = "Not yet confirmed by the IMHSG."


def test_a_practitioner_sees_the_source_of_each_contact_and_route(page, seeded_live_server, viewport):
    page.set_viewport_size(viewport)
    # Given a service whose contacts come from its public website
    page.goto(seeded_live_server.url + "/services/acacia/")

    # Then each contact says where it came from and that it is not yet confirmed
    phone = page.locator(".nhsuk-summary-list__row").filter(has_text="Phone")
    expect(phone.get_by_role("link", name="0121 301 5990")).to_have_attribute("href", "tel:01213015990")
    expect(phone.locator(".app-source")).to_contain_text("From a public web page, read 26 November 2026")
    expect(phone.locator(".app-source")).to_contain_text(NOT_CONFIRMED)
    expect(phone.get_by_role("link", name="acacia.org.uk")).to_have_attribute(
        "href", "https://www.acacia.org.uk/bame/professionals/")
    # And the referral route, its criteria from the needs assessment
    route = page.locator(".nhsuk-card").filter(has_text="Referral by a professional")
    expect(route).to_contain_text("Online form")
    expect(route).to_contain_text("From the needs assessment (May 2022), Table 3.")
    screenshot(page, "sources-1-service")
    assert_no_axe_violations(page)

    # When they add it and a service with no recorded contacts, and open the handout
    page.get_by_role("button", name="Add Acacia to shortlist").click()
    page.goto(seeded_live_server.url + "/services/childrens-social-care/")
    page.get_by_role("button", name="Add Children's social care to shortlist").click()
    page.goto(seeded_live_server.url + "/shortlist/")

    # Then the handout carries the same sources
    acacia = page.locator(".app-handout__item").filter(has_text="Acacia")
    expect(acacia).to_contain_text("0121 301 5990")
    expect(acacia).to_contain_text(NOT_CONFIRMED)
    social_care = page.locator(".app-handout__item").filter(has_text="Children's social care")
    expect(social_care).to_contain_text("0121 303 1888")
    screenshot(page, "sources-2-handout")
    assert_no_axe_violations(page)


def test_a_confirmed_fact_shows_as_confirmed(page, seeded_live_server):
    from directory.models import Fact

    Fact.objects.filter(service=Service.objects.get(slug="acacia"), field="phone").confirm(user=None)
    page.goto(seeded_live_server.url + "/services/acacia/")
    phone = page.locator(".nhsuk-summary-list__row").filter(has_text="Phone")
    expect(phone.locator(".app-source")).to_contain_text("Confirmed by the IMHSG on")
    assert_no_axe_violations(page)
