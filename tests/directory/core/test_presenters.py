"""Shared presenters (directory/core/presenters.py): where a service works, written by one rule
(`coverage_text`) for practitioners and, in their own words, for parents; a baby's ages; how to refer."""
import pytest

from directory.core.presenters import age_range_text, coverage_text, how_to_refer_line
from directory.models import AgeRange, CoverageType, ReferralRoute, Referrer, Service
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


# --- Ages: the months and the source's words (issue 21) ------------------------------------------

def ages(start, end, words="", age_range=AgeRange.RANGE):
    return age_range_text(Service(age_range=age_range, age_from_months=start, age_to_months=end, age_words=words))


@pytest.mark.parametrize("start, end, shown", [
    (0, 59, "From birth to 5 years"),  # "0-5 years": up to the fifth birthday, never "to 6 years"
    (0, 23, "From birth to 2 years"),  # "under 2 years"
    (-9, 11, "From pregnancy to 1 year"),  # "antenatal to age 12 months"
    (-9, 23, "From pregnancy to 2 years"),  # "the first 1001 days"
    # "pre-birth" is stored -9..0 (docs/adr/0018): it ends at birth, and no month after birth is claimed.
    (-9, 0, "From pregnancy to birth"),
    (-9, -1, "During pregnancy"),
    (-3, -1, "From 6 months pregnant to birth"),
    (-3, 0, "From 6 months pregnant to birth"),
    (0, 0, "From birth to 1 month"),
    (-9, 12, "From pregnancy to 13 months"),
    (6, 29, "From 6 months to 2 years 6 months"),
])
def test_practitioners_read_ages_from_the_months_when_no_words_are_recorded(start, end, shown):
    assert ages(start, end) == shown


@pytest.mark.parametrize("words, shown", [
    ("pregnancy to 28 days after birth", "From pregnancy to 28 days after birth"),
    ("  Pregnancy to 28 days   after birth. ", "From Pregnancy to 28 days after birth"),
    ("birth to 6 weeks", "From birth to 6 weeks"),
    ("from conception to 28 days", "From conception to 28 days"),
    ("under 5s", "Under 5s"),
])
def test_the_sources_words_are_shown_instead_of_the_months(words, shown):
    assert ages(-9, 0, words) == shown


def test_words_never_hide_that_a_range_is_not_recorded_or_any_age():
    assert ages(None, None, "pregnancy to 28 days after birth", AgeRange.NOT_STATED) == "Age range not recorded"
    assert ages(None, None, "pregnancy to 28 days after birth", AgeRange.ANY) == "Any age"


# --- How to refer, in no stronger words than the routes (issue 21) --------------------------------

@pytest.fixture
def routes():
    """A service whose routes each test sets."""
    service = Service.objects.get(slug="acacia")

    def set_routes(*referrers, professions=""):
        ReferralRoute.objects.filter(service=service).delete()
        for order, referrer in enumerate(referrers):
            ReferralRoute.objects.create(service=service, referrer=referrer, professions=professions, order=order)
        return how_to_refer_line(Service.objects.prefetch_related("referral_routes").get(pk=service.pk))

    return set_routes


def test_a_professional_route_says_referral_by_a_professional_not_only(routes):
    assert routes(Referrer.PROFESSIONAL) == "Referral by a professional."
    assert routes(Referrer.PROFESSIONAL, professions="GP, midwife") == "Referral by a professional (GP, midwife)."


def test_every_mix_of_routes_is_said_as_recorded(routes):
    assert routes() == "How to refer is not recorded yet."
    assert routes(Referrer.SELF) == "Families can contact the service themselves."
    assert routes(Referrer.SELF, Referrer.PROFESSIONAL) == (
        "Families can contact the service themselves, or a professional can refer.")
    assert routes(Referrer.AUTOMATIC) == "Offered to every family."
    # Offered to every family, and another way in: both are said, every family's first.
    assert routes(Referrer.AUTOMATIC, Referrer.PROFESSIONAL) == "Offered to every family. Referral by a professional."
    assert routes(Referrer.SELF, Referrer.AUTOMATIC) == (
        "Offered to every family. Families can contact the service themselves.")
    for referrers in ([Referrer.PROFESSIONAL], [Referrer.AUTOMATIC, Referrer.PROFESSIONAL], [Referrer.SELF]):
        assert "only" not in routes(*referrers)
