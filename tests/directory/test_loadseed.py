import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from directory.models import (
    AgeRange, CoverageType, Intervention, Need, Organisation, ReferralRoute, Service, ServiceAtLocation, Venue,
)
from mapping.models import District, Postcode, Ward

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def counts():
    return {model.__name__: model.objects.count() for model in
            [District, Ward, Postcode, Need, Intervention, Organisation, Service, ReferralRoute, Venue, ServiceAtLocation]}


@pytest.mark.django_db
def test_it_loads_exactly_the_seed():
    # The session fixture already ran loadseed into the test database.
    with (FIXTURES / "birmingham_postcodes.csv").open() as fh:
        postcode_rows = sum(1 for _ in csv.DictReader(fh))
    assert postcode_rows == 39416
    assert counts() | {} == {
        "District": 10, "Ward": 69, "Postcode": postcode_rows, "Need": 22, "Intervention": 22,
        "Organisation": 17, "Service": 25, "ReferralRoute": 12, "Venue": 3, "ServiceAtLocation": 5,
    }


@pytest.mark.django_db
def test_running_it_twice_changes_nothing():
    before = counts()
    modified = dict(Service.objects.values_list("slug", "modified"))
    out = StringIO()
    call_command("loadseed", stdout=out)
    assert counts() == before
    assert dict(Service.objects.values_list("slug", "modified")) == modified
    assert "services: 25 (0 new)" in out.getvalue()
    assert "postcodes: 39416 (0 new)" in out.getvalue()


@pytest.mark.django_db
def test_it_never_overwrites_a_curators_edit():
    Service.objects.filter(slug="acacia").update(summary="Edited by a curator.")
    call_command("loadseed", stdout=StringIO())
    assert Service.objects.get(slug="acacia").summary == "Edited by a curator."


@pytest.mark.django_db
def test_it_puts_back_a_missing_postcode_and_a_changed_figure():
    Postcode.objects.filter(postcode="B4 6NH").delete()
    District.objects.filter(name="Edgbaston").update(population_under_2=1)
    call_command("loadseed", stdout=StringIO())
    assert Postcode.objects.get(postcode="B4 6NH").district.name == "Ladywood"
    assert District.objects.get(name="Edgbaston").population_under_2 == 2419


@pytest.mark.django_db
def test_it_loads_the_districts_with_real_codes_and_figures():
    hodge_hill = District.objects.get(code="E14000563")
    assert hodge_hill.name == "Hodge Hill" and hodge_hill.slug == "hodge-hill"
    assert (hodge_hill.population_under_2, hodge_hill.imd_decile, hodge_hill.deprivation_rank) == (4208, 1, 1)
    assert hodge_hill.boundary["type"] == "Polygon"
    assert sum(District.objects.values_list("population_under_2", flat=True)) == 30671
    assert District.objects.get(code="E14000985").name == "Sutton Coldfield"


@pytest.mark.django_db
def test_it_keeps_each_services_classification():
    pnmh = Service.objects.get(name="Community Perinatal Mental Health Team")
    assert [level.code for level in pnmh.levels.all()] == ["specialist"]
    assert pnmh.focus == "specialised" and pnmh.focus_confirmed
    assert (pnmh.age_range, pnmh.age_from_months, pnmh.age_to_months) == (AgeRange.RANGE, -9, 11)
    assert {n.code for n in pnmh.needs.all()} == {"perinatal_mental_health_severe", "bonding_attachment"}
    assert [r.referrer for r in pnmh.referral_routes.all()] == ["professional"]

    st_basils = Service.objects.get(name="St Basils Youth Homelessness Service")
    assert {level.code for level in st_basils.levels.all()} == {"specialist", "statutory"}
    assert st_basils.age_range == AgeRange.NOT_STATED and st_basils.age_from_months is None
    assert (st_basils.parent_min_age_years, st_basils.parent_max_age_years) == (16, 25)


@pytest.mark.django_db
def test_it_marks_unconfirmed_focus_for_curators():
    assert Service.objects.filter(focus_confirmed=True).count() == 2
    assert Service.objects.filter(focus_confirmed=False).count() == 23


@pytest.mark.django_db
def test_it_loads_the_three_shapes_of_coverage():
    roots = Service.objects.get(slug="social-and-emotional-mental-health-pathfinder-roots-project")
    assert roots.coverage_type == CoverageType.DISTRICTS
    assert [d.name for d in roots.coverage_districts.all()] == ["Northfield"]
    all_saints = Service.objects.get(slug="all-saints-youth-project")
    assert (all_saints.coverage_type, all_saints.locality, all_saints.locality_district.name) == (
        CoverageType.LOCALITY, "Kings Heath", "Hall Green")
    pilot = Service.objects.get(slug="northwest-central-pre-birth-pilot")
    assert pilot.coverage_type == CoverageType.LOCALITY and pilot.locality_district is None


@pytest.mark.django_db
def test_it_places_venues_from_the_postcode_table():
    neonatal = Service.objects.get(slug="neonatal-unit-psychological-support")
    venues = {sal.venue.name: sal for sal in neonatal.service_at_locations.select_related("venue__district")}
    assert set(venues) == {"Birmingham Children's Hospital", "Heartlands Hospital", "Good Hope Hospital"}
    good_hope = venues["Good Hope Hospital"]
    assert good_hope.venue.district.name == "Sutton Coldfield" and good_hope.note == "consultation to staff only"
    hospital = Postcode.objects.get(postcode="B4 6NH")
    assert (venues["Birmingham Children's Hospital"].venue.lat, venues["Birmingham Children's Hospital"].venue.lon) == (
        hospital.lat, hospital.lon)


@pytest.mark.django_db
def test_it_invents_no_contact_details():
    with_contacts = Service.objects.exclude(phone="", email="", url="")
    # The only contact in the source is the FTB infant mental health team's email.
    assert list(with_contacts.values_list("email", flat=True)) == ["bwc.ftbinfantmentalhealth@nhs.net"]
    assert not Service.objects.exclude(phone="").exists()
    assert not Venue.objects.exclude(address="").exists()
