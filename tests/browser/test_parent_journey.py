"""Journey 3: a parent on a phone. "What's on for me and my baby near me?"

Chooses "I am a parent", answers the two questions, opens a topic, opens a service, saves
two services and shares the list; every page ends with an axe check and a screenshot. And a
parent in a hurry, who skips the questions and reaches a service with no contact details.
"""
import pytest
from playwright.sync_api import expect

from tests.browser.steps import check
from tests.conftest import DESKTOP, PHONE, assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEALTH_VISITING = "Birmingham Forward Steps: Health Visiting"
ACACIA = "Acacia"


def test_a_parent_finds_support_saves_two_and_shares_the_list(page, seeded_live_server):
    page.set_viewport_size(PHONE)
    # Given a parent on the start page
    page.goto(seeded_live_server.url + "/")
    page.get_by_role("link", name="I am a parent or carer").click()
    expect(page).to_have_title("Support for you and your baby - Birmingham parent-infant support directory")
    expect(page.get_by_role("heading", name="Need help now?")).to_be_visible()
    screenshot(page, "parents-1-start")
    assert_no_axe_violations(page)

    # When they answer the two questions
    page.get_by_label("How old is your baby, or how many months pregnant are you?").select_option(label="4 months")
    page.get_by_label("Your postcode (optional)").fill("b8 1aa")
    page.get_by_role("button", name="Show me what there is").click()
    expect(page.get_by_text("For you: 4 months, near B8 1AA.")).to_be_visible()
    screenshot(page, "parents-2-support")
    assert_no_axe_violations(page)

    # And open a topic
    page.get_by_role("link", name="Feeling low, anxious or overwhelmed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feeling low, anxious or overwhelmed")
    yourself = page.locator("h2#yourself + ul")
    expect(yourself.get_by_role("link", name=HEALTH_VISITING)).to_be_visible()
    ask = page.locator("h2#ask + p + ul")
    expect(ask.get_by_role("link", name=ACACIA)).to_be_visible()
    screenshot(page, "parents-3-topic")
    assert_no_axe_violations(page)

    # And save one from the list, staying on the same page
    page.get_by_role("button", name=f"Save {ACACIA} to your list").click()
    expect(page.get_by_text(f"{ACACIA} is saved on your list.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feeling low, anxious or overwhelmed")

    # And open a service from the list (it is offered under "Not sure where to start?" too) and save it
    page.locator("h2#yourself + ul").get_by_role("link", name=HEALTH_VISITING).click()
    expect(page.get_by_text("You can contact them yourself.")).to_be_visible()
    expect(page.locator("dd").get_by_text("Home visits")).to_be_visible()
    screenshot(page, "parents-4-service")
    assert_no_axe_violations(page)
    page.get_by_role("button", name=f"Save {HEALTH_VISITING} to your list").click()
    expect(page.get_by_text(f"{HEALTH_VISITING} is saved on your list.")).to_be_visible()

    # Then their list has both, with a link to send
    page.get_by_role("link", name="See your list").click()
    expect(page).to_have_title("Your list - Birmingham parent-infant support directory")
    assert page.locator(".app-handout__item h2").all_inner_texts() == [ACACIA, HEALTH_VISITING]
    share_url = page.get_by_label("Send this list: copy this link into a message").input_value()
    screenshot(page, "parents-5-saved")
    assert_no_axe_violations(page)

    # And the link shows the same list on another phone
    other = page.context.browser.new_page(viewport=PHONE)
    other.goto(share_url)
    expect(other.get_by_role("heading", level=1)).to_have_text("A list sent to you")
    assert other.locator(".app-handout__item h2").all_inner_texts() == [ACACIA, HEALTH_VISITING]
    screenshot(other, "parents-6-shared")
    assert_no_axe_violations(other)
    other.close()


@pytest.mark.parametrize("path", [
    "/parents/", "/parents/support/?age=p6", "/parents/topics/meet-other-parents/",
    "/parents/support/all/?postcode=B4+6NH", "/parents/services/solihull-approach-online-courses-birmingham-licence/",
    "/parents/saved/", "/parents/support/?age=%C2%B2&postcode=zz9+9zz",
])
def test_every_parent_page_looks_right_and_passes_axe_on_a_desktop(page, seeded_live_server, path):
    page.set_viewport_size(DESKTOP)
    page.goto(seeded_live_server.url + path)
    expect(page.get_by_role("heading", name="Need help now?")).to_be_visible()
    name = "parents-desktop-" + (path.strip("/").split("?")[0].replace("/", "-") or "home")
    screenshot(page, name + ("-error" if "zz9" in path else ""))
    assert_no_axe_violations(page)


def test_a_hurried_parent_reaches_a_service_without_contact_details(page, seeded_live_server, viewport):
    """Issue 21: no phone number or email is recorded for health visiting. The page says so, says
    what a parent can do, and never tells them to ask their health visitor."""
    from directory.core.sources import DIRECTORY_TEAM_NOTE
    from directory.models import Service

    assert set(Service.objects.filter(first_step=True).values_list("name", flat=True)) == {
        HEALTH_VISITING, "Birmingham Forward Steps: Early Years and Family Support"}  # the seed's first steps
    assert Service.objects.filter(name=HEALTH_VISITING, phone="", email="", url="").exists()  # none in the seed
    page.set_viewport_size(viewport)
    # Given a parent in a hurry, who skips the two questions
    page.goto(seeded_live_server.url + "/parents/")
    page.get_by_role("link", name="Everything for you and your baby").click()

    # When they are not sure where to start
    offer = page.get_by_role("region", name="Not sure where to start?")
    expect(offer).to_be_visible()
    check(page, "parents-hurried-1-everything")
    offer.get_by_role("link", name=HEALTH_VISITING).click()

    # Then the service's page says what is known and what is not, and no circle
    expect(page.get_by_role("heading", level=1)).to_have_text(HEALTH_VISITING)
    how = page.locator(".nhsuk-inset-text")
    expect(how).to_contain_text("We do not have a phone number or email for this service yet.")
    expect(how).to_contain_text("You can ask at your GP practice.")
    expect(how).not_to_contain_text("health visitor")
    expect(page.get_by_text(DIRECTORY_TEAM_NOTE)).to_be_visible()
    expect(page.get_by_text("Most services in Birmingham say this is a good way in")).to_be_visible()
    check(page, "parents-hurried-2-service")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_parent_pages_through_a_long_list_keeping_their_answers(page, seeded_live_server, monkeypatch, size):
    """Issue 26: a list shows a page of each group at a time (one card here, so the seed's
    services make several pages); the parent moves on and back, and the answers stay."""
    from directory.parents import selectors

    monkeypatch.setattr(selectors, "PARENT_PAGE", 1)
    page.set_viewport_size(size)
    page.goto(seeded_live_server.url + "/parents/support/all/?age=4&postcode=B8+1AA")
    yourself = page.get_by_role("navigation", name="More you can contact yourself")
    first = page.locator("h2#yourself + ul h3 a").inner_text()
    expect(page.get_by_text("Showing 1 to 1 of")).to_have_count(2)  # both groups
    yourself.get_by_role("link", name="Next").click()
    expect(page.locator("h2#yourself + ul + p")).to_contain_text("Showing 2 to 2 of")
    assert page.locator("h2#yourself + ul h3 a").inner_text() != first
    expect(page.get_by_text("For you: 4 months, near B8 1AA.")).to_be_visible()
    screenshot(page, f"parents-pages-{'phone' if size == PHONE else 'desktop'}")
    assert_no_axe_violations(page)
    page.get_by_role("navigation", name="More you can contact yourself").get_by_role("link", name="Previous").click()
    expect(page.locator("h2#yourself + ul h3 a")).to_have_text(first)
    assert_no_axe_violations(page)
