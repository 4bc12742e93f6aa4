"""The developers' page, linked from /about/."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_about_page_links_to_the_developers_page(client):
    assert reverse("api:docs") in client.get(reverse("directory:about")).content.decode()


def test_the_developers_page_explains_the_api(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("api:docs"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Open data: the Open Referral API</h1>" in text
    for address in ("/api/services", "/api/openapi.json", "/api/taxonomies", "x_provenance", "If-None-Match"):
        assert address in text
