"""The curation workflow's tables: proposed changes held for approval, and review reminders sent.
The rules are in directory/curation/ (roles.py, moderation.py)."""
from django.conf import settings
from django.db import models
from django.utils import timezone

class ChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Replaced by a newer proposal"


class PendingChange(models.Model):
    """A change to a published service proposed by an organisation editor, held until an
    IMHSG editor approves or rejects it. `changes` holds what it changes (the service's fields
    and its inline routes and venues), against what they said when it was proposed."""

    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="pending_changes")
    # Who proposed it: a curator or organisation editor (`submitted_by`), or the service itself
    # through its check-in link (`invitation`, issue 20; no account). Exactly one is set.
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    invitation = models.ForeignKey("directory.CheckInInvitation", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="pending_changes", verbose_name="check-in invitation")
    submitted_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(help_text="The submitted form, field name to list of values (kept as a record).")
    # What the author changed, field by field, each with the value it had when they made the
    # proposal (directory/curation/moderation.py). Approving applies only these fields; a field that has
    # changed since is a conflict for the approving editor to settle. Null on proposals made
    # before issue 18: they are read from `data` once, on review.
    changes = models.JSONField(null=True, blank=True, help_text="Per field: the value when proposed, and the new value.")
    base_history_id = models.PositiveIntegerField(
        null=True, blank=True, help_text="The service's latest history entry when the change was proposed.")
    status = models.CharField(max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField("reason given", blank=True, help_text="Why it was rejected (shown to the submitter).")

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = "proposed change"
        constraints = [
            models.CheckConstraint(
                name="pending_change_has_one_proposer",
                condition=(models.Q(submitted_by__isnull=False, invitation__isnull=True)
                           | models.Q(submitted_by__isnull=True, invitation__isnull=False)),
                violation_error_message="A proposed change comes from one account or one check-in link.",
            ),
        ]

    def __str__(self):
        return f"Change to {self.service} by {self.proposed_by} ({self.get_status_display().lower()})"

    @property
    def proposed_by(self):
        """Who proposed it, in words: a person's account, or the service through its check-in link."""
        if self.submitted_by_id:
            return str(self.submitted_by)
        if self.invitation_id:
            return f"{self.invitation.name} for the service (check-in)"
        return "(unknown)"

    @property
    def from_the_service(self):
        return self.invitation_id is not None


class ReminderSent(models.Model):
    """One review-reminder digest sent to one person on one day: makes the command idempotent per day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    services = models.PositiveIntegerField("services listed")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "sent_on"], name="reminder_once_a_day")]


class ImportJobState(models.TextChoices):
    QUEUED = "queued", "Waiting for the importer"
    RUNNING = "running", "Importing"
    DONE = "done", "Finished"
    FAILED = "failed", "Stopped"


class ImportJob(models.Model):
    """A curator's confirmed CSV import, written in batches by a worker outside the request
    (`manage.py runimports`, or the scheduler; directory/curation/jobs.py, docs/adr/0026).

    The file's content is kept here rather than on a disk, so any machine's worker can run it.
    `rows_done` is committed in the same transaction as the batch it counts: it always says
    exactly which rows are written (rows 2 to rows_done + 1 of the file)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.PositiveSmallIntegerField(help_text="Which of the import's resources: 0 services, 1 routes, 2 venues.")
    file_name = models.CharField(max_length=255, blank=True)
    content = models.TextField(help_text="The uploaded file, as text (UTF-8 checked before the job was made).")
    state = models.CharField(max_length=10, choices=ImportJobState.choices, default=ImportJobState.QUEUED,
                             db_index=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Why it stopped, in words, for the curator.")
    problems = models.JSONField(default=list, blank=True,
                                help_text="The rows refused when it stopped: [row number, column, what is wrong].")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The running worker's claim: a fresh token per claim, and when it last finished a batch.
    # A worker that lost its claim (reclaimed after a silence) cannot commit another batch.
    claim = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker that last claimed it.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "import job"

    def __str__(self):
        return f"Import {self.pk} of {self.file_name or 'a file'} ({self.get_state_display().lower()})"

    @property
    def finished(self):
        return self.state in (ImportJobState.DONE, ImportJobState.FAILED)

    @property
    def percent(self):
        return 100 * self.rows_done // self.rows_total if self.rows_total else 100
