"""What every page family shares: tags for level and focus, plain words for ages,
coverage and how to refer, the card every list shows, and summary-list rows.

Presenters only read what `Service.objects.for_cards()` prefetches, so they never cause a
query per row.
"""
from dataclasses import dataclass

from django.utils.dateformat import format as format_date

from directory.models import FOCUS_EXPLANATIONS, AgeRange, Cost, CoverageType, Focus, Referrer
from directory.core.safe_urls import safe_href

LEVEL_TAG_COLOURS = {"universal": "green", "targeted": "blue", "statutory": "orange", "specialist": "purple"}
FOCUS_TAG_COLOURS = {Focus.SPECIALISED: "pink", Focus.ADDITIONAL: "aqua-green", Focus.NON_SPECIALISED: "grey"}


@dataclass(frozen=True)
class Tag:
    text: str
    colour: str
    explanation: str


# A service flagged `first_step` (Service.first_step): what the needs assessment means by the
# "preferred referral route" (a way into other support, not a route into the service). The tag,
# its explanation and the source's own words live here only; the search cards, the zero-results
# offer and the service page read them.
FIRST_STEP_SECTION = "What we learned from services"
FIRST_STEP_WORDS = (
    "We heard from most services that children's centres or health visitors are the preferred referral route "
    "to access parent-infant relationship support for families."
)
FIRST_STEP_SOURCE = (f"The needs assessment (May 2022), {FIRST_STEP_SECTION}", FIRST_STEP_WORDS)
FIRST_STEP_TAG = Tag(
    "First step into other support", "white",
    "Most services told the needs assessment that health visitors and children's centres are the preferred "
    "route for families to reach parent-infant relationship support.",
)


def first_step_tag(service):
    """The first-step tag for a service flagged as one, else None."""
    return FIRST_STEP_TAG if service.first_step else None


MILES_PER_KM = 0.621371


def miles_figure(km):
    """How far, in miles, as the search page and the parents' pages write it: one decimal place
    under ten miles ("0.4"), whole miles from ten ("12"); None under 0.1 miles, which each words
    its own way ("less than 0.1 miles away", "Very close to you")."""
    miles = km * MILES_PER_KM
    if miles < 0.1:
        return None
    return f"{miles:.1f}" if miles < 10 else f"{miles:.0f}"


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


# Words a source's age range may start with that read as the start of a range ("pregnancy to
# 28 days after birth" -> "From pregnancy to 28 days after birth").
_STARTS = ("pregnancy", "conception", "birth")


def age_words_text(words):
    """A stated range in the source's words (Service.age_words), as a line of a page: 'From ...'
    where the words start where a range starts, otherwise the words with a capital."""
    words = " ".join(words.split()).rstrip(".")
    if words.lower().split(" ", 1)[0] in _STARTS:
        return f"From {words}"
    return words[:1].upper() + words[1:]


def age_range_text(service):
    """Plain words for a service's child age range; never hides 'not recorded'.

    A stated range is shown in the source's words when it has them (`age_words`: months cannot
    say "28 days after birth"), else from its months. `age_to_months` is inclusive: 0..59 is "From
    birth to 5 years", 0..23 "to 2 years". A range that starts in pregnancy and stops at month 0
    ends "to birth": the seed stores "pre-birth" as -9..0 (docs/adr/0018), and the page claims no
    month after birth that no source printed (the API's maximum_age is 0 for it too). Where a
    source says more ("28 days after birth"), its words are shown."""
    if service.age_range == AgeRange.ANY:
        return "Any age"
    if service.age_range == AgeRange.NOT_STATED:
        return "Age range not recorded"
    if service.age_words.strip():
        return age_words_text(service.age_words)
    start, end = service.age_from_months, service.age_to_months
    if end < 0 or (end == 0 and start < 0):
        if start <= -9:
            return "During pregnancy" if end < 0 else "From pregnancy to birth"
        return f"From {month_text(start)} to birth"
    # to_months is inclusive: 23 means "up to the second birthday".
    upper = month_text(end + 1)
    if start <= -9:
        return f"From pregnancy to {upper}"
    if start < 0:
        return f"From {month_text(start)} to {upper}"
    if start == 0:
        return f"From birth to {upper}"
    return f"From {month_text(start)} to {upper}"


def coverage_text(service, *, city_wide="City-wide", no_districts="Districts not recorded"):
    """Where a service works: "City-wide", its districts, or its locality with the locality's
    district ("Kings Heath (Hall Green)"). The parents' pages pass their own words."""
    if service.coverage_type == CoverageType.CITY_WIDE:
        return city_wide
    if service.coverage_type == CoverageType.DISTRICTS:
        names = [d.name for d in service.coverage_districts.all()]
        return ", ".join(names) if names else no_districts
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
    """The first line of how to refer, for a result card. It says what the recorded routes say
    and no more: a service with only professional routes recorded reads "Referral by a
    professional.", not "... only" (no source says the family may not get in another way)."""
    routes = list(service.referral_routes.all())
    if not routes:
        return "How to refer is not recorded yet."
    referrers = {route.referrer for route in routes}
    # Every kind of route recorded is said, the one every family gets first.
    lines = ["Offered to every family."] if Referrer.AUTOMATIC in referrers else []
    if Referrer.SELF in referrers and Referrer.PROFESSIONAL in referrers:
        lines.append("Families can contact the service themselves, or a professional can refer.")
    elif Referrer.SELF in referrers:
        lines.append("Families can contact the service themselves.")
    elif Referrer.PROFESSIONAL in referrers:
        professions = ", ".join(route.professions for route in routes if route.professions)
        lines.append(f"Referral by a professional ({professions})." if professions else "Referral by a professional.")
    return " ".join(lines)


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
    def first_step(self):
        """The "first step into other support" tag (a Tag), or None."""
        return first_step_tag(self.service)

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


def cost_text(service):
    label = Cost(service.cost).label if service.cost else ""
    parts = [part for part in (label if service.cost else "", service.fees_description) if part]
    return ". ".join(parts) if parts else "Not recorded"


def names_text(terms, empty="Not recorded"):
    names = [term.name for term in terms]
    return ", ".join(names) if names else empty


def last_checked_text(service):
    return format_date(service.last_reviewed, "j F Y") if service.last_reviewed else "Not checked yet"

