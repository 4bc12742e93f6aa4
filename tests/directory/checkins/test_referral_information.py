"""Issue 24: a service's check-in collects, for each professional route, what a referral must
include and its consent rules; once the IMHSG approves, the referral page lists them."""
import pytest
from django.urls import reverse

from directory.curation import moderation
from directory.models import PendingChange, ReferralRoute, Referrer
from tests.directory.checkins.conftest import page_data

pytestmark = pytest.mark.django_db


def test_the_check_in_asks_each_professional_route_what_to_include(client, check_url, acacia):
    route = ReferralRoute.objects.get(service=acacia, referrer=Referrer.PROFESSIONAL)
    content = client.get(check_url).content.decode()
    assert f'name="route{route.pk}-include-new"' in content
    assert "What a referral must include (one item a line)" in content
    assert f'name="route{route.pk}-consentrules-new"' in content


def test_an_approved_answer_is_what_the_referral_page_lists(client, check_url, acacia, invitation, imhsg_editor):
    route = ReferralRoute.objects.get(service=acacia, referrer=Referrer.PROFESSIONAL)
    client.post(check_url, page_data(acacia, **{
        f"route{route.pk}-include-check": "change", f"route{route.pk}-include-new": "Parent's NHS number\nGP details",
        f"route{route.pk}-consentrules-check": "change",
        f"route{route.pk}-consentrules-new": "Verbal consent is enough; say so in the referral."}))
    change = PendingChange.objects.get(invitation=invitation)
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    route.refresh_from_db()
    assert route.information_items == ["Parent's NHS number", "GP details"]
    content = client.get(reverse("referrals:refer", kwargs={"slug": "acacia", "route_id": route.pk})).content.decode()
    assert "What Acacia asks a referral to include" in content
    assert "Verbal consent is enough; say so in the referral." in content
