"""Issue 20, the whole loop in a real browser: an IMHSG editor sets Acacia's private check-in
contact and sends an invitation (the e-mail is captured: the live server runs in a thread of
this process, so Django's test outbox sees it); the provider opens the link on a phone-sized
window, marks facts still right, changes one, completes the self-audit and a description for
parents, corrects the end time of a session and proposes a new one (issue 23), and sends it; the
editor sees the diff and approves it; the what's-on page lists the new session; the practitioners' and the
parents' pages show the change and "Checked by the service"; the self-audit report lists
Acacia's barriers; the dashboard counts Acacia as checked within 12 months. Every page ends
with an axe check and a screenshot."""
import re
from datetime import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from django.utils import timezone

from directory.models import ChangeStatus, PendingChange, SelfAudit, Service, Session
from tests.browser.steps import check, sign_in
from tests.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WHO_FOR = "Parents and carers of babies under two in Birmingham, and parents-to-be."
NEW_SESSION = "Journey test baby group"  # test data: obviously fictional
FOR_PARENTS = "You and your baby can come to our group. It is free. We meet on Tuesdays. You can ask us to visit you."






def dashboard_row(page, words):
    return page.locator("#curation-counts tr").filter(has_text=words)


def test_a_service_checks_its_entry_from_invitation_to_public_page(page, seeded_live_server, imhsg_editor,
                                                                    settings):
    settings.SITE_URL = seeded_live_server.url  # the link in the e-mail opens this test's server
    acacia = Service.objects.get(slug="acacia")
    base = seeded_live_server.url
    page.set_viewport_size(DESKTOP)
    # (Acacia has one published session, online on Tuesdays: test data, as no source states a time.)
    tuesdays = Session.objects.create(service=acacia, online=True, status="published", title="Journey test group",
                                      byday="TU", opens_at=time(10), closes_at=time(11, 30))

    # Given Ellie, an IMHSG editor, sees that no service has been checked within 12 months
    sign_in(page, base, "ellie")
    page.goto(f"{base}/admin/curation/")
    expect(dashboard_row(page, "within 12 months")).to_contain_text(re.compile(r"\b0 .*of 25"))
    check(page, "journey20-1-dashboard-before")

    # When she sets Acacia's private check-in contact and sends an invitation from the service list
    page.goto(f"{base}/admin/directory/service/{acacia.pk}/change/")
    contact = page.locator("#checkin_contact-0")
    contact.get_by_label("Name").fill("Pat Example")
    contact.get_by_label("Email").fill("pat@example.org")
    page.locator("input[name=_continue]").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    page.goto(f"{base}/admin/directory/service/")
    page.locator("#result_list tbody tr").filter(has=page.get_by_role("link", name="Acacia", exact=True)) \
        .locator("input.action-select").check()
    page.locator("select[name=action]").select_option("send_checkin_invitations")
    page.locator("button[name=index]").click()
    expect(page.get_by_text("1 invitation sent.")).to_be_visible()
    check(page, "journey20-2-invitation-sent")
    (message,) = mail.outbox
    assert message.to == ["pat@example.org"]
    (link,) = re.findall(re.escape(base) + r"/check/[A-Za-z0-9_-]{43}/", message.body)

    # Then Pat, at Acacia, opens the link on her phone
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto(link)
    expect(page.get_by_role("heading", name="Check your service's entry")).to_be_visible()
    check(page, "journey20-3-checkin-page")

    # And marks the phone number and website still right, and changes who the service is for
    page.locator(".app-fact", has=page.get_by_role("group", name="Phone")).get_by_label("Still right").check()
    page.locator(".app-fact", has=page.get_by_role("group", name="Website")).get_by_label("Still right").check()
    who_for = page.locator(".app-fact", has=page.locator("legend", has_text="Parents and carers")).first
    who_for.get_by_label("Change this").check()
    page.locator("#id_eligibility-new").fill(WHO_FOR)

    # And says her Tuesday session now ends at 12:00, and adds a new one, online, on today's weekday
    group = page.locator(".app-fact", has=page.locator("legend", has_text="Journey test group")).first
    expect(group).to_contain_text("Tuesdays 10:00 to 11:30")
    group.get_by_label("Change this").check()
    page.locator(f"#id_session{tuesdays.pk}-ends").fill("12:00")
    page.locator("#id_newsession-title").fill(NEW_SESSION)
    today = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][timezone.localdate().weekday()]
    page.locator(f"input[name='newsession-days'][value='{today}']").check()
    page.locator("#id_newsession-starts").fill("09:30")
    page.locator("#id_newsession-ends").fill("23:30")
    page.locator("#id_newsession-where").select_option("online")

    # And completes the self-audit: no referrals in pregnancy; she would like the IMHSG's advice
    page.get_by_role("group", name="Do you accept referrals for babies under two?").get_by_label("Yes", exact=True).check()
    page.get_by_role("group", name="Do you accept referrals during pregnancy?").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Can families have an interpreter?").get_by_label("Yes", exact=True).check()
    page.get_by_role("group", name=re.compile("Would you like advice from the IMHSG")).get_by_label("Yes", exact=True).check()

    # And writes a description for parents, with the reading-ease hint following her words
    page.locator("#id_parent_description-new").fill(FOR_PARENTS)
    expect(page.locator("#reading-ease")).to_contain_text("Very easy to read")
    page.get_by_label("Your name").fill("Pat Example")
    check(page, "journey20-4-checkin-filled")
    page.get_by_role("button", name="Send to the IMHSG").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    check(page, "journey20-5-thanks")

    # Then one change waits for approval, from the service, and nothing public has changed yet
    change = PendingChange.objects.get(service=acacia, status=ChangeStatus.PENDING)
    assert change.submitted_by is None and change.invitation.email == "pat@example.org"
    page.goto(f"{base}/services/acacia/")
    expect(page.get_by_text(WHO_FOR)).to_have_count(0)
    expect(page.get_by_text("Checked by the service on").first).to_be_visible()  # "still right" shows at once

    # When Ellie opens the queue, reads the diff and approves it
    page.set_viewport_size(DESKTOP)
    sign_in(page, base, "ellie")
    page.goto(f"{base}/admin/curation/")
    dashboard_row(page, "Proposed changes waiting for approval").get_by_role("link").click()
    page.get_by_role("link", name="Review").click()
    expect(page.get_by_text("Pat Example for the service (check-in)").first).to_be_visible()
    diff = page.locator("#proposed-changes")
    expect(diff).to_contain_text(WHO_FOR)
    expect(diff).to_contain_text(FOR_PARENTS)
    expect(diff).to_contain_text(NEW_SESSION)
    check(page, "journey20-6-review")
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Approved: Acacia now shows the change.")).to_be_visible()

    # Then the practitioners' page and the parents' page show the change and the service's check
    page.goto(f"{base}/services/acacia/")
    expect(page.get_by_text(WHO_FOR)).to_be_visible()
    expect(page.get_by_text("Checked by the service on").first).to_be_visible()
    check(page, "journey20-7-service-page")
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/parents/services/acacia/")
    expect(page.get_by_text(FOR_PARENTS)).to_be_visible()
    expect(page.get_by_text("Checked by the service on").first).to_be_visible()
    check(page, "journey20-8-parents-page")

    # And the corrected session reads 10:00 to 12:00, and the new one is on the what's-on page
    expect(page.get_by_text("Tuesdays 10:00 to 12:00").first).to_be_visible()
    page.goto(f"{base}/parents/whats-on/")
    expect(page.get_by_text(NEW_SESSION).first).to_be_visible()
    check(page, "journey20-8b-whats-on")

    # And the self-audit report lists Acacia's barriers, in words
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/admin/curation/")
    expect(dashboard_row(page, "within 12 months")).to_contain_text(re.compile(r"\b1 .*of 25"))
    check(page, "journey20-9-dashboard-after")
    page.get_by_role("link", name="Self-audit report").click()
    row = page.locator("tr").filter(has=page.get_by_role("link", name="Acacia", exact=True)).first
    expect(row).to_contain_text("Pregnancy excluded")
    expect(row).to_contain_text("Asked for advice")
    expect(row).not_to_contain_text("Babies under two excluded")
    check(page, "journey20-10-report")
    audit = SelfAudit.objects.get(service=acacia)
    assert (audit.excludes_pregnancy, audit.wants_advice, audit.excludes_under_twos) == (True, True, False)
