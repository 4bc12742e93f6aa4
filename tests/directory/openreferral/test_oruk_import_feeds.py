"""Issue 25: real feeds import without loss. The official validator's own mock feeds, a feed that
gives only `organization_id`, a looping feed, an ORUK 1.0-style feed and a feed with HTML, each
with its expected outcome; every dropped or cut field is noted, and the notes follow the feed."""
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.models import Organisation, ReferralRoute, Service
from directory.openreferral.importer import (
    IMPORT_NOTES_END, IMPORT_NOTES_START, FeedError, import_services, read_url, with_import_notes,
)
from directory.openreferral.plain_text import plain_text

pytestmark = pytest.mark.django_db
MOCKS = Path(__file__).resolve().parents[2] / "oruk_schemas" / "validator-mocks"
ORG = "0d9b3c1e-4b7a-4a53-8f1e-5a0c2b6d7e31"


def mock_fetch(kind, calls=None):
    """The validator's mock API `kind` (Default, Warn, Fail) as a feed at https://feed.example."""
    folder = MOCKS / f"V3.0-UK-{kind}"

    def fetch(url):
        path = url.removeprefix("https://feed.example")
        if calls is not None:
            calls.append(path)
        if path == "/":
            return json.loads((folder / "api_details.json").read_text())
        if path.startswith("/services?"):
            return json.loads((folder / "service_list.json").read_text())
        if path.startswith("/services/"):
            return json.loads((folder / "service_full.json").read_text())
        raise FeedError([f"{url}: not found"])
    return fetch


def import_feed(fetch, **kwargs):
    services, addresses = read_url("https://feed.example", fetch=fetch, **kwargs)
    return import_services(services, source="https://feed.example", source_url="https://feed.example",
                           addresses=addresses)


@pytest.mark.parametrize("kind", ["Default", "Warn"])
def test_the_validator_s_pass_and_warn_mocks_import_as_a_draft_with_every_loss_noted(kind):
    report = import_feed(mock_fetch(kind))
    assert (len(report.created), report.skipped) == (1, [])
    service = Service.objects.get(uuid="ac148810-d857-441c-9679-408f346de14b")
    assert service.status == "draft" and service.name == "Community Counselling"
    notes = service.curator_notes
    assert notes.startswith(IMPORT_NOTES_START) and IMPORT_NOTES_END in notes
    for expected in ("Contacts in the source, not kept", "Ann Persona",
                     "Accreditations in the source", "assured on 2005-01-01", "identifiers in the source",
                     "GB-COH", "Funding, in full", "Areas served, in full", "Cost options' dates",
                     "MyCity Civic Center (ABC 1234) left out"):
        assert expected in notes, expected
    # Structured schedules are kept as sessions (issue 23); this one says every week and days of the
    # month at once, for one day in 2005, so it is left out, and noted with its words.
    assert not service.sessions.exists()
    assert "Schedule 1 left out:" in notes and "available from 10 am to 6pm weekdays" in notes
    # What the directory can hold is kept: the cost options become the cost details.
    assert service.cost == "paid" and service.fees_description
    assert len(service.commissioned_by) == 200 and len(service.locality) <= 120


def test_the_validator_s_fail_mock_is_refused_before_any_service_is_read():
    calls = []
    with pytest.raises(FeedError, match="already listed on page 1"):
        import_feed(mock_fetch("Fail", calls))
    assert calls == ["/", "/services?page=1"]
    assert not Service.objects.filter(uuid="ac148810-d857-441c-9679-408f346de14b").exists()


def _service(number, **changes):
    service = {"id": f"6f1f3f0e-8a51-4d3e-9a57-0c3c6a6c1a{number:02d}", "name": f"Example service {number}",
               "status": "active"}
    service.update(changes)
    return service


def test_organization_id_without_an_embedded_organisation():
    here = Organisation.objects.first()
    services = [
        _service(1, organization={"id": ORG, "name": "Example Hub Network", "description": ""}),
        _service(2, organization_id=ORG),  # described by another service of the feed
        _service(3, organization_id=str(here.uuid)),  # already here
        _service(4, organization_id="7e2d1c1a-0000-4000-8000-000000000004"),  # known nowhere
        _service(5),  # no organisation at all
    ]
    report = import_services(services, source="feed.json")
    assert len(report.created) == 3
    assert [name for name, _why in report.skipped] == ["Example service 4", "Example service 5"]
    assert "neither described in the feed nor an organisation here" in report.skipped[0][1]
    assert Service.objects.get(name="Example service 2").organisation.uuid.hex == ORG.replace("-", "")
    assert Service.objects.get(name="Example service 3").organisation == here
    assert not Service.objects.filter(name__in=["Example service 4", "Example service 5"]).exists()
    assert any("Skipped Example service 4" in line for line in report.lines())


def test_a_live_feed_s_organizations_endpoint_supplies_an_organisation_no_service_embeds():
    listing = {"total_pages": 1, "page_number": 1, "last_page": True, "contents": [{"id": _service(6)["id"]}]}
    pages = {"/": {"version": "HSDS-UK-3.0"}, "/services?page=1": listing,
             f"/services/{_service(6)['id']}": _service(6, organization_id=ORG),
             f"/organizations/{ORG}": {"id": ORG, "name": "Fetched Org (example)", "description": "", "services": []}}
    report = import_feed(lambda url: pages[url.removeprefix("https://feed.example")])
    assert len(report.created) == 1
    assert Service.objects.get(name="Example service 6").organisation.name == "Fetched Org (example)"


def _listing(page, ids, last=False, total=3):
    return {"total_pages": total, "page_number": page, "last_page": last,
            "contents": [{"id": service_id} for service_id in ids]}


def test_a_feed_that_repeats_its_page_stops_at_the_second_page():
    calls = []

    def fetch(url):
        calls.append(url)
        if url.endswith("/"):
            return {"version": "HSDS-UK-3.0"}
        return _listing(1, [_service(1)["id"]], total=10_000)  # ignores ?page=, never the last
    with pytest.raises(FeedError, match="says it is page 1"):
        read_url("https://feed.example", fetch=fetch)
    assert len(calls) == 3


def test_a_repeated_page_without_page_numbers_and_a_page_limit_stop_with_a_message():
    def repeating(url):
        if url.endswith("/"):
            return {"version": "HSDS-UK-3.0"}
        return {"total_pages": 10_000, "last_page": False, "contents": [{"id": _service(1)["id"]}]}
    with pytest.raises(FeedError, match="repeats page 1"):
        read_url("https://feed.example", fetch=repeating)

    def endless(url):
        if url.endswith("/"):
            return {"version": "HSDS-UK-3.0"}
        page = int(url.rsplit("=", 1)[1])
        return _listing(page, [f"6f1f3f0e-8a51-4d3e-9a57-{page:012d}"], total=10_000)
    with pytest.raises(FeedError, match="after 5 pages"):
        read_url("https://feed.example", fetch=endless, max_pages=5)


def test_an_oruk_1_style_feed_is_refused_as_such(tmp_path):
    feed = [{"id": "6f1f3f0e-8a51-4d3e-9a57-0c3c6a6c1a01", "name": "Old style service", "status": "active",
             "organization": {"id": ORG, "name": "Old Org"}, "pc_targetAudience": "Families",
             "pc_metadata": {"last_updated": "2020-01-01"}}]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    before = Service.objects.count()
    with pytest.raises(CommandError, match="Open Referral UK 1.0 or 2.0 feed .*pc_metadata, pc_targetAudience"):
        call_command("import_oruk", str(path), verbosity=0)
    assert Service.objects.count() == before


HTML = ('<p>Weekly group for <strong>parents</strong> &amp; babies.</p><p>Book on '
        '<a href="https://example.org/book">our booking page</a>.</p><ul><li>Songs</li><li>Stories</li></ul>'
        '<script>alert(1)</script>')


def test_html_in_a_feed_is_stored_as_plain_text_and_noted(client):
    service = _service(7, organization={"id": ORG, "name": "Example Hub Network", "description": "<p>A hub.</p>"},
                       description=HTML, eligibility_description="Parents<br>of babies",
                       cost_options=[{"id": "c1", "option": "Session", "amount": 3.5,
                                      "amount_description": "<em>per family</em>"}])
    import_services([service], source="feed.json")
    draft = Service.objects.get(name="Example service 7")
    assert draft.description == ("Weekly group for parents & babies.\n\nBook on our booking page "
                                 "(https://example.org/book).\n\n- Songs\n- Stories")
    assert draft.eligibility_description == "Parents\nof babies"
    assert draft.fees_description == "Session: 3.50 (per family)" and draft.cost == "paid"
    assert draft.organisation.description == "A hub."
    assert "description, cost_options.amount_description, eligibility_description held HTML" in draft.curator_notes
    Service.objects.filter(pk=draft.pk).update(status="published", summary="Weekly group.")
    body = client.get(f"/api/services/{draft.uuid}").content.decode()
    assert "<p>" not in body and "<script>" not in body


def test_the_import_notes_are_replaced_on_each_update_and_a_curator_s_notes_kept():
    first = _service(8, organization={"id": ORG, "name": "Example Hub Network"}, accreditations="Example Mark 1")
    import_services([first], source="feed.json")
    draft = Service.objects.get(name="Example service 8")
    draft.curator_notes += "\nCurator: rang them on Monday."
    draft.save()
    import_services([{**first, "accreditations": "Example Mark 2", "x_unknown_field": "x"}], source="feed.json")
    notes = Service.objects.get(pk=draft.pk).curator_notes
    assert "Example Mark 2" in notes and "Example Mark 1" not in notes
    assert "Fields of the source not kept: x_unknown_field." in notes
    assert notes.count(IMPORT_NOTES_START) == 1 and "Curator: rang them on Monday." in notes
    # Unchanged feed, unchanged draft: nothing is written.
    report = import_services([{**first, "accreditations": "Example Mark 2", "x_unknown_field": "x"}],
                             source="feed.json")
    assert report.unchanged == ["Example service 8"]


def test_with_import_notes_keeps_what_is_outside_the_block():
    notes = with_import_notes("Curator's own words", ["line 1"])
    assert notes == f"{IMPORT_NOTES_START}\nline 1\n{IMPORT_NOTES_END}\nCurator's own words"
    assert with_import_notes(notes, ["line 2"]) == f"{IMPORT_NOTES_START}\nline 2\n{IMPORT_NOTES_END}\nCurator's own words"


def test_a_round_trip_keeps_referral_route_ids(client, tmp_path):
    from tests.directory.openreferral.test_oruk_import import empty_the_directory

    routes = set(ReferralRoute.objects.filter(service__status="published").values_list("uuid", flat=True))
    services = [client.get(f"/api/services/{uuid}").json()
                for uuid in Service.objects.published().values_list("uuid", flat=True)]
    assert {route["id"] for s in services for route in s["x_referral_routes"]} == {str(r) for r in routes}
    empty_the_directory()
    import_services(services, source="feed.json")
    assert set(ReferralRoute.objects.values_list("uuid", flat=True)) == routes


@pytest.mark.parametrize("html, text", [
    ("plain text & <3", "plain text & <3"),
    ("a<br/>b", "a\nb"),
    ('<a href="javascript:alert(1)">click</a>', "click"),
    ('<a href="mailto:x@example.org">x@example.org</a>', "x@example.org"),
    ("<div><p>one</p><p>two</p></div>", "one\n\ntwo"),
    ("<!-- hidden -->shown&nbsp;here", "shown here"),
])
def test_plain_text(html, text):
    assert plain_text(html) == text


def test_migration_0023_gives_existing_routes_the_ids_the_api_published_before():
    """The ids the API derived from the service and the row number (before 0023) are the ones
    the data migration stores, history rows included, so no consumer's id changes."""
    import importlib

    from django.apps import apps

    from directory.openreferral.api.ids import derived_id

    migration = importlib.import_module("directory.migrations.0023_referral_route_uuid")
    migration.fill(apps, None)
    routes = list(ReferralRoute.objects.select_related("service"))
    assert routes
    for route in routes:
        assert str(route.uuid) == derived_id("referral_route", route.service.uuid, route.pk)
        assert {str(row.uuid) for row in route.history.all()} <= {str(route.uuid)}
