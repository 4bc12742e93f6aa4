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
from mapping.capacity import AT_MOST, NO_SERVICE, NOT_KNOWN, wte_text
from mapping.needs import PARAMETERS, TABLE_1, whole


@dataclass(frozen=True)
class Measure:
    key: str  # the GeoJSON property it shades by
    label: str
    explanation: str
    more_need_when_low: bool = False
    # A district with no figure is drawn hatched grey, never as the lowest band; the legend says why.
    none_label: str = "No figure"
    none_summary: str = "No district has a figure."
    # Need against capacity: a district where some specialised services have recorded their time
    # and some have not is outlined dashed; its figure is read with this prefix.
    partial_prefix: str = ""
    partial_legend: str = ""


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
        none_label="No local service", none_summary="No district has a local matching service.",
    ),
    Measure(
        "practitioner_time_recorded", "Practitioner time recorded",
        "Practitioner time (whole-time equivalents) that specialised services have recorded in the district. "
        "No figure means none of them has recorded it yet, not that there is none.",
        none_label="No capacity recorded", none_summary="No specialised service has recorded its practitioner time yet.",
        partial_prefix="at least ",
        partial_legend="Dashed outline: not every specialised service has recorded its time, so there may be more",
    ),
    Measure(
        "practitioner_gap", "Gap: practitioners needed less time recorded",
        "Practitioners needed (Table 2) less the practitioner time specialised services have recorded. Higher means "
        "more need not met. No figure means no specialised service has recorded its time, so the gap is not known.",
        none_label="No capacity recorded: gap not known",
        partial_prefix="up to ",
        partial_legend="Dashed outline: not every specialised service has recorded its time, so the gap is at most this",
        none_summary="No specialised service has recorded its practitioner time yet, so no district's gap can be "
        "known.",
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
        # One or two decimal places, as map.js's formatNumber: 0.25 practitioner time is a real figure.
        text = f"{value:,.2f}"
        return text[:-1] if text.endswith("0") else text
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
    for sal in venue.popup_services:
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
    """A text equivalent of the shaded map: what it shows, the highest and lowest districts, and
    how many have no figure (drawn hatched). map.js says the same when the shading changes."""
    values = [(row[measure.key], row["name"]) for row in rows if row[measure.key] is not None]
    shaded = f"The map shades Birmingham's {len(rows)} districts by {measure.label.lower()}."
    if not values:
        return f"{shaded} {measure.none_summary}"
    missing = len(rows) - len(values)
    none = f" {measure.none_label} in {missing} district{'s' if missing != 1 else ''}." if missing else ""
    high, low = max(v for v, _ in values), min(v for v, _ in values)
    if measure.more_need_when_low:
        return (
            f"{shaded} Most deprived: {_names(values, low)} (decile {figure_text(low)}). "
            f"Least deprived: {_names(values, high)} (decile {figure_text(high)}).{none}"
        )
    return (
        f"{shaded} Highest: {_names(values, high)} ({figure_text(high)}). "
        f"Lowest: {_names(values, low)} ({figure_text(low)}).{none}"
    )


def measures_json(measures):
    """What map.js needs of each measure (JSON-safe)."""
    return [{"key": m.key, "label": m.label, "low": m.more_need_when_low, "none": m.none_label,
             "noneSummary": m.none_summary, "partialPrefix": m.partial_prefix, "partialLegend": m.partial_legend}
            for m in measures]


# --- Need against recorded capacity (mapping/capacity.py) --------------------------------------

@dataclass(frozen=True)
class GapRow:
    name: str
    slug: str
    state: str
    needed: str  # Table 2's figure as it prints it: 3.7, and 47 for the city
    recorded: str  # "Not recorded" or the WTE
    gap: str  # in words when it cannot be a plain number
    gap_hint: str  # what the gap means, for the row
    services: str  # "0 of 1"
    services_hint: str  # more about who has recorded


def _gap_words(area):
    """The gap in words, and a hint only where the figure alone could mislead."""
    if area.state == NOT_KNOWN:
        return "Not known yet", ""
    gap = area.gap
    if area.state == NO_SERVICE:
        return wte_text(gap), "No specialised service is mapped here: none of the need is met."
    if gap <= 0:
        return "None", (f"{wte_text(-gap)} more practitioner time recorded than needed." if gap < 0
                        else "The recorded time matches the need.")
    if area.state == AT_MOST:
        return f"Up to {wte_text(gap)}", "Not every specialised service has recorded its time: the gap may be smaller."
    return wte_text(gap), ""


def _services_words(area, *, city=False):
    text = f"{area.recorded_by} of {area.comparable}"
    hints = []
    if area.families_only:
        hints.append(f"{area.families_only} more recorded families a year only")
    if area.not_counted:
        hints.append(f"{wte_text(area.not_counted)} practitioner time recorded by other services, not counted")
    if city:
        hints.append(f"gap known in {area.districts_known} of 10 districts")
    said = "; ".join(hints)
    return text, (said[:1].upper() + said[1:] + ".") if said else ""


def gap_row(area, *, city=False):
    """One district's (or the city's) need against recorded capacity, in words."""
    gap, gap_hint = _gap_words(area)
    services, services_hint = _services_words(area, city=city)
    needed = f"{area.needed:.0f}" if city else f"{area.needed:.1f}"
    recorded = "Not recorded" if area.state == NOT_KNOWN else wte_text(area.recorded)
    return GapRow(area.name, area.slug, area.state, needed, recorded, gap, gap_hint, services, services_hint)


def _services(n):
    return f"{n} specialised service{'s' if n != 1 else ''}"


def gap_sentence(area):
    """One district's gap as a sentence, for its panel on the map."""
    if area.state == NOT_KNOWN:
        if area.comparable == 1:
            return f"Not known yet: the specialised service covering {area.name} has not recorded its practitioner time."
        return (f"Not known yet: none of the {_services(area.comparable)} covering {area.name} has recorded "
                "its practitioner time.")
    if area.state == NO_SERVICE:
        return f"All {area.needed:.1f} practitioners: no specialised service covers {area.name}."
    recorded = f"{wte_text(area.recorded)} practitioner time recorded by {area.recorded_by} of {_services(area.comparable)}"
    gap = area.gap
    if gap <= 0:
        return f"None: {recorded}, for {area.needed:.1f} needed."
    if area.state == AT_MOST:
        return f"Up to {wte_text(gap)} practitioners ({recorded}, for {area.needed:.1f} needed)."
    return f"{wte_text(gap)} practitioners ({recorded}, for {area.needed:.1f} needed)."


def gap_rows(gaps):
    """The gap table's rows, one per district: ([rows], city row)."""
    return [gap_row(area) for area in gaps.districts], gap_row(gaps.total, city=True)


@dataclass(frozen=True)
class CapacityLine:
    service: str
    url: str
    district: str
    practitioner_wte: str  # "" when not recorded
    families_per_year: str
    as_of: str
    note: str
    counted: bool
    why_not: str
    source: str  # "An IMHSG curator, confirmed 3 December 2026"


def capacity_lines(gaps):
    """Every recorded capacity, as the page lists it under the gap table."""
    names = {area.slug: area.name for area in gaps.districts}
    lines = []
    for record in gaps.records:
        source = record.source or "Not recorded"
        if record.confirmed_on:
            source += f", confirmed by the IMHSG on {date_text(record.confirmed_on)}"
        elif record.source:
            source += ", not yet confirmed by the IMHSG"
        lines.append(CapacityLine(
            record.service_name, record.service_url, names.get(record.district_slug, ""),
            wte_text(record.practitioner_wte) if record.practitioner_wte is not None else "",
            intcomma(record.families_per_year) if record.families_per_year is not None else "",
            date_text(record.as_of) if record.as_of else "", record.note, record.counted, record.why_not_counted, source,
        ))
    return lines


def date_text(value):
    return f"{value.day} {value:%B %Y}"


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
