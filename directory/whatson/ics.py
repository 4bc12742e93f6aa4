"""Calendar feeds (RFC 5545), written with the `icalendar` package (docs/adr/0021).

A feed lists each date as its own event (from a week ago to 13 weeks ahead) rather than one
event with an RRULE: "term time only" and moved dates have no RRULE, and a calendar app that
re-reads the feed gets every change. Each date keeps one UID, so a date that is cancelled later
shows as cancelled in the subscriber's calendar instead of vanishing. Times carry
TZID=Europe/London with its VTIMEZONE, so 10:00 stays 10:00 across the clock changes.
"""
from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from directory.whatson.rules import repeat_words, time_words

PRODID = "-//Birmingham parent-infant support directory//What's on//EN"


def _calendar(name, description):
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/London")
    if description:
        cal.add("x-wr-caldesc", description)
    # Calendar apps re-read a subscribed feed; once a day is enough for weekly sessions.
    cal.add("refresh-interval", timedelta(days=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT24H")
    return cal


def _where(session):
    if session.place_id:
        venue = session.place.venue
        return ", ".join(part for part in (venue.name, venue.address, venue.postcode) if part)
    return "Online" if session.online else ""


def sessions_calendar(*, name, description, occurrences, host, absolute, service_path=None):
    """The .ics text of `occurrences` (rules.Occurrence). `absolute(path)` makes a full address;
    `service_path(service)` the page each event links to (the practitioners' page by default)."""
    service_path = service_path or (lambda service: service.get_absolute_url())
    cal = _calendar(name, description)
    stamp = timezone.now()
    for occurrence in occurrences:
        session = occurrence.session
        service = session.service
        event = Event()
        day = occurrence.moved_from or occurrence.day
        event.add("uid", f"session-{session.uuid}-{day:%Y%m%d}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", session.title or service.name)
        event.add("dtstart", occurrence.starts)
        event.add("dtend", occurrence.ends)
        where = _where(session)
        if where:
            event.add("location", where)
        lines = [f"{repeat_words(session)} {time_words(session.opens_at, session.closes_at)}"
                 + (", term time only" if session.term_time_only else "")]
        if occurrence.moved_from:
            lines.append(f"Moved from {occurrence.moved_from:%A %d %B}.")
        if occurrence.note:
            lines.append(occurrence.note)
        if session.description:
            lines.append(session.description)
        if session.get_booking_display() and session.booking:
            lines.append(session.get_booking_display())
        page = absolute(service_path(service))
        lines.append(f"{service.name}: {page}")
        event.add("description", "\n".join(lines))
        event.add("url", page)
        event.add("status", "CANCELLED" if occurrence.cancelled else "CONFIRMED")
        if occurrence.cancelled:
            event["summary"] = f"Cancelled: {session.title or service.name}"
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def events_calendar(*, name, description, events, host, absolute):
    """The .ics text of knowledge-sharing events."""
    cal = _calendar(name, description)
    stamp = timezone.now()
    for item in events:
        event = Event()
        event.add("uid", f"event-{item.uuid}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", item.title)
        event.add("dtstart", timezone.localtime(item.starts_at))
        event.add("dtend", timezone.localtime(item.ends_at))
        if item.venue_id:
            event.add("location", ", ".join(p for p in (item.venue.name, item.venue.address, item.venue.postcode) if p))
        elif item.online_link:
            event.add("location", "Online")
        lines = [item.description] if item.description else []
        if item.online_link:
            lines.append(f"Join online: {item.online_link}")
        if item.booking_url:
            lines.append(f"Book: {item.booking_url}")
        lines.append(absolute(item.get_absolute_url()))
        event.add("description", "\n".join(lines))
        event.add("url", absolute(item.get_absolute_url()))
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
