"""Reads for what's on: public sessions and their dates, and the knowledge-sharing events.

Public means published sessions of published services (`Session.objects.public()`), and for
parents only services a parent may see (`for_parents`); drafts never reach a page, a calendar
or the API. Every read runs a fixed number of queries whatever the number of rows.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from directory.core.distances import distance_km
from directory.models import KnowledgeEvent, Service, Session, SessionException
from directory.whatson.rules import Terms, next_date, occurrences

FORTNIGHT = 14


def _with_details(queryset):
    """Sessions with their service, organisation and venue joined, and their exceptions: 2 queries."""
    return (queryset.select_related("service", "service__organisation", "place__venue")
            .defer("service__curator_notes")
            .prefetch_related(Prefetch("exceptions", queryset=SessionException.objects.order_by("date"))))


def _age_q(age):
    """Sessions for a baby of `age` months: the session's own ages if it states them, else the service's."""
    own = Q(age_from_months__isnull=False) | Q(age_to_months__isnull=False)
    own_fits = (Q(age_from_months__isnull=True) | Q(age_from_months__lte=age)) & (
        Q(age_to_months__isnull=True) | Q(age_to_months__gte=age))
    return (own & own_fits) | (~own & Q(service__in=Service.objects.for_age(age).values("pk")))


@dataclass
class WhatsOnDay:
    day: date
    occurrences: list = field(default_factory=list)


@dataclass
class WhatsOn:
    start: date
    end: date
    days: list
    count: int
    session_count: int


def whats_on(*, age=None, postcode=None, language=None, topic_q=None, start=None, days=FORTNIGHT):
    """Dates of sessions a parent may go to, day by day from `start` (today) for `days` days,
    nearest first within a day when a postcode was given (then by time). 3 queries: the
    sessions with what a line shows, their exceptions, the school terms."""
    start = start or timezone.localdate()
    end = start + timedelta(days=days - 1)
    queryset = whats_on_sessions_queryset(age=age, language=language, topic_q=topic_q)
    sessions = list(queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start)))
    terms = Terms()
    for session in sessions:
        venue = session.place.venue if session.place_id else None
        session.distance_km = (distance_km(postcode.lat, postcode.lon, venue.lat, venue.lon)
                               if postcode is not None and venue is not None and venue.lat is not None else None)
    by_day = {start + timedelta(days=n): WhatsOnDay(start + timedelta(days=n)) for n in range(days)}
    for session in sessions:
        for occurrence in occurrences(session, start, end, terms):
            by_day[occurrence.day].occurrences.append(occurrence)
    for entry in by_day.values():
        entry.occurrences.sort(key=lambda o: (o.session.distance_km is None, o.session.distance_km or 0, o.starts,
                                              o.session.pk))
    listed = [entry for entry in by_day.values() if entry.occurrences]
    return WhatsOn(start=start, end=end, days=listed, count=sum(len(d.occurrences) for d in listed),
                   session_count=len({o.session.pk for d in listed for o in d.occurrences}))


@dataclass
class SessionLine:
    """A session as a service page lists it: the session and its next date."""

    session: Session
    next: object


def service_sessions(*, service, today=None):
    """A published service's public sessions, each with its next date. 3 queries (1 if it has none)."""
    today = today or timezone.localdate()
    sessions = list(_with_details(Session.objects.public().filter(service=service)))
    if not sessions:
        return []
    terms = Terms()
    return [SessionLine(s, next_date(s, terms, today)) for s in sessions]


def sessions_this_week(*, service_ids, today=None):
    """{service id: number of dates (not cancelled) in the next 7 days} for search cards. 3 queries."""
    today = today or timezone.localdate()
    sessions = list(Session.objects.public().filter(service_id__in=service_ids)
                    .prefetch_related("exceptions"))
    if not sessions:
        return {}
    terms = Terms()
    counts = {}
    for session in sessions:
        found = [o for o in occurrences(session, today, today + timedelta(days=6), terms) if not o.cancelled]
        if found:
            counts[session.service_id] = counts.get(session.service_id, 0) + len(found)
    return counts


def calendar_occurrences(*, sessions, start=None, weeks=13):
    """Dates for a calendar feed: from a week ago to `weeks` ahead, cancelled ones included
    (a subscriber's calendar then shows them cancelled). 2 queries plus the sessions'."""
    start = start or timezone.localdate()
    terms = Terms()
    found = []
    for session in sessions:
        found += occurrences(session, start - timedelta(days=7), start + timedelta(weeks=weeks), terms)
    return sorted(found, key=lambda o: o.sort_key)


def public_service_sessions_queryset(*, service):
    return _with_details(Session.objects.public().filter(service=service))


def whats_on_sessions_queryset(*, age=None, language=None, topic_q=None):
    queryset = Session.objects.public().filter(service__in=Service.objects.for_parents().values("pk"))
    if age is not None:
        queryset = queryset.filter(_age_q(age))
    if language is not None:
        queryset = queryset.filter(service__languages=language)
    if topic_q is not None:
        queryset = queryset.filter(service__in=Service.objects.filter(topic_q).values("pk"))
    return _with_details(queryset)


# --- Knowledge-sharing events -------------------------------------------------------------

def _events():
    return KnowledgeEvent.objects.public().select_related("venue").prefetch_related(
        Prefetch("presenting_services", queryset=Service.objects.published().only("pk", "name", "slug")))


def event_lists(*, now=None):
    """(upcoming, soonest first; past, latest first). 2 queries."""
    now = now or timezone.now()
    events = list(_events())
    upcoming = sorted((e for e in events if e.ends_at >= now), key=lambda e: e.starts_at)
    past = sorted((e for e in events if e.ends_at < now), key=lambda e: e.starts_at, reverse=True)
    return upcoming, past


def event_get(*, slug):
    return _events().filter(slug=slug).first()


def all_public_events():
    return list(_events().order_by("starts_at"))


def service_events(*, service):
    """Published events a service presented at, latest first. 1 query."""
    return list(KnowledgeEvent.objects.public().filter(presenting_services=service).order_by("-starts_at"))
