"""The admin's lists at 100,000 services (docs/adr/0027-admin-at-size.md).

- `service_admin_order`: the service list's own order (name, then newest first) read from an
  index a page at a time, instead of sorting every service for each page; `service_admin_focus`
  and `service_admin_focus_confirmed` the same for a sort by those columns (then by name).
- On PostgreSQL, trigram indexes on UPPER(name) and UPPER(summary): the admin's search is
  `icontains`, which Django writes as UPPER(column) LIKE UPPER('%words%'), and these indexes
  answer exactly that expression, so the search keeps its meaning (any part of a word) without
  reading every service. They need the pg_trgm extension (shipped with PostgreSQL, "trusted"
  since PostgreSQL 13, so the database's owner may create it). Where it cannot be created the
  indexes are skipped and the search works as before, only slower. A no-op on SQLite.
"""
from django.db import migrations, models

TRIGRAM_INDEXES = [
    "CREATE INDEX IF NOT EXISTS service_name_trgm ON directory_service USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS service_summary_trgm ON directory_service USING gin ((UPPER(summary)) gin_trgm_ops)",
]


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.db import transaction

    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # not allowed here: the search stays a scan, as before
        return
    for statement in TRIGRAM_INDEXES:
        schema_editor.execute(statement)


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS service_name_trgm")
        schema_editor.execute("DROP INDEX IF EXISTS service_summary_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0029_import_jobs'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='service',
            index=models.Index(fields=['name', '-id'], name='service_admin_order'),
        ),
        migrations.AddIndex(
            model_name='service',
            index=models.Index(fields=['focus', 'name'], name='service_admin_focus'),
        ),
        migrations.AddIndex(
            model_name='service',
            index=models.Index(fields=['focus_confirmed', 'name'], name='service_admin_focus_confirmed'),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
