"""Inviting services to check their own entries (issue 20): the invitation e-mail with its
personal link, reminders to those who have not answered, and the state of an invitation in words.

One live link per service. `invite` revokes every earlier usable invitation of the same service
before it makes the new one, so a service never has two links that open its check-in page (an
old e-mail forwarded around stops working the moment a new one is sent).

Reminders carry a fresh link. Only a hash of a token is stored (directory/checkins/tokens.py),
so the original link cannot be put in a reminder; `remind` makes a new token for the *same*
invitation, replaces the stored hash with the new one's and keeps the expiry unchanged. The
link in the first e-mail stops working; the reminder's works until the same date.

Everything that writes takes `now` so tests travel in time instead of sleeping.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from directory.checkins import tokens
from directory.curation.review import to_review_q
from directory.models import CheckInContact, CheckInInvitation, Service, Status

# However small CHECKIN_REMINDER_DAYS is set, nobody gets more than one reminder a week (issue 20).
MIN_REMINDER_INTERVAL = timedelta(days=7)
MINUTES_TO_CHECK = "about 15 minutes"


class CannotInvite(Exception):
    """The service cannot be invited; the message says why, in words for the curator."""


# --- The link -----------------------------------------------------------------------------------

def link_path(token):
    """The check-in page's path for `token`: the URL named checkins:check once that page exists,
    '/check/<token>/' (its planned address) until then. The only place that builds it."""
    try:
        return reverse("checkins:check", args=[token])
    except NoReverseMatch:
        return f"/check/{token}/"


def link(token):
    """The personal link in an e-mail: the site's configured public address (SITE_URL), never the
    address of whatever request happened to send it."""
    return settings.SITE_URL.rstrip("/") + link_path(token)


# --- Who can be invited -------------------------------------------------------------------------

def reason_not_to_invite(service, contact):
    """Why `service` cannot be invited (words), or None when it can."""
    if service.status != Status.PUBLISHED:
        return "not published"
    if contact is None:
        return "no check-in contact"
    return None


def contact_of(service):
    return CheckInContact.objects.filter(service=service).first()


def due_services(today=None):
    """Published services due or overdue for review (directory/curation/review.py's rule, the same
    as the dashboard's and the review reminders'), without those that already have a link that
    still opens: `--due` run every day must not send a new link (and revoke the last) every day."""
    today = today or timezone.localdate()
    now = timezone.now()
    live_links = CheckInInvitation.objects.usable(now).values("service")
    return (Service.objects.filter(status=Status.PUBLISHED).filter(to_review_q(today))
            .exclude(pk__in=live_links).order_by("next_review_due", "name"))


# --- The e-mails --------------------------------------------------------------------------------

def _send(*, template, subject, invitation, token, contact_name):
    context = {
        "name": contact_name,
        "service": invitation.service,
        "link": link(token),
        "expires": timezone.localtime(invitation.expires_at),
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL.rstrip("/"),
        "questions_to": settings.DEFAULT_FROM_EMAIL,
        "minutes": MINUTES_TO_CHECK,
        "reminders_sent": invitation.reminders_sent,
    }
    text = render_to_string(f"checkins/email/{template}.txt", context)
    html = render_to_string(f"checkins/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    message.attach_alternative(html, "text/html")
    return message.send() == 1


def invitation_subject(service):
    return f"Please check {service.name}'s entry in the {settings.SITE_NAME}"


def reminder_subject(service):
    return f"Reminder: please check {service.name}'s entry in the {settings.SITE_NAME}"


# --- Inviting -----------------------------------------------------------------------------------

def invite(*, service, sent_by, now=None):
    """Send the service's check-in contact one e-mail with a new personal link.

    Returns (invitation, sent): `sent` is whether the e-mail backend accepted the message.
    Raises CannotInvite (with the reason in words) when the service is not published or has no
    check-in contact. Revokes the service's earlier usable invitations first: one live link per
    service. All or nothing: if the e-mail cannot be sent, the new invitation and the revocation
    are rolled back and the error is raised."""
    now = now or timezone.now()
    contact = contact_of(service)
    reason = reason_not_to_invite(service, contact)
    if reason:
        raise CannotInvite(reason)
    with transaction.atomic():
        tokens.revoke(invitations=CheckInInvitation.objects.usable(now).filter(service=service),
                      revoked_by=sent_by, now=now)
        invitation, token = tokens.create_invitation(service=service, name=contact.name, email=contact.email,
                                                     created_by=sent_by, now=now)
        sent = _send(template="invitation", subject=invitation_subject(service), invitation=invitation,
                     token=token, contact_name=contact.name)
    return invitation, sent


@dataclass
class Outcome:
    """What happened to one service of a batch: sent, skipped (with a reason) or failed."""

    service: Service
    invitation: CheckInInvitation = None
    skipped: str = ""


def invite_many(*, services, sent_by, now=None):
    """`invite` each service; one that cannot be invited is skipped with its reason, the rest go on."""
    outcomes = []
    for service in services:
        try:
            invitation, sent = invite(service=service, sent_by=sent_by, now=now)
        except CannotInvite as reason:
            outcomes.append(Outcome(service, skipped=str(reason)))
            continue
        outcomes.append(Outcome(service, invitation=invitation,
                                skipped="" if sent else "the e-mail backend did not accept the message"))
    return outcomes


def summary(outcomes):
    """'2 invitations sent. Skipped: Acacia (no check-in contact).' for a message or a command."""
    sent = [o for o in outcomes if o.invitation and not o.skipped]
    skipped = [o for o in outcomes if o.skipped]
    text = f"{len(sent)} invitation{'' if len(sent) == 1 else 's'} sent."
    if skipped:
        text += " Skipped: " + "; ".join(f"{o.service.name} ({o.skipped})" for o in skipped) + "."
    return text


# --- Reminders ----------------------------------------------------------------------------------

def reminder_interval():
    """CHECKIN_REMINDER_DAYS, but never less than a week."""
    return max(timedelta(days=settings.CHECKIN_REMINDER_DAYS), MIN_REMINDER_INTERVAL)


def due_reminders(now=None):
    """Invitations to remind now: not answered, still usable, for a published service, and sent
    (or last reminded) at least `reminder_interval()` ago."""
    now = now or timezone.now()
    cutoff = now - reminder_interval()
    return (CheckInInvitation.objects.usable(now).filter(answered_at__isnull=True, service__status=Status.PUBLISHED)
            .filter(Q(last_reminded_at__isnull=True, created_at__lte=cutoff) | Q(last_reminded_at__lte=cutoff))
            .select_related("service").order_by("created_at"))


def remind(*, invitation, now=None):
    """Send one reminder with a fresh link for the same invitation (the stored hash is replaced;
    the expiry stays). Returns whether it was sent; False when another run reminded it first.

    The row is updated only if it is still as it was read (same hash, same last reminder), so
    two runs at once send one reminder, not two."""
    now = now or timezone.now()
    token = tokens.new_token()
    with transaction.atomic():
        updated = CheckInInvitation.objects.filter(
            pk=invitation.pk, token_hash=invitation.token_hash, last_reminded_at=invitation.last_reminded_at,
            answered_at__isnull=True,
        ).update(token_hash=tokens.token_hash(token), last_reminded_at=now, reminders_sent=F("reminders_sent") + 1)
        if not updated:
            return False
        invitation.refresh_from_db()
        return _send(template="reminder", subject=reminder_subject(invitation.service), invitation=invitation,
                     token=token, contact_name=invitation.name)


def remind_due(now=None):
    """Remind every invitation that is due a reminder; returns the invitations reminded.
    Idempotent: run twice the same day, the second run finds none due."""
    now = now or timezone.now()
    return [invitation for invitation in due_reminders(now) if remind(invitation=invitation, now=now)]


# --- State in words -----------------------------------------------------------------------------

STATES = [("waiting", "Waiting"), ("opened", "Opened"), ("answered", "Answered"), ("expired", "Expired"),
          ("revoked", "Revoked")]


def state_q(state, now=None):
    """The invitations in `state`. An answered invitation is 'answered' even once revoked or
    expired (what matters is that the service answered); otherwise revoked, then expired, then
    opened or waiting."""
    now = now or timezone.now()
    not_answered = Q(answered_at__isnull=True)
    live = not_answered & Q(revoked_at__isnull=True) & Q(expires_at__gt=now)
    return {
        "answered": Q(answered_at__isnull=False),
        "revoked": not_answered & Q(revoked_at__isnull=False),
        "expired": not_answered & Q(revoked_at__isnull=True) & Q(expires_at__lte=now),
        "opened": live & Q(opened_at__isnull=False),
        "waiting": live & Q(opened_at__isnull=True),
    }[state]


def state_of(invitation, now=None):
    """The same rule as `state_q`, for one invitation already loaded."""
    now = now or timezone.now()
    if invitation.answered_at:
        return "answered"
    if invitation.revoked_at:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    return "opened" if invitation.opened_at else "waiting"
