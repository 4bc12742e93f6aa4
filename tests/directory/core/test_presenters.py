"""Where a service works, written by one rule (directory/core/presenters.py `coverage_text`) for
practitioners and, in their own words, for parents."""
import pytest

from directory.core.presenters import coverage_text
from directory.models import CoverageType, Service
from directory.parents.presenters import where_text
from mapping.models import District

pytestmark = pytest.mark.django_db


def test_practitioners_and_parents_place_a_service_by_the_same_rule():
    service = Service.objects.get(slug="acacia")
    service.coverage_type = CoverageType.CITY_WIDE
    assert (coverage_text(service), where_text(service)) == ("City-wide", "All of Birmingham")
    service.coverage_type = CoverageType.DISTRICTS
    service.save()
    service.coverage_districts.set([])
    assert (coverage_text(service), where_text(service)) == ("Districts not recorded", "Ask them where they work")
    service.coverage_districts.set(District.objects.filter(name__in=["Hodge Hill", "Yardley"]))
    assert coverage_text(service) == where_text(service) == "Hodge Hill, Yardley"
    service.coverage_type, service.locality = CoverageType.LOCALITY, "Kings Heath"
    service.locality_district = District.objects.get(name="Hall Green")
    assert coverage_text(service) == where_text(service) == "Kings Heath (Hall Green)"
    service.locality_district = None
    assert coverage_text(service) == where_text(service) == "Kings Heath"
