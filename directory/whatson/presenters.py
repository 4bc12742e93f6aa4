"""What a what's-on line, a service's session list and an event show, in words."""
from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from directory.core.safe_urls import safe_href
from directory.models import Booking, SessionCost
from directory.parents.presenters import distance_text
from directory.whatson.rules import day_words, session_words, short_date, time_words


def booking_text(session):
    return {Booking.DROP_IN: _("Drop in: no need to book"), Booking.BOOK: _("You need to book")}.get(session.booking, "")


def cost_text(session):
    words = {SessionCost.FREE: _("Free"), SessionCost.PAID: _("There is a cost")}.get(session.cost, "")
    if words and session.cost_details:
        return f"{words}: {session.cost_details}"
    return words or session.cost_details


def where_text(session):
    if session.place_id:
        venue = session.place.venue
        return ", ".join(part for part in (venue.name, venue.address, venue.postcode) if part)
    return _("Online") if session.online else _("Ask the service where")


def day_heading(day, today):
    if day == today:
        return _("Today, %(day)s") % {"day": day_words(day)}
    if day == today + timedelta(days=1):
        return _("Tomorrow, %(day)s") % {"day": day_words(day)}
    return day_words(day)


@dataclass
class OccurrenceLine:
    occurrence: object
    service_url: str

    @property
    def session(self):
        return self.occurrence.session

    @property
    def title(self):
        return self.session.title or self.session.service.name

    @property
    def service_name(self):
        return self.session.service.name

    @property
    def time(self):
        return time_words(timezone.localtime(self.occurrence.starts).time(),
                          timezone.localtime(self.occurrence.ends).time())

    @property
    def where(self):
        return where_text(self.session)

    @property
    def distance(self):
        return distance_text(getattr(self.session, "distance_km", None))

    @property
    def details(self):
        return [text for text in (booking_text(self.session), cost_text(self.session)) if text]

    @property
    def change(self):
        """'Cancelled this time: bank holiday', 'Moved from Tuesday 8 December'."""
        occurrence = self.occurrence
        if occurrence.cancelled:
            return _("Cancelled this time") + (f": {occurrence.note}" if occurrence.note else "")
        if occurrence.moved_from:
            return _("Moved from %(day)s") % {"day": day_words(occurrence.moved_from)} + (
                f": {occurrence.note}" if occurrence.note else "")
        return ""


# The most sessions a day shows on the fortnight's page (nearest first), so the page stays
# within the parents' 150 KB budget however many groups the city has; the rest are one link away.
PER_DAY = 12


@dataclass
class DayGroup:
    heading: str
    day: object
    lines: list
    more: int = 0
    total: int = 0

    @property
    def date_words(self):
        return day_words(self.day)


def whats_on_days(found, *, service_query, per_day=PER_DAY):
    today = timezone.localdate()
    groups = []
    for entry in found.days:
        shown = entry.occurrences if per_day is None else entry.occurrences[:per_day]
        groups.append(DayGroup(day_heading(entry.day, today), entry.day, [
            OccurrenceLine(o, reverse("parents:service", kwargs={"slug": o.session.service.slug}) + service_query)
            for o in shown], more=len(entry.occurrences) - len(shown), total=len(entry.occurrences)))
    return groups


@dataclass
class SessionItem:
    """A session on a service page: its words ('Tuesdays 10:00 to 11:30, next: 8 December'),
    where, and the dates coming up that do not happen as usual."""

    words: str
    title: str
    where: str
    details: list
    description: str
    notes: str
    link: str
    changes: list


def session_items(lines, *, today=None):
    today = today or timezone.localdate()
    items = []
    for line in lines:
        session = line.session
        changes = []
        for change in session.exceptions.all():
            if change.date < today:
                continue
            if change.kind == "cancelled":
                text = _("Not on %(day)s") % {"day": day_words(change.date)}
            else:
                new_day = change.moved_to or change.date
                start = change.moved_opens_at or session.opens_at
                end = change.moved_closes_at or session.closes_at
                text = _("%(day)s moves to %(new)s, %(time)s") % {
                    "day": short_date(change.date), "new": day_words(new_day), "time": time_words(start, end)}
            changes.append(text + (f" ({change.note})" if change.note else ""))
        items.append(SessionItem(
            words=session_words(session, next_occurrence=line.next), title=session.title, where=where_text(session),
            details=[text for text in (booking_text(session), cost_text(session)) if text],
            description=session.description, notes=session.notes,
            link=safe_href(session.schedule_link) if session.schedule_link else "", changes=changes))
    return items


@dataclass
class EventCard:
    event: object
    when: str
    where: str
    services: list
    is_past: bool


def event_card(event, *, now=None):
    now = now or timezone.now()
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    when = f"{date_format(start, 'l j F Y')}, {time_words(start.time(), end.time())}"
    where = []
    if event.venue_id:
        where.append(", ".join(p for p in (event.venue.name, event.venue.address, event.venue.postcode) if p))
    if event.online_link:
        where.append("Online")
    return EventCard(event=event, when=when, where=" and ".join(where) or "To be confirmed",
                     services=list(event.presenting_services.all()), is_past=event.ends_at < now)
