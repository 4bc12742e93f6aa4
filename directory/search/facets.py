"""The search's option counts, total and best-match order from a facet index held in memory,
one per version of the services' content (issue 26, docs/adr/0029-facet-index.md).

Counting each filter option in SQL re-reads every matching service once per parameter: at
100,000 services 600 ms of every cold search, whatever the filters. Those answers are set
operations over a few hundred sets of services (the published ones, those of each focus,
level, need, district, age...), so the index keeps each set as a bitmap, one bit per service
id (numpy, packed: 12.5 kB a set at 100,000 services), and a search's counts are ANDs and
population counts: microseconds each. The best-match order without keywords or a postcode
(fit, then a referral route, then name) is a stable sort of the matching ids by two small
integers, in the name order the database gave.

Never stale: the index is built from the database for one version of the "services" kind
(directory/core/content.py) and used only while that is the current version; a save of
anything about services (any write path: the version is bumped by triggers) makes the next
search build a new one. Built once per version for the whole site: the first process to need
it builds it while holding a lock in the shared cache and stores it there (about 2 MB at
100,000 services); the others wait for it briefly and read it (a few ms), and only build their
own if it does not come. Each process then keeps it in memory until the version changes.

Keywords are matched and ranked in the database (one query for the matching ids with their
ranks); with a postcode the best-match order (distances) stays SQL's (selectors.service_search).
The map's counts by district and its specialised provision come from the index as well
(mapping/selectors.py). The SQL paths are kept: the tests hold the two to the same answers on
both databases.

On PostgreSQL a save does not make every process build again: triggers log the services each
transaction changed (ServiceChange, install_change_log), and an index is refreshed from the log
in milliseconds (_refresh; docs/adr/0029 says why it is never stale).
"""
import logging
import pickle
import threading
import time
import uuid
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from directory.core import content
from directory.search import keywords as search
from directory.search.filters import STAGES, STAGES_BY_VALUE
from directory.search.terms import terms

logger = logging.getLogger(__name__)
KINDS = ("services",)
LINKS = {  # parameter -> (many-to-many field of Service, the kind of its terms in terms())
    "level": ("levels", "level"),
    "need": ("needs", "need"),
    "intervention": ("interventions", "intervention"),
    "delivery": ("delivery_modes", "delivery"),
    "language": ("languages", "language"),
}
# Parameters the index answers; a filter it does not know sends the search back to SQL.
KNOWN = {"q", "postcode", "district", "stage", "age", "focus", "audience", "referral", "free", "sort", *LINKS}
NO_FROM, NO_TO = 10 ** 6, -(10 ** 6)  # an age bound not recorded: never "from <= end", never "to >= start"
WAIT_FOR_BUILDER = 5.0  # seconds another process's build is waited for before building here
LOCK_SECONDS = 60
# How long the shared copy is kept: long enough for every process to take it after a save, short
# enough that a save a second at 100,000 services (3 MB an index) holds at most 90 MB in the cache.
SHARED_SECONDS = 30


def count(mask):
    return int(np.bitwise_count(mask).sum())


@dataclass
class FacetIndex:
    size: int  # bits: the largest service id + 1
    published: np.ndarray
    sets: dict  # (parameter, key) -> packed bitmap of published services
    local: dict  # district id -> packed bitmap (ServiceDistrict.is_local)
    ranged: np.ndarray  # rows of (id, age from, age to) of the services with a stated age range
    name_order: np.ndarray  # published ids by lower(name), id: the SQL paths' order
    venues: np.ndarray = None  # rows of (service id, lat, lon) of every located venue of a service
    version: str = ""
    build_ms: float = 0.0
    snapshot: str = ""  # PostgreSQL: the snapshot its data was read in (pg_current_snapshot)
    built_at: float = 0.0  # time.time() of the full build it comes from
    refreshed: int = 0  # how many incremental refreshes since that build
    _ages: dict = field(default_factory=dict, repr=False)

    # --- sets ---------------------------------------------------------------------------

    def empty(self):
        return np.zeros_like(self.published)

    def of(self, parameter, key):
        return self.sets.get((parameter, key), self.empty())

    def from_ids(self, ids):
        bits = np.zeros(self.size, dtype=bool)
        ids = np.asarray(ids, dtype=np.int64)
        bits[ids[(ids >= 0) & (ids < self.size)]] = True
        return np.packbits(bits) & self.published

    def bools(self, mask):
        return np.unpackbits(mask, count=self.size).astype(bool)

    def ages(self, start, end):
        """The rule of models.age_q: any age or not stated, or a stated range overlapping start..end."""
        key = (start, end)
        if key not in self._ages:
            rows = self.ranged
            overlapping = rows[(rows[:, 1] <= end) & (rows[:, 2] >= start), 0] if len(rows) else []
            self._ages[key] = (self.of("age_range", "any") | self.of("age_range", "not_stated")
                               | self.from_ids(overlapping))
        return self._ages[key]

    def in_district(self, district_id):
        """The rule of models.in_district_q: city-wide, or local to the district."""
        return self.of("coverage", "city_wide") | self.local.get(district_id, self.empty())

    def self_referral(self):
        return self.of("route", "self")

    def any_route(self):
        mask = self.empty()
        for (parameter, _), bits in self.sets.items():
            if parameter == "route":
                mask = mask | bits
        return mask

    def professional_only(self):
        return self.of("route", "professional") & ~self.of("route", "self")


# --- Building -----------------------------------------------------------------------------

def _parse(blob):
    if not blob:
        return np.zeros(0, dtype=np.int64)
    # Parsed in C: a list of Python ints first took 100 ms of a build at 100,000 services.
    return np.fromstring(blob, dtype=np.int64, sep=",")


def _parse_floats(blob):
    if not blob:
        return np.zeros(0, dtype=np.float64)
    return np.fromstring(blob, dtype=np.float64, sep=",")


def _agg(expression):
    if connection.vendor == "postgresql":
        return f"string_agg(CAST({expression} AS TEXT), ',')"
    return f"group_concat({expression}, ',')"


def _text(expression):
    return f"CAST({expression} AS TEXT)"


def _joined(*expressions):
    return " || ',' || ".join(_text(expression) for expression in expressions)


def _changed_only(limited, column, joiner):
    """SQL limiting `column` (a service id) to the services of the `changed` common table
    expression (a refresh), or nothing (a build)."""
    return f"{joiner}{column} IN (SELECT service_id FROM changed)" if limited else ""


def _parts(limited=False):
    """The (sql, params) of each part of the index's statement over the services `s` (a common
    table expression) and the tables about them; `limited` keeps those to the changed services."""
    from directory.models import AgeRange, ContentVersion, ReferralRoute, Service, ServiceAtLocation, ServiceDistrict, Venue

    quote = connection.ops.quote_name
    service = quote(Service._meta.db_table)
    where_changed = _changed_only(limited, "service_id", " WHERE ")
    parts = [
        (f"SELECT 'largest', '', {_text('MAX(id)')} FROM {service}", []),
        (f"SELECT 'slot', kind, {_text('value')} FROM {quote(ContentVersion._meta.db_table)} WHERE kind = %s",
         [KINDS[0]]),
        (f"SELECT 'published', '', {_agg('id')} FROM s", []),
        (f"SELECT 'focus', focus, {_agg('id')} FROM s GROUP BY focus", []),
        (f"SELECT 'audience', audience, {_agg('id')} FROM s GROUP BY audience", []),
        (f"SELECT 'cost', cost, {_agg('id')} FROM s GROUP BY cost", []),
        (f"SELECT 'age_range', age_range, {_agg('id')} FROM s GROUP BY age_range", []),
        (f"SELECT 'coverage', coverage_type, {_agg('id')} FROM s GROUP BY coverage_type", []),
        (f"SELECT 'closed', '', {_agg('id')} FROM s WHERE named_group_only", []),
        # Three numbers a service: its id and its range, the bounds it lacks made impossible.
        (f"SELECT 'ranged', '', {_agg(_joined('id', f'COALESCE(age_from_months, {NO_FROM})', f'COALESCE(age_to_months, {NO_TO})'))} "
         f"FROM s WHERE age_range = %s", [AgeRange.RANGE]),
    ]
    # Each located venue of a service, for the distances of the best match near a postcode, with
    # coordinates that read back as the same doubles: on PostgreSQL as text in one row (its float
    # output is the shortest exact form); on SQLite, whose text of a float is not exact, a row per
    # venue with the numbers themselves (a UNION's column takes any type there).
    at, venue = quote(ServiceAtLocation._meta.db_table), quote(Venue._meta.db_table)
    located = f"FROM {at} a JOIN {venue} v ON v.id = a.venue_id WHERE v.lat IS NOT NULL AND v.lon IS NOT NULL"
    located += _changed_only(limited, "a.service_id", " AND ")
    if connection.vendor == "postgresql":
        venue_row = " || ',' || ".join(["CAST(a.service_id AS TEXT)", "CAST(v.lat AS TEXT)", "CAST(v.lon AS TEXT)"])
        parts.append((f"SELECT 'venues', '', {_agg(venue_row)} {located}", []))
    else:
        parts.append((f"SELECT 'v' || a.service_id, v.lat, v.lon {located}", []))
    for parameter, (name, _) in LINKS.items():
        relation = Service._meta.get_field(name)
        column, owner = relation.m2m_reverse_name(), relation.m2m_column_name()
        parts.append((f"SELECT '{parameter}', {_text(column)}, {_agg(owner)} "
                      f"FROM {quote(relation.remote_field.through._meta.db_table)}{where_changed} GROUP BY {column}", []))
    parts.append((f"SELECT 'route', referrer, {_agg('service_id')} FROM {quote(ReferralRoute._meta.db_table)}{where_changed} "
                  f"GROUP BY referrer", []))
    parts.append((f"SELECT 'local', {_text('district_id')}, {_agg('service_id')} "
                  f"FROM {quote(ServiceDistrict._meta.db_table)} WHERE is_local{_changed_only(limited, 'service_id', ' AND ')} "
                  f"GROUP BY district_id", []))
    if connection.vendor == "postgresql":
        parts.append(("SELECT 'snapshot', '', CAST(pg_current_snapshot() AS TEXT)", []))
        parts.append(("SELECT 'own', '', CAST(pg_current_xact_id_if_assigned() AS TEXT)", []))
    return parts


def _snapshot(blobs):
    """The snapshot to refresh from later, or "" when there must be no later refresh: when this
    transaction has written, the index holds its uncommitted writes, which a rollback would take
    back without a trace in the log (and a snapshot counts its own transaction as seen)."""
    own = (blobs.get("own") or [("", None)])[0][1]
    return "" if own is not None else (blobs.get("snapshot") or [("", "")])[0][1]


def _services(limited=False):
    from directory.models import Service, Status

    return (f"s AS MATERIALIZED (SELECT id, name, focus, audience, cost, age_range, age_from_months, age_to_months, "
            f"coverage_type, named_group_only FROM {connection.ops.quote_name(Service._meta.db_table)} "
            f"WHERE status = %s{_changed_only(limited, 'id', ' AND ')})", [Status.PUBLISHED])


def _run(with_sql, with_params, parts):
    sql = f"WITH {with_sql} " + " UNION ALL ".join(part for part, _ in parts)
    params = with_params + [param for _, part_params in parts for param in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    blobs = {}
    for what, key, blob in rows:
        blobs.setdefault(what, []).append(("" if key is None else str(key), blob))
    return blobs


def _version(blobs):
    version = content._combine(int(value) for _, value in blobs.get("slot", []))
    return None if version is None else str(version)


def _build():
    """(index, the version of the services' content it is of): ONE statement, so on both
    databases everything it reads, the version's slots included, is of one snapshot."""
    started = time.perf_counter()
    services, params = _services()
    # Each id with its place by lower(name), id, in the database's collation: the order of the
    # SQL paths' Lower("name"). A window function, as a concatenation's order is not defined.
    order = (f"SELECT 'order', '', {_agg(_joined('id', 'place'))} FROM "
             f"(SELECT id, ROW_NUMBER() OVER (ORDER BY lower(name), id) AS place FROM s) named", [])
    blobs = _run(services, params, _parts() + [order])
    size = int(blobs["largest"][0][1] or 0) + 1
    named = _parse(blobs["order"][0][1]).reshape(-1, 2)
    index = FacetIndex(size=size, published=np.zeros((size + 7) // 8, dtype=np.uint8), sets={}, local={},
                       ranged=np.zeros((0, 3), dtype=np.int64),
                       name_order=named[np.argsort(named[:, 1]), 0] if len(named) else named[:, 0])
    _fill(index, blobs)
    index.snapshot = _snapshot(blobs)
    index.built_at = time.time()
    index.build_ms = (time.perf_counter() - started) * 1000
    return index, _version(blobs)


def _bits(size, ids):
    bits = np.zeros(size, dtype=bool)
    ids = np.asarray(ids, dtype=np.int64)
    bits[ids[(ids >= 0) & (ids < size)]] = True
    return np.packbits(bits)


def _is_venue_row(what):
    return what.startswith("v") and what[1:].isdigit()


def _venue_rows(blobs):
    """(service id, lat, lon) rows: PostgreSQL's one text row, or SQLite's row per venue."""
    if "venues" in blobs:
        return _parse_floats(blobs["venues"][0][1]).reshape(-1, 3)
    rows = [(int(what[1:]), float(lat), float(lon)) for what, entries in blobs.items() if _is_venue_row(what)
            for lat, lon in entries]
    return np.array(rows, dtype=np.float64).reshape(-1, 3)


def _fill(index, blobs, keep=None):
    """Put the statement's sets into `index`: all of them (a build), or (`keep`, the bitmap of
    the services not re-read) each old set's unchanged part with the re-read services' part."""
    published = _bits(index.size, _parse(blobs["published"][0][1]))
    if keep is not None:
        published = published | (index.published & keep)
    index.published = published
    ranged = _parse(blobs["ranged"][0][1]).reshape(-1, 3)
    if keep is not None:
        old = index.ranged
        unchanged = np.unpackbits(keep, count=index.size).astype(bool)[old[:, 0]] if len(old) else []
        ranged = np.concatenate([old[unchanged], ranged]) if len(old) else ranged
    index.ranged = ranged
    venues = _venue_rows(blobs)
    if keep is not None and index.venues is not None and len(index.venues):
        old = index.venues
        unchanged = np.unpackbits(keep, count=index.size).astype(bool)[old[:, 0].astype(np.int64)]
        venues = np.concatenate([old[unchanged], venues])
    index.venues = venues
    fresh, local = {}, {}
    for what, entries in blobs.items():
        for key, blob in entries:
            if what == "local":
                local[int(key)] = _bits(index.size, _parse(blob)) & published
            elif what in LINKS:
                fresh[(what, int(key))] = _bits(index.size, _parse(blob)) & published
            elif what not in ("largest", "slot", "published", "order", "ranged", "venues", "snapshot", "own",
                              "changed") and not _is_venue_row(what):
                fresh[(what, key)] = _bits(index.size, _parse(blob)) & published
    if keep is not None:
        for key, bits in index.sets.items():
            fresh[key] = (bits & keep) | fresh.get(key, 0)
        for key, bits in index.local.items():
            local[key] = (bits & keep) | local.get(key, 0)
    index.sets, index.local, index._ages = fresh, local, {}


# --- Refreshing what changed (PostgreSQL) -----------------------------------------------------

CHANGES_MAX = 2000  # more services changed than this since the index: a build is cheaper
REBUILD_AFTER = 12 * 3600  # seconds: an index this old is built again (the log keeps a day)
KEEP_CHANGES = "1 day"


def _refreshable(index):
    return (connection.vendor == "postgresql" and index is not None and index.snapshot
            and time.time() - index.built_at < REBUILD_AFTER)


def _refresh(old):
    """(index, version) from `old` and the services changed by the transactions its snapshot did
    not see (the change log, install_change_log), re-read in ONE statement; None when a build is
    needed instead (a TRUNCATE, or more than CHANGES_MAX services)."""
    from directory.models import ServiceChange

    started = time.perf_counter()
    log = connection.ops.quote_name(ServiceChange._meta.db_table)
    # The log keeps a day: each refresh deletes what is older (in the same statement, so a search
    # costs no query more for it; an index is never refreshed from a snapshot older than
    # REBUILD_AFTER, so nothing it needs is gone). Deleting makes this a writing statement: when it
    # deleted anything, its snapshot is not kept (_snapshot), and the next change builds again.
    changed = (f"pruned AS (DELETE FROM {log} WHERE at < now() - interval '{KEEP_CHANGES}' RETURNING 1), "
               f"changed AS MATERIALIZED (SELECT DISTINCT service_id FROM {log} WHERE tx >= %s AND NOT "
               f"pg_visible_in_snapshot(CAST(CAST(tx AS TEXT) AS xid8), CAST(%s AS pg_snapshot)))")
    services, service_params = _services(limited=True)
    parts = _parts(limited=True) + [(f"SELECT 'changed', '', {_agg('service_id')} FROM changed", [])]
    blobs = _run(f"{changed}, {services}", [int(old.snapshot.split(":")[0]), old.snapshot] + service_params, parts)
    ids = _parse(blobs["changed"][0][1])
    if (ids < 0).any() or len(ids) > CHANGES_MAX:
        return None
    size = max(old.size, int(blobs["largest"][0][1] or 0) + 1)
    index = FacetIndex(size=size, published=_grown(old.published, size), sets={}, local={}, ranged=old.ranged,
                       name_order=old.name_order, venues=old.venues, built_at=old.built_at,
                       refreshed=old.refreshed + 1)
    index.sets = {key: _grown(bits, size) for key, bits in old.sets.items()}
    index.local = {key: _grown(bits, size) for key, bits in old.local.items()}
    _fill(index, blobs, keep=~_bits(size, ids))
    index.name_order = _reordered(index, old.name_order, ids)
    if index.name_order is None:
        return None
    index.snapshot = _snapshot(blobs)
    index.build_ms = (time.perf_counter() - started) * 1000
    return index, _version(blobs)


def _grown(bits, size):
    length = (size + 7) // 8
    return bits if len(bits) == length else np.concatenate([bits, np.zeros(length - len(bits), dtype=np.uint8)])


MOVERS_MAX = 50  # changed services still published, placed one by one; more: a build
SAMPLE_STEP = 256


def _reordered(index, order, changed):
    """The name order after the changed services: those no longer published leave it; those
    published are taken out and put back where the database's collation says, found in three
    statements (a comparison with every SAMPLE_STEP-th service, then with the services of the
    block it falls in, then the changed ones among themselves), each comparing a few hundred
    pairs by primary key: about a millisecond a service where counting the services before it
    read them all (50 ms at 100,000). None if there are more than MOVERS_MAX."""
    if not len(changed):
        return order
    changed_bits = np.unpackbits(_bits(index.size, changed), count=index.size).astype(bool)
    now_published = np.unpackbits(index.published, count=index.size).astype(bool)
    base = order[~changed_bits[order]]
    movers = [int(pk) for pk in changed if 0 <= pk < index.size and now_published[pk]]
    if not movers:
        return base
    if len(movers) > MOVERS_MAX:
        return None
    samples = base[::SAMPLE_STEP]
    below = _smaller([(pk, int(sample)) for pk in movers for sample in samples])
    places, block_pairs = {}, []
    for pk in movers:
        passed = below.get(pk, 0)  # samples before it: it lies after sample passed - 1
        if passed == 0:
            places[pk] = 0
            continue
        start = (passed - 1) * SAMPLE_STEP
        places[pk] = start + 1
        block_pairs += [(pk, int(other)) for other in base[start + 1:start + SAMPLE_STEP]]
    for pk, count in _smaller(block_pairs).items():
        places[pk] += count
    result = base
    for rank, pk in enumerate(_by_name(movers)):  # each earlier one was put before it
        result = np.insert(result, min(places[pk] + rank, len(result)), pk)
    return result


def _smaller(pairs):
    """{x: how many of its pairs' others come before it by lower(name), id}, for (x, other) pairs."""
    from directory.models import Service

    if not pairs:
        return {}
    table = connection.ops.quote_name(Service._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pair.x, COUNT(*) FROM unnest(CAST(%s AS bigint[]), CAST(%s AS bigint[])) AS pair (x, other) "
            f"JOIN {table} x ON x.id = pair.x JOIN {table} o ON o.id = pair.other "
            f"WHERE (lower(o.name), o.id) < (lower(x.name), x.id) GROUP BY pair.x",
            [[x for x, _ in pairs], [other for _, other in pairs]])
        return dict(cursor.fetchall())


def _by_name(ids):
    from directory.models import Service

    table = connection.ops.quote_name(Service._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(CAST(%s AS bigint[])) ORDER BY lower(name), id", [ids])
        return [row[0] for row in cursor.fetchall()]


# --- One index per version, for the whole site -----------------------------------------------

_lock = threading.Lock()
_held = {}  # "index" -> FacetIndex of the version it names


def current_index():
    """The index of the current version of the services' content (see the module docstring)."""
    version = content.current(KINDS)
    held = _held.get("index")
    if held is not None and held.version == version:
        return held
    with _lock:  # one build per process at a time; the threads that waited find it built
        held = _held.get("index")
        if held is not None and held.version == version:
            return held
        index = _refreshed(held) if _refreshable(held) else None
        if index is None:
            index = _shared(version)
        _held["index"] = index
        return index


def _refreshed(held):
    """`held` brought up to date from the change log (a few ms: no other process is needed), or
    None when it must be built again."""
    refreshed = _refresh(held)
    if refreshed is None:
        return None
    index, version = refreshed
    index.version = version or ""
    return index


def forget():
    """Drop this process's index (tests, and bench/search.py's cold requests)."""
    with _lock:
        _held.clear()


def _key(version):
    return f"facet-index:{version}"


def _cache(operation, *args, default=None):
    """A call to the shared cache; a backend that fails is logged and the index built here (a
    broken cache must never break a search). Keys carry the release (settings.RELEASE_ID): an
    index pickled by another build of the code is never read by this one."""
    try:
        return getattr(cache, operation)(*args, version=settings.RELEASE_ID)
    except Exception:  # noqa: BLE001  (any backend failure)
        logger.warning("facet index: cache %s failed", operation, exc_info=True)
        return default


def _shared(version):
    key = _key(version)
    stored = _loads(_cache("get", key), version)
    if stored is not None:
        return stored
    lock_key, token = f"{key}:building", uuid.uuid4().hex
    if not _cache("add", lock_key, token, LOCK_SECONDS, default=True):
        # Another process is building it: wait for it rather than build the same thing again.
        deadline = time.monotonic() + WAIT_FOR_BUILDER
        while time.monotonic() < deadline:
            time.sleep(0.02)
            stored = _loads(_cache("get", key), version)
            if stored is not None:
                return stored
            if _cache("get", lock_key) is None:
                break
    index, built = _build()
    # The index is of the version its own statement read: kept under that one (a save may have
    # come since this request read `version`: then it is newer than the request, never older).
    index.version = built or ""
    if built is not None:
        _cache("set", _key(built), pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL), SHARED_SECONDS)
    if _cache("get", lock_key) == token:
        _cache("delete", lock_key)
    return index


def _loads(stored, version):
    if stored is None:
        return None
    try:
        index = pickle.loads(stored)
    except Exception:  # noqa: BLE001  (a damaged entry: build instead)
        logger.warning("facet index: a cached index could not be read", exc_info=True)
        return None
    index.version = version
    return index


# --- The change log's triggers (PostgreSQL) -------------------------------------------------------

def _logged_tables():
    """{table: the column naming the service} of every table the index reads."""
    from directory.models import ReferralRoute, Service, ServiceAtLocation, ServiceDistrict

    tables = {Service._meta.db_table: "id", ReferralRoute._meta.db_table: "service_id",
              ServiceDistrict._meta.db_table: "service_id", ServiceAtLocation._meta.db_table: "service_id"}
    for name, _ in LINKS.values():
        relation = Service._meta.get_field(name)
        tables[relation.remote_field.through._meta.db_table] = relation.m2m_column_name()
    return tables


VENUE_MARKER = "-venue-"  # the trigger argument of the venue table's trigger (not a column name)
_LOG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION directory_facets_log() RETURNS trigger AS $$
DECLARE
    tx bigint := CAST(CAST(pg_current_xact_id() AS TEXT) AS bigint);
BEGIN
    -- Statement triggers with transition tables: one INSERT ... SELECT per statement, however
    -- many rows it wrote (a build of the maintained tables writes half a million).
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO {log} (service_id, tx, at) VALUES (-1, tx, now());
    ELSIF TG_ARGV[0] = '{venue_marker}' THEN
        -- A venue: the services there (its position is in the index).
        EXECUTE 'INSERT INTO {log} (service_id, tx, at) SELECT DISTINCT a.service_id, $1, now() FROM {at} a '
                'WHERE a.venue_id IN (SELECT id FROM changed_new UNION SELECT id FROM changed_old)' USING tx;
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format('INSERT INTO {log} (service_id, tx, at) SELECT DISTINCT %I, $1, now() FROM changed_new',
                       TG_ARGV[0]) USING tx;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO {log} (service_id, tx, at) SELECT DISTINCT %I, $1, now() FROM changed_old',
                       TG_ARGV[0]) USING tx;
    ELSE
        EXECUTE format('INSERT INTO {log} (service_id, tx, at) SELECT %1$I, $1, now() FROM changed_new '
                       'UNION SELECT %1$I, $1, now() FROM changed_old', TG_ARGV[0]) USING tx;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""


def install_change_log(using="default"):
    """The triggers that write ServiceChange on PostgreSQL (re-made after every migrate, as the
    content version's are). Elsewhere nothing: the index is built again after each change."""
    from django.db import connections

    from directory.models import ServiceAtLocation, ServiceChange, Venue

    connection_ = connections[using]
    if connection_.vendor != "postgresql":
        return
    quote = connection_.ops.quote_name
    existing = set(connection_.introspection.table_names())
    log = ServiceChange._meta.db_table
    if log not in existing:
        return
    with connection_.cursor() as cursor:
        cursor.execute(_LOG_FUNCTIONS.format(log=quote(log), at=quote(ServiceAtLocation._meta.db_table),
                                             venue_marker=VENUE_MARKER))
        tables = _logged_tables()
        if Venue._meta.db_table in existing:
            # A venue moved (its postcode, so its position) changes the distances of its services.
            cursor.execute(f"DROP TRIGGER IF EXISTS facets_log_update ON {quote(Venue._meta.db_table)}")
            cursor.execute(
                f"CREATE TRIGGER facets_log_update AFTER UPDATE ON {quote(Venue._meta.db_table)} "
                f"REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new FOR EACH STATEMENT "
                f"EXECUTE FUNCTION directory_facets_log('{VENUE_MARKER}')")
        for table, column in tables.items():
            if table not in existing:
                continue
            for event, referencing in (("INSERT", "NEW TABLE AS changed_new"), ("DELETE", "OLD TABLE AS changed_old"),
                                       ("UPDATE", "OLD TABLE AS changed_old NEW TABLE AS changed_new"),
                                       ("TRUNCATE", "")):
                name = quote(f"facets_log_{event.lower()}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quote(table)}")
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {quote(table)} "
                    f"{'REFERENCING ' + referencing if referencing else ''} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION directory_facets_log('{column}')")


def _after_migrate(sender, **kwargs):
    if sender.label == "directory":
        install_change_log(kwargs.get("using", "default"))


def connect_signals():
    from django.db.models.signals import post_migrate

    post_migrate.connect(_after_migrate, dispatch_uid="facets-change-log")


# --- Answers --------------------------------------------------------------------------------

def supports(filterset):
    return set(filterset.form.cleaned_data) <= KNOWN


def _given(value):
    return value not in (None, "", [], ())


def filter_masks(index, filterset, ranks=None):
    """{parameter: bitmap} for each filter the search uses (the rules of ServiceFilter). With
    `ranks` (a dict), the keywords' matches come with their rank (keywords.keyword_rank, the SQL
    ordering's), put in ranks["rank"] as an array by service id: the same one query."""
    cleaned = filterset.form.cleaned_data
    masks = {}
    for name, value in cleaned.items():
        if not _given(value) or name == "sort":
            continue
        if name == "q":
            groups, any_group = getattr(filterset, "keyword_groups", None), getattr(filterset, "keyword_any", False)
            matching = search.keyword_filter(_published(), value, groups, any_group=any_group)
            if ranks is None:
                masks[name] = index.from_ids(_ids(matching))
            else:
                ids, values = _ids_and_ranks(search.keyword_rank(matching, value, groups, any_group=any_group))
                masks[name] = index.from_ids(ids)
                rank = np.zeros(index.size, dtype=np.float64)
                inside = (ids >= 0) & (ids < index.size)
                rank[ids[inside]] = values[inside]
                ranks["rank"] = rank
        elif name == "postcode":
            masks[name] = index.in_district(value.district.pk)
        elif name == "district":
            if not cleaned.get("postcode"):  # the postcode, the family's own place, wins
                masks[name] = index.in_district(value.pk)
        elif name == "stage":
            if cleaned.get("age") is None:  # an exact age is more precise than the band
                stage = STAGES_BY_VALUE[value]
                masks[name] = index.ages(stage.start, stage.end)
        elif name == "age":
            masks[name] = index.ages(value, value)
        elif name in ("focus", "audience"):
            chosen = value if isinstance(value, (list, tuple)) else [value]
            mask = index.empty()
            for option in chosen:
                mask = mask | index.of(name, str(option))
            masks[name] = mask
        elif name == "referral":
            masks[name] = index.self_referral() if value == "self" else index.professional_only()
        elif name == "free":
            masks[name] = index.of("cost", "free")
        elif name in LINKS:
            mask = index.empty()
            for term in value:
                mask = mask | index.of(name, term.pk)
            masks[name] = mask
    return masks


def _ids(queryset):
    """The ids of `queryset` as an array: on PostgreSQL in one text row, parsed in C (93,000
    matching ids as rows took 350 ms; as one row, a tenth of that)."""
    if connection.vendor != "postgresql":
        return np.array(list(queryset.values_list("pk", flat=True)), dtype=np.int64)
    sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT string_agg(CAST(matched.id AS TEXT), ',') FROM ({sql}) AS matched (id)", params)
        return _parse(cursor.fetchone()[0])


def _ids_and_ranks(queryset):
    """(ids, ranks) of `queryset` annotated with `rank`; on PostgreSQL in one text row (the rank's
    text is its shortest exact form, so the order and ties are the database's)."""
    if connection.vendor != "postgresql":
        rows = list(queryset.order_by().values_list("pk", "rank"))
        return (np.array([pk for pk, _ in rows], dtype=np.int64), np.array([rank for _, rank in rows], dtype=np.float64))
    sql, params = queryset.order_by().values_list("pk", "rank").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT string_agg(CAST(matched.id AS TEXT) || ',' || CAST(matched.rank AS TEXT), ',') "
                       f"FROM ({sql}) AS matched (id, rank)", params)
        blob = cursor.fetchone()[0]
    if not blob:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    pairs = np.fromstring(blob, dtype=np.float64, sep=",").reshape(-1, 2)
    return pairs[:, 0].astype(np.int64), pairs[:, 1]


def _published():
    from directory.models import Service

    return Service.objects.published()


def matching(index, masks, leave_out=None):
    result = index.published
    for name, mask in masks.items():
        if name != leave_out:
            result = result & mask
    return result


def counts(index, filterset, masks, names):
    """What selectors.count_union returns (counts, total), from the index."""
    cleaned = filterset.form.cleaned_data
    counted = [name for name in names if not (name == "stage" and cleaned.get("age") is not None)]
    result = {name: {} for name in counted}
    full = matching(index, masks)
    for name in counted:
        base = matching(index, masks, leave_out=name) if name in masks else full
        if name in ("focus", "audience"):
            for (parameter, key), mask in index.sets.items():
                if parameter == name:
                    n = count(base & mask)
                    if n:
                        result[name][key] = n
        elif name == "stage":
            for stage in STAGES:
                result[name][stage.value] = count(base & index.ages(stage.start, stage.end))
        elif name == "referral":
            result[name]["self"] = count(base & index.self_referral())
            result[name]["professional"] = count(base & index.professional_only())
        elif name == "free":
            result[name]["1"] = count(base & index.of("cost", "free"))
        elif name in LINKS:
            kind = LINKS[name][1]
            for term in terms()[kind]:
                n = count(base & index.of(name, term.pk))
                if n:
                    result[name][term.code] = n
    return result, count(full)


def ordered_ids(index, matched, *, age_searched, district_id, weights, by_name=False, rank=None, point=None):
    """The matching ids in the order of selectors.service_search's best match without a postcode
    (fit_annotate's fit, with its `weights` for age, local and open, then the keywords' `rank` (an
    array by id, when there are keywords), then a recorded referral route, then lower(name), id),
    or by name alone; with fit_annotate's values (and the rank) for each, in the same order.
    With `point` (lat, lon, longitude scale: directory/core/distances.py), the best match is near
    a postcode: after the route, the squared distance to each service's nearest located venue
    (those with none last), the formula of squared_degrees, operation for operation, so the
    doubles and their order are the database's; its values come back as "d2"."""
    in_match = index.bools(matched)
    ordered = index.name_order[in_match[index.name_order]] if len(index.name_order) else index.name_order
    age_fits = (~index.bools(index.of("age_range", "not_stated")) if age_searched
                else np.ones(index.size, dtype=bool))[ordered]
    is_local = (index.bools(index.local.get(district_id, index.empty())) if district_id is not None
                else np.zeros(index.size, dtype=bool))[ordered]
    is_open = (~index.bools(index.of("closed", "")))[ordered]
    has_route = index.bools(index.any_route())[ordered]
    weight_age, weight_local, weight_open = weights
    fit = age_fits * weight_age + is_local * weight_local + is_open * weight_open
    ranks = rank[ordered] if rank is not None else None
    d2 = None
    if point is not None:
        lat, lon, scale = point
        nearest = np.full(index.size, np.inf)
        venues = index.venues if index.venues is not None else np.zeros((0, 3))
        if len(venues):
            dlat = venues[:, 1] - lat
            dlon = (venues[:, 2] - lon) * scale
            np.minimum.at(nearest, venues[:, 0].astype(np.int64), dlat * dlat + dlon * dlon)
        d2 = nearest[ordered]
    if by_name:
        order = np.arange(len(ordered))
    elif ranks is None and d2 is None:
        key = -(fit.astype(np.int64) * 2 + has_route)
        order = np.argsort(key, kind="stable")  # stable: name order within each key
    else:
        # lexsort is stable too (name order within ties); its last key sorts first.
        keys = [-has_route.astype(np.int64), -fit.astype(np.int64)]
        if ranks is not None:
            keys.insert(1, -ranks)
        if d2 is not None:
            keys.insert(0, d2)
        order = np.lexsort(keys)
    values = {"age_fits": age_fits[order], "is_local": is_local[order], "is_open": is_open[order],
              "has_route": has_route[order], "fit": fit[order]}
    if ranks is not None:
        values["rank"] = ranks[order]
    if d2 is not None:
        values["d2"] = d2[order]
    return ordered[order], values


def district_counts(index, masks, districts, level_codes, focus_values):
    """What mapping.selectors.district_service_counts returns, from the index: for each district,
    the matching services in it (city-wide, or local there), the local ones, and both by level
    and by focus. No query."""
    matched = matching(index, masks)
    codes = {term.pk: term.code for term in terms()["level"]}
    city_wide = index.of("coverage", "city_wide")
    counts = {}
    for district in districts:
        local = index.local.get(district.pk, index.empty())
        here = matched & (city_wide | local)
        by_level = dict.fromkeys(level_codes, 0)
        by_focus = dict.fromkeys(focus_values, 0)
        for (parameter, key), bits in index.sets.items():
            if parameter == "level" and key in codes:
                n = count(here & bits)
                if n or codes[key] in by_level:
                    by_level[codes[key]] = n
            elif parameter == "focus":
                n = count(here & bits)
                if n or key in by_focus:
                    by_focus[key] = n
        counts[district.slug] = {"total": count(here), "local": count(matched & local),
                                 "by_level": by_level, "by_focus": by_focus}
    return counts


def specialised_by_district(index, districts, already, with_records):
    """What mapping.selectors.specialised_provision counts, from the index: published services
    whose focus is specialised in each district (city-wide, or local there) and in the city, and
    those of them that compare with the needs assessment (not in `already`, the ids the need
    already leaves out); for the services with capacity records (`with_records`, a handful) among
    the comparable ones, the districts they are in. Returns (counts, total, comparable counts,
    city comparable, members by district id, city members)."""
    specialised = index.of("focus", "specialised")
    comparable = specialised & ~index.from_ids(sorted(already))
    city_wide = index.of("coverage", "city_wide")
    counts, comparable_counts, members = {}, {}, {}
    recorded = [pk for pk in with_records if 0 <= pk < index.size]
    local_bits = {pk: index.bools(bits) for pk, bits in index.local.items()} if recorded else {}
    comparable_bits, city_bits = index.bools(comparable), index.bools(city_wide)
    for district in districts:
        here = city_wide | index.local.get(district.pk, index.empty())
        counts[district.pk] = count(specialised & here)
        comparable_counts[district.pk] = count(comparable & here)
        local = local_bits.get(district.pk)
        members[district.pk] = {pk for pk in recorded if comparable_bits[pk]
                                and (city_bits[pk] or (local is not None and local[pk]))}
    city_members = {pk for pk in recorded if comparable_bits[pk]
                    and (city_bits[pk] or any(bits[pk] for bits in local_bits.values()))}
    return counts, count(specialised), comparable_counts, count(comparable), members, city_members
