"""Issue 23: what's on, when and where.

An IMHSG curator adds two weekly sessions at a venue, one with a cancelled date; a parent on a
phone finds them in "what's on" for the next fortnight from a postcode, opens the service and
downloads its calendar; the IMHSG publishes a knowledge-sharing event and, after it, attaches
what was shared. Every page ends with an axe check and a screenshot.

The venue is a test venue at a real Birmingham postcode; no real service's times are invented
outside this test's own database.
"""
from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from directory.models import KnowledgeEvent, Service, ServiceAtLocation, Session, Venue
from tests.browser.steps import check, sign_in
from tests.conftest import DESKTOP, PHONE
from mapping.postcodes import postcode_lookup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
EYFS = "Birmingham Forward Steps: Early Years and Family Support"
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def next_weekday(today, weekday):
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def a_venue_for(service):
    venue = Venue(name="Test Family Hub", address="1 Example Street")
    venue.locate(postcode_lookup("B8 1AA"))
    venue.save()
    return ServiceAtLocation.objects.create(service=service, venue=venue)


def add_session(page, base, *, service, place, day_label, opens, closes, title, exception=None):
    page.goto(f"{base}/admin/directory/session/add/")
    page.locator("#id_service").select_option(str(service.pk))
    page.locator("#id_title").fill(title)
    page.locator("#id_status").select_option("published")
    page.locator("#id_place").select_option(str(place.pk))
    page.locator(f"#id_days_{DAYS.index(day_label)}").check()
    page.locator("#id_weeks").select_option("every")
    page.locator("#id_opens_at").fill(opens)
    page.locator("#id_closes_at").fill(closes)
    page.locator("#id_booking").select_option("drop_in")
    page.locator("#id_cost").select_option("free")
    if exception:
        page.locator("#id_exceptions-0-date").fill(exception[0].isoformat())
        page.locator("#id_exceptions-0-kind").select_option("cancelled")
        page.locator("#id_exceptions-0-note").fill(exception[1])
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")


def test_sessions_from_the_admin_to_a_parents_calendar_and_an_event_with_what_was_shared(
        page, seeded_live_server, django_user_model, tmp_path):
    from django.contrib.auth.models import Group

    from directory.curation.roles import IMHSG_EDITORS

    ellie = django_user_model.objects.create_user("ellie", "ellie@example.org", "a-long-password-for-tests",
                                                  is_staff=True)
    ellie.groups.add(Group.objects.get(name=IMHSG_EDITORS))
    base = seeded_live_server.url
    service = Service.objects.get(name=EYFS)
    place = a_venue_for(service)
    today = timezone.localdate()
    tuesday, thursday = next_weekday(today, 1), next_weekday(today, 3)

    # Given an IMHSG curator at a desk
    page.set_viewport_size(DESKTOP)
    sign_in(page, seeded_live_server, "ellie")

    # When she adds a Tuesday stay and play, cancelled on the coming Tuesday, and a Thursday baby group
    add_session(page, base, service=service, place=place, day_label="Tuesday", opens="10:00", closes="11:30",
                title="Stay and play (test)", exception=(tuesday, "Staff training"))
    # Then the page says when it runs, in words, with its next dates
    preview = page.locator(".field-next_dates")
    expect(preview).to_contain_text("Tuesdays 10:00 to 11:30, next:")
    expect(preview).to_contain_text("(cancelled): Staff training")
    check(page, "whatson-1-session-preview")
    add_session(page, base, service=service, place=place, day_label="Thursday", opens="13:00", closes="14:30",
                title="Baby group (test)")
    assert Session.objects.filter(service=service, status="published").count() == 2

    # And a session that ends before it starts is refused with a clear message
    page.goto(f"{base}/admin/directory/session/add/")
    page.locator("#id_service").select_option(str(service.pk))
    page.locator("#id_days_2").check()
    page.locator("#id_opens_at").fill("11:00")
    page.locator("#id_closes_at").fill("10:00")
    page.locator("input[name=_save]").click()
    expect(page.locator(".errorlist")).to_contain_text("A session must end after it starts")
    check(page, "whatson-2-refused")

    # Given a parent on a phone, not signed in
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/parents/")
    page.get_by_role("link", name="What's on near you in the next two weeks").click()
    # When they give their postcode
    page.get_by_label("Your postcode (optional)").fill("b8 1aa")
    page.get_by_role("button", name="Show what's on").click()
    # Then they see both sessions day by day, the cancelled Tuesday marked, the distance in words
    expect(page.get_by_role("heading", level=1, name="What's on near you")).to_be_visible()
    tuesday_group = page.locator(".app-whatson__item").filter(has_text="Stay and play (test)").first
    expect(tuesday_group).to_contain_text("Cancelled this time: Staff training")
    expect(page.locator(".app-whatson__item").filter(has_text="Baby group (test)").first).to_contain_text(
        "Very close to you")
    assert page.locator(".app-whatson__item").count() == 4  # two Tuesdays and two Thursdays in a fortnight
    check(page, "whatson-3-parent-whats-on")

    # When they open the service
    page.locator(".app-whatson__item").filter(has_text="Baby group (test)").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="When and where")).to_be_visible()
    expect(page.locator(".app-sessions")).to_contain_text("Thursdays 13:00 to 14:30, next:")
    expect(page.locator(".app-sessions")).to_contain_text("(Staff training)")
    check(page, "whatson-4-parent-service")

    # And download the calendar
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Add these sessions to your calendar").click()
    calendar = Calendar.from_ical(open(downloading.value.path(), "rb").read())
    summaries = {str(e["summary"]) for e in calendar.walk("VEVENT")}
    assert summaries >= {"Stay and play (test)", "Baby group (test)", "Cancelled: Stay and play (test)"}

    # Given the IMHSG editor again
    page.set_viewport_size(DESKTOP)
    sign_in(page, seeded_live_server, "ellie")
    # When she publishes a lunch bite with the service presenting
    page.goto(f"{base}/admin/directory/knowledgeevent/add/")
    page.locator("#id_title").fill("Lunch bite: family hubs (test)")
    page.locator("#id_status").select_option("published")
    page.locator("#id_starts_at_0").fill(tuesday.isoformat())
    page.locator("#id_starts_at_1").fill("12:30")
    page.locator("#id_ends_at_0").fill(tuesday.isoformat())
    page.locator("#id_ends_at_1").fill("13:15")
    page.locator("#id_online_link").fill("https://example.org/join")
    page.locator("#id_audience").fill("Health visitors and midwives")
    page.locator("#id_presenting_services").evaluate(
        "(select, pk) => { const o = new Option('x', pk, true, true); select.append(o); }", str(service.pk))
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    check(page, "whatson-5-event-admin")
    # Then the public page lists it as coming up
    page.goto(f"{base}/events/")
    expect(page.locator(".app-event")).to_contain_text("Lunch bite: family hubs (test)")
    check(page, "whatson-6-events")

    # When the event has happened and she attaches what was shared
    event = KnowledgeEvent.objects.get()
    KnowledgeEvent.objects.filter(pk=event.pk).update(starts_at=event.starts_at - timedelta(days=14),
                                                      ends_at=event.ends_at - timedelta(days=14))
    page.goto(f"{base}/admin/directory/knowledgeevent/{event.pk}/change/")
    page.locator("#id_summary").fill("How families reach the hubs, and who can drop in.")
    page.locator("#id_good_practice").fill("Text reminders the day before.")
    page.locator("#id_slides_url").fill("https://example.org/slides")
    page.locator("input[name=_save]").click()
    # Then the event's page and the presenting service's page show it
    page.goto(f"{base}/events/{event.slug}/")
    expect(page.get_by_role("heading", name="What was shared")).to_be_visible()
    expect(page.get_by_text("Text reminders the day before.")).to_be_visible()
    check(page, "whatson-7-event-after")
    page.goto(f"{base}/services/{service.slug}/")
    expect(page.locator("#events-heading")).to_be_visible()
    expect(page.get_by_role("link", name="Lunch bite: family hubs (test)")).to_be_visible()
    check(page, "whatson-8-service-page")
