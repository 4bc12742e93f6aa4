"""Exports at size (issue 26, item 3; docs/adr/0027): the curators' three CSV files and the public
/services.csv are streamed row by row, say exactly what the library's in-memory export said, and
run a number of queries that does not grow with the rows.

Ellie is an IMHSG editor; Vic a viewer; Omar edits for Acacia Family Support."""
import csv
import io

import pytest
from django.urls import reverse

from directory.core import exports
from directory.curation.bulk import COLUMNS, ServiceResource
from directory.curation.bulk_routes import RouteResource, VenueResource
from directory.models import ReferralRoute, Service, ServiceAtLocation, Status, Venue
from directory.practitioners.csv import PublicServiceResource

pytestmark = pytest.mark.django_db

EXPORT = reverse("admin:directory_service_export")
KINDS = {"0": ServiceResource, "1": RouteResource, "2": VenueResource}


def every_column(kind):
    resource = KINDS[kind]
    return {f"{resource.__name__.lower()}_{column}": "on" for column in resource.COLUMNS}


def export(client, kind, url=EXPORT):
    return client.post(url, {"format": "0", "resource": kind, **every_column(kind)})


def add_services(count):
    """`count` published services, each with two routes and a venue, like the seed's."""
    template = Service.objects.published().get(slug="breaking-the-cycle")
    levels, venue = list(template.levels.all()), Venue.objects.first()
    for i in range(count):
        service = Service.objects.create(organisation=template.organisation, name=f"Extra {i:03}", slug=f"extra-{i}",
                                         status=Status.DRAFT, summary="S", focus=template.focus)
        service.levels.set(levels)
        ReferralRoute.objects.create(service=service, referrer="self")
        ReferralRoute.objects.create(service=service, referrer="professional", professions="GP")
        ServiceAtLocation.objects.create(service=service, venue=venue)
        Service.objects.filter(pk=service.pk).update(status=Status.PUBLISHED)


@pytest.mark.parametrize("kind", list(KINDS))
def test_it_streams_each_of_the_curators_files_with_the_rows_of_the_list(client, imhsg_editor, kind):
    client.force_login(imhsg_editor)
    add_services(3)
    response = export(client, kind)
    assert response.status_code == 200
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8"))))
    expected = {"0": Service.objects.count(), "1": ReferralRoute.objects.count(),
                "2": ServiceAtLocation.objects.count()}[kind]
    assert len(rows) == expected
    assert list(rows[0]) == list(KINDS[kind].COLUMNS)


@pytest.mark.parametrize("resource, queryset", [
    (ServiceResource, lambda: ServiceResource().get_queryset()),
    (RouteResource, lambda: RouteResource().get_queryset()),
    (VenueResource, lambda: VenueResource().get_queryset()),
    (lambda: PublicServiceResource(base_url="https://example.org"), PublicServiceResource.queryset),
])
def test_it_writes_exactly_what_the_librarys_export_wrote(resource, queryset):
    """The same header, cells, escaping and line ends, so a re-import of an export changes nothing."""
    Service.objects.filter(slug="acacia").update(summary='=HYPERLINK("http://evil")', phone="+44 121 496 0000")
    add_services(3)
    streamed = "".join(exports.csv_lines(resource(), queryset(), chunk_size=7))  # several chunks, one partly full
    assert streamed == resource().export(queryset()).csv
    assert "'=HYPERLINK" in streamed or resource is RouteResource or resource is VenueResource


def test_it_exports_only_the_chosen_columns(client, imhsg_editor):
    client.force_login(imhsg_editor)
    response = client.post(EXPORT, {"format": "0", "resource": "0", "serviceresource_slug": "on",
                                    "serviceresource_name": "on"})
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8"))))
    assert list(rows[0]) == ["slug", "name"] and len(rows) == Service.objects.count()


def test_it_exports_the_filtered_list_only(client, imhsg_editor):
    client.force_login(imhsg_editor)
    Service.objects.filter(slug="acacia").update(status=Status.DRAFT)
    response = export(client, "0", url=EXPORT + "?status__exact=draft")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8"))))
    assert [row["slug"] for row in rows] == ["acacia"]


@pytest.mark.parametrize("extra", [3, 30])
def test_the_curators_export_runs_a_number_of_queries_that_does_not_grow_with_the_rows(
        client, imhsg_editor, django_assert_num_queries, extra):
    client.force_login(imhsg_editor)
    add_services(extra)
    client.get(reverse("admin:index"))  # the session and content types, read once
    # Session, user, the user's permissions (2), the list's filters' choices (levels, districts,
    # needs, organisations: the export reads the filtered list), then the services and 6 prefetches.
    with django_assert_num_queries(15):
        export(client, "0").getvalue()


@pytest.mark.parametrize("extra", [3, 30])
def test_the_public_csv_runs_a_number_of_queries_that_does_not_grow_with_the_rows(
        client, django_assert_num_queries, extra):
    add_services(extra)
    with django_assert_num_queries(9):  # the content version, the services, 7 prefetches
        client.get(reverse("directory:services-csv")).getvalue()


def test_the_public_csv_is_streamed_and_keeps_drafts_and_private_notes_out(client):
    Service.objects.filter(slug="acacia").update(status=Status.DRAFT, curator_notes="PRIVATE-NOTE")
    response = client.get(reverse("directory:services-csv"))
    assert response.streaming
    text = response.getvalue().decode("utf-8")
    assert "PRIVATE-NOTE" not in text and "Acacia," not in text
    assert len(list(csv.DictReader(io.StringIO(text)))) == Service.objects.published().count()


def test_an_organisation_editor_still_cannot_export(client, acacia_editor):
    client.force_login(acacia_editor)
    assert export(client, "0").status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_a_viewer_may_export_every_column_as_before(client, viewer):
    client.force_login(viewer)
    response = export(client, "0")
    assert response.status_code == 200 and response.streaming
    header = next(csv.reader(io.StringIO(response.getvalue().decode("utf-8"))))
    assert "curator_notes" in header and set(header) == set(COLUMNS)
