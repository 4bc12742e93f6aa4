"""The start page and the about page."""
import pytest
from django.urls import reverse

from directory.models import Service

pytestmark = pytest.mark.django_db


def test_the_start_page_counts_only_published_services(client, django_assert_num_queries):
    Service.objects.filter(slug="acacia").update(status="draft")
    with django_assert_num_queries(2):  # the count, and the levels for the explanation
        response = client.get(reverse("directory:home"))
    assert response.status_code == 200
    assert "Browse all 24 services" in response.content.decode()


def test_the_start_page_explains_level_and_focus(client):
    text = client.get(reverse("directory:home")).content.decode()
    assert "Specialist</strong>: needs a specialist skill set" in text
    assert "Specialised</strong>: works directly on the relationship between parent and baby." in text


def test_the_about_page_attributes_the_open_data(client):
    text = client.get(reverse("directory:about")).content.decode()
    assert "Contains Royal Mail data &copy; Royal Mail copyright and database right 2025." in text
    assert "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" in text
