"""Keyword search: ranked full-text search on PostgreSQL, a simple equivalent on SQLite.

Both backends search the same text: a service's name, summary and description, the
names of the needs and interventions it lists, and its referral routes' acceptance
criteria and exclusions (docs/adr/0004-search.md).

PostgreSQL: the service's own text is one weighted tsvector (name A, summary B,
description C), kept by PostgreSQL itself in a generated column `search_document`
with a GIN index (migration 0003; the column exists only on PostgreSQL, so it is not
a model field). Storing it matters: ranking re-computed vectors cost about 40 us a
row, which at 100,000 services is seconds. Needs, interventions and referral criteria
are matched in their own tables and add fixed amounts to the rank; criteria have a
GIN expression index, which PostgreSQL only uses if the query's expression is exactly
the indexed one (a test checks the migration's copy agrees with ROUTE_DOCUMENT).

SQLite: every word must appear (case-insensitively) somewhere in that text; the rank
counts where the words appear (name 4, summary 2, description 1). No stemming.

Synonyms (curated in the admin as `SearchSynonym`) apply on both: a word or phrase of the
query that is one of a synonym's terms matches any of its terms ("dad" also finds
"fathers"). They are read once per content version (directory/terms.py).
"""
from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL

from directory.models import Intervention, Need, ReferralRoute, Service
from directory.terms import synonym_table

CONFIG = "english"
# The generated column's definition (copied in migration 0003). Columns are NOT NULL,
# so no coalesce.
SEARCH_COLUMN = "search_document"
SERVICE_DOCUMENT = (
    "setweight(to_tsvector('english', {t}name), 'A') || "
    "setweight(to_tsvector('english', {t}summary), 'B') || "
    "setweight(to_tsvector('english', {t}description), 'C')"
)
ROUTE_DOCUMENT = "to_tsvector('english', {t}acceptance_criteria || ' ' || {t}exclusions)"
TSQUERY = "websearch_to_tsquery('english', %s)"
# What a match outside the service's own text adds to its rank (ts_rank of a strong
# name match is about 0.6; of a word in the description about 0.1).
NEED_BONUS, INTERVENTION_BONUS, CRITERIA_BONUS = 0.3, 0.15, 0.1
MAX_WORDS = 10
LONGEST_TERM = 4  # words in the longest synonym phrase looked for


def is_postgres():
    return connection.vendor == "postgresql"


def keyword_groups(q, table=None):
    """The query as groups of alternatives: every group must match, any of its alternatives
    will do. 'dad support' -> [['dad', 'dads', 'father', ...], ['support']]. Phrases are
    matched longest first, so 'postnatal depression' is one group with 'pnd'."""
    table = synonym_table() if table is None else table
    words = q.split()[:MAX_WORDS]
    groups, i = [], 0
    while i < len(words):
        for size in range(min(LONGEST_TERM, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + size]).lower()
            if phrase in table:
                groups.append(table[phrase])
                i += size
                break
        else:
            groups.append([words[i]])
            i += 1
    return groups


def keyword_filter(queryset, q, groups=None):
    """Keep services matching the keywords `q` (already stripped, max 200 characters);
    `groups` from keyword_groups(q), if the caller has them."""
    groups = keyword_groups(q) if groups is None else groups
    if is_postgres():
        tsquery, params = _pg_tsquery(q, groups)
        return queryset.filter(pk__in=RawSQL(_pg_matching_ids_sql(tsquery), params * 4))
    return queryset.filter(_sqlite_match_q(groups))


def keyword_rank(queryset, q, groups=None):
    """Annotate `rank` (higher is better) for ordering matches by relevance."""
    groups = keyword_groups(q) if groups is None else groups
    if is_postgres():
        tsquery, params = _pg_tsquery(q, groups)
        return queryset.annotate(rank=RawSQL(_pg_rank_sql(tsquery), params * 4))
    return queryset.annotate(rank=_sqlite_rank(groups))


# --- PostgreSQL ---------------------------------------------------------------

def _pg_tsquery(q, groups):
    """(SQL, params) of the tsquery. Without a synonym it is websearch_to_tsquery(q), so
    quotes, "or" and "-word" keep their meaning; with one, each group's alternatives are
    OR-ed (||) and the groups AND-ed (&&). A stop word gives an empty tsquery, which && and
    || leave out."""
    if all(len(group) == 1 for group in groups):
        return TSQUERY, [q]
    parts = ["(" + " || ".join([TSQUERY] * len(group)) + ")" for group in groups]
    return " && ".join(parts), [alternative for group in groups for alternative in group]


def _tables():
    return {
        "service": Service._meta.db_table,
        "service_needs": Service.needs.through._meta.db_table,
        "need": Need._meta.db_table,
        "service_interventions": Service.interventions.through._meta.db_table,
        "intervention": Intervention._meta.db_table,
        "route": ReferralRoute._meta.db_table,
    }


def _pg_matching_ids_sql(tsquery):
    t = _tables()
    return (
        f"SELECT s.id FROM {t['service']} s WHERE s.{SEARCH_COLUMN} @@ ({tsquery}) "
        f"UNION SELECT sn.service_id FROM {t['service_needs']} sn JOIN {t['need']} n ON n.id = sn.need_id "
        f"WHERE to_tsvector('english', n.name) @@ ({tsquery}) "
        f"UNION SELECT si.service_id FROM {t['service_interventions']} si JOIN {t['intervention']} i "
        f"ON i.id = si.intervention_id WHERE to_tsvector('english', i.name) @@ ({tsquery}) "
        f"UNION SELECT r.service_id FROM {t['route']} r WHERE {ROUTE_DOCUMENT.format(t='r.')} @@ ({tsquery})"
    )


def _pg_rank_sql(tsquery):
    # Uncorrelated IN-subqueries: PostgreSQL runs each once (hashed) for the whole page,
    # rather than once per matching service.
    t = _tables()
    outer = f'"{t["service"]}".'
    return (
        f"ts_rank({outer}{SEARCH_COLUMN}, ({tsquery})) "
        f"+ CASE WHEN {outer}id IN (SELECT sn.service_id FROM {t['service_needs']} sn JOIN {t['need']} n "
        f"ON n.id = sn.need_id WHERE to_tsvector('english', n.name) @@ ({tsquery})) THEN {NEED_BONUS} ELSE 0 END "
        f"+ CASE WHEN {outer}id IN (SELECT si.service_id FROM {t['service_interventions']} si JOIN {t['intervention']} i "
        f"ON i.id = si.intervention_id WHERE to_tsvector('english', i.name) @@ ({tsquery})) "
        f"THEN {INTERVENTION_BONUS} ELSE 0 END "
        f"+ CASE WHEN {outer}id IN (SELECT r.service_id FROM {t['route']} r "
        f"WHERE {ROUTE_DOCUMENT.format(t='r.')} @@ ({tsquery})) THEN {CRITERIA_BONUS} ELSE 0 END"
    )


# --- SQLite -------------------------------------------------------------------

def _sqlite_word_q(word):
    needs = Service.needs.through.objects.filter(need__name__icontains=word).values("service_id")
    interventions = Service.interventions.through.objects.filter(
        intervention__name__icontains=word
    ).values("service_id")
    routes = ReferralRoute.objects.filter(
        Q(acceptance_criteria__icontains=word) | Q(exclusions__icontains=word)
    ).values("service_id")
    return (
        Q(name__icontains=word) | Q(summary__icontains=word) | Q(description__icontains=word)
        | Q(pk__in=needs) | Q(pk__in=interventions) | Q(pk__in=routes)
    )


def _sqlite_match_q(groups):
    match = Q()
    for group in groups:
        either = Q()
        for alternative in group:
            either |= _sqlite_word_q(alternative)
        match &= either
    return match


def _sqlite_rank(groups):
    rank = Value(0)
    for word in (alternative for group in groups for alternative in group):
        for field, weight in (("name", 4), ("summary", 2), ("description", 1)):
            rank = rank + Case(
                When(**{f"{field}__icontains": word}, then=Value(weight)), default=Value(0),
                output_field=IntegerField(),
            )
    return rank
