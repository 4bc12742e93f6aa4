"""Turn services into what a page shows: labels, tag colours, plain-words text.

Templates stay dumb; everything here is tested in tests/directory/test_presenters.py.
Presenters only read what `Service.objects.for_cards()` prefetches, so they
never cause a query per row.
"""
from dataclasses import dataclass, field

from django.utils.dateformat import format as format_date

from directory.models import (
    FOCUS_EXPLANATIONS, AgeRange, Audience, Consent, Cost, CoverageType, Focus, ReferralMethod, Referrer,
)
from directory.safe_urls import safe_href
from directory.sources import FactIndex

LEVEL_TAG_COLOURS = {"universal": "green", "targeted": "blue", "statutory": "orange", "specialist": "purple"}
FOCUS_TAG_COLOURS = {Focus.SPECIALISED: "pink", Focus.ADDITIONAL: "aqua-green", Focus.NON_SPECIALISED: "grey"}


@dataclass(frozen=True)
class Tag:
    text: str
    colour: str
    explanation: str


def month_text(months):
    """-9 -> 'pregnancy', -3 -> '6 months pregnant', 0 -> 'birth', 1 -> '1 month', 24 -> '2 years'."""
    if months < 0:
        weeks_pregnant = 9 + months
        return "conception" if weeks_pregnant <= 0 else f"{weeks_pregnant} months pregnant"
    if months == 0:
        return "birth"
    if months % 12 == 0:
        years = months // 12
        return f"{years} year" if years == 1 else f"{years} years"
    if months > 24:
        years, rest = divmod(months, 12)
        return f"{years} years {rest} month{'s' if rest != 1 else ''}"
    return f"{months} month{'s' if months != 1 else ''}"


def age_range_text(service):
    """Plain words for a service's child age range; never hides 'not recorded'."""
    if service.age_range == AgeRange.ANY:
        return "Any age"
    if service.age_range == AgeRange.NOT_STATED:
        return "Age range not recorded"
    start, end = service.age_from_months, service.age_to_months
    if end <= 0:
        return "During pregnancy" if start <= -9 else f"From {month_text(start)} to birth"
    # to_months is inclusive: 23 means "up to the second birthday".
    upper = month_text(end + 1)
    if start <= -9:
        return f"From pregnancy to {upper}"
    if start < 0:
        return f"From {month_text(start)} to {upper}"
    if start == 0:
        return f"From birth to {upper}"
    return f"From {month_text(start)} to {upper}"


def coverage_text(service):
    if service.coverage_type == CoverageType.CITY_WIDE:
        return "City-wide"
    if service.coverage_type == CoverageType.DISTRICTS:
        names = [d.name for d in service.coverage_districts.all()]
        return ", ".join(names) if names else "Districts not recorded"
    if service.locality_district_id:
        return f"{service.locality} ({service.locality_district.name})"
    return service.locality


def level_tags(service):
    return [
        Tag(level.name, LEVEL_TAG_COLOURS.get(level.code, "white"), level.description)
        for level in sorted(service.levels.all(), key=lambda level: level.rank)
    ]


def focus_tag(service):
    focus = Focus(service.focus)
    return Tag(focus.label, FOCUS_TAG_COLOURS[focus], FOCUS_EXPLANATIONS[focus])


def how_to_refer_line(service):
    """The first line of how to refer, for a result card."""
    routes = list(service.referral_routes.all())
    if not routes:
        return "How to refer is not recorded yet."
    referrers = {route.referrer for route in routes}
    if Referrer.SELF in referrers and Referrer.PROFESSIONAL in referrers:
        return "Families can contact the service themselves, or a professional can refer."
    if Referrer.SELF in referrers:
        return "Families can contact the service themselves."
    if Referrer.AUTOMATIC in referrers and Referrer.PROFESSIONAL not in referrers:
        return "Offered to every family."
    professions = ", ".join(route.professions for route in routes if route.professions)
    if professions:
        return f"Referral by a professional ({professions})."
    return "Referral by a professional only."


@dataclass
class ServiceCard:
    """What a list of services shows for one service."""

    service: object

    @property
    def name(self):
        return self.service.name

    @property
    def url(self):
        return self.service.get_absolute_url()

    @property
    def organisation(self):
        return self.service.organisation.name

    @property
    def summary(self):
        return self.service.summary

    @property
    def levels(self):
        return level_tags(self.service)

    @property
    def focus(self):
        return focus_tag(self.service)

    @property
    def focus_confirmed(self):
        return self.service.focus_confirmed

    @property
    def ages(self):
        return age_range_text(self.service)

    @property
    def age_not_recorded(self):
        return self.service.age_range == AgeRange.NOT_STATED

    @property
    def coverage(self):
        return coverage_text(self.service)

    @property
    def how_to_refer(self):
        return how_to_refer_line(self.service)


def focus_explanations():
    """Every focus value as a Tag, in ladder order, for the 'what do these mean' help."""
    return [Tag(Focus(value).label, FOCUS_TAG_COLOURS[value], FOCUS_EXPLANATIONS[value]) for value in Focus.values]


# --- Search page ------------------------------------------------------------------

MILES_PER_KM = 0.621371


def distance_text(km):
    """'0.4 miles away'; None (no venue to measure to) gives ''."""
    if km is None:
        return ""
    miles = km * MILES_PER_KM
    if miles < 0.1:
        return "less than 0.1 miles away"
    return f"{miles:.1f} miles away" if miles < 10 else f"{miles:.0f} miles away"


@dataclass
class SearchCard(ServiceCard):
    """A result card: a ServiceCard with the distance from the family's postcode."""

    on_list: bool = False  # already on the person's shortlist

    @property
    def distance(self):
        return distance_text(getattr(self.service, "distance_km", None))

    @property
    def id(self):
        return self.service.pk


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
    from directory.filters import REFERRAL_CHOICES, STAGES_BY_VALUE

    cleaned = filterset.form.cleaned_data
    tags = []

    def add(param, value, text, remove_all=False):
        tags.append(FilterTag(param, str(value), text, _query_without(data, param, None if remove_all else str(value))))

    if cleaned.get("q"):
        add("q", cleaned["q"], f"Keywords: {cleaned['q']}", remove_all=True)
    if cleaned.get("postcode"):
        result = cleaned["postcode"]
        add("postcode", result.postcode, f"Near {result.postcode} ({result.district.name})", remove_all=True)
    if cleaned.get("district"):
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


@dataclass(frozen=True)
class OptionGroup:
    """A set of checkboxes or radios for the filter form, ticked from the raw GET data
    (so a submission with one bad value keeps the person's other ticks)."""

    name: str
    legend: str
    kind: str  # "checkbox" or "radio"
    options: list
    error: str = ""

    @property
    def block(self):
        """The NHS.UK frontend component: nhsuk-checkboxes or nhsuk-radios."""
        return "radios" if self.kind == "radio" else "checkboxes"


def _group(filterset, data, name, choices, kind="checkbox", hints=None, any_label=None):
    chosen = set(data.getlist(name))
    options = [Option("", any_label, not chosen)] if any_label else []
    options += [Option(str(v), str(label), str(v) in chosen, (hints or {}).get(v, "")) for v, label in choices]
    errors = filterset.form.errors.get(name)
    return OptionGroup(name, filterset.form.fields[name].label, kind, options, errors[0] if errors else "")


def filter_groups(filterset, data, names=None):
    """The filter form's option groups (all, or those in `names`, in that order), and the
    levels (for the 'what do these mean' help). Search and the map both use this.
    One query per taxonomy shown (levels, needs, delivery modes, languages)."""
    from directory.filters import AUDIENCE_CHOICES, FREE_CHOICES, REFERRAL_CHOICES, STAGES

    fields = filterset.form.fields
    levels = list(fields["level"].queryset)
    builders = {
        # The search page shows the stage as a select beside the exact age; the map as radios.
        "stage": lambda: _group(filterset, data, "stage", [(st.value, st.label) for st in STAGES],
                                kind="radio", any_label="Any age"),
        "level": lambda: _group(filterset, data, "level", [(lv.code, lv.name) for lv in levels],
                                hints={lv.code: lv.description for lv in levels}),
        "focus": lambda: _group(filterset, data, "focus", Focus.choices, hints=dict(FOCUS_EXPLANATIONS)),
        "need": lambda: _group(filterset, data, "need", [(n.code, n.name) for n in fields["need"].queryset]),
        "referral": lambda: _group(filterset, data, "referral", REFERRAL_CHOICES, kind="radio", any_label="Any route"),
        "delivery": lambda: _group(filterset, data, "delivery", [(m.code, m.name) for m in fields["delivery"].queryset]),
        "language": lambda: _group(filterset, data, "language",
                                   [(lang.code, lang.name) for lang in fields["language"].queryset]),
        "free": lambda: _group(filterset, data, "free", FREE_CHOICES),
        "audience": lambda: _group(filterset, data, "audience", AUDIENCE_CHOICES, kind="radio",
                                   any_label="All services"),
    }
    wanted = names or [name for name in builders if name != "stage"]
    return [builders[name]() for name in wanted], levels


def error_list(filterset, extra=()):
    """(field name, message) pairs for the error summary, in the form's order."""
    errors = filterset.form.errors if filterset.is_bound else {}
    return [(name, errors[name][0]) for name in filterset.form.fields if name in errors]


@dataclass(frozen=True)
class Suggestion:
    text: str
    url: str
    count: int


def widening_suggestions(data, tags, count_for):
    """For an empty result: what each active filter excluded, and the nearest widenings.

    `count_for(query_dict)` counts the matches for other parameters (one query each, plus
    validation). Only computed when a search finds nothing, so it never costs a results page.
    """
    from django.http import QueryDict

    from directory.levels import LEVELS

    suggestions = []
    for tag in tags:
        query = QueryDict(tag.remove_url[1:], mutable=True)
        count = count_for(query)
        if count:
            suggestions.append(Suggestion(f"Remove \u201c{tag.text}\u201d", tag.remove_url, count))
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
                count = count_for(query)
                if count:
                    suggestions.append(Suggestion(f"Look at {names[code].lower()} services instead", f"?{query.urlencode()}", count))
    return sorted(suggestions, key=lambda s: -s.count)[:5]


# --- Service page and handout -------------------------------------------------------

@dataclass(frozen=True)
class Row:
    key: str
    value: str
    url: str = ""
    source: object = None  # a sources.SourceNote: where the fact came from, whether it is confirmed


def _row(key, value, url=""):
    # A stored address whose scheme may not be a link (javascript:, data:...) is shown as text.
    return Row(key, value, safe_href(url))


def _rows(*pairs):
    """Summary-list rows, leaving out anything not recorded."""
    return [_row(*pair) for pair in pairs if pair[1]]


NOT_RECORDED = ("Not recorded", "Age range not recorded")


def _sourced(rows, owner, facts, fields):
    """Attach each row's source, from `fields` {row key: fact field}; rows saying 'not recorded' get none."""
    return [
        Row(row.key, row.value, row.url, facts.note(owner, fields[row.key]))
        if row.key in fields and row.value not in NOT_RECORDED else row
        for row in rows
    ]


def _sentences(*parts):
    """'Online form', 'Agencies refer through...' -> 'Online form. Agencies refer through....' (one full stop)."""
    parts = [part.strip().rstrip(".") for part in parts if part and part.strip()]
    return ". ".join(parts) + "." if parts else ""


ROUTE_ROW_FACTS = {"How": "how_to_refer", "Who is accepted": "acceptance_criteria", "Not accepted": "exclusions",
                   "Typical wait": "waiting_time", "Referral contact": "contact", "Referral link": "url"}


@dataclass
class RouteView:
    """One referral route in plain words."""

    route: object
    facts: FactIndex = field(default_factory=FactIndex)

    @property
    def source(self):
        """Where 'who can refer' (the route itself) came from."""
        return self.facts.note(self.route, "referrer")

    @property
    def title(self):
        route = self.route
        if route.referrer == Referrer.SELF:
            return "The family can contact the service themselves"
        if route.referrer == Referrer.AUTOMATIC:
            return "Offered to every family"
        return f"Referral by a professional ({route.professions})" if route.professions else "Referral by a professional"

    @property
    def rows(self):
        route = self.route
        method = ReferralMethod(route.method).label if route.method else ""
        consent = Consent(route.consent_required).label if route.consent_required else ""
        return _sourced(_rows(
            ("How", _sentences(method, route.how_to_refer)),
            ("Who is accepted", route.acceptance_criteria),
            ("Not accepted", route.exclusions),
            ("Typical wait", route.waiting_time),
            ("Family's consent needed", consent),
            ("Referral contact", route.contact),
            ("Referral link", route.url, route.url),
        ), route, self.facts, ROUTE_ROW_FACTS)

    @property
    def recorded(self):
        """False when only 'who can refer' is known: the page then says the details are coming."""
        return bool(self.rows)


def contact_rows(service, facts):
    """Phone, email and website, each with its source. Without a website of its own, the
    organisation's is shown (named as such)."""
    rows = _sourced(_rows(
        ("Phone", service.phone, f"tel:{service.phone.replace(' ', '')}" if service.phone else ""),
        ("Email", service.email, f"mailto:{service.email}" if service.email else ""),
        ("Website", service.url, service.url),
    ), service, facts, {"Phone": "phone", "Email": "email", "Website": "url"})
    organisation = service.organisation
    if not service.url and organisation.url:
        rows.append(Row(f"Website ({organisation.name})", organisation.url, safe_href(organisation.url),
                        facts.note(organisation, "url")))
    return rows


def cost_text(service):
    label = Cost(service.cost).label if service.cost else ""
    parts = [part for part in (label if service.cost else "", service.fees_description) if part]
    return ". ".join(parts) if parts else "Not recorded"


def names_text(terms, empty="Not recorded"):
    names = [term.name for term in terms]
    return ", ".join(names) if names else empty


def last_checked_text(service):
    return format_date(service.last_reviewed, "j F Y") if service.last_reviewed else "Not checked yet"


SERVICE_ROW_FACTS = {
    "Approaches used": "interventions", "How it is delivered": "delivery_modes", "Opening times": "schedule",
    "Baby's age": "age_range", "Parents and carers": "eligibility", "Area": "coverage", "Languages": "languages",
    "Cost": "cost",
}


@dataclass
class ServicePage(ServiceCard):
    """Everything the service page shows. Reads only what `service_get_published` prefetches,
    and the sources of its facts from `facts` (FactIndex.for_services, one query)."""

    facts: FactIndex = field(default_factory=FactIndex)

    @property
    def routes(self):
        return [RouteView(route, self.facts) for route in self.service.referral_routes.all()]

    @property
    def no_route_reason(self):
        return self.service.no_referral_route_reason

    @property
    def contacts(self):
        return contact_rows(self.service, self.facts)

    @property
    def offer_rows(self):
        service = self.service
        return _sourced(_rows(
            ("Needs it helps with", names_text(service.needs.all(), "")),
            ("Approaches used", names_text(service.interventions.all(), "")),
            ("How it is delivered", names_text(service.delivery_modes.all())),
            ("Opening times", service.schedule_description),
        ), service, self.facts, SERVICE_ROW_FACTS)

    @property
    def who_rows(self):
        service = self.service
        return _sourced(_rows(
            ("Baby's age", self.ages),
            ("Parents and carers", service.eligibility_description),
            ("Area", self.coverage),
            ("Languages", names_text(service.languages.all())),
            ("Cost", cost_text(service)),
        ), service, self.facts, SERVICE_ROW_FACTS)

    @property
    def venues(self):
        return [
            Row(sal.venue.name, ", ".join(p for p in (sal.venue.address, sal.venue.postcode) if p), sal.note,
                self.facts.note(sal.venue, "address"))
            for sal in self.service.service_at_locations.all()
        ]

    @property
    def venue_notes(self):
        return {sal.venue.name: sal.venue.accessibility for sal in self.service.service_at_locations.all()}

    @property
    def map_features(self):
        """GeoJSON for the small map: the venues that have a position, and the outlines of
        their districts so the points have a place around them (there may be no tiles)."""
        placed = [sal.venue for sal in self.service.service_at_locations.all() if sal.venue.lat is not None]
        districts = {venue.district.pk: venue.district for venue in placed if venue.district_id}
        points = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [venue.lon, venue.lat]},
                "properties": {"kind": "venue", "name": venue.name},
            }
            for venue in placed
        ]
        outlines = [
            {"type": "Feature", "geometry": district.boundary, "properties": {"kind": "district", "name": district.name}}
            for district in districts.values()
        ]
        return {"type": "FeatureCollection", "features": outlines + points} if points else {"features": []}

    @property
    def last_checked(self):
        return last_checked_text(self.service)

    @property
    def alert(self):
        return self.service.alert


@dataclass
class HandoutItem(ServiceCard):
    """One service on the printed shortlist: what it offers, how to refer, contacts.
    Reads only what the card prefetches (referral routes included), and sources from `facts`."""

    facts: FactIndex = field(default_factory=FactIndex)

    @property
    def routes(self):
        return [RouteView(route, self.facts) for route in self.service.referral_routes.all()]

    @property
    def contacts(self):
        return contact_rows(self.service, self.facts)

    @property
    def age_source(self):
        return self.facts.note(self.service, "age_range")


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
