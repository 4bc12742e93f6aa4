"""Which dates a session falls on, and how to say it (docs/adr/0021-sessions-and-events.md).

A session's repeat is the iCalendar rule parts ORUK uses (freq, interval, byday, bymonthday),
plus two things no RRULE can say: "term time only" (read from the curators' school terms,
`TermDate`; no term entered means no term-time date, never a guess) and single-date exceptions
(cancelled or moved). Times are wall-clock times in Europe/London: 10:00 stays 10:00 across
the clock changes.
"""
import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import ExceptionKind, Frequency, TermDate

LONDON = ZoneInfo("Europe/London")
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
BYDAY = re.compile(r"^([+-]?[1-5])?(MO|TU|WE|TH|FR|SA|SU)$")
DAY_CHOICES = list(zip(DAY_CODES, ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
# "Which weeks", as the admin offers it, and the rule parts each one means.
WEEKS = [
    ("every", "Every week"), ("other", "Every other week"),
    ("1", "First week of the month"), ("2", "Second week of the month"), ("3", "Third week of the month"),
    ("4", "Fourth week of the month"), ("-1", "Last week of the month"),
    ("rule", "As the Open Referral rule below (advanced)"),
]


def weeks_of(session):
    """The admin's (days, weeks) for a stored rule; ('rule') when the choices cannot say it."""
    parts = [p for p in (session.byday or "").split(",") if p]
    if session.bymonthday or not parts:
        return [], "rule" if session.pk else "every"
    days = [p[-2:] for p in parts]
    prefixes = {p[:-2] for p in parts}
    if session.freq == Frequency.WEEKLY and prefixes == {""} and session.interval in (1, 2):
        return days, "every" if session.interval == 1 else "other"
    if session.freq == Frequency.MONTHLY and session.interval == 1 and len(prefixes) == 1:
        prefix = prefixes.pop()
        if prefix in {"1", "2", "3", "4", "-1"}:
            return days, prefix
    return days, "rule"


def rule_parts(days, weeks):
    """The rule parts (freq, interval, byday, bymonthday) for days ['TU', ...] and a "which
    weeks" choice other than 'rule' (the inverse of weeks_of)."""
    ordered = [code for code in DAY_CODES if code in days]
    if weeks in ("every", "other"):
        return {"freq": Frequency.WEEKLY, "interval": 1 if weeks == "every" else 2, "byday": ",".join(ordered),
                "bymonthday": ""}
    return {"freq": Frequency.MONTHLY, "interval": 1, "byday": ",".join(weeks + d for d in ordered), "bymonthday": ""}


# How far ahead "next:" looks for a date before saying there is none known.
LOOK_AHEAD_DAYS = 400


def parse_byday(text):
    """'1MO,-1FR' -> [(1, 0), (-1, 4)]; 'TU' -> [(None, 1)]. Raises ValueError on anything else."""
    parts = []
    for part in (p.strip().upper() for p in (text or "").split(",")):
        if not part:
            continue
        match = BYDAY.match(part)
        if not match:
            raise ValueError(f"'{part}' is not a day: use MO, TU, WE, TH, FR, SA or SU, with 1 to 5 or -1 before "
                             "it for a week of the month (e.g. 1MO, -1FR).")
        parts.append((int(match.group(1)) if match.group(1) else None, DAY_CODES.index(match.group(2))))
    return parts


def parse_bymonthday(text):
    days = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        if not re.fullmatch(r"-?[0-9]{1,2}", part) or not 1 <= abs(int(part)) <= 31:  # ASCII: "٣" is not 3
            raise ValueError(f"'{part}' is not a day of the month: use 1 to 31, or -1 for the last day.")
        days.append(int(part))
    return days


def rule_problems(session):
    """What is wrong with a session's repeat, in words (empty: nothing)."""
    problems = []
    try:
        byday = parse_byday(session.byday)
    except ValueError as error:
        return [str(error)]
    try:
        monthdays = parse_bymonthday(session.bymonthday)
    except ValueError as error:
        return [str(error)]
    if session.freq == Frequency.WEEKLY:
        if not byday:
            problems.append("Choose at least one day of the week.")
        if any(n is not None for n, _day in byday):
            problems.append("'First Monday' and the like need 'repeats monthly'.")
        if monthdays:
            problems.append("Days of the month need 'repeats monthly'.")
    elif not (byday or monthdays):
        problems.append("Say which day of the month: e.g. the first Monday, or the 15th.")
    if session.interval > 1 and not (session.dtstart or session.valid_from):
        problems.append("For 'every other week' (or month), give a date it runs on, so the weeks can be counted.")
    return problems


@dataclass
class Occurrence:
    """One date of one session; `cancelled` ones are kept so pages can say so."""

    session: object
    day: date
    starts: datetime
    ends: datetime
    cancelled: bool = False
    moved_from: date | None = None
    note: str = ""

    @property
    def sort_key(self):
        return (self.starts, self.session.pk or 0)


class Terms:
    """The school terms, read once (1 query), asked many times."""

    def __init__(self, terms=None):
        self.spans = [(t.first_day, t.last_day) for t in (TermDate.objects.all() if terms is None else terms)]

    def contain(self, day):
        return any(first <= day <= last for first, last in self.spans)


def _matches(session, day, byday, monthdays, anchor):
    if session.freq == Frequency.WEEKLY:
        if day.weekday() not in {weekday for _n, weekday in byday}:
            return False
        if session.interval > 1:
            weeks = ((day - timedelta(days=day.weekday())) - (anchor - timedelta(days=anchor.weekday()))).days // 7
            return weeks % session.interval == 0
        return True
    if session.interval > 1:
        months = (day.year - anchor.year) * 12 + day.month - anchor.month
        if months % session.interval:
            return False
    length = calendar.monthrange(day.year, day.month)[1]
    for n, weekday in byday:
        if day.weekday() != weekday:
            continue
        if n is None or (n > 0 and (day.day - 1) // 7 + 1 == n) or (n < 0 and (length - day.day) // 7 + 1 == -n):
            return True
    return any(day.day == (d if d > 0 else length + d + 1) for d in monthdays)


def _at(day, time):
    return datetime.combine(day, time, tzinfo=LONDON)


def regular_days(session, start, end, terms):
    """The dates from `start` to `end` (inclusive) the session's rule gives, before exceptions."""
    if rule_problems(session):
        return []
    byday, monthdays = parse_byday(session.byday), parse_bymonthday(session.bymonthday)
    anchor = session.dtstart or session.valid_from
    first = max(start, session.valid_from) if session.valid_from else start
    last = min(end, session.valid_to) if session.valid_to else end
    days, day = [], first
    while day <= last:
        if _matches(session, day, byday, monthdays, anchor) and (not session.term_time_only or terms.contain(day)):
            days.append(day)
        day += timedelta(days=1)
    return days


def occurrences(session, start, end, terms, *, exceptions=None):
    """The session's dates from `start` to `end`, exceptions applied: a cancelled date stays,
    marked; a moved one leaves its date and appears on its new date (or time), if in range.
    `exceptions` defaults to the prefetched `session.exceptions.all()`."""
    changes = {e.date: e for e in (session.exceptions.all() if exceptions is None else exceptions)}
    found = []
    for day in regular_days(session, start, end, terms):
        change = changes.get(day)
        if change is None:
            found.append(Occurrence(session, day, _at(day, session.opens_at), _at(day, session.closes_at)))
        elif change.kind == ExceptionKind.CANCELLED:
            found.append(Occurrence(session, day, _at(day, session.opens_at), _at(day, session.closes_at),
                                    cancelled=True, note=change.note))
    for change in changes.values():
        if change.kind != ExceptionKind.MOVED:
            continue
        # A move counts only if the date it moves from is one of the session's own dates.
        if not regular_days(session, change.date, change.date, terms):
            continue
        new_day = change.moved_to or change.date
        if start <= new_day <= end:
            found.append(Occurrence(
                session, new_day, _at(new_day, change.moved_opens_at or session.opens_at),
                _at(new_day, change.moved_closes_at or session.closes_at), moved_from=change.date, note=change.note))
    return sorted(found, key=lambda o: o.sort_key)


def next_date(session, terms, today):
    """The next date the session runs (not cancelled), within LOOK_AHEAD_DAYS, or None."""
    for occurrence in occurrences(session, today, today + timedelta(days=LOOK_AHEAD_DAYS), terms):
        if not occurrence.cancelled:
            return occurrence
    return None


# --- Words ------------------------------------------------------------------------------

def _day_names():
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def _plural_day_names():
    return [_("Mondays"), _("Tuesdays"), _("Wednesdays"), _("Thursdays"), _("Fridays"), _("Saturdays"), _("Sundays")]


def _and(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def _ordinal(n):
    return {1: _("first"), 2: _("second"), 3: _("third"), 4: _("fourth"), 5: _("fifth"), -1: _("last"),
            -2: _("second to last")}.get(n, str(n))


def _month_day(n):
    if n == -1:
        return _("the last day")
    if n < 0:
        return _("%(n)s days before the end") % {"n": -n - 1}
    return _("the %(n)s") % {"n": f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"}


def time_words(opens, closes):
    return _("%(start)s to %(end)s") % {"start": opens.strftime("%H:%M"), "end": closes.strftime("%H:%M")}


def repeat_words(session):
    """'Tuesdays and Thursdays', 'Every other Wednesday', 'The first Monday of the month'."""
    try:
        byday, monthdays = parse_byday(session.byday), parse_bymonthday(session.bymonthday)
    except ValueError:
        return _("Times not clear: ask the service")
    if session.freq == Frequency.WEEKLY:
        days = sorted({weekday for _n, weekday in byday})
        if session.interval == 1:
            return _and(_plural_day_names()[d] for d in days)
        names = _and(_day_names()[d] for d in days)
        if session.interval == 2:
            return _("Every other %(days)s") % {"days": names}
        return ngettext("Every %(n)s week on %(days)s", "Every %(n)s weeks on %(days)s", session.interval) % {
            "n": session.interval, "days": names}
    parts = [(_("every %(day)s") % {"day": _day_names()[d]}) if n is None else
             (_("the %(nth)s %(day)s") % {"nth": _ordinal(n), "day": _day_names()[d]}) for n, d in byday]
    parts += [_month_day(d) for d in monthdays]
    words = _and(parts)
    if session.interval == 1:
        text = _("%(days)s of the month") % {"days": words}
    else:
        text = ngettext("%(days)s of every %(n)s month", "%(days)s of every %(n)s months", session.interval) % {
            "days": words, "n": session.interval}
    return text[:1].upper() + text[1:]


def day_words(day):
    """'Tuesday 8 December' (the year only when it is not this one's)."""
    return date_format(day, "l j F")


def short_date(day):
    return date_format(day, "j F")


def session_words(session, *, next_occurrence=None, with_next=True):
    """'Tuesdays 10:00 to 11:30, term time only, next: 8 December'."""
    parts = [f"{repeat_words(session)} {time_words(session.opens_at, session.closes_at)}"]
    if session.term_time_only:
        parts.append(_("term time only"))
    if with_next:
        if next_occurrence is None:
            parts.append(_("no dates known yet") if session.term_time_only else _("no dates coming up"))
        else:
            parts.append(_("next: %(date)s") % {"date": short_date(next_occurrence.day)})
    return ", ".join(parts)
