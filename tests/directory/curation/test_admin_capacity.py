"""Capacity per district on the service admin (issue 22, item 5): IMHSG editors record it and
become its source; viewers and organisation editors read it; bad and forged input is refused
in plain words and changes nothing."""
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry

from directory.models import Fact, Focus, Level, PendingChange, Service, ServiceCapacity, SourceKind, Status
from mapping.models import District
from tests.directory.curation.admin_forms import admin_url, as_user, change_form_post

pytestmark = pytest.mark.django_db
FTB = "forward-thinking-birmingham-under-2s-infant-mental-health"


def service(slug=FTB):
    return Service.objects.get(slug=slug)


def change_url(obj):
    return admin_url("directory_service_change", obj.pk)


def district(slug):
    return District.objects.get(slug=slug)


def new_row(page, index=None, **fields):
    """The change form as it is, with one more capacity row of `fields`."""
    data = change_form_post(page)
    index = int(data["capacities-TOTAL_FORMS"]) if index is None else index
    data["capacities-TOTAL_FORMS"] = str(index + 1)
    data.update({f"capacities-{index}-{name}": str(value) for name, value in fields.items()})
    return data


def state():
    """Everything a capacity save could change."""
    return (list(ServiceCapacity.objects.order_by("pk").values()), list(Fact.objects.filter(field="capacity").values()),
            PendingChange.objects.count())


def errors(response):
    assert response.status_code == 200, response
    page = response.content.decode()
    return page


# --- IMHSG editors ----------------------------------------------------------------------------

def test_an_imhsg_editor_records_capacity_and_becomes_its_source(client, imhsg_editor):
    as_user(client, imhsg_editor)
    ftb = service()
    page = client.get(change_url(ftb))
    assert b"Capacity for parent-infant relationship work, per district" in page.content
    assert b"Saving records you as the source of the service's capacity" in page.content
    response = client.post(change_url(ftb), new_row(
        page, district=district("hodge-hill").pk, practitioner_wte="0.8", families_per_year="20",
        as_of="2026-04-01", note="Clinical psychologist, shared with the hub."))
    assert response.status_code == 302
    row = ServiceCapacity.objects.get(service=ftb)
    assert (row.district.slug, row.practitioner_wte, row.families_per_year) == ("hodge-hill", Decimal("0.80"), 20)
    fact = Fact.objects.get(service=ftb, field="capacity")
    assert (fact.kind, fact.confirmed_by, fact.confirmed_on is not None) == (SourceKind.CURATOR, imhsg_editor, True)
    # The admin's log says what was added
    assert "capacity" in LogEntry.objects.filter(object_id=str(ftb.pk)).latest("action_time").get_change_message()


def test_an_imhsg_editor_changes_and_removes_a_row(client, imhsg_editor):
    as_user(client, imhsg_editor)
    ftb = service()
    row = ServiceCapacity.objects.create(service=ftb, district=district("yardley"), practitioner_wte=Decimal("1"))
    page = client.get(change_url(ftb))
    client.post(change_url(ftb), change_form_post(page, **{"capacities-0-practitioner_wte": "1.5"}))
    row.refresh_from_db()
    assert row.practitioner_wte == Decimal("1.50")
    assert Fact.objects.get(service=ftb, field="capacity").kind == SourceKind.CURATOR
    page = client.get(change_url(ftb))
    client.post(change_url(ftb), change_form_post(page, **{"capacities-0-DELETE": "on"}))
    assert not ServiceCapacity.objects.filter(pk=row.pk).exists()


def test_a_save_that_leaves_capacity_alone_does_not_touch_its_source(client, imhsg_editor):
    as_user(client, imhsg_editor)
    ftb = service()
    page = client.get(change_url(ftb))
    client.post(change_url(ftb), change_form_post(page, summary=ftb.summary + " More."))
    assert not Fact.objects.filter(service=ftb, field="capacity").exists()


@pytest.mark.parametrize("fields, words", [
    ({"district": "hodge-hill", "practitioner_wte": "-0.5"}, "Practitioner time cannot be less than 0."),
    ({"district": "hodge-hill", "practitioner_wte": "abc"}, "Enter practitioner time as a number of whole-time"),
    ({"district": "hodge-hill", "practitioner_wte": "0.125"}, "at most 2 decimal places"),
    ({"district": "hodge-hill", "practitioner_wte": "800"}, "Check the figure."),
    ({"district": "hodge-hill", "practitioner_wte": "123456"}, "too long a number"),
    ({"district": "hodge-hill", "practitioner_wte": "٣"}, "Enter practitioner time as a number of whole-time"),
    ({"district": "hodge-hill", "practitioner_wte": "NaN"}, "Enter practitioner time as a number of whole-time"),
    ({"district": "hodge-hill", "families_per_year": "-3"}, "Families a year cannot be less than 0."),
    ({"district": "hodge-hill", "families_per_year": "١٢"}, "Enter families a year as a whole number"),
    ({"district": "hodge-hill"}, "Give the practitioner time, the families a year, or both."),
    ({"district": "999999", "practitioner_wte": "1"}, "Choose one of Birmingham&#x27;s 10 districts."),
    ({"district": "hodge-hill'--", "practitioner_wte": "1"}, "Choose one of Birmingham&#x27;s 10 districts."),
    ({"practitioner_wte": "1"}, "Choose the district these figures are for."),
])
def test_bad_figures_are_refused_in_plain_words_and_change_nothing(client, imhsg_editor, fields, words):
    as_user(client, imhsg_editor)
    ftb = service()
    if fields.get("district") == "hodge-hill":
        fields = {**fields, "district": district("hodge-hill").pk}
    before = state()
    page = errors(client.post(change_url(ftb), new_row(client.get(change_url(ftb)), **fields)))
    assert words in page
    assert state() == before


def test_a_district_given_twice_is_refused(client, imhsg_editor):
    as_user(client, imhsg_editor)
    ftb = service()
    page = client.get(change_url(ftb))
    data = new_row(page, district=district("yardley").pk, practitioner_wte="1")
    data.update({"capacities-TOTAL_FORMS": "2", "capacities-1-district": str(district("yardley").pk),
                 "capacities-1-practitioner_wte": "2"})
    assert "Give each district once" in errors(client.post(change_url(ftb), data))
    assert not ServiceCapacity.objects.exists()


def test_a_district_already_recorded_in_the_database_is_refused(client, imhsg_editor):
    as_user(client, imhsg_editor)
    ftb = service()
    ServiceCapacity.objects.create(service=ftb, district=district("yardley"), practitioner_wte=Decimal("1"))
    before = state()
    page = client.get(change_url(ftb))
    response = client.post(change_url(ftb), new_row(page, district=district("yardley").pk, practitioner_wte="2"))
    assert "Give each district once" in errors(response)
    assert state() == before


def test_a_forged_row_id_of_another_services_capacity_changes_nothing(client, imhsg_editor):
    as_user(client, imhsg_editor)
    ftb, other = service(), service("acacia")
    theirs = ServiceCapacity.objects.create(service=other, district=district("yardley"), practitioner_wte=Decimal("1"))
    before = state()
    page = client.get(change_url(ftb))
    data = change_form_post(page)
    data.update({"capacities-TOTAL_FORMS": "1", "capacities-INITIAL_FORMS": "1",
                 "capacities-0-id": str(theirs.pk), "capacities-0-service": str(ftb.pk),
                 "capacities-0-district": str(district("yardley").pk), "capacities-0-practitioner_wte": "7"})
    response = client.post(change_url(ftb), data)
    assert response.status_code in (200, 302)
    assert state() == before
    theirs.refresh_from_db()
    assert theirs.service == other and theirs.practitioner_wte == Decimal("1.00")


def test_a_missing_management_form_is_a_plain_error_not_a_crash(client, imhsg_editor):
    as_user(client, imhsg_editor)
    ftb = service()
    data = change_form_post(client.get(change_url(ftb)))
    for key in [k for k in data if k.startswith("capacities-")]:
        del data[key]
    before = state()
    response = client.post(change_url(ftb), data)
    assert response.status_code in (200, 400)
    assert state() == before


def test_the_district_list_is_read_once_and_without_boundaries(client, imhsg_editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    as_user(client, imhsg_editor)
    ftb = service()
    for slug in ("yardley", "ladywood", "selly-oak"):
        ServiceCapacity.objects.create(service=ftb, district=district(slug), practitioner_wte=Decimal("1"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(change_url(ftb))
    assert page.status_code == 200
    rows = [q["sql"] for q in queries.captured_queries if 'FROM "directory_servicecapacity"' in q["sql"]]
    assert len(rows) == 1 and '"boundary"' not in rows[0]
    # The three rows and the empty row for "Add another" share one list of districts.
    choices = [q["sql"] for q in queries.captured_queries
               if 'SELECT "mapping_district"."id" AS "pk", "mapping_district"."name" AS "name"' in q["sql"]]
    assert len(choices) == 1


# --- Viewers and organisation editors read only -----------------------------------------------

def test_a_viewer_reads_capacity_and_cannot_write_it(client, viewer):
    ftb = service()
    ServiceCapacity.objects.create(service=ftb, district=district("yardley"), practitioner_wte=Decimal("0.8"))
    as_user(client, viewer)
    page = client.get(change_url(ftb))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Yardley" in html and "0.80" in html and 'name="capacities-0-practitioner_wte"' not in html
    before = state()
    forged = new_row(page, index=1, district=district("ladywood").pk, practitioner_wte="3")
    assert client.post(change_url(ftb), forged).status_code == 403
    assert state() == before


def published_acacia():
    return service("acacia")


def draft_acacia():
    acacia = published_acacia()
    draft = Service.objects.create(organisation=acacia.organisation, name="Acacia draft (capacity)",
                                   slug="acacia-draft-capacity", status=Status.DRAFT, summary="Listening visits.",
                                   focus=Focus.SPECIALISED, coverage_type="city_wide",
                                   no_referral_route_reason="Families ring the team.")
    draft.levels.set(Level.objects.filter(code="targeted"))
    return draft


@pytest.mark.parametrize("which", ["published", "draft"])
def test_an_organisation_editor_reads_their_services_capacity_and_is_told_who_records_it(
        client, acacia_editor, which):
    target = published_acacia() if which == "published" else draft_acacia()
    ServiceCapacity.objects.create(service=target, district=district("erdington"), families_per_year=30)
    as_user(client, acacia_editor)
    page = client.get(change_url(target))
    html = page.content.decode()
    assert "Erdington" in html and 'name="capacities-0-families_per_year"' not in html
    assert "Only the IMHSG records capacity: send the figures to an IMHSG editor" in html
    # Their own form, with a capacity row forged in: nothing recorded, nothing held for approval
    before = state()
    response = client.post(change_url(target), new_row(page, district=district("ladywood").pk, practitioner_wte="2",
                                                        **{"id": ""}))
    assert response.status_code in (200, 302)
    assert state() == before
    # Nor can they change or remove the row that is there
    data = change_form_post(page, **{"capacities-0-id": str(target.capacities.get().pk),
                                      "capacities-0-families_per_year": "99", "capacities-0-DELETE": "on"})
    client.post(change_url(target), data)
    assert state() == before


def test_an_organisation_editor_cannot_open_another_organisations_capacity(client, acacia_editor):
    ftb = service()
    ServiceCapacity.objects.create(service=ftb, district=district("yardley"), practitioner_wte=Decimal("0.8"))
    as_user(client, acacia_editor)
    assert client.get(change_url(ftb)).status_code in (302, 404)
    before = state()
    response = client.post(change_url(ftb), {"capacities-TOTAL_FORMS": "1", "capacities-INITIAL_FORMS": "0",
                                             "capacities-0-district": str(district("ladywood").pk),
                                             "capacities-0-practitioner_wte": "5"})
    assert response.status_code in (302, 403, 404)
    assert state() == before
