"""Where each fact a family or practitioner acts on came from, and whether the IMHSG has confirmed it.

A `Fact` row describes one field of one record (a service's phone, a route's
acceptance criteria, a venue's address, an organisation's website): its source
(the needs assessment with its section, a public web page with its address and
the date it was read, the provider, an IMHSG curator, or an inference of ours)
and, once a curator has checked it, who confirmed it and when. The value itself
stays on the record; the Fact only vouches for it. Confirming is one action
(`Fact.confirm`, the admin's "Confirm" actions); a curator's own edit in the
admin records the curator as the source, confirmed that day.
"""
from django.utils import timezone

from directory.models import Fact, SourceKind










def record_fact(*, owner, field, kind, user=None, confirmed=False, **source):
    """Create or replace the source of one fact. Used by the seed, the admin and imports."""
    owner_field = {"Service": "service", "ReferralRoute": "route", "Venue": "venue", "Organisation": "organisation"}[
        type(owner).__name__
    ]
    # A new source is a new value: the service's "still right" (issue 20) was about the old one.
    defaults = {"kind": kind, "section": "", "source_url": "", "excerpt": "", "read_on": None, "note": "",
                "confirmed_on": None, "confirmed_by": None, "checked_by_service_on": None, **source}
    if confirmed:
        defaults |= {"confirmed_on": timezone.localdate(), "confirmed_by": user}
    fact, _ = Fact.objects.update_or_create(**{owner_field: owner, "field": field}, defaults=defaults)
    return fact






# Which form fields vouch for which fact, per kind of record: a curator who changes
# one of these fields in the admin becomes the fact's source, confirmed that day.
FORM_FIELD_FACTS = {
    "Service": {
        "phone": "phone", "email": "email", "url": "url", "organisation": "organisation",
        # The directory team's words for parents stop being theirs once a curator changes them
        # (the parents' pages then stop saying "not yet checked by the service"; issue 21).
        "parent_description": "parent_description",
        "age_range": "age_range", "age_from_months": "age_range", "age_to_months": "age_range", "age_words": "age_range",
        "summary": "summary",
        "eligibility_description": "eligibility", "parent_min_age_years": "eligibility",
        "parent_max_age_years": "eligibility", "cost": "cost", "fees_description": "cost",
        "languages": "languages", "delivery_modes": "delivery_modes", "schedule_description": "schedule",
        "interventions": "interventions", "coverage_type": "coverage", "coverage_districts": "coverage",
        "locality": "coverage", "locality_district": "coverage",
    },
    "ReferralRoute": {
        "referrer": "referrer", "professions": "referrer", "method": "how_to_refer", "how_to_refer": "how_to_refer",
        "acceptance_criteria": "acceptance_criteria", "exclusions": "exclusions", "waiting_time": "waiting_time",
        "contact": "contact", "url": "url",
    },
    "Venue": {"name": "address", "address": "address", "postcode": "address"},
    "Organisation": {"url": "url"},
}


def record_curator_edits(obj, changed_fields, user):
    """After a curator saves `obj` in the admin: each fact they changed now comes from them, confirmed."""
    # Records without facts of their own (sessions, terms, events: issue 23) record none.
    facts = {FORM_FIELD_FACTS.get(type(obj).__name__, {}).get(name) for name in changed_fields} - {None}
    for fact in facts:
        record_fact(owner=obj, field=fact, kind=SourceKind.CURATOR, user=user, confirmed=True)
    return facts
