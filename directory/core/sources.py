"""How the source of a fact reads on a public page ("From ..., not yet confirmed by the IMHSG").

Presenters ask a `FactIndex` for the source of each fact they show; the index is
filled by one query for a page (or a whole handout), so showing sources never
costs a query per row.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import Q
from django.utils.dateformat import format as format_date

from directory.models import Fact, SourceKind
from directory.core.safe_urls import safe_href

NOT_CONFIRMED = "Not yet confirmed by the IMHSG."


@dataclass(frozen=True)
class SourceNote:
    """One line under a fact: where it came from, and whether it is confirmed."""

    text: str
    confirmed: bool
    link_text: str = ""  # the source page's site, shown as a link
    link_url: str = ""
    checked_by_service: bool = False  # the service itself said it is still right (issue 20)


def source_note(fact):
    note = _source_note(fact)
    if fact is None or not fact.checked_by_service_on:
        return note
    # The service said "still right" on its check-in page (issue 20): said in its own words,
    # never as the IMHSG's confirmation, which keeps its own sentence.
    checked = f"Checked by the service on {format_date(fact.checked_by_service_on, 'j F Y')}."
    if note.confirmed:
        text = f"{note.text} {checked}"
    else:
        text = note.text.replace(NOT_CONFIRMED, f"{checked} {NOT_CONFIRMED}")
    return SourceNote(text, note.confirmed, note.link_text, note.link_url, checked_by_service=True)


def _source_note(fact):
    if fact is None:
        return SourceNote("Source not recorded.", confirmed=False)
    if fact.confirmed_on:
        return SourceNote(f"Confirmed by the IMHSG on {format_date(fact.confirmed_on, 'j F Y')}.", confirmed=True)
    if fact.kind == SourceKind.PUBLIC_PAGE:
        site = urlsplit(fact.source_url).hostname or "a web page"
        site = site.removeprefix("www.")
        read = f", read {format_date(fact.read_on, 'j F Y')}" if fact.read_on else ""
        url = safe_href(fact.source_url)
        return SourceNote(f"From a public web page{read}. {NOT_CONFIRMED}", confirmed=False, link_text=site, link_url=url)
    if fact.kind == SourceKind.NEEDS_ASSESSMENT:
        section = f", {fact.section}" if fact.section else ""
        return SourceNote(f"From the needs assessment (May 2022){section}. {NOT_CONFIRMED}", confirmed=False)
    if fact.kind == SourceKind.INFERRED:
        return SourceNote(f"Not stated by any source: our reading of the needs assessment. {NOT_CONFIRMED}", confirmed=False)
    if fact.kind == SourceKind.PROVIDER:
        return SourceNote(f"From the service. {NOT_CONFIRMED}", confirmed=False)
    return SourceNote(f"From an IMHSG curator. {NOT_CONFIRMED}", confirmed=False)


class FactIndex:
    """The facts about some services, looked up by owner and field. One query to build."""

    def __init__(self, facts=()):
        self._facts = {}
        for fact in facts:
            for owner in ("service", "route", "venue", "organisation"):
                owner_id = getattr(fact, f"{owner}_id")
                if owner_id is not None:
                    self._facts[(owner, owner_id, fact.field)] = fact

    @classmethod
    def for_services(cls, services):
        ids = [service.pk for service in services]
        if not ids:
            return cls()
        organisation_ids = {service.organisation_id for service in services}
        return cls(Fact.objects.filter(
            Q(service__in=ids) | Q(route__service__in=ids) | Q(venue__service_at_locations__service__in=ids)
            | Q(organisation__in=organisation_ids)
        ).distinct())

    def get(self, owner, field):
        """The Fact for this field of this record, or None."""
        kind = {"Service": "service", "ReferralRoute": "route", "Venue": "venue", "Organisation": "organisation"}[
            type(owner).__name__
        ]
        return self._facts.get((kind, owner.pk, field))

    def note(self, owner, field):
        return source_note(self.get(owner, field))
