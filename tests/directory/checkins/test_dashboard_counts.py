"""Issue 20: the curation dashboard's check-in counts. "Services without a check-in contact" and
"Checked by the service or the IMHSG within 12 months: N of M" (the definition is
directory/curation/dashboard.py's `checked_within_a_year_q`), each linking to the list behind it."""
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.checkins.tokens import create_invitation
from directory.curation.dashboard import CHECKED_HELP, dashboard_counts, one_year_before
from directory.models import CheckInContact, CheckInInvitation, SelfAudit, Service, Status
from tests.directory.curation.admin_forms import as_user

pytestmark = pytest.mark.django_db

CHECKED = "Checked by the service or the IMHSG within 12 months"
NO_CONTACT = "Services without a check-in contact"


def counts(today=None):
    return {c.label: c for c in dashboard_counts(today)}


def test_the_seed_has_no_contacts_and_nothing_checked_within_12_months(client, imhsg_editor,
                                                                        django_assert_num_queries):
    as_user(client, imhsg_editor)
    # The contacts are counted in a pass of their own, and the routes in another (issue 26: one pass
    # each rather than a probe per service). (+ 3: what people searched for, issue 22;
    # + 3: referral routes lacking criteria or what to include, and summaries prepared, issue 24.)
    with django_assert_num_queries(10 + 3 + 3):
        response = client.get(reverse("curation-dashboard"))
    shown = {c.label: c for c in response.context["counts"]}
    assert shown[NO_CONTACT].count == 25
    assert (shown[CHECKED].count, shown[CHECKED].of) == (0, 25)
    html = response.content.decode()
    assert "Checked by the service or the IMHSG within 12 months" in html and "of 25" in html
    assert "on or after the same date last year" in html  # the definition, said on the page


def test_each_count_links_to_a_list_of_exactly_those_services(client, imhsg_editor):
    today = timezone.localdate()
    for slug in ("acacia", "new-baby-network"):
        CheckInContact.objects.create(service=Service.objects.get(slug=slug), name="P", email="p@example.org")
    Service.objects.filter(slug="acacia").update(last_reviewed=today)
    Service.objects.filter(slug="breaking-the-cycle").update(last_reviewed=today - timedelta(days=400))
    as_user(client, imhsg_editor)
    shown = {c.label: c for c in client.get(reverse("curation-dashboard")).context["counts"]}
    assert shown[NO_CONTACT].count == 23 and shown[CHECKED].count == 1
    for label in (NO_CONTACT, CHECKED):
        listing = client.get(shown[label].url)
        assert listing.context["cl"].result_count == shown[label].count, label
    checked = client.get(shown[CHECKED].url)
    assert [s.slug for s in checked.context["cl"].result_list] == ["acacia"]
    not_checked = client.get(reverse("admin:directory_service_changelist") + "?checked=no")
    assert not_checked.context["cl"].result_count == 24


def start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


@pytest.mark.parametrize("how", ["reviewed", "invitation answered", "self-audit"])
def test_exactly_12_months_ago_counts_and_a_day_or_a_second_more_does_not(how):
    today = date(2026, 12, 5)
    since = one_year_before(today)
    assert since == date(2025, 12, 5)
    acacia = Service.objects.get(slug="acacia")

    def mark(when):
        Service.objects.filter(pk=acacia.pk).update(last_reviewed=None)
        CheckInInvitation.objects.all().delete()
        SelfAudit.objects.all().delete()
        if how == "reviewed":
            Service.objects.filter(pk=acacia.pk).update(last_reviewed=when.date() if isinstance(when, datetime)
                                                        else when)
        elif how == "invitation answered":
            invitation, _ = create_invitation(service=acacia, name="P", email="p@example.org",
                                              now=when - timedelta(days=3))
            CheckInInvitation.objects.filter(pk=invitation.pk).update(answered_at=when)
        else:
            SelfAudit.objects.create(service=acacia, submitted_at=when)
        return counts(today)[CHECKED].count

    if how == "reviewed":
        assert mark(since) == 1
        assert mark(since - timedelta(days=1)) == 0
    else:
        assert mark(start_of(since)) == 1
        assert mark(start_of(since) - timedelta(seconds=1)) == 0
    assert mark(start_of(today)) == 1


def test_drafts_and_archived_services_are_neither_checked_nor_counted():
    today = timezone.localdate()
    Service.objects.filter(slug="acacia").update(last_reviewed=today, status=Status.DRAFT)
    SelfAudit.objects.create(service=Service.objects.get(slug="new-baby-network"), submitted_at=timezone.now())
    Service.objects.filter(slug="new-baby-network").update(status=Status.ARCHIVED)
    item = counts(today)[CHECKED]
    assert (item.count, item.of) == (0, 23)
    assert item.help == CHECKED_HELP


def test_an_unanswered_invitation_or_a_confirmed_fact_is_not_a_check():
    acacia = Service.objects.get(slug="acacia")
    create_invitation(service=acacia, name="P", email="p@example.org")
    from directory.models import Fact

    Fact.objects.filter(service=acacia).update(confirmed_on=timezone.localdate())
    assert counts()[CHECKED].count == 0


def test_29_february_goes_back_to_28_february():
    assert one_year_before(date(2028, 2, 29)) == date(2027, 2, 28)
    assert one_year_before(date(2027, 3, 1)) == date(2026, 3, 1)
