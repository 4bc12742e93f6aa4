"""No private field, draft, archived service or pending change appears in any API response."""
import pytest

from directory.models import PendingChange
from directory.models import Service, ServiceAtLocation
from directory.models import Fact
from tests.directory.openreferral.api.conftest import all_pages

pytestmark = pytest.mark.django_db
MARKERS = ["PRIVATE-NOTE-7731", "cara@example.org", "DRAFT-SERVICE-7731", "ARCHIVED-SERVICE-7731",
           "PENDING-CHANGE-7731", "FACT-NOTE-7731", "a-long-curator-password"]


@pytest.fixture
def secrets(curator):
    services = list(Service.objects.published().order_by("pk"))
    Service.objects.filter(pk=services[0].pk).update(curator_notes="PRIVATE-NOTE-7731", owner=curator)
    Service.objects.filter(pk=services[1].pk).update(status="draft", name="DRAFT-SERVICE-7731")
    Service.objects.filter(pk=services[2].pk).update(status="archived", name="ARCHIVED-SERVICE-7731")
    with_venue = ServiceAtLocation.objects.filter(service__status="published").first().service
    Service.objects.filter(pk=with_venue.pk).update(curator_notes="PRIVATE-NOTE-7731")
    Fact.objects.filter(service=services[0]).update(note="FACT-NOTE-7731")
    PendingChange.objects.create(service=services[0], submitted_by=curator,
                                 data={"name": "PENDING-CHANGE-7731"})
    return services


def every_response(client, api):
    bodies = []
    for path in ("/api/", "/api/openapi.json", "/api/services", "/api/service_at_locations", "/api/taxonomies",
                 "/api/taxonomy_terms"):
        bodies.append(client.get(path + ("?per_page=200" if path.count("/") == 2 and path != "/api/" else "")).content)
    for item in all_pages(api, "/api/services"):
        bodies.append(client.get(f"/api/services/{item['id']}").content)
    for item in all_pages(api, "/api/service_at_locations"):
        bodies.append(client.get(f"/api/service_at_locations/{item['id']}").content)
    for item in all_pages(api, "/api/taxonomies"):
        bodies.append(client.get(f"/api/taxonomies/{item['id']}").content)
    return [body.decode() for body in bodies]


def test_no_private_field_appears_anywhere(client, api, secrets):
    bodies = every_response(client, api)
    assert len(bodies) > 30
    for body in bodies:
        for marker in MARKERS:
            assert marker not in body
        for name in ("curator_notes", "next_review_due", "owner", "pending", "confirmed_by", '"note"'):
            assert name not in body.replace("x_", "")  # no private field name, not even empty


def test_draft_and_archived_services_are_in_no_list_or_detail(client, api, secrets):
    ids = {item["id"] for item in all_pages(api, "/api/services")}
    for service in secrets[1:3]:
        assert str(service.uuid) not in ids
        assert client.get(f"/api/services/{service.uuid}").status_code == 404
    assert len(ids) == Service.objects.published().count()
