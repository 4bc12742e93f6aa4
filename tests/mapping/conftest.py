"""Fixtures for the map and needs tests."""
import pytest

from directory.models import Focus, Level, Service, Status
from mapping.models import District


@pytest.fixture
def draft_specialised_in_hodge_hill(db):
    """A draft service (never counted or shown) that covers only Hodge Hill."""
    published = Service.objects.published().select_related("organisation").first()
    service = Service.objects.create(
        organisation=published.organisation, name="Draft Hodge Hill service", slug="draft-hodge-hill-service",
        status=Status.DRAFT, summary="Not yet checked.", focus=Focus.SPECIALISED, coverage_type="districts",
    )
    service.levels.set(Level.objects.filter(code="specialist"))
    service.coverage_districts.set(District.objects.filter(slug="hodge-hill"))
    return service
