"""Sessions as Open Referral UK schedules (issue 23): the API's services with sessions validate
against the ORUK 3.0 schemas, drafts stay out, and a feed's schedules import and export unchanged."""
import copy
import json
from datetime import date, time

import pytest

from directory.models import Service, Session, Status
from directory.openreferral.importer import import_services
from tests.directory.openreferral.api.conftest import all_pages, api, assert_valid, validator  # noqa: F401
from tests.directory.openreferral.test_oruk_import import comparable, empty_the_directory, export_feed
from tests.directory.whatson.conftest import cancel, place_for, session, venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_sessions(eyfs):
    placed = place_for(eyfs, venue())
    weekly = session(eyfs, place=placed, title="Stay and play", byday="TU,TH", valid_from=date(2026, 9, 1),
                     valid_to=date(2027, 7, 20), term_time_only=True, booking="drop_in", cost="free",
                     schedule_link="https://example.org/book")
    cancel(weekly, date(2026, 12, 1))
    monthly = session(eyfs, freq="MONTHLY", byday="-1FR", online=True, description="Online coffee morning",
                      opens_at=time(9, 30), closes_at=time(10, 15))
    draft = session(eyfs, title="Not yet", status=Status.DRAFT, byday="WE")
    return weekly, monthly, draft


def test_a_service_with_sessions_validates_and_lists_them_as_schedules(api, eyfs, with_sessions):
    weekly, monthly, draft = with_sessions
    body = api(f"/api/services/{eyfs.uuid}")
    assert_valid(validator("compiled/service.json"), body)
    schedules = {s["id"]: s for s in body["schedules"]}
    assert str(draft.uuid) not in schedules
    assert schedules[str(weekly.uuid)] == {
        "id": str(weekly.uuid), "service_id": str(eyfs.uuid), "service_at_location_id": str(weekly.place.uuid),
        "valid_from": "2026-09-01", "valid_to": "2027-07-20", "freq": "WEEKLY", "interval": 1, "byday": "TU,TH",
        "opens_at": "10:00", "closes_at": "11:30",
        "description": "Tuesdays and Thursdays 10:00 to 11:30, term time only",
        "schedule_link": "https://example.org/book",
    }
    assert schedules[str(monthly.uuid)]["byday"] == "-1FR"
    assert schedules[str(monthly.uuid)]["attending_type"] == "Online"
    assert schedules[str(monthly.uuid)]["description"] == "Online coffee morning"
    assert weekly.place.uuid in {s.uuid for s in eyfs.service_at_locations.all()}
    assert str(weekly.place.uuid) in {sal["id"] for sal in body["service_at_locations"]}


def test_a_draft_services_sessions_are_not_in_the_api(api, eyfs, with_sessions):
    eyfs.status = Status.DRAFT
    eyfs.save()
    api(f"/api/services/{eyfs.uuid}", status=404)


def test_a_feed_with_schedules_imports_and_exports_them_unchanged(api, tmp_path, with_sessions):
    exported = {s["id"]: s for s in export_feed(api, tmp_path / "feed.json")}
    assert sum(len(s.get("schedules", [])) for s in exported.values()) >= 2  # empty lists are left out
    empty_the_directory()
    report = import_services(json.loads((tmp_path / "feed.json").read_text())["services"], source="feed.json")
    assert not [w for _name, w in report.warnings if "Schedule" in w]
    assert Session.objects.filter(imported_from="feed.json").count() == 2
    Service.objects.update(status="published", last_reviewed=None)
    for service_id, service in exported.items():
        again = api(f"/api/services/{service_id}")
        assert again.get("schedules") == service.get("schedules"), service["name"]
        assert comparable(again) == comparable(service), service["name"]


def test_a_second_import_of_the_same_schedules_changes_nothing(tmp_path, api, with_sessions):
    export_feed(api, tmp_path / "feed.json")
    empty_the_directory()
    services = json.loads((tmp_path / "feed.json").read_text())["services"]
    import_services(copy.deepcopy(services), source="feed.json")
    history = Session.history.count()
    second = import_services(copy.deepcopy(services), source="feed.json")
    assert not second.updated and Session.history.count() == history


def feed_service(schedules):
    return {
        "id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "name": "Example stay and play (test)", "status": "active",
        "organization": {"id": "2b4e28ba-2fa1-11d2-883f-0016d3cca427", "name": "Example Organisation (test)"},
        "schedules": schedules,
    }


def test_a_schedule_that_cannot_be_read_is_left_out_with_a_warning_and_its_words_kept():
    schedules = [
        {"id": "3b4e28ba-2fa1-11d2-883f-0016d3cca427", "freq": "WEEKLY", "byday": "MO", "opens_at": "09:30",
         "closes_at": "11:00", "description": "Mondays in the hall"},
        {"id": "4b4e28ba-2fa1-11d2-883f-0016d3cca427", "freq": "DAILY", "opens_at": "09:00", "closes_at": "10:00",
         "description": "Every day"},
        {"id": "5b4e28ba-2fa1-11d2-883f-0016d3cca427", "freq": "WEEKLY", "byday": "TU", "opens_at": "12:00",
         "closes_at": "11:00"},
        {"id": "6b4e28ba-2fa1-11d2-883f-0016d3cca427", "description": "Ring for times"},
    ]
    report = import_services([feed_service(schedules)], source="test feed")
    service = Service.objects.get(uuid="1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    assert [(s.byday, s.opens_at) for s in service.sessions.all()] == [("MO", time(9, 30))]
    warnings = " ".join(w for _name, w in report.warnings)
    assert "Schedule 2 left out: repeats 'DAILY': only WEEKLY and MONTHLY are understood." in warnings
    assert "Schedule 3 left out: A session must end after it starts" in warnings
    assert service.schedule_description == "Ring for times"


def test_a_curators_session_survives_a_reimport_and_a_dropped_schedule_goes(eyfs):
    schedule = {"id": "3b4e28ba-2fa1-11d2-883f-0016d3cca427", "freq": "WEEKLY", "byday": "MO", "opens_at": "09:30",
                "closes_at": "11:00"}
    import_services([feed_service([schedule])], source="test feed")
    service = Service.objects.get(uuid="1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    ours = session(service, byday="FR")
    import_services([feed_service([])], source="test feed")
    assert list(service.sessions.all()) == [ours]


@pytest.mark.parametrize("odd", [{"interval": "²"}, {"interval": "٣", "dtstart": "2026-01-05"},
                                 {"opens_at": "٠٩:٣٠"}, {"freq": "MONTHLY", "byday": "", "bymonthday": "٣"}])
def test_a_schedules_numbers_are_ascii_digits_only(odd):
    """A feed's '٣' is not quietly read as 3 (nor kept as '٣' to be published again), and '²'
    gets a plain warning, not Python's 'invalid literal for int()'."""
    schedule = {"id": "7b4e28ba-2fa1-11d2-883f-0016d3cca427", "freq": "WEEKLY", "byday": "MO", "opens_at": "09:30",
                "closes_at": "11:00", **odd}
    report = import_services([feed_service([schedule])], source="test feed")
    assert not Service.objects.get(uuid="1b4e28ba-2fa1-11d2-883f-0016d3cca427").sessions.exists()
    warnings = " ".join(w for _name, w in report.warnings)
    assert "Schedule 1 left out:" in warnings and "invalid literal" not in warnings
