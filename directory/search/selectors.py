"""Reads. Views, the map, the API and tests share these query paths."""
from dataclasses import dataclass, field

import numpy as np

from django.core.paginator import Paginator
from django.http import QueryDict
from django.db.models import (
    Case, CharField, Count, Exists, F, FloatField, IntegerField, Min, OuterRef, Prefetch, Q, Subquery, Value, When,
)
from django.db import connection
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.conf import settings

from directory.search import facets
from directory.search import keywords as search
from directory.search import understand
from directory.search.filters import STAGES, ServiceFilter
from directory.models import (
    AgeRange, Cost, NeedStep, ReferralRoute, Referrer, SearchMatch, Service, ServiceAtLocation, ServiceDistrict,
    age_q,
)
from directory.core.distances import km_from_squared_degrees, longitude_scale, squared_degrees
from directory.core.numbers import whole_number
from directory.search.terms import terms

RESULTS_PER_PAGE = 20


def service_list_published():
    """Published services with everything a card shows: 5 queries whatever the count."""
    return Service.objects.published().for_cards().order_by("name")


def level_list():
    """The levels, by rank: the in-memory list of directory/search/terms.py (no query once read)."""
    return terms()["level"]


def _cards(queryset):
    # locality_district is shown on cards ("Kings Heath (Hall Green)"): join it rather than
    # pay a query per locality service.
    return queryset.for_cards().select_related("locality_district").defer("locality_district__boundary")


# --- Search -----------------------------------------------------------------

def service_filter_queryset(*, data):
    """(queryset, filterset): published services matching the GET parameters `data`.

    Every filter applies, including the keyword match, but not sorting, ranking or
    pagination: the map and the API take it from here. Bad values never raise: see
    `filterset.errors`. Validating the form costs one query per taxonomy parameter given
    (and one for a postcode).
    """
    reading = understand.read(as_query_dict(data))
    filterset = ServiceFilter(data=reading.data, queryset=Service.objects.published())
    filterset.reading_notices = reading.notices
    return filterset.qs, filterset


def as_query_dict(data):
    """Accept request.GET, or a plain dict whose values are strings or lists (tests, the map)."""
    if isinstance(data, QueryDict):
        return data
    query = QueryDict(mutable=True)
    for name, value in (data or {}).items():
        query.setlist(name, [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)])
    return query


# Best match (docs/adr/0004-search.md, issue 22): a service known to fit the baby's age counts
# 4, one local to the family (listed for their district, a locality in it, or a venue there
# when it is not city-wide) 2, one open to families generally (not only a named hospital's
# patients or one pilot's clients) 2. Then how well the keywords match, then whether a
# referral route is recorded, then distance. So a known fit outranks an unknown range
# wherever it is, a local service a city-wide one, and a hospital's own service never comes
# first for a family merely because the hospital is near.
FIT_AGE, FIT_LOCAL, FIT_OPEN = 4, 2, 2


def fit_annotate(queryset, *, age_searched, district):
    """Annotate `age_fits`, `is_local`, `is_open`, `has_route` (0 or 1) and `fit`, the weighted
    sum of the first three. `age_fits` is 0 only for an unrecorded range, and only when an age
    was searched for; `is_local` is 1 only when there is a place to be local to."""
    age_fits = (
        Case(When(age_range=AgeRange.NOT_STATED, then=Value(0)), default=Value(1), output_field=IntegerField())
        if age_searched else Value(1, output_field=IntegerField())
    )
    if district is not None:
        # The maintained table's is_local rows (docs/adr/0012): one indexed subquery.
        local = ServiceDistrict.objects.filter(district=district, is_local=True).values("service_id")
        is_local = Case(When(pk__in=local, then=Value(1)), default=Value(0), output_field=IntegerField())
    else:
        is_local = Value(0, output_field=IntegerField())
    is_open = Case(When(named_group_only=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    has_route = Case(
        When(Exists(ReferralRoute.objects.filter(service=OuterRef("pk"))), then=Value(1)),
        default=Value(0), output_field=IntegerField(),
    )
    return queryset.annotate(age_fits=age_fits, is_local=is_local, is_open=is_open, has_route=has_route).annotate(
        fit=F("age_fits") * FIT_AGE + F("is_local") * FIT_LOCAL + F("is_open") * FIT_OPEN
    )


def _nearest_d2(point_lat, point_lon):
    """The squared distance to a service's nearest located venue, as a correlated subquery
    (None when it has none). Only the best-match sort uses it: ordering by fit first means
    the grouped query of _NearestFirst cannot be used."""
    return Subquery(
        ServiceAtLocation.objects.filter(service=OuterRef("pk"), venue__lat__isnull=False)
        .annotate(d2=squared_degrees(point_lat, point_lon)).order_by("d2").values("d2")[:1],
        output_field=FloatField(),
    )


def _nearest_venues(services, point_lat, point_lon):
    """Services of `services` that have a located venue, nearest first, as rows of
    (service_id, d2): the squared distance to the service's nearest venue.

    Grouped and ordered in the database, so a page reads only its own rows (a correlated
    subquery per service cost 0.7 s at 100,000 services; reading every venue row into
    Python, 60-80 ms). Distances are the project's one formula (directory/core/distances.py).
    """
    return (
        ServiceAtLocation.objects.filter(service__in=services, venue__lat__isnull=False)
        .values("service_id")
        .annotate(d2=Min(squared_degrees(point_lat, point_lon)), name=Min(Lower("service__name")))
        .order_by("d2", "name", "service_id")
        .values_list("service_id", "d2")
    )


class _NearestFirst:
    """Matching services nearest first, then those with no located venue by name.

    A sequence the Paginator can count and slice. A page costs the count, one grouped
    query for its located services, and, once past them, one for the ids of the rest
    (plus a count of the located ones when the page starts beyond them).
    """

    def __init__(self, queryset, point_lat, point_lon, annotate=lambda qs: qs):
        self.queryset = queryset
        self.annotate = annotate
        self.located = _nearest_venues(queryset.values("pk"), point_lat, point_lon)
        located_ids = ServiceAtLocation.objects.filter(venue__lat__isnull=False).values("service_id")
        self.unlocated = queryset.exclude(pk__in=located_ids).order_by(Lower("name"), "pk")
        self.d2 = {}

    def count(self):
        return self.queryset.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, page):
        start, stop = page.start or 0, page.stop
        rows = list(self.located[start:stop])
        self.d2.update(rows)
        ids = [service_id for service_id, _ in rows]
        if len(ids) < stop - start:
            # The located services ran out on this page: the rest follow by name.
            located_count = start + len(rows) if rows or start == 0 else self.located.count()
            first = max(0, start - located_count)
            ids += list(self.unlocated.values_list("pk", flat=True)[first:first + (stop - start) - len(rows)])
        services = {service.pk: service for service in _cards(self.annotate(Service.objects.filter(pk__in=ids)))}
        return [services[pk] for pk in ids if pk in services]


class _IdsFirst:
    """Ranked matches as a sequence the Paginator can slice: a page reads the ids of its rows
    in order first (the ranking's expressions over every match, but no card columns and no
    joins for them), then the cards of those ids alone, annotated the same way. Ordering
    thousands of matches with the cards' joined columns cost twice as much when nothing was
    cached (issue 26). The count comes from the option counts' query (service_search sets
    it), or is counted."""

    def __init__(self, ranked):
        self.ranked = ranked

    def count(self):
        return self.ranked.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, page):
        # The ranking's own values come with the ids (the cards' reasons and the notices read
        # them), so the second query filters on nothing but the ids.
        names = list(self.ranked.query.annotations)
        rows = list(self.ranked.values_list("pk", *names)[page])
        if not rows:
            return []
        services = {service.pk: service for service in _cards(Service.objects.filter(pk__in=[row[0] for row in rows]))}
        ordered = []
        for pk, *values in rows:
            service = services.get(pk)
            if service is not None:
                for name, value in zip(names, values):
                    setattr(service, name, value)
                ordered.append(service)
        return ordered


class _IndexOrder:
    """Matches in the facet index's order (facets.ordered_ids) as a sequence the Paginator can
    count and slice: a page reads the cards of its own ids, and gets fit_annotate's values from
    the index."""

    def __init__(self, index, masks, *, age_searched, district, by_name, rank=None, point=None):
        matched = facets.matching(index, masks)
        self.ids, self.values = facets.ordered_ids(
            index, matched, age_searched=age_searched, district_id=district.pk if district else None,
            weights=(FIT_AGE, FIT_LOCAL, FIT_OPEN), by_name=by_name, rank=rank, point=point)

    def count(self):
        return len(self.ids)

    def __len__(self):
        return self.count()

    def __getitem__(self, page):
        ids = [int(pk) for pk in self.ids[page]]
        if not ids:
            return []
        positions = range(len(self.ids))[page]
        services = {service.pk: service for service in _cards(Service.objects.published().filter(pk__in=ids))}
        ordered = []
        for pk, position in zip(ids, positions):
            service = services.get(pk)
            if service is not None:
                for name, values in self.values.items():
                    value = values[position]
                    if name == "d2":  # no located venue: None, as SQL's NULL
                        value = float(value) if np.isfinite(value) else None
                    else:
                        value = float(value) if name == "rank" else int(value)
                    setattr(service, name, value)
                ordered.append(service)
        return ordered


@dataclass
class SearchResults:
    filterset: object
    page: object  # a django Page of services, each with `distance_km` (None if unknown) and fit_annotate's
    sort: str  # the sort actually used
    notices: list = field(default_factory=list)  # plain-words messages about page or sort
    place: object = None  # the District the family is in (from the postcode, or the one chosen)
    counts: dict = field(default_factory=dict)  # option counts (with_counts only): see count_union

    @property
    def count(self):
        return self.page.paginator.count

    @property
    def postcode(self):
        """The PostcodeResult searched from, or None."""
        return self.filterset.form.cleaned_data.get("postcode") if self.filterset.is_bound else None


def service_search(*, data, per_page=RESULTS_PER_PAGE, with_counts=False):
    """One page of search results for the GET parameters `data`, best match first unless
    another sort is asked for (see fit_annotate and docs/adr/0004-search.md).

    Queries: a postcode's lookup; the facet index's (docs/adr/0029: none while it is current,
    one statement to build or refresh it), and, with keywords, the ids they match with their
    ranks; one page of services and the card prefetches (2), whatever the number of results or
    filters. Without the index: the option counts and the total in one query (count_union) and
    the page's ids in order. Validation reads the lists of directory/search/terms.py.
    """
    data = as_query_dict(data)
    queryset, filterset = service_filter_queryset(data=data)
    cleaned = filterset.form.cleaned_data
    keywords, postcode = cleaned.get("q"), cleaned.get("postcode")
    notices = list(getattr(filterset, "reading_notices", []))
    corrections = getattr(filterset, "keyword_corrections", {})
    if corrections:
        fixed = ", ".join(f"\u201c{fix}\u201d" for fix in corrections.values())
        typed = ", ".join(f"\u201c{typo}\u201d" for typo in corrections)
        notices.append(f"Showing results for {fixed}: no service uses the word {typed}.")

    district = cleaned.get("district")
    if postcode and district and district.pk != postcode.district.pk:
        notices.append(
            f"We searched near {postcode.postcode} ({postcode.district.name}), so the district you chose "
            f"({district.name}) was not used."
        )
    place = postcode.district if postcode else district
    age_searched = cleaned.get("age") is not None or bool(cleaned.get("stage"))
    sort = cleaned.get("sort") or "relevance"
    if sort == "distance" and not postcode:
        notices.append("To sort by distance, enter the family's postcode. The results are sorted by best match.")
        sort = "relevance"

    # The facet index (docs/adr/0029) answers the counts and orders the best match and the sort by
    # name; the sort by distance alone is SQL's. With keywords, their matches come with their ranks
    # when the index orders them (one query either way).
    index = facets.current_index() if settings.SEARCH_FACET_INDEX and facets.supports(filterset) else None
    index_orders = index is not None and sort in ("name", "relevance")
    masks, ranks = None, {}
    if index is not None and (with_counts or index_orders):
        with_ranks = index_orders and sort == "relevance" and bool(keywords)
        masks = facets.filter_masks(index, filterset, ranks if with_ranks else None)
    counts, total = {}, None
    if with_counts:
        counts, total = (facets.counts(index, filterset, masks, COUNTED_OPTIONS) if index is not None
                         else count_union(filterset=filterset, total=True))

    def annotate(qs):
        return fit_annotate(qs, age_searched=age_searched, district=place)

    if index_orders:
        # From the facet index: no query but the page's cards (issue 26).
        point = (postcode.lat, postcode.lon, longitude_scale(postcode.lat)) if postcode and sort == "relevance" else None
        ordered = _IndexOrder(index, masks, age_searched=age_searched, district=place, by_name=sort == "name",
                              rank=ranks.get("rank") if keywords else None, point=point)
    elif sort == "distance":
        ordered = _NearestFirst(queryset, postcode.lat, postcode.lon, annotate)
    elif sort == "relevance":
        ranked = annotate(queryset)
        order = ["-fit"]
        if keywords:
            ranked = search.keyword_rank(ranked, keywords, getattr(filterset, "keyword_groups", None),
                                         any_group=getattr(filterset, "keyword_any", False))
            order.append("-rank")
        order.append("-has_route")
        if postcode:
            ranked = ranked.annotate(d2=_nearest_d2(postcode.lat, postcode.lon))
            order.append(F("d2").asc(nulls_last=True))
        ordered = _IdsFirst(ranked.order_by(*order, Lower("name"), "pk"))
    else:
        ordered = _cards(annotate(queryset).order_by(Lower("name"), "pk"))

    paginator = Paginator(ordered, per_page)
    if total is not None:
        paginator.count = total  # known from the option counts' query: not counted twice
    number, notice = _page_number(data.get("page"), paginator)
    if notice:
        notices.append(notice)
    page = paginator.page(number)
    if sort == "distance":
        d2 = ordered.d2
    elif sort == "relevance" and postcode:
        d2 = {service.pk: service.d2 for service in page.object_list if service.d2 is not None}
    elif postcode:
        # Distances for this page only: one small query.
        d2 = dict(_nearest_venues([service.pk for service in page.object_list], postcode.lat, postcode.lon))
    else:
        d2 = {}
    for service in page.object_list:
        service.distance_km = km_from_squared_degrees(d2[service.pk]) if service.pk in d2 else None
    groups = getattr(filterset, "keyword_groups", None) or []
    if sort == "relevance" and getattr(filterset, "keyword_any", False) and page.number == 1 and page.object_list:
        first = page.object_list[0]
        if getattr(first, "rank", 0) < 1000 * len(groups):  # the first service lacks a word
            notices.append("No service uses all of your words, so these use most of them, the closest first.")
    return SearchResults(filterset=filterset, page=page, sort=sort, notices=notices, place=place, counts=counts)


def _page_number(raw, paginator):
    """A valid page number for `raw`, and a message when `raw` was not one."""
    if raw in (None, ""):
        return 1, ""
    number = whole_number(raw)
    if number is None:
        return 1, "Page numbers are whole numbers, so this is the first page."
    last = paginator.num_pages
    if number < 1:
        return 1, "Page numbers start at 1, so this is the first page."
    if number > last:
        pages = "is 1 page" if last == 1 else f"are {last} pages"
        return last, f"There is no page {number}: there {pages} of results. This is the last page."
    return number, ""


def service_list_first_steps(*, district=None):
    """Published services flagged as a first step into other support (Service.first_step), by
    name, with their organisations; only those working in `district` when one is given. For a
    search that found nothing. 1 query."""
    services = Service.objects.published().filter(first_step=True)
    if district is not None:
        services = services.in_district(district)
    return list(services.select_related("organisation").only("name", "slug", "organisation__name")
                .order_by(Lower("name"), "pk"))


# --- One service --------------------------------------------------------------

def service_get_published(*, slug):
    """A published service with everything its page shows, or None. 9 queries."""
    return (
        Service.objects.published()
        .select_related("organisation", "locality_district")
        .prefetch_related(
            "levels", "needs", "interventions", "delivery_modes", "languages", "coverage_districts",
            "referral_routes",
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.select_related("venue__district").order_by("venue__name"),
            ),
        )
        .filter(slug=slug)
        .first()
    )


def _step(rank):
    # The ladder: universal (1) < targeted (2) < statutory / specialist (3, 4 share a step).
    return min(rank, 3)


def service_stepped_care(*, service, limit=5):
    """Other published services one step up and one step down the ladder ("Right Help,
    Right Time"), the first `limit` of each by name. Returns (up, down). 6 queries; reads the
    service's prefetched levels and needs.

    Up: a service for one of the same needs a level above, or for a need curators name as
    a step up from one of them (NeedStep: mild to moderate -> moderate to severe perinatal
    mental health) at the same level or above. Down mirrors it; a service that is both is up,
    unless up is already full.

    Chosen in the database (issue 26): every candidate sharing a need was read with its
    levels and needs, tens of thousands at 100,000 services (6 to 11 s for one page). Each
    condition is a need and a level on the ladder, so each is a pair of `pk__in` subqueries
    over the link tables; the ids come first (up, then down without up's), then the cards.
    """
    steps = {_step(level.rank) for level in service.levels.all()}
    need_ids = {need.pk for need in service.needs.all()}
    if not steps or not need_ids:
        return [], []
    higher, lower = set(), set()
    for lower_id, higher_id in NeedStep.objects.filter(Q(lower__in=need_ids) | Q(higher__in=need_ids)).values_list(
        "lower_id", "higher_id"
    ):
        if lower_id in need_ids:
            higher.add(higher_id)
        if higher_id in need_ids:
            lower.add(lower_id)
    top, bottom = max(steps), min(steps)
    level_steps = {level.pk: _step(level.rank) for level in terms()["level"]}

    def with_needs(ids):
        return Q(pk__in=Service.needs.through.objects.filter(need_id__in=ids).values("service_id"))

    def at_levels(wanted):
        ids = [pk for pk, step in level_steps.items() if wanted(step)]
        return Q(pk__in=Service.levels.through.objects.filter(level_id__in=ids).values("service_id"))

    up_q = with_needs(need_ids) & at_levels(lambda step: step == top + 1)
    if higher:
        up_q |= with_needs(higher) & at_levels(lambda step: step >= top)
    down_q = with_needs(need_ids) & at_levels(lambda step: step == bottom - 1)
    if lower:
        down_q |= with_needs(lower) & at_levels(lambda step: step <= bottom)
    others = Service.objects.published().exclude(pk=service.pk).order_by(Lower("name"), "pk")
    up_ids = list(others.filter(up_q).values_list("pk", flat=True)[:limit])
    down_ids = list(others.filter(down_q).exclude(pk__in=up_ids).values_list("pk", flat=True)[:limit])
    if not up_ids and not down_ids:
        return [], []
    cards = {candidate.pk: candidate for candidate in (
        Service.objects.filter(pk__in=up_ids + down_ids).select_related("organisation").prefetch_related("levels", "needs"))}
    return [cards[pk] for pk in up_ids], [cards[pk] for pk in down_ids]


# --- Shortlist ----------------------------------------------------------------

def service_list_for_shortlist(*, ids):
    """Published services with these ids, in the order given (drafts and unknown ids are
    dropped). 6 queries whatever the count: the card prefetches plus contact details."""
    if not ids:
        return []
    services = {s.pk: s for s in _cards(Service.objects.published().filter(pk__in=ids))}
    return [services[pk] for pk in ids if pk in services]


# --- Counts on filter options -------------------------------------------------------

COUNTED_OPTIONS = ("stage", "level", "focus", "need", "intervention", "referral", "delivery", "language", "free",
                   "audience")
_THROUGH = {
    "level": (Service.levels, "level__code"),
    "need": (Service.needs, "need__code"),
    "intervention": (Service.interventions, "intervention__code"),
    "delivery": (Service.delivery_modes, "deliverymode__code"),
    "language": (Service.languages, "language__code"),
}


def _filtered_without(filterset, leave_out):
    """Published services with every valid filter of `filterset` except `leave_out`.
    Reuses the filterset's cleaned values, so no parameter is validated (or queried) again."""
    queryset = Service.objects.published()
    for name, value in filterset.form.cleaned_data.items():
        if name == leave_out or value in (None, "", [], ()):
            continue
        if name == "q":
            queryset = search.keyword_filter(queryset, value, getattr(filterset, "keyword_groups", None),
                                             any_group=getattr(filterset, "keyword_any", False))
        else:
            queryset = filterset.filters[name].filter(queryset, value)
    return queryset


def _label(text):
    return Value(text, output_field=CharField())


def _count_members(names, matched_table):
    """(sql, params) of each member of `count_union`, each giving rows of (p, o, n): a
    parameter, one of its options and how many services that option gives.
    `matched_table(name)` names the materialised set of services to count that parameter's
    options in (a SearchMatch-shaped common table expression)."""
    members = []

    def compiled(queryset, table):
        sql, params = queryset.query.sql_with_params()
        return sql.replace(f'"{SearchMatch._meta.db_table}"', f'"{table}"'), params

    for name in names:
        table = matched_table(name)
        if name in _THROUGH:
            # A join, not "service_id IN (SELECT id ...)": the set's ids are unique, and PostgreSQL,
            # not knowing that, guessed 200 of them and probed the link table's index once per
            # service (36 ms a parameter at 10,000 services) instead of one hash join.
            relation, _ = _THROUGH[name]
            through = relation.through
            term = relation.field.remote_field.model
            term_column = through._meta.get_field(term._meta.model_name).column
            members.append((
                f"SELECT %s AS p, term.code AS o, COUNT(*) AS n FROM {through._meta.db_table} link "
                f"JOIN {table} matched ON matched.id = link.service_id "
                f"JOIN {term._meta.db_table} term ON term.id = link.{term_column} GROUP BY term.code",
                [name]))
            continue
        matched = SearchMatch.objects.all()
        if name in ("focus", "audience"):
            members.append(compiled(matched.annotate(p=_label(name), o=F(name)).values_list("p", "o")
                                    .annotate(n=Count("pk")).order_by(), table))
            continue
        # Options that are conditions, not columns: one aggregate row each.
        if name == "stage":
            conditions = [(stage.value, age_q(stage.start, stage.end)) for stage in STAGES]
        elif name == "referral":
            self_routes = ReferralRoute.objects.filter(referrer=Referrer.SELF).values("service_id")
            professional = ReferralRoute.objects.filter(referrer=Referrer.PROFESSIONAL).values("service_id")
            conditions = [("self", Q(pk__in=self_routes)),
                          ("professional", Q(pk__in=professional) & ~Q(pk__in=self_routes))]
        elif name == "free":
            conditions = [("1", Q(cost=Cost.FREE))]
        else:
            continue
        for value, condition in conditions:
            members.append(compiled(matched.annotate(p=_label(name), o=_label(value)).values_list("p", "o")
                                    .annotate(n=Count("pk", filter=condition)).order_by(), table))
    return members


def _given(value):
    return value not in (None, "", [], ())


def count_union(*, filterset, names=COUNTED_OPTIONS, total=False):
    """Option counts, and optionally the total, in ONE query, whatever the number of
    parameters, options or services. Returns (counts, total or None).

    counts: {parameter: {option value: how many services that option alone would give}},
    each with every other filter applied. An option missing from its dict gives none.

    The query evaluates each distinct set of filters once (issues 22 and 26): the services
    matching every filter, and, for each parameter the search uses, those matching every
    filter but that one, each a materialised common table expression holding the columns the
    counts read (SearchMatch); then a UNION ALL of one grouped count per parameter (or per
    option, for options that are conditions) over the set that parameter needs. A parameter
    the search does not use counts over the full match. Before, each count re-applied every
    filter (the keyword match too) to the whole directory: fifteen evaluations instead of one
    plus one per parameter used.
    """
    cleaned = filterset.form.cleaned_data
    # An exact age replaces the bands: their counts would mislead.
    counted = [name for name in names if not (name == "stage" and cleaned.get("age") is not None)]
    counts = {name: {} for name in counted}
    sets = {"": _filtered_without(filterset, None)}
    for name in counted:
        if _given(cleaned.get(name)):
            sets[name] = _filtered_without(filterset, name)
    tables = {key: f"_matched_{number}" for number, key in enumerate(sets)}
    members = _count_members(counted, lambda name: tables[name if name in sets else ""])
    if total:
        members.append((f"SELECT '_total', '', COUNT(*) FROM {tables['']}", []))
    if not members:
        return counts, None
    with_sql, params = [], []
    columns = ", ".join(SearchMatch.COLUMNS)
    for key, queryset in sets.items():
        sql, set_params = queryset.order_by().values_list("pk", *SearchMatch.COLUMNS[1:]).query.sql_with_params()
        with_sql.append(f"{tables[key]} ({columns}) AS MATERIALIZED ({sql})")
        params.extend(set_params)
    union = []
    for number, (sql, member_params) in enumerate(members):
        union.append(f"SELECT * FROM ({sql}) AS _count_{number}")
        params.extend(member_params)
    total_count = None
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(with_sql)} {' UNION ALL '.join(union)}", params)
        for parameter, option, n in cursor.fetchall():
            if parameter == "_total":
                total_count = n
            elif option is not None:
                counts[parameter][str(option)] = n
    return counts, total_count


def count_queries(queries):
    """How many services match each of `queries` (GET parameters), in ONE query: a
    UNION ALL of one count per query. The widening suggestions of a search that found
    nothing ask for several at once."""
    members = []
    for number, data in enumerate(queries):
        queryset, _ = service_filter_queryset(data=data)
        members.append(queryset.annotate(p=_label("query"), o=_label(str(number))).values_list("p", "o")
                       .annotate(n=Count("pk")).order_by())
    if not members:
        return []
    query = members[0].union(*members[1:], all=True) if len(members) > 1 else members[0]
    counts = {int(option): n for _, option, n in query}
    return [counts.get(number, 0) for number in range(len(queries))]
