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


def _months(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def barriers_from(answers):
    """{barrier: bool} for one self-audit's answers. A barrier is found only where an answer
    shows it: an unanswered question finds nothing (the report counts answers, not guesses)."""
    answers = answers or {}
    from_months = _months(answers.get("age_from_months"))
    # Babies under two are excluded when the service says so, or when its youngest age is two
    # or more and the limit is the baby's (a parent's age limit does not exclude babies).
    baby_limit = answers.get("age_limit_applies_to") in ("baby", "both")
    excludes_under_twos = answers.get("accepts_under_twos") == NO or (
        baby_limit and from_months is not None and from_months >= 24)
    who = answers.get("who_can_refer") or []
    venues = answers.get("venues") or []
    languages = answers.get("languages") or []
    return {
        "excludes_under_twos": bool(excludes_under_twos),
        "excludes_pregnancy": answers.get("accepts_pregnancy") == NO,
        "no_self_referral": bool(who) and "self" not in who and "automatic" not in who,
        "no_community_venue": answers.get("uses_community_venues") == NO
        or (answers.get("uses_community_venues") == YES and not venues),
        "not_free": answers.get("cost") in ("paid", "varies"),
        # English only: the service names English as its only language and offers no interpreters.
        "english_only": list(languages) == [ENGLISH] and answers.get("interpreters") != YES,
        "wants_advice": answers.get("wants_advice") == YES,
    }


def barrier_names(flags):
    """The barriers that are set, in words, in the report's order."""
    return [words for key, words in BARRIERS.items() if flags.get(key)]
