"""The service page: referral pathway first, everything else, and only when published."""
import html
import re

import pytest
from django.urls import reverse

from directory.models import Level, ReferralRoute, Service, Status

pytestmark = pytest.mark.django_db


def page(client, slug, status=200):
    response = client.get(reverse("directory:service-detail", kwargs={"slug": slug}))
    assert response.status_code == status
    return html.unescape(response.content.decode())


def test_it_shows_the_referral_pathway_before_what_the_service_offers(client):
    service = Service.objects.get(name="Community Perinatal Mental Health Team")
    ReferralRoute.objects.filter(service=service).update(
        professions="GP, midwife, health visitor", acceptance_criteria="Moderate to severe difficulties",
        exclusions="Mild difficulties", waiting_time="2 weeks", consent_required="yes",
    )
    content = page(client, service.slug)
    assert content.index("How to refer") < content.index("What it offers")
    for text in ("Referral by a professional (GP, midwife, health visitor)", "Moderate to severe difficulties",
                 "Mild difficulties", "2 weeks", "Yes, the family's consent is needed"):
        assert text in content
    assert "<title>Community Perinatal Mental Health Team - Birmingham" in content


def test_it_says_why_there_is_no_referral_route(client):
    content = page(client, "anawim-birmingham-centre-for-women")
    assert "does not say how to refer" in content


def test_it_shows_ages_coverage_cost_delivery_languages_and_last_checked(client):
    content = page(client, "solihull-approach-online-courses-birmingham-licence")
    for text in ("From pregnancy to 1 year", "City-wide", "Free", "Online", "Languages", "Last checked on"):
        assert text in content


def test_it_shows_venues_and_a_map_when_there_are_venues(client):
    content = page(client, "neonatal-unit-psychological-support")
    assert "Heartlands Hospital" in content and "B9 5SS" in content
    assert 'id="venue-map"' in content and 'id="venue-features"' in content
    assert 'id="venue-map"' not in page(client, "breaking-the-cycle")


def test_it_never_invents_contact_details(client):
    content = page(client, "anawim-birmingham-centre-for-women")
    assert "Contact details are not recorded yet" in content
    assert "tel:" not in content


def test_it_shows_the_organisations_website_when_the_service_has_none(client):
    content = page(client, "forward-thinking-birmingham-under-2s-infant-mental-health")
    assert "Website (Forward Thinking Birmingham (BWC))" in content
    assert 'href="https://forwardthinkingbirmingham.nhs.uk/"' in content
    assert "bwc.ftbinfantmentalhealth@nhs.net" not in content  # the report's address, not a contact (ERRATA 10)


def test_it_shows_services_one_step_up_and_down_for_the_same_needs(client):
    response = client.get(reverse("directory:service-detail", kwargs={"slug": "acacia"}))  # targeted, PNMH mild
    up = [card.name for card in response.context["steps_up"]]
    down = [card.name for card in response.context["steps_down"]]
    assert down == ["Birmingham Forward Steps: Health Visiting", "Community and Specialist Midwives"]
    # No statutory or specialist service lists mild perinatal mental health, but curators
    # name "moderate to severe" as its step up (issue 11).
    assert up == ["Community Perinatal Mental Health Team"]

    response = client.get(reverse("directory:service-detail", kwargs={"slug": "community-perinatal-mental-health-team"}))
    down = [card.name for card in response.context["steps_down"]]
    assert "Birmingham Forward Steps: Health Visiting" in down  # bonding, targeted
    assert "New Baby Network" not in down  # universal only: two steps down
    assert "Acacia" in down  # mild to moderate: the step down from moderate to severe


def test_the_ladder_follows_a_need_step_curators_add(client):
    from directory.models import Need, NeedStep

    NeedStep.objects.all().delete()
    response = client.get(reverse("directory:service-detail", kwargs={"slug": "acacia"}))
    assert [card.name for card in response.context["steps_up"]] == []
    NeedStep.objects.create(lower=Need.objects.get(code="perinatal_mental_health_mild"),
                            higher=Need.objects.get(code="perinatal_mental_health_severe"))
    response = client.get(reverse("directory:service-detail", kwargs={"slug": "acacia"}))
    assert "Community Perinatal Mental Health Team" in text_of(response)
    assert [card.name for card in response.context["steps_up"]] == ["Community Perinatal Mental Health Team"]


def test_the_service_page_links_back_to_the_same_results(client):
    # Every parameter, in the order the search form gives them.
    query = "q=dad&postcode=B8+1AA&age=4&level=targeted&need=fathers_co_parents&sort=name&page=1"
    response = client.get(reverse("directory:service-detail", kwargs={"slug": "acacia"}) + "?" + query)
    assert f'href="/search/?{query.replace("&", "&amp;")}">Back to your results' in text_of(response)
    # The ladder's links carry the search on, too.
    assert "/services/community-perinatal-mental-health-team/?q=dad&amp;postcode=B8+1AA" in text_of(response)


def test_the_service_page_drops_what_is_not_a_search(client):
    response = client.get(reverse("directory:service-detail", kwargs={"slug": "acacia"}) + "?services=1.2&evil=%3Cx%3E")
    # The back link itself (the header's "Find a service" link reads the same).
    assert '<a class="nhsuk-back-link" href="/search/">Find a service</a>' in text_of(response)
    # Nor do the ladder's links carry them on (the shortlist button's return address is this page's own).
    assert not [href for href in re.findall(r'href="([^"]*)"', text_of(response)) if "evil" in href or "services=" in href]


def text_of(response):
    return response.content.decode()


@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
def test_it_returns_404_for_drafts_and_archived_services(client, status):
    Service.objects.filter(slug="acacia").update(status=status)
    page(client, "acacia", status=404)


def test_it_returns_404_for_an_unknown_service(client):
    page(client, "no-such-service", status=404)


def test_it_never_shows_private_fields(client, curator):
    Service.objects.filter(slug="acacia").update(curator_notes="PRIVATE-NOTE-123", owner=curator)
    content = page(client, "acacia")
    assert "PRIVATE-NOTE-123" not in content and "cara" not in content


def test_it_leaves_drafts_out_of_the_stepped_care_lists(client):
    Service.objects.filter(name="Community and Specialist Midwives").update(status=Status.DRAFT)
    response = client.get(reverse("directory:service-detail", kwargs={"slug": "acacia"}))
    assert [card.name for card in response.context["steps_down"]] == ["Birmingham Forward Steps: Health Visiting"]


# The service (1) and its prefetches (8); one for the sources of every fact on the page; the
# ladder: its need steps, the ids a step up, the ids a step down, and those services with their
# levels and needs (6, issue 26: chosen in the database, not read whole); its sessions and the
# knowledge-sharing events it presented at (issue 23).
SERVICE_PAGE_QUERIES = 19  # with the content version


@pytest.mark.parametrize("extra", [0, 20])
def test_it_pins_the_queries_of_the_service_page(client, django_assert_num_queries, extra):
    from tests.directory.search.test_search import make_services

    make_services(extra)  # more services for the same needs, for the stepped-care list
    with django_assert_num_queries(SERVICE_PAGE_QUERIES):
        page(client, "forward-thinking-birmingham-under-2s-infant-mental-health")
    Level.objects.count()  # the database is still usable after the pinned block
