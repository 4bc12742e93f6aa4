"""The model's invariants hold in the database itself, not only in forms."""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from directory.models import AgeRange, Focus, Organisation, Service, Status, Venue


@pytest.fixture
def organisation():
    return Organisation.objects.create(name="Test organisation", slug="test-organisation", sector="vcs")


def make_service(organisation, **fields):
    defaults = {"organisation": organisation, "name": "A service", "slug": "a-service", "focus": Focus.ADDITIONAL,
                "summary": "Does things.", "status": Status.DRAFT}
    return Service(**{**defaults, **fields})


def assert_db_refuses(service):
    with pytest.raises(IntegrityError), transaction.atomic():
        service.save()


@pytest.mark.django_db
class TestAgeRange:
    def test_it_refuses_from_after_to(self, organisation):
        assert_db_refuses(make_service(organisation, age_range=AgeRange.RANGE, age_from_months=12, age_to_months=3))

    def test_it_refuses_a_stated_range_with_a_missing_end(self, organisation):
        assert_db_refuses(make_service(organisation, age_range=AgeRange.RANGE, age_from_months=0))

    def test_it_refuses_ages_on_a_not_stated_range(self, organisation):
        assert_db_refuses(make_service(organisation, age_range=AgeRange.NOT_STATED, age_from_months=0, age_to_months=3))

    def test_it_refuses_ages_before_conception(self, organisation):
        assert_db_refuses(make_service(organisation, age_range=AgeRange.RANGE, age_from_months=-10, age_to_months=3))

    def test_it_keeps_not_stated_distinct_from_any_age(self, organisation):
        make_service(organisation, age_range=AgeRange.ANY).save()
        make_service(organisation, slug="other", age_range=AgeRange.NOT_STATED).save()
        assert set(Service.objects.filter(organisation=organisation).values_list("age_range", flat=True)) == {"any", "not_stated"}

    def test_it_accepts_pregnancy_only(self, organisation):
        service = make_service(organisation, age_range=AgeRange.RANGE, age_from_months=-9, age_to_months=0)
        service.full_clean()
        service.save()

    def test_it_explains_a_bad_range_in_plain_words(self, organisation):
        service = make_service(organisation, age_range=AgeRange.RANGE, age_from_months=12, age_to_months=3)
        with pytest.raises(ValidationError) as error:
            service.full_clean()
        assert "'from' no later than 'to'" in str(error.value)


@pytest.mark.django_db
class TestFocusAndStatus:
    def test_it_refuses_an_unknown_focus(self, organisation):
        assert_db_refuses(make_service(organisation, focus="very"))

    def test_it_refuses_an_empty_focus(self, organisation):
        assert_db_refuses(make_service(organisation, focus=""))

    def test_it_refuses_an_unknown_status(self, organisation):
        assert_db_refuses(make_service(organisation, status="live"))

    def test_it_refuses_to_publish_without_a_summary(self, organisation):
        assert_db_refuses(make_service(organisation, status=Status.PUBLISHED, summary=""))

    def test_it_lets_a_draft_go_without_a_summary(self, organisation):
        make_service(organisation, summary="").save()


@pytest.mark.django_db
class TestPublishingProblems:
    def test_it_needs_a_route_or_a_reason(self, organisation):
        service = make_service(organisation)
        assert service.publishing_problems(0) == [
            "Add at least one referral route, or say why there is none, before publishing."
        ]
        service.no_referral_route_reason = "Not yet confirmed with the service."
        assert service.publishing_problems(0) == []
        service.no_referral_route_reason = ""
        assert service.publishing_problems(1) == []

    def test_every_seeded_published_service_meets_the_rules(self):
        for service in Service.objects.published().prefetch_related("referral_routes"):
            assert service.publishing_problems(len(service.referral_routes.all())) == [], service.name


@pytest.mark.django_db
class TestVenue:
    def test_it_takes_its_position_and_district_from_the_postcode(self):
        venue = Venue(name="Somewhere", postcode="b46nh")
        venue.full_clean()
        assert venue.postcode == "B4 6NH" and venue.district.name == "Ladywood"
        assert venue.lat == pytest.approx(52.48478) and venue.lon == pytest.approx(-1.89380)

    @pytest.mark.parametrize("postcode, message", [
        ("M1 1AE", "not find M1 1AE"), ("nonsense", "Enter a full postcode"),
    ])
    def test_it_refuses_a_postcode_it_cannot_place(self, postcode, message):
        with pytest.raises(ValidationError) as error:
            Venue(name="Somewhere", postcode=postcode).full_clean()
        assert message in str(error.value)
