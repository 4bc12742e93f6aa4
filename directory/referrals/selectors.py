"""Reads for the referral page (issue 24). Nothing here receives or reads anything about a family."""
from django.db.models import Prefetch
from django.db.models.functions import Lower

from directory.models import Referrer, Service
from directory.search.selectors import service_get_published
from mapping.models import District


def route_get_for_referral(*, slug, route_id):
    """(service, route): a published service and one of its professional referral routes, or
    (None, None) when the service is not published (or unknown) or the route is not one of its
    professional routes. The service comes with everything its page reads (9 queries); the
    route is found among its prefetched routes, so a forged id costs nothing more."""
    service = service_get_published(slug=slug)
    if service is None:
        return None, None
    route = next((route for route in service.referral_routes.all()
                  if route.pk == route_id and route.referrer == Referrer.PROFESSIONAL), None)
    return (service, route) if route is not None else (None, None)


def service_list_similar(*, service):
    """Other published services for at least one of the same needs, by name, with what the
    alternatives read (organisation, levels, coverage, routes). 5 queries (none when the
    service records no needs)."""
    need_ids = [need.pk for need in service.needs.all()]
    if not need_ids:
        return []
    return list(
        Service.objects.published()
        .exclude(pk=service.pk)
        .filter(pk__in=Service.needs.through.objects.filter(need_id__in=need_ids).values("service_id"))
        .select_related("organisation", "locality_district")
        .defer("locality_district__boundary")
        .prefetch_related("levels", "referral_routes",
                          Prefetch("coverage_districts", queryset=District.objects.defer("boundary")))
        .order_by(Lower("name"), "pk")
    )
