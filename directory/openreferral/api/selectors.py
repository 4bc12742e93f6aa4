"""Reads for the API. Services are filtered by `directory.search.selectors.service_filter_queryset`
(the FilterSet behind search and the map); what this module adds is only what the search
page has no parameter for: ORUK's literal age bounds, interventions, an organisation,
and distance from a postcode. Every function here costs a fixed number of queries."""
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from directory.core.distances import degrees_for_km, longitude_scale, squared_degrees
from directory.search import selectors
from directory.models import AgeRange, Organisation, Service, ServiceAtLocation
from directory.models import Fact
from mapping.models import District
from directory.models import Session, Status  # issue 23: sessions as schedules


class ApiFacts:
    """The facts about some services, by owner, from one query (the API lists them all,
    where pages look up one field at a time with sources.FactIndex)."""

    OWNER_FIELD = {"Service": "service_id", "ReferralRoute": "route_id", "Venue": "venue_id",
                   "Organisation": "organisation_id"}

    def __init__(self, facts):
        self._by_owner = defaultdict(list)
        for fact in facts:
            for name in self.OWNER_FIELD.values():
                if getattr(fact, name) is not None:
                    self._by_owner[(name, getattr(fact, name))].append(fact)

    @classmethod
    def about(cls, *, services=(), venues=()):
        services = list(services)
        query = Q(pk__in=[])
        if services:
            ids = [service.pk for service in services]
            query |= (Q(service__in=ids) | Q(route__service__in=ids)
                      | Q(venue__service_at_locations__service__in=ids)
                      | Q(organisation__in={service.organisation_id for service in services}))
        if venues:
            query |= Q(venue__in=[venue.pk for venue in venues])
        return cls(Fact.objects.filter(query).distinct().order_by("field", "pk"))

    def all_for(self, obj):
        return self._by_owner.get((self.OWNER_FIELD[type(obj).__name__], obj.pk), [])


@dataclass
class ServiceQuery:
    """What the API's parameters ask of services, already validated (see params.py)."""

    filter_data: dict  # ServiceFilter parameters
    intervention_ids: list | None = None  # any of these interventions (row pks)
    any_intervention: bool = False
    min_age_years: object = None  # Decimal
    max_age_years: object = None
    organisation_uuid: str | None = None
    modified_after: object = None  # an aware datetime
    nothing: bool = False  # parameters that contradict each other


def api_service_queryset(query):
    """(queryset, filterset): published services matching `query`, unordered.
    The filterset's errors are the caller's to report."""
    queryset, filterset = selectors.service_filter_queryset(data=query.filter_data)
    if query.nothing:
        queryset = queryset.none()
    through = Service.interventions.through
    if query.intervention_ids:
        queryset = queryset.filter(pk__in=through.objects.filter(intervention_id__in=query.intervention_ids)
                                   .values("service_id"))
    if query.any_intervention:
        queryset = queryset.filter(pk__in=through.objects.values("service_id"))
    if query.min_age_years is not None:
        # ORUK: "a minimum age of at least" the value. We publish max(from, 0) / 12.
        months = math.ceil(query.min_age_years * 12)
        queryset = queryset.filter(age_range=AgeRange.RANGE)
        if months > 0:
            queryset = queryset.filter(age_from_months__gte=months)
    if query.max_age_years is not None:
        # ORUK: "a maximum age equal to or below" the value. We publish (to + 1) / 12, or 0
        # for a range ending at birth.
        limit = max(math.floor(query.max_age_years * 12) - 1, 0)
        queryset = queryset.filter(age_range=AgeRange.RANGE, age_to_months__lte=limit)
    if query.organisation_uuid:
        queryset = queryset.filter(organisation__uuid=query.organisation_uuid)
    if query.modified_after is not None:
        queryset = queryset.filter(modified__gte=query.modified_after)
    return queryset, filterset


def api_service_page(queryset, *, offset, limit):
    """One page of services for the list, with their organisations. 1 query."""
    return list(queryset.select_related("organisation").order_by("name", "pk")[offset:offset + limit])


def _full(queryset):
    """`queryset` with everything a full service payload shows: 9 prefetch queries."""
    districts = District.objects.defer("boundary")
    return (
        queryset
        .select_related("organisation")
        .prefetch_related(
            "levels", "needs", "interventions", "delivery_modes", "languages",
            Prefetch("coverage_districts", queryset=districts),
            Prefetch("locality_district", queryset=districts),
            "referral_routes",
            # Regular sessions (issue 23): the published ones with their places; the payload keeps only those.
            Prefetch("sessions", queryset=Session.objects.filter(status=Status.PUBLISHED).select_related("place")),
            Prefetch("service_at_locations",
                     queryset=ServiceAtLocation.objects.select_related("venue").order_by("venue__name", "pk")
                     .prefetch_related(Prefetch("venue__district", queryset=districts))),
        )
    )


def api_service_get(*, uuid):
    """A published service with everything its payload shows, or None. 10 queries."""
    return _full(Service.objects.published()).filter(uuid=uuid).first()


def api_full_service_page(queryset, *, offset, limit):
    """One page of services with everything their full payloads show. 10 queries (none when
    the page is empty)."""
    return list(_full(queryset).order_by("name", "pk")[offset:offset + limit])


def api_organisation_queryset(*, search=None):
    """Organisations with at least one published service (the others are not public yet:
    e.g. one a feed import created for a draft), unordered. `search`: words in the name or
    description, each (case-insensitive)."""
    queryset = Organisation.objects.filter(pk__in=Service.objects.published().values("organisation_id"))
    for word in (search or "").split():
        queryset = queryset.filter(Q(name__icontains=word) | Q(description__icontains=word))
    return queryset


def api_organisation_page(queryset, *, offset, limit, services=None):
    """One page of organisations, by name. 1 query; with `services` ("list" or "full"),
    their published services too (1 more, or 9 for "full")."""
    page = list(queryset.order_by("name", "pk")[offset:offset + limit])
    if services and page:
        published = Service.objects.published().filter(organisation__in=page)
        if services == "full":
            rows = list(_full(published).order_by("name", "pk"))
        else:
            rows = list(published.select_related("organisation").order_by("name", "pk"))
        by_organisation = defaultdict(list)
        for service in rows:
            by_organisation[service.organisation_id].append(service)
        for organisation in page:
            organisation.api_services = by_organisation[organisation.pk]
    return page


def api_organisation_get(*, uuid, services=None):
    """A public organisation (see api_organisation_queryset), with its published services. 2 queries
    (10 with full services), or 1 when there is none."""
    queryset = api_organisation_queryset().filter(uuid=uuid)
    page = api_organisation_page(queryset, offset=0, limit=1, services=services or "list")
    return page[0] if page else None


def _sal_base():
    return ServiceAtLocation.objects.select_related("service__organisation", "venue")


def api_service_at_location_queryset(services, *, near=None, proximity_m=None):
    """Service-at-locations of `services` (a queryset), optionally with the venue within
    `proximity_m` metres of `near` (a PostcodeResult): a box on latitude and longitude, then
    the distance search measures with (directory/core/distances.py)."""
    queryset = ServiceAtLocation.objects.filter(service__in=services.values("pk"))
    if near is not None and proximity_m is not None:
        dlat = degrees_for_km(proximity_m / 1000)
        dlon = dlat / longitude_scale(near.lat)
        queryset = (queryset.filter(venue__lat__range=(near.lat - dlat, near.lat + dlat),
                                    venue__lon__range=(near.lon - dlon, near.lon + dlon))
                    .alias(d2=squared_degrees(near.lat, near.lon)).filter(d2__lte=dlat * dlat))
    return queryset


def api_service_at_location_page(queryset, *, offset, limit, full=False):
    """One page of service-at-locations with their service, organisation and venue (`full`:
    and the venue's district). 1 query."""
    queryset = queryset.select_related("service__organisation", "venue")
    if full:
        queryset = queryset.select_related("venue__district").defer("venue__district__boundary")
    return list(queryset.order_by("service__name", "venue__name", "pk")[offset:offset + limit])


def api_service_at_location_get(*, uuid):
    """A service-at-location of a published service, or None. 1 query."""
    return (_sal_base().select_related("venue__district").defer("venue__district__boundary")
            .filter(uuid=uuid, service__in=Service.objects.published().values("pk")).first())

