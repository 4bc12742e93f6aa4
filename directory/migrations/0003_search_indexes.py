"""PostgreSQL full-text search storage and indexes (docs/adr/0004-search.md). A no-op on SQLite.

- directory_service.search_document: a tsvector GENERATED ALWAYS ... STORED column, so
  PostgreSQL keeps it true on every insert and update and ranking reads it instead of
  re-computing it. It is deliberately not a model field (it exists only on PostgreSQL,
  and Django never writes it); directory/search/keywords.py reads it in raw SQL.
- GIN indexes on it and on the referral routes' criteria, and a (status, name, id) index
  for the default order of results.

The expressions are copied from directory/search/keywords.py rather than imported so that this
migration never changes; tests/directory/search/test_search_postgres.py checks that they agree.
"""
from django.db import migrations

SERVICE_DOCUMENT = (
    "setweight(to_tsvector('english', name), 'A') || "
    "setweight(to_tsvector('english', summary), 'B') || "
    "setweight(to_tsvector('english', description), 'C')"
)
ROUTE_DOCUMENT = "to_tsvector('english', acceptance_criteria || ' ' || exclusions)"

CREATE = [
    f"ALTER TABLE directory_service ADD COLUMN IF NOT EXISTS search_document tsvector "
    f"GENERATED ALWAYS AS ({SERVICE_DOCUMENT}) STORED",
    "CREATE INDEX IF NOT EXISTS directory_service_search_gin ON directory_service USING gin (search_document)",
    f"CREATE INDEX IF NOT EXISTS directory_route_search_gin ON directory_referralroute USING gin (({ROUTE_DOCUMENT}))",
    # The default order of results (published, by name) without sorting the whole table.
    "CREATE INDEX IF NOT EXISTS directory_service_status_name ON directory_service (status, name, id)",
]
DROP = [
    "DROP INDEX IF EXISTS directory_service_search_gin",
    "DROP INDEX IF EXISTS directory_route_search_gin",
    "DROP INDEX IF EXISTS directory_service_status_name",
    "ALTER TABLE directory_service DROP COLUMN IF EXISTS search_document",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite searches with LIKE (directory/search/keywords.py); nothing to index
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_levels")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
