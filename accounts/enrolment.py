"""One-time links to set up two-factor sign-in (docs/adr/0015-sign-in-locks-and-enrolment-links.md).

A password alone no longer enrols an authenticator: an IMHSG editor or a superuser issues a link
for a named member of staff (or the operator runs `manage.py enrolment_link USERNAME`), and the
set-up page shows a key only in a session that has opened that link while signed in as that person.

The link keeps no state on the server. It is signed (SECRET_KEY, salted) and carries the account's
id, when it was made (it expires after ENROLMENT_LINK_HOURS) and a digest of the account's password
hash and two-factor devices. Opening the link replaces the account's unconfirmed device, which
changes that digest: the link then no longer works, so it works once, as Django's password-reset
tokens stop working once the password changes.
"""
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

SALT = "accounts.enrolment"
SESSION_KEY = "two_factor_enrolment"
ASK = "Ask an IMHSG editor or a superuser of the directory for a new one."


class LinkError(Exception):
    """The link cannot be used; the message says why and what to do, for the person who opened it."""


def _state(user):
    devices = list(TOTPDevice.objects.filter(user=user).order_by("pk").values_list("pk", "confirmed"))
    return salted_hmac(SALT, f"{user.pk}|{user.password}|{devices}", algorithm="sha256").hexdigest()[:32]


def has_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def link_path(user):
    """The path of a new link for `user` (prefix SITE_URL or the request's host to pass it on)."""
    token = signing.dumps({"u": user.pk, "s": _state(user)}, salt=SALT)
    return reverse("two-factor-enrol", args=[token])


def fresh_device(user):
    """A new unconfirmed device (a new key), replacing any earlier unconfirmed one."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def redeem(request, token):
    """Spend the link for the signed-in person and let this session set up an authenticator.
    Raises LinkError when the link is broken, expired, spent or someone else's."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(hours=settings.ENROLMENT_LINK_HOURS))
    except signing.SignatureExpired:
        raise LinkError(f"This set-up link has expired: links work for {settings.ENROLMENT_LINK_HOURS} hours. {ASK}")
    except signing.BadSignature:
        raise LinkError(f"This set-up link is not complete: copy the whole link into the address bar. {ASK}")
    if not isinstance(data, dict) or data.get("u") != request.user.pk:
        raise LinkError("This set-up link was made for another account. Log out, then sign in as the person it was "
                        "made for.")
    with transaction.atomic():
        # Two tabs opening the link at once: the row lock lets one spend it (PostgreSQL).
        user = get_user_model().objects.select_for_update().get(pk=request.user.pk)
        if not constant_time_compare(str(data.get("s", "")), _state(user)):
            raise LinkError(f"This set-up link has already been used, or your account has changed since it was made. {ASK}")
        fresh_device(user)
    request.session[SESSION_KEY] = user.pk


def may_enrol(request):
    """Has this session opened a valid link for the signed-in person?"""
    return request.session.get(SESSION_KEY) == request.user.pk


def finish(request):
    request.session.pop(SESSION_KEY, None)
