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
DIRECTORY_TEAM_NOTE = (
    "Written by the directory team from the needs assessment and public pages; not yet checked by the service."
)


@dataclass(frozen=True)
class SourceNote:
    """One line under a fact: where it came from, and whether it is confirmed."""

    text: str
    confirmed: bool
    link_text: str = ""  # the source page's site, shown as a link
    link_url: str = ""
    checked_by_service: bool = False  # the service itself said it is still right (issue 20)
    quote: str = ""  # the source's own words the fact rests on, so a reader can check it


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
    return SourceNote(text, note.confirmed, note.link_text, note.link_url, checked_by_service=True, quote=note.quote)


def _source_note(fact):
    if fact is None:
        return SourceNote("Source not recorded.", confirmed=False)
    if fact.confirmed_on:
        return SourceNote(f"Confirmed by the IMHSG on {format_date(fact.confirmed_on, 'j F Y')}.", confirmed=True)
    quote = fact.excerpt.strip()
    if fact.kind == SourceKind.PUBLIC_PAGE:
        site = urlsplit(fact.source_url).hostname or "a web page"
        site = site.removeprefix("www.")
        read = f", read {format_date(fact.read_on, 'j F Y')}" if fact.read_on else ""
        url = safe_href(fact.source_url)
        return SourceNote(f"From a public web page{read}. {NOT_CONFIRMED}", confirmed=False, link_text=site, link_url=url,
                          quote=quote)
    if fact.kind == SourceKind.NEEDS_ASSESSMENT:
        section = f", {fact.section}" if fact.section else ""
        return SourceNote(f"From the needs assessment (May 2022){section}. {NOT_CONFIRMED}", confirmed=False, quote=quote)
    if fact.kind == SourceKind.DIRECTORY_TEAM:
        return SourceNote(DIRECTORY_TEAM_NOTE, confirmed=False)
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

    def quotes(self, service):
        """The distinct source words behind a service's facts (its own, its routes', its venues'
        and its organisation's), for a page's "what the sources say": [(where, words)], the needs
        assessment first. Reads only what the index holds (no query)."""
        routes = {route.pk for route in service.referral_routes.all()}
        venues = {sal.venue_id for sal in service.service_at_locations.all()}
        owners = {("service", service.pk), ("organisation", service.organisation_id)}
        owners |= {("route", pk) for pk in routes} | {("venue", pk) for pk in venues}
        found = {}
        for (kind, owner_id, _field), fact in sorted(self._facts.items(), key=lambda item: (item[0][0], item[0][1], item[0][2])):
            if (kind, owner_id) not in owners or not fact.excerpt.strip():
                continue
            if fact.kind == SourceKind.NEEDS_ASSESSMENT:
                where = f"The needs assessment (May 2022), {fact.section}" if fact.section else "The needs assessment (May 2022)"
            elif fact.kind == SourceKind.PUBLIC_PAGE:
                where = (urlsplit(fact.source_url).hostname or "a web page").removeprefix("www.")
            else:
                continue
            found.setdefault((fact.kind != SourceKind.NEEDS_ASSESSMENT, where, " ".join(fact.excerpt.split())), None)
        return [(where, words) for _order, where, words in sorted(found, key=lambda key: (key[0], key[1]))]

    def note(self, owner, field):
        return source_note(self.get(owner, field))
