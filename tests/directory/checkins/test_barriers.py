"""The self-audit's barrier rules (directory/checkins/barriers.py): each rule, its edges, and
junk answers, which never raise. No database: the rules read answers only."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.checkins.barriers import BARRIERS, QUESTIONS, barrier_names, barriers_from

NONE_FOUND = {key: False for key in BARRIERS}


def found(answers):
    """The barriers `answers` show, as a set of keys."""
    return {key for key, value in barriers_from(answers).items() if value}


def test_it_finds_nothing_when_nothing_is_answered():
    assert barriers_from({}) == NONE_FOUND
    assert barriers_from(None) == NONE_FOUND


def test_it_answers_every_barrier_and_only_those():
    assert set(barriers_from({})) == set(BARRIERS)


def test_it_says_every_barrier_in_words_in_the_reports_order():
    flags = {key: True for key in BARRIERS}
    assert barrier_names(flags) == list(BARRIERS.values())
    assert barrier_names({"english_only": True, "excludes_under_twos": True}) == [
        "Babies under two excluded", "English only"]


def test_every_answer_key_of_the_schema_has_its_question_in_words():
    from directory.checkins import barriers

    documented = {line.split()[0] for line in barriers.__doc__.split("The answers")[1].splitlines()[2:]
                  if line.startswith("    ") and line[4:5].isalpha()}
    assert documented == set(QUESTIONS)


# --- Babies under two -------------------------------------------------------------------------

@pytest.mark.parametrize("answer, excluded", [("no", True), ("yes", False), ("not_sure", False)])
def test_it_finds_under_twos_excluded_only_when_the_service_says_no(answer, excluded):
    assert ("excludes_under_twos" in found({"accepts_under_twos": answer})) is excluded


@pytest.mark.parametrize("months, excluded", [(23, False), (24, True), (36, True), (0, False), (-9, False)])
def test_a_youngest_baby_of_two_or_more_excludes_under_twos(months, excluded):
    assert ("excludes_under_twos" in found({"age_from_months": months, "age_limit_applies_to": "baby"})) is excluded
    assert ("excludes_under_twos" in found({"age_from_months": months, "age_limit_applies_to": "both"})) is excluded


def test_a_youngest_age_given_as_text_counts_like_a_number():
    assert "excludes_under_twos" in found({"age_from_months": "24", "age_limit_applies_to": "baby"})


@pytest.mark.parametrize("whose", ["parent", "none"])
def test_an_age_limit_that_is_the_parents_or_none_does_not_exclude_babies(whose):
    assert "excludes_under_twos" not in found({"age_from_months": 36, "age_limit_applies_to": whose})


def test_a_youngest_baby_of_two_excludes_under_twos_even_when_whose_limit_is_unanswered():
    """Fixed: the rule counted the months only when the service also said the limit was the
    baby's. The question asks for "the youngest baby you work with (months)", so the answer is
    the baby's age whatever the next question says, unless the service says the limit is the
    parent's alone or that there is none."""
    assert "excludes_under_twos" in found({"age_from_months": 24})
    assert "excludes_under_twos" in found({"age_from_months": 24, "age_limit_applies_to": ""})


def test_a_service_that_says_yes_but_starts_at_two_is_still_found():
    assert "excludes_under_twos" in found(
        {"accepts_under_twos": "yes", "age_from_months": 24, "age_limit_applies_to": "baby"})


# --- Pregnancy --------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, excluded", [("no", True), ("yes", False), ("not_sure", False), (None, False)])
def test_it_finds_pregnancy_excluded_only_when_the_service_says_no(answer, excluded):
    assert ("excludes_pregnancy" in found({"accepts_pregnancy": answer})) is excluded


# --- Referral ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who, barrier", [
    (["professional"], True),
    (["self"], False),
    (["professional", "self"], False),
    (["automatic"], False),  # every family is offered it: nobody needs to refer
    (["professional", "automatic"], False),
    ([], False),  # unanswered finds nothing
    (None, False),
])
def test_no_self_referral_is_found_only_when_only_professionals_can_refer(who, barrier):
    assert ("no_self_referral" in found({"who_can_refer": who})) is barrier


# --- Community venues -------------------------------------------------------------------------

VENUE = {"name": "Acacia Community Hall", "address": "1 Example Street", "postcode": "B1 1AA", "free": "yes",
         "step_free": "not_sure"}


@pytest.mark.parametrize("uses, venues, barrier", [
    ("no", [], True),
    ("no", [VENUE], True),  # the service says it uses none
    ("yes", [VENUE], False),
    ("yes", [], True),  # uses venues, yes, but lists none
    ("yes", None, True),
    ("yes", [{"name": "", "address": " ", "postcode": ""}], True),  # an empty row the page sent is no venue
    ("yes", [{"postcode": "B1 1AA"}], False),  # a postcode alone says where
    (None, [], False),  # unanswered finds nothing
    (None, [VENUE], False),
])
def test_no_community_venue(uses, venues, barrier):
    assert ("no_community_venue" in found({"uses_community_venues": uses, "venues": venues})) is barrier


# --- Cost -------------------------------------------------------------------------------------

@pytest.mark.parametrize("cost, barrier", [("paid", True), ("varies", True), ("free", False), ("", False),
                                           (None, False)])
def test_not_free(cost, barrier):
    assert ("not_free" in found({"cost": cost})) is barrier


# --- Languages --------------------------------------------------------------------------------

@pytest.mark.parametrize("languages, interpreters, barrier", [
    (["en"], "no", True),
    (["en"], None, True),  # no interpreters offered: still English only
    (["en"], "not_sure", True),
    (["en"], "yes", False),  # English plus interpreters is not English only
    (["en", "ur"], "no", False),
    (["ur"], "no", False),
    (["en", "en"], "no", True),  # the same language twice is still one
    (["EN "], "no", True),
    ([], "no", False),  # unanswered finds nothing
    (None, None, False),
])
def test_english_only(languages, interpreters, barrier):
    assert ("english_only" in found({"languages": languages, "interpreters": interpreters})) is barrier


# --- Advice -----------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, barrier", [("yes", True), ("no", False), (None, False), (True, False)])
def test_asked_for_advice(answer, barrier):
    assert ("wants_advice" in found({"wants_advice": answer})) is barrier


# --- Junk -------------------------------------------------------------------------------------

@pytest.mark.parametrize("answers", [
    {"age_from_months": "two years", "age_limit_applies_to": "baby"},
    {"age_from_months": None},
    {"age_from_months": [24]},
    {"age_from_months": {"months": 24}},
    {"age_from_months": 10 ** 400},
    {"age_from_months": float("nan")},
    {"age_from_months": float("inf"), "age_limit_applies_to": "baby"},
    {"age_from_months": True, "age_limit_applies_to": "baby"},
    {"who_can_refer": 123},
    {"who_can_refer": {"self": True}},
    {"who_can_refer": [None, 5, ["self"]]},
    {"venues": 5, "uses_community_venues": "yes"},
    {"venues": [None, 3, ["x"]], "uses_community_venues": "yes"},
    {"languages": 5},
    {"languages": [None, 7]},
    {"cost": ["paid"]},
    {"accepts_under_twos": ["no"]},
    {"age_limit_applies_to": ["baby"], "age_from_months": 30},
    "not a mapping",
    ["a", "list"],
    42,
])
def test_junk_answers_never_raise(answers):
    flags = barriers_from(answers)
    assert set(flags) == set(BARRIERS)
    assert all(isinstance(value, bool) for value in flags.values())


def test_one_referrer_stored_as_text_is_read_as_a_list_of_one():
    """Not "self" found inside "professional, self"-like text by accident: a string is one code."""
    assert "no_self_referral" in found({"who_can_refer": "professional"})
    assert "no_self_referral" not in found({"who_can_refer": "self"})
    assert "no_self_referral" in found({"who_can_refer": "myself-and-others"})


def test_one_language_stored_as_text_is_read_as_a_list_of_one():
    assert "english_only" in found({"languages": "en"})


json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.text(max_size=10), children, max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(sorted(QUESTIONS)) | st.text(max_size=10), json, max_size=12))
def test_any_json_answers_give_seven_booleans(answers):
    flags = barriers_from(answers)
    assert set(flags) == set(BARRIERS) and all(isinstance(value, bool) for value in flags.values())
