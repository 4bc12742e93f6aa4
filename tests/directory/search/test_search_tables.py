"""The maintained search tables (docs/adr/0012): right after every kind of change, on both databases.

`assert_tables_true` compares both tables with what the rules say, computed another way: the
district rows with `in_district_q` / `local_in_district_q` (the OR across the joins that
search used before the table), the search rows with the service's own text (on PostgreSQL,
the lexemes and weights of each part).
"""
import importlib
import os

import pytest
import tablib
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.deletion import ProtectedError
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.search import keywords as search

from directory.search import tables as search_tables
from directory.curation.bulk import ServiceResource
from directory.models import (
    CoverageType, Focus, Intervention, Need, Organisation, ReferralRoute, Referrer, Service, ServiceAtLocation,
    ServiceDistrict, ServiceSearchIndex, Status, Venue, in_district_q, local_in_district_q,
)
from directory.search.tables import deferred_refresh, rebuild_all, refresh
from mapping.models import District
from mapping.postcodes import postcode_lookup

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"


# --- The oracle ------------------------------------------------------------------------

def expected_district_rows():
    rows = set()
    for district in District.objects.all():
        inside = set(Service.objects.filter(in_district_q(district)).values_list("pk", flat=True).distinct())
        local = set(Service.objects.filter(local_in_district_q(district)).values_list("pk", flat=True).distinct())
        assert local <= inside
        rows |= {(pk, district.pk, pk in local) for pk in inside}
    return rows


def district_rows():
    return set(ServiceDistrict.objects.values_list("service_id", "district_id", "is_local"))


def parts_of(service):
    """The four weighted parts, as the search row must hold them (order within a list aside)."""
    needs = sorted(need.name for need in service.needs.all())
    interventions = sorted(i.name for i in service.interventions.all())
    criteria = [text for route in service.referral_routes.all() for text in (route.acceptance_criteria, route.exclusions)]
    return {"A": [service.name], "B": [service.summary, *needs], "C": [service.description, *interventions],
            "D": criteria}


def _ascii_lower(text):
    # SQLite's lower() folds ASCII letters only.
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def _lexemes(parts):
    """{(lexeme, weight)} PostgreSQL makes of the parts, whatever their order."""
    with connection.cursor() as cursor:
        pairs = set()
        for weight, texts in parts.items():
            cursor.execute("SELECT lexeme FROM unnest(to_tsvector('english', %s))", ["\n".join(texts)])
            pairs |= {(lexeme, weight) for (lexeme,) in cursor.fetchall()}
    return pairs


def _stored_lexemes(service_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.lexeme, w FROM directory_servicesearchindex i, unnest(i.document) u, unnest(u.weights) w "
            "WHERE i.service_id = %s", [service_id])
        return {(lexeme, weight) for lexeme, weight in cursor.fetchall()}


def assert_search_rows_true():
    services = Service.objects.prefetch_related("needs", "interventions", "referral_routes")
    documents = dict(ServiceSearchIndex.objects.values_list("service_id", "document"))
    assert set(documents) == {service.pk for service in services}, "one search row per service, no other"
    for service in services:
        parts = parts_of(service)
        if POSTGRES:
            assert _stored_lexemes(service.pk) == _lexemes(parts), service.name
        else:
            lines = sorted(_ascii_lower(documents[service.pk]).split("\n"))
            expected = [*parts["A"], *parts["B"], *parts["C"], *(parts["D"] or [""])]
            if len(parts["B"]) == 1:
                expected.append("")  # no needs: an empty line after the summary
            if len(parts["C"]) == 1:
                expected.append("")
            assert lines == sorted(_ascii_lower("\n".join(expected)).split("\n")), service.name


def assert_tables_true():
    assert district_rows() == expected_district_rows()
    assert_search_rows_true()
    # No row outlives its service or district (the tables have no database foreign keys).
    assert not ServiceDistrict.objects.exclude(service__in=Service.objects.all()).exists()
    assert not ServiceDistrict.objects.exclude(district__in=District.objects.all()).exists()
    assert not ServiceSearchIndex.objects.exclude(service__in=Service.objects.all()).exists()


def found(words):
    return set(search.keyword_filter(Service.objects.all(), words).values_list("name", flat=True))


# --- Fixtures --------------------------------------------------------------------------

@pytest.fixture
def organisation():
    return Organisation.objects.create(name="Test organisation", slug="test-organisation", sector="vcs")


@pytest.fixture
def service(organisation):
    """A test service covering Hodge Hill only, with nothing else yet."""
    service = Service.objects.create(
        organisation=organisation, name="Test service", slug="test-service", status=Status.DRAFT,
        summary="A test summary.", description="A test description.", focus=Focus.ADDITIONAL,
        coverage_type=CoverageType.DISTRICTS,
    )
    service.coverage_districts.set([district("hodge-hill")])
    return service


def district(slug):
    return District.objects.get(slug=slug)


def rows_of(service):
    return {(d, local) for _, d, local in district_rows() if _ == service.pk}


# --- The seed, and each kind of change ------------------------------------------------------

def test_the_seed_fills_both_tables_right():
    assert Service.objects.count() == 25
    assert_tables_true()


def test_a_service_saved_with_new_coverage_and_text(service):
    assert rows_of(service) == {(district("hodge-hill").pk, True)}
    service.coverage_type = CoverageType.CITY_WIDE
    service.name = "Test zygomorphic service"
    service.save()
    assert len(rows_of(service)) == District.objects.count()
    assert found("zygomorphic") == {"Test zygomorphic service"}
    service.locality_district = district("ladywood")
    service.description = "Now quincuncial."
    service.save()
    assert (district("ladywood").pk, True) in rows_of(service)
    assert found("quincuncial") == {"Test zygomorphic service"}
    assert_tables_true()


def test_a_save_of_other_fields_leaves_the_rows_alone(service):
    with CaptureQueriesContext(connection) as queries:
        service.save(update_fields=["phone"])
    assert not [q for q in queries.captured_queries if "servicedistrict" in q["sql"] or "servicesearchindex" in q["sql"]]


def reverse_side():
    # simple-history records many-to-many changes made from the service's side only (the
    # admin's); the district's or need's side has no history to write to.
    return override_settings(SIMPLE_HISTORY_ENABLED=False)


def test_coverage_added_removed_and_cleared_from_either_side(service):
    yardley = district("yardley")
    service.coverage_districts.add(yardley)
    assert (yardley.pk, True) in rows_of(service)
    service.coverage_districts.remove(district("hodge-hill"))
    assert rows_of(service) == {(yardley.pk, True)}
    with reverse_side():
        yardley.services.remove(service)
        assert rows_of(service) == set()
        yardley.services.add(service)
        assert rows_of(service) == {(yardley.pk, True)}
        assert_tables_true()
        yardley.services.clear()  # every service listing Yardley loses it
    service.coverage_districts.clear()
    assert rows_of(service) == set()
    assert_tables_true()


def test_needs_and_interventions_added_removed_and_cleared_from_either_side(service):
    need, intervention = Need.objects.order_by("pk")[0], Intervention.objects.order_by("pk")[0]
    service.needs.add(need)
    service.interventions.add(intervention)
    assert_search_rows_true()
    with reverse_side():
        need.services.remove(service)
        intervention.services.add(Service.objects.get(slug="acacia"))
        assert_search_rows_true()
        service.needs.add(need)
        need.services.clear()
    service.interventions.clear()
    assert_tables_true()


def test_a_renamed_or_deleted_need_or_intervention(service):
    need = Need.objects.create(code="test-need", name="Test need")
    intervention = Intervention.objects.create(code="test-approach", name="Test approach")
    service.needs.add(need)
    service.interventions.add(intervention)
    need.name = "Sesquipedalian worries"
    need.save()
    intervention.name = "Pellucid method"
    intervention.save()
    assert found("sesquipedalian") == found("pellucid") == {"Test service"}
    assert_search_rows_true()
    need.delete()
    intervention.delete()
    assert found("sesquipedalian") == found("pellucid") == set()
    assert_tables_true()


def test_referral_routes_added_changed_moved_and_deleted(service):
    route = ReferralRoute.objects.create(service=service, referrer=Referrer.SELF,
                                         acceptance_criteria="Families in a crepuscular mood.")
    assert found("crepuscular") == {"Test service"}
    route.exclusions = "No lugubrious cases."
    route.save()
    assert found("lugubrious") == {"Test service"}
    acacia = Service.objects.get(slug="acacia")
    route.service = acacia  # moved: both services change
    route.save()
    assert found("lugubrious") == {"Acacia"}
    assert_search_rows_true()
    route.delete()
    assert found("lugubrious") == set()
    assert_tables_true()


def test_venues_placed_changed_and_removed(service):
    venue = Venue.objects.filter(district__slug="ladywood").first()
    other = Venue.objects.exclude(district=venue.district).exclude(district__isnull=True).first()
    placement = ServiceAtLocation.objects.create(service=service, venue=venue)
    assert (venue.district_id, True) in rows_of(service)
    placement.venue = other
    placement.save()
    assert (venue.district_id, True) not in rows_of(service) and (other.district_id, True) in rows_of(service)
    placement.delete()
    assert rows_of(service) == {(district("hodge-hill").pk, True)}
    assert_tables_true()


def test_a_venue_moved_to_another_district(service):
    venue = Venue.objects.create(name="Test venue", postcode="B8 1AA")
    venue.locate(postcode_lookup("B8 1AA"))
    venue.save()
    ServiceAtLocation.objects.create(service=service, venue=venue)
    service.coverage_districts.clear()
    assert rows_of(service) == {(venue.district_id, True)}
    moved = postcode_lookup("B4 6NH")
    assert moved.district.pk != venue.district_id
    venue.locate(moved)
    venue.save()
    assert rows_of(service) == {(moved.district.pk, True)}
    assert_tables_true()


def test_a_venue_in_use_cannot_be_deleted_and_one_no_longer_used_can(service):
    venue = Venue.objects.create(name="Test venue", postcode="B8 1AA")
    venue.locate(postcode_lookup("B8 1AA"))
    venue.save()
    placement = ServiceAtLocation.objects.create(service=service, venue=venue)
    with pytest.raises(ProtectedError), transaction.atomic():
        venue.delete()
    placement.delete()
    venue.delete()
    assert_tables_true()


def test_a_deleted_service_leaves_no_rows(service):
    ReferralRoute.objects.create(service=service, referrer=Referrer.SELF, acceptance_criteria="Anyone.")
    ServiceAtLocation.objects.create(service=service, venue=Venue.objects.first())
    pk = service.pk
    service.delete()
    assert not ServiceDistrict.objects.filter(service_id=pk).exists()
    assert not ServiceSearchIndex.objects.filter(service_id=pk).exists()
    connection.check_constraints()
    assert_tables_true()
    Service.objects.filter(slug="acacia").delete()  # a queryset delete too
    assert_tables_true()


def test_a_new_district_holds_every_city_wide_service_and_a_deleted_one_nothing():
    new = District.objects.create(name="Test district", slug="test-district", code="E00000000", boundary={},
                                  centroid_lat=52.5, centroid_lon=-1.9, population_under_2=1, imd_decile=5,
                                  deprivation_rank=11)
    city_wide = set(Service.objects.filter(coverage_type=CoverageType.CITY_WIDE).values_list("pk", flat=True))
    assert city_wide and set(ServiceDistrict.objects.filter(district=new).values_list("service_id", flat=True)) == city_wide
    new.save()  # saving again adds nothing twice
    assert_tables_true()
    new.delete()
    assert not ServiceDistrict.objects.filter(district_id=new.pk).exists()
    assert_tables_true()


def test_the_words_may_match_anywhere_in_the_services_text_on_both_databases():
    # "dad" (a synonym of fathers) is in Acacia's needs, "peer" in its interventions and summary:
    # before the search row, PostgreSQL needed the whole query within one of them (ADR 4).
    assert "Acacia" in found("dad peer")


# --- Paths that write in bulk ----------------------------------------------------------------

def test_loadseed_again_leaves_the_tables_true():
    call_command("loadseed", verbosity=0)
    assert_tables_true()


def test_loadseed_into_an_empty_directory_fills_them():
    ServiceAtLocation.objects.all().delete()
    Service.objects.all().delete()
    from directory.models import SeedRecord

    SeedRecord.objects.filter(key__startswith="service:").delete()
    call_command("loadseed", verbosity=0)
    assert Service.objects.count() == 25
    assert_tables_true()


def test_the_open_referral_import():
    call_command("import_oruk", "tests/fixtures_oruk/foreign_feed.json", verbosity=0)
    assert "Little Steps Baby Group" in found("little steps")
    assert_tables_true()


def test_the_curators_csv_import(curator):
    text = ServiceResource().export(ServiceResource().get_queryset()).csv
    text = text.replace("Acacia,", "Acacia the zygomorphic,", 1)
    result = ServiceResource().import_data(tablib.Dataset().load(text, format="csv"), dry_run=False, user=curator)
    assert not result.has_errors() and not result.has_validation_errors()
    assert found("zygomorphic") == {"Acacia the zygomorphic"}
    assert_tables_true()


def test_the_admin_bulk_actions(client, imhsg_editor):
    # Archive and restore change only the status, which the tables do not hold.
    client.force_login(imhsg_editor)
    acacia = Service.objects.get(slug="acacia")
    for action in ("archive", "restore", "mark_reviewed_today"):
        client.post("/admin/directory/service/", {"action": action, "_selected_action": [acacia.pk]})
    assert_tables_true()


def test_bulk_created_rows_need_an_explicit_refresh_or_rebuild(organisation):
    """bulk_create sends no signals (bench/search.py's builder, raw SQL): refresh or rebuild_all."""
    made = Service.objects.bulk_create([
        Service(organisation=organisation, name=f"Bulk test service {n}", slug=f"bulk-test-service-{n}",
                focus=Focus.ADDITIONAL, coverage_type=CoverageType.CITY_WIDE) for n in range(3)])
    Service.coverage_districts.through.objects.bulk_create(
        [Service.coverage_districts.through(service_id=made[0].pk, district_id=district("ladywood").pk)])
    assert not ServiceSearchIndex.objects.filter(service__in=made).exists()
    refresh([made[0].pk])
    assert (district("ladywood").pk, True) in rows_of(made[0])
    rebuild_all()
    assert_tables_true()


def test_the_migration_fills_the_same_rows_as_rebuild_all():
    migration = importlib.import_module("directory.migrations.0015_maintained_search_tables")

    class Editor:
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.empty(None, Editor())
    assert not ServiceDistrict.objects.exists() and not ServiceSearchIndex.objects.exists()
    migration.fill(None, Editor())
    # 0022 then applies issue 22's rule (a city-wide service's venue is not "local").
    later = importlib.import_module("directory.migrations.0022_city_wide_venues_not_local")
    with connection.cursor() as cursor:
        cursor.execute(later.FORWARD)
    assert_tables_true()


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only")
def test_rebuild_all_puts_back_the_indexes_it_drops():
    def indexes():
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                           "('directory_servicedistrict', 'directory_servicesearchindex') ORDER BY 1")
            return cursor.fetchall()

    before = indexes()
    assert {name for name, _ in before} >= {"servicedistrict_lookup", search_tables.GIN_INDEX}
    rebuild_all()
    assert indexes() == before
    assert_tables_true()


# --- Deferring -------------------------------------------------------------------------------

def test_a_deferred_block_refreshes_once_at_its_end(service):
    with deferred_refresh():
        service.name = "Test obstreperous service"
        service.save()
        service.coverage_districts.add(district("yardley"))
        with deferred_refresh():  # nested: the outer block refreshes
            service.needs.add(Need.objects.first())
        assert found("obstreperous") == set()  # not yet
        assert (district("yardley").pk, True) not in rows_of(service)
    assert found("obstreperous") == {"Test obstreperous service"}
    assert_tables_true()


def test_a_deferred_block_that_fails_still_refreshes_what_was_written(service):
    with pytest.raises(ValueError):
        with deferred_refresh():
            service.name = "Test truculent service"
            service.save()
            raise ValueError("a caller's own error, caught further out")
    assert found("truculent") == {"Test truculent service"}
    assert_tables_true()


# --- The rule, for any service -------------------------------------------------------------------

CI = bool(os.environ.get("CI"))


def test_in_district_by_the_table_is_the_or_rule_for_any_service(organisation):
    """Property: for random services and random changes to them, `in_district` (the table)
    gives exactly what the OR of the rule's four parts gives, and `is_local` what its local
    part gives."""
    districts = list(District.objects.order_by("pk"))
    venues = list(Venue.objects.order_by("pk")[:8])
    shape = st.fixed_dictionaries({
        "coverage_type": st.sampled_from(CoverageType.values),
        "listed": st.sets(st.sampled_from(districts), max_size=3),
        "locality": st.one_of(st.none(), st.sampled_from(districts)),
        "venues": st.sets(st.sampled_from(venues), max_size=3),
    })

    def apply(service, spec):
        service.coverage_type, service.locality_district = spec["coverage_type"], spec["locality"]
        service.save()
        service.coverage_districts.set(spec["listed"])
        ServiceAtLocation.objects.filter(service=service).exclude(venue__in=spec["venues"]).delete()
        for venue in spec["venues"]:
            ServiceAtLocation.objects.get_or_create(service=service, venue=venue)

    def check(service):
        one = Service.objects.filter(pk=service.pk)
        for d in districts:
            assert one.in_district(d).exists() == one.filter(in_district_q(d)).exists(), d.name
            local = ServiceDistrict.objects.filter(service=service, district=d, is_local=True).exists()
            assert local == one.filter(local_in_district_q(d)).exists(), d.name

    @settings(max_examples=40, deadline=None, derandomize=CI, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(first=shape, then=shape)
    def run(first, then):
        with transaction.atomic():
            service = Service.objects.create(organisation=organisation, name="Property test service",
                                             slug="property-test-service", focus=Focus.ADDITIONAL)
            apply(service, first)
            check(service)
            apply(service, then)
            check(service)
            transaction.set_rollback(True)

    run()


# --- Small rules of directory/search_tables.py, found by mutation testing (docs/mutation.md) ------

def test_rows_name_their_service_and_district(service):
    hodge_hill = district("hodge-hill")
    assert str(ServiceDistrict.objects.get(service=service)) == f"{service.pk} in {hodge_hill.pk} (local)"
    service.coverage_type = CoverageType.CITY_WIDE
    service.coverage_districts.clear()
    service.save()
    assert str(ServiceDistrict.objects.get(service=service, district=hodge_hill)) == (
        f"{service.pk} in {hodge_hill.pk}")
    assert str(ServiceSearchIndex.objects.get(service=service)) == f"search row of service {service.pk}"


def test_refresh_takes_ids_in_any_form_and_nothing_costs_nothing(service):
    assert search_tables._distinct_ids([3, "2", None, 3, 1]) == [1, 2, 3]
    with CaptureQueriesContext(connection) as queries:
        refresh([None])
        refresh([])
    assert queries.captured_queries == []
    ServiceDistrict.objects.filter(service=service).delete()
    ServiceSearchIndex.objects.filter(service=service).delete()
    refresh([str(service.pk), None])
    assert rows_of(service) == {(district("hodge-hill").pk, True)}
    assert ServiceSearchIndex.objects.filter(service=service).exists()


def test_refresh_of_more_services_than_one_statement_takes(organisation):
    many = search_tables.CHUNK + 7
    Service.objects.bulk_create([
        Service(organisation=organisation, name=f"Bulk {i}", slug=f"bulk-{i}", status=Status.DRAFT,
                summary="Bulk.", focus=Focus.ADDITIONAL, coverage_type=CoverageType.CITY_WIDE) for i in range(many)])
    ids = list(Service.objects.filter(slug__startswith="bulk-").values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        refresh(ids)
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 4  # two chunks, two tables each
    assert_tables_true()
    search_tables.refresh_service_districts(ids[:3])
    search_tables.refresh_search_index(ids[:3])
    assert_tables_true()


def test_only_a_save_naming_a_field_the_rows_are_made_of_refreshes_them(service):
    service.name = "Renamed zygomorphically"
    service.save(update_fields=["phone", "name"])
    assert found("zygomorphically") == {"Renamed zygomorphically"}
    assert_tables_true()


# --- connect_signals itself --------------------------------------------------------------
# It runs once, when the app is ready, before any test; a mistake in it would go unnoticed by
# the tests above unless one of them connects the receivers again through it (as here).

def _disconnect_search_tables_receivers():
    from django.db.models import signals

    uid = "search_tables"
    signals.post_save.disconnect(sender=Service, dispatch_uid=f"{uid}.service_saved")
    signals.post_delete.disconnect(sender=Service, dispatch_uid=f"{uid}.service_deleted")
    for model in (ReferralRoute, ServiceAtLocation):
        signals.pre_save.disconnect(sender=model, dispatch_uid=f"{uid}.{model.__name__}.old")
        signals.post_save.disconnect(sender=model, dispatch_uid=f"{uid}.{model.__name__}.saved")
        signals.post_delete.disconnect(sender=model, dispatch_uid=f"{uid}.{model.__name__}.deleted")
    signals.post_save.disconnect(sender=Venue, dispatch_uid=f"{uid}.venue_saved")
    signals.post_save.disconnect(sender=District, dispatch_uid=f"{uid}.district_saved")
    for model in (Need, Intervention):
        signals.post_save.disconnect(sender=model, dispatch_uid=f"{uid}.{model.__name__}.saved")
        signals.pre_delete.disconnect(sender=model, dispatch_uid=f"{uid}.{model.__name__}.deleting")
        signals.post_delete.disconnect(sender=model, dispatch_uid=f"{uid}.{model.__name__}.deleted")
    signals.m2m_changed.disconnect(sender=Service.coverage_districts.through, dispatch_uid=f"{uid}.coverage")
    for through in (Service.needs.through, Service.interventions.through):
        signals.m2m_changed.disconnect(sender=through, dispatch_uid=f"{uid}.{through.__name__}")


@pytest.fixture
def receivers_connected_afresh(service):
    # The many-to-many receivers are made when the module is imported: made again here, so
    # that what _m2m_receiver makes is tested too.
    made_at_import = search_tables._coverage_changed, search_tables._terms_changed
    _disconnect_search_tables_receivers()
    search_tables._coverage_changed = search_tables._m2m_receiver(districts=True, search=False)
    search_tables._terms_changed = search_tables._m2m_receiver(districts=False, search=True)
    yield
    _disconnect_search_tables_receivers()
    search_tables._coverage_changed, search_tables._terms_changed = made_at_import
    search_tables.connect_signals()


def test_connect_signals_connects_a_receiver_for_every_kind_of_change(receivers_connected_afresh, service):
    service.name = "Renamed while disconnected"
    service.save()
    assert found("disconnected") == set()  # nothing keeps the tables true now
    search_tables.connect_signals()
    search_tables.connect_signals()  # twice: still one receiver each (a refresh per change)
    with CaptureQueriesContext(connection) as queries:
        service.save(update_fields=["name"])
    assert found("disconnected") == {"Renamed while disconnected"}
    refreshes = [q for q in queries.captured_queries if q["sql"].startswith("DELETE FROM") and "search" in q["sql"]]
    assert len(refreshes) == 1
    service.name = "Test service"
    service.save()
    # Every kind of change above, each rolled back after it.
    for scenario in (test_coverage_added_removed_and_cleared_from_either_side,
                     test_needs_and_interventions_added_removed_and_cleared_from_either_side,
                     test_a_renamed_or_deleted_need_or_intervention,
                     test_referral_routes_added_changed_moved_and_deleted,
                     test_venues_placed_changed_and_removed,
                     test_a_venue_moved_to_another_district,
                     test_a_deleted_service_leaves_no_rows,
                     test_a_new_district_holds_every_city_wide_service_and_a_deleted_one_nothing):
        with transaction.atomic():
            scenario(*([service] if scenario.__code__.co_argcount else []))
            transaction.set_rollback(True)
