"""Issue 21: practitioners' pages say no more than the sources. Ages in the source's own words
where the months cannot say them, "Referral by a professional." without "only", and the about
page describes the sources of facts as they are."""
import csv
import html
import io

import pytest
from django.urls import reverse

from directory.core.shortlist import encode_ids
from directory.models import AgeRange, ReferralRoute, Referrer, Service
from directory.practitioners.csv import public_services_csv

pytestmark = pytest.mark.django_db

WORDS = "pregnancy to 28 days after birth"
SHOWN = "From pregnancy to 28 days after birth"


def text(response):
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def midwives():
    """A service whose source says "pregnancy-28 days postnatal": months -9..0 and the words."""
    Service.objects.filter(slug="community-and-specialist-midwives").update(
        age_range=AgeRange.RANGE, age_from_months=-9, age_to_months=0, age_words=WORDS)
    return Service.objects.get(slug="community-and-specialist-midwives")


def test_the_card_the_service_page_and_the_shortlist_show_the_sources_words(client, midwives):
    card = next(card for card in client.get(reverse("directory:search")).context["cards"]
                if card.service.pk == midwives.pk)
    assert card.ages == SHOWN
    assert SHOWN in text(client.get(midwives.get_absolute_url()))
    shared = reverse("directory:shortlist") + f"?services={encode_ids([midwives.pk])}"
    assert SHOWN in text(client.get(shared))


def test_without_words_the_months_are_shown(client, midwives):
    Service.objects.filter(pk=midwives.pk).update(age_words="")
    assert "From pregnancy to birth" in text(client.get(midwives.get_absolute_url()))


def test_the_csv_carries_the_months_and_the_words():
    Service.objects.filter(slug="community-and-specialist-midwives").update(
        age_range=AgeRange.RANGE, age_from_months=-9, age_to_months=0, age_words=WORDS)
    Service.objects.filter(slug="acacia").update(age_range=AgeRange.RANGE, age_from_months=0, age_to_months=59,
                                                 age_words="")
    rows = {row["page"].rsplit("/", 2)[-2]: row for row in csv.DictReader(io.StringIO(public_services_csv()))}
    midwives, acacia = rows["community-and-specialist-midwives"], rows["acacia"]
    assert (midwives["age_from_months"], midwives["age_to_months"], midwives["age_in_source_words"]) == ("-9", "0", WORDS)
    assert (acacia["age_from_months"], acacia["age_to_months"], acacia["age_in_source_words"]) == ("0", "59", "")


def test_the_csv_says_which_services_are_a_first_step_into_other_support():
    Service.objects.update(first_step=False)
    Service.objects.filter(slug="birmingham-forward-steps-health-visiting").update(first_step=True)
    rows = list(csv.DictReader(io.StringIO(public_services_csv())))
    flagged = {row["name"] for row in rows if row["first_step_into_other_support"] == "yes"}
    assert flagged == {"Birmingham Forward Steps: Health Visiting"}
    assert {row["first_step_into_other_support"] for row in rows} == {"yes", "no"}


# --- "only" -------------------------------------------------------------------------------------------

def test_no_practitioners_page_says_referral_by_a_professional_only(client):
    # The perinatal team has one professional route and nothing else recorded.
    cpmht = Service.objects.get(name="Community Perinatal Mental Health Team")
    assert set(ReferralRoute.objects.filter(service=cpmht).values_list("referrer", flat=True)) == {Referrer.PROFESSIONAL}
    pages = [reverse("directory:search") + f"?page={n}" for n in (1, 2)]
    pages += [reverse("directory:search") + "?referral=professional", cpmht.get_absolute_url(), reverse("directory:about"),
              reverse("directory:shortlist") + f"?services={encode_ids([cpmht.pk])}", reverse("mapping:map")]
    for url in pages:
        content = text(client.get(url))
        assert "professional only" not in content, url
    assert "Referral by a professional." in text(client.get(reverse("directory:search") + "?q=perinatal+mental+health+team"))


def test_the_referral_filter_says_what_it_finds(client):
    response = client.get(reverse("directory:search"), {"referral": "professional"})
    tags = [tag.text for tag in response.context["tags"]]
    assert tags == ["Referral by a professional (no self-referral recorded)"]
    found = {card.service.pk for card in response.context["cards"]}
    self_referral = set(ReferralRoute.objects.filter(referrer=Referrer.SELF).values_list("service_id", flat=True))
    assert found and not found & self_referral


def test_the_about_page_does_not_claim_contact_details_wait_for_a_curator(client):
    content = text(client.get(reverse("directory:about")))
    assert "Contact details are only shown once a curator has confirmed them" not in content
    assert "says where it came from" in content
    # A contact detail from a public web page is shown before any curator confirms it, and says so.
    acacia = text(client.get(reverse("directory:service-detail", kwargs={"slug": "acacia"})))
    assert "0121 301 5990" in acacia and "Not yet confirmed by the IMHSG." in acacia
