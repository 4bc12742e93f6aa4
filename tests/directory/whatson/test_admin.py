"""Sessions and events in the admin (issue 23): a curator adds a session by days and weeks and
sees its next dates in words; a bad session is refused with a clear message; organisation
editors add drafts for their own services only; only IMHSG editors publish sessions and events."""
from datetime import date, time

import pytest
from django.urls import reverse

from directory.models import KnowledgeEvent, Service, Session, Status
from tests.directory.whatson.conftest import cancel, place_for, session, venue

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


def session_post(service, **overrides):
    data = {
        "service": str(service.pk), "title": "Stay and play", "status": "published", "place": "", "days": ["TU", "TH"],
        "weeks": "every", "opens_at": "10:00", "closes_at": "11:30", "freq": "WEEKLY", "interval": "1", "byday": "",
        "bymonthday": "", "booking": "drop_in", "cost": "free", "cost_details": "",
        "exceptions-TOTAL_FORMS": "1", "exceptions-INITIAL_FORMS": "0", "exceptions-MIN_NUM_FORMS": "0",
        "exceptions-MAX_NUM_FORMS": "1000", "exceptions-0-date": "2026-12-01", "exceptions-0-kind": "cancelled",
        "exceptions-0-note": "Staff training",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_a_curator_adds_a_weekly_session_with_an_exception_and_sees_its_dates_in_words(curator_client, eyfs):
    placed = place_for(eyfs, venue())
    response = curator_client.post(url("directory_session_add"), session_post(eyfs, place=str(placed.pk)))
    assert response.status_code == 302, response.context["adminform"].form.errors
    made = Session.objects.get(service=eyfs)
    assert (made.freq, made.interval, made.byday, made.status) == ("WEEKLY", 1, "TU,TH", Status.PUBLISHED)
    assert made.exceptions.get().note == "Staff training"
    page = curator_client.get(url("directory_session_change", made.pk)).content.decode()
    assert "Tuesdays and Thursdays 10:00 to 11:30, next:" in page
    assert made.history.count() == 1


def test_last_week_of_the_month_is_stored_as_minus_one(curator_client, eyfs):
    response = curator_client.post(url("directory_session_add"), session_post(eyfs, days=["FR"], weeks="-1"))
    assert response.status_code == 302
    assert Session.objects.get(service=eyfs).byday == "-1FR"


def test_a_session_that_ends_before_it_starts_is_refused_in_the_form(curator_client, eyfs):
    response = curator_client.post(url("directory_session_add"), session_post(eyfs, opens_at="11:30",
                                                                             closes_at="10:00"))
    assert response.status_code == 200
    assert "A session must end after it starts" in response.content.decode()
    assert not Session.objects.exists()


def test_no_days_chosen_says_so(curator_client, eyfs):
    response = curator_client.post(url("directory_session_add"), session_post(eyfs, days=[]))
    assert "Choose the day or days it runs." in response.content.decode()


def test_every_other_week_needs_a_date_to_count_from(curator_client, eyfs):
    response = curator_client.post(url("directory_session_add"), session_post(eyfs, weeks="other"))
    assert "give a date it runs on" in response.content.decode()


def test_a_venue_of_another_service_is_refused(curator_client, eyfs):
    other = place_for(Service.objects.exclude(pk=eyfs.pk).first(), venue("Other Test Hub", "B8 1AA"))
    response = curator_client.post(url("directory_session_add"), session_post(eyfs, place=str(other.pk)))
    assert "Choose one of this service&#x27;s own venues." in response.content.decode()


def test_an_organisation_editor_adds_a_draft_for_their_own_service_only(client, acacia_editor, eyfs):
    acacia = Service.objects.get(name="Acacia")
    client.force_login(acacia_editor)
    response = client.post(url("directory_session_add"), session_post(acacia, status=None))
    assert response.status_code == 302
    assert Session.objects.get(service=acacia).status == Status.DRAFT
    response = client.post(url("directory_session_add"), session_post(eyfs, status=None))
    assert response.status_code == 200 and not Session.objects.filter(service=eyfs).exists()
    theirs = session(eyfs)
    assert client.get(url("directory_session_change", theirs.pk)).status_code == 302  # not found for them


def test_a_published_session_is_read_only_to_an_organisation_editor(client, acacia_editor):
    acacia = Service.objects.get(name="Acacia")
    published = session(acacia)
    cancel(published, date(2026, 12, 1))
    client.force_login(acacia_editor)
    response = client.post(url("directory_session_change", published.pk),
                           session_post(acacia, status=None, opens_at="09:00"))
    assert response.status_code == 403
    assert Session.objects.get(pk=published.pk).opens_at == time(10)


def test_only_imhsg_editors_may_publish_sessions_with_the_action(client, acacia_editor, imhsg_editor):
    acacia = Service.objects.get(name="Acacia")
    draft = session(acacia, status=Status.DRAFT)
    action = {"action": "publish", "_selected_action": [str(draft.pk)]}
    client.force_login(acacia_editor)
    client.post(url("directory_session_changelist"), action)
    assert Session.objects.get(pk=draft.pk).status == Status.DRAFT
    client.force_login(imhsg_editor)
    client.post(url("directory_session_changelist"), action)
    assert Session.objects.get(pk=draft.pk).status == Status.PUBLISHED


def event_post(**overrides):
    data = {"title": "Lunch bite: test service", "slug": "lunch-bite-test", "status": "published",
            "starts_at_0": "2026-12-10", "starts_at_1": "12:30", "ends_at_0": "2026-12-10", "ends_at_1": "13:15",
            "online_link": "https://example.org/join", "audience": "Health visitors"}
    data.update(overrides)
    return data


def test_organisation_editors_may_not_add_or_see_events(client, acacia_editor):
    client.force_login(acacia_editor)
    assert client.get(url("directory_knowledgeevent_add")).status_code == 403
    assert client.post(url("directory_knowledgeevent_add"), event_post()).status_code == 403
    assert client.get(url("directory_knowledgeevent_changelist")).status_code == 403
    assert not KnowledgeEvent.objects.exists()


def test_viewers_read_events_but_do_not_write_them(client, viewer):
    client.force_login(viewer)
    assert client.get(url("directory_knowledgeevent_changelist")).status_code == 200
    assert client.post(url("directory_knowledgeevent_add"), event_post()).status_code == 403


def test_an_imhsg_editor_publishes_an_event_and_its_history_is_kept(client, imhsg_editor, eyfs):
    client.force_login(imhsg_editor)
    response = client.post(url("directory_knowledgeevent_add"), event_post(presenting_services=[str(eyfs.pk)]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = KnowledgeEvent.objects.get()
    assert event.status == Status.PUBLISHED and list(event.presenting_services.all()) == [eyfs]
    assert {row.history_user for row in event.history.all()} == {imhsg_editor}


def test_an_event_that_ends_before_it_starts_is_refused(client, imhsg_editor):
    client.force_login(imhsg_editor)
    response = client.post(url("directory_knowledgeevent_add"), event_post(ends_at_1="11:00"))
    assert "An event must end after it starts" in response.content.decode()


@pytest.mark.parametrize("name", ["directory_session_changelist", "directory_termdate_changelist",
                                  "directory_knowledgeevent_changelist", "directory_session_add",
                                  "directory_knowledgeevent_add", "directory_termdate_add"])
def test_each_page_loads_for_a_curator(curator_client, name):
    assert curator_client.get(url(name)).status_code == 200


def test_the_session_list_and_page_cost_the_same_queries_as_rows_grow(curator_client, django_assert_num_queries,
                                                                       eyfs):
    made = session(eyfs, place=place_for(eyfs, venue()))
    cancel(made, date(2026, 12, 1))
    curator_client.get(url("directory_session_changelist"))

    def counts():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as listed:
            curator_client.get(url("directory_session_changelist"))
        with CaptureQueriesContext(connection) as changed:
            curator_client.get(url("directory_session_change", made.pk))
        return len(listed), len(changed)

    before = counts()
    assert before == (9, 11)
    for n in range(3):
        more = session(eyfs, place=place_for(eyfs, venue(f"Test Hub {n}", "B8 1AA")), byday="FR")
        cancel(more, date(2026, 12, 4))
        cancel(made, date(2026, 12, 8 + 7 * n))
    assert counts() == before


def test_the_next_dates_preview_works_on_29_february(curator_client, eyfs, monkeypatch):
    """The preview looks a year ahead: on a leap day, 'the same day next year' does not exist
    (the admin swallowed the ValueError and showed an empty preview every 29 February)."""
    from directory.whatson import admin as whatson_admin

    made = session(eyfs, byday="TU")
    monkeypatch.setattr(whatson_admin.timezone, "localdate", lambda *args: date(2028, 2, 29))
    response = curator_client.get(url("directory_session_change", made.pk))
    assert response.status_code == 200
    assert "Tuesdays 10:00 to 11:30" in response.content.decode()
