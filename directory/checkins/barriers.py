"""The under-2s self-audit's answers, and the barriers they show (issue 20; recommendations 2a,
2d and 2e of the needs assessment).

One place says what the answers look like (`QUESTIONS`, the keys of `SelfAudit.answers`) and
what counts as a barrier (`barriers_from`): the check-in page stores the answers and the flags
at submission, and the IMHSG's report filters and counts the flags. A rule changed here applies
to new submissions; `SelfAudit.refresh_barriers()` is not needed because a report year compares
what the rules said then.

The answers (every key optional: a provider may leave any question unanswered):

    accepts_pregnancy      "yes" | "no" | "not_sure"   referrals during pregnancy
    accepts_under_twos     "yes" | "no" | "not_sure"   referrals for babies under two
    age_from_months        int | None                  the youngest baby (months)
    age_to_months          int | None                  the oldest child (months)
    age_limit_applies_to   "baby" | "parent" | "both" | "none"
    parent_min_age_years   int | None
    parent_max_age_years   int | None
    eligibility            text                        what makes a family eligible
    exclusions             text                        what excludes a family
    exclusion_checks       [code, ...]                 criteria that may exclude babies without
                                                       meaning to (EXCLUSION_CHECKS)
    who_can_refer          [Referrer code, ...]        "self", "professional", "automatic"
    how_to_refer           text
    information_needed     text
    typical_wait           text
    uses_community_venues  "yes" | "no"
    venues                 [{"name", "address", "postcode", "free": yes/no/not_sure,
                             "step_free": yes/no/not_sure}, ...]
    cost                   Cost code: "free" | "paid" | "varies" | ""
    languages              [Language code, ...]        languages the service works in
    interpreters           "yes" | "no" | "not_sure"
    barriers_known         text                        barriers the service knows of
    wants_advice           "yes" | "no"                would like advice from the IMHSG
"""
YES, NO, NOT_SURE = "yes", "no", "not_sure"
YES_NO_NOT_SURE = [(YES, "Yes"), (NO, "No"), (NOT_SURE, "Not sure")]

# Criteria that exclude babies without meaning to: the page asks about each, in these words.
EXCLUSION_CHECKS = {
    "diagnosis": "A diagnosis is needed before we accept a referral",
    "minimum_age": "We have a minimum age for the child (for example, over 2)",
    "waiting_list": "Our waiting list is longer than a baby's first months, or closes to new referrals",
    "parent_must_attend_alone": "Parents must come without their baby",
    "gp_registration": "The baby or parent must be registered with a particular GP or area",
    "previous_service": "A family must have used another service first",
}

# The barriers the report shows, in its column order, with their words.
BARRIERS = {
    "excludes_under_twos": "Babies under two excluded",
    "excludes_pregnancy": "Pregnancy excluded",
    "no_self_referral": "No self-referral",
    "no_community_venue": "No community venue",
    "not_free": "Not free",
    "english_only": "English only",
    "wants_advice": "Asked for advice",
}

ENGLISH = "en"  # the Language code the seed gives English (directory/seed/loader.py)

# Every question of the self-audit, in the order the page asks them, in the words the report
# and the comparison of two audits show beside each answer.
QUESTIONS = {
    "accepts_pregnancy": "Do you accept referrals during pregnancy?",
    "accepts_under_twos": "Do you accept referrals for babies under two?",
    "age_from_months": "Youngest baby you work with (months)",
    "age_to_months": "Oldest child you work with (months)",
    "age_limit_applies_to": "Whose age the limit is",
    "parent_min_age_years": "Parent's minimum age (years)",
    "parent_max_age_years": "Parent's maximum age (years)",
    "eligibility": "What makes a family eligible",
    "exclusions": "What excludes a family",
    "exclusion_checks": "Criteria that may exclude babies without meaning to",
    "who_can_refer": "Who can refer",
    "how_to_refer": "How to refer",
    "information_needed": "Information you need with a referral",
    "typical_wait": "Typical wait",
    "uses_community_venues": "Do you use community venues?",
    "venues": "Community venues",
    "cost": "Cost to families",
    "languages": "Languages you work in",
    "interpreters": "Interpreters available",
    "barriers_known": "Barriers you know of",
    "wants_advice": "Would you like advice from the IMHSG?",
}


def _months(value):
    if isinstance(value, bool):
        return None  # a tick box's True is not an age
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        return None


def as_list(value):
    """An answer that should be a list, whatever was stored: one string is a list of one;
    anything else that is not a list (a number, a mapping, None) is no answer."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str) and value.strip():
        return [value]
    return []


def _codes(value):
    return {item.strip().lower() for item in as_list(value) if isinstance(item, str) and item.strip()}


def named_venues(value):
    """The venues that say something (a name, an address or a postcode): the page may send an
    empty row for a venue nobody filled in, which is not a venue."""
    venues = []
    for venue in as_list(value):
        if isinstance(venue, dict):
            if any(isinstance(venue.get(key), str) and venue[key].strip() for key in ("name", "address", "postcode")):
                venues.append(venue)
        elif isinstance(venue, str) and venue.strip():
            venues.append({"name": venue})
    return venues


def barriers_from(answers):
    """{barrier: bool} for one self-audit's answers. A barrier is found only where an answer
    shows it: an unanswered question finds nothing (the report counts answers, not guesses).
    Never raises, whatever the answers hold (they are JSON a form or an import wrote)."""
    answers = answers if isinstance(answers, dict) else {}
    from_months = _months(answers.get("age_from_months"))
    # Babies under two are excluded when the service says so, or when the youngest baby it works
    # with is two or more. The months are the baby's age (the question asks for "the youngest
    # baby"), so they exclude babies unless the service says the limit is the parent's alone or
    # that there is none; a service that did not say whose limit it is still gave the baby's age.
    baby_limit = answers.get("age_limit_applies_to") not in ("parent", "none")
    excludes_under_twos = answers.get("accepts_under_twos") == NO or (
        baby_limit and from_months is not None and from_months >= 24)
    who = _codes(answers.get("who_can_refer"))
    languages = _codes(answers.get("languages"))
    return {
        "excludes_under_twos": bool(excludes_under_twos),
        "excludes_pregnancy": answers.get("accepts_pregnancy") == NO,
        # "Automatic" (every family is offered it) needs nobody to refer, so it is no barrier.
        "no_self_referral": bool(who) and not (who & {"self", "automatic"}),
        "no_community_venue": answers.get("uses_community_venues") == NO
        or (answers.get("uses_community_venues") == YES and not named_venues(answers.get("venues"))),
        "not_free": answers.get("cost") in ("paid", "varies"),
        # English only: the service names English as its only language and offers no interpreters.
        "english_only": languages == {ENGLISH} and answers.get("interpreters") != YES,
        "wants_advice": answers.get("wants_advice") == YES,
    }


def barrier_names(flags):
    """The barriers that are set, in words, in the report's order."""
    return [words for key, words in BARRIERS.items() if flags.get(key)]
