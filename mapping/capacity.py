"""Unmet need (issue 22, item 5): the needs assessment's Table 2 ("Practitioners for specialised
support") in each district against the practitioner time services have recorded there, and the
gap. Recommendation 8e asks where need is "most in need"; this is how the directory answers it
without reading missing data as a shortage.

The rules (docs/adr/0019-capacity-and-unmet-need.md):

- **Comparable services** are published services whose focus is specialised: Table 2 counts
  practitioners for *specialised* parent-infant support. The Community Perinatal Mental Health
  Team is left out: the need already leaves out the families it sees (about 340 of 2,760; "2420
  families ... require specialist parent-infant relationship support in addition to the families
  supported by the PNMH Service"), so counting its time would count it twice.
- **Recorded** is the sum of the comparable services' practitioner time (whole-time equivalents)
  in the district. Families a year are shown but not counted: Table 2 is in practitioners, and
  turning families into practitioners would need each service's caseload, which we do not know.
  Time recorded by other services is shown, not counted.
- **The gap** is practitioners needed less recorded time, and says how sure it is:
  `NOT_KNOWN` (no comparable service here has recorded its time: the gap cannot be known, and is
  never shown as the whole need), `AT_MOST` (some have: the real gap is at most this, since the
  others' time can only make it smaller), `KNOWN` (all have), `NO_SERVICE` (no comparable service
  covers the district: nothing is provided, so the gap is the whole need).

Pure arithmetic in Decimal on what the selectors loaded: no queries here.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)

# The seeded services whose time is not set against Table 2 (their SeedRecord keys): the needs
# model already takes their families off. A curator's own record of such a service would not be
# found here; a flag on the service would be sturdier (see the ADR).
ALREADY_IN_NEED_KEYS = ("service:community-perinatal-mental-health-team",)
ALREADY_IN_NEED_REASON = ("Not counted: the need already leaves out the families the perinatal mental health "
                          "service sees.")
NOT_SPECIALISED_REASON = ("Not counted: only services whose focus is specialised compare with the needs "
                          "assessment's practitioners for specialised support.")
NO_TIME_REASON = "Not counted: no practitioner time recorded (families a year are not turned into practitioners)."

NOT_KNOWN, AT_MOST, KNOWN, NO_SERVICE = "not_known", "at_most", "known", "no_service"


@dataclass(frozen=True)
class CapacityRecord:
    """One service's recorded capacity in one district, as the selectors loaded it."""

    service_id: int
    service_name: str
    service_url: str
    district_slug: str
    practitioner_wte: object  # Decimal or None
    families_per_year: object  # int or None
    as_of: object  # date or None
    note: str
    specialised: bool
    already_in_need: bool
    source: str = ""  # the capacity fact's source in words, e.g. "An IMHSG curator"
    confirmed_on: object = None  # date the IMHSG confirmed it, or None

    @property
    def counted(self):
        return self.specialised and not self.already_in_need and self.practitioner_wte is not None

    @property
    def why_not_counted(self):
        if self.already_in_need:
            return ALREADY_IN_NEED_REASON
        if not self.specialised:
            return NOT_SPECIALISED_REASON
        if self.practitioner_wte is None:
            return NO_TIME_REASON
        return ""


@dataclass(frozen=True)
class AreaGap:
    """Need against recorded capacity in one district, or the city (slug '')."""

    name: str
    slug: str
    needed: Decimal  # Table 2's practitioners: one decimal for a district, whole for the city
    recorded: Decimal  # practitioner time (WTE) of the comparable services that recorded it
    comparable: int  # comparable services covering the area
    recorded_by: int  # of those, how many recorded practitioner time here
    state: str  # NOT_KNOWN, AT_MOST, KNOWN or NO_SERVICE
    families_only: int = 0  # comparable services that recorded families a year but no time here
    not_counted: Decimal = ZERO  # time recorded here by services that are not comparable
    records: list = field(default_factory=list)  # every CapacityRecord here, counted or not
    districts_known: int = 0  # the city only: districts whose gap is known (KNOWN or NO_SERVICE)
    districts_recorded: int = 0  # the city only: districts where any comparable service recorded time

    @property
    def gap(self):
        """Practitioners needed less recorded time; None when it cannot be known. Negative when
        more time is recorded than the model says is needed."""
        if self.state == NOT_KNOWN:
            return None
        return self.needed - self.recorded

    @property
    def not_recorded(self):
        return max(self.comparable - self.recorded_by, 0)


def _state(comparable, recorded_by):
    if recorded_by == 0:
        return NO_SERVICE if comparable == 0 else NOT_KNOWN
    return KNOWN if recorded_by >= comparable else AT_MOST


@dataclass(frozen=True)
class CapacityGaps:
    districts: list  # AreaGap per district, in the estimate's order
    total: AreaGap  # the city
    records: list  # every CapacityRecord, by district then service

    def for_slug(self, slug):
        return next(area for area in self.districts if area.slug == slug)

    @property
    def anything_recorded(self):
        return bool(self.records)


@dataclass(frozen=True)
class Covering:
    """The comparable services covering an area: how many, and which of the services with
    capacity records are among them (all the arithmetic below asks of the set). A plain set of
    ids is read as one (tests, small directories)."""

    count: int
    members: frozenset

    @classmethod
    def of(cls, value):
        return value if isinstance(value, cls) else cls(len(set(value)), frozenset(value))


def capacity_gaps(*, estimate, comparable, records, comparable_city=None):
    """Need (the estimate's practitioners) against recorded capacity, per district and for the city.

    `comparable` maps a district's slug to the comparable services covering it (published,
    specialised, not already in the need): a `Covering`, or a set of their ids;
    `comparable_city` is the city's `Covering` (the union of the sets when not given); `records`
    is every CapacityRecord of a published service.
    """
    comparable = {slug: Covering.of(value) for slug, value in comparable.items()}
    if comparable_city is None:
        union = frozenset().union(*(covering.members for covering in comparable.values()))
        comparable_city = Covering(len(union), union)
    by_slug = {}
    for record in records:
        by_slug.setdefault(record.district_slug, []).append(record)
    districts = []
    none = Covering(0, frozenset())
    city_counted, city_recorded_by = set(), set()
    city_recorded, city_not_counted = ZERO, ZERO
    for area in estimate.districts:
        here = sorted(by_slug.get(area.slug, []), key=lambda r: (r.service_name.lower(), r.service_id))
        covering = comparable.get(area.slug, none)
        counted = [r for r in here if r.counted]
        # A comparable service that recorded time here counts as covering the district even if
        # its coverage does not say so: its own figure is the better evidence.
        recorded_by = {r.service_id for r in counted}
        services = covering.count + len(recorded_by - covering.members)
        families_only = {r.service_id for r in here
                         if (r.service_id in covering.members or r.service_id in recorded_by) and r.practitioner_wte is None}
        recorded = sum((r.practitioner_wte for r in counted), ZERO)
        not_counted = sum((r.practitioner_wte for r in here if not r.counted and r.practitioner_wte is not None), ZERO)
        districts.append(AreaGap(
            area.name, area.slug, area.practitioners, recorded, services, len(recorded_by),
            _state(services, len(recorded_by)), len(families_only), not_counted, here,
        ))
        city_counted |= recorded_by
        city_recorded_by |= recorded_by
        city_recorded += recorded
        city_not_counted += not_counted
    city_services = comparable_city.count + len(city_counted - comparable_city.members)
    states = [area.state for area in districts]
    known = sum(1 for state in states if state in (KNOWN, NO_SERVICE))
    with_any = sum(1 for state in states if state in (KNOWN, AT_MOST))
    # The city's gap is known only when every district's is; one district's record makes it "at most".
    if states and all(state == NO_SERVICE for state in states):
        city_state = NO_SERVICE
    else:
        city_state = NOT_KNOWN if not with_any else (KNOWN if known == len(states) else AT_MOST)
    total = AreaGap(
        "Birmingham", "", estimate.total.practitioners, city_recorded, city_services, len(city_recorded_by),
        city_state, 0, city_not_counted, [], known, with_any,
    )
    ordered = [record for area in districts for record in area.records]
    return CapacityGaps(districts, total, ordered)


def wte_text(value):
    """Practitioner time as people write it: at least one decimal place, at most two
    (0.8, 1.25, 3.0)."""
    value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{value:f}"
    return text[:-1] if text.endswith("0") else text
