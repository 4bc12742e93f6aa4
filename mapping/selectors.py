"""Reads for the map and the needs page. Each says what it costs in queries."""
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    CharField, Count, Exists, F, FilteredRelation, IntegerField, OuterRef, Prefetch, Q, Value, Window,
)
from django.db.models.functions import Cast, RowNumber
from django.urls import reverse

from django.conf import settings

from directory.core.distances import distance_km
from directory.search import facets
from directory.search import selectors as directory_selectors
from directory.models import (
    CoverageType, Focus, ReferralPrepared, ReferralRoute, SeedRecord, Service, ServiceAtLocation, ServiceCapacity,
    ServiceDistrict, SourceKind, Status, Venue, month_start, months_before,
)
from mapping.capacity import ALREADY_IN_NEED_KEYS, CapacityRecord, Covering
from mapping.models import District, NeedsModelSettings
from mapping.needs import SEED_VALUES, NeedsParameters


def needs_parameters_get():
    """The curators' saved parameters (1 query); the seed's if the row is missing."""
    settings = NeedsModelSettings.objects.first()
    if settings is None:
        return NeedsParameters(**SEED_VALUES), None
    return NeedsParameters.from_settings(settings), settings


def district_list(*, with_boundary=False):
    """The ten districts in name order (1 query); the 115 kB of boundaries only when asked for."""
    queryset = District.objects.order_by("name")
    if not with_boundary:
        queryset = queryset.defer("boundary")
    return list(queryset)


def matching_services(*, data):
    """Published services matching the practitioner search's filters: (queryset, filterset).

    The FilterSet is shared with /search/ (directory/search/filters.py, issue 3).
    """
    return directory_selectors.service_filter_queryset(data=data)


def district_service_counts(*, services, districts, filterset=None):
    """Matching services in each district: in total, local (not only city-wide), by level and
    by focus. From the search's facet index when `filterset` (the one `services` came from) is
    given and the index knows its filters (docs/adr/0029): no query; else 2 queries, as follows.

    "In a district" is `in_district_q` (city-wide, listed, locality, or a venue there) and
    "local" its part without city-wide, both read from the maintained table `ServiceDistrict`
    (docs/adr/0012): one row per service and district it is in, `is_local` when it is more than
    city-wide. A row that is not local is there because the service is city-wide, and every
    city-wide service has one in every district. So the counts join only the local rows (a
    fifth of them at 100,000 services; city-wide services were most of the join) and count
    the city-wide services once, without districts (issue 26):

        in d, with focus f = local rows in d with f + city-wide with f - city-wide local in d with f

    and the same by level. Each count is one query: the local rows grouped by district and
    focus (or level), with the city-wide ones grouped by focus (or level) alone as rows with no
    district (UNION ALL). The number of queries does not grow with districts or levels, and no
    COUNT(DISTINCT) is needed. `services` must not join a many-valued relation (the FilterSet's
    filters use pk__in subqueries, ADR 4), or rows would be counted twice.
    Returns {slug: {"total": n, "local": n, "by_level": {code: n}, "by_focus": {value: n}}}.
    """
    level_codes = [code for code, _ in _level_choices()]
    if filterset is not None and settings.SEARCH_FACET_INDEX and facets.supports(filterset):
        index = facets.current_index()
        return facets.district_counts(index, facets.filter_masks(index, filterset), districts, level_codes,
                                      Focus.values)
    counts = {
        d.slug: {"total": 0, "local": 0, "by_level": dict.fromkeys(level_codes, 0),
                 "by_focus": dict.fromkeys(Focus.values, 0)}
        for d in districts
    }
    if not districts:
        return counts
    slugs = {d.pk: d.slug for d in districts}
    city_wide = Q(coverage_type=CoverageType.CITY_WIDE)
    for key, group in (("focus", "focus"), ("level", "levels__code")):
        local = (services.order_by().filter(district_rows__is_local=True)
                 .values(district=F("district_rows__district"), key_=F(group))
                 .annotate(n=Count("pk"), city_wide_n=Count("pk", filter=city_wide)))
        everywhere = (services.order_by().filter(city_wide)
                      .values(district=Cast(Value(None), output_field=IntegerField()), key_=F(group))
                      .annotate(n=Count("pk"), city_wide_n=Count("pk")))
        rows = list(local.union(everywhere, all=True))
        city = {row["key_"]: row["n"] for row in rows if row["district"] is None}
        for slug in slugs.values():  # every city-wide service is in every district
            for value, n in city.items():
                _add(counts[slug], key, value, n)
        for row in rows:
            slug = slugs.get(row["district"])
            if slug is None:
                continue
            # Local rows, less the city-wide services among them (already counted above).
            _add(counts[slug], key, row["key_"], row["n"] - row["city_wide_n"], local=row["n"])
    return counts


def _add(count, key, value, n, local=0):
    if key == "focus":
        count["total"] += n
        count["local"] += local
        count["by_focus"][value] = count["by_focus"].get(value, 0) + n
    elif value is not None:  # a service with no level is in no level's count
        count["by_level"][value] = count["by_level"].get(value, 0) + n


def _level_choices():
    from directory.core.levels import LEVELS

    return [(code, name) for code, name, _, _ in LEVELS]


@dataclass(frozen=True)
class SpecialisedProvision:
    """Published services specialised in the parent-baby relationship, by district."""

    counts: dict  # {slug: n}: every one mapped there (the needs page's "specialised services mapped")
    total: int  # in the city (a service counts once however many districts it is in)
    # {slug: Covering}: those whose time is set against Table 2 (mapping/capacity.py): how many
    # cover each district, and which of the services with capacity records are among them.
    comparable: dict
    comparable_city: Covering  # the same for the city (a service counts once)


def _already_in_need(service_ref):
    """Whether the service is one whose families the needs model already takes off (a seeded
    record named in mapping.capacity.ALREADY_IN_NEED_KEYS)."""
    return Exists(SeedRecord.objects.filter(
        model="directory.service", key__in=ALREADY_IN_NEED_KEYS,
        object_id=Cast(service_ref, output_field=CharField()),
    ))


def specialised_provision(*, districts):
    """Published services whose focus is specialised, in each district (ServiceDistrict, the
    `in_district` rule), and which of them compare with Table 2. 1 query.

    Counted in the database (issue 26): at 100,000 services this was a row per service and
    district (about 100,000) read into Python with a seed-record lookup each. Three kinds of
    row, UNION ALL: per district, the services there and the comparable ones among them; for
    the city, the same once each; and, for the services with capacity records only (a handful),
    each district where they are comparable, which is all mapping/capacity.py needs of the sets.
    """
    slugs = {d.pk: d.slug for d in districts}
    if settings.SEARCH_FACET_INDEX:
        return _specialised_from_index(districts, slugs)
    t = {name: connection.ops.quote_name(model._meta.db_table) for name, model in (
        ("service", Service), ("district", ServiceDistrict), ("seed", SeedRecord), ("capacity", ServiceCapacity))}
    keys = ", ".join(["%s"] * len(ALREADY_IN_NEED_KEYS))
    # sp: the specialised services, whether the need already leaves them out, whether city-wide.
    specialised = (
        f"SELECT s.id, CASE WHEN CAST(s.id AS TEXT) IN (SELECT object_id FROM {t['seed']} "
        f"WHERE model = %s AND key IN ({keys})) THEN 1 ELSE 0 END AS already, "
        f"CASE WHEN s.coverage_type = %s THEN 1 ELSE 0 END AS city_wide "
        f"FROM {t['service']} s WHERE s.status = %s AND s.focus = %s"
    )
    params = ["directory.service", *ALREADY_IN_NEED_KEYS, CoverageType.CITY_WIDE, Status.PUBLISHED, Focus.SPECIALISED]
    # As in district_service_counts: only the local rows are joined (a city-wide service is in
    # every district, so it is counted once for all of them and taken off where it is local).
    # Columns: kind, district, service, n, comparable n, n city-wide, comparable n city-wide.
    null = "CAST(NULL AS BIGINT)"
    sql = (
        f"WITH sp AS ({specialised}) "
        f"SELECT 'd', x.district_id, {null}, COUNT(*), SUM(1 - sp.already), SUM(sp.city_wide), "
        f"SUM(sp.city_wide * (1 - sp.already)) FROM sp "
        f"JOIN {t['district']} x ON x.service_id = sp.id AND x.is_local = %s GROUP BY x.district_id "
        f"UNION ALL SELECT 'c', {null}, {null}, COUNT(*), SUM(1 - sp.already), SUM(sp.city_wide), "
        f"SUM(sp.city_wide * (1 - sp.already)) FROM sp "
        f"UNION ALL SELECT 'm', x.district_id, sp.id, 0, 0, 0, 0 FROM sp JOIN {t['district']} x ON x.service_id = sp.id "
        f"WHERE sp.already = 0 AND sp.id IN (SELECT service_id FROM {t['capacity']})"
    )
    params.append(True)
    local, members = {}, {slug: set() for slug in slugs.values()}
    total = city_comparable = everywhere = everywhere_comparable = 0
    city_members = set()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row_kind, district_id, service_id, n, comparable_n, city_wide_n, city_wide_comparable in cursor.fetchall():
            slug = slugs.get(district_id)
            if row_kind == "c":
                total, city_comparable = n, comparable_n or 0
                everywhere, everywhere_comparable = city_wide_n or 0, city_wide_comparable or 0
            elif row_kind == "d" and slug is not None:
                # Local rows here, less the city-wide services among them (counted everywhere below).
                local[slug] = (n - (city_wide_n or 0), (comparable_n or 0) - (city_wide_comparable or 0))
            elif row_kind == "m":
                city_members.add(service_id)
                if slug is not None:
                    members[slug].add(service_id)
    counts = {slug: everywhere + local.get(slug, (0, 0))[0] for slug in slugs.values()}
    comparable_counts = {slug: everywhere_comparable + local.get(slug, (0, 0))[1] for slug in slugs.values()}
    comparable = {slug: Covering(comparable_counts[slug], frozenset(members[slug])) for slug in slugs.values()}
    return SpecialisedProvision(counts, total, comparable, Covering(city_comparable, frozenset(city_members)))


def _specialised_from_index(districts, slugs):
    """specialised_provision from the search's facet index (docs/adr/0029): one small query for
    the ids the need already leaves out and those with capacity records; the counts are the
    index's."""
    t = {name: connection.ops.quote_name(model._meta.db_table) for name, model in (
        ("seed", SeedRecord), ("capacity", ServiceCapacity))}
    keys = ", ".join(["%s"] * len(ALREADY_IN_NEED_KEYS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 'already', object_id FROM {t['seed']} WHERE model = %s AND key IN ({keys}) "
            f"UNION ALL SELECT 'recorded', CAST(service_id AS TEXT) FROM {t['capacity']}",
            ["directory.service", *ALREADY_IN_NEED_KEYS])
        rows = cursor.fetchall()
    already = {int(value) for what, value in rows if what == "already" and str(value).isdigit()}
    recorded = sorted({int(value) for what, value in rows if what == "recorded"} - already)
    index = facets.current_index()
    counts, total, comparable, city_comparable, members, city_members = facets.specialised_by_district(
        index, districts, already, recorded)
    return SpecialisedProvision(
        {slug: counts[pk] for pk, slug in slugs.items()}, total,
        {slug: Covering(comparable[pk], frozenset(members[pk])) for pk, slug in slugs.items()},
        Covering(city_comparable, frozenset(city_members)),
    )


def capacity_records(*, districts):
    """Every recorded capacity of a published service, in the listed districts, with its
    service's name, address and focus, whether the needs model already leaves the service out,
    and the source of the service's "capacity" fact. 1 query (the fact is a LEFT JOIN)."""
    slugs = {d.pk: d.slug for d in districts}
    rows = (
        ServiceCapacity.objects.filter(service__status=Status.PUBLISHED, district__in=list(slugs))
        .annotate(
            source=FilteredRelation("service__facts", condition=Q(service__facts__field="capacity")),
            already=_already_in_need(OuterRef("service_id")),
        )
        .order_by("service__name", "service_id", "district_id")
        .values_list("service_id", "service__name", "service__slug", "service__focus", "district_id",
                     "practitioner_wte", "families_per_year", "as_of", "note", "already", "source__kind",
                     "source__confirmed_on")
    )
    kinds = dict(SourceKind.choices)
    return [
        CapacityRecord(
            service_id=service_id, service_name=name, service_url=reverse("directory:service-detail", args=[slug]),
            district_slug=slugs[district_id], practitioner_wte=wte, families_per_year=families, as_of=as_of,
            note=note, specialised=focus == Focus.SPECIALISED, already_in_need=bool(already),
            source=kinds.get(kind, "") if kind else "", confirmed_on=confirmed_on,
        )
        for (service_id, name, slug, focus, district_id, wte, families, as_of, note, already, kind,
             confirmed_on) in rows
    ]


# A venue's popup and table row list at most this many of its services, then link to a
# search near the venue for the rest: a payload bounded by venues, not by services.
SERVICES_PER_VENUE = 10


def venue_positions(*, services):
    """Every located venue of the matching services as (pk, name, postcode, lat, lon,
    district_id), by name. 1 query, a few columns: enough to count them, find the nearest
    and choose which to list."""
    matching = ServiceAtLocation.objects.filter(service__in=services.values("pk")).values("venue_id")
    return list(
        Venue.objects.filter(pk__in=matching, lat__isnull=False).order_by("name", "pk")
        .values_list("pk", "name", "postcode", "lat", "lon", "district_id")
    )


class _Rows(list):
    """A list that answers .all(), as a prefetched relation does: the popup's presenters
    (level_tags, how_to_refer_line) read `service.levels.all()` and `service.referral_routes.all()`."""

    def all(self):
        return self


@dataclass
class PopupService:
    """What a map popup shows of a service: plain values, not model instances."""

    pk: int
    name: str
    slug: str
    focus: str
    url_pattern: str
    levels: _Rows
    referral_routes: _Rows

    def get_absolute_url(self):
        return self.url_pattern.replace(_SLUG, self.slug)


@dataclass
class _PopupLevel:
    code: str
    name: str
    rank: int
    description: str


@dataclass
class _PopupRoute:
    referrer: str
    professions: str


@dataclass
class _Placement:
    venue_id: int
    service: PopupService


_SLUG = "slug-of-the-service"
_CHUNK = 900  # ids per IN list: below SQLite's smallest limit on bound parameters


def venues_for_map(*, services, venue_ids=None):
    """Venues (with a position) of the matching services, each with `popup_services`: its
    first SERVICES_PER_VENUE matching services by name (each with `.service`, a PopupService:
    name, address, focus, levels and routes), and `service_total`; only `venue_ids` when given.
    4 queries (2 more per 900 services listed).

    Read as plain values and grouped here (issue 26): at 100,000 services a popup's services
    as model instances, through prefetches that clone a queryset and build a related manager
    per service, and a URL reversed per service, cost seconds of Python for the markers when
    nothing was cached (a Prefetch with this windowed queryset cost 1.1 s of 3.3 s at 10,000)."""
    matching = services.values("pk")
    first_services = (
        ServiceAtLocation.objects.filter(service__in=matching)
        .annotate(position=Window(RowNumber(), partition_by=F("venue_id"), order_by=[F("service__name").asc(),
                                                                                    F("service_id").asc()]))
        .filter(position__lte=SERVICES_PER_VENUE)
        .order_by("service__name", "service_id")
        .values_list("venue_id", "service_id", "service__name", "service__slug", "service__focus")
    )
    if venue_ids is not None:
        first_services = first_services.filter(venue_id__in=venue_ids)
    venues = Venue.objects.filter(pk__in=ServiceAtLocation.objects.filter(service__in=matching).values("venue_id"))
    if venue_ids is not None:
        venues = venues.filter(pk__in=venue_ids)
    venues = list(
        venues.filter(lat__isnull=False)
        .annotate(service_total=Count("service_at_locations", filter=Q(service_at_locations__service__in=matching)))
        .select_related("district")
        .defer("district__boundary")
        .order_by("name")
    )
    if not venues:
        return venues
    rows = list(first_services)  # rows of venues without a position are simply not used
    url_pattern = reverse("directory:service-detail", kwargs={"slug": _SLUG})
    popups = {}
    for _, service_id, name, slug, focus in rows:
        if service_id not in popups:
            popups[service_id] = PopupService(service_id, name, slug, focus, url_pattern, _Rows(), _Rows())
    ids = sorted(popups)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for service_id, code, name, rank, description in (
            Service.levels.through.objects.filter(service_id__in=chunk)
            .values_list("service_id", "level__code", "level__name", "level__rank", "level__description")
        ):
            popups[service_id].levels.append(_PopupLevel(code, name, rank, description))
        for service_id, referrer, professions in (
            ReferralRoute.objects.filter(service_id__in=chunk).order_by("service_id", "order", "id")
            .values_list("service_id", "referrer", "professions")
        ):
            popups[service_id].referral_routes.append(_PopupRoute(referrer, professions))
    by_venue = {}
    for venue_id, service_id, *_ in rows:
        by_venue.setdefault(venue_id, []).append(_Placement(venue_id, popups[service_id]))
    for venue in venues:
        venue.popup_services = by_venue.get(venue.pk, [])
    return venues


def services_in_district_for_panel(*, services, district):
    """Matching services in one district, with what the ladder shows. 4 queries."""
    routes = ReferralRoute.objects.order_by("order", "id")
    return list(
        Service.objects.filter(pk__in=services.values("pk")).in_district(district)
        .select_related("organisation")
        .prefetch_related("levels", Prefetch("referral_routes", queryset=routes))
        .order_by("name")
    )


def nearest_venues(*, venues, lat, lon, limit=5):
    """[(venue, km)] nearest first, from venues already loaded (no query): model instances,
    or `venue_positions` rows. Measured as search measures (directory/core/distances.py)."""
    def position(venue):
        return (venue[3], venue[4]) if isinstance(venue, tuple) else (venue.lat, venue.lon)

    ranked = sorted(((v, distance_km(lat, lon, *position(v))) for v in venues), key=lambda pair: pair[1])
    return ranked[:limit]


def referrals_prepared(*, today):
    """(rows, first month, last month): referral summaries prepared per published service over the
    12 complete months before `today`'s month (issue 24), most first; a month still under way is
    left out, so the page (cached per day) never shows a count that is still moving. 1 query."""
    this_month = month_start(today)
    since = months_before(this_month, 12)
    rows = (ReferralPrepared.objects.filter(service__status=Status.PUBLISHED)
            .totals_by_service(since=since, before=this_month))
    return rows, since, months_before(this_month, 1)
