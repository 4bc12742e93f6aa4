"""Issue 21, item 6: a practitioner whose search finds nothing is offered the first steps into other
support, follows the offer to Health Visiting and reads why, in the needs assessment's words.

"Baby of 4 months, lives in B8; a specialist service for special educational needs."
"""
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from directory.core.presenters import FIRST_STEP_WORDS
from directory.models import Service
from tests.browser.steps import check
from tests.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEALTH_VISITING = "Birmingham Forward Steps: Health Visiting"
CHILDRENS_CENTRES = "Birmingham Forward Steps: Early Years and Family Support"
LABEL = "First step into other support"


def test_a_search_that_finds_nothing_leads_to_a_first_step_and_its_source(page, seeded_live_server, viewport):
    # Given the two services the needs assessment names as the preferred route into other support
    Service.objects.update(first_step=False)
    Service.objects.filter(name__in=[HEALTH_VISITING, CHILDRENS_CENTRES]).update(first_step=True)
    page.set_viewport_size(viewport)
    width = viewport["width"]

    # When a practitioner searches for a specialist SEND service for a 4-month-old in B8
    page.goto(seeded_live_server.url + "/search/")
    page.get_by_label("Family's postcode").fill("b8 1aa")
    page.get_by_label("Baby's age or stage of pregnancy").select_option(value="3-6")
    page.locator("summary").filter(has_text="Level of need").click()
    page.get_by_label("Specialist", exact=False).first.check()
    page.locator("summary").filter(has_text="What the family is facing").click()
    page.get_by_label("Special educational needs and disabilities (SEND)").check()
    page.get_by_role("button", name="Search", exact=True).click()

    # Then nothing is found, and the first steps are offered with why
    expect(page.get_by_role("heading", name="0 services found")).to_be_visible()
    offer = page.locator(".app-first-steps")
    expect(offer.get_by_role("heading", name="Not sure where to start?")).to_be_visible()
    expect(offer).to_contain_text("health visitors and children's centres are the preferred route for families")
    assert offer.get_by_role("link").all_inner_texts() == [CHILDRENS_CENTRES, HEALTH_VISITING]
    search_url = page.url
    check(page, "first-step-1-nothing-found")

    # When they follow the offer to Health Visiting
    offer.get_by_role("link", name=HEALTH_VISITING).click()
    expect(page).to_have_title(f"{HEALTH_VISITING} - Birmingham parent-infant support directory")
    # Then the page says it is a first step, and "What the sources say" has the source's sentence and section
    expect(page.locator(".app-first-step").get_by_text(LABEL, exact=True)).to_be_visible()
    page.get_by_role("link", name="What the sources say").click()
    expect(page.get_by_role("heading", name="What the sources say")).to_be_in_viewport()
    quote = page.locator("figure.app-source-quote").filter(has_text=FIRST_STEP_WORDS)
    expect(quote.locator("figcaption")).to_have_text("The needs assessment (May 2022), What we learned from services")
    check(page, "first-step-2-health-visiting")

    # And "Back to your results" returns to the same search
    page.get_by_role("link", name="Back to your results").click()
    assert parse_qs(urlsplit(page.url).query) == parse_qs(urlsplit(search_url).query)
    expect(page.get_by_role("heading", name="0 services found")).to_be_visible()

    # When they clear the filters, Health Visiting's card carries the label and its explanation; Acacia's does not
    page.get_by_role("link", name="Clear all filters").click()
    card = page.locator(".app-card").filter(has=page.get_by_role("link", name=HEALTH_VISITING, exact=True))
    expect(card.get_by_text(LABEL, exact=True)).to_be_visible()
    expect(card).to_contain_text("preferred route for families to reach parent-infant relationship support")
    expect(page.locator(".app-card").filter(has_text="Acacia Family Support").get_by_text(LABEL)).to_have_count(0)
    card.scroll_into_view_if_needed()
    card.screenshot(path=SCREENSHOTS / f"first-step-3-card-{width}.png")
    check(page, "first-step-3-search")
