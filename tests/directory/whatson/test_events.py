"""Knowledge-sharing events (issue 23, recommendation 1c): upcoming and past on a public page with
a calendar feed; what was shared after an event shows on it and on the presenting services'
pages; drafts are never shown anywhere public."""
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from directory.models import KnowledgeEvent, Status

pytestmark = pytest.mark.django_db

EVENTS = reverse("whatson:events")
EVENTS_ICS = reverse("whatson:events-ics")


def event(title, *, days, status=Status.PUBLISHED, **fields):
    start = timezone.now().replace(microsecond=0) + timedelta(days=days)
    made = KnowledgeEvent.objects.create(title=title, slug=title.lower().replace(" ", "-"), status=status,
                                         starts_at=start, ends_at=start + timedelta(minutes=45), **fields)
    return made


def test_the_page_lists_upcoming_then_past_and_never_a_draft(client):
    event("Coffee morning test", days=3)
    event("Lunch bite test", days=-10, summary="Shared the referral route.")
    event("Draft test event", days=5, status=Status.DRAFT)
    response = client.get(EVENTS)
    assert [c.event.title for c in response.context["upcoming"]] == ["Coffee morning test"]
    assert [c.event.title for c in response.context["past"]] == ["Lunch bite test"]
    assert "Draft test event" not in response.content.decode()
    assert client.get(reverse("whatson:event", args=["draft-test-event"])).status_code == 404


def test_what_was_shared_shows_on_the_event_and_the_presenting_services_pages(client, eyfs):
    past = event("Lunch bite test", days=-10, summary="How to refer, in short.", good_practice="Text reminders.",
                 slides_url="https://example.org/slides")
    past.presenting_services.add(eyfs)
    html = client.get(reverse("whatson:event", args=[past.slug])).content.decode()
    assert "What was shared" in html and "Text reminders." in html and "https://example.org/slides" in html
    assert "Published by the Infant Mental Health Steering Group (IMHSG). Last changed on" in html
    service_page = client.get(reverse("directory:service-detail", args=[eyfs.slug])).content.decode()
    assert "Knowledge-sharing events" in service_page and past.get_absolute_url() in service_page
    assert "what was shared is on the event's page" in service_page


def test_a_draft_event_is_not_on_a_presenting_services_page(client, eyfs):
    draft = event("Draft test event", days=2, status=Status.DRAFT)
    draft.presenting_services.add(eyfs)
    assert "Draft test event" not in client.get(reverse("directory:service-detail", args=[eyfs.slug])).content.decode()


def test_the_calendar_parses_back_and_leaves_drafts_out(client):
    published = event("Coffee morning test", days=3, online_link="https://example.org/join")
    event("Draft test event", days=5, status=Status.DRAFT)
    response = client.get(EVENTS_ICS)
    cal = Calendar.from_ical(response.content)
    events = cal.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Coffee morning test"]
    assert events[0].decoded("dtstart").astimezone(dt_timezone.utc) == published.starts_at
    assert str(events[0]["uid"]) == f"event-{published.uuid}@testserver"
    assert "https://example.org/join" in str(events[0]["description"])


def test_the_events_pages_cost_fixed_queries(client, django_assert_num_queries, eyfs):
    for n in range(3):
        event(f"Test event {n}", days=n - 1).presenting_services.add(eyfs)
    # content version, the events, their presenting services
    with django_assert_num_queries(3):
        client.get(EVENTS)
    with django_assert_num_queries(3):
        client.get(reverse("whatson:event", args=["test-event-0"]))
    with django_assert_num_queries(3):
        client.get(EVENTS_ICS)
