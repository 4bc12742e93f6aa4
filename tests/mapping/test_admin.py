"""Curators edit the needs model's parameters in the admin; the needs page follows."""
import pytest
from django.urls import reverse

from mapping.models import NeedsModelSettings

pytestmark = pytest.mark.django_db


def form_data(settings, **changes):
    fields = ["disorganised_percent", "disorganised_source", "insecure_percent", "insecure_source", "demand_percent",
              "demand_source", "already_seen_percent", "already_seen_source", "caseload", "caseload_source"]
    return {**{name: getattr(settings, name) for name in fields}, **changes}


def test_it_lets_a_curator_change_the_caseload_and_the_needs_page_follows(curator_client):
    settings = NeedsModelSettings.objects.get()
    url = reverse("admin:mapping_needsmodelsettings_change", args=[settings.pk])
    page = curator_client.get(url)
    assert page.status_code == 200
    assert "How many families one full-time specialised practitioner can see in a year" in page.content.decode()
    response = curator_client.post(url, form_data(settings, caseload=40, caseload_source="Local pilot, 2025."))
    assert response.status_code == 302
    needs = curator_client.get(reverse("mapping:needs")).content.decode()
    assert 'data-practitioners="total">61</td>' in needs
    assert "Local pilot, 2025." in needs


def test_it_refuses_a_caseload_of_zero_in_the_admin(curator_client):
    settings = NeedsModelSettings.objects.get()
    url = reverse("admin:mapping_needsmodelsettings_change", args=[settings.pk])
    response = curator_client.post(url, form_data(settings, caseload=0, insecure_percent="-1"))
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1" in response.content.decode()
    assert NeedsModelSettings.objects.get().caseload == 52


def test_it_keeps_one_row_of_settings(curator_client):
    assert curator_client.get(reverse("admin:mapping_needsmodelsettings_add")).status_code == 403
    settings = NeedsModelSettings.objects.get()
    assert curator_client.get(reverse("admin:mapping_needsmodelsettings_delete", args=[settings.pk])).status_code == 403


def test_it_lists_the_settings_for_curators(curator_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        response = curator_client.get(reverse("admin:mapping_needsmodelsettings_changelist"))
    assert response.status_code == 200
    settings = NeedsModelSettings.objects.get()
    assert list(response.context["cl"].result_list) == [settings]
    assert f'href="{reverse("admin:mapping_needsmodelsettings_change", args=[settings.pk])}"' in response.content.decode()
