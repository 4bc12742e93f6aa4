"""The IMHSG's self-audit report (issue 20, item 5): which services were invited, opened their
link and answered, and the barriers each answered service's latest self-audit shows; a dated
history per service and a comparison of two audits' answers, year on year.

Reads only: selectors (`report_filters`, `headline`, `latest_audits`, `barrier_counts`,
`service_audits`) and presenters (`answer_words`, `AuditRow`, `comparison`, `csv_rows`). The
views are in directory/checkins/admin_report.py. Every selector is a fixed number of queries
whatever the number of services or audits (pinned in tests/directory/checkins/test_report.py).

The contact's e-mail address is never read here: invitations are counted, never listed.
"""
from dataclasses import dataclass, field

from django import forms
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone

from directory.checkins.barriers import (
    BARRIERS, EXCLUSION_CHECKS, QUESTIONS, YES_NO_NOT_SURE, as_list, barrier_names, named_venues,
)
from directory.core.spreadsheets import escape_cell
from directory.models import CheckInInvitation, Cost, Language, Referrer, SelfAudit, Service
from mapping.models import District

BARRIER_CHOICES = list(BARRIERS.items())


class ReportFilterForm(forms.Form):
    """The report's filters, from the query string. A value that is not one of the choices (a
    forged barrier, a year that is not a number, a district that does not exist) is an error
    in words on the page; the other filters still apply."""

    barrier = forms.MultipleChoiceField(
        label="Barriers", choices=BARRIER_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Services whose latest self-audit shows every barrier you tick.",
        error_messages={"invalid_choice": "There is no barrier called “%(value)s”: tick one of the list."})
    year = forms.TypedChoiceField(
        label="Year of the self-audit", coerce=int, required=False, empty_value=None,
        error_messages={"invalid_choice": "“%(value)s” is not a year with invitations or self-audits: "
                                          "choose one from the list."})
    district = forms.ModelChoiceField(
        label="District", required=False, empty_label="All districts",
        # Districts without their boundary GeoJSON (about 12 kB each): the list needs only names.
        queryset=District.objects.only("pk", "name").order_by("name"),
        help_text="Services in the district: city-wide services, and those working there.",
        error_messages={"invalid_choice": "That district does not exist: choose one from the list."})

    def __init__(self, data, *, years):
        super().__init__(data)
        self.fields["year"].choices = [("", "Every year")] + [(str(year), str(year)) for year in years]


def report_years():
    """The years with an invitation or a self-audit, newest first, and this year (2 queries)."""
    years = {timezone.localdate().year}
    years.update(moment.year for moment in SelfAudit.objects.datetimes("submitted_at", "year"))
    years.update(moment.year for moment in CheckInInvitation.objects.datetimes("created_at", "year"))
    return sorted(years, reverse=True)


@dataclass
class Filters:
    barriers: list = field(default_factory=list)
    year: int = None
    district: District = None
    errors: list = field(default_factory=list)

    def query(self):
        """The filters as a query string (for the CSV link)."""
        query = QueryDict(mutable=True)
        query.setlist("barrier", self.barriers)
        if self.year:
            query["year"] = str(self.year)
        if self.district:
            query["district"] = str(self.district.pk)
        return query.urlencode()


def report_filters(data):
    """(form, Filters) from the query string: the valid filters, and the errors in words."""
    form = ReportFilterForm(data, years=report_years())
    form.is_valid()
    cleaned = form.cleaned_data
    errors = [f"{form.fields[name].label}: {message}" for name, messages in form.errors.items() for message in messages]
    return form, Filters(barriers=list(cleaned.get("barrier") or []), year=cleaned.get("year"),
                         district=cleaned.get("district"), errors=errors)


def _in_period(filters, prefix=""):
    return Q(**{f"{prefix}__year": filters.year}) if filters.year else Q()


def _services(filters):
    services = Service.objects.all()
    if filters.district is not None:
        services = services.in_district(filters.district)
    return services


def headline(filters):
    """Services invited, that opened a link, that answered, in the year and district (1 query).
    Invited: an invitation made in the year. Opened: one of those was opened. Answered: one of
    those was answered, or a self-audit was submitted in the year (one may come without)."""
    invitations = CheckInInvitation.objects.filter(_in_period(filters, "created_at"), service=OuterRef("pk"))
    audits = SelfAudit.objects.filter(_in_period(filters, "submitted_at"), service=OuterRef("pk"))
    return _services(filters).aggregate(
        invited=Count("pk", filter=Q(Exists(invitations))),
        opened=Count("pk", filter=Q(Exists(invitations.filter(opened_at__isnull=False)))),
        answered=Count("pk", filter=Q(Exists(invitations.filter(answered_at__isnull=False))) | Q(Exists(audits))),
    )


def latest_audits(filters, *, with_barriers=True):
    """Each service's latest self-audit in the year (or ever), in the district, showing every
    barrier chosen; with the service, its organisation and its number of audits (1 query)."""
    period = _in_period(filters, "submitted_at")
    newer = SelfAudit.objects.filter(period, service=OuterRef("service")).filter(
        Q(submitted_at__gt=OuterRef("submitted_at")) | Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk")))
    audits = SelfAudit.objects.filter(period).filter(~Exists(newer))
    if filters.district is not None:
        audits = audits.filter(service__in=_services(filters).values("pk"))
    if with_barriers:
        audits = audits.filter(**{barrier: True for barrier in filters.barriers})
    how_many = (SelfAudit.objects.filter(service=OuterRef("service")).order_by().values("service")
                .annotate(n=Count("pk")).values("n"))
    return (audits.select_related("service", "service__organisation")
            .annotate(audit_count=Coalesce(Subquery(how_many), 0))
            .order_by("service__name", "service_id"))


def barrier_counts(filters):
    """[(barrier, words, services)] among the latest audits in the year and district, whatever
    barriers are ticked, so the counts read as a menu for the filter (1 query)."""
    latest = latest_audits(filters, with_barriers=False).order_by()
    counts = latest.aggregate(**{key: Count("pk", filter=Q(**{key: True})) for key in BARRIERS})
    return [(key, words, counts[key]) for key, words in BARRIERS.items()]


def service_audits(service):
    """Every self-audit of `service`, newest first (1 query)."""
    return list(SelfAudit.objects.filter(service=service).order_by("-submitted_at", "-pk"))


# --- Presenters ---------------------------------------------------------------------------------

YES_NO_WORDS = dict(YES_NO_NOT_SURE)
LIMIT_WORDS = {"baby": "The baby's", "parent": "The parent's", "both": "Both the baby's and the parent's",
               "none": "No age limit"}
CODE_WORDS = {
    "accepts_pregnancy": YES_NO_WORDS, "accepts_under_twos": YES_NO_WORDS, "uses_community_venues": YES_NO_WORDS,
    "interpreters": YES_NO_WORDS, "wants_advice": YES_NO_WORDS, "age_limit_applies_to": LIMIT_WORDS,
    "cost": {code: words for code, words in Cost.choices if code},
}
LIST_WORDS = {"exclusion_checks": EXCLUSION_CHECKS, "who_can_refer": dict(Referrer.choices)}


def language_names():
    """{code: name} of the directory's languages (1 query): answers store codes."""
    return dict(Language.objects.values_list("code", "name"))


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (list, tuple)):
        return "; ".join(filter(None, (_plain(item) for item in value)))
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    return str(value).strip()


def _code_words(words, value):
    """A code's words; anything that is not a known code, as it is (a list or a number is junk
    a dictionary lookup would choke on)."""
    return words.get(value, value) if isinstance(value, str) else _plain(value)


def venue_words(venue):
    """One venue in a line: its name, address and postcode, then free and step-free in words."""
    where = ", ".join(_plain(venue.get(key)) for key in ("name", "address", "postcode") if _plain(venue.get(key)))
    notes = [f"{label}: {_code_words(YES_NO_WORDS, venue.get(key)).lower()}"
             for key, label in (("free", "free"), ("step_free", "step-free")) if _plain(venue.get(key))]
    return f"{where} ({'; '.join(notes)})" if notes else where


def answer_words(key, value, languages):
    """One answer in words ("" when unanswered), whatever the answers hold: codes become their
    words, lists are joined with "; ", venues are summarised one a line. Never raises."""
    if key in CODE_WORDS:
        return _code_words(CODE_WORDS[key], value)
    if key in LIST_WORDS:
        return "; ".join(_code_words(LIST_WORDS[key], item) for item in as_list(value))
    if key == "languages":
        return "; ".join(_code_words(languages, item) for item in as_list(value))
    if key == "venues":
        venues = named_venues(value)
        return "; ".join(venue_words(venue) for venue in venues)
    return _plain(value)


def answer_keys(*answer_sets):
    """The questions in the page's order, then any other key the answers hold (so nothing
    stored is hidden from the IMHSG)."""
    keys = list(QUESTIONS)
    for answers in answer_sets:
        if isinstance(answers, dict):
            keys += [key for key in answers if key not in keys]
    return keys


def _answers(audit):
    return audit.answers if isinstance(audit.answers, dict) else {}


def flags_of(audit):
    return {key: getattr(audit, key) for key in BARRIERS}


@dataclass
class AuditRow:
    """One answered service's latest audit, as the report's table shows it."""

    audit: SelfAudit
    barriers: list  # [(words, found)] in the report's column order

    @classmethod
    def of(cls, audit):
        return cls(audit, [(words, getattr(audit, key)) for key, words in BARRIERS.items()])

    @property
    def found(self):
        return [words for words, found in self.barriers if found]


@dataclass
class ComparedAnswer:
    question: str
    earlier: str
    later: str

    @property
    def changed(self):
        return self.earlier != self.later


def comparison(earlier, later, languages):
    """[ComparedAnswer] for two audits: the barriers found, then every question in words."""
    rows = [ComparedAnswer("Barriers found", "; ".join(barrier_names(flags_of(earlier))) or "None",
                           "; ".join(barrier_names(flags_of(later))) or "None")]
    old, new = _answers(earlier), _answers(later)
    for key in answer_keys(old, new):
        rows.append(ComparedAnswer(QUESTIONS.get(key, key), answer_words(key, old.get(key), languages),
                                   answer_words(key, new.get(key), languages)))
    return rows


def csv_header():
    return (["Service", "Organisation", "Audit date", "Answered by"] + list(BARRIERS.values())
            + list(QUESTIONS.values()) + ["Self-audits of the service"])


def csv_rows(audits, languages):
    """The report's rows as CSV cells, every text cell made inert for a spreadsheet. Never the
    contact's e-mail: only what the audit holds and the service's name."""
    yield csv_header()
    for audit in audits:
        answers = _answers(audit)
        cells = [audit.service.name, audit.service.organisation.name,
                 timezone.localtime(audit.submitted_at).date().isoformat(), audit.answered_by]
        cells += ["Yes" if getattr(audit, key) else "No" for key in BARRIERS]
        cells += [answer_words(key, answers.get(key), languages) for key in QUESTIONS]
        cells.append(audit.audit_count)
        yield [escape_cell(cell) for cell in cells]


def can_see_self_audits(user):
    """Who may open the report, the histories and the comparisons: those who may open the
    curation dashboard (IMHSG editors, viewers, superusers; never organisation editors, whose
    reach is their own services) and may view self-audits."""
    from directory.curation.roles import can_open_dashboard

    return can_open_dashboard(user) and user.has_perm("directory.view_selfaudit")
