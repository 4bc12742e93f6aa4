"""import_oruk: our own feed round trip, a hand-written foreign feed, malformed input."""
import json

import pytest
from django.core.management import CommandError, call_command

from directory.models import Organisation, ReferralRoute, Service, ServiceAtLocation, Venue
from directory.openreferral.importer import FeedError, import_services, read_url
from directory.models import Fact
from tests.directory.openreferral.api.conftest import all_pages, api  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
FOREIGN = "tests/fixtures_oruk/foreign_feed.json"


def export_feed(api, path):
    """Our published services, in full, as a file (what another directory would read)."""
    services = [api(f"/api/services/{item['id']}") for item in all_pages(api, "/api/services")]
    path.write_text(json.dumps({"version": "HSDS-UK-3.0", "services": services}))
    return services


def empty_the_directory():
    Fact.objects.all().delete()
    ServiceAtLocation.objects.all().delete()
    ReferralRoute.objects.all().delete()
    Service.objects.all().delete()
    Venue.objects.all().delete()
    Organisation.objects.all().delete()


def comparable(service):
    """What must survive a round trip, leaving out what differs by design (status: drafts;
    dates; the page address; the sources, which now name the feed). Every id is kept, routes' too."""
    service = dict(service)
    for name in ("status", "last_modified", "assured_date", "x_page_url", "x_provenance"):
        service.pop(name, None)
    service["application_process"] = service["application_process"]
    return service


def test_round_trip_our_feed_into_an_empty_directory(api, tmp_path):
    exported = export_feed(api, tmp_path / "feed.json")
    empty_the_directory()
    call_command("import_oruk", str(tmp_path / "feed.json"), verbosity=0)
    assert Service.objects.filter(status="draft").count() == len(exported) == 25
    Service.objects.update(status="published", last_reviewed=None)
    again = {s["id"]: s for s in (api(f"/api/services/{item['id']}") for item in all_pages(api, "/api/services"))}
    assert set(again) == {s["id"] for s in exported}
    for service in exported:
        assert comparable(again[service["id"]]) == comparable(service), service["name"]


def test_a_second_run_changes_nothing(api, tmp_path):
    export_feed(api, tmp_path / "feed.json")
    empty_the_directory()
    first = import_services(json.loads((tmp_path / "feed.json").read_text())["services"], source="feed.json")
    history = sum(model.history.count() for model in (Service, Venue, Organisation, ServiceAtLocation))
    second = import_services(json.loads((tmp_path / "feed.json").read_text())["services"], source="feed.json")
    assert (len(first.created), len(second.created), len(second.updated), len(second.unchanged)) == (25, 0, 0, 25)
    assert Service.objects.count() == 25
    assert sum(model.history.count() for model in (Service, Venue, Organisation, ServiceAtLocation)) == history


def test_published_services_here_are_never_overwritten(api, tmp_path):
    export_feed(api, tmp_path / "feed.json")
    report = import_services(json.loads((tmp_path / "feed.json").read_text())["services"], source="feed.json")
    assert len(report.skipped) == 25 and not report.created
    assert Service.objects.published().count() == 25


def test_a_foreign_feed_with_its_own_taxonomy(capsys):
    call_command("import_oruk", FOREIGN, "--source-url", "https://example.org/oruk/services")
    service = Service.objects.get(uuid="6f1f3f0e-8a51-4d3e-9a57-0c3c6a6c1a01")
    assert service.status == "draft" and service.name == "Little Steps Baby Group"
    assert (service.age_range, service.age_from_months, service.age_to_months) == ("range", 0, 11)
    assert service.cost == "free"
    assert [language.code for language in service.languages.all()] == ["pl"]
    assert [district.name for district in service.coverage_districts.all()] == ["Hodge Hill"]
    assert service.organisation.name == "Example Family Hub Network" and service.organisation.sector == ""
    # The foreign taxonomy's term is kept for curators, not forced into ours.
    assert "Stay and play (Example Hub Activities)" in service.curator_notes
    assert "placeholder" in service.curator_notes and not service.focus_confirmed
    # The Birmingham venue is imported and located; the Leeds one is left out and said so.
    venue = service.service_at_locations.get().venue
    assert (venue.postcode, venue.district.name) == ("B8 1AA", "Hodge Hill")
    assert "Faraway Hall (LS1 1AA) left out" in service.curator_notes
    # Every fact names the feed.
    facts = Fact.objects.filter(service=service)
    assert {fact.field for fact in facts} >= {"url", "email", "age_range", "cost", "languages", "organisation"}
    assert {(fact.kind, fact.source_url) for fact in facts} == {("public_page", "https://example.org/oruk/services")}
    assert not any(fact.confirmed_on for fact in facts)
    # An unsafe link is refused, not stored.
    unsafe = Service.objects.get(name="Unsafe Links Service")
    assert unsafe.url == "" and "left out" in unsafe.curator_notes
    assert "temporarily closed" in unsafe.curator_notes
    output = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged, 0 skipped." in output.out
    assert "2/2 imported" in output.err  # the progress bar
    assert service.history.first().history_change_reason.startswith("Imported from Open Referral feed")


def test_a_long_source_address_fits_the_history(tmp_path):
    path = tmp_path / ("x" * 120 + ".json")
    path.write_text(open(FOREIGN).read())
    call_command("import_oruk", str(path), verbosity=0)
    reason = Service.objects.get(name="Little Steps Baby Group").history.first().history_change_reason
    assert len(reason) == 100 and reason.startswith("Imported from Open Referral feed")


def test_a_file_without_an_address_names_the_provider_as_the_source():
    call_command("import_oruk", FOREIGN, verbosity=0)
    kinds = set(Fact.objects.filter(service__uuid="6f1f3f0e-8a51-4d3e-9a57-0c3c6a6c1a01").values_list("kind", flat=True))
    assert kinds == {"provider"}


def _write(tmp_path, content):
    path = tmp_path / "feed.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def _service(**changes):
    service = {"id": "6f1f3f0e-8a51-4d3e-9a57-0c3c6a6c1a31", "name": "A", "status": "active",
               "organization": {"id": "0d9b3c1e-4b7a-4a53-8f1e-5a0c2b6d7e31", "name": "Org", "description": ""}}
    service.update(changes)
    return {key: value for key, value in service.items() if value is not None}


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ({"version": "HSDS-UK-1.0", "services": []}, "is not Open Referral UK 3.0"),
    ([_service(regular_schedules=[])], "Open Referral UK 1.0 or 2.0"),
    ([_service(id=None)], "field 'id': missing or not a UUID"),
    ([_service(id="42")], "field 'id': missing or not a UUID"),
    ([_service(name=None)], "field 'name': missing"),
    ([_service(status="open")], "field 'status'"),
    ([_service(organization=[])], "field 'organization': missing"),
    ([_service(organization={"id": "x", "name": "Org"})], "organization.id"),
    ([_service(minimum_age="two")], "minimum_age"),
    ([_service(), _service()], "appears twice"),
    ("42", "expected a JSON object or list"),
])
def test_malformed_input_is_refused_with_nothing_written(tmp_path, content, message):
    before = (Service.objects.count(), Organisation.objects.count(), Fact.objects.count())
    good = json.loads((open(FOREIGN).read()))["contents"][0]
    if isinstance(content, list):
        content = [good] + content  # a good record first: still nothing may be written
    with pytest.raises(CommandError) as error:
        call_command("import_oruk", _write(tmp_path, content), verbosity=0)
    assert message in str(error.value) and "Nothing was imported." in str(error.value)
    assert (Service.objects.count(), Organisation.objects.count(), Fact.objects.count()) == before


def test_a_failure_while_writing_rolls_everything_back(monkeypatch):
    from django.core.exceptions import ValidationError

    from directory.openreferral.importer import Writer

    original = Writer.service

    def fail_on_the_second(self, mapped, report):
        if report.created:
            raise ValidationError({"name": ["refused for the test"]})
        return original(self, mapped, report)

    monkeypatch.setattr(Writer, "service", fail_on_the_second)
    good = json.loads(open(FOREIGN).read())["contents"][0]
    bad = _service(id="6f1f3f0e-8a51-4d3e-9a57-0c3c6a6c1a41")
    before = Service.objects.count()
    with pytest.raises(FeedError) as error:
        import_services([good, bad], source="test")
    assert "service 2" in str(error.value)
    assert Service.objects.count() == before
    assert not Organisation.objects.filter(name="Example Family Hub Network").exists()


def test_reading_a_live_feed_pages_through_it(api):
    """read_url against our own API through the test client: no network."""
    def fetch(url):
        path = url.removeprefix("https://directory.example")
        return api(path if "?" in path else path)

    services, addresses = read_url("https://directory.example/api", fetch=fetch)
    assert len(services) == 25
    assert all(address.startswith("https://directory.example/api/services/") for address in addresses.values())


def test_a_live_feed_of_another_version_is_refused():
    with pytest.raises(FeedError, match="not Open Referral UK 3.0"):
        read_url("https://elsewhere.example/", fetch=lambda url: {"version": "HSDS-UK-2.0"})


# --- Re-importing over a curator's work (issue 18) ----------------------------------------
# The feed's draft is imported once; a curator then works on it; the feed changes; the
# feed is imported again. Base = what the feed said last time, ours = the draft now,
# theirs = the feed now.

REIMPORT_ID = "6f1f3f0e-8a51-4d3e-9a57-0c3c6a6c1b01"
ROUTE_SELF = {"id": "7a000000-0000-4000-8000-000000000001", "referrer": "self", "method": "phone",
              "how_to_refer": "Ring the hub.", "is_preferred": True}
ROUTE_PRO = {"id": "7a000000-0000-4000-8000-000000000002", "referrer": "professional",
             "professions": "Health visitor", "waiting_time": "2 weeks"}
ROUTE_AUTO = {"id": "7a000000-0000-4000-8000-000000000003", "referrer": "automatic",
              "acceptance_criteria": "Every family registered with the hub."}


def _location(sal_id, name, postcode, description=""):
    return {"id": f"7b000000-0000-4000-8000-0000000000{sal_id}", "description": description,
            "location": {"id": f"7c000000-0000-4000-8000-0000000000{sal_id}", "name": name,
                         "addresses": [{"address_1": f"{name}, 1 Hub Street", "postal_code": postcode}]}}


LOCATION_A = _location("a1", "Hub Room A", "B5 7AA")
LOCATION_B = _location("b1", "Hub Room B", "B5 7AB")
LOCATION_C = _location("c1", "Hub Room C", "B5 7AD")


def feed_service(**changes):
    """Version 1 of the feed's service; `changes` give version 2."""
    service = {
        "id": REIMPORT_ID, "name": "Bumps and Babies", "status": "active",
        "description": "A group for parents of babies.", "email": "bumps@example.org",
        "phones": [{"number": "0121 000 0001"}], "schedules": [{"description": "Mondays 10am"}],
        "languages": [{"code": "pl", "name": "Polish"}],
        "organization": {"id": "0d9b3c1e-4b7a-4a53-8f1e-5a0c2b6d7eb1", "name": "Bumps Network", "description": ""},
        "x_referral_routes": [ROUTE_SELF, ROUTE_PRO, ROUTE_AUTO],
        "service_at_locations": [LOCATION_A, LOCATION_B],
    }
    service.update(changes)
    return service


def reimport(**changes):
    return import_services([feed_service(**changes)], source="https://hub.example/oruk")


def the_draft():
    return Service.objects.get(uuid=REIMPORT_ID)


def route(service, referrer):
    return service.referral_routes.get(referrer=referrer)


def venue_names(service):
    return sorted(service.service_at_locations.values_list("venue__name", flat=True))


def curator_edits(service):
    """What a curator does to the draft in the admin between two imports."""
    from directory.models import Language

    service.description = "Written by a curator after ringing the hub."
    service._change_reason = "Edited by a curator"
    service.save()
    service.languages.set([Language.objects.get(code="ur")])
    self_route = route(service, "self")
    self_route.how_to_refer = "Text the hub first, then ring."
    self_route.save()
    ReferralRoute.objects.create(service=service, referrer="professional", professions="GP", order=9)
    hall = Venue.objects.create(name="Curator's Hall", postcode="B1 1AA")
    ServiceAtLocation.objects.create(service=service, venue=hall)


VERSION_2 = {
    "phones": [{"number": "0121 000 0002"}],
    "schedules": [{"description": "Tuesdays 1pm"}],
    "x_referral_routes": [ROUTE_SELF, dict(ROUTE_PRO, waiting_time="3 weeks")],  # ROUTE_AUTO dropped
    "service_at_locations": [LOCATION_A, LOCATION_C],  # B dropped, C added
}


def test_a_re_import_keeps_a_curators_edits_and_takes_the_feeds_other_changes():
    reimport()
    curator_edits(the_draft())
    report = reimport(**VERSION_2)
    service = the_draft()
    assert report.updated == ["Bumps and Babies"]
    # The curator's edits: a field, a many-to-many set, a route, an added route and venue.
    assert service.description == "Written by a curator after ringing the hub."
    assert [language.code for language in service.languages.all()] == ["ur"]
    assert route(service, "self").how_to_refer == "Text the hub first, then ring."
    assert service.referral_routes.filter(referrer="professional", professions="GP").exists()
    # The feed's changes to what the curator did not touch.
    assert (service.phone, service.schedule_description) == ("0121 000 0002", "Tuesdays 1pm")
    assert service.referral_routes.get(professions="Health visitor").waiting_time == "3 weeks"
    assert not service.referral_routes.filter(referrer="automatic").exists()
    assert venue_names(service) == ["Curator's Hall", "Hub Room A", "Hub Room C"]
    assert not [what for _name, what in report.warnings if "kept" in what]  # no conflicts


def test_a_conflict_keeps_the_curators_value_and_is_reported():
    from directory.models import Language

    reimport()
    service = the_draft()
    service.phone = "0121 999 9999"
    service.save()
    service.languages.set([Language.objects.get(code="ur")])
    professional = service.referral_routes.get(professions="Health visitor")
    professional.waiting_time = "About a month"
    professional.save()
    placement = service.service_at_locations.get(venue__name="Hub Room B")
    placement.note = "Side door, up the ramp"
    placement.save()
    service.age_range, service.age_from_months, service.age_to_months = "range", 0, 11
    service.save()
    version_2 = VERSION_2 | {"languages": [{"code": "ar", "name": "Arabic"}], "minimum_age": 0, "maximum_age": 2}
    report = reimport(**version_2)
    service = the_draft()
    assert service.phone == "0121 999 9999"
    assert (service.age_range, service.age_from_months, service.age_to_months) == ("range", 0, 11)
    assert [language.code for language in service.languages.all()] == ["ur"]
    assert service.referral_routes.get(professions="Health visitor").waiting_time == "About a month"
    assert "Hub Room B" in venue_names(service)  # dropped by the feed, but edited here
    warnings = "\n".join(what for _name, what in report.warnings)
    for what in ("phone", "0121 000 0002", "languages", "Arabic", "waiting time", "3 weeks", "Hub Room B",
                 "child age range: the feed now says 0 to 23 months"):
        assert what in warnings, what
        assert what in service.curator_notes, what
    assert service.phone == "0121 999 9999"
    # Said once: the same feed again changes nothing and adds no note.
    notes = service.curator_notes
    again = reimport(**version_2)
    assert again.unchanged == ["Bumps and Babies"] and the_draft().curator_notes == notes


def test_a_re_import_without_curator_edits_takes_every_change_of_the_feed():
    reimport()
    report = reimport(**VERSION_2, description="Now for dads too.", languages=[{"code": "ar", "name": "Arabic"}])
    service = the_draft()
    assert report.updated == ["Bumps and Babies"] and not report.warnings
    assert (service.description, service.phone, service.schedule_description) == (
        "Now for dads too.", "0121 000 0002", "Tuesdays 1pm")
    assert [language.code for language in service.languages.all()] == ["ar"]
    assert [(r.referrer, r.waiting_time) for r in service.referral_routes.all()] == [
        ("self", ""), ("professional", "3 weeks")]
    assert venue_names(service) == ["Hub Room A", "Hub Room C"]


def test_a_curators_choice_of_organisation_is_kept_and_the_feeds_new_one_not_created():
    reimport()
    service = the_draft()
    acacia = Organisation.objects.get(name="Acacia Family Support")
    service.organisation = acacia
    service.save()
    renamed = {"id": "0d9b3c1e-4b7a-4a53-8f1e-5a0c2b6d7eb2", "name": "Bumps Network CIC", "description": ""}
    report = reimport(organization=renamed)
    assert the_draft().organisation == acacia
    assert not Organisation.objects.filter(name="Bumps Network CIC").exists()
    assert any("organisation" in what and "kept" in what for _name, what in report.warnings)


def test_what_a_curator_removed_stays_removed():
    reimport()
    service = the_draft()
    route(service, "automatic").delete()
    service.service_at_locations.get(venue__name="Hub Room B").delete()
    report = reimport()
    assert report.unchanged == ["Bumps and Babies"]
    assert not service.referral_routes.filter(referrer="automatic").exists()
    assert venue_names(service) == ["Hub Room A"]


def test_a_draft_imported_before_the_base_was_kept_is_merged_from_its_history():
    """Drafts imported by the first version of import_oruk have no stored base: the
    import's own rows in the history stand for it."""
    from directory.models import OrukImportBase

    reimport()
    OrukImportBase.objects.all().delete()
    curator_edits(the_draft())
    report = reimport(**VERSION_2)
    service = the_draft()
    assert service.description == "Written by a curator after ringing the hub."
    assert [language.code for language in service.languages.all()] == ["ur"]
    assert route(service, "self").how_to_refer == "Text the hub first, then ring."
    assert service.referral_routes.filter(referrer="professional", professions="GP").exists()
    assert service.phone == "0121 000 0002"
    assert service.referral_routes.get(professions="Health visitor").waiting_time == "3 weeks"
    assert not service.referral_routes.filter(referrer="automatic").exists()
    assert venue_names(service) == ["Curator's Hall", "Hub Room A", "Hub Room C"]
    assert report.updated == ["Bumps and Babies"]


def test_a_re_import_leaves_the_source_of_a_curators_edit_alone():
    from directory.core.provenance import record_curator_edits

    reimport()
    service = the_draft()
    service.phone = "0121 999 9999"
    service.save()
    record_curator_edits(service, ["phone"], user=None)
    reimport(description="A changed description.")
    fact = Fact.objects.get(service=service, field="phone")
    assert fact.kind == "curator" and fact.is_confirmed


# --- Malformed feeds: a clear message, nothing written, on SQLite and PostgreSQL ------------

def _json_with(service):
    good = json.loads(open(FOREIGN).read())["contents"][0]
    return json.dumps([good, service])


@pytest.mark.parametrize("content, message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("[" * 200 + "]" * 200, "nested too deeply"),
    (_json_with(_service(description="Tea\u0000and toast")), "field 'description': holds a NUL character"),
    (_json_with(_service(organization={"id": "0d9b3c1e-4b7a-4a53-8f1e-5a0c2b6d7e31", "name": "Org\u0000"})),
     "field 'organization.name': holds a NUL character"),
    (_json_with(_service(description="\ud800")), "field 'description': holds an unpaired surrogate"),
    ('[{"id": "\xff"}]'.encode("latin-1"), "not UTF-8 text"),
    ('"a string"', "expected a JSON object or list"),
    ("null", "expected a JSON object or list"),
    ("true", "expected a JSON object or list"),
    ('[{"minimum_age": NaN}]', "not valid JSON"),
    ('[{"minimum_age": Infinity}]', "not valid JSON"),
    ('[{"minimum_age": 1e999}]', "a number too large"),
    ('[{"minimum_age": 1' + "0" * 5000 + "}]", "a number with more than"),
    (_json_with(_service(status=["active"])), "field 'status'"),
])
def test_a_malformed_feed_gives_a_clear_message_and_writes_nothing(tmp_path, content, message):
    path = tmp_path / "feed.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    before = (Service.objects.count(), Organisation.objects.count(), Fact.objects.count())
    with pytest.raises(CommandError) as error:
        call_command("import_oruk", str(path), verbosity=0)
    assert message in str(error.value) and "Nothing was imported." in str(error.value)
    assert len(str(error.value)) < 400  # a line or two, not a dump
    assert (Service.objects.count(), Organisation.objects.count(), Fact.objects.count()) == before


def test_a_live_feed_nested_too_deeply_is_refused(monkeypatch):
    from directory.openreferral import importer as oruk_import

    class Response:
        def __init__(self, body):
            self.body = body

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def read(self):
            return self.body

    monkeypatch.setattr(oruk_import.urllib.request, "urlopen",
                        lambda request, timeout: Response(b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(CommandError, match="nested too deeply"):
        call_command("import_oruk", "https://elsewhere.example/", verbosity=0)


FUZZ_VALUES = [None, True, -1, 1.5, 10**30, "x", [], ["x"], {"a": 1}, [None]]
FUZZ_SERVICE = feed_service(
    x_coverage={"type": "districts", "districts": [{"ons_code": "E05011118"}], "locality_district": {"ons_code": "E05011118"}},
    x_age_months={"range": "range", "from": -3, "to": 11}, x_parent_age_years={"min": 16, "max": 19},
    cost_options=[{"amount": 0, "amount_description": "Free"}], contacts=[{"phones": [{"number": "0121 000 0003"}]}],
    attributes=[{"taxonomy_term_id": "9a1e7c2b-5555-4c3e-9a57-0c3c6a6c1a06", "taxonomy_term": {"taxonomy_id": "x", "code": "y"}}],
    funding=[{"source": "NHS"}], x_focus={"value": "specialised"}, x_audience="professionals")


def _every_place(value, path=()):
    """The path of every value inside a service: each field, and each field of its nested records."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        yield path + (key,)
        yield from _every_place(item, path + (key,))


def _replaced(service, path, value):
    copy = json.loads(json.dumps(service))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def _variants():
    """Each field of a full service (ours, with every extension, and a foreign one) replaced by
    each kind of JSON value."""
    for service in (FUZZ_SERVICE, json.loads(open(FOREIGN).read())["contents"][0]):
        for path in _every_place(service):
            for value in FUZZ_VALUES:
                yield path, _replaced(service, path, value)


def test_any_json_value_anywhere_in_a_service_is_mapped_or_refused_clearly():
    """Checked and mapped (what runs before anything is written) without a crash: a problem
    is a FeedError's line, never an exception."""
    from directory.openreferral.importer import Vocabulary, check_services, map_service
    from mapping.models import District

    vocabulary, districts = Vocabulary(), {d.code: d for d in District.objects.defer("boundary")}
    tried = 0
    for path, service in _variants():
        tried += 1
        if not check_services([service], "fuzz"):
            map_service(service, vocabulary, districts, "")
    assert tried > 1000


def test_any_json_value_in_an_organisation_or_location_is_written_or_refused_clearly():
    """The writer reads the organisation and the locations again: written or a FeedError."""
    from django.db import transaction

    from directory.openreferral.importer import Vocabulary, Writer, check_services, map_service

    vocabulary, writer = Vocabulary(), Writer(source="fuzz", kind="provider", source_url="", reason="fuzz")
    tried = 0
    for path, service in _variants():
        if path[0] not in ("organization", "service_at_locations") or check_services([service], "fuzz"):
            continue
        tried += 1
        mapped = map_service(service, vocabulary, {}, "")
        with transaction.atomic():
            writer.organisation(mapped.organisation, lambda text: None)
            for _sal_id, location, _note, postcode in mapped.locations:
                writer.venue(location, postcode)
            transaction.set_rollback(True)
    assert tried > 100
