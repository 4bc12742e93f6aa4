"""Two tables that search and the map read instead of re-deriving the same answers for every
service on every request (docs/adr/0012-maintained-search-tables.md):

- `ServiceDistrict`: one row per district a service is "in" (the rule of
  `directory.models.in_district_q`: city-wide, a listed district, its locality's district,
  or a venue there), with `is_local` when it is more than city-wide.
- `ServiceSearchIndex`: one row per service with everything a keyword can match (name,
  summary, description, its needs' and interventions' names, its referral routes' criteria
  and exclusions). Its `document` is a weighted tsvector on PostgreSQL (GIN-indexed by
  migration 0015), the same text lower-cased on SQLite.

Both hold a row for every service whatever its status (the filters apply `published`
separately), and are kept true by `refresh(service_ids)`: set-based SQL that deletes the
services' rows and inserts them again from the source tables. Signals call it on every
change that can alter a row (`connect_signals`, from DirectoryConfig.ready); paths that write
without signals (bulk_create, raw SQL) must call `refresh` or `rebuild_all` themselves.
Signals run synchronously, inside the writer's transaction, so a reader never sees a change
without its rows. `deferred_refresh()` collects the services changed inside a block (an
import, loadseed) and refreshes them once at its end.
"""
import threading
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

from directory.models import ServiceDistrict, ServiceSearchIndex
from mapping.models import District

CHUNK = 200  # service ids per statement: 4 placeholders each, far below SQLite's limit


# --- The models ----------------------------------------------------------------

# The rows are derived, so no database foreign keys (db_constraint=False): at 100,000 services
# a rebuild writes over half a million district rows, and checking each against the service
# and district tables added 9 s to it (measured). Django still deletes the rows with their
# service or district (on_delete=CASCADE is Django's), and _service_deleted makes sure of it.









# --- Refreshing ------------------------------------------------------------------

def _tables():
    from directory.models import Intervention, Need, ReferralRoute, Service, ServiceAtLocation, Venue

    return {
        "service": Service._meta.db_table,
        "coverage": Service.coverage_districts.through._meta.db_table,
        "district": District._meta.db_table,
        "at": ServiceAtLocation._meta.db_table,
        "venue": Venue._meta.db_table,
        "service_needs": Service.needs.through._meta.db_table,
        "need": Need._meta.db_table,
        "service_interventions": Service.interventions.through._meta.db_table,
        "intervention": Intervention._meta.db_table,
        "route": ReferralRoute._meta.db_table,
        "service_district": ServiceDistrict._meta.db_table,
        "search_index": ServiceSearchIndex._meta.db_table,
    }


def district_rows_sql(t, where):
    """INSERT ... SELECT of the district rows. `where(column)` gives the SQL that limits
    `column` (a service id) to the services refreshed: "" for all of them, else " AND ...".

    A service is in a district if it is city-wide (every district; not local), lists the
    district or names a locality in it (local), or has a venue there (local unless the service
    is city-wide: a city-wide service's hospital is not "local", issue 22): the rules of
    `in_district_q` and `local_in_district_q`."""
    from directory.models import CoverageType

    return (
        f"INSERT INTO {t['service_district']} (service_id, district_id, is_local) "
        f"SELECT service_id, district_id, MAX(local_part) = 1 FROM ("
        f"SELECT s.id AS service_id, d.id AS district_id, 0 AS local_part FROM {t['service']} s CROSS JOIN {t['district']} d "
        f"WHERE s.coverage_type = '{CoverageType.CITY_WIDE}'{where('s.id')} "
        f"UNION ALL SELECT c.service_id, c.district_id, 1 FROM {t['coverage']} c WHERE 1 = 1{where('c.service_id')} "
        f"UNION ALL SELECT s.id, s.locality_district_id, 1 FROM {t['service']} s "
        f"WHERE s.locality_district_id IS NOT NULL{where('s.id')} "
        f"UNION ALL SELECT a.service_id, v.district_id, "
        f"CASE WHEN vs.coverage_type = '{CoverageType.CITY_WIDE}' THEN 0 ELSE 1 END "
        f"FROM {t['at']} a JOIN {t['venue']} v ON v.id = a.venue_id JOIN {t['service']} vs ON vs.id = a.service_id "
        f"WHERE v.district_id IS NOT NULL{where('a.service_id')}"
        f") membership GROUP BY service_id, district_id"
    )


def search_rows_sql(t, where, vendor):
    """INSERT ... SELECT of the search rows (see district_rows_sql for `where`). The weights
    (ts_rank counts A 1.0, B 0.4, C 0.2, D 0.1) keep a name match above a need's, above the
    description's, above the criteria's, as the separate sources' bonuses did before."""
    if vendor == "postgresql":
        newline = "chr(10)"

        def joined(expression):
            return f"string_agg({expression}, chr(10))"

        def document(*parts):
            return " || ".join(f"setweight(to_tsvector('english'::regconfig, {part}), '{weight}')"
                               for part, weight in zip(parts, "ABCD"))
    else:
        newline = "char(10)"

        def joined(expression):
            return f"group_concat({expression}, char(10))"

        def document(*parts):
            return "lower(" + f" || {newline} || ".join(parts) + ")"

    needs = (f"COALESCE((SELECT {joined('n.name')} FROM {t['service_needs']} sn "
             f"JOIN {t['need']} n ON n.id = sn.need_id WHERE sn.service_id = s.id), '')")
    interventions = (f"COALESCE((SELECT {joined('i.name')} FROM {t['service_interventions']} si "
                     f"JOIN {t['intervention']} i ON i.id = si.intervention_id WHERE si.service_id = s.id), '')")
    criteria = (f"COALESCE((SELECT {joined(f'r.acceptance_criteria || {newline} || r.exclusions')} "
                f"FROM {t['route']} r WHERE r.service_id = s.id), '')")
    return (
        f"INSERT INTO {t['search_index']} (service_id, document) "
        f"SELECT s.id, {document('s.name', f's.summary || {newline} || {needs}', f's.description || {newline} || {interventions}', criteria)} "
        f"FROM {t['service']} s WHERE 1 = 1{where('s.id')}"
    )


def _distinct_ids(service_ids):
    return sorted({int(pk) for pk in service_ids if pk is not None})


def refresh_service_districts(service_ids):
    """Recompute the district rows of these services (ids; missing services get none)."""
    _refresh(service_ids, districts=True, search=False)


def refresh_search_index(service_ids):
    """Recompute the search rows of these services."""
    _refresh(service_ids, districts=False, search=True)


def refresh(service_ids):
    """Recompute both tables' rows for these services."""
    _refresh(service_ids, districts=True, search=True)


def _refresh(service_ids, *, districts, search):
    ids = _distinct_ids(service_ids)
    if not ids:
        return
    t = _tables()
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            placeholders = ", ".join(["%s"] * len(chunk))

            def where(column):
                return f" AND {column} IN ({placeholders})"

            if districts:
                cursor.execute(f"DELETE FROM {t['service_district']} WHERE service_id IN ({placeholders})", chunk)
                cursor.execute(district_rows_sql(t, where), chunk * 4)
            if search:
                cursor.execute(f"DELETE FROM {t['search_index']} WHERE service_id IN ({placeholders})", chunk)
                cursor.execute(search_rows_sql(t, where, connection.vendor), chunk)


GIN_INDEX = "directory_servicesearchindex_document_gin"  # created by migration 0015


def rebuild_all():
    """Empty both tables and fill them from every service, in a few set-based statements, in
    one transaction (readers see the old rows or the new, never none).

    On PostgreSQL it truncates (no dead rows left behind), drops the secondary indexes and
    builds them once after the rows are in: at 100,000 services (over half a million
    district rows) the district rows took 3.4 s instead of 9 s. Most of what is left is
    PostgreSQL parsing every service's text into the tsvector (about 50 MB of text). TRUNCATE
    and DROP INDEX lock the tables until the transaction ends, so searches wait for a
    rebuild: it is for bulk loads and repairs, not for every change (refresh is)."""
    with transaction.atomic():
        _rebuild_all()


def _rebuild_all():
    t = _tables()
    postgres = connection.vendor == "postgresql"
    lookup = ServiceDistrict._meta.indexes[0]
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL work_mem = '64MB'")  # the grouping of the district rows, in memory
            cursor.execute(f"TRUNCATE {t['service_district']}, {t['search_index']}")
            cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
            cursor.execute(f"DROP INDEX IF EXISTS {lookup.name}")
        else:
            cursor.execute(f"DELETE FROM {t['service_district']}")
            cursor.execute(f"DELETE FROM {t['search_index']}")
        cursor.execute(district_rows_sql(t, lambda column: ""))
        cursor.execute(search_rows_sql(t, lambda column: "", connection.vendor))
    if postgres:
        with connection.schema_editor() as editor:
            editor.add_index(ServiceDistrict, lookup)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX {GIN_INDEX} ON {t['search_index']} USING gin (document)")


def add_city_wide_rows(district):
    """A district, new or not, holds every city-wide service (inserting only missing rows)."""
    from directory.models import CoverageType

    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {t['service_district']} (service_id, district_id, is_local) "
            f"SELECT s.id, %s, %s FROM {t['service']} s WHERE s.coverage_type = %s AND NOT EXISTS "
            f"(SELECT 1 FROM {t['service_district']} x WHERE x.service_id = s.id AND x.district_id = %s)",
            [district.pk, False, CoverageType.CITY_WIDE, district.pk],
        )


# --- Deferring within a block ---------------------------------------------------------

_state = threading.local()


def _pending():
    return getattr(_state, "pending", None)


@contextmanager
def deferred_refresh():
    """Inside the block, changes only note their services; at its end each is refreshed
    once. Use it inside the writer's transaction (`with transaction.atomic(), deferred_refresh():`).

    If the block raises, the rows are still refreshed when the database can take it (an
    error caught further in may let the transaction commit); when the transaction is broken
    it will roll back anyway, and the original error is what the caller sees."""
    if _pending() is not None:  # nested: the outermost block refreshes
        yield
        return
    _state.pending = {"districts": set(), "search": set()}
    try:
        yield
    except BaseException:
        pending, _state.pending = _state.pending, None
        try:
            _flush(pending)
        except DatabaseError:  # TransactionManagementError too: the transaction will roll back
            pass
        raise
    else:
        pending, _state.pending = _state.pending, None
        _flush(pending)


def _flush(pending):
    both = pending["districts"] & pending["search"]
    refresh(both)
    refresh_service_districts(pending["districts"] - both)
    refresh_search_index(pending["search"] - both)


def changed(service_ids, *, districts=True, search=True):
    """Services whose rows may have changed: refreshed now, or at the end of a deferred block."""
    pending = _pending()
    if pending is None:
        _refresh(service_ids, districts=districts, search=search)
        return
    ids = [pk for pk in service_ids if pk is not None]
    if districts:
        pending["districts"].update(ids)
    if search:
        pending["search"].update(ids)


# --- Signals: every change that can alter a row ----------------------------------------

# Service fields the rows are made of (a save naming only other fields changes nothing).
_SERVICE_FIELDS = {"name", "summary", "description", "coverage_type", "locality_district"}


def _service_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and not (set(update_fields) & _SERVICE_FIELDS):
        return
    changed([instance.pk])


def _service_deleted(sender, instance, **kwargs):
    # The rows go with the service (CASCADE), but a route or venue deleted with it may have
    # refreshed them again on the way: delete them after the service row.
    ServiceDistrict.objects.filter(service_id=instance.pk).delete()
    ServiceSearchIndex.objects.filter(service_id=instance.pk).delete()


def _remember_old_service(sender, instance, raw=False, **kwargs):
    # A route or a service-at-venue moved to another service changes the old one too.
    instance._search_tables_old_service = (
        None if instance.pk is None or raw
        else sender.objects.filter(pk=instance.pk).values_list("service_id", flat=True).first()
    )


def _route_changed(sender, instance, **kwargs):
    changed([instance.service_id, getattr(instance, "_search_tables_old_service", None)], districts=False)


def _placement_changed(sender, instance, **kwargs):
    changed([instance.service_id, getattr(instance, "_search_tables_old_service", None)], search=False)


def _venue_saved(sender, instance, **kwargs):
    # Its district may have changed (a new postcode): every service there.
    from directory.models import ServiceAtLocation

    changed(ServiceAtLocation.objects.filter(venue=instance).values_list("service_id", flat=True), search=False)
    # A venue cannot be deleted while a service is at it (PROTECT), so deleting one changes nothing.


def _district_saved(sender, instance, **kwargs):
    add_city_wide_rows(instance)
    # Deleting a district deletes its rows (CASCADE) and its coverage links, nothing else.


def _term_services(term):
    return list(term.services.values_list("pk", flat=True))


def _term_saved(sender, instance, **kwargs):
    # A need or intervention renamed: its services' search rows hold the old name.
    changed(_term_services(instance), districts=False)


def _term_deleting(sender, instance, **kwargs):
    instance._search_tables_services = _term_services(instance)


def _term_deleted(sender, instance, **kwargs):
    changed(getattr(instance, "_search_tables_services", []), districts=False)


def _m2m_receiver(*, districts, search):
    def receiver(sender, instance, action, reverse, pk_set, **kwargs):
        if reverse and action == "pre_clear":
            # A need, intervention or district losing all its services: which ones, before they go.
            instance._search_tables_services = _term_services(instance)
            return
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        if not reverse:
            ids = [instance.pk]
        elif action == "post_clear":
            ids = getattr(instance, "_search_tables_services", [])
        else:
            ids = pk_set or []
        changed(ids, districts=districts, search=search)

    return receiver


_coverage_changed = _m2m_receiver(districts=True, search=False)
_terms_changed = _m2m_receiver(districts=False, search=True)


def connect_signals():
    from django.db.models import signals

    from directory.models import Intervention, Need, ReferralRoute, Service, ServiceAtLocation, Venue

    uid = "search_tables"
    signals.post_save.connect(_service_saved, sender=Service, dispatch_uid=f"{uid}.service_saved")
    signals.post_delete.connect(_service_deleted, sender=Service, dispatch_uid=f"{uid}.service_deleted")
    for model, receiver in ((ReferralRoute, _route_changed), (ServiceAtLocation, _placement_changed)):
        signals.pre_save.connect(_remember_old_service, sender=model, dispatch_uid=f"{uid}.{model.__name__}.old")
        signals.post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.{model.__name__}.saved")
        signals.post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.{model.__name__}.deleted")
    signals.post_save.connect(_venue_saved, sender=Venue, dispatch_uid=f"{uid}.venue_saved")
    signals.post_save.connect(_district_saved, sender=District, dispatch_uid=f"{uid}.district_saved")
    for model in (Need, Intervention):
        signals.post_save.connect(_term_saved, sender=model, dispatch_uid=f"{uid}.{model.__name__}.saved")
        signals.pre_delete.connect(_term_deleting, sender=model, dispatch_uid=f"{uid}.{model.__name__}.deleting")
        signals.post_delete.connect(_term_deleted, sender=model, dispatch_uid=f"{uid}.{model.__name__}.deleted")
    signals.m2m_changed.connect(_coverage_changed, sender=Service.coverage_districts.through,
                                dispatch_uid=f"{uid}.coverage")
    for through in (Service.needs.through, Service.interventions.through):
        signals.m2m_changed.connect(_terms_changed, sender=through, dispatch_uid=f"{uid}.{through.__name__}")
