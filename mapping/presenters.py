"""What the map and needs pages show: labels, ladders, popups and plain-words summaries.

Presenters only read what the selectors have already loaded: no queries here.
"""
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse

from directory.core.presenters import (  # noqa: F401
    MILES_PER_KM, focus_explanations, focus_tag, how_to_refer_line, level_tags,
)
from mapping.needs import PARAMETERS, TABLE_1, whole


@dataclass(frozen=True)
class Measure:
    key: str  # the GeoJSON property it shades by
    label: str
    explanation: str
    more_need_when_low: bool = False


MEASURES = [
    Measure("population_under_2", "Babies under two", "Population under two (2020)."),
    Measure(
        "imd_decile", "Deprivation", "Index of Multiple Deprivation 2019 decile: 1 is among the most deprived "
        "tenth of England. Darker means more deprived.", more_need_when_low=True,
    ),
    Measure(
        "families_needing_specialised_support", "Modelled need",
        "Families a year modelled to need specialised parent-infant support (see the needs model).",
    ),
    Measure("practitioners_needed", "Practitioners needed", "Specialised practitioners needed (the needs assessment's Table 2)."),
    Measure("specialised_services_mapped", "Specialised services mapped", "Published services specialised in the parent-baby relationship that cover the district."),
    Measure("services_matching", "Services matching your filters", "Services that cover the district and match your filters."),
    Measure("services_local", "Local services matching your filters",
            "Matching services with a venue in the district, or that name the district or a place in it. "
            "City-wide services are counted apart: they cover every district alike."),
    Measure(
        "families_per_local_service", "Need per local service",
        "Modelled families needing specialised support for each local matching service. Higher means less local "
        "provision for the need; no figure means no local service.",
    ),
    Measure(
        "families_per_matching_service", "Need per matching service",
        "Modelled families needing specialised support for each matching service. Higher means less provision for the need.",
    ),
]
MEASURES_BY_KEY = {m.key: m for m in MEASURES}
DEFAULT_MEASURE = "families_needing_specialised_support"


def measure_get(key, default=DEFAULT_MEASURE):
    return MEASURES_BY_KEY.get(key) or MEASURES_BY_KEY[default]


def figure_text(value):
    if value is None:
        return "none"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return intcomma(int(value))


def criteria_line(service):
    """The first line of the service's referral criteria, else the short 'how to refer'."""
    for route in service.referral_routes.all():
        for text in (route.acceptance_criteria, route.how_to_refer):
            line = next((part.strip() for part in text.splitlines() if part.strip()), "")
            if line:
                return line
    return how_to_refer_line(service)


@dataclass(frozen=True)
class LadderItem:
    name: str
    url: str
    organisation: str
    focus: object
    criteria: str


@dataclass(frozen=True)
class LadderStep:
    code: str
    name: str
    description: str
    items: list


def ladder(services, levels):
    """Services grouped by level, universal first; a service at two levels shows on both steps."""
    steps = []
    for level in levels:
        items = [
            LadderItem(s.name, s.get_absolute_url(), s.organisation.name, focus_tag(s), criteria_line(s))
            for s in services
            if any(l.pk == level.pk for l in s.levels.all())
        ]
        steps.append(LadderStep(level.code, level.name, level.description, items))
    return steps


def marker_payload(venue, nearest_km=None):
    """One venue as the map's JS wants it (JSON-safe), with each matching service for the popup."""
    services = []
    for sal in venue.service_at_locations.all():
        service = sal.service
        services.append({
            "name": service.name,
            "url": service.get_absolute_url(),
            "levels": ", ".join(tag.text for tag in level_tags(service)),
            "focus": focus_tag(service).text,
            "how_to_refer": how_to_refer_line(service),
        })
    more = getattr(venue, "service_total", len(services)) - len(services)
    return {
        "name": venue.name,
        "more": more,
        # The rest, in the search, nearest this venue first.
        "more_url": f"{reverse('directory:search')}?{urlencode({'postcode': venue.postcode})}" if more > 0 else "",
        "postcode": venue.postcode,
        "address": venue.address,
        "district": venue.district.name if venue.district_id else "",
        "lat": venue.lat,
        "lon": venue.lon,
        "services": services,
    }


def marker_feature(venue):
    """One venue as a GeoJSON point (RFC 7946: longitude first) with marker_payload's properties."""
    properties = marker_payload(venue)
    lat, lon = properties.pop("lat"), properties.pop("lon")
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


def _names(values, target):
    names = [name for value, name in values if value == target]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def map_summary(rows, measure):
    """A text equivalent of the shaded map: what it shows, and the highest and lowest districts."""
    values = [(row[measure.key], row["name"]) for row in rows if row[measure.key] is not None]
    shaded = f"The map shades Birmingham's {len(rows)} districts by {measure.label.lower()}."
    if not values:
        return f"{shaded} No district has a figure."
    high, low = max(v for v, _ in values), min(v for v, _ in values)
    if measure.more_need_when_low:
        return (
            f"{shaded} Most deprived: {_names(values, low)} (decile {figure_text(low)}). "
            f"Least deprived: {_names(values, high)} (decile {figure_text(high)})."
        )
    return (
        f"{shaded} Highest: {_names(values, high)} ({figure_text(high)}). "
        f"Lowest: {_names(values, low)} ({figure_text(low)})."
    )


@dataclass(frozen=True)
class NeedsRow:
    name: str
    slug: str
    population_under_2: int
    share_percent: str
    families: int
    practitioners: str
    specialised_services: object


def needs_rows(estimate, specialised):
    """The Table 2 rows: one per district. Whole numbers for people, one decimal for practitioners."""
    return [
        NeedsRow(
            area.name, area.slug, area.population_under_2, f"{area.share * 100:.0f}%", whole(area.families),
            f"{area.practitioners:.1f}", specialised.get(area.slug, 0),
        )
        for area in estimate.districts
    ]


@dataclass(frozen=True)
class AttachmentRate:
    pattern: str  # secure, insecure or disorganised
    label: str  # the source's row name
    reference: str  # as the source states it
    birmingham: str  # as the source states it
    in_use: str  # e.g. "50%", from the parameters (saved or what-if)
    overridden: bool


def attachment_rates(parameters, overridden):
    """Table 1 as the source gives it, with the rate this page uses beside each row.

    Secure attachment is worked out (100% less the other two), so a what-if on either changes it.
    """
    rates = {
        "secure": (parameters.secure_percent, {"insecure_percent", "disorganised_percent"} & set(overridden)),
        "insecure": (parameters.insecure_percent, "insecure_percent" in overridden),
        "disorganised": (parameters.disorganised_percent, "disorganised_percent" in overridden),
    }
    return [
        AttachmentRate(pattern, label, reference, birmingham, _percent_text(rates[pattern][0]), bool(rates[pattern][1]))
        for pattern, label, reference, birmingham in TABLE_1
    ]


def _percent_text(value):
    return "Not known" if value is None else f"{_number_text(value)}%"


@dataclass(frozen=True)
class AttachmentRow:
    name: str
    slug: str
    population_under_2: int
    secure: object  # int, or None when it cannot be worked out
    insecure: int
    disorganised: int


def attachment_rows(estimate):
    """Table 1's rates applied to each district's babies under two, then the city: ([district rows], city row)."""
    def row(area):
        secure = None if area.secure is None else whole(area.secure)
        return AttachmentRow(area.name, area.slug, area.population_under_2, secure, whole(area.insecure),
                             whole(area.disorganised))
    return [row(area) for area in estimate.districts], row(estimate.total)


@dataclass(frozen=True)
class ParameterRow:
    name: str
    label: str
    unit: str
    value: str  # in use (saved, or the what-if override)
    saved: str
    source: str
    overridden: bool
    entered: str  # what the person typed, to show back in the form
    error: str


def _number_text(value):
    return f"{value.normalize():f}"


def parameter_rows(parameters, saved, overridden, settings, query, errors):
    """Each parameter in use, with its saved value, its source note from the admin and any error."""
    rows = []
    for name, label, unit in PARAMETERS:
        source = getattr(settings, name.replace("_percent", "") + "_source", "") if settings else ""
        rows.append(ParameterRow(
            name, label, unit, _number_text(getattr(parameters, name)), _number_text(getattr(saved, name)),
            source, name in overridden, str(query.get(name, ""))[:20], errors.get(name, ""),
        ))
    return rows


# --- The map's filter form ------------------------------------------------------------------

# The shared FilterSet's fields offered on the map page; any other filter in the address is
# carried along in hidden inputs, so the map always applies exactly what the URL says.
MAP_FILTERS = ["stage", "level", "focus", "need", "referral", "free"]


def hidden_filters(query, skip):
    """(name, value) pairs of the address's other parameters, to carry through the form."""
    return [(name, value) for name in query for value in query.getlist(name) if name not in skip]


def miles_text(km):
    """'0.6 miles': always one decimal place ('0.0 miles' at the venue itself, '12.3 miles'),
    unlike a search card's "less than 0.1 miles away" and whole miles from ten."""
    miles = km * MILES_PER_KM
    return f"{miles:.1f} mile" + ("" if f"{miles:.1f}" == "1.0" else "s")
