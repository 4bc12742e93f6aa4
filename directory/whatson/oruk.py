"""Sessions as Open Referral UK `schedules`, out (the API) and in (`import_oruk`).

ORUK 3.0's schedule is the iCalendar rule parts (freq, interval, byday, bymonthday, dtstart) with
valid_from/valid_to and opens_at/closes_at, which is how a `Session` stores its repeat; so a
feed's schedule comes back out as it went in (tests/directory/whatson/test_oruk.py). What ORUK
cannot say is not sent: "term time only" is in the words of `description`, and single-date
exceptions stay here. Times are UK local (Europe/London) wall-clock times, "HH:MM".

directory/openreferral/ calls only `schedules_payload`, `is_structured` and `import_schedules`.
"""
import re
import uuid as uuid_module
from datetime import date, time

from django.core.exceptions import ValidationError

from directory.core.numbers import whole_number
from directory.models import Frequency, Session, Status
from directory.whatson.rules import rule_problems, session_words

TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$", re.ASCII)  # "٠٩:٣٠" is not a time
TEXT_FIELDS = ("description", "notes", "attending_type")


def _omit_empty(data):
    return {key: value for key, value in data.items() if value not in (None, "")}


def schedule_payload(session, service_uuid):
    """One published session as an ORUK schedule."""
    return _omit_empty({
        "id": str(session.uuid),
        "service_id": service_uuid,
        "service_at_location_id": str(session.place.uuid) if session.place_id else None,
        "valid_from": session.valid_from.isoformat() if session.valid_from else None,
        "valid_to": session.valid_to.isoformat() if session.valid_to else None,
        "dtstart": session.dtstart.isoformat() if session.dtstart else None,
        "freq": session.freq,
        "interval": session.interval,
        "byday": session.byday,
        "bymonthday": session.bymonthday,
        "opens_at": session.opens_at.strftime("%H:%M"),
        "closes_at": session.closes_at.strftime("%H:%M"),
        # The feed's own words if it had them; else ours ("Tuesdays 10:00 to 11:30, term time only").
        "description": session.description or session_words(session, with_next=False),
        "schedule_link": session.schedule_link,
        "attending_type": session.attending_type or ("Online" if session.online else ""),
        "notes": session.notes,
    })


def schedules_payload(sessions, service_uuid):
    """The published sessions among `sessions` (prefetched with their places), as ORUK schedules."""
    return [schedule_payload(s, service_uuid) for s in sessions if s.status == Status.PUBLISHED]


def is_structured(schedule):
    """A feed schedule that says when (a repeat and times), not only words."""
    return isinstance(schedule, dict) and bool(schedule.get("freq")) and bool(schedule.get("opens_at"))


def _time(value, what, warnings):
    match = TIME.match(str(value or "").strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{what} '{value}' is not a time like 10:00")
    if match.group(4):
        warnings.append(f"{what} '{value}' has a time zone; it is read as UK local time.")
    return time(int(match.group(1)), int(match.group(2)))


def _date(value, what):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"{what} '{value}' is not a date like 2027-01-31") from None


def _text(value, length=None):
    text = value.strip() if isinstance(value, str) else ""
    return text[:length] if length else text


def session_values(schedule):
    """The Session fields a feed schedule gives, and warnings. Raises ValueError, in words."""
    warnings = []
    freq = str(schedule.get("freq") or "").upper()
    if freq not in Frequency.values:
        raise ValueError(f"repeats '{schedule.get('freq')}': only WEEKLY and MONTHLY are understood")
    interval = schedule.get("interval") or 1
    if isinstance(interval, str) and whole_number(interval, signed=False) is not None:  # ASCII digits only
        interval = whole_number(interval, signed=False)
    if isinstance(interval, float) and interval.is_integer():
        interval = int(interval)
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 52:
        raise ValueError(f"interval '{schedule.get('interval')}' is not a whole number from 1 to 52")
    link = _text(schedule.get("schedule_link"), 200)
    if link and not link.lower().startswith(("https://", "http://")):
        warnings.append(f"schedule link '{link[:60]}' left out: not a web address.")
        link = ""
    values = {
        "freq": freq, "interval": interval,
        "byday": _text(schedule.get("byday"), 60).upper().replace(" ", ""),
        "bymonthday": _text(str(schedule.get("bymonthday") or ""), 60).replace(" ", ""),
        "opens_at": _time(schedule.get("opens_at"), "opens_at", warnings),
        "closes_at": _time(schedule.get("closes_at"), "closes_at", warnings),
        "valid_from": _date(schedule.get("valid_from"), "valid_from"),
        "valid_to": _date(schedule.get("valid_to"), "valid_to"),
        "dtstart": _date(schedule.get("dtstart"), "dtstart"),
        "description": _text(schedule.get("description")),
        "notes": _text(schedule.get("notes")),
        "attending_type": _text(schedule.get("attending_type"), 200),
        "schedule_link": link,
    }
    return values, warnings


def _parse_uuid(value):
    try:
        return uuid_module.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _left_out(number, why, schedule):
    """A warning for a schedule not kept, with its words, so nothing the feed said is lost."""
    words = str(schedule.get("description") or "").strip()
    return f"Schedule {number} left out: {why}" + (f" Its words in the source: {words[:500]}" if words else "")


def import_schedules(service, schedules, *, source, reason, warn):
    """Keep a feed's structured schedules as the service's sessions (published within the
    draft service: curators check the whole entry before publishing it). Sessions this import
    made before and the feed no longer lists are removed; sessions curators added are never
    touched. A schedule that cannot be read is left out with a warning that carries its words
    (the importer puts warnings in the draft's notes). Returns whether anything was written."""
    if not isinstance(schedules, list):
        return False
    placements = {str(p.uuid): p for p in service.service_at_locations.all()}
    ours = {s.uuid: s for s in Session.objects.filter(service=service)}
    seen, changed = set(), False
    for number, schedule in enumerate(schedules, 1):
        if not is_structured(schedule):
            continue
        try:
            values, warnings = session_values(schedule)
        except ValueError as error:
            warn(_left_out(number, f"{error}.", schedule))
            continue
        for text in warnings:
            warn(f"Schedule {number}: {text}")
        sal_id = schedule.get("service_at_location_id")
        place = placements.get(str(_parse_uuid(sal_id))) if sal_id else None
        if sal_id and place is None:
            warn(f"Schedule {number}: its place ({str(sal_id)[:40]}) is not one of the service's venues here; "
                 "kept without a venue.")
        key = _parse_uuid(schedule.get("id"))
        session = ours.get(key) if key else None
        if session is not None and not session.imported_from:
            continue  # a curator's session with that id: never overwritten
        if session is None:
            session = Session(service=service, status=Status.PUBLISHED)
            if key and not Session.objects.filter(uuid=key).exists():
                session.uuid = key
        before = {name: getattr(session, name) for name in (*values, "place_id", "online")} if session.pk else None
        for name, value in values.items():
            setattr(session, name, value)
        session.place = place
        session.online = place is None and values["attending_type"].lower() == "online"
        session.imported_from = source[:500]
        problems = rule_problems(session)
        if problems:
            warn(_left_out(number, " ".join(problems), schedule))
            continue
        try:
            session.full_clean(exclude=["service", "place", "uuid"])
        except ValidationError as error:
            warn(_left_out(number, " ".join(error.messages), schedule))
            continue
        seen.add(session.uuid)
        if before is not None and before == {name: getattr(session, name) for name in before}:
            continue
        session._change_reason = reason
        session.save()
        changed = True
    for session in ours.values():
        if session.imported_from and session.uuid not in seen:
            session._change_reason = reason
            session.delete()
            changed = True
    return changed
