"""The list parameters, alone and combined, pagination edges, bad input, unknown ids,
CORS and conditional GET."""
import uuid

import pytest

from directory.openreferral.api.taxonomies import TAXONOMIES, TAXONOMIES_BY_KEY, focus_term_id
from directory.models import Intervention, Level, Need, Service, ServiceAtLocation
from directory.search.selectors import service_filter_queryset
from tests.directory.openreferral.api.conftest import all_pages

pytestmark = pytest.mark.django_db


def names(api, path):
    return {item["name"] for item in all_pages(api, path)}


def names_via_filterset(data):
    return set(service_filter_queryset(data=data)[0].values_list("name", flat=True))


def test_search_matches_as_the_search_page_does(api):
    found = names(api, "/api/services?search=perinatal")
    assert found and found == names_via_filterset({"q": "perinatal"})


def test_a_level_term_filters_through_the_filterset(api):
    term = Level.objects.get(code="specialist")
    assert names(api, f"/api/services?taxonomy_term_id={term.uuid}") == names_via_filterset({"level": "specialist"})


def test_a_focus_term_filters(api):
    found = names(api, f"/api/services?taxonomy_term_id={focus_term_id('specialised')}")
    assert found == set(Service.objects.published().filter(focus="specialised").values_list("name", flat=True))


def test_an_intervention_term_filters(api):
    intervention = Intervention.objects.filter(services__status="published").first()
    found = names(api, f"/api/services?taxonomy_term_id={intervention.uuid}")
    assert found == set(intervention.services.filter(status="published").values_list("name", flat=True))


def test_a_taxonomy_id_keeps_services_with_any_of_its_terms(api):
    needs = TAXONOMIES_BY_KEY["need"].id
    expected = set(Service.objects.published().filter(needs__isnull=False).values_list("name", flat=True))
    assert names(api, f"/api/services?taxonomy_id={needs}") == expected
    interventions = TAXONOMIES_BY_KEY["intervention"].id
    expected = set(Service.objects.published().filter(interventions__isnull=False).values_list("name", flat=True))
    assert names(api, f"/api/services?taxonomy_id={interventions}") == expected


def test_minimum_and_maximum_age_are_oruk_bounds_in_years(api):
    Service.objects.filter(slug="acacia").update(age_from_months=6, age_to_months=23)
    items = all_pages(api, "/api/services?minimum_age=0.5")
    assert [item["name"] for item in items] == ["Acacia"] and items[0]["minimum_age"] == 0.5
    assert api("/api/services?minimum_age=0.51")["total_items"] == 0
    items = all_pages(api, "/api/services?maximum_age=1")
    assert items and all(item["maximum_age"] <= 1 for item in items)
    assert "Acacia" not in {item["name"] for item in items}  # to its second birthday: 2 years
    both = all_pages(api, "/api/services?minimum_age=0&maximum_age=2")
    assert "Acacia" in {item["name"] for item in both}
    assert all(0 <= item["minimum_age"] and item["maximum_age"] <= 2 for item in both)


def test_the_search_pages_own_parameters_work_as_extensions(api):
    assert names(api, "/api/services?age=-3") == names_via_filterset({"age": "-3"})
    assert names(api, "/api/services?postcode=B8+1AA") == names_via_filterset({"postcode": "B8 1AA"})


def test_parameters_are_cumulative(api):
    need = Need.objects.get(code="perinatal_mental_health_mild")
    combined = names(api, f"/api/services?taxonomy_term_id={need.uuid}&maximum_age=2&search=support")
    alone = [names(api, f"/api/services?taxonomy_term_id={need.uuid}"), names(api, "/api/services?maximum_age=2"),
             names(api, "/api/services?search=support")]
    assert combined == alone[0] & alone[1] & alone[2]
    assert combined


def test_a_term_and_a_contradicting_extension_match_nothing(api):
    universal = Level.objects.get(code="universal")
    body = api(f"/api/services?taxonomy_term_id={universal.uuid}&level=specialist")
    assert body["total_items"] == 0 and body["empty"] is True and body["total_pages"] == 0


def test_service_at_locations_near_a_postcode(api):
    near = all_pages(api, "/api/service_at_locations?postcode=B4+6NH&proximity=2000")
    wider = all_pages(api, "/api/service_at_locations?postcode=B4+6NH&proximity=50000")
    assert len(near) < len(wider) == ServiceAtLocation.objects.filter(service__status="published").count()
    in_district = all_pages(api, "/api/service_at_locations?postcode=B4+6NH")
    assert {i["service_id"] for i in in_district} <= {str(u) for u in Service.objects.published().values_list("uuid", flat=True)}


def test_pagination_edges(api):
    first = api("/api/services?per_page=10")
    assert (first["total_items"], first["total_pages"], first["size"], first["first_page"], first["last_page"]) == (25, 3, 10, True, False)
    last = api("/api/services?per_page=10&page=3")
    assert (last["size"], last["first_page"], last["last_page"]) == (5, False, True)
    beyond = api("/api/services?per_page=10&page=4")
    assert (beyond["size"], beyond["contents"], beyond["last_page"], beyond["empty"]) == (0, [], True, True)
    one = api("/api/services?per_page=200")
    assert (one["size"], one["total_pages"], one["first_page"], one["last_page"]) == (25, 1, True, True)
    ids = [i["id"] for p in (1, 2, 3) for i in api(f"/api/services?per_page=10&page={p}")["contents"]]
    assert len(set(ids)) == 25


BAD = [
    "page=0", "page=-1", "page=%D9%A3", "page=%C2%B2", "page=1_000", "page=" + "9" * 200, "page=99999999999",
    "page=x", "per_page=0", "per_page=-5", "per_page=%EF%BC%93", "minimum_age=-1", "minimum_age=NaN",
    "minimum_age=1e999", "maximum_age=abc", "maximum_age=" + "9" * 150, "taxonomy_term_id=not-a-uuid",
    f"taxonomy_term_id={uuid.uuid4()}", f"taxonomy_id={uuid.uuid4()}", "taxonomy_id=%E2%91%A0",
    "organization_id=nope", "age=%D9%A3", "age=99", "postcode=B", "level=nonexistent", "search=" + "x" * 201,
    "start_time=10:00", "day=MO", "format=xml", "proximity=1000", "page=1&page=2",
    "full=maybe", "minimal=2", "full=true&minimal=true", "modified_after=yesterday", "modified_after=2025-13-01",
    "modified_after=2025-01-01T25:00:00",
    # Outside what a date and time can hold once turned into UTC (was a 500 on SQLite).
    "modified_after=9999-12-31T23:59:59-05:00", "modified_after=0001-01-01T00:00:00%2B05:00",
]


@pytest.mark.parametrize("name", ["parent_id", "taxonomy_id"])
def test_a_taxonomy_terms_parameter_given_twice_is_refused_not_the_last_taken(client, name):
    """The review of issue 25: /taxonomy_terms took the last of a repeated parent_id or taxonomy_id."""
    first, second = TAXONOMIES[0].id, TAXONOMIES[1].id
    response = client.get(f"/api/taxonomy_terms?{name}={first}&{name}={second}")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["errors"][0]["message"] == f"Give {name} once."


@pytest.mark.parametrize("query", BAD)
def test_a_bad_parameter_gets_a_json_400(client, query):
    response = client.get(f"/api/services?{query}")
    assert response.status_code == 400, response.content[:200]
    body = response.json()
    assert body["status"] == 400 and body["errors"][0]["message"]
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("query", ["postcode=B4+6NH&proximity=%D9%A3",
                                   "postcode=B4+6NH&proximity=-5", "postcode=B4+6NH&proximity=999999",
                                   "proximity=100", "postcode=not+a+postcode"])
def test_bad_proximity_searches_get_a_json_400(client, query):
    response = client.get(f"/api/service_at_locations?{query}")
    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.parametrize("path", ["/api/services/{}", "/api/service_at_locations/{}", "/api/taxonomies/{}",
                                  "/api/taxonomy_terms/{}"])
def test_unknown_ids_are_404_and_malformed_ids_400(client, path):
    assert client.get(path.format(uuid.uuid4())).status_code == 404
    assert client.get(path.format(uuid.uuid4())).json()["status"] == 404
    for bad in ("123", "%D9%A3", "x" * 300, "drop%20table"):
        response = client.get(path.format(bad))
        assert response.status_code == 400 and response.json()["errors"]


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublished_services_and_their_venues_are_404(client, status):
    service = Service.objects.get(slug="acacia")
    placement = ServiceAtLocation.objects.filter(service__status="published").first()
    Service.objects.filter(pk__in=[service.pk, placement.service_id]).update(status=status)
    assert client.get(f"/api/services/{service.uuid}").status_code == 404
    assert client.get(f"/api/service_at_locations/{placement.uuid}").status_code == 404
    listed = client.get("/api/services?per_page=200").json()["contents"]
    assert str(service.uuid) not in {item["id"] for item in listed}
    placements = client.get("/api/service_at_locations?per_page=200").json()["contents"]
    assert str(placement.uuid) not in {item["id"] for item in placements}


def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/locations")
    assert response.status_code == 404 and response.json()["status"] == 404


def test_cors_and_preflight(client):
    response = client.get("/api/services", HTTP_ORIGIN="https://example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/api/services", HTTP_ORIGIN="https://example.org",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]


def test_the_api_is_read_only(client):
    response = client.post("/api/services")
    assert response.status_code == 405 and response.json()["status"] == 405


@pytest.mark.parametrize("path", ["/api/", "/api/services", "/api/taxonomies", "/api/openapi.json"])
def test_etag_and_conditional_get(client, path):
    response = client.get(path)
    etag = response["ETag"]
    again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert again["Access-Control-Allow-Origin"] == "*"
    assert client.get(path, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_the_etag_is_the_content_versions_and_a_revalidation_runs_no_view(client, rf, django_assert_num_queries):
    """ADR 11: the ETag is not a hash of the body but the content version's (directory/core/caching.py),
    so a matching If-None-Match is answered after one query (the version), before the view."""
    from directory.core.caching import etag_for

    path = "/api/services?per_page=5"
    etag = client.get(path)["ETag"]
    assert etag == etag_for(rf.get(path), per_visitor=False)
    with django_assert_num_queries(1):
        assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH="*").status_code == 304


def test_the_etag_changes_when_the_content_does(client):
    service = Service.objects.get(slug="acacia")
    etag = client.get(f"/api/services/{service.uuid}")["ETag"]
    Service.objects.filter(pk=service.pk).update(name="Acacia renamed")
    assert client.get(f"/api/services/{service.uuid}", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_openapi_document_describes_our_extensions(api):
    document = api("/api/openapi.json")
    assert {"/", "/services", "/services/{id}", "/service_at_locations", "/service_at_locations/{id}", "/taxonomies",
            "/taxonomies/{id}", "/taxonomy_terms", "/taxonomy_terms/{id}", "/organizations",
            "/organizations/{id}"} == set(document["paths"])
    assert {"age", "stage", "postcode", "proximity", "level"} <= set(document["components"]["parameters"])
    extensions = document["components"]["schemas"]["ServiceExtensions"]["properties"]
    assert {"x_age_months", "x_referral_routes", "x_provenance", "x_coverage"} <= set(extensions)
    # Every x_ property a service carries is described.
    service = api(f"/api/services/{Service.objects.published().first().uuid}")
    assert {key for key in service if key.startswith("x_")} <= set(extensions)


@pytest.mark.parametrize("path", ["/api/services", "/api/organizations", "/api/taxonomies", "/api/taxonomy_terms"])
def test_a_nul_character_in_search_gets_a_json_400(client, path):
    """PostgreSQL cannot hold a NUL in a string: /api/organizations?search=%00 was a 500 there."""
    response = client.get(f"{path}?search=a%00b")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["errors"][0]["parameter"] == "search"
