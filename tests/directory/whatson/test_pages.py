"""The parents' what's-on page, the service pages' sessions, and the calendar feeds (issue 23):
answers filter and order, drafts are never shown, calendars parse back, queries are pinned."""
from datetime import date, time, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from directory.models import Audience, Language, ParentTopic, Service, Status
from tests.directory.whatson.conftest import EYFS, MONDAY, cancel, place_for, session, venue

pytestmark = pytest.mark.django_db

WHATS_ON = reverse("whatson:whats-on")
WHATS_ON_ICS = reverse("whatson:whats-on-ics")
PAGE_BUDGET = 150 * 1024


@pytest.fixture(autouse=True)
def _monday():
    """Today is Monday 30 November 2026 for every test here."""
    with mock.patch("django.utils.timezone.localdate", return_value=MONDAY):
        yield


@pytest.fixture
def two_sessions(eyfs):
    near = place_for(eyfs, venue("Test Hub Near", "B8 1AA"))
    far = place_for(eyfs, venue("Test Hub Far", "B31 2PR"))
    tuesday = session(eyfs, place=far, title="Stay and play", byday="TU", booking="drop_in", cost="free")
    thursday = session(eyfs, place=near, title="Baby group", byday="TU,TH", opens_at=time(13), closes_at=time(14, 30))
    cancel(thursday, date(2026, 12, 3), "Staff training")
    return tuesday, thursday


def lines(response):
    return [(group.day, [(line.title, line.change) for line in group.lines]) for group in response.context["days"]]


def test_it_lists_the_next_fortnight_day_by_day_with_cancellations_marked(client, two_sessions):
    response = client.get(WHATS_ON)
    assert response.status_code == 200
    found = lines(response)
    assert [day for day, _ in found] == [date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 8), date(2026, 12, 10)]
    assert found[1] == (date(2026, 12, 3), [("Baby group", "Cancelled this time: Staff training")])
    html = response.content.decode()
    assert "Tomorrow, Tuesday 1 December" in html and "Drop in: no need to book. Free" in html
    assert len(response.content) < PAGE_BUDGET


def test_a_postcode_puts_the_nearest_first_with_miles(client, two_sessions):
    response = client.get(WHATS_ON, {"postcode": "B8 1AA"})
    first_day = response.context["days"][0]
    assert [line.title for line in first_day.lines] == ["Baby group", "Stay and play"]
    assert first_day.lines[0].distance == "Very close to you"
    assert "miles from you" in first_day.lines[1].distance
    without = client.get(WHATS_ON).context["days"][0]
    assert [line.title for line in without.lines] == ["Stay and play", "Baby group"]  # by time


def test_each_session_links_to_its_service_page_with_the_answers(client, two_sessions):
    response = client.get(WHATS_ON, {"age": "4", "postcode": "B8 1AA"})
    link = response.context["days"][0].lines[0].service_url
    assert link.startswith(reverse("parents:service", args=[Service.objects.get(name=EYFS).slug]))
    assert "age=4" in link and "postcode=B8" in link
    assert client.get(link).status_code == 200


def test_the_age_answer_uses_the_sessions_own_ages_before_the_services(client, eyfs):
    session(eyfs, title="Bumps group", age_from_months=-9, age_to_months=-1)
    session(eyfs, title="Any age here")
    pregnant = [t for _, titles in lines(client.get(WHATS_ON, {"age": "p6"})) for t, _c in titles]
    baby = [t for _, titles in lines(client.get(WHATS_ON, {"age": "6"})) for t, _c in titles]
    assert "Bumps group" in pregnant and "Bumps group" not in baby
    assert "Any age here" in baby


def test_topic_and_language_narrow_the_list(client, eyfs):
    session(eyfs, title="Stay and play")
    topic = ParentTopic.objects.first()
    with_topic = client.get(WHATS_ON, {"topic": topic.slug})
    assert with_topic.status_code == 200
    language = Language.objects.exclude(services=eyfs).first()
    assert lines(client.get(WHATS_ON, {"language": language.code})) == []


def test_bad_answers_get_a_kind_message_never_a_500(client, two_sessions):
    response = client.get(WHATS_ON, {"postcode": "nonsense", "age": "999", "topic": "no-such-topic", "language": "xx"})
    assert response.status_code == 200
    messages = dict(response.context["errors"])
    assert messages["topic"] == "Please choose a topic from the list."
    assert "postcode" in messages and "age" in messages
    assert response.context["days"]  # the rest still applies


def test_drafts_are_never_shown_on_a_page_or_in_a_calendar(client, eyfs):
    session(eyfs, title="Draft session", status=Status.DRAFT)
    hidden = Service.objects.exclude(pk=eyfs.pk).filter(status=Status.PUBLISHED).first()
    hidden.status = Status.DRAFT
    hidden.save()
    session(hidden, title="Session of a draft service")
    professionals = Service.objects.exclude(pk__in=[eyfs.pk, hidden.pk]).filter(status=Status.PUBLISHED).first()
    Service.objects.filter(pk=professionals.pk).update(audience=Audience.PROFESSIONALS)
    session(professionals, title="Professionals only session")
    for response in (client.get(WHATS_ON), client.get(WHATS_ON_ICS),
                     client.get(reverse("parents:service", args=[eyfs.slug])),
                     client.get(reverse("directory:service-detail", args=[eyfs.slug])),
                     client.get(reverse("whatson:service-ics", args=[eyfs.slug]))):
        body = response.content.decode()
        assert "Draft session" not in body and "Session of a draft service" not in body
    assert "Professionals only session" not in client.get(WHATS_ON).content.decode()
    assert client.get(reverse("whatson:service-ics", args=[hidden.slug])).status_code == 404


def test_the_service_pages_list_sessions_in_words_with_a_calendar_link(client, two_sessions, eyfs):
    for url in (reverse("parents:service", args=[eyfs.slug]), reverse("directory:service-detail", args=[eyfs.slug])):
        html = client.get(url).content.decode()
        assert "Stay and play" in html and "Tuesdays 10:00 to 11:30, next: 1 December" in html
        assert "Not on Thursday 3 December (Staff training)" in html
        assert reverse("whatson:service-ics", args=[eyfs.slug]) in html


def test_a_service_with_no_sessions_shows_nothing_new(client, eyfs):
    html = client.get(reverse("parents:service", args=[eyfs.slug])).content.decode()
    assert "sessions-heading" not in html


def parse(response):
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_the_service_calendar_parses_back_with_london_times_and_cancellations(client, two_sessions, eyfs):
    cal = parse(client.get(reverse("whatson:service-ics", args=[eyfs.slug])))
    assert str(cal["version"]) == "2.0" and cal["prodid"]
    assert [c["tzid"] for c in cal.walk("VTIMEZONE")] == ["Europe/London"]
    events = cal.walk("VEVENT")
    assert len({str(e["uid"]) for e in events}) == len(events)
    first = min(events, key=lambda e: e.decoded("dtstart"))
    start = first.decoded("dtstart")
    assert first["dtstart"].params["TZID"] == "Europe/London" and (start.hour, start.minute) == (10, 0)
    assert str(first["summary"]) == "Stay and play"
    cancelled = [e for e in events if str(e["status"]) == "CANCELLED"]
    assert [e.decoded("dtstart").date() for e in cancelled] == [date(2026, 12, 3)]
    assert all(str(e["url"]).endswith(f"/services/{eyfs.slug}/") for e in events)


def test_the_whats_on_calendar_follows_the_answers(client, eyfs):
    session(eyfs, title="Bumps group", age_from_months=-9, age_to_months=-1)
    summaries = {str(e["summary"]) for e in parse(client.get(WHATS_ON_ICS, {"age": "6"})).walk("VEVENT")}
    assert "Bumps group" not in summaries
    summaries = {str(e["summary"]) for e in parse(client.get(WHATS_ON_ICS, {"age": "p6"})).walk("VEVENT")}
    assert summaries == {"Bumps group"}


def test_the_calendar_covers_thirteen_weeks(client, eyfs):
    session(eyfs, byday="MO")
    events = parse(client.get(reverse("whatson:service-ics", args=[eyfs.slug]))).walk("VEVENT")
    dates = sorted(e.decoded("dtstart").date() for e in events)
    assert dates[0] == MONDAY - timedelta(days=7) and dates[-1] == MONDAY + timedelta(weeks=13)


def test_the_parents_home_and_results_link_to_whats_on(client):
    for url in (reverse("parents:start"), reverse("parents:everything") + "?age=4"):
        html = client.get(url).content.decode()
        assert WHATS_ON in html


# --- Queries ----------------------------------------------------------------------

def _count(client, django_assert_num_queries, url, queries):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url, queries", [
    # content version, languages, topics, sessions, exceptions, terms, urgent help (postcodes are read from a file)
    (WHATS_ON, 7), (WHATS_ON + "?postcode=B8+1AA&age=4&topic=feeling-low", 7),
    (WHATS_ON_ICS, 6),
])
def test_whats_on_costs_the_same_queries_as_sessions_grow(client, django_assert_num_queries, eyfs, url, queries):
    from django.core.cache import cache

    session(eyfs)
    _count(client, django_assert_num_queries, url, queries)
    for n in range(4):
        made = session(eyfs, place=place_for(eyfs, venue(f"Test Hub {n}", "B8 1AA")), byday="WE,FR")
        cancel(made, date(2026, 12, 2))
    cache.clear()
    _count(client, django_assert_num_queries, url, queries)


def test_a_service_calendar_costs_five_queries(client, django_assert_num_queries, eyfs):
    session(eyfs)
    # content version, the service, its sessions, their exceptions, the terms
    _count(client, django_assert_num_queries, reverse("whatson:service-ics", args=[eyfs.slug]), 5)


def test_a_practitioners_search_card_says_how_many_sessions_this_week(client, eyfs, django_assert_num_queries):
    made = session(eyfs, byday="TU,TH")
    cancel(made, date(2026, 12, 3))
    html = client.get(reverse("directory:search")).content.decode()
    assert f'href="{reverse("directory:service-detail", args=[eyfs.slug])}#sessions-heading">1 session this week' in html
    session(eyfs, byday="WE", status=Status.DRAFT)
    assert "1 session this week" in client.get(reverse("directory:search"), {"q": "children"}).content.decode()


def test_a_busy_fortnight_stays_within_the_budget_and_each_day_opens_in_full(client, eyfs):
    hub = place_for(eyfs, venue("Test Hub Busy", "B8 1AA"))
    for n in range(40):
        session(eyfs, place=hub, title=f"Test group {n}", byday="MO,TU,WE,TH,FR,SA,SU", booking="book", cost="paid",
                cost_details="£2 a family")
    response = client.get(WHATS_ON, {"postcode": "B8 1AA", "age": "4"})
    assert len(response.content) < PAGE_BUDGET, len(response.content)
    first = response.context["days"][0]
    assert (len(first.lines), first.more, first.total) == (12, 28, 40)
    html = response.content.decode()
    link = f"{WHATS_ON}?age=4&amp;postcode=B8+1AA&amp;day=2026-12-01"
    assert f'href="{link}">See all 40 sessions on Tuesday 1 December' in html
    one_day = client.get(WHATS_ON, {"postcode": "B8 1AA", "age": "4", "day": "2026-12-01"})
    assert [group.day for group in one_day.context["days"]] == [date(2026, 12, 1)]
    assert len(one_day.context["days"][0].lines) == 40 and len(one_day.content) < PAGE_BUDGET


@pytest.mark.parametrize("day", ["2026-11-29", "2027-01-01", "nonsense", "2026-02-30"])
def test_a_day_outside_the_fortnight_or_not_a_date_shows_the_fortnight(client, eyfs, day):
    session(eyfs)
    response = client.get(WHATS_ON, {"day": day})
    assert response.status_code == 200 and response.context["one_day"] is None


def test_the_parents_calendar_links_to_the_parents_service_page(client, eyfs):
    session(eyfs)
    events = parse(client.get(WHATS_ON_ICS)).walk("VEVENT")
    assert events and all(str(e["url"]).endswith(f"/parents/services/{eyfs.slug}/") for e in events)


def test_a_new_session_shows_at_once_on_a_cached_page(client, eyfs, settings):
    settings.CACHE_PAGES = True
    assert lines(client.get(WHATS_ON)) == []
    session(eyfs, title="Stay and play")
    assert lines(client.get(WHATS_ON))[0][1] == [("Stay and play", "")]


@pytest.mark.parametrize("name, value", [("topic", "no-such-topic"), ("language", "xx"), ("age", "999"),
                                         ("postcode", "nonsense")])
def test_each_bad_answer_is_also_said_beside_its_question(client, name, value):
    """The NHS error pattern: the summary links to the question, and the question says what is
    wrong (topic and language were only in the summary)."""
    content = client.get(WHATS_ON, {name: value}).content.decode()
    assert f'href="#id_{name}"' in content
    group = content[content.rindex('<div class="nhsuk-form-group', 0, content.index(f'id="id_{name}"')):]
    group = group[:group.index("</div>\n", group.index(f'id="id_{name}"'))]
    assert "nhsuk-form-group--error" in group and f'id="{name}-error"' in group


def test_the_error_summary_lists_the_questions_in_the_pages_order(client):
    response = client.get(WHATS_ON, {"age": "999", "postcode": "nonsense", "topic": "nope", "language": "xx"})
    assert [name for name, _message in response.context["errors"]] == ["age", "postcode", "topic", "language"]
