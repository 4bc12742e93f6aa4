"""The districts GeoJSON: one function (mapping/geojson.py `district_map_build`) builds it for the page, the
endpoint and these tests."""
import pytest
from django.test import override_settings
from django.db.models import Q
from django.http import QueryDict
from shapely.geometry import shape

from directory.models import Service
from mapping.geojson import district_map_build
from mapping.models import District
from mapping.needs import NeedsParameters, SEED_VALUES

pytestmark = pytest.mark.django_db
SEED = NeedsParameters(**SEED_VALUES)
PROPERTIES = {
    "name", "code", "slug", "population_under_2", "imd_decile", "deprivation_rank", "insecure_attachment",
    "disorganised_attachment", "families_needing_specialised_support", "practitioners_needed",
    "specialised_services_mapped", "services_matching", "services_by_level", "services_by_focus",
    "families_per_matching_service", "services_local", "services_city_wide", "families_per_local_service",
    # Need against recorded capacity (issue 22, mapping/capacity.py)
    "practitioner_time_recorded", "practitioner_gap", "capacity_state", "capacity_services_recorded",
    "capacity_services_comparable",
}


def build(query=""):
    return district_map_build(data=QueryDict(query), parameters=SEED).feature_collection()


def by_name(collection):
    return {f["properties"]["name"]: f["properties"] for f in collection["features"]}


def test_it_has_ten_valid_polygon_features_with_the_stated_properties():
    collection = build()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 10
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) == PROPERTIES
        geometry = shape(feature["geometry"])
        assert geometry.geom_type == "Polygon" and geometry.is_valid
        # WGS84 longitude/latitude inside Birmingham
        minx, miny, maxx, maxy = geometry.bounds
        assert -2.1 < minx < maxx < -1.7 and 52.3 < miny < maxy < 52.7
    assert {f["properties"]["code"] for f in collection["features"]} == set(District.objects.values_list("code", flat=True))


def test_it_carries_table_2_and_the_needs_figures():
    properties = by_name(build())
    assert properties["Edgbaston"]["practitioners_needed"] == 3.7
    assert properties["Sutton Coldfield"]["practitioners_needed"] == 3.0
    assert properties["Hodge Hill"]["population_under_2"] == 4208
    assert properties["Hodge Hill"]["imd_decile"] == 1
    assert properties["Hodge Hill"]["disorganised_attachment"] == 842  # 4,208 x 20%
    assert properties["Hodge Hill"]["insecure_attachment"] == 1262  # 4,208 x 30%
    assert properties["Hodge Hill"]["families_needing_specialised_support"] == 332  # x 45% x 87.7%
    assert build()["totals"]["practitioners_needed"] == 47


def test_it_counts_services_per_district_as_in_district_q_does():
    properties = by_name(build())
    published = Service.objects.published()
    for district in District.objects.all():
        in_it = published.in_district(district)
        counts = properties[district.name]
        assert counts["services_matching"] == in_it.count()
        for level in ["universal", "targeted", "statutory", "specialist"]:
            assert counts["services_by_level"][level] == in_it.filter(levels__code=level).count()
        for focus in ["specialised", "additional", "non_specialised"]:
            assert counts["services_by_focus"][focus] == in_it.filter(focus=focus).count()


def test_it_changes_the_counts_with_the_filters():
    everything = by_name(build())
    specialist = by_name(build("level=specialist"))
    specialised = by_name(build("focus=specialised"))
    for name, props in specialist.items():
        assert props["services_matching"] == everything[name]["services_by_level"]["specialist"]
        assert props["services_by_level"]["specialist"] == props["services_matching"]
        assert specialised[name]["services_matching"] == everything[name]["services_by_focus"]["specialised"]
        assert props["services_matching"] < everything[name]["services_matching"]
    # The need figures do not depend on the filters.
    assert specialist["Ladywood"]["practitioners_needed"] == everything["Ladywood"]["practitioners_needed"]


def test_it_divides_need_by_matching_services():
    props = by_name(build("focus=specialised"))["Yardley"]
    expected = round(props["families_needing_specialised_support"] / props["services_matching"], 1)
    assert props["families_per_matching_service"] == expected


def test_it_never_counts_drafts(draft_specialised_in_hodge_hill):
    hodge_hill = by_name(build("focus=specialised"))["Hodge Hill"]
    yardley = by_name(build("focus=specialised"))["Yardley"]
    assert hodge_hill["services_matching"] == yardley["services_matching"]
    assert hodge_hill["specialised_services_mapped"] == yardley["specialised_services_mapped"]


def test_it_counts_a_service_listed_for_one_district_only_there(draft_specialised_in_hodge_hill):
    draft_specialised_in_hodge_hill.status = "published"
    draft_specialised_in_hodge_hill.save()
    props = by_name(build("focus=specialised"))
    assert props["Hodge Hill"]["services_matching"] == props["Yardley"]["services_matching"] + 1
    assert props["Hodge Hill"]["specialised_services_mapped"] == props["Yardley"]["specialised_services_mapped"] + 1


def test_it_costs_the_same_queries_whatever_the_filters(django_assert_num_queries):
    # Districts, specialised provision, recorded capacity (issue 22); the counts by district and
    # the specialised provision come from the search's facet index (issue 26, docs/adr/0029),
    # whose version is read each time it is asked for, as the level codes' lists are (outside a
    # request the version is not kept: in a request it is one query for all). With filters, the
    # lists to validate them against (directory/search/terms.py) and their version. The first map
    # after a change builds the index (1 query) and reads the lists (1): warmed here, as any
    # earlier request does.
    district_map_build(data=QueryDict(""), parameters=SEED)
    with django_assert_num_queries(6):
        district_map_build(data=QueryDict(""), parameters=SEED).feature_collection()
    with django_assert_num_queries(8):
        district_map_build(data=QueryDict("level=targeted&focus=additional"), parameters=SEED).feature_collection()
    with override_settings(SEARCH_FACET_INDEX=False), django_assert_num_queries(5):  # 2 counts in SQL, no version
        district_map_build(data=QueryDict(""), parameters=SEED).feature_collection()


def test_it_counts_local_services_apart_from_city_wide_ones():
    """Issue 11: city-wide services count in every district, so need per matching service
    told a commissioner nothing. Local = the district listed, a locality in it, or a venue there
    for a service that is not city-wide (issue 22: a city-wide service's hospital is not local)."""
    collection = district_map_build(data={}, parameters=NeedsParameters(**SEED_VALUES)).feature_collection()
    published = Service.objects.published()
    for feature in collection["features"]:
        props = feature["properties"]
        district = District.objects.get(slug=props["slug"])
        local = published.filter(
            Q(coverage_districts=district) | Q(locality_district=district)
            | (Q(service_at_locations__venue__district=district) & ~Q(coverage_type="city_wide"))
        ).distinct().count()
        assert props["services_local"] == local
        assert props["services_city_wide"] == props["services_matching"] - local
        if local:
            assert props["families_per_local_service"] == round(props["families_needing_specialised_support"] / local, 1)
        else:
            assert props["families_per_local_service"] is None
    by_slug = {f["properties"]["slug"]: f["properties"] for f in collection["features"]}
    assert by_slug["northfield"]["services_local"] >= 1  # Roots works in Northfield only
    # The city-wide hospital services no longer make Ladywood (B4) and Hodge Hill (B9) look best served.
    assert by_slug["ladywood"]["services_local"] == 0 and by_slug["hodge-hill"]["services_local"] == 0
    assert len({p["services_local"] for p in by_slug.values()}) > 1  # it tells districts apart


def test_the_wards_layer_has_every_ward_with_its_name(client):
    response = client.get("/map/wards.geojson")
    assert response.status_code == 200 and response["ETag"]
    features = response.json()["features"]
    assert len(features) == 69 and all(f["properties"]["name"] and f["geometry"] for f in features)
