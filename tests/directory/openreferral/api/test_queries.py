"""Query counts are pinned for every endpoint and do not grow with the rows."""
import pytest
from django.core.cache import cache

from directory.search import terms
from directory.openreferral.api.taxonomies import TAXONOMIES_BY_KEY
from directory.models import Level, Need, Service, ServiceAtLocation, Venue

pytestmark = pytest.mark.django_db


def clone_services(count):
    """Copies of a published service that has a venue, routes and terms, through the ORM."""
    source = ServiceAtLocation.objects.filter(service__status="published").first().service
    venue = Venue.objects.first()
    for number in range(count):
        copy = Service.objects.get(pk=source.pk)
        copy.pk = copy.id = None
        copy.uuid = __import__("uuid").uuid4()
        copy.slug, copy.name = f"copy-{number}", f"Copy {number}"
        copy.save()
        copy.levels.set(source.levels.all())
        copy.needs.set(source.needs.all())
        copy.interventions.set(source.interventions.all())
        copy.delivery_modes.set(source.delivery_modes.all())
        for route in source.referral_routes.all():
            route.pk = None
            route.service = copy
            route.save()
        ServiceAtLocation.objects.create(service=copy, venue=venue)


def _count(client, django_assert_num_queries, path, queries):
    # Every count includes the content version (directory/core/content.py), and is taken with the
    # lists of directory/search/terms.py not yet read: the first request after a change.
    terms.forget()
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200
    with django_assert_num_queries(1):  # asked again: the content version, then the cache
        assert client.get(path).status_code == 200


def endpoints():
    service = Service.objects.published().first()
    placement = ServiceAtLocation.objects.filter(service__status="published").first()
    level = Level.objects.get(code="targeted")
    need = Need.objects.get(code="perinatal_mental_health_mild")
    return [
        ("/api/", 1),
        ("/api/openapi.json", 1),
        ("/api/services?per_page=200", 3),  # the content version, count, page
        (f"/api/services?per_page=200&taxonomy_term_id={need.uuid}&search=support&maximum_age=2", 7),  # with the synonyms for the search words
        # ^ the term's lookup (2 tables), the FilterSet's need validation, count, page
        (f"/api/services?taxonomy_id={TAXONOMIES_BY_KEY['level'].id}", 5),  # codes, validation, count, page
        (f"/api/services/{service.uuid}", 12),  # the service, 9 prefetches (sessions: issue 23), its facts
        ("/api/service_at_locations?per_page=200", 3),
        ("/api/service_at_locations?postcode=B4+6NH&proximity=50000", 4),
        (f"/api/service_at_locations?taxonomy_term_id={level.uuid}&postcode=B4+6NH", 6),
        (f"/api/service_at_locations/{placement.uuid}", 3),
        ("/api/services?per_page=200&minimal=true&modified_after=2000-01-01", 3),
        ("/api/services?per_page=500&full=true", 14),  # count, the page, 10 prefetches (sessions: issue 23), the facts
        ("/api/services?format=ndjson", 3),
        ("/api/services?postcode=CV1+1AA", 3),  # the FilterSet's lookup, then ours (on the refusal only)
        ("/api/service_at_locations?full=true&per_page=200", 3),
        ("/api/service_at_locations?postcode=CV1+1AA&proximity=100", 2),
        ("/api/organizations?per_page=200", 3),
        ("/api/organizations?full=true&search=birmingham", 4),
        ("/api/organizations?full_service=true", 15),  # count, page, services, 10 prefetches, facts
        (f"/api/organizations/{service.organisation.uuid}", 3),
        ("/api/taxonomies", 1),
        ("/api/taxonomies?search=need", 1),
        ("/api/taxonomy_terms?search=targeted&top_only=true&format=ndjson", 6),
        (f"/api/taxonomies/{TAXONOMIES_BY_KEY['need'].id}", 2),
        ("/api/taxonomy_terms?per_page=200", 6),
        (f"/api/taxonomy_terms/{need.uuid}", 3),  # levels, then needs
    ]


def test_every_endpoint_costs_the_same_queries_as_rows_grow(client, django_assert_num_queries):
    pinned = endpoints()
    for path, queries in pinned:
        _count(client, django_assert_num_queries, path, queries)
    clone_services(30)
    # The controlled lists are of another kind of content than services (docs/adr/0028): adding
    # services leaves them cached. Emptied, they cost what they cost before.
    for path, _ in pinned:
        if path.startswith(("/api/taxonomies", "/api/taxonomy_terms")):
            with django_assert_num_queries(1, info=path):
                assert client.get(path).status_code == 200
    cache.clear()
    for path, queries in pinned:
        _count(client, django_assert_num_queries, path, queries)
