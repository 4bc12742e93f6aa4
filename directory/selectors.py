"""Reads. Views, the map, the API and tests share these query paths."""
import math
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.http import QueryDict
from django.db.models import ExpressionWrapper, F, FloatField, Min, Prefetch

from directory import search
from directory.filters import ServiceFilter
from directory.models import Level, Service, ServiceAtLocation
from directory.numbers import whole_number

RESULTS_PER_PAGE = 20
KM_PER_DEGREE = 111.195  # of latitude; longitude is scaled by cos(latitude)


def service_list_published():
    """Published services with everything a card shows: 5 queries whatever the count."""
    return Service.objects.published().for_cards().order_by("name")


def level_list():
    return list(Level.objects.order_by("rank"))


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
    filterset = ServiceFilter(data=as_query_dict(data), queryset=Service.objects.published())
    return filterset.qs, filterset


def as_query_dict(data):
    """Accept request.GET, or a plain dict whose values are strings or lists (tests, the map)."""
    if isinstance(data, QueryDict):
        return data
    query = QueryDict(mutable=True)
    for name, value in (data or {}).items():
        query.setlist(name, [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)])
    return query


def _nearest_venues(services, point_lat, point_lon):
    """Services of `services` that have a located venue, nearest first, as rows of
    (service_id, d2): the squared distance to the service's nearest venue.

    Grouped and ordered in the database, so a page reads only its own rows (a correlated
    subquery per service cost 0.7 s at 100,000 services; reading every venue row into
    Python, 60-80 ms). Distances are in degrees of latitude with longitude scaled by
    cos(latitude): an equirectangular approximation accurate to a few metres in a city.
    """
    scale = math.cos(math.radians(point_lat))
    dlat = F("venue__lat") - point_lat
    dlon = (F("venue__lon") - point_lon) * scale
    return (
        ServiceAtLocation.objects.filter(service__in=services, venue__lat__isnull=False)
        .values("service_id")
        .annotate(d2=Min(ExpressionWrapper(dlat * dlat + dlon * dlon, output_field=FloatField())),
                  name=Min("service__name"))
        .order_by("d2", "name", "service_id")
        .values_list("service_id", "d2")
    )


class _NearestFirst:
    """Matching services nearest first, then those with no located venue by name.

    A sequence the Paginator can count and slice. A page costs the count, one grouped
    query for its located services, and, once past them, one for the ids of the rest
    (plus a count of the located ones when the page starts beyond them).
    """

    def __init__(self, queryset, point_lat, point_lon):
        self.queryset = queryset
        self.located = _nearest_venues(queryset.values("pk"), point_lat, point_lon)
        located_ids = ServiceAtLocation.objects.filter(venue__lat__isnull=False).values("service_id")
        self.unlocated = queryset.exclude(pk__in=located_ids).order_by("name", "pk")
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
            located_count = start + len(rows) if rows else self.located.count()
            first = max(0, start - located_count)
            ids += list(self.unlocated.values_list("pk", flat=True)[first:first + (stop - start) - len(rows)])
        services = {service.pk: service for service in _cards(Service.objects.filter(pk__in=ids))}
        return [services[pk] for pk in ids if pk in services]


@dataclass
class SearchResults:
    filterset: object
    page: object  # a django Page of services, each with `distance_km` (None if unknown)
    sort: str  # the sort actually used
    notices: list = field(default_factory=list)  # plain-words messages about page or sort

    @property
    def count(self):
        return self.page.paginator.count

    @property
    def postcode(self):
        """The PostcodeResult searched from, or None."""
        return self.filterset.form.cleaned_data.get("postcode") if self.filterset.is_bound else None


def service_search(*, data, per_page=RESULTS_PER_PAGE):
    """One page of search results for the GET parameters `data`.

    Queries: the filterset's validation (see service_filter_queryset), one count, one page
    of services and the card prefetches (5), whatever the number of results.
    """
    data = as_query_dict(data)
    queryset, filterset = service_filter_queryset(data=data)
    cleaned = filterset.form.cleaned_data
    keywords, postcode = cleaned.get("q"), cleaned.get("postcode")
    notices = []

    district = cleaned.get("district")
    if postcode and district and district.pk != postcode.district.pk:
        notices.append(
            f"We searched near {postcode.postcode} ({postcode.district.name}), so the district you chose "
            f"({district.name}) was not used."
        )
    sort = cleaned.get("sort") or ("relevance" if keywords else "distance" if postcode else "name")
    if sort == "distance" and not postcode:
        notices.append("To sort by distance, enter the family's postcode. The results are sorted by name.")
        sort = "name"
    if sort == "relevance" and not keywords:
        sort = "name"  # nothing to rank by: name order is the predictable fallback

    if sort == "distance":
        ordered = _NearestFirst(queryset, postcode.lat, postcode.lon)
    elif sort == "relevance":
        ordered = _cards(search.keyword_rank(queryset, keywords).order_by("-rank", "name", "pk"))
    else:
        ordered = _cards(queryset.order_by("name", "pk"))

    paginator = Paginator(ordered, per_page)
    number, notice = _page_number(data.get("page"), paginator)
    if notice:
        notices.append(notice)
    page = paginator.page(number)
    if sort == "distance":
        d2 = ordered.d2
    elif postcode:
        # Distances for this page only: one small query.
        d2 = dict(_nearest_venues([service.pk for service in page.object_list], postcode.lat, postcode.lon))
    else:
        d2 = {}
    for service in page.object_list:
        service.distance_km = math.sqrt(d2[service.pk]) * KM_PER_DEGREE if service.pk in d2 else None
    return SearchResults(filterset=filterset, page=page, sort=sort, notices=notices)


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


def service_search_count(*, data):
    """How many services match `data` (for 'without this filter there would be N')."""
    queryset, _ = service_filter_queryset(data=data)
    return queryset.count()


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
    """Other published services for the same needs one step up and one step down the
    ladder ("Right Help, Right Time"). Returns (up, down). 2 queries; reads the service's
    prefetched levels and needs."""
    steps = {_step(level.rank) for level in service.levels.all()}
    need_ids = [need.pk for need in service.needs.all()]
    if not steps or not need_ids:
        return [], []
    up_step, down_step = max(steps) + 1, min(steps) - 1
    wanted_ranks = {rank for rank in (1, 2, 3, 4) if _step(rank) in (up_step, down_step)}
    if not wanted_ranks:
        return [], []
    candidates = (
        Service.objects.published()
        .exclude(pk=service.pk)
        .filter(pk__in=Service.needs.through.objects.filter(need_id__in=need_ids).values("service_id"))
        .filter(pk__in=Service.levels.through.objects.filter(level__rank__in=wanted_ranks).values("service_id"))
        .select_related("organisation")
        .prefetch_related("levels")
        .order_by("name")
    )
    up, down = [], []
    for candidate in candidates:
        candidate_steps = {_step(level.rank) for level in candidate.levels.all()}
        if up_step in candidate_steps and len(up) < limit:
            up.append(candidate)
        if down_step in candidate_steps and len(down) < limit:
            down.append(candidate)
    return up, down


# --- Shortlist ----------------------------------------------------------------

def service_ids_published(*, ids):
    """The ids among `ids` that are published services, in the order given. 1 query."""
    published = set(Service.objects.published().filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return [pk for pk in ids if pk in published]


def service_list_for_shortlist(*, ids):
    """Published services with these ids, in the order given (drafts and unknown ids are
    dropped). 6 queries whatever the count: the card prefetches plus contact details."""
    if not ids:
        return []
    services = {s.pk: s for s in _cards(Service.objects.published().filter(pk__in=ids))}
    return [services[pk] for pk in ids if pk in services]
