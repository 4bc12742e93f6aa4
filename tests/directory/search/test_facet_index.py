"""Issue 26: the search's option counts, total and best-match order come from a facet index in
memory (directory/search/facets.py, docs/adr/0029). The SQL paths they replaced are kept as the
oracle: every answer here is compared with the one SQL gives for the same data, on both
databases (CI runs this file on SQLite and PostgreSQL), including after each way of writing.

What the index must never do: answer for data older than the current version (a draft shown,
a count from before a save), or differ from SQL in a count, a total, the order or a card's
"why it fits" values."""
import os
import threading
import time
from datetime import timedelta

import numpy as np
import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from directory.core import content
from directory.models import (
    AgeRange, Audience, CoverageType, Focus, Level, Need, Organisation, ReferralRoute, Referrer, Service,
    ServiceAtLocation, Status, Venue,
)
from directory.search import facets, selectors
from directory.search.tables import refresh
from mapping.models import District
from tests.directory.search.test_search import _ANY_FILTERS

pytestmark = pytest.mark.django_db


def answer(data, *, index):
    """Everything a search page shows that the index could change, for every page."""
    with override_settings(SEARCH_FACET_INDEX=index):
        first = selectors.service_search(data=data, with_counts=True)
        pages = [first]
        for number in range(2, first.page.paginator.num_pages + 1):
            pages.append(selectors.service_search(data={**data, "page": str(number)}))
    rows = [
        (service.pk, service.fit, service.age_fits, service.is_local, service.is_open, service.has_route,
         service.distance_km)
        for result in pages for service in result.page.object_list
    ]
    return {"count": first.count, "counts": first.counts, "rows": rows, "sort": first.sort,
            "notices": first.notices}


def assert_same(data):
    from_index, from_sql = answer(data, index=True), answer(data, index=False)
    assert from_index == from_sql, data
    return from_index


QUERIES = [
    {}, {"sort": "name"}, {"age": "-9"}, {"age": "0"}, {"age": "4"}, {"age": "24"}, {"stage": "pregnant"},
    {"stage": "18-24", "level": ["specialist", "targeted"]}, {"district": "hodge-hill"},
    {"district": "ladywood", "sort": "name"}, {"postcode": "B8 1AA"}, {"postcode": "B4 6NH", "sort": "name"},
    {"referral": "self"}, {"referral": "professional", "free": "1"}, {"audience": "professionals"},
    {"audience": "everyone", "focus": ["specialised", "additional"]},
    {"need": ["perinatal_mental_health_severe", "bonding_attachment"], "delivery": ["groups"]},
    {"intervention": ["video_interaction_guidance"]}, {"language": ["ur", "pl"]},
    {"q": "perinatal"}, {"q": "dad support", "district": "yardley"}, {"q": "lost my baby to adoption"},
    {"q": "zzzz"}, {"age": "x", "stage": "soon", "level": ["bogus"], "page": "-1"},
    {"stage": "6-12", "district": "erdington", "referral": "self", "free": "1", "page": "2"},
    {"postcode": "B8 1AA", "district": "northfield"},
]


@pytest.mark.parametrize("data", QUERIES, ids=[str(number) for number in range(len(QUERIES))])
def test_the_index_gives_what_sql_gives_on_the_seed(data):
    assert_same(data)


@hypothesis_settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None,
                     derandomize=bool(os.environ.get("CI")),
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], database=None)
@given(data=st.fixed_dictionaries({name: st.sampled_from(values) for name, values in _ANY_FILTERS.items()}))
def test_any_combination_of_filters_gives_what_sql_gives(data):
    """The query-count test's combinations (tests/directory/search/test_search.py), valid or not:
    material written for another purpose, not for the index."""
    assert_same({name: value for name, value in data.items() if value not in ("", [])})


@pytest.fixture
def awkward():
    """Services that sit on the rules' edges: ranges of one month and of pregnancy, names that tie
    but for case and accents, a city-wide service with a venue in a district, one for a named
    group only, one with no route, one only a professional can refer to, and a draft and an
    archived service that match everything."""
    organisation = Organisation.objects.first()
    specialist, need = Level.objects.get(code="specialist"), Need.objects.get(code="bonding_attachment")
    hodge_hill = District.objects.get(slug="hodge-hill")
    made = []

    def make(name, **fields):
        defaults = {"organisation": organisation, "status": Status.PUBLISHED, "summary": "Edge case for the index.",
                    "focus": Focus.SPECIALISED, "age_range": AgeRange.ANY, "slug": f"edge-{len(made)}"}
        service = Service.objects.create(name=name, **{**defaults, **fields})
        service.levels.add(specialist)
        service.needs.add(need)
        made.append(service)
        return service

    make("zebra one month", age_range=AgeRange.RANGE, age_from_months=3, age_to_months=3)
    make("Zebra in pregnancy", age_range=AgeRange.RANGE, age_from_months=-9, age_to_months=-1)
    make("ábaco accented", age_range=AgeRange.NOT_STATED)
    make("Abaco capital", named_group_only=True)
    city_wide = make("abaco city-wide with a venue", coverage_type=CoverageType.CITY_WIDE)
    venue = Venue.objects.filter(district=hodge_hill).first()
    if venue is not None:
        ServiceAtLocation.objects.create(service=city_wide, venue=venue)
    local = make("Local to Hodge Hill", coverage_type=CoverageType.DISTRICTS, audience=Audience.PROFESSIONALS)
    local.coverage_districts.add(hodge_hill)
    ReferralRoute.objects.create(service=make("Professional route only"), referrer=Referrer.PROFESSIONAL)
    ReferralRoute.objects.create(service=make("Self route"), referrer=Referrer.SELF)
    make("A draft that matches everything", status=Status.DRAFT)
    make("An archived one", status=Status.ARCHIVED)
    refresh([service.pk for service in made])
    return made


@pytest.mark.parametrize("data", [
    {}, {"sort": "name"}, {"age": "4"}, {"age": "3"}, {"age": "-1"}, {"stage": "3-6"}, {"district": "hodge-hill"},
    {"postcode": "B8 1AA"}, {"referral": "professional"}, {"audience": "professionals", "stage": "pregnant"},
    {"q": "edge case", "age": "4"}, {"postcode": "B8 1AA", "district": "northfield"},  # the postcode wins
])
def test_edge_cases_agree(awkward, data):
    shown = assert_same(data)
    ids = {row[0] for row in shown["rows"]}
    assert not ids & {service.pk for service in awkward if service.status != Status.PUBLISHED}


def test_a_range_matches_its_own_months_only(awkward):
    one_month, pregnancy = awkward[0].pk, awkward[1].pk
    assert one_month in _ids({"age": "3"}) and one_month not in _ids({"age": "4"})
    assert one_month in _ids({"stage": "3-6"}) and one_month not in _ids({"stage": "0-3"})
    assert pregnancy in _ids({"age": "-1"}) and pregnancy not in _ids({"age": "0"})


# --- Never older than the data -----------------------------------------------------------------

def _ids(data):
    return [row[0] for row in answer(data, index=True)["rows"]]


def test_every_way_of_writing_is_seen_by_the_next_search(awkward):
    """The index is of one version of the services' content, and every write bumps it (triggers):
    a queryset update, a many-to-many add, a route deleted, raw SQL, a coverage change."""
    first = awkward[0]
    assert first.pk in _ids({})
    Service.objects.filter(pk=first.pk).update(status=Status.DRAFT)  # no signal: a trigger
    assert first.pk not in _ids({}) and assert_same({})

    second = awkward[3]
    assert second.pk not in _ids({"need": ["perinatal_mental_health_severe"]})
    second.needs.add(Need.objects.get(code="perinatal_mental_health_severe"))
    assert second.pk in _ids({"need": ["perinatal_mental_health_severe"]})

    route = ReferralRoute.objects.get(service__name="Self route")
    assert route.service_id in _ids({"referral": "self"})
    route.delete()
    assert route.service_id not in _ids({"referral": "self"}) and assert_same({"referral": "self"})

    table = connection.ops.quote_name(Service._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET focus = %s WHERE id = %s", [Focus.NON_SPECIALISED, second.pk])
    assert second.pk in _ids({"focus": ["non_specialised"]}) and assert_same({"focus": ["non_specialised"]})

    local = Service.objects.get(name="Local to Hodge Hill")
    local.coverage_districts.set([District.objects.get(slug="ladywood")])
    local.save()
    assert local.pk not in _ids({"district": "hodge-hill"}) and local.pk in _ids({"district": "ladywood"})
    assert_same({"district": "ladywood"})


def test_the_counts_follow_a_publication(client, awkward):
    draft = Service.objects.get(name="A draft that matches everything")
    before = client.get("/search/").context["results"].count
    Service.objects.filter(pk=draft.pk).update(status=Status.PUBLISHED)
    after = client.get("/search/")
    assert after.context["results"].count == before + 1
    assert draft.name in after.content.decode()


# --- One build for the whole site ------------------------------------------------------------

def test_another_process_reads_the_index_from_the_shared_cache_instead_of_building_it():
    built = facets.current_index()
    facets.forget()  # another process: nothing in its memory, the shared cache holds the index
    with CaptureQueriesContext(connection) as queries:
        again = facets.current_index()
    assert len(queries) == 1  # the version; not the build
    assert again.version == built.version and (again.name_order == built.name_order).all()


def test_a_process_waits_for_the_one_building_rather_than_building_too(monkeypatch):
    version = content.current(facets.KINDS)
    key = facets._key(version)
    facets._cache("add", f"{key}:building", "another process", 60)
    built, _ = facets._build()
    built.name_order = built.name_order[:0]  # marked: this copy came from "the other process"

    def finish():
        time.sleep(0.2)
        import pickle
        facets._cache("set", key, pickle.dumps(built), 60)

    calls = []
    monkeypatch.setattr(facets, "_build", lambda: calls.append(1))
    thread = threading.Thread(target=finish)
    thread.start()
    try:
        index = facets.current_index()
    finally:
        thread.join()
    assert not calls and len(index.name_order) == 0 and index.version == version


def test_a_builder_that_went_away_does_not_leave_the_others_waiting(monkeypatch):
    version = content.current(facets.KINDS)
    facets._cache("add", f"{facets._key(version)}:building", "a process that died", 60)
    monkeypatch.setattr(facets, "WAIT_FOR_BUILDER", 0.1)
    started = time.monotonic()
    index = facets.current_index()  # nobody stores it: this process builds its own
    assert time.monotonic() - started < 5 and index.version == version
    assert facets._cache("get", facets._key(version)) is not None


def test_an_index_is_kept_under_the_version_of_the_data_it_read(monkeypatch):
    """A save between the request's reading of the version and the build: the index is of the
    newer data, so it is kept under the newer version, never under the request's older one."""
    old = content.current(facets.KINDS)
    real_build = facets._build

    def build_after_a_save():
        Service.objects.filter(pk=Service.objects.published().first().pk).update(summary="Saved meanwhile.")
        return real_build()

    monkeypatch.setattr(facets, "_build", build_after_a_save)
    index = facets.current_index()
    content.forget()
    new = content.current(facets.KINDS)
    assert new != old and index.version == new
    assert facets._cache("get", facets._key(old)) is None and facets._cache("get", facets._key(new)) is not None


def test_a_broken_cache_builds_here(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nobody listens: every call fails
    assert facets.current_index().version == content.current(facets.KINDS)
    assert assert_same({"stage": "pregnant"})


def test_a_damaged_shared_copy_is_built_again():
    version = content.current(facets.KINDS)
    facets._cache("set", facets._key(version), b"not a pickle", 60)
    assert facets.current_index().version == version


def test_off_means_sql(client):
    with override_settings(SEARCH_FACET_INDEX=False):
        client.get("/search/")
    assert facets._held == {}


# --- Refreshed from the change log (PostgreSQL) ------------------------------------------------------

def same_index(refreshed, built):
    size = max(refreshed.size, built.size)
    assert (facets._grown(refreshed.published, size) == facets._grown(built.published, size)).all()
    for table in ("sets", "local"):
        old, new = getattr(refreshed, table), getattr(built, table)
        for key in set(old) | set(new):
            left = facets._grown(old[key], size) if key in old else np.zeros((size + 7) // 8, dtype=np.uint8)
            right = facets._grown(new[key], size) if key in new else np.zeros((size + 7) // 8, dtype=np.uint8)
            assert (left == right).all(), (table, key)
    assert sorted(map(tuple, refreshed.ranged.tolist())) == sorted(map(tuple, built.ranged.tolist()))
    assert sorted(map(tuple, refreshed.venues.tolist())) == sorted(map(tuple, built.venues.tolist()))
    assert refreshed.name_order.tolist() == built.name_order.tolist()


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the change log is PostgreSQL's")


@pytest.fixture
def committed_directory(transactional_db):
    """A small directory of its own, committed (a transactional test: the seed is flushed)."""
    organisation = Organisation.objects.create(name="Refresh test organisation", slug="refresh-test")
    districts = [District.objects.create(name=f"District {n}", slug=f"district-{n}", code=f"E0000000{n}", boundary={},
                                         centroid_lat=52.5, centroid_lon=-1.9, population_under_2=1, imd_decile=5,
                                         deprivation_rank=11 + n)
                 for n in range(2)]
    levels = [Level.objects.create(code=f"level-{n}", name=f"Level {n}", rank=n + 1, description="x") for n in range(2)]
    needs = [Need.objects.create(code=f"need-{n}", name=f"Need {n}") for n in range(3)]
    services = []
    for n in range(40):
        service = Service.objects.create(
            organisation=organisation, name=f"{'Bcdefghij'[n % 9]}ervice {n:02}", slug=f"refresh-{n}",
            status=Status.PUBLISHED if n % 7 else Status.DRAFT, summary="x", focus=[*Focus.values][n % 3],
            age_range=AgeRange.RANGE if n % 2 else AgeRange.ANY,
            age_from_months=(n % 5) if n % 2 else None, age_to_months=(n % 5) + 6 if n % 2 else None,
            coverage_type=CoverageType.DISTRICTS if n % 3 else CoverageType.CITY_WIDE,
        )
        service.levels.add(levels[n % 2])
        service.needs.add(needs[n % 3])
        if n % 3:
            service.coverage_districts.add(districts[n % 2])
        if n % 4:
            ReferralRoute.objects.create(service=service, referrer=[Referrer.SELF, Referrer.PROFESSIONAL][n % 2])
        services.append(service)
    refresh([service.pk for service in services])
    return {"services": services, "needs": needs, "districts": districts, "levels": levels}


def check_refreshed(expect_refresh=True):
    """The index now in use equals one built from scratch, and came by refreshing (or not)."""
    before = facets._held.get("index")
    index = facets.current_index()
    built, version = facets._build()
    assert index.version == version
    same_index(index, built)
    if expect_refresh:
        assert before is not None and index.refreshed == before.refreshed + 1 and index.built_at == before.built_at
    return index


@postgresql_only
def test_each_committed_write_is_refreshed_into_the_index(committed_directory):
    services, needs = committed_directory["services"], committed_directory["needs"]
    first = facets.current_index()
    assert first.snapshot and first.refreshed == 0
    Service.objects.filter(pk=services[1].pk).update(summary="A save that moves nothing.")
    check_refreshed()
    Service.objects.filter(pk=services[2].pk).update(name="Aaa now first by name")
    check_refreshed()
    Service.objects.filter(pk=services[3].pk).update(name="zzz now last by name")
    check_refreshed()
    Service.objects.filter(pk=services[4].pk).update(status=Status.DRAFT)
    check_refreshed()
    Service.objects.filter(pk=services[7].pk).update(status=Status.PUBLISHED)  # was a draft
    check_refreshed()
    services[5].needs.add(needs[0])  # it has needs[2]
    check_refreshed()
    ReferralRoute.objects.filter(service=services[6]).delete()
    check_refreshed()
    services[8].coverage_districts.set([committed_directory["districts"][1]])  # from district 0
    refresh([services[8].pk])
    check_refreshed()
    Service.objects.filter(pk__in=[s.pk for s in services[10:20]]).update(name="Same name for ten")
    check_refreshed()
    services[11].delete()
    check_refreshed()
    # Venues: a placement added, then the venue moved by a queryset update (no signal: its trigger).
    venue = Venue.objects.bulk_create([Venue(name="Refresh venue", postcode="B8 1AA", lat=52.48, lon=-1.86)])[0]
    ServiceAtLocation.objects.create(service=services[12], venue=venue)
    assert len(check_refreshed().venues)
    Venue.objects.filter(pk=venue.pk).update(lat=52.5, lon=-1.9)
    moved = check_refreshed()
    assert [52.5, -1.9] in moved.venues[:, 1:].tolist()
    # What SQL answers, the index answers.
    for data in ({}, {"sort": "name"}, {"age": "3"}, {"district": "district-1"}, {"referral": "professional"},
                 {"need": ["need-2"], "level": ["level-0"]}):
        assert_same(data)


@postgresql_only
def test_a_truncate_builds_the_index_again(committed_directory):
    """A TRUNCATE says nothing of its rows: the log's "everything" (-1) makes the next search build."""
    facets.current_index()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(Service.needs.through._meta.db_table)}")
    index = facets.current_index()
    assert index.refreshed == 0 and not any(key[0] == "need" and facets.count(bits)
                                            for key, bits in index.sets.items())
    same_index(index, facets._build()[0])


@postgresql_only
def test_more_changes_than_are_worth_refreshing_build_again(committed_directory, monkeypatch):
    facets.current_index()
    monkeypatch.setattr(facets, "MOVERS_MAX", 2)
    Service.objects.filter(pk__in=[s.pk for s in committed_directory["services"][:5]]).update(summary="Five saves.")
    assert facets.current_index().refreshed == 0


@postgresql_only
def test_a_transaction_still_open_when_the_index_was_read_is_refreshed_in_when_it_commits(committed_directory):
    services = committed_directory["services"]
    facets.current_index()
    writing, written, done = threading.Event(), threading.Event(), threading.Event()

    def writer():
        from django.db import connection as own, transaction

        try:
            with transaction.atomic():
                Service.objects.filter(pk=services[1].pk).update(status=Status.DRAFT)
                written.set()
                writing.wait(10)  # the index is read while this transaction is open
        finally:
            own.close()
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    written.wait(10)
    Service.objects.filter(pk=services[2].pk).update(summary="Another save meanwhile.")
    during = check_refreshed()  # the open transaction's write is not seen yet, nor should it be
    assert np.unpackbits(during.published, count=during.size)[services[1].pk] == 1
    writing.set()
    done.wait(10)
    thread.join()
    after = check_refreshed()  # it committed after the snapshot: its service is read again
    assert np.unpackbits(after.published, count=after.size)[services[1].pk] == 0


@postgresql_only
def test_an_index_read_inside_a_writing_transaction_is_never_refreshed_from(committed_directory):
    """Its data includes the transaction's own writes, which a rollback takes back with no trace
    in the log: after the rollback the index is read again, not refreshed."""
    from django.db import transaction

    services = committed_directory["services"]
    facets.current_index()
    with pytest.raises(RuntimeError), transaction.atomic():
        Service.objects.filter(pk=services[1].pk).update(status=Status.DRAFT)
        inside = facets.current_index()
        assert inside.snapshot == ""
        raise RuntimeError("rolled back")
    after = facets.current_index()
    assert np.unpackbits(after.published, count=after.size)[services[1].pk] == 1
    same_index(after, facets._build()[0])


@postgresql_only
def test_the_log_keeps_a_day_and_an_old_index_is_built_again(committed_directory, monkeypatch):
    from directory.models import ServiceChange

    services = committed_directory["services"]
    facets.current_index()
    ServiceChange.objects.create(service_id=services[1].pk, tx=1, at=timezone.now() - timedelta(days=2))
    Service.objects.filter(pk=services[1].pk).update(summary="x")
    facets.current_index()  # a refresh: it deletes what is older than a day
    assert not ServiceChange.objects.filter(tx=1).exists()
    same_index(facets.current_index(), facets._build()[0])
    monkeypatch.setattr(facets._held["index"], "built_at", time.time() - facets.REBUILD_AFTER - 1)
    Service.objects.filter(pk=services[2].pk).update(summary="y")
    assert facets.current_index().refreshed == 0  # too old to refresh: built again


@postgresql_only
def test_the_triggers_log_every_table_the_index_reads(committed_directory):
    from directory.models import ServiceChange

    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'facets_log_%%'")
        logged = {row[0].strip('"') for row in cursor.fetchall()}
    from directory.models import Venue

    assert logged == set(facets._logged_tables()) | {Venue._meta.db_table}
    service = committed_directory["services"][1]
    before = ServiceChange.objects.count()
    service.levels.clear()
    assert ServiceChange.objects.filter(service_id=service.pk).count() >= 1 and ServiceChange.objects.count() > before


# --- The map's counts by district ---------------------------------------------------------------

@pytest.mark.parametrize("data", [{}, {"level": ["specialist"]}, {"age": "4", "focus": ["specialised"]},
                                  {"q": "perinatal"}, {"district": "hodge-hill"}, {"referral": "self", "free": "1"}])
def test_the_maps_counts_by_district_are_what_sql_counts(awkward, data):
    from mapping import selectors as map_selectors

    services, filterset = map_selectors.matching_services(data=data)
    districts = map_selectors.district_list()
    from_index = map_selectors.district_service_counts(services=services, districts=districts, filterset=filterset)
    from_sql = map_selectors.district_service_counts(services=services, districts=districts)
    assert from_index == from_sql


@pytest.mark.parametrize("published", [False, True])
def test_specialised_provision_is_what_sql_counts(awkward, published):
    from directory.models import ServiceCapacity
    from mapping import selectors as map_selectors

    if published:  # a specialised service with capacity records, local to one district, and a city-wide one
        Service.objects.filter(pk__in=[awkward[5].pk, awkward[4].pk]).update(status=Status.PUBLISHED)
        hodge_hill = District.objects.get(slug="hodge-hill")
        for service in (awkward[5], awkward[4]):
            ServiceCapacity.objects.create(service=service, district=hodge_hill, practitioner_wte=1)
    districts = map_selectors.district_list()
    from_index = map_selectors.specialised_provision(districts=districts)
    with override_settings(SEARCH_FACET_INDEX=False):
        from_sql = map_selectors.specialised_provision(districts=districts)
    assert from_index == from_sql
    assert from_sql.total > 0 and any(from_sql.counts.values())
