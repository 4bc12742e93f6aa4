"""History in words: a service's history page also lists what happened to its referral routes
and venues (issue 20), and no history entry ever says "None" for an empty value or reason.

Routes, a service's venue rows (`ServiceAtLocation`) and venues each keep their own
simple-history table; a service's own history holds only its fields. `related_changes` reads
the three tables in a fixed number of queries (one each, plus the people) and says each entry
as a sentence: who, when, what, and why when a reason was given.
"""
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils.text import capfirst
from simple_history.template_utils import HistoricalRecordContextHelper

from directory.models import ReferralRoute, ServiceAtLocation, Venue

EMPTY = "(empty)"
SYSTEM = "the system"  # a change made by a command (the seed, an import run from the shell)
RELATED_LIMIT = 100  # entries shown; the routes' and venues' own history pages hold the rest


def shown(value):
    """A value in a history entry: never 'None'."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value


class WordsContextHelper(HistoricalRecordContextHelper):
    """simple-history's list of changes, with an empty value said as "(empty)", not "None"."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if getattr(field, "choices", None) and value not in (None, ""):
            value = dict(field.flatchoices).get(value, value)
        return shown(value)


@dataclass(frozen=True)
class RelatedChange:
    when: datetime
    who: str
    what: str  # "Added the referral route 'Self-referral'"
    changes: tuple  # ((field label, old, new), ...) for a change; empty for an addition or removal
    reason: str  # "" when none was given


def person(user):
    if user is None:
        return SYSTEM
    return user.get_full_name() or user.username


def route_label(record):
    referrer = dict(ReferralRoute._meta.get_field("referrer").flatchoices).get(record.referrer, record.referrer)
    return f"{referrer}" + (f" ({record.professions})" if record.professions else "")


def _entries(records, label, noun, excluded=(), names=None):
    """Entries for one table's history rows (oldest first within each record)."""
    entries, previous = [], {}
    for record in records:
        before = previous.get(record.id)
        name = label(record)
        if record.history_type == "+":
            what, changes = f"Added {noun} '{name}'", ()
        elif record.history_type == "-":
            what, changes = f"Removed {noun} '{name}'", ()
        else:
            changes = ()
            if before is not None:
                delta = record.diff_against(before, excluded_fields=excluded)
                changes = tuple(_change(record.instance_type, c, names or {}) for c in delta.changes)
            if before is not None and not changes:
                previous[record.id] = record
                continue  # saved without a change: nothing to say
            what = f"Changed {noun} '{name}'"
        previous[record.id] = record
        entries.append(RelatedChange(record.history_date, person(record.history_user), what, changes,
                                     (record.history_change_reason or "").strip()))
    return entries


def _change(model, change, names):
    field = model._meta.get_field(change.field)
    values = []
    for value in (change.old, change.new):
        if getattr(field, "choices", None) and value not in (None, ""):
            value = dict(field.flatchoices).get(value, value)
        if field.is_relation and value is not None:
            value = names.get(value, value)  # names read beforehand: no query per entry
        values.append(str(shown(value)))
    return (capfirst(field.verbose_name), *values)


def related_changes(service, limit=RELATED_LIMIT):
    """What happened to `service`'s referral routes, its venue rows and those venues, newest
    first: four queries (routes', venue rows', venues' history, and their people)."""
    routes = list(ReferralRoute.history.filter(service_id=service.pk).order_by("history_date", "history_id"))
    links = list(ServiceAtLocation.history.filter(service_id=service.pk).order_by("history_date", "history_id"))
    venue_ids = {link.venue_id for link in links}
    venues = list(Venue.history.filter(id__in=venue_ids).order_by("history_date", "history_id")) if venue_ids else []
    user_ids = {r.history_user_id for r in routes + links + venues if r.history_user_id}
    users = get_user_model().objects.in_bulk(user_ids) if user_ids else {}
    venue_names = {venue.id: venue.name for venue in venues}
    if venue_ids - venue_names.keys():  # venues with no history of their own (made before it was kept)
        venue_names.update(Venue.objects.filter(pk__in=venue_ids - venue_names.keys()).values_list("pk", "name"))
    for record in routes + links + venues:
        # history_user is a foreign key: read from the one query above, not one per row.
        record.history_user = users.get(record.history_user_id)
    links_said = _entries(links, lambda r: venue_names.get(r.venue_id, f"venue {r.venue_id}"),
                          "the venue", excluded=["service"], names=venue_names)
    # A venue is shared: its own changes are said as the venue's, since they show on this service's page.
    venues_said = _entries(venues, lambda r: f"{r.name} ({r.postcode})", "details of the venue",
                           excluded=["lat", "lon", "district"])
    entries = _entries(routes, route_label, "the referral route", excluded=["service"]) + links_said + venues_said
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries[:limit], len(entries)
