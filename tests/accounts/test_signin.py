"""Issue 18, item 5: sign-in that cannot be worn down (docs/adr/0015-sign-in-locks-and-enrolment-links.md).

Locks: wrong passwords are counted for the account from that address, for the address across
accounts, and for the account across addresses; a sign-in clears only its own account's failures
from its own address. Two-factor enrolment needs a one-time link as well as the password, and the
set-up key is shown once.
"""
import base64
import re
import time
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
PASSWORD = "a-long-password-for-tests"
HOME = "203.0.113.5"        # the curator's own address
ATTACKER = "198.51.100.66"


def sign_in(client, username, password, ip=HOME):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


def signed_in(response):
    return response.status_code == 302


def guesses(client, username, count, ip):
    """`count` wrong passwords, each from a fresh client (an attacker keeps no session)."""
    return [sign_in(client, username, f"wrong-{n}", ip=ip).status_code for n in range(count)]


# --- Failures are counted per account and per address ---------------------------------------

def test_signing_in_to_another_account_does_not_wear_the_lock_down(client, imhsg_editor, viewer, settings):
    """The reproduction: 4 wrong passwords for one account, then 1 right one for another, repeated."""
    let_through, other_sign_ins = 0, []
    for _ in range(4):
        for status in guesses(client, "ellie", settings.AXES_FAILURE_LIMIT - 1, ATTACKER):
            let_through += status == 200  # 200: the password was checked and refused; 429: locked
        other_sign_ins.append(signed_in(sign_in(client, "vic", PASSWORD, ip=ATTACKER)))
        client.logout()
    assert other_sign_ins[0], "the other account's sign-in itself worked"
    assert let_through == settings.AXES_FAILURE_LIMIT - 1, "only the limit's worth of guesses is checked"
    assert sign_in(client, "ellie", PASSWORD, ip=ATTACKER).status_code == 429


def test_a_sign_in_clears_only_its_own_accounts_failures_from_its_own_address(client, imhsg_editor, viewer):
    guesses(client, "ellie", 3, ATTACKER)
    guesses(client, "vic", 2, ATTACKER)
    guesses(client, "vic", 2, HOME)
    assert signed_in(sign_in(client, "vic", PASSWORD, ip=ATTACKER))
    left = {(a.username, a.ip_address): a.failures_since_start for a in AccessAttempt.objects.all()}
    assert left == {("ellie", ATTACKER): 3, ("vic", HOME): 2}


def test_the_fifth_wrong_password_locks_the_account_from_that_address_only(client, imhsg_editor, settings):
    statuses = guesses(client, "ellie", settings.AXES_FAILURE_LIMIT, ATTACKER)
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = sign_in(client, "ellie", PASSWORD, ip=ATTACKER)
    assert locked.status_code == 429 and "Sign-in is locked for now" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # The attacker locked only themselves out: Ellie signs in from her own address.
    assert signed_in(sign_in(client, "ellie", PASSWORD, ip=HOME))


def test_one_address_guessing_many_accounts_is_locked_for_every_account(client, imhsg_editor, settings):
    for n in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"nobody{n}", "wrong", ip=ATTACKER)
    assert sign_in(client, "ellie", PASSWORD, ip=ATTACKER).status_code == 429
    assert signed_in(sign_in(client, "ellie", PASSWORD, ip=HOME))


def test_the_address_limit_locks_at_the_failure_that_reaches_it(client, settings):
    statuses = [sign_in(client, f"nobody{n}", "wrong", ip=ATTACKER).status_code
                for n in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}


def test_guessing_one_account_from_many_addresses_locks_it_except_from_where_it_signed_in_before(
        client, imhsg_editor, settings):
    assert signed_in(sign_in(client, "ellie", PASSWORD, ip=HOME))
    client.logout()
    addresses = [f"198.51.100.{n}" for n in range(10, 10 + settings.SIGNIN_ACCOUNT_FAILURE_LIMIT)]
    for address in addresses[:settings.SIGNIN_ACCOUNT_FAILURE_LIMIT // (settings.AXES_FAILURE_LIMIT - 1) + 1]:
        guesses(client, "ellie", settings.AXES_FAILURE_LIMIT - 1, address)
    # The account is locked from an address it never signed in from...
    assert sign_in(client, "ellie", PASSWORD, ip="192.0.2.200").status_code == 429
    # ...but an attacker cannot lock the curator out where she works.
    assert signed_in(sign_in(client, "ellie", PASSWORD, ip=HOME))


# --- Unlocking --------------------------------------------------------------------------------

ATTEMPTS = "admin:axes_accessattempt_changelist"


def unlock_all(client):
    return client.post(reverse(ATTEMPTS), {"action": "unlock",
                                           "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True))})


def test_an_imhsg_editor_sees_who_is_locked_and_unlocks_them(client, imhsg_editor, viewer, settings):
    guesses(client, "vic", settings.AXES_FAILURE_LIMIT, HOME)
    assert sign_in(client, "vic", PASSWORD, ip=HOME).status_code == 429
    client.force_login(imhsg_editor)
    listing = client.get(reverse(ATTEMPTS))
    assert listing.status_code == 200
    assert "Locked: this account from this address" in listing.content.decode()
    response = unlock_all(client)
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    client.logout()
    assert signed_in(sign_in(client, "vic", PASSWORD, ip=HOME))


def test_the_list_says_when_a_whole_address_is_locked(client, imhsg_editor, settings):
    for n in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"nobody{n}", "wrong", ip=ATTACKER)
    client.force_login(imhsg_editor)
    assert "Locked: every account from this address" in client.get(reverse(ATTEMPTS)).content.decode()


@pytest.mark.parametrize("role", ["viewer", "acacia_editor"])
def test_viewers_and_organisation_editors_cannot_unlock(client, imhsg_editor, role, request, settings):
    guesses(client, "ellie", settings.AXES_FAILURE_LIMIT, HOME)
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse(ATTEMPTS)).status_code == 403
    assert unlock_all(client).status_code == 403
    assert AccessAttempt.objects.filter(username="ellie").exists()
    client.logout()
    assert sign_in(client, "ellie", PASSWORD, ip=HOME).status_code == 429


# --- Two-factor enrolment needs a one-time link ---------------------------------------------

SETUP = "/admin/2fa/setup/"
ISSUE = "/admin/enrolment-links/"


def code_for(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def shown_key(response):
    """The key as the set-up page shows it (spaces removed), or None."""
    found = re.search(r"<code>([A-Z2-7 ]+)</code>", response.content.decode())
    return found.group(1).replace(" ", "") if found else None


def device_key(device):
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def link_made_hours_ago(user, hours, monkeypatch):
    now = time.time()
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: now - hours * 3600)
        return enrolment.link_path(user)


@override_settings(REQUIRE_2FA=True)
def test_without_a_link_the_set_up_page_says_whom_to_ask_and_enrols_nothing(client, imhsg_editor):
    assert signed_in(sign_in(client, "ellie", PASSWORD))
    page = client.get(SETUP)
    text = page.content.decode()
    assert page.status_code == 200 and "ask an IMHSG editor or a superuser" in text
    assert "app-qr" not in text and shown_key(page) is None
    client.post(SETUP, {"code": "123456"})
    assert not TOTPDevice.objects.filter(user=imhsg_editor).exists()
    assert client.get("/admin/")["Location"].startswith(SETUP)


@override_settings(REQUIRE_2FA=True)
def test_a_link_lets_its_person_enrol_once(client, imhsg_editor):
    link = enrolment.link_path(imhsg_editor)
    assert signed_in(sign_in(client, "ellie", PASSWORD))
    assert client.get(link)["Location"] == SETUP
    page = client.get(SETUP)
    device = TOTPDevice.objects.get(user=imhsg_editor, confirmed=False)
    assert shown_key(page) == device_key(device)
    assert client.post(SETUP, {"code": code_for(device)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Opened again, by her or anyone signed in as her, the link does nothing.
    again = client.get(link)
    assert again.status_code == 400 and "already been used" in again.content.decode()
    other = Client()
    other.force_login(imhsg_editor)
    assert other.get(link).status_code == 400
    assert list(TOTPDevice.objects.filter(user=imhsg_editor).values_list("pk", "confirmed")) == [(device.pk, True)]


def test_an_opened_link_is_spent_even_before_the_app_is_set_up(client, imhsg_editor):
    link = enrolment.link_path(imhsg_editor)
    client.force_login(imhsg_editor)
    client.get(link)
    later = Client()
    later.force_login(imhsg_editor)
    assert later.get(link).status_code == 400
    assert "set-up link" in later.get(SETUP).content.decode() and shown_key(later.get(SETUP)) is None


def test_a_link_expires(client, imhsg_editor, monkeypatch, settings):
    client.force_login(imhsg_editor)
    stale = link_made_hours_ago(imhsg_editor, settings.ENROLMENT_LINK_HOURS + 1, monkeypatch)
    response = client.get(stale)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=imhsg_editor).exists()
    fresh_enough = link_made_hours_ago(imhsg_editor, settings.ENROLMENT_LINK_HOURS - 1, monkeypatch)
    assert client.get(fresh_enough)["Location"] == SETUP


def test_a_link_cannot_be_used_for_another_account(client, imhsg_editor, viewer):
    link = enrolment.link_path(imhsg_editor)
    client.force_login(viewer)
    response = client.get(link)
    assert response.status_code == 400 and "made for another account" in response.content.decode()
    assert shown_key(client.get(SETUP)) is None
    assert not TOTPDevice.objects.exists()
    # Not spent: Ellie can still use it.
    client.force_login(imhsg_editor)
    assert client.get(link)["Location"] == SETUP


def test_a_broken_link_says_so(client, imhsg_editor):
    client.force_login(imhsg_editor)
    link = enrolment.link_path(imhsg_editor)
    response = client.get(link[:-6] + "xxxxx/")
    assert response.status_code == 400 and "not complete" in response.content.decode()
    assert not TOTPDevice.objects.exists()


def test_opening_a_link_before_signing_in_asks_for_the_password_first(client, imhsg_editor):
    link = enrolment.link_path(imhsg_editor)
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not TOTPDevice.objects.exists()
    # The sign-in then comes back to the link.
    assert sign_in_to(client, response["Location"])["Location"] == link


def sign_in_to(client, login_url):
    return client.post(login_url, {"username": "ellie", "password": PASSWORD}, REMOTE_ADDR=HOME)


def test_the_key_is_never_shown_twice(client, imhsg_editor):
    client.force_login(imhsg_editor)
    client.get(enrolment.link_path(imhsg_editor))
    first = client.get(SETUP)
    first_key = shown_key(first)
    assert first_key and "no-store" in first["Cache-Control"]
    first_device = TOTPDevice.objects.get(user=imhsg_editor)
    # A second visit shows a new key, and the first no longer works.
    second_key = shown_key(client.get(SETUP))
    assert second_key and second_key != first_key
    assert not TOTPDevice.objects.filter(pk=first_device.pk).exists()
    refused = client.post(SETUP, {"code": code_for(first_device)})
    assert refused.status_code == 200 and "not right" in refused.content.decode()
    # A wrong code brings back the code box only, never the key.
    assert shown_key(refused) is None and "app-qr" not in refused.content.decode()
    assert "show a new key" in refused.content.decode()


# --- Issuing links ---------------------------------------------------------------------------

def test_an_imhsg_editor_makes_a_link_for_a_member_of_staff_shown_once(client, imhsg_editor, viewer, settings):
    settings.SITE_URL = "https://directory.example.org"
    client.force_login(imhsg_editor)
    form = client.get(ISSUE)
    assert form.status_code == 200 and f'value="{viewer.pk}"' in form.content.decode()
    made = client.post(ISSUE, {"member": viewer.pk})
    # The site's public address (SITE_URL), not the host the request came in on.
    link = re.search(r'>' + re.escape(settings.SITE_URL) + r'(/admin/2fa/enrol/[^<]+)</textarea>',
                     made.content.decode()).group(1)
    assert LogEntry.objects.filter(object_id=str(viewer.pk), change_message="Issued a two-factor set-up link",
                                   user=imhsg_editor).exists()
    assert link not in client.get(ISSUE).content.decode()  # not shown again
    client.force_login(viewer)
    assert client.get(link)["Location"] == SETUP
    assert shown_key(client.get(SETUP))


def test_a_link_can_be_e_mailed_instead(client, imhsg_editor, viewer, mailoutbox, settings):
    settings.SITE_URL = "https://directory.example.org"
    client.force_login(imhsg_editor)
    response = client.post(ISSUE, {"member": viewer.pk, "by_email": "on"})
    assert "on its way" in response.content.decode() and "/admin/2fa/enrol/" not in response.content.decode()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["vic@example.org"]
    assert "testserver" not in mailoutbox[0].body and "127.0.0.1" not in mailoutbox[0].body
    link = re.search(re.escape(settings.SITE_URL) + r"(/admin/2fa/enrol/\S+)", mailoutbox[0].body).group(1)
    client.force_login(viewer)
    assert client.get(link)["Location"] == SETUP


def test_only_a_superuser_makes_a_link_for_a_superuser(client, imhsg_editor, django_user_model):
    root = django_user_model.objects.create_superuser("sam", "sam@example.org", PASSWORD)
    client.force_login(imhsg_editor)
    response = client.post(ISSUE, {"member": root.pk})
    assert response.status_code == 200 and "/admin/2fa/enrol/" not in response.content.decode()
    assert "Select a valid choice" in response.content.decode()
    other = django_user_model.objects.create_superuser("sue", "sue@example.org", PASSWORD)
    client.force_login(other)
    assert "/admin/2fa/enrol/" in client.post(ISSUE, {"member": root.pk}).content.decode()


def test_no_link_for_someone_who_has_set_up_two_factor(client, imhsg_editor, viewer, acacia_editor):
    TOTPDevice.objects.create(user=viewer, name="phone", confirmed=True)
    client.force_login(imhsg_editor)
    form = client.get(ISSUE)
    assert form.status_code == 200
    assert f'value="{acacia_editor.pk}"' in form.content.decode()  # the list is there, without her
    assert f'value="{viewer.pk}"' not in form.content.decode()
    refused = client.post(ISSUE, {"member": viewer.pk})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert "/admin/2fa/enrol/" not in refused.content.decode()


@pytest.mark.parametrize("role", ["viewer", "acacia_editor"])
def test_viewers_and_organisation_editors_cannot_make_links(client, role, request, imhsg_editor):
    client.force_login(request.getfixturevalue(role))
    assert client.get(ISSUE).status_code == 403
    assert client.post(ISSUE, {"member": imhsg_editor.pk}).status_code == 403


@override_settings(REQUIRE_2FA=True)
def test_making_a_link_needs_a_confirmed_code(client, imhsg_editor, viewer):
    assert signed_in(sign_in(client, "ellie", PASSWORD))
    response = client.post(ISSUE, {"member": viewer.pk})
    assert response.status_code == 302 and response["Location"].startswith(SETUP)


# --- The operator's command (the first superuser's way in) -------------------------------------

def test_the_command_prints_a_link_for_the_first_superuser(client, django_user_model, settings):
    root = django_user_model.objects.create_superuser("sam", "sam@example.org", PASSWORD)
    out = StringIO()
    call_command("enrolment_link", "sam", stdout=out)
    link = out.getvalue().splitlines()[0]
    assert link.startswith(settings.SITE_URL + "/admin/2fa/enrol/")
    client.force_login(root)
    assert client.get(link.removeprefix(settings.SITE_URL))["Location"] == SETUP


def test_the_command_refuses_unknown_accounts_and_accounts_that_have_set_up(django_user_model):
    with pytest.raises(CommandError, match="No account"):
        call_command("enrolment_link", "nobody")
    root = django_user_model.objects.create_superuser("sam", "sam@example.org", PASSWORD)
    TOTPDevice.objects.create(user=root, name="lost phone", confirmed=True)
    with pytest.raises(CommandError, match="already set up"):
        call_command("enrolment_link", "sam")
    call_command("enrolment_link", "sam", "--replace-lost-device", stdout=StringIO())
    assert not TOTPDevice.objects.filter(user=root).exists()


def test_the_new_pages_have_the_policy_and_nothing_inline(client, imhsg_editor, viewer):
    from tests.test_csp import INLINE_HANDLER, INLINE_SCRIPT, INLINE_STYLE, assert_strict

    client.force_login(imhsg_editor)
    pages = [client.get(ISSUE), client.post(ISSUE, {"member": viewer.pk}), client.get(reverse(ATTEMPTS)),
             client.get(SETUP), client.get(enrolment.link_path(viewer))]
    client.get(enrolment.link_path(imhsg_editor))
    pages.append(client.get(SETUP))
    # Each page itself: the link made for Vic is refused to Ellie with a page of its own (400).
    assert [response.status_code for response in pages] == [200, 200, 200, 200, 400, 200]
    assert shown_key(pages[-1])  # the set-up page with its key, not the page that asks for a link
    for response in pages:
        html = response.content.decode()
        assert_strict(response, response.request["PATH_INFO"])
        assert not (INLINE_SCRIPT.search(html) or INLINE_HANDLER.search(html) or INLINE_STYLE.search(html))


def test_a_mail_server_that_is_away_gives_a_clear_message_not_an_error(client, imhsg_editor, viewer, monkeypatch):
    import smtplib

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("accounts.views.send_mail", refuse)
    client.force_login(imhsg_editor)
    response = client.post(ISSUE, {"member": viewer.pk, "by_email": "on"})
    assert response.status_code == 200 and "could not be sent" in response.content.decode()
    assert not LogEntry.objects.filter(change_message="Issued a two-factor set-up link").exists()
