from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from directory.curation.review import DUE_SOON_DAYS, DUE_SOON_TEXT, is_overdue, to_review_q
from directory.models import ReminderSent, Service, Status


def digest(services, today):
    """The e-mail text for one owner: overdue first, then due soon (directory/curation/review.py)."""
    overdue = [s for s in services if is_overdue(s, today)]
    soon = [s for s in services if not is_overdue(s, today)]
    lines = ["Services you keep up to date in the Birmingham parent-infant support directory:", ""]
    for title, group in (("Overdue for review", overdue), (DUE_SOON_TEXT, soon)):
        if group:
            lines.append(f"{title}:")
            lines += [f"- {s.name} (due {s.next_review_due:%d %B %Y}): "
                      f"{settings.SITE_URL}{reverse('admin:directory_service_change', args=[s.pk])}" for s in group]
            lines.append("")
    lines.append("Check each entry with the service, update it, and use 'Mark as checked today'.")
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        f"E-mail each service owner one digest of their services that are overdue for review or due within "
        f"{DUE_SOON_DAYS} days (archived services are left out). Idempotent per day: nobody gets two digests on "
        "the same day, so it is safe to run more than once. Run it daily, e.g. from cron: "
        "'0 7 * * * cd /app && python manage.py send_review_reminders'. Uses Django's e-mail settings "
        "(the console backend unless EMAIL_BACKEND is set)."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        due = (Service.objects.exclude(status=Status.ARCHIVED)
               .filter(to_review_q(today))
               .select_related("owner").order_by("next_review_due", "name"))
        by_owner, unowned = defaultdict(list), 0
        for service in due:
            if service.owner_id and service.owner.is_active:
                by_owner[service.owner].append(service)
            else:
                unowned += 1
        sent = already = no_email = 0
        for owner, services in by_owner.items():
            if not owner.email:
                no_email += 1
                continue
            try:
                with transaction.atomic():
                    # Recorded first: if two runs race, the unique constraint lets only one send.
                    ReminderSent.objects.create(user=owner, sent_on=today, services=len(services))
                    send_mail(f"{len(services)} directory entries to review", digest(services, today),
                              settings.DEFAULT_FROM_EMAIL, [owner.email])
            except IntegrityError:
                already += 1
                continue
            sent += 1
        self.stdout.write(f"{sent} digests sent; {already} owners already reminded today; "
                          f"{no_email} owners without an e-mail address; {unowned} due services without an owner.")
