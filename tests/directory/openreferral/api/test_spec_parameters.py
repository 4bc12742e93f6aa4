"""Issue 25: every parameter of the published specification is honoured or refused, never
ignored; what a real consumer sends (per_page=500, a postcode outside Birmingham) gets an answer."""
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from directory.models import Service
from directory.openreferral.api.params import MAX_PER_PAGE

pytestmark = pytest.mark.django_db


def test_modified_after_keeps_services_changed_since(api):
    service = Service.objects.published().order_by("name").first()
    Service.objects.published().update(modified=timezone.now() - timedelta(days=30))
    Service.objects.filter(pk=service.pk).update(modified=timezone.now())
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = api(f"/api/services?modified_after={since}")
    assert [item["id"] for item in body["contents"]] == [str(service.uuid)]
    assert api("/api/services?modified_after=2000-01-01")["total_items"] == Service.objects.published().count()
    # "+01:00" arrives as " 01:00" when a client leaves the plus unescaped.
    assert api("/api/services?modified_after=2000-01-01T00:00:00+01:00")["total_items"] == 25
    placements = api(f"/api/service_at_locations?modified_after={since}")["contents"]
    assert {item["service_id"] for item in placements} <= {str(service.uuid)}


def test_modified_after_at_the_ends_of_the_calendar_is_an_answer(api):
    assert api("/api/services?modified_after=9999-12-31")["total_items"] == 0
    assert api("/api/services?modified_after=9999-12-31T23:59:59Z")["total_items"] == 0
    assert api("/api/services?modified_after=0001-01-01")["total_items"] == 25
    assert api("/api/service_at_locations?modified_after=0001-01-01T00:00:00Z")["total_items"] > 0


def test_minimal_gives_ids_and_modification_times(api):
    items = api("/api/services?minimal=true&per_page=200")["contents"]
    assert len(items) == 25 and all(set(item) == {"id", "name", "status", "last_modified"} for item in items)
    assert api("/api/services?minimal=false")["contents"][0].get("organization")


def test_full_gives_each_service_as_its_own_address_does(api):
    for item in api("/api/services?full=true&per_page=7&page=2")["contents"]:
        assert item == api(f"/api/services/{item['id']}")
    placement = api("/api/service_at_locations?full=true")["contents"][0]
    assert placement["location"] == api(f"/api/service_at_locations/{placement['id']}")["location"]


@pytest.mark.parametrize("path", ["/api/services", "/api/service_at_locations", "/api/organizations",
                                  "/api/taxonomies", "/api/taxonomy_terms"])
def test_ndjson_streams_every_result_without_pages(client, path):
    response = client.get(f"{path}?format=ndjson&per_page=3")
    assert response.status_code == 200 and response["Content-Type"] == "application/x-ndjson"
    assert response["Access-Control-Allow-Origin"] == "*" and response["ETag"]
    lines = [json.loads(line) for line in response.content.decode().splitlines()]
    total = client.get(path).json()["total_items"]
    assert len(lines) == total and len({line["id"] for line in lines}) == total


def test_per_page_above_the_maximum_is_capped_and_says_so(api):
    body = api("/api/services?per_page=500")
    assert body["size"] == 25 and body["x_per_page"]["requested"] == 500 and body["x_per_page"]["given"] == MAX_PER_PAGE
    assert "x_per_page" not in api("/api/services?per_page=200")
    assert api("/api/taxonomy_terms?per_page=500")["x_per_page"]["given"] == MAX_PER_PAGE


@pytest.mark.parametrize("path", ["/api/services?postcode=CV1+1AA", "/api/service_at_locations?postcode=CV1+1AA",
                                  "/api/service_at_locations?postcode=CV1+1AA&proximity=1000"])
def test_a_postcode_outside_birmingham_gives_an_empty_page(api, path):
    body = api(path)
    assert (body["total_items"], body["empty"], body["contents"]) == (0, True, [])


def test_a_malformed_postcode_or_another_bad_parameter_is_still_a_400(api):
    api("/api/services?postcode=not+a+postcode", status=400)
    body = api("/api/services?postcode=CV1+1AA&level=nonexistent", status=400)
    assert "level" in [error["parameter"] for error in body["errors"]]


def test_search_on_taxonomies_and_terms(api):
    assert [t["name"] for t in api("/api/taxonomies?search=delivery")["contents"]] == ["Delivery modes"]
    assert api("/api/taxonomies?search=nothing-like-this")["empty"] is True
    terms = api("/api/taxonomy_terms?search=targeted")["contents"]
    assert terms and all("targeted" in (t["name"] + t["description"] + t["code"]).lower() for t in terms)


def test_top_only_and_parent_id_on_flat_taxonomies(api):
    everything = api("/api/taxonomy_terms?per_page=200")["total_items"]
    assert api("/api/taxonomy_terms?top_only=true&per_page=200")["total_items"] == everything
    assert api("/api/taxonomy_terms?top_only=false&per_page=200")["total_items"] == everything
    term = api("/api/taxonomy_terms")["contents"][0]["id"]
    assert api(f"/api/taxonomy_terms?parent_id={term}")["empty"] is True
    api("/api/taxonomy_terms?parent_id=nope", status=400)
    api("/api/taxonomy_terms?top_only=perhaps", status=400)


def test_empty_optional_fields_are_left_out_and_contacts_carry_phone_and_email(api):
    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                if key.startswith("x_"):
                    continue
                assert item not in (None, "", []) or key == "description", (where, key)
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for item in value:
                walk(item, where)

    services = api("/api/services?full=true&per_page=200")["contents"]
    for service in services:
        walk(service, service["name"])
        row = Service.objects.get(uuid=service["id"])
        contacts = service.get("contacts", [])
        assert bool(contacts) == bool(row.phone or row.email)
        for contact in contacts:
            assert contact.get("email", "") == row.email
            assert [p["number"] for p in contact.get("phones", [])] == ([row.phone] if row.phone else [])
            assert all(p["contact_id"] == contact["id"] for p in contact.get("phones", []))


@pytest.mark.parametrize("method", ["get", "options", "post", "delete"])
def test_api_without_its_slash_answers_with_cors_and_no_redirect(method):
    response = getattr(Client(enforce_csrf_checks=True), method)("/api")
    assert response.status_code in (200, 204, 405) and response["Access-Control-Allow-Origin"] == "*"
    if method in ("post", "delete"):
        assert response.status_code == 405 and response.json()["status"] == 405


@pytest.mark.parametrize("path", ["/api/organizations", "/api/organizations/0b1c0e1f-1d4e-4c43-9e7a-2b8f0c3a6d11"])
def test_writes_to_the_new_endpoints_get_a_json_405(path):
    response = Client(enforce_csrf_checks=True).put(path, "a=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 405 and response["Content-Type"] == "application/json"
