"""E-mails to a service about its check-in (issue 20): the reason a proposal it sent was
rejected. Connected from directory/apps.py to curation's `change_rejected` signal, because
curation does not import checkins."""
import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)


def rejection_text(change):
    invitation = change.invitation
    return (
        f"Dear {invitation.name},\n\n"
        f"Thank you for checking the entry for {change.service.name} in the {settings.SITE_NAME}.\n\n"
        f"The Birmingham Infant Mental Health Steering Group (IMHSG) could not use the changes you sent on "
        f"{change.submitted_at:%-d %B %Y}. The reason they gave:\n\n{change.reason}\n\n"
        "Facts you marked as still right are still shown as checked by the service. If you would like to send "
        "the changes again, use the link in your invitation while it lasts, or reply to this e-mail.\n\n"
        f"The directory: {settings.SITE_URL}/\n"
    )


def email_rejection(sender, change, **kwargs):
    """E-mail the service the reason its check-in proposal was rejected. A mail server that is
    away is logged, never an error for the editor (the rejection stands)."""
    if not change.from_the_service:
        return
    try:
        send_mail(f"Your changes to {change.service.name}: not used", rejection_text(change),
                  settings.DEFAULT_FROM_EMAIL, [change.invitation.email])
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not e-mail the rejection of proposed change %s", change.pk)


def connect_signals():
    from directory.curation.moderation import change_rejected

    change_rejected.connect(email_rejection, dispatch_uid="checkins-rejection-email")
