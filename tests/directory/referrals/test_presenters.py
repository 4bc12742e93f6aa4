"""Issue 24: the checklist and the lists the referral page shows, from the records as they are."""
import pytest

from directory.models import AgeRange, ReferralMethod, ReferralRoute, Referrer, Service
from directory.referrals.presenters import (
    GENERAL_ITEMS, SendingView, _sentences, criteria_for, information_for,
)

pytestmark = pytest.mark.django_db


def test_criteria_text_becomes_one_line_per_line_or_per_sentence():
    assert _sentences("Lives in Birmingham.\n- Baby under 2\n\n") == ["Lives in Birmingham.", "Baby under 2"]
    assert _sentences("Mothers aged 16 or over. Baby under 12 months; Must be registered with a GP.") == [
        "Mothers aged 16 or over.", "Baby under 12 months;", "Must be registered with a GP."]
    assert _sentences("") == []


def test_a_pregnancy_only_service_and_a_parents_age_limit_are_criteria():
    service = Service.objects.get(slug="northwest-central-pre-birth-pilot")
    service.parent_min_age_years = 16
    route = service.referral_routes.get(referrer=Referrer.PROFESSIONAL)
    items = {item.id: item for item in criteria_for(service=service, route=route, similar=[])}
    assert items["age"].label == "The baby's age or stage of pregnancy fits: from pregnancy to birth."
    assert items["parent-age"].label == "The parent is aged 16 or over."
    assert items["area"].label.startswith("The family lives in the area the service covers: Northwest Central")
    assert items["criteria-1"].label == "Mothers at high risk of having their baby removed after birth."
    assert items["criteria-1"].source == "The service's acceptance criteria"


def test_an_unrecorded_age_range_is_not_a_criterion():
    service = Service.objects.get(slug="breaking-the-cycle")
    assert service.age_range == AgeRange.NOT_STATED
    route = service.referral_routes.get(referrer=Referrer.PROFESSIONAL)
    assert "age" not in [item.id for item in criteria_for(service=service, route=route, similar=[])]


def test_the_services_own_list_or_the_general_one():
    route = ReferralRoute(information_needed="  \u2022 NHS number\n\n- Reason  \n")
    items, own = information_for(route)
    assert own and [item.label for item in items] == ["NHS number", "Reason"]
    items, own = information_for(ReferralRoute())
    assert not own and [item.label for item in items] == [label for _, label, _, _ in GENERAL_ITEMS]


@pytest.mark.parametrize("method, contact, email, href", [
    (ReferralMethod.EMAIL, "referrals@example.org", "referrals@example.org", "mailto:referrals@example.org"),
    (ReferralMethod.PHONE, "referrals@example.org", "", "mailto:referrals@example.org"),
    (ReferralMethod.EMAIL, "0121 496 0000 (9 to 5)", "", "tel:01214960000"),
    (ReferralMethod.EMAIL, "", "", ""),
])
def test_an_email_draft_only_for_an_email_route_with_an_address(method, contact, email, href):
    sending = SendingView(ReferralRoute(method=method, contact=contact))
    assert sending.email == email
    assert sending.contact_href == href
    assert bool(sending.mailto_base("A & B")) == bool(email)
    if email:
        assert sending.mailto_base("A & B") == f"mailto:{email}?subject=Referral%20to%20A%20%26%20B"
