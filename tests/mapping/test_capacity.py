"""Need against recorded capacity (issue 22, item 5; mapping/capacity.py): the figures, the rules
for which services count, and what /needs/, /map/ and the GeoJSON say, with and without records."""
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from directory.core.provenance import record_fact
from directory.models import Focus, Level, Service, ServiceCapacity, SourceKind, Status
from mapping import selectors
from mapping.capacity import (
    AT_MOST, KNOWN, NO_SERVICE, NOT_KNOWN, CapacityRecord, capacity_gaps, wte_text,
)
from mapping.models import District
from mapping.needs import SEED_VALUES, NeedsParameters, needs_estimate
from tests.mapping.test_needs import TABLE_2

pytestmark = pytest.mark.django_db
NEEDS = reverse("mapping:needs")
MAP = reverse("mapping:map")
GEOJSON = reverse("mapping:districts-geojson")
SOURCE = Path(__file__).resolve().parents[2] / "fixtures" / "needs_assessment.md"
FTB = "forward-thinking-birmingham-under-2s-infant-mental-health"
PNMH = "community-perinatal-mental-health-team"


def table_2_from_the_source():
    """Table 2 as the vendored needs assessment prints it: {district: practitioners}."""
    text = SOURCE.read_text()
    table = text[text.index("**Table 2:"):text.index("<b>Total</b>")]
    return {name: figure for name, figure in re.findall(r"^([A-Z][A-Za-z ]+)\t\d+\t\d+%\t(\d+\.\d)$", table, re.M)}


def district(slug):
    return District.objects.get(slug=slug)


def record(slug, district_slug, wte=None, families=None, **extra):
    return ServiceCapacity.objects.create(service=Service.objects.get(slug=slug), district=district(district_slug),
                                          practitioner_wte=None if wte is None else Decimal(wte),
                                          families_per_year=families, **extra)


def specialised_service(name, *, status=Status.PUBLISHED, districts=()):
    """A specialised service covering the named districts (city-wide when none are named)."""
    ftb = Service.objects.get(slug=FTB)
    service = Service.objects.create(
        organisation=ftb.organisation, name=name, slug=name.lower().replace(" ", "-"), status=status,
        summary="Parent-infant relationship work.", focus=Focus.SPECIALISED,
        coverage_type="districts" if districts else "city_wide")
    service.levels.set(Level.objects.filter(code="specialist"))
    if districts:
        service.coverage_districts.set(District.objects.filter(slug__in=districts))
    return service


def text(response):
    return response.content.decode()


def cell(page, attribute, slug):
    """The text of the table cell marked data-<attribute>="<slug>", tags removed."""
    match = re.search(rf'<td[^>]*data-{attribute}="{slug}"[^>]*>(.*?)</td>', page, re.S)
    assert match, f"no data-{attribute}={slug} cell"
    value = re.sub(r'<span class="nhsuk-table-responsive__heading"[^>]*>[^<]*</span>', "", match.group(1))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", value)).strip()


# --- The arithmetic (no database) --------------------------------------------------------------

SEED = NeedsParameters(**SEED_VALUES)
# Table 2's ten districts and babies under two (tests/mapping/test_needs.py)
POPULATIONS = [(name, name.lower().replace(" ", "-"), population) for name, population, _ in TABLE_2]


def capacity(service_id, slug, wte=None, *, families=None, specialised=True, already=False):
    return CapacityRecord(service_id, f"Service {service_id}", f"/services/{service_id}/", slug,
                          None if wte is None else Decimal(wte), families, None, "", specialised, already)


def gaps(comparable, records, populations=POPULATIONS):
    return capacity_gaps(estimate=needs_estimate(populations=populations, parameters=SEED), comparable=comparable,
                         records=records)


def test_it_cannot_know_the_gap_when_no_comparable_service_has_recorded_its_time():
    result = gaps({slug: {1} for _, slug, _ in POPULATIONS}, [])
    for area in result.districts + [result.total]:
        assert area.state == NOT_KNOWN and area.gap is None and area.recorded_by == 0
    # Never the whole need: "not known" is not "47 short".
    assert result.total.needed == 47


def test_it_gives_the_gap_when_every_comparable_service_has_recorded_its_time():
    result = gaps({slug: {1} for _, slug, _ in POPULATIONS}, [capacity(1, "hodge-hill", "1.25")])
    hodge_hill = result.for_slug("hodge-hill")
    # Table 2 gives Hodge Hill 6.4 practitioners; 6.4 - 1.25
    assert hodge_hill.needed == Decimal("6.4") and hodge_hill.state == KNOWN
    assert hodge_hill.gap == Decimal("5.15") and wte_text(hodge_hill.gap) == "5.15"
    assert result.for_slug("edgbaston").state == NOT_KNOWN
    # One district known of ten: the city's gap is at most 47 - 1.25
    assert result.total.state == AT_MOST and result.total.gap == Decimal("45.75")
    assert (result.total.districts_known, result.total.districts_recorded) == (1, 1)


def test_it_says_at_most_when_only_some_comparable_services_have_recorded():
    result = gaps({"hodge-hill": {1, 2}}, [capacity(1, "hodge-hill", "2")])
    area = result.for_slug("hodge-hill")
    assert (area.state, area.recorded_by, area.comparable, area.not_recorded) == (AT_MOST, 1, 2, 1)
    assert area.gap == area.needed - 2


def test_it_leaves_out_the_perinatal_team_other_focuses_and_families_only_records():
    records = [
        capacity(1, "hodge-hill", "1.0"),
        capacity(2, "hodge-hill", "3.0", already=True),  # the perinatal team: already out of the need
        capacity(3, "hodge-hill", "0.5", specialised=False),  # an additional focus
        capacity(4, "hodge-hill", families=40),  # families a year only
    ]
    area = gaps({"hodge-hill": {1, 4}}, records).for_slug("hodge-hill")
    assert area.recorded == Decimal("1.0") and area.not_counted == Decimal("3.5")
    assert (area.recorded_by, area.comparable, area.families_only, area.state) == (1, 2, 1, AT_MOST)
    reasons = {r.service_id: r.why_not_counted for r in area.records}
    assert reasons[1] == "" and "perinatal mental health" in reasons[2]
    assert "focus is specialised" in reasons[3] and "families a year" in reasons[4]


def test_a_district_no_comparable_service_covers_has_the_whole_need_as_its_gap():
    area = gaps({"hodge-hill": {1}}, []).for_slug("edgbaston")
    assert area.state == NO_SERVICE and area.gap == area.needed and area.recorded == 0


def test_a_comparable_service_that_records_time_outside_its_coverage_counts_there():
    area = gaps({}, [capacity(5, "edgbaston", "0.4")]).for_slug("edgbaston")
    assert (area.comparable, area.recorded_by, area.state, area.gap) == (1, 1, KNOWN, area.needed - Decimal("0.4"))


def test_more_time_than_needed_is_a_negative_gap():
    area = gaps({"edgbaston": {1}}, [capacity(1, "edgbaston", "20")]).for_slug("edgbaston")
    assert area.gap < 0


def test_it_writes_practitioner_time_as_people_do():
    assert [wte_text(Decimal(v)) for v in ("0.8", "1.25", "3", "0.125", "5.40")] == ["0.8", "1.25", "3.0", "0.13", "5.4"]


# --- What the selectors read ------------------------------------------------------------------

def test_the_comparable_services_are_the_published_specialised_ones_bar_the_perinatal_team():
    districts = selectors.district_list()
    provision = selectors.specialised_provision(districts=districts)
    ftb, pnmh = Service.objects.get(slug=FTB), Service.objects.get(slug=PNMH)
    # Both are city-wide and specialised: mapped in every district, but only FTB's time compares.
    assert set(provision.counts.values()) == {2} and provision.total == 2
    assert all(covering.count == 1 for covering in provision.comparable.values())
    assert provision.comparable_city.count == 1  # once, though it covers ten districts
    # Which services with capacity records are among them (all capacity_gaps asks of the sets, issue 26):
    # none has a record yet; then both have, and only FTB is comparable, in every district it covers.
    assert all(not covering.members for covering in provision.comparable.values())
    record(FTB, "yardley", "0.8")
    record(PNMH, "ladywood", "2.0")
    local = specialised_service("Test local relationship team", districts=["hodge-hill"])
    ServiceCapacity.objects.create(service=local, district=district("hodge-hill"), practitioner_wte=Decimal("1"))
    provision = selectors.specialised_provision(districts=districts)
    assert provision.comparable["hodge-hill"].members == {ftb.pk, local.pk}
    assert provision.comparable["hodge-hill"].count == 2 and provision.comparable["yardley"].count == 1
    assert all(covering.members == {ftb.pk} for slug, covering in provision.comparable.items() if slug != "hodge-hill")
    assert provision.comparable_city.members == {ftb.pk, local.pk} and provision.comparable_city.count == 2
    assert provision.total == 3 and provision.counts["hodge-hill"] == 3 and pnmh.pk not in provision.comparable_city.members


def test_it_reads_only_published_services_capacity_with_its_source():
    draft = specialised_service("Draft relationship team", status=Status.DRAFT)
    ServiceCapacity.objects.create(service=draft, district=district("yardley"), practitioner_wte=Decimal("9"))
    row = record(FTB, "yardley", "0.8", families=30, as_of=date(2026, 4, 1), note="Shared with the hub team.")
    record_fact(owner=row.service, field="capacity", kind=SourceKind.PROVIDER)
    records = selectors.capacity_records(districts=selectors.district_list())
    assert [(r.service_name, r.district_slug, r.practitioner_wte) for r in records] == [
        ("Forward Thinking Birmingham Under 2s (infant mental health)", "yardley", Decimal("0.80"))]
    assert records[0].source == "The provider" and records[0].confirmed_on is None and records[0].counted


def test_it_flags_the_perinatal_teams_capacity_as_already_in_the_need():
    record(PNMH, "ladywood", "2.0")
    [row] = selectors.capacity_records(districts=selectors.district_list())
    assert row.already_in_need and not row.counted


# --- /needs/ ----------------------------------------------------------------------------------

def test_the_needs_column_is_table_2_of_the_source(client):
    page = text(client.get(NEEDS))
    table_2 = table_2_from_the_source()
    assert len(table_2) == 10
    slugs = {d.name: d.slug for d in District.objects.all()}
    rows = re.findall(r'<tr class="nhsuk-table__row" data-gap-state="[a-z_]+">\s*<th scope="row" class="nhsuk-table__header">'
                      r'([^<]+)</th>\s*<td class="nhsuk-table__cell app-num"><span[^>]*>[^<]*</span>([^<]+)</td>', page)
    assert {name: figure for name, figure in rows if name in slugs} == table_2


def test_with_no_capacity_recorded_the_page_says_the_gap_cannot_be_known(client):
    page = text(client.get(NEEDS))
    assert "The gap cannot be known yet" in page
    assert "It does not mean Birmingham is 47 practitioners short." in page
    for slug in [d.slug for d in District.objects.all()] + ["total"]:
        assert cell(page, "gap", slug).startswith("Not known yet")
        assert cell(page, "recorded", slug) == "Not recorded"
    assert cell(page, "capacity-services", "hodge-hill") == "0 of 1"
    assert "No service has recorded its capacity yet." in page
    # The caveats, in the source's words
    assert "based solely on the proportion of total 0-2 year olds by district (using 2020 figures); and not taking " \
           "into account additional factors such as levels of adversity" in page
    assert "around 340 of the 2760 families" in page
    assert "a clinical psychologist working 0.8 of full time and a temporary full-time assistant psychologist" in page


def test_it_shows_the_gap_where_the_comparable_service_has_recorded_its_time(client):
    row = record(FTB, "hodge-hill", "1.0", families=52, as_of=date(2026, 4, 1))
    record_fact(owner=row.service, field="capacity", kind=SourceKind.CURATOR, confirmed=True)
    page = text(client.get(NEEDS))
    assert "The gap cannot be known yet" not in page
    assert cell(page, "recorded", "hodge-hill") == "1.0"
    assert cell(page, "gap", "hodge-hill") == "5.4"
    assert cell(page, "capacity-services", "hodge-hill") == "1 of 1"
    assert cell(page, "gap", "yardley").startswith("Not known yet")
    # The city: at most 47 - 1.0, known in 1 district of 10
    assert cell(page, "gap", "total").startswith("Up to 46.0")
    assert "Gap known in 1 of 10 districts." in cell(page, "capacity-services", "total")
    # The record itself, with its source
    assert "An IMHSG curator, confirmed by the IMHSG on" in page and "Figures for 1 April 2026" in page


def test_the_gap_follows_a_what_if_caseload(client):
    record(FTB, "hodge-hill", "1.0")
    page = text(client.get(NEEDS, {"caseload": "40"}))
    # 61 practitioners at 40 families each; Hodge Hill's share is 8.4
    assert cell(page, "gap", "hodge-hill").startswith("7.4")


def test_it_lists_time_it_does_not_count_and_says_why(client):
    record(PNMH, "ladywood", "2.0")
    record("acacia", "ladywood", "0.5")
    page = text(client.get(NEEDS))
    assert cell(page, "gap", "ladywood").startswith("Not known yet")
    assert "2.5 practitioner time recorded by other services, not counted" in cell(page, "capacity-services", "ladywood")
    assert "the need already leaves out the families the perinatal mental health service sees" in page
    assert "only services whose focus is specialised compare" in page


def test_a_drafts_capacity_never_shows(client):
    draft = specialised_service("Secret draft team", status=Status.DRAFT, districts=["yardley"])
    ServiceCapacity.objects.create(service=draft, district=district("yardley"), practitioner_wte=Decimal("4"))
    for url in (NEEDS, MAP, GEOJSON):
        body = text(client.get(url))
        assert "Secret draft team" not in body and "secret-draft-team" not in body
    assert cell(text(client.get(NEEDS)), "gap", "yardley").startswith("Not known yet")


def test_a_second_specialised_service_makes_the_gap_at_most(client):
    specialised_service("Yardley relationship team", districts=["yardley"])
    record(FTB, "yardley", "1.5")
    page = text(client.get(NEEDS))
    assert cell(page, "gap", "yardley").startswith("Up to 3.8")
    assert cell(page, "capacity-services", "yardley") == "1 of 2"


def test_it_pins_the_queries_of_the_needs_page_whatever_is_recorded(client, django_assert_num_queries):
    for slug in ("hodge-hill", "yardley", "ladywood"):
        record(FTB, slug, "1.0")
    record(PNMH, "ladywood", "2.0")
    # the content version, parameters, districts, specialised provision (the ids the need leaves out
    # and those with records, and the search's facet index it counts from, built by the first
    # request after a change: issue 26), recorded capacity, referrals prepared
    with django_assert_num_queries(7):
        client.get(NEEDS)


# --- The GeoJSON and /map/ --------------------------------------------------------------------

def test_the_geojson_has_no_gap_where_nothing_is_recorded(client):
    collection = client.get(GEOJSON).json()
    for feature in collection["features"]:
        properties = feature["properties"]
        assert properties["practitioner_gap"] is None and properties["practitioner_time_recorded"] is None
        assert (properties["capacity_state"], properties["capacity_services_recorded"],
                properties["capacity_services_comparable"]) == (NOT_KNOWN, 0, 1)
    assert collection["totals"]["practitioner_gap"] is None and collection["totals"]["capacity_state"] == NOT_KNOWN


def test_the_geojson_carries_the_gap_and_a_new_record_changes_its_etag(client):
    first = client.get(GEOJSON)
    record(FTB, "hodge-hill", "1.25")
    again = client.get(GEOJSON, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    hodge_hill = next(f["properties"] for f in again.json()["features"] if f["properties"]["slug"] == "hodge-hill")
    assert hodge_hill["practitioner_gap"] == 5.15 and hodge_hill["practitioner_time_recorded"] == 1.25
    assert hodge_hill["capacity_state"] == KNOWN
    assert again.json()["totals"]["practitioner_gap"] == 45.75
    assert again.json()["totals"]["capacity_state"] == AT_MOST


def test_the_geojson_keeps_its_query_count_with_records(client, django_assert_num_queries):
    record(FTB, "hodge-hill", "1.0")
    record("acacia", "yardley", "0.5")
    with django_assert_num_queries(7):
        client.get(GEOJSON)


def test_the_map_page_has_the_gap_table_and_a_text_summary_of_the_gap_shading(client):
    page = text(client.get(MAP, {"measure": "practitioner_gap"}))
    assert '<option value="practitioner_gap" selected>' in page
    assert "No specialised service has recorded its practitioner time yet, so no district&#x27;s gap can be known." \
        in page
    assert cell(page, "gap", "edgbaston").startswith("Not known yet")
    record(FTB, "hodge-hill", "1.0")
    page = text(client.get(MAP, {"measure": "practitioner_gap"}))
    assert "Highest: Hodge Hill (5.4). Lowest: Hodge Hill (5.4). No capacity recorded: gap not known in 9 " \
           "districts." in page


def test_the_map_says_how_many_districts_have_no_local_service(client):
    from mapping.presenters import map_summary, measure_get

    rows = [{"name": "A", "families_per_local_service": 10.0}, {"name": "B", "families_per_local_service": None}]
    assert map_summary(rows, measure_get("families_per_local_service")).endswith(
        "Lowest: A (10). No local service in 1 district.")


def test_a_cached_needs_page_and_geojson_show_a_new_record_at_once(client, settings):
    import uuid

    settings.CACHE_PAGES = True  # as in production
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"test-{uuid.uuid4().hex}"}}
    assert cell(text(client.get(NEEDS)), "gap", "hodge-hill") == "Not known yet"
    client.get(GEOJSON)
    # ServiceCapacity is public content: its table's trigger bumps the content version (ADR 13)
    record(FTB, "hodge-hill", "1.0")
    assert cell(text(client.get(NEEDS)), "gap", "hodge-hill") == "5.4"
    hodge_hill = next(f["properties"] for f in client.get(GEOJSON).json()["features"]
                      if f["properties"]["slug"] == "hodge-hill")
    assert hodge_hill["practitioner_gap"] == 5.4


def test_a_districts_panel_says_its_gap_in_words(client):
    panel = reverse("mapping:district-panel", args=["hodge-hill"])
    assert "Not known yet: the specialised service covering Hodge Hill has not recorded its practitioner time." \
        in text(client.get(panel))
    record(FTB, "hodge-hill", "1.0")
    assert "5.4 practitioners (1.0 practitioner time recorded by 1 of 1 specialised service, for 6.4 needed)." \
        in text(client.get(panel))
    specialised_service("Hodge Hill relationship team", districts=["hodge-hill"])
    assert "Up to 5.4 practitioners (1.0 practitioner time recorded by 1 of 2 specialised services, for 6.4 needed)." \
        in text(client.get(panel))
