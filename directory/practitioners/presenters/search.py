"""What the search page shows: result cards, filter tags and options, widenings, pages.

The map's filter form uses `filter_groups` too.
"""
from dataclasses import dataclass, replace

from django.http import QueryDict

from directory.search.filters import AUDIENCE_CHOICES, FREE_CHOICES, REFERRAL_CHOICES, STAGES, STAGES_BY_VALUE
from directory.models import FOCUS_EXPLANATIONS, Audience, Focus
from directory.core.levels import LEVELS
from directory.core.presenters import FIRST_STEP_TAG, ServiceCard, miles_figure, month_text
from directory.search.terms import terms


def distance_text(km):
    """'0.4 miles away'; None (no venue to measure to) gives ''."""
    if km is None:
        return ""
    figure = miles_figure(km)
    return f"{figure} miles away" if figure else "less than 0.1 miles away"


@dataclass
class SearchCard(ServiceCard):
    """A result card: a ServiceCard with the distance from the family's postcode, why the
    service is listed, and a link that carries the search (so the service page can lead
    back to these results)."""

    on_list: bool = False  # already on the person's shortlist
    query: str = ""  # the search's query string, without "?"
    place: object = None  # the family's District, if a postcode or district was given
    approximate: bool = False  # distances are from a postcode district's centre

    @property
    def url(self):
        base = self.service.get_absolute_url()
        return f"{base}?{self.query}" if self.query else base

    @property
    def distance(self):
        text = distance_text(getattr(self.service, "distance_km", None))
        return f"about {text}" if text and self.approximate else text

    @property
    def id(self):
        return self.service.pk

    @property
    def reasons(self):
        """Why it is in the results, from fit_annotate's figures: the place first, then the age."""
        service, reasons = self.service, []
        if self.place is not None:
            if getattr(service, "is_local", 0):
                reasons.append(f"Works in {self.place.name}.")
            else:
                reasons.append(f"City-wide, so it covers {self.place.name}.")
        if service.named_group_only:
            reasons.append("Only for a named group (see who it is for), so it is listed after services open to the family.")
        if not getattr(service, "age_fits", 1):
            reasons.append("Age range not recorded, so it is included: check the age with the service.")
        return reasons


@dataclass(frozen=True)
class FilterTag:
    """An active filter, shown as a tag with a link that removes just it."""

    param: str
    value: str
    text: str
    remove_url: str


def _query_without(data, param, value=None):
    """The query string of `data` without one value of `param` (or all of it), and without `page`."""
    query = data.copy()
    query.pop("page", None)
    if value is None:
        query.pop(param, None)
    else:
        query.setlist(param, [v for v in query.getlist(param) if v != value])
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def active_filter_tags(filterset, data):
    """Tags for every filter that applied (valid values only), in the form's order."""
    cleaned = filterset.form.cleaned_data
    tags = []

    def add(param, value, text, remove_all=False):
        tags.append(FilterTag(param, str(value), text, _query_without(data, param, None if remove_all else str(value))))

    if cleaned.get("q"):
        add("q", cleaned["q"], f"Keywords: {cleaned['q']}", remove_all=True)
    if cleaned.get("postcode"):
        result = cleaned["postcode"]
        where = f"{result.district.name}; distances approximate" if result.approximate else result.district.name
        add("postcode", result.postcode, f"Near {result.postcode} ({where})", remove_all=True)
    if cleaned.get("district") and not cleaned.get("postcode"):  # the postcode wins; see service_search
        add("district", cleaned["district"].slug, f"District: {cleaned['district'].name}", remove_all=True)
    if cleaned.get("age") is not None:
        add("age", cleaned["age"], f"Age: {month_text(cleaned['age'])}", remove_all=True)
    elif cleaned.get("stage"):
        add("stage", cleaned["stage"], f"Age: {STAGES_BY_VALUE[cleaned['stage']].label}", remove_all=True)
    for level in cleaned.get("level") or []:
        add("level", level.code, f"Level: {level.name}")
    for value in cleaned.get("focus") or []:
        add("focus", value, f"Focus: {Focus(value).label}")
    for need in cleaned.get("need") or []:
        add("need", need.code, f"Need: {need.name}")
    for intervention in cleaned.get("intervention") or []:
        add("intervention", intervention.code, f"Approach: {intervention.name}")
    if cleaned.get("referral"):
        add("referral", cleaned["referral"], dict(REFERRAL_CHOICES)[cleaned["referral"]], remove_all=True)
    for mode in cleaned.get("delivery") or []:
        add("delivery", mode.code, f"Delivery: {mode.name}")
    for language in cleaned.get("language") or []:
        add("language", language.code, f"Language: {language.name}")
    if cleaned.get("free"):
        add("free", "1", "Free only", remove_all=True)
    if cleaned.get("audience"):
        add("audience", cleaned["audience"], Audience(cleaned["audience"]).label, remove_all=True)
    return tags


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool
    hint: str = ""
    count: int | None = None  # services this option would give with the other filters; None: not counted
    number: int = 1  # its place in the group, from 1: the input's id, whether it is shown or folded away


@dataclass(frozen=True)
class OptionGroup:
    """A set of checkboxes or radios for the filter form, ticked from the raw GET data
    (so a submission with one bad value keeps the person's other ticks).

    A group with a `folded_label` puts the options that would find no service, unless chosen,
    behind a disclosure of that name (`shown` first, then `folded`)."""

    name: str
    legend: str
    kind: str  # "checkbox" or "radio"
    options: list
    error: str = ""
    folded_label: str = ""
    note: str = ""  # a line under the legend, for the whole group

    @property
    def block(self):
        """The NHS.UK frontend component: nhsuk-checkboxes or nhsuk-radios."""
        return "radios" if self.kind == "radio" else "checkboxes"

    def _folds(self, option):
        return bool(self.folded_label) and option.count == 0 and not option.checked and option.value != ""

    @property
    def shown(self):
        return [option for option in self.options if not self._folds(option)]

    @property
    def folded(self):
        return [option for option in self.options if self._folds(option)]


def _group(filterset, data, name, choices, kind="checkbox", hints=None, any_label=None, counts=None):
    chosen = set(data.getlist(name))
    options = [Option("", any_label, not chosen)] if any_label else []
    counted = (counts or {}).get(name)
    before = len(options)
    options += [
        Option(str(v), str(label), str(v) in chosen, (hints or {}).get(v, ""),
               None if counted is None else counted.get(str(v), 0), number=before + number)
        for number, (v, label) in enumerate(choices, start=1)
    ]
    errors = filterset.form.errors.get(name)
    return OptionGroup(name, filterset.form.fields[name].label, kind, options, errors[0] if errors else "")


# Issue 22: 17 languages, each "(0)" with the seed, English too, buried the few that matter.
LANGUAGE_NOTE = "Choose a language only if the family needs one other than English: few services record English."
# Parameters that do not narrow which services a language option would find.
_NOT_NARROWING = ("language", "sort")


def _languages_fold_reason(filterset):
    """What the disclosure of languages with no service says: with no other filter, a count of 0
    means no published service records the language; with filters, none in this search does."""
    cleaned = getattr(filterset.form, "cleaned_data", {})
    narrowed = any(value not in (None, "", []) for name, value in cleaned.items() if name not in _NOT_NARROWING)
    return "no services in this search" if narrowed else "no services recorded yet"


def filter_groups(filterset, data, names=None, counts=None):
    """The filter form's option groups (all, or those in `names`, in that order), and the
    levels (for the 'what do these mean' help). Search and the map both use this.
    No query: the lists are those of the current content version (directory/search/terms.py).
    `counts` (selectors.count_union) puts a count on each option."""
    lists = terms()
    levels = lists["level"]

    def group(name, choices, **kwargs):
        return _group(filterset, data, name, choices, counts=counts, **kwargs)

    builders = {
        # The search page shows the stage as a select beside the exact age; the map as radios.
        "stage": lambda: group("stage", [(st.value, st.label) for st in STAGES], kind="radio", any_label="Any age"),
        "level": lambda: group("level", [(lv.code, lv.name) for lv in levels],
                               hints={lv.code: lv.description for lv in levels}),
        "focus": lambda: group("focus", Focus.choices, hints=dict(FOCUS_EXPLANATIONS)),
        "need": lambda: group("need", lists.choices("need")),
        "intervention": lambda: group("intervention", lists.choices("intervention")),
        "referral": lambda: group("referral", REFERRAL_CHOICES, kind="radio", any_label="Any route"),
        "delivery": lambda: group("delivery", lists.choices("delivery")),
        "language": lambda: _languages(filterset, data, lists, counts),
        "free": lambda: group("free", FREE_CHOICES),
        "audience": lambda: group("audience", AUDIENCE_CHOICES, kind="radio", any_label="All services"),
    }
    wanted = names or [name for name in builders if name != "stage"]
    return [builders[name]() for name in wanted], levels


def _languages(filterset, data, lists, counts):
    """The language options: those that would find no service folded away under one disclosure
    ("Other languages (no services recorded yet)"), the chosen ones always in view. Only when
    counted (the search page): the map's form has no counts and shows every language."""
    group = _group(filterset, data, "language", lists.choices("language"), counts=counts)
    if (counts or {}).get("language") is None:
        return group
    first = "Other languages" if any(option.count or option.checked for option in group.options) else "Languages"
    return replace(group, folded_label=f"{first} ({_languages_fold_reason(filterset)})", note=LANGUAGE_NOTE)


def error_list(filterset, extra=()):
    """(field name, message) pairs for the error summary, in the form's order."""
    errors = filterset.form.errors if filterset.is_bound else {}
    return [(name, errors[name][0]) for name in filterset.form.fields if name in errors]


@dataclass(frozen=True)
class Suggestion:
    text: str
    url: str
    count: int


def widening_suggestions(data, tags, count_for=None, count_all=None):
    """For an empty result: what each active filter excluded, and the nearest widenings.

    `count_all(list of query dicts)` counts the matches for each (selectors.count_queries:
    one query for all of them); or `count_for(query_dict)`, one at a time. Only computed
    when a search finds nothing, so it never costs a results page.
    """
    candidates = [(f"Remove \u201c{tag.text}\u201d", tag.remove_url, QueryDict(tag.remove_url[1:], mutable=True))
                  for tag in tags]
    # The same need one level along the ladder ("Right Help, Right Time").
    chosen = [tag.value for tag in tags if tag.param == "level"]
    ranks = {code: rank for code, _name, rank, _d in LEVELS}
    names = {code: name for code, name, _rank, _d in LEVELS}
    if chosen:
        steps = {min(ranks.get(code, 0), 3) for code in chosen}
        for code, rank in ranks.items():
            if code not in chosen and any(abs(min(rank, 3) - step) == 1 for step in steps):
                query = data.copy()
                query.pop("page", None)
                query.setlist("level", [code])
                candidates.append((f"Look at {names[code].lower()} services instead", f"?{query.urlencode()}", query))
    queries = [query for _, _, query in candidates]
    counts = count_all(queries) if count_all else [count_for(query) for query in queries]
    suggestions = [Suggestion(text, url, count) for (text, url, _), count in zip(candidates, counts) if count]
    return sorted(suggestions, key=lambda s: -s.count)[:5]



@dataclass(frozen=True)
class FirstStepOffer:
    """For a search that found nothing: the services flagged as a first step into other support
    (Service.first_step), each linked with the search carried so "back" returns to it."""

    links: list  # [(service name, organisation name, url)]
    heading: str = "Not sure where to start?"
    text: str = FIRST_STEP_TAG.explanation


def first_step_offer(services, query=""):
    """The offer for `services` (selectors.service_list_first_steps), or None when there are none."""
    if not services:
        return None
    return FirstStepOffer([
        (service.name, service.organisation.name,
         service.get_absolute_url() + (f"?{query}" if query else ""))
        for service in services
    ])


@dataclass(frozen=True)
class PageLink:
    number: int  # 0 for an ellipsis
    url: str
    current: bool = False


def _page_url(data, number):
    query = data.copy()
    query.pop("page", None)
    if number > 1:
        query["page"] = str(number)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def pagination(page, data):
    """Previous/next and numbered links (first, last and two either side), or None for one page."""
    paginator = page.paginator
    if paginator.num_pages <= 1:
        return None
    shown = sorted({1, paginator.num_pages, *range(max(1, page.number - 2), min(paginator.num_pages, page.number + 2) + 1)})
    links, previous = [], 0
    for number in shown:
        if number - previous > 1:
            links.append(PageLink(0, ""))
        links.append(PageLink(number, _page_url(data, number), number == page.number))
        previous = number
    return {
        "previous": _page_url(data, page.number - 1) if page.has_previous() else "",
        "next": _page_url(data, page.number + 1) if page.has_next() else "",
        "links": links,
    }


def hidden_inputs(data, leave_out=("sort", "page")):
    """(name, value) pairs that carry the current search through another GET form."""
    return [(name, value) for name in data for value in data.getlist(name) if name not in leave_out]



# The parameters a search is made of; a service page opened from the results carries them
# so that it can link back to the same results (and the shortlist and map keep them).
SEARCH_PARAMS = ("q", "postcode", "district", "stage", "age", "level", "focus", "need", "intervention", "referral",
                 "delivery", "language", "free", "audience", "sort", "page")
MAX_CARRIED = 1000  # characters: a longer query string is not a search this site made


def search_query(data, leave_out=()):
    """The search parameters in `data` as a query string without "?" ('' for none).
    Anything else (a shortlist's `services`, unknown names) is dropped."""
    query = QueryDict(mutable=True)
    for name in SEARCH_PARAMS:
        if name in data and name not in leave_out:
            query.setlist(name, [value for value in data.getlist(name) if value])
    encoded = query.urlencode()
    return encoded if len(encoded) <= MAX_CARRIED else ""
