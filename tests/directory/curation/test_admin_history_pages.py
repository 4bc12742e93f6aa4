"""Issue 18 (found by tests/test_admin_inline.py): templates/admin/directory/object_history.html is
picked by Django for the history page of every model in the directory app, and linked to a
compare view only the models with django-simple-history records have: the others gave a 500."""
import pytest

from directory.models import Language, Need, Service

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Need, Language])
def test_the_history_page_of_a_model_without_simple_history_opens(curator_client, model):
    record = model.objects.first()
    response = curator_client.get(f"/admin/directory/{model._meta.model_name}/{record.pk}/history/")
    assert response.status_code == 200
    assert "Compare two versions" not in response.content.decode()


def test_a_service_history_page_still_links_to_compare(curator_client):
    service = Service.objects.get(slug="acacia")
    response = curator_client.get(f"/admin/directory/service/{service.pk}/history/")
    assert response.status_code == 200
    assert f'<a href="/admin/directory/service/{service.pk}/history/compare/">Compare two versions</a>' in response.content.decode()
