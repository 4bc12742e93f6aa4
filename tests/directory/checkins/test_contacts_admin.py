"""Issue 20, item 1: each service's private check-in contact. IMHSG editors set it (on the
service's page or in "Check-in contacts"); viewers read the list; organisation editors never
see it, in any form, list, filter, history or proposal."""
import pytest
from django.urls import reverse

from directory.models import CheckInContact, PendingChange, Service
from tests.directory.curation.admin_forms import admin_url, as_user, change_form_post

pytestmark = pytest.mark.django_db

NAME, EMAIL = "Zebedee Contactperson", "zebedee.private@example.org"


def acacia():
    return Service.objects.get(slug="acacia")


def service_page(client, service=None):
    return client.get(admin_url("directory_service_change", (service or acacia()).pk))


def test_an_imhsg_editor_sets_the_contact_on_the_service_page_and_is_recorded_as_its_author(client, imhsg_editor):
    as_user(client, imhsg_editor)
    page = service_page(client)
    html = page.content.decode()
    assert "Check-in contact (private)" in html and "Never shown on the public pages" in html
    data = change_form_post(page, **{"checkin_contact-0-name": NAME, "checkin_contact-0-email": EMAIL})
    response = client.post(admin_url("directory_service_change", acacia().pk), data)
    assert response.status_code == 302
    contact = CheckInContact.objects.get(service=acacia())
    assert (contact.name, contact.email, contact.updated_by) == (NAME, EMAIL, imhsg_editor)
    # Changed again, by someone else: the author follows.
    from directory.curation.roles import IMHSG_EDITORS
    from django.contrib.auth.models import Group
    from django.contrib.auth import get_user_model

    other = get_user_model().objects.create_user("ed", "ed@example.org", "a-long-password-for-tests", is_staff=True)
    other.groups.add(Group.objects.get(name=IMHSG_EDITORS))
    as_user(client, other)
    page = service_page(client)
    assert EMAIL in page.content.decode()
    client.post(admin_url("directory_service_change", acacia().pk),
                change_form_post(page, **{"checkin_contact-0-email": "zeb2@example.org"}))
    contact.refresh_from_db()
    assert (contact.email, contact.updated_by) == ("zeb2@example.org", other)


def test_a_bad_email_is_refused_beside_the_field_and_nothing_is_saved(client, imhsg_editor):
    as_user(client, imhsg_editor)
    page = service_page(client)
    response = client.post(admin_url("directory_service_change", acacia().pk),
                           change_form_post(page, **{"checkin_contact-0-name": NAME,
                                                     "checkin_contact-0-email": "not an address"}))
    assert response.status_code == 200 and "Enter a valid email address" in response.content.decode()
    assert not CheckInContact.objects.exists()


@pytest.fixture
def contact():
    return CheckInContact.objects.create(service=acacia(), name=NAME, email=EMAIL)


def test_organisation_editors_never_see_the_contact_and_cannot_write_it(client, contact, acacia_editor):
    as_user(client, acacia_editor)
    page = service_page(client)
    html = page.content.decode()
    assert page.status_code == 200
    assert NAME not in html and EMAIL not in html and "checkin_contact" not in html and "Check-in" not in html
    # A forged contact in their POST: held change of the summary only, the contact untouched.
    data = change_form_post(page, summary="A summary Omar proposes.")
    data.update({"checkin_contact-TOTAL_FORMS": "1", "checkin_contact-INITIAL_FORMS": "1",
                 "checkin_contact-0-id": str(contact.pk), "checkin_contact-0-service": str(acacia().pk),
                 "checkin_contact-0-name": "Forged", "checkin_contact-0-email": "forged@example.org"})
    client.post(admin_url("directory_service_change", acacia().pk), data)
    contact.refresh_from_db()
    assert (contact.name, contact.email) == (NAME, EMAIL)
    change = PendingChange.objects.get(service=acacia())
    assert "forged" not in str(change.changes).lower() and "checkin" not in str(change.changes)
    # Nor in the history, the list, its filters, or the contacts' own pages.
    for url in (admin_url("directory_service_history", acacia().pk), admin_url("directory_service_changelist"),
                admin_url("directory_service_changelist") + "?missing=checkin_contact"):
        text = client.get(url).content.decode()
        assert NAME not in text and EMAIL not in text and "Check-in contact" not in text, url
    assert client.get(admin_url("directory_checkincontact_changelist")).status_code == 403
    assert client.get(admin_url("directory_checkincontact_change", contact.pk)).status_code in (302, 403)


def test_after_an_imhsg_editor_sets_it_the_history_an_organisation_editor_reads_has_no_trace(
        client, imhsg_editor, acacia_editor):
    as_user(client, imhsg_editor)
    page = service_page(client)
    client.post(admin_url("directory_service_change", acacia().pk),
                change_form_post(page, **{"checkin_contact-0-name": NAME, "checkin_contact-0-email": EMAIL}))
    assert CheckInContact.objects.filter(service=acacia()).exists()
    as_user(client, acacia_editor)
    history = client.get(admin_url("directory_service_history", acacia().pk)).content.decode()
    assert NAME not in history and EMAIL not in history
    for row in acacia().history.order_by("-history_id")[:2]:
        version = client.get(admin_url("directory_service_simple_history", acacia().pk, row.history_id))
        assert NAME not in version.content.decode() and EMAIL not in version.content.decode()


def test_viewers_read_the_contacts_list_but_not_on_the_service_page_and_cannot_write(client, contact, viewer):
    as_user(client, viewer)
    assert EMAIL not in service_page(client).content.decode()
    listing = client.get(admin_url("directory_checkincontact_changelist"))
    assert listing.status_code == 200 and EMAIL in listing.content.decode()
    detail = client.get(admin_url("directory_checkincontact_change", contact.pk))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    response = client.post(admin_url("directory_checkincontact_change", contact.pk),
                           {"name": "Viewer's", "email": "v@example.org"})
    assert response.status_code == 403
    assert client.post(admin_url("directory_checkincontact_add"),
                       {"service": acacia().pk, "name": "x", "email": "x@example.org"}).status_code == 403
    contact.refresh_from_db()
    assert contact.name == NAME and CheckInContact.objects.count() == 1


def test_an_imhsg_editor_adds_a_contact_in_the_list_one_per_service(client, contact, imhsg_editor):
    as_user(client, imhsg_editor)
    nbn = Service.objects.get(slug="new-baby-network")
    response = client.post(admin_url("directory_checkincontact_add"),
                           {"service": nbn.pk, "name": "Nell", "email": "nell@example.org"})
    assert response.status_code == 302
    assert CheckInContact.objects.get(service=nbn).updated_by == imhsg_editor
    again = client.post(admin_url("directory_checkincontact_add"),
                        {"service": acacia().pk, "name": "Second", "email": "second@example.org"})
    assert again.status_code == 200 and "already exists" in again.content.decode()
    assert CheckInContact.objects.get(service=acacia()).name == NAME


def test_the_contacts_list_runs_a_fixed_number_of_queries(client, imhsg_editor, django_assert_num_queries):
    for service in Service.objects.order_by("pk")[:6]:
        CheckInContact.objects.create(service=service, name=f"Person at {service.slug}", email="p@example.org",
                                      updated_by=imhsg_editor)
    as_user(client, imhsg_editor)
    with django_assert_num_queries(7):  # session, user, groups, permissions; count, total, rows
        assert client.get(admin_url("directory_checkincontact_changelist")).status_code == 200


def test_the_missing_filter_lists_services_without_a_contact_for_the_imhsg(client, contact, imhsg_editor):
    as_user(client, imhsg_editor)
    listing = client.get(admin_url("directory_service_changelist") + "?missing=checkin_contact")
    slugs = {s.slug for s in listing.context["cl"].result_list}
    assert "acacia" not in slugs and len(slugs) == Service.objects.count() - 1
    assert "Check-in contact" in client.get(admin_url("directory_service_changelist")).content.decode()
    assert reverse("admin:directory_checkincontact_changelist") in client.get(reverse("admin:index")).content.decode()
