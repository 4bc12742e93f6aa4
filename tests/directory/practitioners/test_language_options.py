"""Issue 22: the search's language options no longer list 17 languages each "(0)". Those that
would find no service are folded under one disclosure; a chosen one always stays in view."""
import re

import pytest
from django.http import QueryDict

from directory.models import Language, Service
from directory.practitioners.presenters.search import OptionGroup, Option, filter_groups
from directory.search.selectors import service_search

pytestmark = pytest.mark.django_db
SUMMARY = re.compile(r'<details class="nhsuk-details app-filter-folded">\s*<summary class="nhsuk-details__summary">'
                     r'<span class="nhsuk-details__summary-text">([^<]*)</span>')


def language_group(query=""):
    results = service_search(data=QueryDict(query), with_counts=True)
    groups, _ = filter_groups(results.filterset, QueryDict(query), counts=results.counts)
    return next(group for group in groups if group.name == "language")


def language_section(client, query=""):
    """The language group's part of the search form."""
    body = client.get(f"/search/?{query}").content.decode()
    start = body.index('<span class="nhsuk-details__summary-text">Language</span>')
    return body[start:body.index("</fieldset>", start)]


def record(slug, *codes):
    Service.objects.get(slug=slug).languages.add(*Language.objects.filter(code__in=codes))


def test_with_no_language_recorded_every_language_is_folded_away(client):
    section = language_section(client)
    assert SUMMARY.findall(section) == ["Languages (no services recorded yet)"]
    assert section.count('name="language"') == 17  # still there to choose, behind the disclosure
    assert "few services record English" in section


def test_a_language_some_service_records_stays_in_view_with_its_count(client):
    record("acacia", "ur")
    record("new-baby-network", "ur", "pl")
    group = language_group()
    assert [(o.label, o.count) for o in group.shown] == [("Polish", 1), ("Urdu", 2)]
    assert len(group.folded) == 15 and group.folded_label == "Other languages (no services recorded yet)"
    section = language_section(client)
    folded_from = section.index("app-filter-folded")
    assert section.index('value="ur"') < folded_from and section.index('value="ar"') > folded_from


def test_a_chosen_language_stays_in_view_even_when_it_finds_nothing(client):
    group = language_group("language=so")
    assert [(o.label, o.checked, o.count) for o in group.shown] == [("Somali", True, 0)]
    assert "Somali" not in [o.label for o in group.folded]
    section = language_section(client, "language=so")
    assert section.index('value="so" checked') < section.index("app-filter-folded")


def test_with_other_filters_the_disclosure_says_none_are_in_this_search(client):
    record("acacia", "ur")
    group = language_group("level=specialist")  # Acacia is not a specialist service
    assert group.shown == [] and group.folded_label == "Languages (no services in this search)"
    # Sorting narrows nothing: the count of each language is still what the directory records.
    assert language_group("sort=name").folded_label == "Other languages (no services recorded yet)"


def test_each_option_keeps_its_id_whether_shown_or_folded(client):
    record("acacia", "ur")
    section = language_section(client)
    ids = re.findall(r'<input class="nhsuk-checkboxes__input" id="([^"]+)" name="language"', section)
    assert len(ids) == len(set(ids)) == 17
    # The ids are those of the list's order (Arabic first), as before the folding.
    assert 'id="id_language" name="language" type="checkbox" value="ar"' in section
    assert re.search(r'<label [^>]*for="id_language-17">Urdu', section)


def test_the_maps_form_has_no_counts_and_folds_nothing():
    results = service_search(data=QueryDict(""))
    groups, _ = filter_groups(results.filterset, QueryDict(""), names=["language"])
    assert groups[0].folded == [] and len(groups[0].shown) == 17 and not groups[0].folded_label


def test_only_a_group_with_a_folded_label_folds():
    options = [Option("a", "A", False, count=0), Option("b", "B", True, count=0), Option("c", "C", False, count=3)]
    assert OptionGroup("x", "X", "checkbox", options).folded == []
    group = OptionGroup("x", "X", "checkbox", options, folded_label="Other (none)")
    assert [o.value for o in group.shown] == ["b", "c"] and [o.value for o in group.folded] == ["a"]


def test_folding_costs_no_query(client, django_assert_num_queries):
    """Folding reads the counts the page already has (from the facet index, or selectors.count_union,
    one query for every option): a search by language costs what any other filtered search does (tests/directory/search/),
    and is counted like one."""
    from tests.directory.search.test_search import PLAIN_QUERIES, RECORD_QUERIES

    record("acacia", "ur")
    with django_assert_num_queries(PLAIN_QUERIES + RECORD_QUERIES):
        response = client.get("/search/?language=ur")
    assert [o.label for o in next(g for g in response.context["groups"] if g.name == "language").shown] == ["Urdu"]
