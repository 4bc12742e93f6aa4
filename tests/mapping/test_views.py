"""/map/, /map/districts.geojson, the district panel and /needs/: what a person sees, bad input, and query counts."""
import gzip
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from mapping.models import NeedsModelSettings

pytestmark = pytest.mark.django_db
MAP = reverse("mapping:map")
GEOJSON = reverse("mapping:districts-geojson")
NEEDS = reverse("mapping:needs")


def text(response):
    return response.content.decode()


# --- /map/ -------------------------------------------------------------------------------

def test_it_shows_the_map_page_with_every_figure_in_a_table(client):
    response = client.get(MAP)
    assert response.status_code == 200
    page = text(response)
    assert "Map of services and need" in page
    assert 'id="district-map"' in page
    # The table has the same figures as the map: Hodge Hill's under-twos, need and practitioners.
    assert "4,208" in page and "332" in page and "6.4" in page
    # A text summary of the map, and the attribution under it.
    assert "The map shades Birmingham&#x27;s 10 districts by modelled need. Highest: Hodge Hill (332)" in page
    assert "Open Government Licence v3.0" in page
    # The district list works without JavaScript: plain links.
    assert 'href="?district=hall-green#district-panel"' in page


def test_it_loads_leaflet_and_the_vendored_cluster_plugin_locally(client):
    page = text(client.get(MAP))
    assert "leaflet/leaflet" in page and "vendor/leaflet.markercluster/leaflet.markercluster.js" in page
    assert "js/map.js" in page and "unpkg" not in page and "cdn" not in page.lower()


def test_it_takes_the_centre_bounds_and_no_tiles_from_leaflet_config(client, settings):
    page = text(client.get(MAP))
    assert '"center": [52.48, -1.89]' in page
    assert '"layers": []' in page  # no tile server by default


def test_it_points_the_map_at_the_geojson_with_the_same_filters(client):
    page = text(client.get(MAP, {"level": "specialist", "district": "yardley"}))
    assert 'data-geojson-url="/map/districts.geojson?level=specialist"' in page


def test_it_shows_a_district_panel_as_a_stepped_care_ladder(client):
    page = text(client.get(MAP, {"district": "hodge-hill"}))
    panel = page[page.index('id="district-panel"'):]
    assert "<h2 id=\"district-panel-heading\" tabindex=\"-1\">Hodge Hill</h2>" in panel
    positions = [panel.index(f"app-ladder__step--{level}") for level in ["universal", "targeted", "statutory", "specialist"]]
    assert positions == sorted(positions)
    assert "Community Perinatal Mental Health Team" in panel
    assert 'href="/services/community-perinatal-mental-health-team/"' in panel


def test_it_applies_the_filters_to_the_panel(client):
    page = text(client.get(MAP, {"district": "hodge-hill", "focus": "specialised"}))
    panel = page[page.index('id="district-panel"'):page.index('id="figures"')]
    assert "Community Perinatal Mental Health Team" in panel
    assert "Birmingham Forward Steps: Health Visiting" not in panel


def test_it_explains_the_levels_from_the_same_list_as_the_search_pages(client):
    """One level_list (directory/search/selectors.py) for the map, its panel and the practitioners' pages."""
    from directory.search.selectors import level_list

    levels = level_list()
    assert [level.code for level in levels] == ["universal", "targeted", "statutory", "specialist"]
    assert client.get(MAP).context["levels_explained"] == levels
    assert client.get(reverse("directory:home")).context["levels_explained"] == levels


def test_it_explains_a_forged_district(client):
    response = client.get(MAP, {"district": "atlantis<script>"})
    assert response.status_code == 200
    assert "We do not know that district" in text(response)
    assert "<script>" not in text(response).split("Skip to main content")[1].split("<script")[0]


def test_it_finds_a_postcode_its_district_and_the_nearest_venues(client):
    page = text(client.get(MAP, {"postcode": "b9 5ss"}))
    assert "B9 5SS is in Hodge Hill" in page
    assert "Heartlands Hospital, B9 5SS: 0.0 miles" in page
    assert '"postcode": "B9 5SS"' in page  # for the map to zoom to
    assert "<h2 id=\"district-panel-heading\" tabindex=\"-1\">Hodge Hill</h2>" in page


@pytest.mark.parametrize("postcode, words", [
    ("ZZ1 1ZZ", "We could not find ZZ1 1ZZ"),
    ("not a postcode", "Enter a postcode, like B8 1AA, or its first part, like B8."),
])
def test_it_explains_an_unknown_postcode(client, postcode, words):
    response = client.get(MAP, {"postcode": postcode})
    assert response.status_code == 200
    assert words in text(response)
    assert "<title>Error: Map of services and need" in text(response)


def test_it_explains_a_bad_filter_and_keeps_the_map(client):
    response = client.get(MAP, {"level": "bogus"})
    assert response.status_code == 200
    assert "bogus is not a level of need" in text(response)
    assert 'data-geojson-url="/map/districts.geojson?"' in text(response)


def test_it_pins_the_queries_of_the_map_page(client, django_assert_num_queries):
    # the content version, needs parameters, districts, the search's facet index for the counts by
    # district (issue 26, docs/adr/0029: built in 1 query by the first request after a change, where
    # the counts were 2), specialised provision, recorded capacity (issue 22), the lists (levels and
    # the form's choices, directory/search/terms.py), the venues' positions, the listed venues (4);
    # the markers are /map/markers.geojson's
    with django_assert_num_queries(12):
        client.get(MAP)
    # + the panel's services with their levels and routes (3), less the lists (read by the first
    # request) and the index's build (the first request's, kept for the version)
    with django_assert_num_queries(13):
        client.get(MAP, {"district": "ladywood", "level": "specialist"})


# --- /map/districts.geojson ----------------------------------------------------------------

def test_it_serves_geojson_with_an_etag_and_cache_headers(client):
    response = client.get(GEOJSON)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    # Always revalidated (a 304 costs one query), so a curator's change shows at once.
    assert "no-cache" in response["Cache-Control"] and "public" in response["Cache-Control"]
    collection = json.loads(response.content)
    assert len(collection["features"]) == 10
    again = client.get(GEOJSON, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_it_compresses_the_geojson(client):
    response = client.get(GEOJSON, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    raw = gzip.decompress(response.content)
    assert len(response.content) < len(raw) / 2
    assert json.loads(raw)["type"] == "FeatureCollection"


def test_it_changes_the_etag_when_the_filters_change(client):
    assert client.get(GEOJSON)["ETag"] != client.get(GEOJSON, {"level": "specialist"})["ETag"]


@pytest.mark.parametrize("query, words", [
    ({"caseload": "0"}, "between 1 and 1,000"),
    ({"caseload": "1e-30"}, "at most 2 decimal places"),
    ({"caseload": "abc"}, "must be a number"),
    ({"insecure_percent": "-3"}, "between 0 and 100"),
    ({"level": "bogus"}, "not a level of need"),
])
def test_it_refuses_bad_geojson_parameters_with_a_clear_message(client, query, words):
    response = client.get(GEOJSON, query)
    assert response.status_code == 400
    assert words in " ".join(response.json()["errors"].values())


def test_it_applies_what_if_overrides_to_the_geojson(client):
    collection = client.get(GEOJSON, {"caseload": "40"}).json()
    assert collection["totals"]["practitioners_needed"] == 61
    assert collection["parameters"]["caseload"] == 40.0


def test_it_pins_the_queries_of_the_geojson(client, django_assert_num_queries):
    # the content version, needs parameters, districts, the facet index (built by the first request
    # after a change, issue 26) and the lists for the counts by district and level, specialised
    # provision, recorded capacity (issue 22); then, with filters, the index and the lists that
    # validate them are in memory already (directory/search/terms.py)
    with django_assert_num_queries(7):
        client.get(GEOJSON)
    with django_assert_num_queries(5):
        client.get(GEOJSON, {"need": "perinatal_mental_health", "focus": "specialised"})


# --- the panel fragment --------------------------------------------------------------------

def test_it_serves_the_district_panel_alone_for_the_map(client):
    response = client.get(reverse("mapping:district-panel", args=["selly-oak"]), {"level": "universal"})
    assert response.status_code == 200
    assert "<h2 id=\"district-panel-heading\" tabindex=\"-1\">Selly Oak</h2>" in text(response)
    assert "<html" not in text(response)


def test_it_gives_a_404_for_a_forged_district_panel(client):
    assert client.get(reverse("mapping:district-panel", args=["atlantis"])).status_code == 404


# --- /needs/ --------------------------------------------------------------------------------

def test_it_shows_table_2_on_the_needs_page(client):
    page = text(client.get(NEEDS))
    for slug, value in [("edgbaston", "3.7"), ("erdington", "4.5"), ("sutton-coldfield", "3.0"), ("total", "47")]:
        assert f'data-practitioners="{slug}">{value}</td>' in page
    assert "30,671" in page
    # The source of every parameter, from the admin.
    assert "Parent-Infant Foundation guidance that each specialised practitioner sees" in page


def test_it_recomputes_the_needs_page_for_a_what_if_caseload(client):
    page = text(client.get(NEEDS, {"caseload": "40"}))
    assert 'data-practitioners="total">61</td>' in page
    assert "What-if figures" in page and "Nothing has been saved" in page
    assert 'data-geojson-url="/map/districts.geojson?caseload=40"' in page


@pytest.mark.parametrize("query, words", [
    ({"caseload": "0"}, "must be between 1 and 1,000"),
    ({"caseload": "1e-30"}, "can have at most 2 decimal places"),
    ({"caseload": "abc"}, "must be a number, like 52. You entered &#x27;abc&#x27;"),
    ({"demand_percent": "-10"}, "must be a percentage between 0 and 100"),
])
def test_it_explains_bad_what_if_numbers_and_shows_the_saved_figures(client, query, words):
    response = client.get(NEEDS, query)
    assert response.status_code == 200
    page = text(response)
    assert words in page
    assert "<title>Error: Need and specialised provision" in page
    assert 'data-practitioners="total">47</td>' in page


# The seed's Table 1 rates (secure 50%, insecure 30%, disorganised 20%) applied by hand to its Table 2
# populations, rounded half up: (slug, secure, insecure, disorganised).
TABLE_1_BY_DISTRICT = [
    ("edgbaston", "1,210", "726", "484"),  # 2,419: 1,209.5, 725.7, 483.8
    ("erdington", "1,468", "881", "587"),  # 2,936: 1,468, 880.8, 587.2
    ("hall-green", "1,662", "997", "665"),  # 3,324: 1,662, 997.2, 664.8
    ("hodge-hill", "2,104", "1,262", "842"),  # 4,208: 2,104, 1,262.4, 841.6
    ("ladywood", "2,029", "1,217", "812"),  # 4,058: 2,029, 1,217.4, 811.6
    ("northfield", "1,370", "822", "548"),  # 2,740
    ("perry-barr", "1,528", "917", "611"),  # 3,056: 1,528, 916.8, 611.2
    ("selly-oak", "1,280", "768", "512"),  # 2,560
    ("yardley", "1,718", "1,031", "687"),  # 3,435: 1,717.5, 1,030.5, 687
    ("sutton-coldfield", "968", "581", "387"),  # 1,935: 967.5, 580.5, 387
    ("total", "15,336", "9,201", "6,134"),  # 30,671: 15,335.5, 9,201.3, 6,134.2
]


def attachment(page, slug):
    return tuple(
        re.search(rf'data-{pattern}="{slug}">([^<]*)</td>', page).group(1)
        for pattern in ("secure", "insecure", "disorganised")
    )


def rate(page, pattern):
    """The 'Used on this page' cell of Table 1, as read on a phone (its stacked heading first)."""
    cell = re.search(rf'data-rate="{pattern}">(.*?)</td>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def test_it_shows_table_1_as_the_source_gives_it_with_the_rates_in_use(client):
    page = text(client.get(NEEDS))
    assert "Table 1 of the needs assessment: Attachment pattern distribution adjusted for high adversity/ trauma rates " \
        "in Birmingham</caption>" in page
    assert '<th scope="col" class="nhsuk-table__header app-num">Reference, non-clinical low-average adversity population' in page
    assert "Birmingham region: Mixed socio-economic status population facing moderate to high levels of adversity" in page
    rows = re.findall(r'<th scope="row" class="nhsuk-table__header">([^<]+)</th>\s*'
                      r'<td[^>]*><span[^>]*>Reference population </span>([^<]+)</td>\s*'
                      r'<td[^>]*><span[^>]*>Birmingham </span>([^<]+)</td>', page)
    assert rows == [("Secure attachments", "55-60%", "Reduced to 50%"),
                    ("Insecure attachments", "25-30%", "Increased to 30%"),
                    ("Disorganised attachments", "15%", "Increased to 20%")]
    assert rate(page, "secure") == "Used on this page 50% (worked out)"
    assert rate(page, "insecure") == "Used on this page 30%"
    assert rate(page, "disorganised") == "Used on this page 20%"


def test_it_shows_table_1_for_every_district_and_the_city(client):
    page = text(client.get(NEEDS))
    for slug, secure, insecure, disorganised in TABLE_1_BY_DISTRICT:
        assert attachment(page, slug) == (secure, insecure, disorganised), slug


def test_it_recomputes_table_1_for_what_if_rates(client):
    page = text(client.get(NEEDS, {"insecure_percent": "25"}))
    # Secure is what is left: 100 - 25 - 20 = 55%. Edgbaston 2,419 x 55% = 1,330.45; x 25% = 604.75.
    assert rate(page, "secure") == "Used on this page 55% (worked out) What-if"
    assert rate(page, "insecure") == "Used on this page 25% What-if"
    assert rate(page, "disorganised") == "Used on this page 20%"
    assert attachment(page, "edgbaston") == ("1,330", "605", "484")
    assert attachment(page, "total") == ("16,869", "7,668", "6,134")  # 16,869.05; 7,667.75

    page = text(client.get(NEEDS, {"disorganised_percent": "15"}))
    assert attachment(page, "total") == ("16,869", "9,201", "4,601")  # 4,600.65
    # Table 2 follows: 30,671 x 15% x 45% x 87.7% = 1,815.6 families; / 52 = 34.9 -> 35.
    assert 'data-practitioners="total">35</td>' in page


def test_it_follows_the_rates_a_curator_saves(client):
    NeedsModelSettings.objects.update(disorganised_percent=Decimal("25"), insecure_percent=Decimal("35"))
    page = text(client.get(NEEDS))
    # 30,671 x 40% = 12,268.4; x 35% = 10,734.85; x 25% = 7,667.75
    assert attachment(page, "total") == ("12,268", "10,735", "7,668")
    assert rate(page, "secure") == "Used on this page 40% (worked out)"


def test_it_refuses_what_if_rates_that_leave_no_room_for_secure_attachment(client):
    page = text(client.get(NEEDS, {"insecure_percent": "85"}))
    assert "Insecure and disorganised attachment together must not be more than 100% of babies." in page
    assert attachment(page, "total") == ("15,336", "9,201", "6,134")  # the saved figures


def test_it_shows_the_caveats_next_to_the_figures(client):
    page = text(client.get(NEEDS))
    caveats = page[page.index('id="attachment-caveats"'):page.index('<h2>On a map</h2>')]
    assert "The model ignores differences in adversity between districts." in caveats
    assert "The needs assessment gives 50% for Birmingham, and its three patterns add up to 100%" in caveats
    assert "The 45% take-up figure is worked back from the needs assessment's totals." in caveats
    assert "2,760 is 45% of the 6,134 babies" in caveats
    assert "not taking into account additional factors such as levels of adversity" in caveats
    # Where each figure comes from: the source notes curators edit.
    settings = NeedsModelSettings.objects.get()
    for name in ["disorganised", "insecure", "demand", "already_seen", "caseload"]:
        assert escape(getattr(settings, f"{name}_source")) in caveats, name
    # Each table comes before its caveats.
    assert page.index('id="attachment-caption"') < page.index('id="attachment-caveats"') < page.index('id="needs-caption"')
    assert page.index('id="needs-caption"') < page.index('id="needs-caveats"')


def test_it_shows_a_curators_new_source_note_in_the_caveats(client):
    NeedsModelSettings.objects.update(demand_percent=Decimal("50"), demand_source="A local audit, 2026.")
    page = text(client.get(NEEDS))
    assert "This page uses 50%. Source: A local audit, 2026." in page


def test_it_pins_the_queries_of_the_needs_page(client, django_assert_num_queries):
    # the content version, parameters, districts, specialised provision (from the search's facet index,
    # issue 26: built by the first request after a change, and one small query), recorded capacity
    # (issue 22), referrals prepared (issue 24); then the index is in memory
    with django_assert_num_queries(7):
        client.get(NEEDS)
    with django_assert_num_queries(6):
        client.get(NEEDS, {"caseload": "40"})


def test_a_busy_venue_lists_its_first_services_and_links_to_the_rest(client):
    from directory.models import Level, Organisation, Service, ServiceAtLocation, Status, Venue
    from mapping.selectors import SERVICES_PER_VENUE

    venue = Venue.objects.get(name="Heartlands Hospital")
    organisation, universal = Organisation.objects.first(), Level.objects.get(code="universal")
    for n in range(SERVICES_PER_VENUE + 5):
        service = Service.objects.create(organisation=organisation, name=f"Busy {n:02}", slug=f"busy-{n}",
                                         focus="additional", summary="x", status=Status.PUBLISHED)
        service.levels.add(universal)
        ServiceAtLocation.objects.create(service=service, venue=venue)
    markers = [feature["properties"] for feature in client.get(reverse("mapping:markers-geojson")).json()["features"]]
    heartlands = next(m for m in markers if m["name"] == "Heartlands Hospital")
    assert len(heartlands["services"]) == SERVICES_PER_VENUE
    assert heartlands["more"] == 6  # 15 added, plus the neonatal service, less the 10 shown
    assert heartlands["more_url"] == "/search/?postcode=B9+5SS"
    assert [s["name"] for s in heartlands["services"]][:2] == ["Busy 00", "Busy 01"]


def test_the_gzipped_geojson_is_made_once_and_revalidates(client, django_assert_num_queries):
    plain = client.get(GEOJSON)
    packed = client.get(GEOJSON, HTTP_ACCEPT_ENCODING="gzip, br")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    # Another representation of the same content: a weak ETag, as GZipMiddleware's would be.
    assert packed["ETag"] == "W/" + plain["ETag"] and "no-cache" in packed["Cache-Control"]
    with django_assert_num_queries(1):
        assert client.get(GEOJSON, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 304
