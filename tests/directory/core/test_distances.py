"""One way to measure how far a venue is (directory/core/distances.py) and one way to write it
in miles (directory/core/presenters.py `miles_figure`), whatever page or endpoint asks."""
import pytest
from django.urls import reverse

from directory.core.distances import distance_km, km_from_squared_degrees, squared_degrees
from directory.core.presenters import MILES_PER_KM, miles_figure
from directory.models import ServiceAtLocation, Venue
from directory.parents.presenters import distance_text as parents_distance_text
from directory.practitioners.presenters.search import distance_text as search_distance_text
from directory.search.selectors import service_filter_queryset, service_search
from mapping import selectors as map_selectors
from mapping.postcodes import postcode_lookup

pytestmark = pytest.mark.django_db
FAMILY = "B8 1AA"


def test_the_database_and_python_measure_alike():
    home = postcode_lookup(FAMILY)
    venues = Venue.objects.filter(lat__isnull=False).annotate(d2=squared_degrees(home.lat, home.lon, prefix=""))
    assert venues
    for venue in venues:
        assert km_from_squared_degrees(venue.d2) == pytest.approx(distance_km(home.lat, home.lon, venue.lat, venue.lon),
                                                                  abs=1e-9)


def test_the_map_search_and_the_api_agree_on_how_far_each_venue_is(client):
    home = postcode_lookup(FAMILY)
    services, _ = service_filter_queryset(data={})
    on_map = {row[0]: km for row, km in map_selectors.nearest_venues(
        venues=map_selectors.venue_positions(services=services), lat=home.lat, lon=home.lon, limit=100)}
    # A service with one venue: its card's distance is that venue's.
    one_venue = {}
    for sal in ServiceAtLocation.objects.filter(venue__lat__isnull=False).select_related("venue"):
        one_venue.setdefault(sal.service_id, []).append(sal.venue_id)
    results = service_search(data={"postcode": FAMILY, "sort": "distance"}, per_page=100)
    compared = 0
    for service in results.page.object_list:
        venues = one_venue.get(service.pk, [])
        if len(venues) == 1:
            assert service.distance_km == pytest.approx(on_map[venues[0]], abs=1e-9)
            compared += 1
    assert compared
    # The API's proximity keeps a venue a metre further than the map's distance, not a metre nearer.
    venue_id, km = min(on_map.items(), key=lambda pair: pair[1])
    uuid = str(Venue.objects.get(pk=venue_id).uuid)

    def api_lists_it(metres):
        body = client.get(reverse("api:service-at-locations"),
                          {"postcode": FAMILY, "proximity": metres, "per_page": 200}).json()
        return any(item["location_id"] == uuid for item in body["contents"])

    assert api_lists_it(int(km * 1000) + 1) and not api_lists_it(int(km * 1000) - 1)


@pytest.mark.parametrize("miles, figure", [
    (0.099, None), (0.1, "0.1"), (0.44, "0.4"), (9.94, "9.9"), (10.4, "10"), (23.6, "24"),
])
def test_the_search_page_and_the_parents_pages_write_the_same_figure(miles, figure):
    km = miles / MILES_PER_KM
    assert miles_figure(km) == figure
    if figure is None:
        assert search_distance_text(km) == "less than 0.1 miles away"
        assert parents_distance_text(km) == "Very close to you"
    else:
        assert search_distance_text(km) == f"{figure} miles away"
        assert parents_distance_text(km) == f"About {figure} miles from you"
