"""The rules that are easy to get wrong (issue 23): which dates a session falls on, term time,
the last week of a month, the clock changes, exceptions, a session's own period, and refusing a
session that ends before it starts."""
from datetime import date, datetime, time, timedelta, timezone as dt_timezone

import pytest
from django.core.exceptions import ValidationError

from directory.models import Session, SessionException, Status
from directory.whatson.rules import (
    Terms, next_date, occurrences, parse_bymonthday, regular_days, rule_problems, session_words,
)
from tests.directory.whatson.conftest import MONDAY, cancel, session, term

pytestmark = pytest.mark.django_db


def days(made, start=MONDAY, weeks=4):
    return [o.day for o in occurrences(made, start, start + timedelta(weeks=weeks) - timedelta(days=1), Terms())]


def test_it_gives_every_tuesday_and_thursday(eyfs):
    made = session(eyfs, byday="TU,TH")
    assert days(made, weeks=2) == [date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 8), date(2026, 12, 10)]


def test_every_other_week_counts_from_its_first_date(eyfs):
    made = session(eyfs, byday="WE", interval=2, valid_from=date(2026, 12, 9))
    assert days(made, weeks=6) == [date(2026, 12, 9), date(2026, 12, 23), date(2027, 1, 6)]


def test_every_other_week_without_a_date_to_count_from_is_refused():
    problems = rule_problems(Session(freq="WEEKLY", byday="WE", interval=2))
    assert problems == ["For 'every other week' (or month), give a date it runs on, so the weeks can be counted."]


def test_the_first_monday_of_the_month(eyfs):
    made = session(eyfs, freq="MONTHLY", byday="1MO")
    assert days(made, start=date(2026, 11, 1), weeks=13) == [date(2026, 11, 2), date(2026, 12, 7), date(2027, 1, 4)]


@pytest.mark.parametrize("month_start, last_friday", [
    (date(2027, 1, 1), date(2027, 1, 29)),   # 31 days, the 29th is the last Friday
    (date(2027, 4, 1), date(2027, 4, 30)),   # the last day itself
    (date(2028, 2, 1), date(2028, 2, 25)),   # a leap February: the 29th is a Tuesday
])
def test_the_last_week_of_a_month_is_its_last_such_day_not_its_fourth(eyfs, month_start, last_friday):
    made = session(eyfs, freq="MONTHLY", byday="-1FR")
    found = [d for d in days(made, start=month_start, weeks=5) if d.month == month_start.month]
    assert found == [last_friday]


def test_a_fifth_week_month_has_a_last_friday_that_is_not_the_fourth(eyfs):
    """January 2027 has five Fridays: the fourth (22nd) is not the last (29th)."""
    fourth = session(eyfs, freq="MONTHLY", byday="4FR")
    assert [d for d in days(fourth, start=date(2027, 1, 1), weeks=5) if d.month == 1] == [date(2027, 1, 22)]


def test_days_of_the_month_count_back_from_its_end(eyfs):
    made = session(eyfs, freq="MONTHLY", byday="", bymonthday="-1")
    assert days(made, start=date(2027, 2, 1), weeks=9)[:2] == [date(2027, 2, 28), date(2027, 3, 31)]


def test_term_time_only_runs_only_inside_a_curators_term(eyfs):
    made = session(eyfs, byday="TU", term_time_only=True)
    assert days(made) == []  # no terms entered: no dates, never a guess
    term(date(2026, 11, 2), date(2026, 12, 9))
    assert days(made) == [date(2026, 12, 1), date(2026, 12, 8)]


def test_words_for_a_term_time_session_with_no_terms_say_no_dates_are_known(eyfs):
    made = session(eyfs, byday="TU", term_time_only=True)
    assert session_words(made, next_occurrence=next_date(made, Terms(), MONDAY)) == (
        "Tuesdays 10:00 to 11:30, term time only, no dates known yet")


def test_words_say_the_days_times_term_and_next_date(eyfs):
    term(date(2026, 11, 2), date(2026, 12, 18))
    made = session(eyfs, byday="TU", term_time_only=True)
    assert session_words(made, next_occurrence=next_date(made, Terms(), MONDAY)) == (
        "Tuesdays 10:00 to 11:30, term time only, next: 1 December")
    assert session_words(session(eyfs, freq="MONTHLY", byday="-1FR"), with_next=False) == (
        "The last Friday of the month 10:00 to 11:30")
    assert session_words(session(eyfs, byday="WE", interval=2, valid_from=MONDAY), with_next=False) == (
        "Every other Wednesday 10:00 to 11:30")


def test_times_stay_at_ten_oclock_london_across_the_clock_change(eyfs):
    """The clocks go back on Sunday 25 October 2026: 10:00 is 09:00 UTC before, 10:00 UTC after."""
    made = session(eyfs, byday="SA,MO", opens_at=time(10), closes_at=time(11))
    found = occurrences(made, date(2026, 10, 24), date(2026, 10, 26), Terms())
    assert [o.starts.astimezone(dt_timezone.utc) for o in found] == [
        datetime(2026, 10, 24, 9, tzinfo=dt_timezone.utc), datetime(2026, 10, 26, 10, tzinfo=dt_timezone.utc)]
    spring = occurrences(made, date(2027, 3, 27), date(2027, 3, 29), Terms())  # clocks go forward 28 March
    assert [o.starts.astimezone(dt_timezone.utc).hour for o in spring] == [10, 9]
    assert all(o.starts.hour == 10 for o in found + spring)


def test_a_cancelled_date_is_kept_marked_and_a_moved_one_moves(eyfs):
    made = session(eyfs, byday="TU")
    cancel(made, date(2026, 12, 1), "Staff training")
    SessionException.objects.create(session=made, date=date(2026, 12, 8), kind="moved", moved_to=date(2026, 12, 9),
                                    moved_opens_at=time(13), moved_closes_at=time(14), note="Hall booked")
    found = occurrences(made, MONDAY, MONDAY + timedelta(days=13), Terms())
    assert [(o.day, o.cancelled, o.moved_from, o.starts.hour) for o in found] == [
        (date(2026, 12, 1), True, None, 10), (date(2026, 12, 9), False, date(2026, 12, 8), 13)]
    assert next_date(made, Terms(), MONDAY).day == date(2026, 12, 9)


def test_an_exception_on_a_day_the_session_does_not_run_changes_nothing(eyfs):
    made = session(eyfs, byday="TU")
    SessionException.objects.create(session=made, date=date(2026, 12, 2), kind="moved", moved_to=date(2026, 12, 3))
    assert days(made, weeks=1) == [date(2026, 12, 1)]


def test_no_date_falls_outside_the_sessions_own_period(eyfs):
    made = session(eyfs, byday="TU", valid_from=date(2026, 12, 8), valid_to=date(2026, 12, 15))
    assert days(made, weeks=6) == [date(2026, 12, 8), date(2026, 12, 15)]
    assert regular_days(made, date(2027, 1, 1), date(2027, 3, 1), Terms()) == []
    assert next_date(made, Terms(), date(2026, 12, 16)) is None


def test_a_session_that_ends_before_it_starts_is_refused_with_a_clear_message(eyfs):
    with pytest.raises(ValidationError) as error:
        session(eyfs, opens_at=time(11, 30), closes_at=time(10))
    assert error.value.message_dict["closes_at"] == [
        "A session must end after it starts: the end time is not after the start time. "
        "A session cannot run past midnight."]


def test_the_database_refuses_it_too(eyfs):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(service=eyfs, byday="TU", opens_at=time(11), closes_at=time(10))


def test_until_before_from_is_refused(eyfs):
    with pytest.raises(ValidationError, match="'Until' must not be before 'from'"):
        session(eyfs, valid_from=date(2027, 1, 2), valid_to=date(2027, 1, 1))


@pytest.mark.parametrize("byday, freq, problem", [
    ("TUESDAY", "WEEKLY", "'TUESDAY' is not a day"),
    ("1MO", "WEEKLY", "'First Monday' and the like need 'repeats monthly'."),
    ("", "WEEKLY", "Choose at least one day of the week."),
    ("", "MONTHLY", "Say which day of the month"),
])
def test_a_rule_that_cannot_be_read_says_why(byday, freq, problem):
    assert problem in " ".join(rule_problems(Session(freq=freq, byday=byday)))


def test_a_draft_session_and_a_draft_services_sessions_are_not_public(eyfs):
    draft = session(eyfs, status=Status.DRAFT)
    live = session(eyfs)
    assert list(Session.objects.public()) == [live]
    eyfs.status = Status.DRAFT
    eyfs.save()
    assert not Session.objects.public().exists()
    assert draft.pk


def test_the_seed_has_no_times_and_no_terms():
    """No source the seed draws on states a session time or a term date: none may be invented."""
    from directory.models import KnowledgeEvent, TermDate

    assert not Session.objects.exists() and not TermDate.objects.exists() and not KnowledgeEvent.objects.exists()


@pytest.mark.parametrize("text", ["٣", "３", "1٣", "²"])
def test_days_of_the_month_are_ascii_digits_only(text):
    """'٣' (Arabic-Indic three) was read as 3 and kept as '٣', which the API then published."""
    with pytest.raises(ValueError):
        parse_bymonthday(text)
