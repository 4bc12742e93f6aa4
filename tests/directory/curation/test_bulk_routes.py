"""Issue 20, item 7 (a) and (b): referral routes and venues in CSV, through the admin's import
page (the service list's Import, "What the file holds"), and the preview in words.

Ellie is an IMHSG editor; Omar edits for Acacia Family Support; Vic is a viewer."""
import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory.curation.bulk import IMPORTED_REASON
from directory.curation.bulk_routes import RouteResource, VenueResource
from directory.models import Fact, ReferralRoute, Service, ServiceAtLocation, SourceKind, Venue
from mapping.models import Postcode

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:directory_service_import")
PROCESS = reverse("admin:directory_service_process_import")
EXPORT = reverse("admin:directory_service_export")
SERVICES, ROUTES, VENUES = "0", "1", "2"


def upload(client, text, kind, name="file.csv"):
    payload = text if isinstance(text, bytes) else text.encode("utf-8")
    return client.post(IMPORT, {"format": "0", "resource": kind,
                                "import_file": SimpleUploadedFile(name, payload, content_type="text/csv")})


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(PROCESS, {name: form.initial[name] for name in
                                 ("import_file_name", "original_file_name", "format", "resource")})


def every_column(kind):
    resource = {ROUTES: RouteResource, VENUES: VenueResource}[kind]
    return {f"{resource.__name__.lower()}_{column}": "on" for column in resource.COLUMNS}


def export(client, kind, url=EXPORT):
    response = client.post(url, {"format": "0", "resource": kind, **every_column(kind)})
    assert response.status_code == 200, response.content[:500]
    return response


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def write(rows, fieldnames=None):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fieldnames or list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def state():
    """Everything an import of routes or venues could touch."""
    return (list(ReferralRoute.objects.order_by("pk").values()), list(ServiceAtLocation.objects.order_by("pk").values()),
            list(Venue.objects.order_by("pk").values()), Fact.objects.count(), ReferralRoute.history.count(),
            ServiceAtLocation.history.count(), Venue.history.count())


def text_of(response):
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&quot;", '"')


def acacia():
    return Service.objects.get(slug="acacia")


def known_postcode():
    return Postcode.objects.exclude(district=None).order_by("postcode").first().postcode


ROUTE = {"id": "", "service": "acacia", "referrer": "self", "professions": "", "method": "phone",
         "how_to_refer": "Ring the team.", "acceptance_criteria": "", "exclusions": "", "waiting_time": "Two weeks",
         "consent_required": "", "url": "", "contact": "", "is_preferred": "0", "order": "5"}


# --- Export, and the round trip ----------------------------------------------------------------

@pytest.mark.parametrize("kind, name", [(ROUTES, "referral-routes"), (VENUES, "venues")])
def test_an_export_imported_unchanged_changes_nothing(client, imhsg_editor, kind, name):
    client.force_login(imhsg_editor)
    response = export(client, kind)
    assert f'filename="{name}-' in response["Content-Disposition"]
    text = response.getvalue().decode("utf-8-sig")
    assert len(rows_of(text)) >= 5
    before = state()
    preview = upload(client, text, kind)
    said = text_of(preview)
    assert "confirm_form" in preview.context and "0 to add, 0 to change" in said and " 0 refused" in said
    assert "Will be changed" not in said and "Will be added" not in said
    assert confirm(client, preview).status_code == 302
    assert state() == before


def test_the_routes_export_has_the_routes_of_the_listed_services_only(client, imhsg_editor):
    client.force_login(imhsg_editor)
    filtered = export(client, ROUTES, url=EXPORT + "?q=Acacia")
    services = {row["service"] for row in rows_of(filtered.getvalue().decode("utf-8-sig"))}
    assert services == {"acacia"}


def test_a_formula_in_a_route_is_exported_harmless_and_comes_back_the_same(client, imhsg_editor):
    route = acacia().referral_routes.first()
    ReferralRoute.objects.filter(pk=route.pk).update(how_to_refer="=HYPERLINK(\"http://evil.example\")")
    client.force_login(imhsg_editor)
    text = export(client, ROUTES).getvalue().decode("utf-8-sig")
    row = next(r for r in rows_of(text) if r["id"] == str(route.pk))
    assert row["how_to_refer"].startswith("'=")
    before = state()
    preview = upload(client, text, ROUTES)
    assert "0 to change" in text_of(preview)
    confirm(client, preview)
    assert state() == before


# --- Routes: add and change ----------------------------------------------------------------------

def test_a_new_route_and_a_changed_one_are_previewed_in_words_then_written_by_the_curator(client, imhsg_editor):
    route = acacia().referral_routes.first()
    client.force_login(imhsg_editor)
    exported = {r["id"]: r for r in rows_of(export(client, ROUTES).getvalue().decode("utf-8-sig"))}
    changed = {**exported[str(route.pk)], "waiting_time": "About three weeks"}
    before = state()
    preview = upload(client, write([changed, ROUTE]), ROUTES)
    said = text_of(preview)
    assert "Row 2: acacia: professional — Will be changed" in said
    assert "1 column changes" in said and "waiting_time" in said and "Now: About three weeks" in said
    assert "Row 3: acacia: self — Will be added" in said
    assert state() == before  # the preview wrote nothing
    assert confirm(client, preview).status_code == 302
    route.refresh_from_db()
    assert route.waiting_time == "About three weeks"
    new = ReferralRoute.objects.get(service=acacia(), referrer="self", how_to_refer="Ring the team.")
    assert new.order == 5 and not new.is_preferred
    # The curator's word, confirmed; and the history says who and why.
    fact = Fact.objects.get(route=route, field="waiting_time")
    assert (fact.kind, fact.confirmed_by) == (SourceKind.CURATOR, imhsg_editor)
    latest = route.history.latest("history_date")
    assert latest.history_user == imhsg_editor and latest.history_change_reason == IMPORTED_REASON
    history = client.get(reverse("admin:directory_service_history", args=[acacia().pk]))
    assert "Changed the referral route" in text_of(history) and "by ellie" in text_of(history)


# --- Routes: refused, in words, beside the row; nothing written -------------------------------

def refused(client, rows, kind=ROUTES, fieldnames=None):
    before = state()
    preview = upload(client, write(rows, fieldnames), kind)
    assert preview.status_code == 200
    assert "confirm_form" not in preview.context
    assert state() == before
    return text_of(preview)


def test_an_unknown_service_is_refused_beside_its_row(client, imhsg_editor):
    client.force_login(imhsg_editor)
    said = refused(client, [ROUTE, {**ROUTE, "service": "no-such-service", "how_to_refer": "Other"}])
    assert "Nothing was imported: 1 row of 2 needs fixing" in said
    row = said.split("Row 3: no-such-service: self — Refused", 1)[1]
    assert row.lstrip().startswith("Column ‘service’: 'no-such-service' is not a known service (slug).")
    assert "How to fix: The service's slug" in row
    # The good row is listed as what it would have done, but not written.
    assert "Row 2: acacia: self — Will be added" in said


@pytest.mark.parametrize("forged, words", [
    ("999999", "There is no referral route with id 999999"),
    ("12abc", "'12abc' is not an id from an export"),
])
def test_a_forged_route_id_is_refused_never_taken_as_a_new_id(client, imhsg_editor, forged, words):
    client.force_login(imhsg_editor)
    said = refused(client, [{**ROUTE, "id": forged}])
    assert words in said and not ReferralRoute.objects.filter(pk=999999).exists()


def test_a_route_of_another_service_cannot_be_moved_by_its_id(client, imhsg_editor):
    other = ReferralRoute.objects.exclude(service=acacia()).first()
    client.force_login(imhsg_editor)
    said = refused(client, [{**ROUTE, "id": str(other.pk)}])
    assert "A route cannot move to another service" in said


def test_duplicate_rows_and_a_repeat_of_an_existing_route_are_refused(client, imhsg_editor):
    route = acacia().referral_routes.first()
    client.force_login(imhsg_editor)
    exported = {r["id"]: r for r in rows_of(export(client, ROUTES).getvalue().decode("utf-8-sig"))}
    same_id = refused(client, [exported[str(route.pk)], {**exported[str(route.pk)], "waiting_time": "x"}])
    assert f"Row 2 is already about referral route {route.pk}: keep one of the two rows." in same_id
    twice = refused(client, [ROUTE, ROUTE])
    assert "Row 2 is the same route of the same service: keep one of the two." in twice
    repeat = {**exported[str(route.pk)], "id": ""}
    again = refused(client, [repeat])
    assert f"The service already has this route (id {route.pk})" in again


@pytest.mark.parametrize("column, value, words", [
    ("referrer", "anyone", "'anyone' is not a kind of referrer. Use one of: self, professional, automatic."),
    ("method", "pigeon", "'pigeon' is not a way to refer."),
    ("url", "javascript:alert(1)", "Column ‘url’"),
    ("order", "first", "'first' is not a whole number."),
    ("is_preferred", "maybe", "'maybe' is not 1 (yes) or 0 (no)."),
    ("service", "", "Give the service's slug"),
])
def test_each_bad_cell_is_named_with_its_column_and_a_fix(client, imhsg_editor, column, value, words):
    client.force_login(imhsg_editor)
    said = refused(client, [{**ROUTE, column: value}])
    assert words in said and ("How to fix:" in said or "Use one of:" in said)


# --- Venues -------------------------------------------------------------------------------------

VENUE = {"id": "", "service": "acacia", "venue": "Test Community Hall", "postcode": "", "address": "1 Test Street",
         "accessibility": "Step-free entrance.", "note": ""}


def test_a_venue_is_added_to_a_service_and_placed_by_its_postcode(client, imhsg_editor):
    postcode = known_postcode()
    client.force_login(imhsg_editor)
    preview = upload(client, write([{**VENUE, "postcode": postcode.lower().replace(" ", "")}]), VENUES)
    assert "Row 2: acacia: Test Community Hall — Will be added" in text_of(preview)
    confirm(client, preview)
    venue = Venue.objects.get(name="Test Community Hall")
    assert venue.postcode == postcode and venue.lat is not None and venue.address == "1 Test Street"
    assert ServiceAtLocation.objects.filter(service=acacia(), venue=venue).exists()


@pytest.mark.parametrize("postcode, words", [
    ("ZZ99 9ZZ", "'ZZ99 9ZZ' is not a postcode in the directory's postcode table"),
    ("not a postcode", "'not a postcode' is not a postcode"),
    ("", "Give the venue's postcode."),
])
def test_a_postcode_not_in_the_shared_data_is_refused(client, imhsg_editor, postcode, words):
    client.force_login(imhsg_editor)
    said = refused(client, [{**VENUE, "postcode": postcode}], kind=VENUES)
    assert words in said and "Column ‘postcode’" in said and not Venue.objects.filter(name=VENUE["venue"]).exists()


def test_venue_rows_repeated_or_already_there_or_forged_are_refused(client, imhsg_editor):
    link = ServiceAtLocation.objects.select_related("venue", "service").first()
    client.force_login(imhsg_editor)
    row = {**VENUE, "service": link.service.slug, "venue": link.venue.name, "postcode": link.venue.postcode,
           "address": link.venue.address, "accessibility": link.venue.accessibility}
    assert f"The service is already at {link.venue} (id {link.pk})" in refused(client, [row], kind=VENUES)
    new = {**VENUE, "postcode": known_postcode()}
    assert "Row 2 already puts this service at this venue" in refused(client, [new, new], kind=VENUES)
    assert "There is no service's venue with id 424242" in refused(client, [{**new, "id": "424242"}], kind=VENUES)


def test_a_changed_venue_address_changes_the_shared_venue(client, imhsg_editor):
    link = ServiceAtLocation.objects.select_related("venue", "service").first()
    client.force_login(imhsg_editor)
    rows = rows_of(export(client, VENUES).getvalue().decode("utf-8-sig"))
    row = next(r for r in rows if r["id"] == str(link.pk))
    preview = upload(client, write([{**row, "address": "Steelhouse Lane (test)"}]), VENUES)
    assert "Will be changed" in text_of(preview) and "Now: Steelhouse Lane (test)" in text_of(preview)
    confirm(client, preview)
    link.venue.refresh_from_db()
    assert link.venue.address == "Steelhouse Lane (test)"


# --- The file as a whole ----------------------------------------------------------------------

@pytest.mark.parametrize("payload, words", [
    ("id,service,colour\r\n,acacia,red\r\n", "Unknown column: 'colour'"),
    ("service,referrer\r\nacacia,self\r\n", "including 'id'"),
    ("slug,name\r\nacacia,Acacia\r\n", "Is this the right kind of file?"),
    ("id,service,referrer\r\n", "has no rows under them"),
    ("id,service,service\r\n,acacia,acacia\r\n", "Columns named more than once: 'service'"),
    ("id,service,referrer\r\n,acacia,self,extra\r\n", "a different number of cells"),
    ("id,service,referrer\r\n,acacia,caf\xe9\r\n".encode("latin-1"), "not UTF-8"),
    ("id,service,referrer\r\n,acacia,self\r\n".encode("utf-16"), "UTF-16"),
    (b"", "file is empty."),
])
def test_a_broken_file_gets_a_clear_message_and_changes_nothing(client, imhsg_editor, payload, words):
    client.force_login(imhsg_editor)
    before = state()
    response = upload(client, payload, ROUTES)
    assert response.status_code == 200 and "confirm_form" not in response.context
    assert words in text_of(response).replace("&#x27;", "'")
    assert 'role="alert"' in response.content.decode()
    assert state() == before


def test_an_oversized_file_is_refused_before_it_is_read(client, imhsg_editor, settings):
    settings.IMPORT_MAX_BYTES = 200
    client.force_login(imhsg_editor)
    response = upload(client, "id,service,referrer\r\n" + ",acacia,self\r\n" * 50, ROUTES)
    assert "the largest accepted is 200" in text_of(response) and "Split it into smaller files" in text_of(response)


# --- Who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["acacia_editor", "viewer"])
def test_only_imhsg_editors_import_routes_and_venues(client, request, who, imhsg_editor):
    person = request.getfixturevalue(who)
    client.force_login(person)
    before = state()
    for kind in (ROUTES, VENUES):
        assert client.get(IMPORT).status_code == 403
        assert upload(client, write([ROUTE]), kind).status_code == 403
    # Nor can they confirm a preview an IMHSG editor made.
    editor = type(client)()
    editor.force_login(imhsg_editor)
    preview = upload(editor, write([ROUTE]), ROUTES)
    form = preview.context["confirm_form"]
    answer = client.post(PROCESS, {name: form.initial[name] for name in
                                   ("import_file_name", "original_file_name", "format", "resource")})
    assert answer.status_code == 403
    assert state() == before


def test_an_organisation_editor_cannot_export_routes_or_venues(client, acacia_editor):
    client.force_login(acacia_editor)
    assert client.post(EXPORT, {"format": "0", "resource": ROUTES, **every_column(ROUTES)}).status_code == 403


# --- The preview's cost ---------------------------------------------------------------------------

def test_the_preview_of_routes_runs_a_fixed_number_of_queries_per_row(client, imhsg_editor, django_assert_num_queries):
    """Rendering the preview reads nothing: the queries are the import's own, the same for each new row."""
    client.force_login(imhsg_editor)
    upload(client, write([ROUTE]), ROUTES)  # warm the content types and the session
    counts = []
    for n in (1, 2, 4):
        rows = [{**ROUTE, "how_to_refer": f"Ring the team ({i})."} for i in range(n)]
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert "confirm_form" in upload(client, write(rows), ROUTES).context
        counts.append(len(queries.captured_queries))
    per_row = counts[1] - counts[0]
    assert counts[2] - counts[1] == 2 * per_row
    assert per_row == PER_ROUTE_ROW
    with django_assert_num_queries(counts[0]):
        upload(client, write([ROUTE]), ROUTES)


# A new route, in the dry run: the service by slug, the check for the same route, the savepoint
# around the row, its insert and its history row, and for each of the four facts it fills
# (referrer, method, how to refer, waiting time) a look-up and an insert in a savepoint; and the
# check that its new Open Referral id (ReferralRoute.uuid, issue 25) is unique.
PER_ROUTE_ROW = 26


@pytest.mark.parametrize("kind", ["9", "-1", "abc", "1.0"])
def test_a_forged_kind_of_file_at_confirmation_changes_nothing(client, imhsg_editor, kind):
    client.force_login(imhsg_editor)
    preview = upload(client, write([ROUTE]), ROUTES)
    form = preview.context["confirm_form"]
    before = state()
    body = {name: form.initial[name] for name in ("import_file_name", "original_file_name", "format")}
    response = client.post(PROCESS, {**body, "resource": kind})
    assert response.status_code == 302 and state() == before


def test_a_routes_file_confirmed_as_services_imports_nothing(client, imhsg_editor):
    client.force_login(imhsg_editor)
    preview = upload(client, write([ROUTE]), ROUTES)
    form = preview.context["confirm_form"]
    before, services = state(), list(Service.objects.values())
    body = {name: form.initial[name] for name in ("import_file_name", "original_file_name", "format")}
    response = client.post(PROCESS, {**body, "resource": SERVICES}, follow=True)
    assert "Nothing was imported" in text_of(response) or "already confirmed" in text_of(response)
    assert state() == before and list(Service.objects.values()) == services


# --- The preview of services, in words ----------------------------------------------------------

def test_a_services_file_with_a_bad_row_says_so_beside_the_row_without_a_wide_table(client, imhsg_editor):
    client.force_login(imhsg_editor)
    text = ("slug,name,levels,email\r\nacacia,Acacia,universal,\r\n"
            "new-test-service,New test service,everyone,not-an-address\r\n")
    before = list(Service.objects.order_by("pk").values())
    preview = upload(client, text, SERVICES)
    html = preview.content.decode()
    said = text_of(preview)
    assert "import-preview" not in html and "validation-error-count" not in html  # the library's wide table
    assert "Row 3: New test service — Refused" in said
    row = said.split("Row 3: New test service — Refused", 1)[1]
    assert "Column ‘levels’: 'everyone' is not a known level code." in row
    assert "Column ‘email’:" in row and "How to fix: An e-mail address like name@example.org." in row
    assert "Row 2: Acacia — Will be changed" in said
    assert list(Service.objects.order_by("pk").values()) == before


def test_what_to_include_goes_out_and_comes_back_and_an_older_sheet_without_it_keeps_it(client, imhsg_editor):
    # Issue 24: the referral page's lists are in the routes' spreadsheet, after the older columns.
    route = acacia().referral_routes.get(referrer="professional")
    route.information_needed, route.consent_rules = "GP details\nParent's consent", "Verbal consent."
    route.save()
    client.force_login(imhsg_editor)
    exported = {r["id"]: r for r in rows_of(export(client, ROUTES).getvalue().decode("utf-8-sig"))}
    row = exported[str(route.pk)]
    assert (row["information_needed"], row["consent_rules"]) == ("GP details\nParent's consent", "Verbal consent.")
    older = {name: value for name, value in row.items() if name not in ("information_needed", "consent_rules")}
    preview = upload(client, write([{**older, "waiting_time": "About two weeks"}]), ROUTES)
    assert confirm(client, preview).status_code == 302
    route.refresh_from_db()
    assert route.waiting_time == "About two weeks"
    assert (route.information_needed, route.consent_rules) == ("GP details\nParent's consent", "Verbal consent.")
