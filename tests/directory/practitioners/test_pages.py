"""The start page and the about page."""
import pytest
from django.urls import reverse

from directory.models import Service

pytestmark = pytest.mark.django_db


def test_the_start_page_counts_only_published_services(client, django_assert_num_queries):
    Service.objects.filter(slug="acacia").update(status="draft")
    with django_assert_num_queries(3):  # the content version, the count, the lists (levels for the explanation)
        response = client.get(reverse("directory:home"))
    assert response.status_code == 200
    assert "Browse all 24 services" in response.content.decode()


def test_the_start_page_explains_level_and_focus(client):
    text = client.get(reverse("directory:home")).content.decode()
    assert "Specialist.</strong> Needs a specialist skill set" in text
    assert "Specialised.</strong> Works directly on the relationship between parent and baby." in text


def test_the_about_page_attributes_the_open_data(client):
    text = client.get(reverse("directory:about")).content.decode()
    assert "Contains Royal Mail data &copy; Royal Mail copyright and database right 2025." in text
    assert "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/" in text


@pytest.mark.parametrize("path", ["/", "/about/", "/search/", "/services/acacia/", "/shortlist/", "/map/", "/needs/",
                                  "/map/districts.geojson"])
def test_pages_answer_head_and_refuse_post(client, path):
    assert client.head(path).status_code == 200
    assert client.post(path).status_code == 405


def test_an_unknown_page_gets_the_sites_own_not_found_page(client):
    response = client.get("/services/no-such-service/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()
    assert "Find a service" in response.content.decode()


def test_a_form_without_its_csrf_token_gets_a_plain_words_page(curator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("directory:shortlist-change"), {"action": "clear"})
    assert response.status_code == 403
    assert "Sorry, that form had expired" in response.content.decode()


def test_the_server_error_page_renders_without_a_request():
    from django.template.loader import render_to_string

    assert "Sorry, there is a problem with the service" in render_to_string("500.html")


def test_the_examples_the_pages_give_find_something(client):
    from mapping.postcodes import postcode_lookup

    search = client.get(reverse("directory:search")).content.decode()
    assert "For example: bonding, peer support, domestic abuse" in search
    for words in ["bonding", "peer support", "domestic abuse"]:
        assert client.get(reverse("directory:search"), {"q": words}).context["results"].count >= 1, words
    assert postcode_lookup("B8 1AA").found
