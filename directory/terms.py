"""The controlled lists (levels, needs, approaches, delivery modes, languages, districts)
and the search synonyms, read once per content version (docs/adr/0013).

Every search validates its parameters against these lists and the filter form shows them
all; read from the tables, that was a query per list on every request (7 to 17 per search).
They change only when a curator saves, so each process keeps the lists of the current
content version in memory (`per_version`): the first request after a change reads them
all in one query, the rest read none. A version names one state of the data
(directory/content.py), so the memo can never be stale, only replaced.
"""
import threading
import uuid
from dataclasses import dataclass

from django.db import connection

from directory import content

_lock = threading.Lock()
_memo = {"version": None, "values": {}}


def per_version(name, compute):
    """compute() once per content version in this process. For small values every request
    needs (they are kept in memory, not in the cache, so no copy is made per read)."""
    version = content.current()
    with _lock:
        if _memo["version"] != version:
            _memo["version"], _memo["values"] = version, {}
        if name in _memo["values"]:
            return _memo["values"][name]
    value = compute()
    with _lock:
        if _memo["version"] == version:
            _memo["values"][name] = value
    return value


def forget():
    """Drop the memo (tests that change data behind the version's back)."""
    with _lock:
        _memo["version"], _memo["values"] = None, {}


@dataclass(frozen=True)
class Terms:
    """Each list in its display order, and by code (slug for districts)."""

    lists: dict  # kind -> [instance]
    by_code: dict  # kind -> {code: instance}
    by_id: dict  # kind -> {pk: instance}

    def __getitem__(self, kind):
        return self.lists[kind]

    def choices(self, kind):
        return [(_code(kind, term), term.name) for term in self.lists[kind]]


KINDS = ("level", "need", "intervention", "delivery", "language", "district")


def _code(kind, term):
    return term.slug if kind == "district" else term.code


def _models():
    from directory.models import DeliveryMode, Intervention, Language, Level, Need
    from mapping.models import District

    return {"level": Level, "need": Need, "intervention": Intervention, "delivery": DeliveryMode,
            "language": Language, "district": District}


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
    with connection.cursor() as cursor:
        # Ordered in the database, as the models' orderings were (levels by rank, the rest by
        # name in the database's collation): column 1 is the kind, 6 the rank, 5 the name.
        cursor.execute(" UNION ALL ".join(selects) + " ORDER BY 1, 6, 5, 2")
        rows = cursor.fetchall()
    lists = {kind: [] for kind in KINDS}
    for kind, pk, second, code, name, rank, description in rows:
        model = models[kind]
        if kind == "level":
            term = model.from_db(connection.alias, ["id", "uuid", "code", "name", "rank", "description"],
                                 [pk, uuid.UUID(second), code, name, rank, description])
        elif kind == "district":
            # Only what lists and filters use: the boundary (115 kB) and figures stay deferred.
            term = model.from_db(connection.alias, ["id", "code", "slug", "name"], [pk, second, code, name])
        else:
            term = model.from_db(connection.alias, ["id", "uuid", "code", "name"], [pk, uuid.UUID(second), code, name])
        lists[kind].append(term)
    return Terms(
        lists=lists,
        by_code={kind: {_code(kind, term): term for term in lists[kind]} for kind in KINDS},
        by_id={kind: {term.pk: term for term in lists[kind]} for kind in KINDS},
    )


def synonym_table():
    """{term: all terms of its synonym}, lower case, of the current content version (1 query
    after a change). Curated in the admin as `SearchSynonym`; used by directory/search.py."""
    return per_version("synonyms", _read_synonyms)


def _read_synonyms():
    from directory.models import SearchSynonym

    table = {}
    for terms_text in SearchSynonym.objects.values_list("terms", flat=True):
        group = SearchSynonym.split(terms_text)
        for term in group:
            # A term in two synonyms matches the terms of both.
            table[term] = list(dict.fromkeys(table.get(term, []) + group))
    return table
