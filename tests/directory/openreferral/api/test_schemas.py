"""Every endpoint's answer on the seed validates against the ORUK 3.0 schemas (vendored in
tests/oruk_schemas/), and every list envelope against the OpenAPI `Page` schema."""
import pytest

from directory.models import Service
from tests.directory.openreferral.api.conftest import all_pages, assert_valid, page_validator, validator

pytestmark = pytest.mark.django_db


def test_the_root_says_version_profile_and_openapi_url(api):
    body = api("/api/")
    assert body["version"] == "HSDS-UK-3.0"
    assert body["profile"].startswith("https://openreferraluk.org/")
    assert body["openapi_url"] == "http://testserver/api/openapi.json"
    assert api("/api/openapi.json")["openapi"].startswith("3.1")


@pytest.mark.parametrize("path", ["/api/services", "/api/service_at_locations", "/api/taxonomies", "/api/taxonomy_terms"])
def test_every_list_envelope_is_an_oruk_page(api, path):
    body = api(path)
    assert_valid(page_validator(), body)
    assert set(body) == {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty",
                         "contents"}


def test_every_published_service_validates_as_a_list_item_and_in_full(api):
    items = all_pages(api, "/api/services")
    assert len(items) == Service.objects.published().count() == 25
    list_schema, full_schema = validator("compiled/service_list.json"), validator("compiled/service.json")
    for item in items:
        assert_valid(list_schema, item)
        assert_valid(full_schema, api(f"/api/services/{item['id']}"))


def test_every_service_at_location_validates(api):
    items = all_pages(api, "/api/service_at_locations")
    assert items
    schema = validator("compiled/service_at_location_list.json")
    for item in items:
        assert_valid(schema, item)
        # ORUK's compiled schema for one service_at_location is not in the profile's compiled
        # set we hold; the detail is a superset of the list item, so it validates against it.
        assert_valid(schema, api(f"/api/service_at_locations/{item['id']}"))


def test_every_taxonomy_and_term_validates(api):
    taxonomy_schema, term_schema = validator("taxonomy.json"), validator("taxonomy_term.json")
    taxonomies = all_pages(api, "/api/taxonomies")
    assert [t["x_key"] for t in taxonomies] == ["level", "focus", "need", "intervention", "delivery", "language"]
    for taxonomy in taxonomies:
        assert_valid(taxonomy_schema, taxonomy)
        detail = api(f"/api/taxonomies/{taxonomy['id']}")
        assert_valid(taxonomy_schema, detail)
        assert detail["taxonomy_terms"]
    terms = all_pages(api, "/api/taxonomy_terms")
    for term in terms:
        assert_valid(term_schema, term)
        assert api(f"/api/taxonomy_terms/{term['id']}") == term
