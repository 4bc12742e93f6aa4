"""Issue 20, item 7 (c) and (d): a service's history page lists the changes to its referral routes
and venues in words, with who and when; and no admin page says "None" where a reason, a person
or a value is empty."""
import html as html_lib
import re

import pytest

from directory.curation.history import related_changes
from directory.models import ChangeStatus, PendingChange, ReferralRoute, Service, ServiceAtLocation, Venue
from tests.directory.curation.admin_forms import admin_url, as_user, change_form_post, propose

pytestmark = pytest.mark.django_db


def acacia():
    return Service.objects.get(slug="acacia")


def history_page(client, service):
    response = client.get(admin_url("directory_service_history", service.pk))
    assert response.status_code == 200
    return response.content.decode()


def related_section(html):
    return html.split('id="related-history"', 1)[1]


def visible_text(html):
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).replace(" ,", ",").replace(" .", ".")


def test_a_route_edited_on_the_service_page_shows_in_the_services_history_with_who_and_when(client, imhsg_editor):
    service = acacia()
    route = service.referral_routes.order_by("pk").first()
    assert route is not None
    as_user(client, imhsg_editor)
    page = client.get(admin_url("directory_service_change", service.pk))
    prefix = next(f.prefix for inline in page.context["inline_admin_formsets"] for f in inline.formset.forms
                  if f.instance.pk == route.pk)
    response = client.post(admin_url("directory_service_change", service.pk),
                           change_form_post(page, **{f"{prefix}-waiting_time": "About six weeks (history test)"}))
    assert response.status_code == 302
    said = visible_text(related_section(history_page(client, service)))
    assert "Changed the referral route" in said and "by ellie on" in said
    assert "Typical waiting time:" in said and "About six weeks (history test)" in said


def test_a_venue_added_and_removed_and_a_shared_venue_changed_are_listed(client, imhsg_editor):
    service = acacia()
    venue = Venue.objects.create(name="Test Hall (history)", postcode="B1 1AA")
    link = ServiceAtLocation(service=service, venue=venue)
    link._history_user = imhsg_editor
    link.save()
    venue.address, venue._history_user, venue._change_reason = "1 Test Street", imhsg_editor, "Address checked"
    venue.save()
    ServiceAtLocation.objects.get(pk=link.pk).delete()  # as a command would: nobody signed in
    said = visible_text(related_section(history_page(as_user(client, imhsg_editor), service)))
    assert "Added the venue 'Test Hall (history)', by ellie on" in said
    assert "Changed details of the venue 'Test Hall (history) (B1 1AA)', by ellie on" in said
    assert "Reason: Address checked" in said and "Address: (empty) → 1 Test Street" in said
    assert "Removed the venue 'Test Hall (history)', by the system on" in said
    # Newest first: the removal before the addition.
    assert said.index("Removed the venue") < said.index("Added the venue")


def test_the_routes_and_venues_history_is_read_in_four_queries_however_long(imhsg_editor, django_assert_num_queries):
    service = acacia()
    venue = Venue.objects.create(name="Another Hall (history)", postcode="B1 1AA")
    for n in range(5):
        route = ReferralRoute(service=service, referrer="self", waiting_time=f"{n} weeks")
        route._history_user = imhsg_editor
        route.save()
        route.waiting_time = f"{n + 1} weeks"
        route.save()
    ServiceAtLocation.objects.create(service=service, venue=venue)
    with django_assert_num_queries(4):  # routes', venue rows', venues' history; their people
        entries, total = related_changes(service)
    assert total >= 11 and sum(e.what.startswith("Changed the referral route") for e in entries) == 5


def test_the_history_page_adds_no_query_per_route_or_venue_change(client, imhsg_editor, django_assert_num_queries):
    service = acacia()
    as_user(client, imhsg_editor)
    history_page(client, service)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        history_page(client, service)
    for n in range(5):
        ReferralRoute.objects.create(service=service, referrer="professional", professions=f"Midwife {n}")
    with django_assert_num_queries(len(before.captured_queries)):
        html = history_page(client, service)
    assert html.count("Added the referral route") >= 5


def test_no_none_where_a_reason_a_person_or_a_value_is_empty(client, imhsg_editor, viewer, acacia_editor):
    service = acacia()
    # A version with no reason and no person (a command's save), a route with an empty field filled.
    service.summary = service.summary + " (no-none test)"
    service.save()
    route = ReferralRoute.objects.create(service=service, referrer="self")
    route.contact = "someone@example.org"
    route.save()
    # A proposal still waiting: no reason yet, nobody has decided.
    page_client = as_user(client, acacia_editor)
    propose(page_client, service, summary="A summary proposed for the no-none test.")
    change = PendingChange.objects.filter(service=service, status=ChangeStatus.PENDING).latest("pk")
    # A suggestion with no name, e-mail or curator's reason.
    from directory.suggestions.handling import suggestion_create

    suggestion = suggestion_create(service=service, text="The phone number has changed (no-none test).")
    pages = [
        admin_url("directory_suggestion_change", suggestion.pk),
        admin_url("directory_service_history", service.pk),
        admin_url("directory_referralroute_history", route.pk),
        admin_url("directory_service_review_change", service.pk, change.pk),
        admin_url("directory_pendingchange_changelist"),
        admin_url("directory_pendingchange_change", change.pk),
        admin_url("directory_service_change", service.pk),
        admin_url("directory_service_compare", service.pk),
        admin_url("directory_suggestion_changelist"),
    ]
    as_user(client, imhsg_editor)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode().split('id="content"', 1)[-1])
        assert not re.search(r"\bNone\b", text), f"{url} says None: ...{text[max(0, text.find('None') - 120):text.find('None') + 60]}..."
