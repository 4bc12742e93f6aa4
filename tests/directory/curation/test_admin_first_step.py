"""Issue 21: the two service fields of the citations work in the admin. `first_step` (a preferred
first route for families into other support) in "Referral", `age_words` (ages in the source's
words) in "Who it is for" beside the range. IMHSG editors change them directly; an organisation
editor's change to either waits for approval like any other field.
Personas (tests/conftest.py): Ellie, an IMHSG editor; Omar, an organisation editor for Acacia; Vic, a viewer.
"""
import pytest

from directory.models import ChangeStatus, PendingChange, Service
from tests.directory.curation.admin_forms import admin_url, as_user, change_form_post, propose

pytestmark = pytest.mark.django_db

WORDS = "pregnancy to 28 days after birth"


def acacia():
    return Service.objects.get(slug="acacia")


def change_page(client, user, service):
    response = as_user(client, user).get(admin_url("directory_service_change", service.pk))
    assert response.status_code == 200
    return response


def fieldset_fields(response, name):
    fieldset = next(fs for fs in response.context["adminform"] if fs.name == name)
    return [field.field.name for line in fieldset for field in line]


def test_an_imhsg_editor_sees_both_fields_where_they_belong_with_their_help(client, imhsg_editor):
    response = change_page(client, imhsg_editor, acacia())
    who = fieldset_fields(response, "Who it is for")
    assert who.index("age_words") == who.index("age_to_months") + 1  # right after the range's months
    assert "first_step" in fieldset_fields(response, "Referral")
    content = response.content.decode()
    assert "a first step into other support" in content.lower()
    assert "preferred first route for families into other support" in content
    assert "Shown instead of the range." in content


def test_an_imhsg_editors_change_is_saved_at_once(client, imhsg_editor):
    page = change_page(client, imhsg_editor, acacia())
    response = client.post(admin_url("directory_service_change", acacia().pk),
                           change_form_post(page, first_step="on", age_words=WORDS))
    assert response.status_code == 302
    assert (acacia().first_step, acacia().age_words) == (True, WORDS)
    assert not PendingChange.objects.exists()
    # And unticking it is a change too (an unticked box is absent from the POST).
    page = change_page(client, imhsg_editor, acacia())
    data = change_form_post(page)
    data.pop("first_step", None)
    client.post(admin_url("directory_service_change", acacia().pk), data)
    assert acacia().first_step is False


def test_an_organisation_editors_change_waits_for_approval_and_is_then_applied(client, acacia_editor, imhsg_editor):
    response = propose(as_user(client, acacia_editor), acacia(), first_step="on", age_words=WORDS)
    assert response.status_code == 302 and response["Location"] == admin_url("directory_pendingchange_changelist")
    assert (acacia().first_step, acacia().age_words) == (False, "")  # nothing live yet
    change = PendingChange.objects.get()
    assert change.changes["service"] == {"first_step": {"base": False, "new": True},
                                         "age_words": {"base": "", "new": WORDS}}
    assert "First step into other support" not in client.get(acacia().get_absolute_url()).content.decode()

    as_user(client, imhsg_editor)
    review = client.get(admin_url("directory_service_review_change", acacia().pk, change.pk))
    shown = {(c.field, c.new) for c in review.context["changes"]}
    assert ("A first step into other support", "Yes") in shown
    assert ("Ages in the source's words", WORDS) in shown
    client.post(admin_url("directory_service_review_change", acacia().pk, change.pk), {"_approve": "1"})
    assert PendingChange.objects.get().status == ChangeStatus.APPROVED
    assert (acacia().first_step, acacia().age_words) == (True, WORDS)
    assert "First step into other support" in client.get(acacia().get_absolute_url()).content.decode()


def test_a_viewer_cannot_change_either_field(client, viewer):
    response = change_page(client, viewer, acacia())
    assert "first_step" not in response.context["adminform"].form.fields
    data = {"first_step": "on", "age_words": WORDS}
    client.post(admin_url("directory_service_change", acacia().pk), data)
    assert (acacia().first_step, acacia().age_words) == (False, "")
