"""The controlled lists (levels, needs, approaches, delivery modes, languages, districts)
and the search synonyms, read once per content version (docs/adr/0013).

Every search validates its parameters against these lists and the filter form shows them
all; read from the tables, that was a query per list on every request (7 to 17 per search).
They change only when a curator saves, so each process keeps the lists of the current
content version in memory (`per_version`): the first request after a change reads them
all in one query, the rest read none. A version names one state of the data
(directory/core/content.py), so the memo can never be stale, only replaced.
"""
import threading
import uuid
from dataclasses import dataclass

from django.apps import apps
from django.db import connection

from directory.core import content

_lock = threading.Lock()
_memo = {}  # name -> (version of its kinds, value)


def per_version(name, compute, kinds=None):
    """compute() once per content version (of `kinds`, every kind when None) in this process.
    For small values every request needs (they are kept in memory, not in the cache, so no
    copy is made per read)."""
    version = content.current(kinds)
    with _lock:
        held = _memo.get(name)
        if held is not None and held[0] == version:
            return held[1]
    value = compute()
    with _lock:
        _memo[name] = (version, value)
    return value


def forget():
    """Drop the memo (tests that change data behind the version's back)."""
    with _lock:
        _memo.clear()


# Published services' names are read with the lists, for the keywords box's suggestions
# (directory/practitioners/autocomplete.py, issue 22), so suggesting them costs no query of its own;
# the first ones by name only, so the memo stays small however many services the directory holds.
SERVICE_NAMES_MAX = 300


@dataclass(frozen=True)
class Terms:
    """Each list in its display order, and by code (slug for districts)."""

    lists: dict  # kind -> [instance]
    by_code: dict  # kind -> {code: instance}
    by_id: dict  # kind -> {pk: instance}
    service_names: tuple = ()  # the first SERVICE_NAMES_MAX published services' names, by name

    def __getitem__(self, kind):
        return self.lists[kind]

    def choices(self, kind):
        return [(_code(kind, term), term.name) for term in self.lists[kind]]


KINDS = ("level", "need", "intervention", "delivery", "language", "district")


def _code(kind, term):
    return term.slug if kind == "district" else term.code


def _models():
    # By name from the registry: the models use this module (card prefetches), not the reverse.
    names = {"level": "directory.Level", "need": "directory.Need", "intervention": "directory.Intervention",
             "delivery": "directory.DeliveryMode", "language": "directory.Language", "district": "mapping.District"}
    return {kind: apps.get_model(label) for kind, label in names.items()}


def terms():
    """The lists of the current content version (1 query on the first call after a change)."""
    return per_version("terms", _load)


def _load():
    models = _models()
    quote = connection.ops.quote_name
    selects = []
    for kind in KINDS:
        table = quote(models[kind]._meta.db_table)
        if kind == "level":
            columns = "id, CAST(uuid AS TEXT), code, name, rank, description"
        elif kind == "district":
            columns = "id, code, slug, name, NULL, ''"
        else:
            columns = "id, CAST(uuid AS TEXT), code, name, NULL, ''"
        selects.append(f"SELECT '{kind}', {columns} FROM {table}")
    Service = apps.get_model("directory.Service")
    names, params = (Service.objects.published().order_by("name").values_list("name")[:SERVICE_NAMES_MAX]
                     .query.sql_with_params())
    selects.append(f"SELECT 'service', NULL, NULL, NULL, name, NULL, '' FROM ({names}) published")
    with connection.cursor() as cursor:
        # Ordered in the database, as the models' orderings were (levels by rank, the rest by
        # name in the database's collation): column 1 is the kind, 6 the rank, 5 the name.
        cursor.execute(" UNION ALL ".join(selects) + " ORDER BY 1, 6, 5, 2", params)
        rows = cursor.fetchall()
    lists = {kind: [] for kind in KINDS}
    service_names = []
    for kind, pk, second, code, name, rank, description in rows:
        if kind == "service":
            service_names.append(name)
            continue
        if kind == "level":
            values = {"id": pk, "uuid": uuid.UUID(second), "code": code, "name": name, "rank": rank,
                      "description": description}
        elif kind == "district":
            # Only what lists and filters use: the boundary (115 kB) and figures stay deferred.
            values = {"id": pk, "code": second, "slug": code, "name": name}
        else:
            values = {"id": pk, "uuid": uuid.UUID(second), "code": code, "name": name}
        lists[kind].append(_instance(models[kind], values))
    return Terms(
        lists=lists,
        by_code={kind: {_code(kind, term): term for term in lists[kind]} for kind in KINDS},
        by_id={kind: {term.pk: term for term in lists[kind]} for kind in KINDS},
        service_names=tuple(service_names),
    )


def _instance(model, values):
    """A model instance as if read from the database with only these fields (the rest
    deferred: reading one would query, never invent). from_db wants the values in the
    model's field order."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def synonym_table():
    """{term: all terms of its synonym}, lower case, of the current content version (1 query
    after a change). Curated in the admin as `SearchSynonym`; used by directory/search/keywords.py."""
    return per_version("synonyms", _read_synonyms, kinds=("reference",))


def _read_synonyms():
    SearchSynonym = apps.get_model("directory.SearchSynonym")

    table = {}
    for terms_text in SearchSynonym.objects.values_list("terms", flat=True):
        group = SearchSynonym.split(terms_text)
        for term in group:
            # A term in two synonyms matches the terms of both.
            table[term] = list(dict.fromkeys(table.get(term, []) + group))
    return table


# The controlled lists a card shows, by the Service field that holds them.
CARD_RELATIONS = {"levels": "level", "needs": "need", "coverage_districts": "district"}


def attach_card_terms(services):
    """Prefetch each service's levels, needs and coverage districts in ONE query over their
    three many-to-many tables, using the in-memory lists for the terms themselves (a
    prefetch_related per relation was three queries, each joining its terms' table).
    `service.levels.all()` then reads what is attached, in the lists' order."""
    services = [service for service in services if service.pk is not None]
    if not services:
        return
    Service = apps.get_model("directory.Service")
    ids = [service.pk for service in services]
    placeholders = ", ".join(["%s"] * len(ids))
    quote = connection.ops.quote_name
    selects, params = [], []
    for field_name, kind in CARD_RELATIONS.items():
        field = Service._meta.get_field(field_name)
        through = field.remote_field.through._meta
        source, target = field.m2m_column_name(), field.m2m_reverse_name()
        selects.append(f"SELECT '{field_name}', {quote(source)}, {quote(target)} FROM {quote(through.db_table)} "
                       f"WHERE {quote(source)} IN ({placeholders})")
        params += ids
    found = {service.pk: {name: set() for name in CARD_RELATIONS} for service in services}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        for field_name, service_id, term_id in cursor.fetchall():
            found[service_id][field_name].add(term_id)
    lists = terms()
    for service in services:
        cache = getattr(service, "_prefetched_objects_cache", None)
        if cache is None:
            cache = service._prefetched_objects_cache = {}
        for field_name, kind in CARD_RELATIONS.items():
            wanted = found[service.pk][field_name]
            queryset = getattr(service, field_name).all()
            queryset._result_cache = [term for term in lists[kind] if term.pk in wanted]
            queryset._prefetch_done = True
            cache[field_name] = queryset
