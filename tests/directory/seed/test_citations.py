"""Every fact the seed takes from the needs assessment quotes the words it rests on (issue 21).

The guard runs over the real files (fixtures/seed_services.yaml against
fixtures/needs_assessment.md, the source nobody here wrote) and over the loaded database; the
tests after it show that each way a citation can go wrong makes it fail.
"""
import copy
import re
import shutil
from pathlib import Path

import pytest
import yaml

from directory.models import Fact, Service, SourceKind
from directory.seed import loader as seed
from directory.seed.citations import (
    AgeWordsError, SourceText, citation_problems, normalise, public_fact_problems, source_text, supports,
    transcribe_ages,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
SERVICES = yaml.safe_load((FIXTURES / "seed_services.yaml").read_text())["services"]
PUBLIC = yaml.safe_load((FIXTURES / "public_sources.yaml").read_text())["load"]


def entry(key):
    return copy.deepcopy(next(item for item in SERVICES if item["key"] == key))


def failures(item):
    return [(citation.label, problem) for citation, problems in citation_problems(item, source_text())
            for problem in problems]


# --- The guard ------------------------------------------------------------------------------

@pytest.mark.parametrize("item", SERVICES, ids=[item["key"] for item in SERVICES])
def test_every_seeded_fact_quotes_the_needs_assessment_or_is_marked_inferred(item):
    assert failures(item) == []


def test_the_seed_has_25_services_and_most_facts_are_quoted():
    results = [result for item in SERVICES for result in citation_problems(item, source_text())]
    quoted = [c for c, problems in results if c.kind == SourceKind.NEEDS_ASSESSMENT and not problems]
    assert len(SERVICES) == 25
    assert len(quoted) >= 90  # 95 when issue 21 was resolved; inferred facts are the rest
    assert all(item.get("table3") for item in SERVICES
               if item["key"] not in ("childrens-social-care", "solihull-approach-online-courses-birmingham-licence"))


@pytest.mark.parametrize("fact", PUBLIC, ids=[f"{f['service']}:{f['target']}" for f in PUBLIC])
def test_every_public_fact_is_visible_in_its_own_excerpt(fact):
    assert public_fact_problems(fact) == []


# --- Each way a citation can be wrong makes it fail ------------------------------------------

def test_a_deliberately_wrong_excerpt_fails():
    item = entry("acacia")
    item.setdefault("cite", {})["summary"] = {"excerpt": "Peer based one to one support for fathers only"}
    assert ("summary", "'Peer based one to one support for fathers only' is not in Table 3 (it is nowhere in the source)") \
        in failures(item)


def test_an_excerpt_from_another_services_entry_fails():
    item = entry("acacia")
    item.setdefault("cite", {})["summary"] = {"excerpt": "Parenting programmes and therapeutic support"}
    [(label, problem)] = failures(item)
    assert label == "summary" and "from Table 3's entry '(VCS) Approachable Parenting (0-3 years)'" in problem


def test_a_recommendation_cited_by_the_wrong_number_fails_and_names_the_right_one():
    item = entry("solihull-approach-online-courses-birmingham-licence")
    item["section"] = "Recommendation 5d"
    problems = dict(failures(item))
    assert "(it is in 'Recommendation 6d')" in problems["summary"]


def test_a_section_that_does_not_exist_fails():
    item = entry("community-perinatal-mental-health-team")
    item["cite"] = {"summary": {"section": "Table 3 (column heading)", "excerpt": "city-wide"}}
    assert ("summary", "section 'Table 3 (column heading)' does not exist in the needs assessment") in failures(item)


@pytest.mark.parametrize("key, change, label, words", [
    # A delivery mode the entry does not state ("face to face" where Table 3 says groups).
    ("acacia", lambda e: e["delivery"].append("face_to_face"), "delivery_modes", "face_to_face"),
    # An intervention from the workforce survey's list credited to the service's own entry.
    ("birmingham-forward-steps-health-visiting", lambda e: e["interventions"].append("solihull_approach"),
     "interventions", "solihull_approach"),
    # A one-to-one format where the table says "stay and play".
    ("all-saints-youth-project", lambda e: e.__setitem__("interventions", ["targeted_stay_and_play"]),
     "interventions", "targeted_stay_and_play"),
    # Age words that are not in the excerpt.
    ("approachable-parenting", lambda e: e.__setitem__("ages", "0-4 years"), "age_range", "0-4 years"),
    # "free" where nothing says so.
    ("anawim-birmingham-centre-for-women", lambda e: e.__setitem__("cost", "free"), "cost", "free"),
    # A summary that says something else.
    ("breaking-the-cycle", lambda e: e.__setitem__("summary", "Weekly drop-in baby massage for fathers in Erdington."),
     "summary", "are in the excerpt"),
    # Coverage the excerpt does not name.
    ("social-and-emotional-mental-health-pathfinder-roots-project",
     lambda e: e.__setitem__("coverage", {"districts": ["Northfield", "Yardley"]}), "coverage", "Yardley"),
    # The preferred route read the wrong way round: a professional route INTO health visiting
    # quoting the findings does not say a professional refers.
    ("birmingham-forward-steps-early-years-and-family-support",
     lambda e: e["referral"].append({"referrer": "automatic", "cite": e["first_step"]}), "route 1: referrer", "automatic"),
])
def test_a_value_its_excerpt_does_not_support_fails(key, change, label, words):
    item = entry(key)
    change(item)
    problems = dict(failures(item))
    assert label in problems and words in problems[label]


def test_inferred_facts_need_no_excerpt_but_say_why():
    item = entry("early-years-alliance-and-thrive-together-stay-and-play-groups")
    cost = next(c for c, _ in citation_problems(item, source_text()) if c.fact == "cost")
    assert cost.kind == SourceKind.INFERRED and "does not say the groups are free" in cost.note


def test_excerpts_match_across_markup_and_typographic_quotes_but_not_across_words():
    text = SourceText("**Table 3: x**\nA\tB\n<b>Acacia (0-2 years)</b> Mild to moderate PNMH support &amp; “groups”\n")
    assert text.problems("Table 3", 'Acacia (0-2 years) Mild to  moderate PNMH\nsupport & "groups"') == []
    assert text.problems("Table 3", "Mild to moderate PNMH groups") != []
    assert normalise("<b>St&nbsp;Basils</b> **16–25**") == "St Basils 16-25"


def test_a_public_fact_whose_value_is_not_in_its_excerpt_fails():
    fact = copy.deepcopy(next(f for f in PUBLIC if f["target"] == "service.phone"))
    fact["value"] = "0121 000 0000"
    assert public_fact_problems(fact) == [f"the excerpt does not give '0121 000 0000'"]
    route = copy.deepcopy(next(f for f in PUBLIC if f["service"] == "health-in-mind" and f["target"] == "route"))
    route["route"]["acceptance_criteria"] += " A referral can be for the parent or carer looking after the child."
    assert public_fact_problems(route) and "acceptance_criteria" in public_fact_problems(route)[0]


# --- loadseed refuses a bad citation, naming where it is ----------------------------------------

@pytest.fixture
def fixtures_copy(tmp_path, monkeypatch):
    for path in FIXTURES.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(seed, "FIXTURES", tmp_path)
    return tmp_path


@pytest.mark.django_db(transaction=False)
def test_loadseed_refuses_an_excerpt_the_source_does_not_have_and_writes_nothing(fixtures_copy):
    path = fixtures_copy / "seed_services.yaml"
    text = path.read_text()
    old = "      excerpt: Ensure every effort is made to deliver routine health visiting provision across Birmingham."
    assert old in text
    path.write_text(text.replace(old, "      excerpt: Ensure health visiting is offered in every district."))
    Service.objects.all().delete()
    with pytest.raises(seed.SeedError) as caught:
        seed.load_seed()
    assert ("seed_services.yaml, service 2 (Birmingham Forward Steps: Health Visiting), field 'coverage': "
            "'Ensure health visiting is offered in every district.' is not in Recommendation 6a") in str(caught.value)
    assert not Service.objects.exists()


# --- The loaded database ---------------------------------------------------------------------

@pytest.mark.django_db
def test_every_needs_assessment_fact_in_the_database_quotes_its_section():
    source = source_text()
    facts = list(Fact.objects.filter(kind=SourceKind.NEEDS_ASSESSMENT))
    assert len(facts) >= 90
    for fact in facts:
        assert fact.excerpt.strip(), fact
        assert source.problems(fact.section, fact.excerpt) == [], fact


@pytest.mark.django_db
def test_descriptions_for_parents_are_the_directory_teams_words_not_a_source():
    for fact in Fact.objects.filter(field="parent_description"):
        assert fact.kind == SourceKind.DIRECTORY_TEAM and not fact.excerpt


# --- Ages: one transcription ------------------------------------------------------------------

@pytest.mark.parametrize("words, expected", [
    ("0-25 years", (0, 299, "")),
    ("0-5 years", (0, 59, "")),
    ("(0-2 years)", (0, 23, "")),
    ("0-18 years", (0, 215, "")),
    ("under 5s", (0, 59, "")),
    ("under 2 years", (0, 23, "")),
    ("antenatal to age 12 months", (-9, 11, "")),
    ("first 1001 days", (-9, 23, "")),
    ("pregnancy-28 days postnatal", (-9, 0, "pregnancy to 28 days after birth")),
    ("pre-birth", (-9, 0, "")),
])
def test_age_words_are_transcribed_one_way(words, expected):
    assert transcribe_ages(words) == expected


@pytest.mark.parametrize("words", ["5-0 years", "about two", "pregnancy to 40 days", "all ages"])
def test_age_words_it_cannot_read_are_refused(words):
    with pytest.raises(AgeWordsError):
        transcribe_ages(words)


@pytest.mark.django_db
def test_no_page_grows_an_age_range_by_one(client):
    """The source's upper number is what every practitioners' page says: "0-25 years" is never
    "26", "0-5" never "6", "28 days" never "2 months"."""
    expectations = {
        "early-help-community-connectors": ("From birth to 25 years", "26 years"),
        "early-years-inclusion-support-eyis": ("From birth to 5 years", "6 years"),
        "approachable-parenting": ("From birth to 3 years", "4 years"),
        "community-and-specialist-midwives": ("pregnancy to 28 days after birth", "2 months"),
    }
    for slug, (shown, never) in expectations.items():
        html = client.get(Service.objects.get(slug=slug).get_absolute_url()).content.decode()
        assert re.search(re.escape(shown), html, re.I), slug
        assert never not in html, slug


def test_supports_reads_the_sources_own_abbreviations():
    abbreviations = source_text().abbreviations()
    assert abbreviations["PNMH"] == "Perinatal Mental Health"
    assert supports("summary", "perinatal mental health support", "Mild to moderate PNMH support", abbreviations) is None
    assert supports("summary", "perinatal mental health support", "Mild to moderate PNMH support") is not None
