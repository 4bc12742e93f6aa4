"""Issue 24, item 5: referral summaries prepared, shown to curators (this month too) and on /needs/
(complete months only), with their caveats; and the dashboard's routes that lack criteria or a
list of what to include."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.models import ReferralPrepared, ReferralRoute, Referrer, Service, Status, month_start, months_before

pytestmark = pytest.mark.django_db


def count(slug, month, n):
    ReferralPrepared.objects.create(service=Service.objects.get(slug=slug), month=month, count=n)


@pytest.fixture
def months():
    this = month_start(timezone.localdate())
    return this, months_before(this, 1), months_before(this, 12), months_before(this, 13)


def test_needs_shows_complete_months_per_published_service_with_the_caveats(client, months):
    this, last, first, too_old = months
    count("acacia", this, 50)       # still under way: left out
    count("acacia", last, 3)
    count("acacia", first, 2)
    count("acacia", too_old, 40)    # more than 12 complete months ago
    count("breaking-the-cycle", last, 1)
    Service.objects.filter(slug="breaking-the-cycle").update(status=Status.DRAFT)
    response = client.get(reverse("mapping:needs"))
    rows = response.context["prepared"]["rows"]
    assert [(slug, total) for _, _, slug, total in rows] == [("acacia", 5)]
    content = response.content.decode()
    assert "Referrals prepared" in content and "Prepared is not sent, and not accepted." in content
    assert "Breaking the Cycle</a>" not in content


def test_needs_says_when_none_were_prepared(client):
    assert "No referral summaries were prepared in these months." in client.get(reverse("mapping:needs")).content.decode()


def test_the_dashboard_shows_summaries_prepared_and_the_routes_that_lack_what_the_page_needs(
        client, imhsg_editor, months):
    this, last, *_ = months
    count("acacia", this, 4)
    count("acacia", last, 2)
    route = ReferralRoute.objects.get(service__slug="acacia", referrer=Referrer.PROFESSIONAL)
    client.force_login(imhsg_editor)
    response = client.get(reverse("curation-dashboard"))
    [row] = response.context["prepared"]
    assert (row.service, row.this_month, row.last_month, row.last_12_months) == ("Acacia", 4, 2, 2)
    gaps, total = response.context["route_gaps"]
    acacia = [gap for gap in gaps if gap.service == "Acacia"]
    assert [gap.lacks for gap in acacia] == ["what to include"]  # its criteria are recorded
    counts = {c.label: c.count for c in response.context["counts"]}
    before = counts["Missing what to include on a professional referral route"]
    assert before == len({gap.service for gap in gaps if "what to include" in gap.lacks})

    route.information_needed = "Parent's consent\nGP details"
    route.save()
    response = client.get(reverse("curation-dashboard"))
    assert not [gap for gap in response.context["route_gaps"][0] if gap.service == "Acacia"]
    counts = {c.label: c.count for c in response.context["counts"]}
    assert counts["Missing what to include on a professional referral route"] == before - 1
    content = response.content.decode()
    assert "Referral routes practitioners cannot fully prepare for" in content
    assert "Referral summaries prepared" in content
