"""Issue 22: the keywords boxes (home and search) suggest the directory's own words as a person
types: needs, districts, approaches and published services' names, in a <datalist>."""
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import AgeRange, Need, Organisation, Service, Status
from directory.practitioners import autocomplete
from directory.practitioners.autocomplete import MAX_SUGGESTIONS, keyword_suggestions
from directory.search.terms import terms

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="([^"]*)"></option>')


def datalist(response):
    """The suggestions' values, and the input that names the list."""
    body = response.content.decode()
    found = re.search(r'<datalist id="keyword-suggestions">(.*?)</datalist>', body, re.S)
    assert found, "no datalist"
    assert body.count('<datalist id="keyword-suggestions">') == 1
    return [html.unescape(value) for value in OPTION.findall(found.group(1))], body


@pytest.mark.parametrize("url, input_id", [("/", "home-q"), ("/search/", "id_q"), ("/search/?q=perinatal", "id_q")])
def test_the_keywords_box_names_its_list(client, url, input_id):
    values, body = datalist(client.get(url))
    box = re.search(rf'<input [^>]*id="{input_id}"[^>]*>', body).group(0)
    assert 'name="q"' in box and 'list="keyword-suggestions"' in box
    assert values


def test_it_suggests_needs_districts_approaches_and_published_services(client):
    values, _ = datalist(client.get("/search/"))
    lists = terms()
    for kind in ("need", "district", "intervention"):
        assert {term.name for term in lists[kind]} <= set(values), kind
    published = set(Service.objects.published().values_list("name", flat=True))
    assert published <= set(values)
    assert "Hodge Hill" in values and "Acacia" in values
    assert values == sorted(values, key=str.casefold) and len(values) == len({v.casefold() for v in values})


def test_it_never_suggests_a_draft_or_archived_service(client):
    Service.objects.filter(slug="acacia").update(status=Status.DRAFT)
    Service.objects.filter(slug="new-baby-network").update(status=Status.ARCHIVED)
    archived_name = Service.objects.get(slug="new-baby-network").name
    values, _ = datalist(client.get("/"))
    assert "Acacia" not in values and archived_name not in values


def test_it_caps_the_list_so_the_page_stays_small(client):
    organisation = Organisation.objects.first()
    Service.objects.bulk_create([
        Service(name=f"Extra service {number:04}", slug=f"extra-service-{number:04}", organisation=organisation,
                status=Status.PUBLISHED, summary="A test service.", focus="specialised", age_range=AgeRange.ANY)
        for number in range(MAX_SUGGESTIONS + 50)
    ])
    values, body = datalist(client.get("/search/"))
    assert len(values) == MAX_SUGGESTIONS
    # The controlled lists come first: every need and district is still offered.
    assert {need.name for need in Need.objects.all()} <= set(values)
    assert "Hodge Hill" in values
    # The first services by name fill the rest; the home page still counts them all.
    assert "Extra service 0000" in values and "Extra service 0349" not in values
    assert f"Browse all {Service.objects.published().count()} services" in client.get("/").content.decode()


def test_the_names_cost_no_query_of_their_own(client):
    """They are read with the controlled lists, in their one query per content version
    (directory/search/terms.py), so the search page's pins are unchanged (tests/directory/search/)."""
    with CaptureQueriesContext(connection) as captured:
        client.get("/search/")
    names_read = [q["sql"] for q in captured.captured_queries if "'service'" in q["sql"]]
    assert len(names_read) == 1 and "'level'" in names_read[0]  # the lists' query
    with CaptureQueriesContext(connection) as captured:
        client.get("/search/?q=bonding")
        client.get("/")
    assert not [q for q in captured.captured_queries if "'service'" in q["sql"]]


def test_a_change_is_suggested_on_the_next_request(client):
    datalist(client.get("/search/"))
    Service.objects.filter(slug="acacia").update(name="Acacia Family Support Birmingham")  # a change: new version
    values, _ = datalist(client.get("/search/"))
    assert "Acacia Family Support Birmingham" in values and "Acacia" not in values


def test_the_suggestions_are_the_same_for_a_repeat_call_and_escape_names():
    Service.objects.filter(slug="acacia").update(name='Acacia "<b>" & friends')
    assert keyword_suggestions() is keyword_suggestions()  # kept for the version, not rebuilt
    assert 'Acacia "<b>" & friends' in keyword_suggestions()


def test_it_folds_spaces_and_case_when_removing_repeats():
    Service.objects.filter(slug="acacia").update(name=" Acacia ")
    Service.objects.filter(slug="new-baby-network").update(name="hodge  hill")
    chosen = autocomplete._suggestions(MAX_SUGGESTIONS)
    assert [name for name in chosen if name.casefold() == "hodge hill"] == ["Hodge Hill"]
    assert "Acacia" in chosen
