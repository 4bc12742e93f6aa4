"""Issue 22, item 2: what people searched for is counted (directory/search/record.py), with
nothing that identifies anyone, whether the page is built, served from the cache or answered 304,
and never at the cost of the page."""
import logging
import re
import threading
from datetime import date, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from directory.core import content
from directory.models import ParentTopic, SearchRecord, Service
from directory.search import record
from directory.search.record import Search, filters_text, normalise_query, search_record

pytestmark = pytest.mark.django_db

SEARCH = "/search/"
# A search made before in this content version: the write, in a savepoint in tests (pages run in
# autocommit, without one).
RECORD_WARM = 1 + 2


def rows():
    return list(SearchRecord.objects.order_by("pk")
                .values("day", "audience", "query", "filters", "results", "searches"))


def only_row():
    found = rows()
    assert len(found) == 1, found
    return found[0]


def without_tokens(body):
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body)


def cached_pages(settings):
    settings.CACHE_PAGES = True  # as in production (the test settings turn it off)


# --- What one search records --------------------------------------------------------------------

def test_it_records_one_row_with_the_normalised_fields(client):
    response = client.get(SEARCH, {"q": "  Perinatal   TEAM ", "postcode": "b8 1aa", "level": "specialist",
                                   "sort": "name", "page": "1", "utm_source": "newsletter"})
    assert response.status_code == 200
    assert only_row() == {"day": timezone.localdate(), "audience": record.PRACTITIONERS, "query": "perinatal team",
                          "filters": "district=hodge-hill level=specialist",
                          "results": response.context["results"].count, "searches": 1}


def test_the_same_search_again_increments_its_row(client):
    client.get(SEARCH, {"q": "perinatal team", "level": "specialist"})
    client.get(SEARCH, {"q": "PERINATAL  team", "level": "specialist", "sort": "distance"})
    client.get(SEARCH, {"level": "specialist", "q": "perinatal team"})
    assert only_row()["searches"] == 3


def test_filters_are_the_valid_ones_applied_sorted_each_once(client):
    client.get(SEARCH, {"need": ["send", "bonding_attachment", "send"], "level": ["bogus", "targeted"],
                        "age": "x", "stage": "pregnant", "district": "ladywood", "language": "ur", "free": "1",
                        "focus": "additional"})
    row = only_row()
    # level=bogus makes the level filter invalid as a whole, so it is left out, as the search leaves it out.
    assert row["filters"] == ("district=ladywood focus=additional free=1 language=ur need=bonding_attachment "
                              "need=send stage=pregnant")
    assert row["query"] == ""


def test_a_postcode_wins_over_a_chosen_district_as_in_the_search(client):
    client.get(SEARCH, {"postcode": "B8 1AA", "district": "northfield"})
    assert only_row()["filters"] == "district=hodge-hill"


def test_the_results_are_the_total_the_page_shows_not_the_page_length(client):
    response = client.get(SEARCH, {"audience": "everyone"})
    assert response.context["results"].count > 20  # more than one page
    assert only_row()["results"] == response.context["results"].count


def test_a_search_that_finds_nothing_records_zero(client):
    client.get(SEARCH, {"q": "Hypnobirthing"})
    assert only_row()["results"] == 0 and only_row()["query"] == "hypnobirthing"


def test_a_typo_is_recorded_as_typed_with_what_the_search_found(client):
    """The search reads "perinatl" as "perinatal" (search/understand.py); curators see the typo."""
    response = client.get(SEARCH, {"q": "perinatl"})
    assert only_row()["query"] == "perinatl" and only_row()["results"] == response.context["results"].count > 0


def test_a_place_or_a_language_typed_as_keywords_is_recorded_as_the_search_read_it(client):
    client.get(SEARCH, {"q": "urdu health visitor B8 1AA"})
    row = only_row()
    assert row["query"] == "health visitor" and row["filters"] == "district=hodge-hill language=ur"


@pytest.mark.parametrize("params", [
    {},  # the list of every service: browsing, not a search
    {"sort": "name"},  # a sort is not a filter
    {"utm_source": "x", "shortlist": "1"},  # unknown parameters
    {"level": "bogus"},  # nothing usable
    {"q": "perinatal", "page": "2"},  # the same search, read further
    {"q": "perinatal", "page": "x"},
])
def test_what_is_not_a_search_is_not_recorded(client, params):
    assert client.get(SEARCH, params).status_code == 200
    assert rows() == []


def test_a_head_request_is_not_recorded(client):
    assert client.head(SEARCH, {"q": "perinatal"}).status_code == 200
    assert rows() == []


def test_a_return_to_the_results_from_one_of_them_is_not_a_new_search(client):
    client.get(SEARCH, {"q": "perinatal"})
    for back_from in ("/services/acacia/?q=perinatal", "/shortlist/?q=perinatal"):
        client.get(SEARCH, {"q": "perinatal"}, HTTP_REFERER=f"http://testserver{back_from}")
    assert only_row()["searches"] == 1
    # From the search page itself (a changed search), the home page or another site: a search.
    for referer in ("http://testserver/search/?q=x", "http://testserver/", "https://elsewhere.example/services/acacia/",
                    "http://testserver/no-such-page/"):
        client.get(SEARCH, {"q": "perinatal"}, HTTP_REFERER=referer)
    assert only_row()["searches"] == 5


def test_counting_a_search_never_changes_the_content_version(client):
    before = content.current()
    client.get(SEARCH, {"q": "perinatal"})
    assert SearchRecord.objects.exists() and content.current() == before


# --- Never a postcode, an address or a person ----------------------------------------------------

POSTCODE_SPELLINGS = ["B8 1AA", "b81aa", "b8  1aa", "B8 1", "b8 1a"]


def test_a_postcode_is_never_stored_in_the_filters_or_the_keywords(client):
    for spelling in POSTCODE_SPELLINGS:
        client.get(SEARCH, {"postcode": spelling})
        client.get(SEARCH, {"q": f"health visitor {spelling}"})
        client.get(SEARCH, {"q": spelling})
        client.get(reverse("parents:topic", args=["feeling-low"]), {"postcode": spelling, "age": "4"})
        client.get(reverse("parents:everything"), {"postcode": spelling})
    client.get(SEARCH, {"postcode": "B99 9ZZ"})  # not in Birmingham
    client.get(SEARCH, {"postcode": "SW1A 1AA"})
    stored = " | ".join(f"{row['query']} {row['filters']}" for row in rows()).lower()
    for part in ("b8 1", "b81", "8 1a", "b99", "sw1a", "9zz"):
        assert part not in stored, (part, stored)
    assert "[postcode]" in stored and "district=hodge-hill" in stored and "postcode=not-found" in stored
    assert "health visitor [postcode]" in stored


def test_an_email_address_or_a_phone_number_typed_as_keywords_is_not_stored(client):
    client.get(SEARCH, {"q": "call jo.bloggs@example.org on 0121 301 5990 or +447700900123"})
    assert only_row()["query"] == "call [email] on [number] or [number]"


def test_a_row_holds_nothing_about_who_searched(client):
    client.cookies["shortlist"] = "1.2"
    client.get(SEARCH, {"q": "perinatal"}, HTTP_USER_AGENT="Mozilla/5.0 (Ada's phone)", REMOTE_ADDR="203.0.113.9",
               HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert [field.name for field in SearchRecord._meta.get_fields()] == [
        "id", "day", "audience", "query", "filters", "results", "searches"]
    assert "203.0.113" not in str(rows()) and "Ada" not in str(rows())


@pytest.mark.parametrize("text, stored", [
    ("  Perinatal   MENTAL\thealth  ", "perinatal mental health"),
    ("health visitor B8 1AA please", "health visitor [postcode] please"),
    ("b81aa", "[postcode]"),
    ("B8 1", "[postcode]"),
    ("B8", "b8"),  # a postcode district alone is a place, not an address
    ("vitamin b12", "vitamin b12"),
    ("0-3 months", "0-3 months"),
    ("ring 07700 900123", "ring [number]"),
    ("me@example.org", "[email]"),
    ("x" * 250, "x" * 200),
    (None, ""),
])
def test_keywords_are_normalised(text, stored):
    assert normalise_query(text) == stored


def test_filters_are_canonical_and_cut_on_a_pair():
    assert filters_text([("need", "send"), ("age", 4), ("district", "hodge-hill"), ("need", "send")]) == \
        "age=4 district=hodge-hill need=send"
    many = [("need", f"need_number_{n:03}") for n in range(40)]
    text = filters_text(many)
    assert len(text) <= 300 and text.endswith(text.split()[-1]) and all("=" in pair for pair in text.split())


# --- Cached pages and 304s count like pages built afresh ---------------------------------------------

def test_a_search_served_from_the_cache_or_answered_304_still_counts(client, settings, django_assert_num_queries):
    cached_pages(settings)
    visitor = Client()
    visitor.get(SEARCH, {"q": "perinatal"})  # a first visit sets the CSRF cookie, which the ETag depends on
    first = visitor.get(SEARCH, {"q": "perinatal"})
    # The content version; the write (the count is cached too), in a savepoint in tests (SAVEPOINT, RELEASE).
    with django_assert_num_queries(1 + RECORD_WARM):
        again = visitor.get(SEARCH, {"q": "perinatal"})
    assert again.status_code == 200 and without_tokens(again.content) == without_tokens(first.content)
    with django_assert_num_queries(1 + RECORD_WARM):
        not_modified = visitor.get(SEARCH, {"q": "perinatal"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304
    assert only_row()["searches"] == 4


def test_a_parents_list_page_from_the_cache_or_a_304_counts_too(settings):
    cached_pages(settings)
    visitor = Client()
    url = reverse("parents:topic", args=["feeling-low"])
    visitor.get(url, {"age": "4"})  # sets the CSRF cookie
    first = visitor.get(url, {"age": "4"})
    assert visitor.get(url, {"age": "4"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert only_row()["searches"] == 3


def test_after_a_curators_change_the_count_is_the_new_one(client):
    client.get(SEARCH, {"q": "acacia"})
    Service.objects.filter(slug="acacia").update(status="archived")  # the trigger bumps the version
    client.get(SEARCH, {"q": "acacia"})
    assert [(row["results"], row["searches"]) for row in rows()] == [(1, 1), (0, 1)]


# --- Never at the page's cost --------------------------------------------------------------------

# The write, the description of the search (its count), the cache in front of it.
@pytest.mark.parametrize("where", ["search_record", "normalise_query", "cached"])
def test_a_failure_to_record_never_breaks_the_search_page(client, where, caplog):
    expected = client.get(SEARCH, {"q": "perinatal"}).content
    SearchRecord.objects.all().delete()
    cache.clear()  # so the search is described afresh
    with mock.patch.object(record, where, side_effect=OperationalError("database table is locked")), \
            caplog.at_level(logging.ERROR, logger="directory.search.record"):
        response = client.get(SEARCH, {"q": "perinatal"})
    assert response.status_code == 200
    assert without_tokens(response.content) == without_tokens(expected)
    assert rows() == []
    assert "could not record a search on /search/" in caplog.text


def test_a_failing_statement_spoils_neither_the_page_nor_the_request(client, caplog):
    """A real database error (a missing table), not just an exception: on PostgreSQL it would fail
    the whole transaction the request runs in (a test's), were the write not in a savepoint."""
    def missing_table(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE directory_no_such_table SET searches = searches + 1")

    with mock.patch.object(record, "search_record", side_effect=missing_table):
        response = client.get(SEARCH, {"q": "perinatal"})
        assert response.status_code == 200 and b"perinatal" in response.content
        assert client.get(reverse("parents:topic", args=["feeling-low"]), {"age": "4"}).status_code == 200
    assert Service.objects.filter(slug="acacia").exists()  # the database still answers
    assert "could not record a search on /search/" in caplog.text


def test_a_failure_to_record_never_breaks_a_parents_page(client, caplog):
    with mock.patch.object(record, "search_record", side_effect=OperationalError("no such table")):
        response = client.get(reverse("parents:topic", args=["feeling-low"]), {"age": "4"})
    assert response.status_code == 200 and rows() == []
    assert "could not record a search on /parents/topics/feeling-low/" in caplog.text


def test_a_broken_cache_still_records(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nobody listens: every call fails
    assert client.get(SEARCH, {"q": "perinatal"}).status_code == 200
    assert only_row()["searches"] == 1


# --- Concurrency -------------------------------------------------------------------------------------

def test_the_write_is_one_statement_that_makes_or_increments_the_row(django_assert_num_queries):
    search = Search(record.PRACTITIONERS, "perinatal", "", 3)
    search_record(search=search)  # makes the row (and prunes, first of the day)
    with django_assert_num_queries(1):
        search_record(search=search)
    assert only_row()["searches"] == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_searches_at_the_same_moment_on_postgresql_lose_no_count():
    """Eight threads, eight connections, each counting the same (new) search 25 times at once:
    one row, 200 searches, no error."""
    threads, per_thread = 8, 25
    barrier, errors = threading.Barrier(threads), []
    search = Search(record.PRACTITIONERS, "raced", "district=ladywood", 0)

    def count():
        from django.db import connections

        try:
            barrier.wait()
            for _ in range(per_thread):
                search_record(search=search)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=count) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert SearchRecord.objects.get(query="raced").searches == threads * per_thread


# --- Retention ---------------------------------------------------------------------------------------

def make_days(*ages, today):
    for age in ages:
        SearchRecord.objects.create(day=today - timedelta(days=age), audience=record.PRACTITIONERS,
                                    query=f"{age} days ago", results=0)


def kept():
    return sorted(int(query.split()[0]) for query in SearchRecord.objects.filter(query__endswith=" days ago")
                  .values_list("query", flat=True))


def test_the_command_deletes_the_days_older_than_search_record_days(settings):
    settings.SEARCH_RECORD_DAYS = 365
    today = timezone.localdate()
    make_days(0, 1, 364, 365, 366, 1000, today=today)
    out = StringIO()
    call_command("prunesearchrecords", stdout=out)
    assert kept() == [0, 1, 364, 365]
    assert out.getvalue().startswith("Deleted 2 search records of days before")
    call_command("prunesearchrecords", "--days", "1", stdout=out)
    assert kept() == [0, 1]


def test_the_command_refuses_a_period_of_no_days():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--days must be 1 or more"):
        call_command("prunesearchrecords", "--days", "0")


def test_the_first_search_of_the_day_prunes_and_the_next_do_not(client, settings, django_assert_num_queries):
    settings.SEARCH_RECORD_DAYS = 30
    today = timezone.localdate()
    make_days(31, 40, today=today)
    client.get(SEARCH, {"q": "perinatal"})
    assert kept() == [] and SearchRecord.objects.filter(query="perinatal").exists()
    make_days(50, today=today)
    client.get(SEARCH, {"q": "perinatal"})
    assert kept() == [50]  # pruned once today already; the command (or tomorrow's first search) takes it


def test_pruning_keeps_the_day_of_the_cutoff():
    assert record.retention_cutoff(date(2026, 3, 1), 365) == date(2025, 3, 1)


# --- The parents' list pages ----------------------------------------------------------------------------

def test_a_parents_topic_page_records_its_answers_as_filters(client):
    response = client.get(reverse("parents:topic", args=["feeling-low"]), {"age": "p4", "postcode": "B8 1AA"})
    assert only_row() == {"day": timezone.localdate(), "audience": "parents", "query": "",
                          "filters": "age=-5 district=hodge-hill topic=feeling-low",
                          "results": response.context["direct_total"] + response.context["ask_total"], "searches": 1}


def test_the_page_of_every_service_counts_with_answers_only(client):
    client.get(reverse("parents:everything"))
    assert rows() == []
    client.get(reverse("parents:everything"), {"language": "ur", "postcode": "nowhere"})
    assert only_row()["filters"] == "language=ur postcode=not-found"


def test_an_unknown_topic_is_not_recorded(client):
    assert client.get(reverse("parents:topic", args=["no-such-topic"]), {"age": "4"}).status_code == 404
    assert rows() == []


@pytest.mark.parametrize("params", [
    {}, {"age": "4"}, {"age": "p9"}, {"postcode": "B8 1AA"}, {"postcode": "B15 2TT", "age": "20"},
    {"language": "ur"}, {"language": "pl", "age": "p2"}, {"age": "nonsense", "postcode": "SW1A 1AA"},
])
def test_a_parents_count_is_what_the_page_lists(client, params):
    """On every topic and the page of everything: the recorded count is the services listed, or
    none when no service offers the language asked for (the page then lists the services for the
    other answers, with a note: the search for that language found nothing)."""
    pages = [reverse("parents:topic", args=[slug]) for slug in ParentTopic.objects.values_list("slug", flat=True)]
    pages.append(reverse("parents:everything"))
    for url in pages:
        SearchRecord.objects.all().delete()
        response = client.get(url, params)
        # Every service listed, on this page of each group and the others (issue 26: a page at a time).
        listed = response.context["direct_total"] + response.context["ask_total"]
        assert listed >= len(response.context["direct"]) + len(response.context["ask"])
        if response.context.get("language_missing"):
            listed = 0
        found = rows()
        if url.endswith("/all/") and not params:
            assert found == []
        else:
            assert [row["results"] for row in found] == [listed], (url, params)
