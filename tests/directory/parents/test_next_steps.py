"""Honest next steps for parents (issue 21): when no phone number or email is recorded the page
says so, offers what is known (a website) and a way in that is never the service itself (a GP
practice); who can refer is said only as the routes record it, with their criteria."""
import re

import pytest
from django.urls import reverse

from directory.models import Organisation, ReferralRoute, Referrer, Service

pytestmark = pytest.mark.django_db

HEALTH_VISITING = "birmingham-forward-steps-health-visiting"
MIDWIVES = "community-and-specialist-midwives"
NO_PHONE = "We do not have a phone number or email for this service yet."


def page(client, slug):
    return client.get(reverse("parents:service", args=[slug])).content.decode()


def how_box(html):
    """The "How to get this help" box and the Contact row: where next steps are said."""
    box = html[html.index("How to get this help"):html.index('<dl class="nhsuk-summary-list">')]
    contact = html[html.index(">Contact</dt>"):html.index("</dl>", html.index(">Contact</dt>"))]
    return re.sub(r"<[^>]+>", " ", box + contact)


@pytest.mark.parametrize("slug, own_people", [
    (HEALTH_VISITING, "health visitor"),
    (MIDWIVES, "midwife"),
])
def test_a_service_without_contacts_never_sends_the_parent_round_in_a_circle(client, slug, own_people):
    Service.objects.filter(slug=slug).update(phone="", email="", url="")
    said = how_box(page(client, slug))
    assert NO_PHONE in said
    assert "You can ask at your GP practice." in said
    assert "Not listed yet." in said  # the Contact row
    assert own_people not in said.lower()


def test_a_service_without_a_website_of_its_own_offers_its_organisations(client):
    slug = "forward-thinking-birmingham-under-2s-infant-mental-health"
    Organisation.objects.filter(services__slug=slug).update(url="https://forwardthinkingbirmingham.nhs.uk/")
    Service.objects.filter(slug=slug).update(url="", phone="", email="")
    html = page(client, slug)
    said = " ".join(how_box(html).split())
    assert (f"{NO_PHONE} The website of Forward Thinking Birmingham may tell you more. "
            "You can also ask at your GP practice.") in said
    assert ('Website of Forward Thinking Birmingham: <a href="https://forwardthinkingbirmingham.nhs.uk/">'
            'https://forwardthinkingbirmingham.nhs.uk/</a>') in html
    assert "(BWC)" not in html  # the organisation's name in words, without its abbreviation


def test_a_service_with_a_phone_number_needs_no_next_steps(client):
    Service.objects.filter(slug="acacia").update(phone="0121 301 5990")
    assert NO_PHONE not in page(client, "acacia")


def test_a_route_with_criteria_and_exclusions_says_them_plainly(client):
    service = Service.objects.get(slug="health-in-mind")
    service.referral_routes.all().delete()
    ReferralRoute.objects.create(
        service=service, referrer=Referrer.PROFESSIONAL,
        acceptance_criteria="The child is an inpatient or regular outpatient at Birmingham Children's Hospital.",
        exclusions="Children without a consultant at Birmingham Children's Hospital.")
    said = " ".join(how_box(page(client, service.slug)).replace("&#x27;", "'").split())
    assert ("This service takes referrals from professionals. If a professional already works with you, "
            "you can ask them about it.") in said
    assert "Who it is for: The child is an inpatient or regular outpatient at Birmingham Children's Hospital." in said
    assert "Who it is not for: Children without a consultant at Birmingham Children's Hospital." in said
    assert "health visitor" not in said.lower() and "midwife" not in said.lower()


def test_two_routes_with_the_same_criteria_say_them_once(client):
    service = Service.objects.get(slug="breaking-the-cycle")
    service.referral_routes.all().delete()
    for referrer in (Referrer.SELF, Referrer.PROFESSIONAL):
        ReferralRoute.objects.create(service=service, referrer=referrer,
                                     acceptance_criteria="Birth parents who have lost one or more children to adoption.")
    assert page(client, service.slug).count("Birth parents who have lost one or more children to adoption.") == 1


def test_a_service_with_no_route_but_a_phone_says_what_is_known(client):
    service = Service.objects.get(slug="birmingham-and-solihull-womens-aid")
    service.referral_routes.all().delete()
    Service.objects.filter(pk=service.pk).update(phone="0808 800 0028")
    said = " ".join(how_box(page(client, service.slug)).split())
    assert "We do not know yet how to get this help. You can contact them to ask." in said
    assert NO_PHONE not in said


def test_the_saved_list_says_the_same_next_steps(client):
    hv = Service.objects.get(slug=HEALTH_VISITING)
    Service.objects.filter(pk=hv.pk).update(phone="", email="", url="")
    text = client.get(reverse("parents:saved"), {"services": str(hv.pk)}).content.decode()
    assert NO_PHONE in text and "You can ask at your GP practice." in text
    assert "Not listed yet." in text
    assert "health visitor, midwife or GP" not in text


def test_the_counts_say_what_to_ask_about_without_naming_who_can_refer(client):
    text = client.get(reverse("parents:support"), {"age": "4"}).content.decode()
    assert "more to ask about." in text
    assert "health visitor, midwife or GP" not in text


def test_a_postcode_just_outside_birmingham_points_to_a_gp_practice(client):
    from mapping.models import Postcode

    outside = Postcode.objects.filter(district__isnull=True).first()
    text = client.get(reverse("parents:support"), {"postcode": outside.postcode}).content.decode()
    assert "just outside Birmingham" in text
    assert "You can ask at your GP practice what there is near you." in text
