"""The tables behind services checking their own entries (issue 20): who to ask at each service
(`CheckInContact`, private), the personal links sent to them (`CheckInInvitation`), and what
they answered (`SelfAudit`). The rules are in directory/checkins/."""
from django.conf import settings
from django.db import models
from django.utils import timezone


class CheckInContact(models.Model):
    """The person at a service the IMHSG asks to check its entry. Private: never on a public
    page, in the API or in the public CSV (public selectors name the fields they show; the
    leak tests look for these values). Kept out of `Service` so that no form, history entry,
    proposal or export of a service carries it by accident."""

    service = models.OneToOneField("directory.Service", on_delete=models.CASCADE, related_name="checkin_contact")
    name = models.CharField(max_length=200, help_text="Who at the service checks its entry.")
    email = models.EmailField(help_text="Where the invitation to check the entry is sent. Never shown publicly.")
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = "check-in contact"

    def __str__(self):
        return f"{self.name} for {self.service}"


class InvitationQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Not revoked and not expired: a link that still opens."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class CheckInInvitation(models.Model):
    """One personal link to one service's check-in page, sent to one contact.

    Only a hash of the token is stored (directory/checkins/tokens.py): a copy of the database
    opens no check-in page. The link is scoped to `service`, expires at `expires_at` and can
    be revoked; a forged, expired or revoked link gets the same 404 as an unknown one."""

    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="checkin_invitations")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField("sent to (name)", max_length=200)
    email = models.EmailField("sent to (e-mail)")
    created_at = models.DateTimeField("sent", default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    expires_at = models.DateTimeField("expires")
    revoked_at = models.DateTimeField("revoked", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    opened_at = models.DateTimeField("first opened", null=True, blank=True)
    answered_at = models.DateTimeField("last answered", null=True, blank=True)
    last_reminded_at = models.DateTimeField("last reminder", null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "check-in invitation"

    def __str__(self):
        return f"Invitation to {self.name} for {self.service} ({self.created_at:%-d %b %Y})"

    @property
    def is_usable(self):
        return self.revoked_at is None and self.expires_at > timezone.now()


class SelfAudit(models.Model):
    """One submission of the check-in page: the under-2s self-audit's answers (2a, 2d, 2e of the
    needs assessment) and the barriers they show, kept year on year. Answers that are
    directory facts also went into `pending_change`, moderated like any other proposal."""

    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="self_audits")
    invitation = models.ForeignKey(CheckInInvitation, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="self_audits")
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    answered_by = models.CharField("answered by", max_length=200, blank=True)
    answers = models.JSONField(default=dict, blank=True, help_text="Every answer, by question.")
    facts_still_right = models.JSONField(default=list, blank=True, help_text="The facts marked as still right.")
    pending_change = models.OneToOneField("directory.PendingChange", on_delete=models.SET_NULL, null=True,
                                          blank=True, related_name="self_audit")
    # The barriers the answers show (directory/checkins/barriers.py decides them at submission);
    # columns rather than a list so the report can filter and count them on SQLite and PostgreSQL.
    excludes_under_twos = models.BooleanField("babies under two excluded", default=False)
    excludes_pregnancy = models.BooleanField("pregnancy excluded", default=False)
    no_self_referral = models.BooleanField("no self-referral", default=False)
    no_community_venue = models.BooleanField("no community venue", default=False)
    not_free = models.BooleanField("not free", default=False)
    english_only = models.BooleanField("English only", default=False)
    wants_advice = models.BooleanField("asked the IMHSG for advice", default=False)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = "self-audit"

    def __str__(self):
        return f"Self-audit of {self.service} on {self.submitted_at:%-d %b %Y}"
