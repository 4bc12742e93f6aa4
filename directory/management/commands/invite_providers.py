from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from directory.checkins import invitations
from directory.models import Service


class Command(BaseCommand):
    help = (
        "Invite services to check their own entries (issue 20): e-mail each service's check-in contact one "
        "personal link. Say which services: --service SLUG (repeatable) or --due (published services due or "
        "overdue for review that have no link that still opens). --remind sends reminders to contacts who have "
        "not answered (at most one a week; run it daily from cron: "
        "'0 8 * * * cd /app && python manage.py invite_providers --remind'). --dry-run says who would be "
        "sent what and sends and writes nothing. A new invitation revokes the service's earlier link. "
        "Uses Django's e-mail settings (the console backend unless EMAIL_BACKEND is set)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--service", action="append", default=[], metavar="SLUG",
                            help="a service to invite, by its slug; repeat for more")
        parser.add_argument("--due", action="store_true",
                            help="every published service due or overdue for review without a live link")
        parser.add_argument("--remind", action="store_true",
                            help="remind contacts who have not answered (never more than once a week)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be sent; send and write nothing")

    def handle(self, *args, service, due, remind, dry_run, **options):
        if not (service or due or remind):
            # No accidental mass mail: nothing is sent unless the operator says to whom.
            raise CommandError("Say who to write to: --service SLUG (repeatable), --due (services due for review) "
                               "or --remind (reminders to those who have not answered). Add --dry-run to see "
                               "what would be sent first.")
        now = timezone.now()
        services = self.chosen(service, due)
        if services:
            self.invite(services, dry_run, now)
        elif service or due:
            self.stdout.write("No services to invite.")
        if remind:
            self.remind(dry_run, now)

    def chosen(self, slugs, due):
        found = {s.slug: s for s in Service.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in dict.fromkeys(slugs) if slug not in found]
        if unknown:
            raise CommandError(f"No service has the slug {', '.join(repr(s) for s in unknown)}; nothing was sent. "
                               "The slug is the last part of a service page's address (/services/<slug>/).")
        chosen = [found[slug] for slug in dict.fromkeys(slugs)]
        if due:
            chosen += [s for s in invitations.due_services() if s.slug not in found]
        return chosen

    def invite(self, services, dry_run, now):
        if dry_run:
            would = 0
            for service in services:
                contact = invitations.contact_of(service)
                reason = invitations.reason_not_to_invite(service, contact)
                if reason:
                    self.stdout.write(f"Would skip {service.name} ({service.slug}): {reason}.")
                    continue
                would += 1
                self.stdout.write(f"Would send {contact.name} <{contact.email}> an invitation to check "
                                  f"{service.name} ({service.slug}), with a link that opens until "
                                  f"{timezone.localtime(invitations.tokens.expiry(now)):%-d %B %Y}.")
            self.stdout.write(f"Dry run: {would} invitation{'' if would == 1 else 's'} would be sent; nothing "
                              "was sent or written.")
            return
        outcomes = invitations.invite_many(services=services, sent_by=None, now=now)
        for outcome in outcomes:
            if outcome.skipped:
                self.stdout.write(f"Skipped {outcome.service.name} ({outcome.service.slug}): {outcome.skipped}.")
            else:
                self.stdout.write(f"Sent {outcome.invitation.name} <{outcome.invitation.email}> an invitation to "
                                  f"check {outcome.service.name}.")
        self.stdout.write(invitations.summary(outcomes))

    def remind(self, dry_run, now):
        if dry_run:
            due = list(invitations.due_reminders(now))
            for invitation in due:
                self.stdout.write(f"Would remind {invitation.name} <{invitation.email}> to check "
                                  f"{invitation.service.name} (reminders so far: {invitation.reminders_sent}).")
            self.stdout.write(f"Dry run: {len(due)} reminder{'' if len(due) == 1 else 's'} would be sent; nothing "
                              "was sent or written.")
            return
        reminded = invitations.remind_due(now)
        for invitation in reminded:
            self.stdout.write(f"Reminded {invitation.name} <{invitation.email}> to check {invitation.service.name}.")
        self.stdout.write(f"{len(reminded)} reminder{'' if len(reminded) == 1 else 's'} sent.")
