"""Presenters: plain words for what the search page, service page and shortlist show."""
import pytest
from django.http import QueryDict

from directory.models import Service
from directory.core.presenters import how_to_refer_line, month_text
from directory.practitioners.presenters.search import FilterTag, distance_text, pagination, widening_suggestions
from directory.practitioners.presenters.service import ServicePage
from directory.search.selectors import service_get_published, service_search

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("km, text", [
    (None, ""), (0.05, "less than 0.1 miles away"), (1.0, "0.6 miles away"), (20.0, "12 miles away"),
])
def test_it_gives_distances_in_miles(km, text):
    assert distance_text(km) == text


@pytest.mark.parametrize("months, text", [(-3, "6 months pregnant"), (0, "birth"), (4, "4 months"), (12, "1 year")])
def test_it_names_ages_in_months(months, text):
    assert month_text(months) == text


def test_it_paginates_with_first_last_and_neighbours():
    results = service_search(data=QueryDict("age=4"), per_page=2)
    links = pagination(results.page, QueryDict("age=4"))
    assert links["previous"] == "" and links["next"] == "?age=4&page=2"
    numbers = [link.number for link in links["links"]]
    assert numbers[:3] == [1, 2, 3] and numbers[-2] == 0  # an ellipsis before the last page


def test_it_says_nothing_about_pages_for_one_page():
    results = service_search(data=QueryDict("need=send"))
    assert pagination(results.page, QueryDict("need=send")) is None


def test_it_describes_referral_routes_in_plain_words():
    assert how_to_refer_line(Service.objects.get(name="Anawim Birmingham Centre for Women")) == "How to refer is not recorded yet."
    tess = service_get_published(slug="therapeutic-emotional-support-service-tess")
    page = ServicePage(tess)
    assert [route.title for route in page.routes] == ["Referral by a professional"]
    assert not page.routes[0].recorded
    cpmht = ServicePage(service_get_published(slug="community-perinatal-mental-health-team"))
    assert [row.key for row in cpmht.routes[0].rows] == ["Who is accepted"]


def test_it_maps_venues_with_their_districts():
    page = ServicePage(service_get_published(slug="neonatal-unit-psychological-support"))
    kinds = sorted(feature["properties"]["kind"] for feature in page.map_features["features"])
    assert kinds.count("venue") == 3 and kinds.count("district") == 3


def test_it_suggests_only_widenings_that_find_something():
    tags = [FilterTag("need", "send", "Need: SEND", "?level=specialist"),
            FilterTag("level", "specialist", "Level: Specialist", "?need=send")]
    counts = {"level=specialist": 12, "need=send": 1}
    suggestions = widening_suggestions(
        QueryDict("need=send&level=specialist"), tags, lambda data: counts.get(data.urlencode(), 0)
    )
    assert [(s.text, s.count) for s in suggestions] == [("Remove \u201cNeed: SEND\u201d", 12), ("Remove \u201cLevel: Specialist\u201d", 1)]


def test_option_groups_use_the_nhsuk_component_names():
    from directory.practitioners.presenters.search import OptionGroup

    assert OptionGroup("referral", "How to get in", "radio", []).block == "radios"
    assert OptionGroup("level", "Level of need", "checkbox", []).block == "checkboxes"
