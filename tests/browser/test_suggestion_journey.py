"""Journey: a practitioner suggests a change on a service page; a curator finds it in the
queue and accepts it. Works without JavaScript on the public side (a native <details> and a
plain form post). Every page ends with an axe check and a screenshot."""
import pytest
from playwright.sync_api import expect

from directory.models import Service
from directory.models import Suggestion
from tests.browser.test_curator_journey import sign_in_as_cara
from tests.conftest import DESKTOP, PHONE, assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "acacia"
TEXT = 'The Tuesday group has moved to Thursdays. <script>alert("x")</script>'


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_suggestion_goes_from_the_service_page_to_the_curators_queue(page, seeded_live_server, curator, size):
    page.set_viewport_size(size)
    name = "suggest"
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    summary_before = Service.objects.get(slug=SLUG).summary

    # Given a practitioner on a service page
    page.goto(f"{seeded_live_server.url}/services/{SLUG}/")
    page.get_by_text("Something wrong or out of date? Suggest a change").click()
    screenshot(page, f"{name}-1-form")
    assert_no_axe_violations(page)

    # When they send nothing, they are told what is missing, on a page of its own
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Tell us what is wrong or out of date")
    assert page.title().startswith("Error: Suggest a change to Acacia")
    screenshot(page, f"{name}-2-error")
    assert_no_axe_violations(page)

    # And when they say what is wrong, they are thanked
    page.get_by_label("What is wrong or out of date?").fill(TEXT)
    page.get_by_label("Your name (optional)").fill("Priya, health visitor")
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.get_by_role("heading", name="Thank you for your suggestion")).to_be_visible()
    screenshot(page, f"{name}-3-thanks")
    assert_no_axe_violations(page)
    assert Suggestion.objects.get().status == "new"
    assert Service.objects.get(slug=SLUG).summary == summary_before

    # Then Cara, a curator, finds it in the queue of new suggestions, shown as text
    sign_in_as_cara(page, seeded_live_server)
    page.goto(seeded_live_server.url + "/admin/directory/suggestion/?status__exact=new")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text(TEXT)
    expect(row).to_contain_text("Priya, health visitor")
    screenshot(page, f"{name}-4-queue")
    assert_no_axe_violations(page)

    # And accepts it with what she changed
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "accept")
    page.get_by_title("Run the selected action").click()
    page.get_by_label("What you changed (optional)").fill("Updated the group's day.")
    screenshot(page, f"{name}-5-reason")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".messagelist .success")).to_contain_text("1 suggestion accepted.")
    screenshot(page, f"{name}-6-accepted")
    assert_no_axe_violations(page)

    suggestion = Suggestion.objects.get()
    assert (suggestion.status, suggestion.curator_reason, suggestion.handled_by) == (
        "accepted", "Updated the group's day.", curator)
    assert dialogs == []  # the visitor's <script> never ran
