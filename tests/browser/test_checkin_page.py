"""The check-in page in a browser (issue 20): a provider opens their personal link on a phone,
marks facts still right, changes one, answers part of the under-2s self-audit and writes a
description for parents (the reading-ease hint follows their typing), and sends it. Every
page ends with an axe check and a screenshot. (The whole journey, from the invitation to the
public page, is the lead's tests/browser/test_checkin_journey.py.)"""
import pytest
from playwright.sync_api import expect

from directory.checkins.tokens import create_invitation
from directory.models import Fact, PendingChange, SelfAudit, Service
from tests.conftest import DESKTOP, PHONE, assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PLAIN = "You and your baby can come to our group. It is free. We meet on Tuesdays."


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_provider_checks_their_entry_from_the_link(page, seeded_live_server, size):
    page.set_viewport_size(size)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    acacia = Service.objects.get(slug="acacia")
    _, token = create_invitation(service=acacia, name="Pat Example", email="pat@example.org")
    url = f"{seeded_live_server.url}/check/{token}/"

    # Given Pat opens the link from the invitation
    page.goto(url)
    expect(page.get_by_role("heading", name="Check your service's entry")).to_be_visible()
    # The change boxes stay folded away until "Change this" is chosen
    expect(page.locator("#phone-change")).to_be_hidden()
    screenshot(page, "checkin-1-page")
    assert_no_axe_violations(page)

    # When she sends nothing, she is told so, on the same page
    page.get_by_role("button", name="Send to the IMHSG").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Nothing was sent")
    assert page.title().startswith("Error: Check your service's entry")
    screenshot(page, "checkin-2-error")
    assert_no_axe_violations(page)

    # And when she marks facts still right, changes one and answers part of the audit
    phone = page.locator(".app-fact", has=page.get_by_role("group", name="Phone"))
    phone.get_by_label("Still right").check()
    page.locator(".app-fact", has=page.get_by_role("group", name="Website")).get_by_label("Still right").check()
    eligibility = page.locator(".app-fact", has=page.locator("legend", has_text="Parents and carers")).first
    eligibility.get_by_label("Change this").check()
    expect(page.locator("#eligibility-change")).to_be_visible()
    page.locator("#id_eligibility-new").fill("Parents of babies under two, and parents-to-be.")
    page.get_by_role("group", name="Do you accept referrals for babies under two?").get_by_label("Yes").check()
    page.get_by_role("group", name="Do you accept referrals during pregnancy?").get_by_label("Yes").check()
    page.get_by_label("Parents must come without their baby").check()

    # And rewrites the description for parents (the seed's, by the directory team: issue 21): the
    # hint scores it on arrival and reads hers as she types
    hint = page.locator("#reading-ease")
    expect(hint).to_contain_text("Reading ease score:")
    page.locator("#id_parent_description-new").fill(PLAIN)
    expect(hint).to_contain_text("Reading ease score: 106.2. Very easy to read.")  # as Python scores it
    page.get_by_label("Your name").fill("Pat Example")
    screenshot(page, "checkin-3-filled")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Send to the IMHSG").click()

    # Then she is thanked and told what happens next
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("If we cannot use a change")).to_be_visible()
    screenshot(page, "checkin-4-thanks")
    assert_no_axe_violations(page)

    change = PendingChange.objects.get(service=acacia)
    assert set(change.changes["service"]) == {"eligibility_description", "parent_description"}
    assert change.changes["service"]["parent_description"]["new"] == PLAIN
    assert set(Fact.objects.filter(service=acacia, checked_by_service_on__isnull=False)
               .values_list("field", flat=True)) == {"phone", "url"}
    audit = SelfAudit.objects.get(service=acacia)
    assert audit.answers["exclusion_checks"] == ["parent_must_attend_alone"] and not audit.excludes_under_twos
    assert dialogs == []


def test_without_javascript_the_boxes_are_there_and_the_score_comes_after_sending(browser, seeded_live_server):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    acacia = Service.objects.get(slug="acacia")
    _, token = create_invitation(service=acacia, name="Pat Example", email="pat@example.org")
    page.goto(f"{seeded_live_server.url}/check/{token}/")
    expect(page.locator("#id_phone-new")).to_be_visible()
    page.locator("#id_parent_description-new").fill(PLAIN)
    page.locator("#id_email-new").fill("not an email")
    page.get_by_role("button", name="Send to the IMHSG").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Enter a valid email address")
    expect(page.locator("#reading-ease")).to_contain_text("Reading ease score: 106.2.")
    screenshot(page, "checkin-5-no-javascript")
    context.close()
