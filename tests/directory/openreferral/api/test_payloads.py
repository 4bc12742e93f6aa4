"""What the payloads say: ages in years and months, classification as attributes,
referral routes, coverage and the sources of facts."""
from types import SimpleNamespace

import pytest

from directory.openreferral.api.payloads import age_years
from directory.openreferral.api.taxonomies import TAXONOMIES_BY_KEY, focus_term_id
from directory.models import Service

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("range_, start, end, expected", [
    ("range", -9, 23, (0.0, 2.0)),      # pregnancy to the second birthday
    ("range", -9, 0, (0.0, 0.0)),       # pregnancy only
    ("range", -3, -1, (0.0, 0.0)),
    ("range", 0, 11, (0.0, 1.0)),
    ("range", 6, 23, (0.5, 2.0)),
    ("range", 1, 1, (0.08, 0.17)),
    ("any", None, None, (None, None)),
    ("not_stated", None, None, (None, None)),
])
def test_ages_are_years_with_pregnancy_as_zero(range_, start, end, expected):
    assert age_years(SimpleNamespace(age_range=range_, age_from_months=start, age_to_months=end)) == expected


def _service(api, slug):
    return api(f"/api/services/{Service.objects.get(slug=slug).uuid}")


def test_a_service_keeps_its_months_beside_the_years(api):
    body = _service(api, "acacia")
    assert (body["minimum_age"], body["maximum_age"]) == (0.0, 2.0)
    assert body["x_age_months"] == {"range": "range", "from": -9, "to": 23}


def test_the_classification_is_attributes_of_our_taxonomies(api):
    service = Service.objects.get(slug="acacia")
    body = _service(api, "acacia")
    by_taxonomy = {}
    for attribute in body["attributes"]:
        assert attribute["link_id"] == body["id"] and attribute["link_type"] == "service"
        term = attribute["taxonomy_term"]
        by_taxonomy.setdefault(term["taxonomy_id"], set()).add(term["code"])
    assert by_taxonomy[TAXONOMIES_BY_KEY["level"].id] == {level.code for level in service.levels.all()}
    assert by_taxonomy[TAXONOMIES_BY_KEY["focus"].id] == {service.focus}
    assert by_taxonomy[TAXONOMIES_BY_KEY["need"].id] == {need.code for need in service.needs.all()}
    focus = next(a for a in body["attributes"] if a["taxonomy_term"]["taxonomy_id"] == TAXONOMIES_BY_KEY["focus"].id)
    assert focus["taxonomy_term_id"] == focus_term_id(service.focus)


def test_referral_routes_and_criteria_travel_as_local_properties(api):
    service = Service.objects.get(slug="acacia")
    route = service.referral_routes.first()
    body = _service(api, "acacia")
    assert body["x_referral_routes"][0]["acceptance_criteria"] == route.acceptance_criteria
    assert body["x_referral_routes"][0]["referrer"] == route.referrer
    assert route.how_to_refer in body["application_process"]


def test_unconfirmed_facts_carry_their_source(api):
    body = _service(api, "acacia")
    phone = next(entry for entry in body["x_provenance"] if entry["about"] == "service" and entry["field"] == "phone")
    assert phone["confirmed"] is False
    assert phone["source"] == "public_page" and phone["source_url"].startswith("https://")
    assert "read_on" in phone


def test_ids_are_stable_between_requests(api):
    assert _service(api, "acacia") == _service(api, "acacia")


def test_every_published_object_has_its_own_id():
    from directory.models import Intervention, Level, Need, Organisation, ServiceAtLocation, Venue

    for model in (Service, Organisation, Venue, ServiceAtLocation, Level, Need, Intervention):
        ids = list(model.objects.values_list("uuid", flat=True))
        assert len(ids) == len(set(ids)) and None not in ids


def test_taxonomy_ids_are_fixed():
    # Derived from the project's namespace: the same in every database, forever.
    assert TAXONOMIES_BY_KEY["level"].id == "da361347-fc0a-5570-8464-e88ae88f74f1"
    assert {focus: focus_term_id(focus) for focus in ("specialised", "additional", "non_specialised")} == {
        "specialised": "c21228d4-a9a9-5933-8771-675238fb7878",
        "additional": "e761ecd4-1d5d-5688-96fc-6bd24ac087be",
        "non_specialised": "5762d914-d8d1-5592-b611-8c4f2c99414b",
    }
