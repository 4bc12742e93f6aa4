"""Issue 20: an IMHSG editor sets a service's private check-in contact, sends an invitation from
the service list's action, and follows it in the invitations' list and on the dashboard. The
e-mail is captured (the live server runs in a thread of this process, so Django's test
outbox sees it), shown in the browser and checked like a page. Every page ends with an axe check."""
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from directory.checkins import tokens
from directory.models import CheckInContact, CheckInInvitation, Service
from tests.browser.steps import check, sign_in
from tests.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]






@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_imhsg_editor_sets_a_contact_and_sends_an_invitation(page, seeded_live_server, imhsg_editor,
                                                                 settings, size):
    settings.SITE_URL = "https://directory.example.org"
    ellie = imhsg_editor  # tests/conftest.py: Ellie, an IMHSG editor, who signs in below
    service = Service.objects.get(slug="acacia")
    base = seeded_live_server.url
    page.set_viewport_size(size)
    sign_in(page, seeded_live_server, "ellie")

    # She sets Acacia's check-in contact on the service's page.
    page.goto(f"{base}/admin/directory/service/{service.pk}/change/")
    contact = page.locator("#checkin_contact-group")
    expect(contact.get_by_role("heading", name="Check-in contact (private)", exact=True)).to_be_visible()
    contact.locator("#checkin_contact-0").get_by_label("Name").fill("Priya Example")
    contact.locator("#checkin_contact-0").get_by_label("Email").fill("priya@example.org")
    contact.scroll_into_view_if_needed()
    check(page, "invite-1-contact")
    page.locator("input[name=_continue]").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    saved = CheckInContact.objects.get(service=service)
    assert (saved.name, saved.email, saved.updated_by) == ("Priya Example", "priya@example.org", ellie)

    # She sends the invitation from the service list.
    page.goto(f"{base}/admin/directory/service/")
    page.locator("#result_list tbody tr").filter(has=page.get_by_role("link", name="Acacia", exact=True)) \
        .locator("input.action-select").check()
    page.locator("select[name=action]").select_option("send_checkin_invitations")
    page.locator("button[name=index]").click()
    expect(page.get_by_text("1 invitation sent.")).to_be_visible()
    check(page, "invite-2-sent")

    # The e-mail went to the contact, with a personal link on the site's public address.
    (message,) = mail.outbox
    assert message.to == ["priya@example.org"]
    (token,) = re.findall(r"https://directory\.example\.org/check/([A-Za-z0-9_-]{43})/", message.body)
    assert tokens.invitation_for(token).service == service
    html, _ = message.alternatives[0]
    page.goto("about:blank")  # not on the admin's origin, whose content security policy forbids the inline styles
    page.set_content(html)
    expect(page.get_by_role("link", name="Check Acacia's entry")).to_have_attribute(
        "href", f"https://directory.example.org/check/{token}/")
    check(page, "invite-3-email")

    # The invitations' list says it is waiting; the dashboard counts one contact set.
    page.goto(f"{base}/admin/directory/checkininvitation/")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Priya Example")
    expect(row).to_contain_text("Waiting")
    assert token not in page.content() and CheckInInvitation.objects.get().token_hash not in page.content()
    check(page, "invite-4-invitations")
    page.goto(f"{base}/admin/curation/")
    expect(page.locator("#curation-counts tr").filter(has_text="Services without a check-in contact")) \
        .to_contain_text("24")
    expect(page.locator("#curation-counts tr").filter(has_text="within 12 months")).to_contain_text(re.compile(r"0 .*of 25 published services"))
    check(page, "invite-5-dashboard")
