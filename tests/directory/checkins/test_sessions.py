"""Sessions on the check-in page (issue 23): a service sees its sessions in words, says each is
still right, corrects one or says it no longer runs, and proposes a new one. Nothing goes live
until the IMHSG approves the proposal."""
from datetime import time

import pytest

from directory.curation import moderation
from directory.models import PendingChange, SelfAudit, ServiceAtLocation, Session, Status
from tests.directory.checkins.conftest import page_data
from tests.directory.whatson.conftest import session, venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(acacia):
    return ServiceAtLocation.objects.create(service=acacia, venue=venue("Checkin Test Hall"))


@pytest.fixture
def tuesdays(acacia, hall):
    return session(acacia, place=hall, title="Stay and play", byday="TU", term_time_only=True,
                   booking="drop_in", cost="free")


def test_the_page_shows_each_session_in_words_with_its_choices(client, check_url, tuesdays):
    page = client.get(check_url).content.decode()
    assert "Stay and play" in page
    assert "Tuesdays 10:00 to 11:30, term time only, no dates known yet" in page
    assert "Where: Checkin Test Hall" in page
    assert f'name="session{tuesdays.pk}-check"' in page and "It no longer runs" in page
    assert 'name="newsession-days"' in page


def test_a_repeat_the_choices_cannot_say_is_kept_unless_the_service_gives_days(client, check_url, acacia,
                                                                               invitation):
    odd = session(acacia, freq="MONTHLY", byday="1MO,3MO", title="Odd group")  # first and third Mondays
    response = client.post(check_url, page_data(acacia, **{f"session{odd.pk}-check": "right"}))
    assert response.status_code == 302
    response = client.post(check_url, page_data(acacia, **{
        f"session{odd.pk}-check": "change", f"session{odd.pk}-ends": "12:00"}))
    assert response.status_code == 302
    [entry] = PendingChange.objects.get(invitation=invitation, status="pending").changes["sessions"]
    assert list(entry["fields"]) == ["closes_at"]


def test_a_draft_session_is_not_shown(client, check_url, acacia):
    session(acacia, title="Draft group", status=Status.DRAFT)
    assert "Draft group" not in client.get(check_url).content.decode()


def test_still_right_is_kept_in_the_audit_and_proposes_nothing(client, check_url, acacia, tuesdays, invitation):
    response = client.post(check_url, page_data(acacia, **{f"session{tuesdays.pk}-check": "right"}))
    assert response.status_code == 302
    assert not PendingChange.objects.exists()
    assert SelfAudit.objects.get(invitation=invitation).facts_still_right == [f"session.{tuesdays.pk}"]


def test_a_correction_is_proposed_and_applied_only_on_approval(client, check_url, acacia, tuesdays, invitation,
                                                               imhsg_editor):
    response = client.post(check_url, page_data(acacia, **{
        f"session{tuesdays.pk}-check": "change", f"session{tuesdays.pk}-days": ["WE", "TH"],
        f"session{tuesdays.pk}-weeks": "other", f"session{tuesdays.pk}-ends": "12:00",
        f"session{tuesdays.pk}-where": "online", f"session{tuesdays.pk}-booking": "book"}))
    assert response.status_code == 302
    change = PendingChange.objects.get(invitation=invitation)
    [entry] = change.changes["sessions"]
    assert entry["id"] == tuesdays.pk and entry["action"] == "change"
    assert {name: value["new"] for name, value in entry["fields"].items()} == {
        "byday": "WE,TH", "interval": 2, "closes_at": "12:00:00", "place": None, "online": True, "booking": "book"}
    tuesdays.refresh_from_db()
    assert tuesdays.byday == "TU" and tuesdays.closes_at == time(11, 30)  # nothing live yet
    rows = moderation.review(change).rows
    assert any(row[0].startswith("Session") and row[2:] == ("11:30", "12:00") for row in rows)
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    tuesdays.refresh_from_db()
    assert (tuesdays.byday, tuesdays.interval, tuesdays.closes_at) == ("WE,TH", 2, time(12))
    assert tuesdays.place is None and tuesdays.online and tuesdays.booking == "book"


def test_no_longer_runs_removes_it_on_approval(client, check_url, acacia, tuesdays, invitation, imhsg_editor):
    client.post(check_url, page_data(acacia, **{f"session{tuesdays.pk}-check": "ended"}))
    change = PendingChange.objects.get(invitation=invitation)
    assert change.changes["sessions"] == [{"id": tuesdays.pk, "action": "delete", "fields": {}}]
    assert Session.objects.filter(pk=tuesdays.pk).exists()
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert not Session.objects.filter(pk=tuesdays.pk).exists()


def test_a_new_session_is_public_on_the_whats_on_page_once_approved(client, check_url, acacia, hall, invitation,
                                                                    imhsg_editor):
    response = client.post(check_url, page_data(acacia, **{
        "newsession-title": "Checkin baby group", "newsession-days": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
        "newsession-weeks": "every",
        "newsession-starts": "13:30", "newsession-ends": "15:00", "newsession-where": str(hall.pk),
        "newsession-term": "no", "newsession-cost": "free", "newsession-notes": "Bring a blanket."}))
    assert response.status_code == 302
    assert not Session.objects.filter(title="Checkin baby group").exists()
    assert "Checkin baby group" not in client.get("/parents/whats-on/").content.decode()
    change = PendingChange.objects.get(invitation=invitation)
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    made = Session.objects.get(title="Checkin baby group")
    assert (made.status, made.freq, made.byday, made.place, made.cost) == (
        Status.PUBLISHED, "WEEKLY", "MO,TU,WE,TH,FR,SA,SU", hall, "free")
    assert (made.opens_at, made.closes_at, made.notes) == (time(13, 30), time(15), "Bring a blanket.")
    assert made in Session.objects.public()
    # Today's what's-on page (the fortnight) lists it: the approval changed the content version.
    assert "Checkin baby group" in client.get("/parents/whats-on/").content.decode()


def test_which_weeks_of_the_month_become_the_rule(client, check_url, acacia, hall, invitation):
    client.post(check_url, page_data(acacia, **{
        "newsession-days": ["FR"], "newsession-weeks": "-1", "newsession-starts": "09:30",
        "newsession-ends": "10:30", "newsession-where": str(hall.pk)}))
    [entry] = PendingChange.objects.get(invitation=invitation).changes["sessions"]
    fields = {name: value["new"] for name, value in entry["fields"].items()}
    assert entry["action"] == "add" and fields["status"] == Status.PUBLISHED
    assert (fields["freq"], fields["interval"], fields["byday"], fields["place"]) == ("MONTHLY", 1, "-1FR", hall.pk)


ONLINE_MONDAY = {"newsession-days": ["MO"], "newsession-where": "online"}


@pytest.mark.parametrize("changes, message", [
    ({**ONLINE_MONDAY, "newsession-starts": "11:00", "newsession-ends": "10:00"},
     "It must end after it starts: the end time (10:00) is not after the start time (11:00)."),
    ({**ONLINE_MONDAY, "newsession-starts": "25:00", "newsession-ends": "26:00"},
     "Give the start time like 10:00 or 13:30."),
    ({"newsession-days": ["XX"], "newsession-starts": "10:00", "newsession-ends": "11:00"},
     "Choose days from the list: Monday to Sunday."),
    ({"newsession-starts": "10:00", "newsession-ends": "11:00", "newsession-where": "online"},
     "Choose the day or days it runs."),
    ({"newsession-days": ["MO"], "newsession-starts": "10:00", "newsession-ends": "11:00"},
     "Choose where it happens: one of your venues, or online."),
])
def test_a_bad_new_session_is_refused_with_a_clear_message(client, check_url, acacia, changes, message):
    response = client.post(check_url, page_data(acacia, **changes))
    assert response.status_code == 200
    assert message.lower() in response.content.decode().lower()
    assert not PendingChange.objects.exists() and not SelfAudit.objects.exists()


def test_a_correction_ending_before_it_starts_is_refused(client, check_url, acacia, tuesdays):
    response = client.post(check_url, page_data(acacia, **{
        f"session{tuesdays.pk}-check": "change", f"session{tuesdays.pk}-starts": "12:00"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and "the end time (11:30) is not after the start time (12:00)" in page
    assert not PendingChange.objects.exists()


def test_a_venue_not_the_services_is_refused(client, check_url, acacia, tuesdays):
    other = ServiceAtLocation.objects.exclude(service=acacia).first()
    response = client.post(check_url, page_data(acacia, **{
        f"session{tuesdays.pk}-check": "change", f"session{tuesdays.pk}-where": str(other.pk)}))
    assert response.status_code == 200
    assert "Choose one of your venues, or online." in response.content.decode()
    assert not PendingChange.objects.exists()


def test_change_without_a_change_and_still_right_with_one_are_errors(client, check_url, acacia, tuesdays):
    response = client.post(check_url, page_data(acacia, **{f"session{tuesdays.pk}-check": "change"}))
    assert "Say what has changed, or choose" in response.content.decode()
    response = client.post(check_url, page_data(acacia, **{
        f"session{tuesdays.pk}-check": "right", f"session{tuesdays.pk}-ends": "12:00"}))
    assert "You chose &#x27;Still right&#x27; but changed the answer" in response.content.decode()
    assert not PendingChange.objects.exists()


def test_another_services_session_id_changes_nothing(client, check_url, acacia, tuesdays):
    theirs = session(title="Someone else's group")  # another service's session
    response = client.post(check_url, page_data(acacia, **{
        f"session{theirs.pk}-check": "ended", f"session{theirs.pk}-ends": "23:00",
        f"session{theirs.pk}-days": ["SU"], f"session{theirs.pk}-weeks": "every"}))
    assert response.status_code == 200 and "Nothing was sent" in response.content.decode()
    assert not PendingChange.objects.exists()
    theirs.refresh_from_db()
    assert theirs.closes_at == time(11, 30) and theirs.byday == "TU"


def test_the_page_with_sessions_runs_a_fixed_number_of_queries(client, check_url, acacia, tuesdays,
                                                               django_assert_num_queries):
    session(acacia, title="Second group", byday="TH")
    client.get(check_url)
    # The empty page's 8, and the sessions' exceptions and the school terms: not one per session.
    with django_assert_num_queries(10):
        assert client.get(check_url).status_code == 200
