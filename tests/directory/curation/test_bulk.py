"""Bulk data: the public CSV, the curators' export, and the curators' CSV import (dry run first,
all or nothing, idempotent, every problem named)."""
import csv
import io

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from directory.curation.bulk import COLUMNS, ServiceResource, can_import
from directory.practitioners.csv import public_services_csv
from directory.models import Service, Status
from directory.models import Fact, SourceKind

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:directory_service_import")
PROCESS = reverse("admin:directory_service_process_import")
EXPORT = reverse("admin:directory_service_export")


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def curators_csv():
    return ServiceResource().export(ServiceResource().get_queryset()).csv


def upload(client, data, name="services.csv"):
    payload = data if isinstance(data, bytes) else data.encode("utf-8")
    return client.post(IMPORT, {"format": "0", "resource": "0",
                                "import_file": SimpleUploadedFile(name, payload, content_type="text/csv")})


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(PROCESS, {name: form.initial[name] for name in
                                 ("import_file_name", "original_file_name", "format", "resource")})


def snapshot():
    return list(Service.objects.order_by("pk").values()), Fact.objects.count()


def with_rows(text, change):
    """The CSV `text` with `change(row)` applied to each row (a dict); returns CSV text."""
    rows = rows_of(text)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        change(row)
        writer.writerow(row)
    return out.getvalue()


NEW_ROW = {
    "slug": "imported-baby-group", "name": "Imported baby group", "organisation": "acacia-family-support",
    "status": "published", "summary": "A weekly group for parents and babies.", "levels": "universal,targeted",
    "focus": "additional", "age_range": "range", "age_from_months": "0", "age_to_months": "12",
    "phone": "0121 496 0000", "url": "https://example.org/group", "languages": "en,ur",
    "no_referral_route_reason": "Drop in: no referral needed.",
}


def new_file(*rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(NEW_ROW), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**NEW_ROW, **row})
    return out.getvalue()


# --- Public export ----------------------------------------------------------------------------

def test_the_public_csv_has_only_published_services_and_no_private_fields(client):
    Service.objects.filter(slug="acacia").update(status=Status.DRAFT)
    Service.objects.filter(slug="anawim-birmingham-centre-for-women").update(status=Status.ARCHIVED)
    Service.objects.update(curator_notes="PRIVATE-NOTE")
    response = client.get(reverse("directory:services-csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming  # a file of 100,000 services starts at once (docs/adr/0027)
    text = response.getvalue().decode("utf-8")
    rows = rows_of(text)
    assert {row["name"] for row in rows} == set(Service.objects.published().values_list("name", flat=True))
    assert "Acacia" not in {row["name"] for row in rows} and len(rows) == Service.objects.published().count()
    assert "PRIVATE-NOTE" not in text
    for private in ("curator_notes", "owner", "next_review_due", "status", "no_referral_route_reason", "created"):
        assert private not in rows[0]
    assert rows[0]["page"].startswith("http://testserver/services/")


def test_the_public_csv_is_linked_from_the_about_page(client):
    assert reverse("directory:services-csv") in client.get(reverse("directory:about")).content.decode()


@pytest.mark.parametrize("extra", [0, 20])
def test_the_public_csv_runs_a_fixed_number_of_queries(client, django_assert_num_queries, extra):
    template = Service.objects.published().get(slug="breaking-the-cycle")
    levels = list(template.levels.all())
    for i in range(extra):
        service = Service.objects.create(organisation=template.organisation, name=f"Extra {i}", slug=f"extra-{i}",
                                         status=Status.PUBLISHED, summary="S", focus=template.focus)
        service.levels.set(levels)
    with django_assert_num_queries(9):  # the content version, the services, 7 prefetches (per 2,000 services)
        client.get(reverse("directory:services-csv")).getvalue()


def test_the_public_csv_makes_formulae_inert_and_shows_no_unsafe_links():
    Service.objects.filter(slug="breaking-the-cycle").update(summary="=HYPERLINK(\"http://evil\")",
                                                            url="javascript:alert(1)", phone="+44 121 496 0000")
    row = next(r for r in rows_of(public_services_csv()) if r["name"] == "Breaking the Cycle")
    assert row["summary"] == "'=HYPERLINK(\"http://evil\")"
    assert row["website"] == "" and row["phone"] == "'+44 121 496 0000"


# --- Curators' export ------------------------------------------------------------------------

def test_the_curators_export_has_every_service_and_every_column(curator_client):
    Service.objects.filter(slug="acacia").update(status=Status.DRAFT, curator_notes="Ask about funding")
    response = curator_client.post(EXPORT, {"format": "0", "resource": "0",
                                            **{f"serviceresource_{c}": "on" for c in COLUMNS}})
    assert response.status_code == 200
    rows = rows_of(response.getvalue().decode("utf-8-sig"))
    assert len(rows) == Service.objects.count()
    acacia = next(r for r in rows if r["slug"] == "acacia")
    assert acacia["status"] == "draft" and acacia["curator_notes"] == "Ask about funding"


@pytest.mark.parametrize("extra", [0, 20])
def test_the_curators_export_runs_a_fixed_number_of_queries(django_assert_num_queries, extra):
    template = Service.objects.get(slug="breaking-the-cycle")
    for i in range(extra):
        service = Service.objects.create(organisation=template.organisation, name=f"Extra {i}", slug=f"extra-{i}",
                                         summary="S", focus=template.focus)
        service.levels.set(template.levels.all())
    with django_assert_num_queries(8):  # the services, then 7 prefetches
        curators_csv()


# --- Import: who may ---------------------------------------------------------------------------

def test_only_imhsg_editors_may_import(django_user_model, client, acacia_editor, imhsg_editor):
    viewer = django_user_model.objects.create_user("vic", password="a-long-viewer-password", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_service", "change_service"]))
    assert not can_import(viewer)
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403
    viewer.user_permissions.add(Permission.objects.get(codename="add_service"))
    viewer = django_user_model.objects.get(pk=viewer.pk)
    assert not can_import(viewer)  # may add and change, but not moderate: an organisation editor's reach
    assert not can_import(acacia_editor)
    assert can_import(imhsg_editor)
    assert can_import(django_user_model(is_superuser=True, is_active=True))
    assert not can_import(None)


# --- Import: a clean file, dry run, confirm -----------------------------------------------------------

def test_a_clean_file_is_previewed_and_nothing_is_written_until_confirmed(curator_client, curator):
    before = snapshot()
    preview = upload(curator_client, new_file({}))
    assert preview.status_code == 200
    assert "confirm_form" in preview.context, preview.content.decode()[:3000]
    assert "Will be added" in preview.content.decode() and "Imported baby group" in preview.content.decode()
    assert snapshot() == before  # the dry run wrote nothing

    response = confirm(curator_client, preview)
    assert response.status_code == 302
    service = Service.objects.get(slug="imported-baby-group")
    assert service.organisation.slug == "acacia-family-support" and service.status == "published"
    assert sorted(service.levels.values_list("code", flat=True)) == ["targeted", "universal"]
    assert sorted(service.languages.values_list("code", flat=True)) == ["en", "ur"]
    # Each fact the row gave is the curator's word, confirmed today.
    facts = {f.field: f for f in Fact.objects.filter(service=service)}
    assert {"phone", "url", "languages", "age_range", "organisation"} <= set(facts)
    assert all(f.kind == SourceKind.CURATOR and f.confirmed_by == curator and f.confirmed_on for f in facts.values())
    assert "email" not in facts  # not given


def test_an_update_records_the_curator_as_the_source_of_the_facts_it_changes(curator):
    text = with_rows(curators_csv(), lambda row: row.update(phone="0121 000 1111") if row["slug"] == "acacia" else None)
    result = ServiceResource().import_data(tablib.Dataset().load(text, format="csv"), dry_run=False, user=curator)
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["update"] == 1 and result.totals["skip"] == Service.objects.count() - 1
    fact = Fact.objects.get(service__slug="acacia", field="phone")
    assert (fact.kind, fact.confirmed_by) == (SourceKind.CURATOR, curator)
    assert Fact.objects.filter(service__slug="acacia", kind=SourceKind.CURATOR).count() == 1


def test_a_reimport_of_an_export_changes_nothing(curator_client):
    text = curators_csv()
    before = snapshot()
    preview = upload(curator_client, text)
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), preview.content.decode()[:3000]
    assert result.totals["skip"] == Service.objects.count() and result.totals["update"] == 0
    confirm(curator_client, preview)
    assert snapshot() == before


# --- Import: problems, and nothing written ---------------------------------------------------------

def test_a_file_with_bad_rows_shows_each_rows_errors_and_writes_nothing(curator_client):
    before = snapshot()
    text = new_file({}, {"slug": "second", "url": "javascript:alert(1)", "levels": "universal,nonsense"},
                    {"slug": "third", "organisation": "no-such-org", "focus": "loud", "age_from_months": "soon"})
    response = upload(curator_client, text)
    content = response.content.decode()
    assert "confirm_form" not in response.context
    result = response.context["result"]
    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [2, 3]
    for message in ("Enter an address that starts with https://", "&#x27;nonsense&#x27; is not a known level",
                    "&#x27;no-such-org&#x27; is not a known organisation", "Value &#x27;loud&#x27; is not a valid choice",
                    "&#x27;soon&#x27; is not a whole number"):
        assert message in content, message
    assert snapshot() == before


def test_the_confirmed_write_is_all_or_nothing(curator):
    text = new_file({}, {"slug": "bad-one", "levels": ""})
    result = ServiceResource().import_data(tablib.Dataset().load(text, format="csv"), dry_run=False, user=curator,
                                           rollback_on_validation_errors=True)
    assert result.has_validation_errors()
    assert not Service.objects.filter(slug="imported-baby-group").exists()


def test_publishing_rules_apply_to_imported_rows(curator_client):
    response = upload(curator_client, new_file({"no_referral_route_reason": "", "summary": ""}))
    content = response.content.decode()
    assert "Write a summary before publishing." in content
    assert "Add at least one referral route, or say why there is none" in content
    assert not Service.objects.filter(slug="imported-baby-group").exists()


@pytest.mark.parametrize("data, message", [
    (new_file({"name": "Café"}).encode("utf-16"), "The file is in UTF-16, not UTF-8"),
    (new_file({"name": "Caf\xe9"}).encode("latin-1"), "The file is not UTF-8 text (an unreadable character on line 2)"),
    (b"", "The submitted file is empty."),
    (b"slug,name\r\n\"unclosed,quote\r\n", "The file is not a well-formed CSV file"),
    (b"slug,name,colour\r\na,b,c\r\n", "Unknown column: &#x27;colour&#x27;"),
    (b"name,summary\r\nA,B\r\n", "The first row must name the columns, including &#x27;slug&#x27;"),
    (b"slug,name\r\na,b,c\r\n", "Row 2 has a different number of cells from the first row"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "UTF-16"),
])
def test_a_malformed_file_gets_a_clear_message_and_writes_nothing(curator_client, data, message):
    before = snapshot()
    response = upload(curator_client, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "confirm_form" not in response.context and "result" not in response.context
    assert snapshot() == before


@override_settings(IMPORT_MAX_BYTES=1000)
def test_an_oversized_file_is_refused_before_it_is_read(curator_client):
    before = snapshot()
    response = upload(curator_client, new_file(*({"slug": f"s-{i}"} for i in range(20))))
    assert "the largest accepted is 1000" in response.content.decode()
    assert snapshot() == before


def test_unknown_columns_are_refused_by_the_resource_too(curator):
    dataset = tablib.Dataset(["acacia", "x"], headers=["slug", "colour"])
    result = ServiceResource().import_data(dataset, dry_run=False, user=curator)
    assert result.has_errors() and "Unknown column: 'colour'" in str(result.base_errors[0].error)


def test_an_exported_formula_cell_round_trips(curator):
    Service.objects.filter(slug="acacia").update(phone="+44 121 496 0000", curator_notes="=1+1")
    text = curators_csv()
    row = next(r for r in rows_of(text) if r["slug"] == "acacia")
    assert (row["phone"], row["curator_notes"]) == ("'+44 121 496 0000", "'=1+1")
    result = ServiceResource().import_data(tablib.Dataset().load(text, format="csv"), dry_run=False, user=curator)
    assert result.totals["update"] == 0 and not result.has_validation_errors()
    assert Service.objects.get(slug="acacia").phone == "+44 121 496 0000"


# --- Import: a confirmation posted twice, or for a file that is gone -----------------------------------

ALREADY = "This import was already confirmed or has expired. Nothing was changed: upload the file again."


def test_a_second_confirm_gets_a_clear_message_and_changes_nothing(curator_client):
    preview = upload(curator_client, new_file({}))
    assert confirm(curator_client, preview).status_code == 302
    # A curator edits the new service before the second click arrives: it must not be undone.
    Service.objects.filter(slug="imported-baby-group").update(name="Renamed since")
    before = snapshot()
    response = confirm(curator_client, preview)
    assert response.status_code == 302 and response.url == IMPORT
    assert snapshot() == before
    page = curator_client.get(IMPORT)
    assert ALREADY in [str(message) for message in page.context["messages"]]


def test_of_two_confirms_racing_only_the_first_reads_the_file():
    """Both clicks arrive before either import ends: the file is claimed (an atomic rename) before
    it is read, so the second finds nothing to import."""
    from directory.curation.admin.bulk import ImportFileGone, ImportStorage

    written = ImportStorage(encoding="utf-8", read_mode="r")
    written.save(b"slug\nacacia\n")
    assert written.read() == "slug\nacacia\n"  # the dry run reads it in place
    first, second = (ImportStorage(name=written.name, encoding="utf-8", read_mode="r") for _ in range(2))
    assert first.read() == "slug\nacacia\n"
    with pytest.raises(ImportFileGone):
        second.read()
    first.remove()
    with pytest.raises(ImportFileGone):
        ImportStorage(name=written.name, encoding="utf-8", read_mode="r").read()


@pytest.mark.parametrize("name", ["someone-elses-file.csv", "tmpabcdef12", ".", ""])
def test_a_confirm_names_only_a_file_an_upload_wrote(curator_client, name, tmp_path, monkeypatch):
    """The posted name is the client's: a file in the temporary folder that no upload wrote is
    neither read nor removed."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "someone-elses-file.csv").write_text(new_file({}))
    (tmp_path / "tmpabcdef12").write_text(new_file({}))
    before = snapshot()
    response = curator_client.post(PROCESS, {"import_file_name": name or "x/", "original_file_name": "services.csv",
                                             "format": "0", "resource": "0"})
    assert response.status_code == 302 and response.url == IMPORT
    assert snapshot() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["someone-elses-file.csv", "tmpabcdef12"]


@pytest.mark.parametrize("chosen", ["abc", "7", "-1", "", "٠"])
def test_a_forged_format_on_confirm_is_answered_not_a_500(curator_client, chosen):
    preview = upload(curator_client, new_file({}))
    form = preview.context["confirm_form"]
    body = {name: form.initial[name] for name in ("import_file_name", "original_file_name", "resource")}
    body["format"] = chosen
    before = snapshot()
    response = curator_client.post(PROCESS, body)
    assert response.status_code == 302 and response.url == IMPORT
    assert snapshot() == before
