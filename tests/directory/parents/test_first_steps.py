""""Not sure where to start?" (issue 21): the services a source names as a first step into other
support (health visitors and children's centres) are offered with their parents' words on every
list a family might be lost in: a topic, everything, and a list the answers emptied. A
language no service is tagged with never empties the offer."""
import pytest
from django.urls import reverse

from directory.models import Language, Service

pytestmark = pytest.mark.django_db

HEALTH_VISITING = "Birmingham Forward Steps: Health Visiting"
CHILDRENS_CENTRES = "Birmingham Forward Steps: Early Years and Family Support"
FIRST_STEPS = ["birmingham-forward-steps-health-visiting", "birmingham-forward-steps-early-years-and-family-support"]
REASON = "Most services in Birmingham say this is a good way in to other help for you and your baby."
EVERYTHING = reverse("parents:everything")


@pytest.fixture
def first_steps():
    Service.objects.update(first_step=False)
    Service.objects.filter(slug__in=FIRST_STEPS).update(first_step=True)


def offered(response):
    return [card.name for card in response.context["first_steps"]]


def test_the_page_of_everything_and_every_topic_offer_the_first_steps(client, first_steps):
    from directory.models import ParentTopic

    for url in [EVERYTHING] + [reverse("parents:topic", args=[slug])
                               for slug in ParentTopic.objects.values_list("slug", flat=True)]:
        response = client.get(url)
        assert offered(response) == [CHILDRENS_CENTRES, HEALTH_VISITING], url
        text = response.content.decode()
        assert "Not sure where to start?" in text, url
        # In their parents' words, never the practitioners' summary.
        hv = Service.objects.get(slug=FIRST_STEPS[0])
        assert hv.parent_description in text and hv.summary not in text, url


def test_a_language_no_service_offers_keeps_the_offer_and_says_to_ask(client, first_steps):
    somali = Language.objects.get(code="so")
    assert not somali.services.exists()
    response = client.get(EVERYTHING, {"language": "so"})
    # Issue 22: everything for the other answers, with an honest note, not an empty page.
    assert response.context["language_missing"] == somali
    names = [card.name for card in response.context["direct"]]
    assert names and names == [card.name for card in client.get(EVERYTHING).context["direct"]]
    assert offered(response) == [CHILDRENS_CENTRES, HEALTH_VISITING]
    text = response.content.decode()
    assert "We do not know of a place here that offers help in Somali yet, so this is everything for your other answers." in text
    assert "You can ask them if they can help in Somali." in text
    assert text.index("help in Somali yet") < text.index("Not sure where to start?")


def test_a_topic_emptied_by_the_answers_still_offers_a_way_in(client, first_steps):
    response = client.get(reverse("parents:topic", args=["young-parents"]), {"age": "p3", "postcode": "B75 7RR"})
    if response.context["direct"] or response.context["ask"]:
        pytest.skip("the seed has a young parents' service for these answers")
    assert offered(response) == [HEALTH_VISITING]  # the children's centres start at birth


def test_the_offer_follows_the_age_and_postcode(client, first_steps):
    assert offered(client.get(EVERYTHING, {"age": "p3"})) == [HEALTH_VISITING]
    assert offered(client.get(EVERYTHING, {"age": "4", "postcode": "B8 1AA"})) == [CHILDRENS_CENTRES, HEALTH_VISITING]


def test_without_first_steps_there_is_no_offer(client):
    Service.objects.update(first_step=False)
    response = client.get(EVERYTHING)
    assert offered(response) == [] and "Not sure where to start?" not in response.content.decode()


def test_only_a_first_steps_own_page_gives_the_sources_reason(client, first_steps):
    assert REASON in client.get(reverse("parents:service", args=[FIRST_STEPS[0]])).content.decode()
    assert REASON not in client.get(reverse("parents:service", args=["acacia"])).content.decode()


def test_the_offer_costs_no_query(client, first_steps, django_assert_num_queries):
    # As without it: the content version, languages, the services' rows, the shown ones and 5
    # prefetches, urgent help; a language no service offers then lists everything else (issue 22):
    # the rows, the services and their 5 prefetches once more. Then each page is a search, counted (issue 22, directory/search/record.py):
    # in a savepoint in tests (2), the lists to read the language by (the first time in a content
    # version), the count, the write and the day's pruning (the first search of the day).
    with django_assert_num_queries(17 + 6):
        client.get(EVERYTHING, {"language": "so"})
    with django_assert_num_queries(11 + 4):  # and the topic; counted: the savepoint, the count, the write
        client.get(reverse("parents:topic", args=["feeling-low"]))
