"""Issue 18, item 5: sign-in that cannot be worn down (docs/adr/0014-sign-in-locks-and-enrolment-links.md).

Locks: wrong passwords are counted for the account from that address, for the address across
accounts, and for the account across addresses; a sign-in clears only its own account's failures
from its own address. Two-factor enrolment needs a one-time link as well as the password, and the
set-up key is shown once.
"""
import pytest
from axes.models import AccessAttempt
from django.urls import reverse

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
