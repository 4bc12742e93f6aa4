"""Issue 18: the admin home shows the "Curation dashboard" link only to those who may open the
dashboard (directory/admin_curation.dashboard_view): organisation editors were shown a link
that answered a bare 403."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LINK = f'<a href="{reverse("curation-dashboard")}">Curation dashboard</a>'


def home_and_dashboard(client, user):
    client.force_login(user)
    home = client.get(reverse("admin:index"))
    assert home.status_code == 200
    return LINK in home.content.decode(), client.get(reverse("curation-dashboard")).status_code


def test_an_imhsg_editor_sees_the_link_and_opens_the_dashboard(client, imhsg_editor):
    assert home_and_dashboard(client, imhsg_editor) == (True, 200)


def test_a_viewer_sees_the_link_and_opens_the_dashboard(client, viewer):
    assert home_and_dashboard(client, viewer) == (True, 200)


def test_an_organisation_editor_sees_no_link_to_a_dashboard_they_may_not_open(client, acacia_editor):
    assert home_and_dashboard(client, acacia_editor) == (False, 403)


def test_a_superuser_sees_the_link_and_opens_the_dashboard(client, django_user_model):
    superuser = django_user_model.objects.create_superuser("sue", "sue@example.org", "a-long-password-for-tests")
    assert home_and_dashboard(client, superuser) == (True, 200)


def test_staff_who_may_not_view_services_see_no_link(client, django_user_model):
    staff = django_user_model.objects.create_user("stan", "stan@example.org", "a-long-password-for-tests", is_staff=True)
    assert home_and_dashboard(client, staff) == (False, 403)


def test_an_organisation_editor_who_is_also_a_viewer_is_told_the_truth(client, acacia_editor):
    """Two roles at once: the dashboard's rule (an organisation editor's reach is their own
    services) decides, and the link follows it, whatever it is."""
    from django.contrib.auth.models import Group

    from directory.curation.roles import VIEWERS

    acacia_editor.groups.add(Group.objects.get(name=VIEWERS))
    # directory/curation/roles.py: an organisation editor's reach is their own services, whatever
    # other group they are in, so the dashboard refuses them and the home page does not link to it.
    assert home_and_dashboard(client, acacia_editor) == (False, 403)
