"""What's on, when and where (issue 23): a service's regular sessions, the school terms that
"term time only" reads, and the IMHSG's knowledge-sharing events for the workforce.

The rules (which dates a session falls on, its words, its calendar) live in directory/whatson/;
these are the tables only (docs/adr/0021-sessions-and-events.md).
"""
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from directory.core.safe_urls import validate_url_scheme
from directory.models.core import Service, ServiceAtLocation, Status, Venue


class TermDate(models.Model):
    """One school term, first to last day, as a curator copied it from a named source (e.g.
    Birmingham City Council's published school term dates). Empty by default: the directory
    never guesses a term, so a "term time only" session has no dates until terms are entered."""

    name = models.CharField(max_length=100, help_text="e.g. 'Spring term 2027'.")
    first_day = models.DateField()
    last_day = models.DateField(help_text="The last day of the term, inclusive (half-term is its own break: "
                                          "enter each half as its own term).")
    source = models.CharField(max_length=300, help_text="Where these dates come from, e.g. the council's web page.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["first_day"]
        verbose_name = "school term"
        constraints = [
            models.CheckConstraint(name="term_dates_in_order", condition=Q(first_day__lte=F("last_day")),
                                   violation_error_message="The term's last day must not be before its first day."),
        ]

    def __str__(self):
        return f"{self.name} ({self.first_day:%d %b %Y} to {self.last_day:%d %b %Y})"


class Frequency(models.TextChoices):
    WEEKLY = "WEEKLY", "Weekly"
    MONTHLY = "MONTHLY", "Monthly"


class Booking(models.TextChoices):
    NOT_STATED = "", "Not recorded"
    DROP_IN = "drop_in", "Drop in: no need to book"
    BOOK = "book", "Booking needed"


class SessionCost(models.TextChoices):
    NOT_STATED = "", "Not recorded"
    FREE = "free", "Free"
    PAID = "paid", "There is a cost"


class SessionQuerySet(models.QuerySet):
    def public(self):
        """Sessions anyone may see: published, of a published service a parent or practitioner can
        find. A draft or archived service's sessions are never shown, nor a draft session."""
        return self.filter(status=Status.PUBLISHED, service__status=Status.PUBLISHED)


class Session(models.Model):
    """A regular session of a service, at one of its venues or online (ORUK `schedule`).

    The repeat is stored as the iCalendar/ORUK rule parts (freq, interval, byday, bymonthday),
    so a feed's schedule is kept as it came; the admin offers them as days and "which weeks"."""

    uuid = models.UUIDField("Open Referral id", default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="sessions")
    place = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions",
        verbose_name="venue", help_text="One of the service's venues. Leave empty for an online session.",
    )
    online = models.BooleanField(default=False, help_text="Tick for a session held online (no venue).")
    status = models.CharField(
        max_length=10, choices=[(Status.DRAFT, "Draft"), (Status.PUBLISHED, "Published")], default=Status.DRAFT,
        help_text="Only published sessions of a published service are shown. Only IMHSG editors publish.",
    )
    title = models.CharField(max_length=200, blank=True, help_text="Optional, e.g. 'Stay and play'.")

    freq = models.CharField("repeats", max_length=7, choices=Frequency.choices, default=Frequency.WEEKLY)
    interval = models.PositiveSmallIntegerField(default=1, help_text="2 with weekly means every other week.")
    byday = models.CharField("days", max_length=60, help_text="iCalendar days: 'TU' or 'TU,TH'; monthly: '1MO' "
                                                             "(first Monday), '-1FR' (last Friday).", blank=True)
    bymonthday = models.CharField("days of the month", max_length=60, blank=True,
                                  help_text="Monthly only, e.g. '1,15'; negative counts from the month's end.")
    term_time_only = models.BooleanField("term time only", default=False,
                                         help_text="Only on days inside a school term (the 'School terms' list).")
    opens_at = models.TimeField("starts at")
    closes_at = models.TimeField("ends at")
    valid_from = models.DateField("from", null=True, blank=True, help_text="The first date it runs, if known.")
    valid_to = models.DateField("until", null=True, blank=True, help_text="The last date it runs, if known.")
    dtstart = models.DateField("count weeks from", null=True, blank=True,
                               help_text="For 'every other week': a date it runs on. Defaults to 'from'.")

    booking = models.CharField(max_length=8, choices=Booking.choices, blank=True, default=Booking.NOT_STATED)
    cost = models.CharField(max_length=4, choices=SessionCost.choices, blank=True, default=SessionCost.NOT_STATED)
    cost_details = models.CharField(max_length=200, blank=True)
    age_from_months = models.SmallIntegerField("ages from (months)", null=True, blank=True,
                                               help_text="Negative in pregnancy (-9 = from conception). Empty: as "
                                                         "the service.")
    age_to_months = models.SmallIntegerField("ages to (months)", null=True, blank=True,
                                             help_text="Inclusive. Empty: as the service.")
    description = models.TextField(blank=True, help_text="What happens there, in plain words (shown to the public).")
    notes = models.TextField(blank=True, help_text="Anything else a family should know (shown to the public).")
    schedule_link = models.URLField("booking or timetable link", blank=True, validators=[validate_url_scheme])
    attending_type = models.CharField("how to attend", max_length=200, blank=True)
    imported_from = models.CharField(max_length=500, blank=True, editable=False,
                                     help_text="The Open Referral feed this session came from; empty if added here.")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["modified"])

    class Meta:
        ordering = ["service", "opens_at", "id"]
        permissions = [("publish_session", "Can publish sessions")]
        constraints = [
            models.CheckConstraint(
                name="session_ends_after_it_starts", condition=Q(closes_at__gt=F("opens_at")),
                violation_error_message="A session must end after it starts (the end time is before the start).",
            ),
            models.CheckConstraint(
                name="session_dates_in_order",
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_from__lte=F("valid_to")),
                violation_error_message="'Until' must not be before 'from'.",
            ),
            models.CheckConstraint(name="session_interval_positive", condition=Q(interval__gte=1),
                                   violation_error_message="Repeat at least every 1 week or month."),
        ]

    def __str__(self):
        return f"{self.title or self.service.name} ({self.pk or 'new'})"

    def clean(self):
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = ("A session must end after it starts: the end time is not after the start time. "
                                   "A session cannot run past midnight.")
        if self.place_id and self.service_id and self.place.service_id != self.service_id:
            errors["place"] = "Choose one of this service's own venues."
        if self.place_id and self.online:
            errors["online"] = "A session is either at a venue or online, not both."
        if (self.age_from_months is not None and self.age_to_months is not None
                and self.age_from_months > self.age_to_months):
            errors["age_to_months"] = "The ages 'to' must not be below 'from'."
        if errors:
            raise ValidationError(errors)


class ExceptionKind(models.TextChoices):
    CANCELLED = "cancelled", "Cancelled"
    MOVED = "moved", "Moved"


class SessionException(models.Model):
    """One date of a session that does not happen as usual: cancelled, or moved to another day or time."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(help_text="The usual date that changes.")
    kind = models.CharField(max_length=9, choices=ExceptionKind.choices, default=ExceptionKind.CANCELLED)
    moved_to = models.DateField("moved to (date)", null=True, blank=True)
    moved_opens_at = models.TimeField("moved: starts at", null=True, blank=True, help_text="Empty: the usual time.")
    moved_closes_at = models.TimeField("moved: ends at", null=True, blank=True, help_text="Empty: the usual time.")
    note = models.CharField(max_length=200, blank=True, help_text="Shown to the public, e.g. 'Bank holiday'.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["session", "date"]
        verbose_name = "change to one date"
        verbose_name_plural = "changes to single dates (cancelled or moved)"
        constraints = [models.UniqueConstraint(fields=["session", "date"], name="session_exception_once_a_date")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.date:%d %b %Y}"

    def clean(self):
        if self.kind == ExceptionKind.MOVED and not (self.moved_to or self.moved_opens_at):
            raise ValidationError({"moved_to": "Say the new date or time it moves to."})
        if self.kind == ExceptionKind.CANCELLED:
            self.moved_to = self.moved_opens_at = self.moved_closes_at = None
        if self.moved_opens_at and self.moved_closes_at and self.moved_closes_at <= self.moved_opens_at:
            raise ValidationError({"moved_closes_at": "The moved session must end after it starts."})


class EventQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status=Status.PUBLISHED)


class KnowledgeEvent(models.Model):
    """A knowledge-sharing event for the workforce (recommendation 1c: 'coffee mornings' and
    'lunch bites' where services present their offer). Published by IMHSG editors only; after it,
    what was shared (a summary, slides, good practice) is attached here."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    status = models.CharField(
        max_length=10, choices=[(Status.DRAFT, "Draft"), (Status.PUBLISHED, "Published")], default=Status.DRAFT,
        help_text="Only IMHSG editors publish. Drafts are never shown anywhere public.",
    )
    description = models.TextField(blank=True, help_text="What the event is about and who it is for.")
    presenting_services = models.ManyToManyField(Service, blank=True, related_name="knowledge_events")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    online_link = models.URLField("online joining link", blank=True, validators=[validate_url_scheme])
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, null=True, blank=True, related_name="knowledge_events")
    audience = models.CharField(max_length=200, blank=True, help_text="e.g. 'Health visitors and midwives'.")
    booking_url = models.URLField("booking link", blank=True, validators=[validate_url_scheme])
    accessibility = models.TextField("accessibility notes", blank=True)
    summary = models.TextField("what was shared", blank=True, help_text="After the event: a short summary.")
    slides_url = models.URLField("slides (link)", blank=True, validators=[validate_url_scheme])
    good_practice = models.TextField("good practice noted", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[presenting_services], excluded_fields=["modified"])

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "knowledge-sharing event"
        permissions = [("publish_knowledgeevent", "Can publish knowledge-sharing events")]
        constraints = [
            models.CheckConstraint(name="event_ends_after_it_starts", condition=Q(ends_at__gt=F("starts_at")),
                                   violation_error_message="An event must end after it starts."),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("whatson:event", kwargs={"slug": self.slug})

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "An event must end after it starts: the end is not after the start."})

    @property
    def has_record(self):
        return bool(self.summary.strip() or self.slides_url or self.good_practice.strip())
