"""When a service is due for review: the one rule behind the dashboard's counts, the admin's
"review" filter and the owners' reminder e-mails (send_review_reminders), so the three always
list the same services.

A service is overdue on and after its `next_review_due` date, and due soon in the
DUE_SOON_DAYS after today; checking it ("Mark as checked today") sets the next date a year on.
"""
from datetime import timedelta

from django.db.models import Q

DUE_SOON_DAYS = 30
REVIEW_INTERVAL = timedelta(days=365)
DUE_SOON_TEXT = f"Due in the next {DUE_SOON_DAYS} days"


def overdue_q(today):
    return Q(next_review_due__lte=today)


def due_soon_q(today):
    """Not overdue yet, but due within DUE_SOON_DAYS."""
    return Q(next_review_due__gt=today, next_review_due__lte=today + timedelta(days=DUE_SOON_DAYS))


def to_review_q(today):
    """Overdue or due soon: what a reminder lists."""
    return overdue_q(today) | due_soon_q(today)


def is_overdue(service, today):
    return service.next_review_due is not None and service.next_review_due <= today


def next_review_after(checked_on):
    return checked_on + REVIEW_INTERVAL
