"""Issue 21, item 6: a service can be a preferred first step for families into other support
(Service.first_step). The needs assessment: "children's centres or health visitors are the
preferred referral route to access parent-infant relationship support for families". Practitioners
see it as a tag on search cards and on the service page, with the source's words, and are offered
those services when a search finds nothing. A route's own "preferred" flag says something else: the
route the service itself prefers.
"""
import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

from directory.core.presenters import FIRST_STEP_SECTION, FIRST_STEP_SOURCE, FIRST_STEP_TAG, FIRST_STEP_WORDS
from directory.models import ReferralRoute, Referrer, Service, Status
from tests.directory.search.test_search import RECORD_QUERIES

pytestmark = pytest.mark.django_db

HEALTH_VISITING = "birmingham-forward-steps-health-visiting"
CHILDRENS_CENTRES = "birmingham-forward-steps-early-years-and-family-support"
LABEL = "First step into other support"
NEEDS_ASSESSMENT = Path(__file__).resolve().parents[3] / "fixtures" / "needs_assessment.md"
NOTHING = {"q": "zzzz-nothing"}


@pytest.fixture
def first_steps():
    """Health visiting and the children's centres are first steps; nothing else is (whatever the seed says)."""
    Service.objects.update(first_step=False)
    Service.objects.filter(slug__in=[HEALTH_VISITING, CHILDRENS_CENTRES]).update(first_step=True)


def get(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response


def text(response):
    return html.unescape(response.content.decode())


def search(client, **params):
    return get(client, reverse("directory:search"), params)


def service_page(client, slug, **params):
    return get(client, reverse("directory:service-detail", kwargs={"slug": slug}), params)


def card_html(response, slug):
    """One result card's HTML, by the service's id."""
    service_id = Service.objects.get(slug=slug).pk
    content = text(response)
    start = content.index(f'id="service-{service_id}"')
    end = content.find('class="nhsuk-card app-card"', start)
    return content[start:end if end != -1 else len(content)]


# --- The source's words ---------------------------------------------------------------------

def test_the_words_shown_are_the_needs_assessments_own_in_the_section_named():
    source = NEEDS_ASSESSMENT.read_text(encoding="utf-8")
    section_start = source.index(f"## {FIRST_STEP_SECTION}\n")
    section_end = source.index("\n## ", section_start + 3)
    section = " ".join(source[section_start:section_end].split())
    assert FIRST_STEP_WORDS in section
    assert FIRST_STEP_SOURCE == (f"The needs assessment (May 2022), {FIRST_STEP_SECTION}", FIRST_STEP_WORDS)


# --- Search cards -----------------------------------------------------------------------------

def test_only_the_cards_of_first_step_services_carry_the_label(client, first_steps):
    response = search(client)
    flagged = {card.service.slug for card in response.context["cards"] if card.first_step}
    assert flagged == {HEALTH_VISITING, CHILDRENS_CENTRES}
    assert LABEL in card_html(response, HEALTH_VISITING)
    assert FIRST_STEP_TAG.explanation in card_html(response, HEALTH_VISITING)
    assert LABEL not in card_html(response, "acacia")
    assert text(response).count(f">{LABEL}</strong>") == 2


def test_no_card_carries_the_label_when_no_service_is_a_first_step(client):
    Service.objects.update(first_step=False)
    response = search(client)
    assert response.context["results"].count > 0
    assert LABEL not in text(response)


def test_the_label_follows_the_flag_a_curator_sets(client, first_steps):
    Service.objects.filter(slug="acacia").update(first_step=True)
    assert LABEL in card_html(search(client, q="acacia"), "acacia")


# --- A search that finds nothing --------------------------------------------------------------

def test_a_search_that_finds_nothing_offers_the_first_steps_with_the_search_carried(client, first_steps):
    response = search(client, **NOTHING)
    assert response.context["results"].count == 0
    content = text(response)
    assert "Not sure where to start?" in content
    assert "health visitors and children's centres are the preferred route for families" in content
    offer = response.context["first_steps"]
    names = [name for name, _organisation, _url in offer.links]
    assert names == ["Birmingham Forward Steps: Early Years and Family Support", "Birmingham Forward Steps: Health Visiting"]
    hv_url = reverse("directory:service-detail", kwargs={"slug": HEALTH_VISITING}) + "?q=zzzz-nothing"
    assert f'href="{hv_url}"' in content
    # The service page opened from the offer leads back to the same search.
    assert 'href="/search/?q=zzzz-nothing"' in text(get(client, hv_url))


def test_a_search_with_results_offers_nothing(client, first_steps):
    response = search(client, q="perinatal")
    assert response.context["results"].count > 0
    assert response.context["first_steps"] is None and "Not sure where to start?" not in text(response)


def test_the_offer_leaves_out_drafts_and_services_that_do_not_work_in_the_familys_district(client, first_steps):
    Service.objects.filter(slug=CHILDRENS_CENTRES).update(status=Status.DRAFT)
    response = search(client, **NOTHING)
    assert [name for name, _o, _u in response.context["first_steps"].links] == ["Birmingham Forward Steps: Health Visiting"]
    # A first step working in Northfield only is not offered to a family in Hodge Hill.
    Service.objects.filter(slug=CHILDRENS_CENTRES).update(status=Status.PUBLISHED)
    roots = Service.objects.get(slug="social-and-emotional-mental-health-pathfinder-roots-project")
    Service.objects.filter(pk=roots.pk).update(first_step=True)
    in_hodge_hill = search(client, q="zzzz-nothing", district="hodge-hill").context["first_steps"]
    in_northfield = search(client, q="zzzz-nothing", district="northfield").context["first_steps"]
    assert roots.name not in [name for name, _o, _u in in_hodge_hill.links]
    assert roots.name in [name for name, _o, _u in in_northfield.links]


def test_without_first_step_services_a_search_that_finds_nothing_says_nothing_about_them(client):
    Service.objects.update(first_step=False)
    response = search(client, **NOTHING)
    assert response.context["first_steps"] is None and "Not sure where to start?" not in text(response)


# An empty search: the content version, the lists, the synonyms, the facet index (issue 26), the
# ids its keywords match with their ranks (the empty page is the index's: no query), the widening
# suggestions' counts in one query, and the first steps (1).
EMPTY_SEARCH_QUERIES = 7


@pytest.mark.parametrize("extra", [0, 5])
def test_it_pins_the_queries_of_a_search_that_finds_nothing(client, django_assert_num_queries, first_steps, extra):
    Service.objects.filter(slug__in=["acacia", "new-baby-network", "health-in-mind"][:extra]).update(first_step=True)
    with django_assert_num_queries(EMPTY_SEARCH_QUERIES + RECORD_QUERIES):  # and the search is counted (issue 22)
        response = search(client, **NOTHING)
    assert response.context["first_steps"].links


# --- The service page ---------------------------------------------------------------------------

def test_a_first_step_service_page_says_so_with_the_sources_words_and_section(client, first_steps):
    content = text(service_page(client, HEALTH_VISITING))
    assert LABEL in content and FIRST_STEP_TAG.explanation in content
    sources = content[content.index('id="what-the-sources-say"'):]
    assert FIRST_STEP_WORDS in sources
    assert "The needs assessment (May 2022), What we learned from services" in sources
    # The sentence comes once, first among the sources.
    assert sources.count(FIRST_STEP_WORDS) == 1
    assert sources.index(FIRST_STEP_WORDS) < sources.index("</figure>")


def test_other_service_pages_say_nothing_of_first_steps(client, first_steps):
    content = text(service_page(client, "acacia"))
    assert LABEL not in content and FIRST_STEP_WORDS not in content


def test_a_routes_own_preference_is_the_services_preferred_route(client, first_steps):
    service = Service.objects.get(slug="acacia")
    ReferralRoute.objects.filter(service=service).update(is_preferred=False)
    route = ReferralRoute.objects.create(service=service, referrer=Referrer.SELF, is_preferred=True, order=9)
    content = text(service_page(client, "acacia"))
    assert content.count("The service's preferred route") == 1
    assert "Preferred route<" not in content
    heading = re.search(r"<h3[^>]*>The family can contact the service themselves[^<]*<strong[^>]*>([^<]*)<", content)
    assert heading and heading.group(1) == "The service's preferred route"
    route.is_preferred = False
    route.save()
    assert "preferred route" not in text(service_page(client, "acacia")).lower()


def test_the_service_page_keeps_its_query_count_for_a_first_step(client, django_assert_num_queries, first_steps):
    from tests.directory.practitioners.test_service_detail import SERVICE_PAGE_QUERIES

    with django_assert_num_queries(SERVICE_PAGE_QUERIES):  # the sentence is a constant: no query
        service_page(client, HEALTH_VISITING)
