"""What people searched for (issue 22), for the IMHSG and commissioners: the curation dashboard's
panel, the list of every search (/admin/searches/) and its CSV. The rows are written by
directory/search/record.py: a day, an audience, normalised keywords, filters as codes, the number
of results and how many times, nothing that identifies anyone.

Reads only: selectors (`search_filters`, `search_totals`, `search_rows`) and presenters
(`SearchRow`, `FilterWords`, `csv_rows`). Each selector is one query whatever the number of rows;
naming the filters in words costs the per-version term lists and, when a row names a parent
topic, one query for the topics' names. The views are in directory/curation/admin/searches.py.

Who may read them: IMHSG editors, viewers (commissioners, IMHSG members) and superusers, by the
`view_searchrecord` permission; never organisation editors, whose reach is their own services.
"""
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.db.models import Max, Min, Q, Sum
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from directory.core.spreadsheets import escape_cell
from directory.curation.roles import is_organisation_editor
from directory.models import Focus, ParentTopic, SearchRecord
from directory.search.filters import AUDIENCE_CHOICES, REFERRAL_CHOICES, STAGES
from directory.search.record import PARENTS, PLACEHOLDERS, POSTCODE_NOT_FOUND, PRACTITIONERS
from directory.search.terms import terms

FEW = 2  # "few results": 1 or 2
PERIODS = [(30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 365 days")]
DASHBOARD_PERIODS = (30, 90)
DEFAULT_DAYS = 30
RESULTS = [("any", "Any number of results"), ("none", "Found nothing"), ("few", f"Found 1 or {FEW} services")]
AUDIENCES = {PRACTITIONERS: "Practitioners", PARENTS: "Parents and carers"}
TOP = 10  # rows in each of the dashboard's lists


def can_see_searches(user):
    """Who may read what people searched for: staff with the view permission on search records
    (IMHSG editors, viewers, superusers), never an organisation editor, whatever other group
    they are in."""
    return (user.is_active and user.is_staff and user.has_perm("directory.view_searchrecord")
            and not is_organisation_editor(user))


def since(days, today=None):
    """The first day of the last `days` days, today included."""
    return (today or timezone.localdate()) - timedelta(days=days - 1)


# --- Filters of the list -----------------------------------------------------------------------

class SearchFilterForm(forms.Form):
    """The list's filters, from the query string. A value that is not one of the choices is an
    error in words on the page and its default is used; the other filters still apply."""

    days = forms.TypedChoiceField(
        label="Period", choices=PERIODS, coerce=int, required=False, empty_value=DEFAULT_DAYS,
        error_messages={"invalid_choice": "“%(value)s” is not a period we offer: choose one from the list."})
    audience = forms.ChoiceField(
        label="Who searched", choices=[("", "Everyone"), *AUDIENCES.items()], required=False,
        error_messages={"invalid_choice": "“%(value)s” is not one of the people who search: choose one from the list."})
    results = forms.ChoiceField(
        label="Results", choices=RESULTS, required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a number of results we offer: choose one from the list."})


@dataclass(frozen=True)
class SearchFilters:
    days: int = DEFAULT_DAYS
    audience: str = ""
    results: str = "any"
    errors: tuple = ()

    def query(self, **changes):
        """The query string of these filters (with `changes`), defaults left out."""
        values = {"days": self.days, "audience": self.audience, "results": self.results, **changes}
        data = QueryDict(mutable=True)
        for name, default in (("days", DEFAULT_DAYS), ("audience", ""), ("results", "any")):
            if values[name] != default:
                data[name] = str(values[name])
        return data.urlencode()

    @property
    def period_words(self):
        return dict(PERIODS)[self.days].lower()

    @property
    def results_words(self):
        return dict(RESULTS)[self.results]

    @property
    def audience_words(self):
        return AUDIENCES.get(self.audience, "Everyone")

    @property
    def caption(self):
        """'Searches by parents and carers that found nothing, in the last 30 days'."""
        who = f" by {AUDIENCES[self.audience].lower()}" if self.audience else ""
        found = {"none": " that found nothing", "few": f" that found 1 or {FEW} services"}.get(self.results, "")
        return f"Searches{who}{found}, in the {self.period_words}"


def search_filters(data):
    """(form, SearchFilters) from the query string: the valid filters, and the errors in words."""
    form = SearchFilterForm(data)
    form.is_valid()
    cleaned = form.cleaned_data
    errors = tuple(f"{form.fields[name].label}: {message}" for name, messages in form.errors.items()
                   for message in messages)
    return form, SearchFilters(days=cleaned.get("days") or DEFAULT_DAYS, audience=cleaned.get("audience") or "",
                               results=cleaned.get("results") or "any", errors=errors)


# --- Selectors ---------------------------------------------------------------------------------

def _results_q(results):
    if results == "none":
        return Q(results=0)
    if results == "few":
        return Q(results__gte=1, results__lte=FEW)
    return Q()


def _records(filters, today=None):
    records = SearchRecord.objects.filter(day__gte=since(filters.days, today))
    if filters.audience:
        records = records.filter(audience=filters.audience)
    return records.filter(_results_q(filters.results))


def search_totals(*, days, today=None):
    """{audience: {"searches", "none", "few"}} over the last `days` days, and "all" for both
    (1 query). Counts are searches made, not different searches."""
    rows = (SearchRecord.objects.filter(day__gte=since(days, today)).values("audience")
            .annotate(made=Sum("searches"), none=Sum("searches", filter=Q(results=0)),
                      few=Sum("searches", filter=_results_q("few")))
            .order_by("audience"))
    totals = {audience: {"searches": 0, "none": 0, "few": 0} for audience in [*AUDIENCES, "all"]}
    for row in rows:
        if row["audience"] not in AUDIENCES:
            continue
        for name, column in (("searches", "made"), ("none", "none"), ("few", "few")):
            totals[row["audience"]][name] = row[column] or 0
            totals["all"][name] += row[column] or 0
    return totals


def search_rows(filters, today=None):
    """The searches matching `filters`, each different search once (audience, keywords and
    filters) with the times it was made, its fewest and most results, and its first and last
    day, the most made first (1 query; a queryset of dicts, to slice or page)."""
    return (_records(filters, today).values("audience", "query", "filters")
            .annotate(made=Sum("searches"), fewest=Min("results"), most=Max("results"),
                      first=Min("day"), last=Max("day"))
            .order_by("-made", "-last", "query", "filters", "audience"))


# --- Presenters --------------------------------------------------------------------------------

LABELS = {
    "age": "Age", "stage": "Age or stage", "district": "District", "postcode": "Postcode", "level": "Level of need",
    "focus": "Focus", "need": "Need", "intervention": "Approach", "delivery": "Delivery", "language": "Language",
    "referral": "How to get in", "free": "Cost", "audience": "Shown to", "topic": "Topic",
}
TERM_KINDS = {"district": "district", "level": "level", "need": "need", "intervention": "intervention",
              "delivery": "delivery", "language": "language"}
NO_KEYWORDS = "(no keywords)"


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def age_words(value):
    """'4' -> '4 months old'; '-3' -> 'pregnant, due in 3 months' (pregnancy is negative months)."""
    try:
        months = int(value)
    except ValueError:
        return value
    if months < 0:
        return f"pregnant, due in {_plural(-months, 'month')}"
    return f"{_plural(months, 'month')} old"


class FilterWords:
    """Names a row's filters in words: 'District: Hodge Hill', 'Age: 4 months old'. The term
    lists are the current version's (in memory, read only when a row names a term); topics are
    read once, and only when a row names one. A code that names nothing now (a renamed or deleted
    term) is shown as it is."""

    def __init__(self, rows):
        self._terms = None
        wanted = {value for row in rows for name, value in self.pairs(row["filters"]) if name == "topic"}
        self.topics = dict(ParentTopic.objects.filter(slug__in=wanted).values_list("slug", "name")) if wanted else {}

    @property
    def terms(self):
        if self._terms is None:  # only for a row naming a term (the lists are in memory once read)
            self._terms = terms()
        return self._terms

    @staticmethod
    def pairs(filters):
        return [tuple(item.split("=", 1)) for item in filters.split() if "=" in item]

    def value(self, name, code):
        if name in TERM_KINDS:
            term = self.terms.by_code[TERM_KINDS[name]].get(code)
            return term.name if term is not None else code
        if name == "age":
            return age_words(code)
        if name == "stage":
            return next((stage.label for stage in STAGES if stage.value == code), code)
        if name == "focus":
            return dict(Focus.choices).get(code, code)
        if name == "referral":
            return dict(REFERRAL_CHOICES).get(code, code)
        if name == "free":
            return "free only" if code == "1" else code
        if name == "audience":
            return dict(AUDIENCE_CHOICES).get(code, code)
        if name == "postcode" and code == POSTCODE_NOT_FOUND:
            return "not found in Birmingham"
        if name == "topic":
            return self.topics.get(code, code)
        return code

    def words(self, filters):
        return [f"{LABELS.get(name, name)}: {self.value(name, code)}" for name, code in self.pairs(filters)]


def results_words(fewest, most):
    if fewest == most:
        return "none" if most == 0 else str(most)
    return f"{fewest} to {most}"


@dataclass(frozen=True)
class SearchRow:
    audience: str
    who: str
    query: str
    filters: str
    filter_words: list
    searches: int
    fewest: int
    most: int
    first: object
    last: object

    @classmethod
    def of(cls, row, words):
        return cls(audience=row["audience"], who=AUDIENCES.get(row["audience"], row["audience"]), query=row["query"],
                   filters=row["filters"], filter_words=words.words(row["filters"]), searches=row["made"],
                   fewest=row["fewest"], most=row["most"], first=row["first"], last=row["last"])

    @property
    def keywords(self):
        return self.query or NO_KEYWORDS

    @property
    def results(self):
        return results_words(self.fewest, self.most)


def present(rows):
    """SearchRows of rows from search_rows (a list or a page of them)."""
    rows = list(rows)
    words = FilterWords(rows)
    return [SearchRow.of(row, words) for row in rows]


def dashboard_days(raw):
    """The dashboard's period: 90 when asked for (?days=90), else 30; anything else is 30."""
    return next((days for days in DASHBOARD_PERIODS if raw == str(days)), DASHBOARD_PERIODS[0])


def list_url(filters, **changes):
    """The list page (/admin/searches/) with these filters."""
    query = filters.query(**changes)
    return reverse("search-report") + (f"?{query}" if query else "")


@dataclass(frozen=True)
class TotalRow:
    who: str
    searches: int
    none: int
    few: int
    url: str  # the list of these searches
    none_url: str
    few_url: str


def dashboard_panel(*, days, today=None):
    """The dashboard's "What people searched for": totals by audience, and the searches made
    most that found nothing and that found 1 or 2 services, over the last `days` days (3 queries,
    and the names of the filters)."""
    filters = SearchFilters(days=days)
    none = list(search_rows(SearchFilters(days=days, results="none"), today)[:TOP])
    few = list(search_rows(SearchFilters(days=days, results="few"), today)[:TOP])
    words = FilterWords(none + few)
    totals = search_totals(days=days, today=today)
    total_rows = [
        TotalRow(who=who, **totals[audience], url=list_url(filters, audience=code),
                 none_url=list_url(filters, audience=code, results="none"),
                 few_url=list_url(filters, audience=code, results="few"))
        for audience, who, code in [*((a, w, a) for a, w in AUDIENCES.items()), ("all", "Everyone", "")]
    ]
    return {
        "days": days,
        "period_words": filters.period_words,
        "periods": [(value, label, value == days) for value, label in PERIODS if value in DASHBOARD_PERIODS],
        "totals": total_rows,
        "none": [SearchRow.of(row, words) for row in none],
        "few": [SearchRow.of(row, words) for row in few],
        "none_url": list_url(filters, results="none"),
        "few_url": list_url(filters, results="few"),
        "list_url": list_url(filters),
        "csv_url": csv_url(filters),
        "few_max": FEW,
    }


def csv_url(filters, **changes):
    """The CSV of the list with these filters."""
    query = filters.query(**changes)
    return reverse("search-report-csv") + (f"?{query}" if query else "")


CSV_HEADER = ["Who searched", "Keywords", "Filters", "Filters in words", "Times searched", "Fewest results",
              "Most results", "First searched", "Last searched"]


def csv_rows(rows):
    """The header and one line per search, text cells made inert for spreadsheets (a search
    typed as '=HYPERLINK(...)' stays text)."""
    yield CSV_HEADER
    for row in present(rows):
        yield [escape_cell(value) for value in (
            row.who, row.query, row.filters, "; ".join(row.filter_words), row.searches, row.fewest, row.most,
            row.first.isoformat(), row.last.isoformat())]


# The placeholders a normalised search may hold, for the page's note.
PLACEHOLDER_WORDS = ", ".join(PLACEHOLDERS.values())
