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


def age_range_text(service):
    """Plain words for a service's child age range; never hides 'not recorded'."""
    if service.age_range == AgeRange.ANY:
        return "Any age"
    if service.age_range == AgeRange.NOT_STATED:
        return "Age range not recorded"
    if service.age_words:  # the source's own words, where months cannot say it (docs/adr/0018)
        return f"From {service.age_words}"
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

