"""The maintained search tables (docs/adr/0012-maintained-search-tables.md): create them, fill
them from the services already there, GIN-index the search document on PostgreSQL, and drop
what they replace there (the service table's generated `search_document` column and the
referral routes' criteria index of migration 0003, which nothing reads any more).

The fill is a copy of directory/search/tables.py's SQL at this point, so that this migration
never changes; tests/directory/search/test_search_tables.py checks that both give the same rows.
"""
import directory.models.search
import django.db.models.deletion
from django.db import migrations, models

DISTRICT_ROWS = (
    "INSERT INTO directory_servicedistrict (service_id, district_id, is_local) "
    "SELECT service_id, district_id, MAX(local_part) = 1 FROM ("
    "SELECT s.id AS service_id, d.id AS district_id, 0 AS local_part FROM directory_service s "
    "CROSS JOIN mapping_district d WHERE s.coverage_type = 'city_wide' "
    "UNION ALL SELECT c.service_id, c.district_id, 1 FROM directory_service_coverage_districts c "
    "UNION ALL SELECT s.id, s.locality_district_id, 1 FROM directory_service s WHERE s.locality_district_id IS NOT NULL "
    "UNION ALL SELECT a.service_id, v.district_id, 1 FROM directory_serviceatlocation a "
    "JOIN directory_venue v ON v.id = a.venue_id WHERE v.district_id IS NOT NULL"
    ") membership GROUP BY service_id, district_id"
)


def search_rows(vendor):
    postgres = vendor == "postgresql"
    newline = "chr(10)" if postgres else "char(10)"
    aggregate = "string_agg" if postgres else "group_concat"
    needs = (f"COALESCE((SELECT {aggregate}(n.name, {newline}) FROM directory_service_needs sn "
             "JOIN directory_need n ON n.id = sn.need_id WHERE sn.service_id = s.id), '')")
    interventions = (f"COALESCE((SELECT {aggregate}(i.name, {newline}) FROM directory_service_interventions si "
                     "JOIN directory_intervention i ON i.id = si.intervention_id WHERE si.service_id = s.id), '')")
    criteria = (f"COALESCE((SELECT {aggregate}(r.acceptance_criteria || {newline} || r.exclusions, {newline}) "
                "FROM directory_referralroute r WHERE r.service_id = s.id), '')")
    parts = ["s.name", f"s.summary || {newline} || {needs}", f"s.description || {newline} || {interventions}", criteria]
    if postgres:
        document = " || ".join(f"setweight(to_tsvector('english'::regconfig, {part}), '{weight}')"
                               for part, weight in zip(parts, "ABCD"))
    else:
        document = "lower(" + f" || {newline} || ".join(parts) + ")"
    return (f"INSERT INTO directory_servicesearchindex (service_id, document) SELECT s.id, {document} "
            "FROM directory_service s")


def fill(apps, schema_editor):
    schema_editor.execute(DISTRICT_ROWS)
    schema_editor.execute(search_rows(schema_editor.connection.vendor))


def empty(apps, schema_editor):
    schema_editor.execute("DELETE FROM directory_servicedistrict")
    schema_editor.execute("DELETE FROM directory_servicesearchindex")


# PostgreSQL only: SQLite matches with LIKE, which no index helps.
OLD_SERVICE_DOCUMENT = (
    "setweight(to_tsvector('english', name), 'A') || "
    "setweight(to_tsvector('english', summary), 'B') || "
    "setweight(to_tsvector('english', description), 'C')"
)
OLD_ROUTE_DOCUMENT = "to_tsvector('english', acceptance_criteria || ' ' || exclusions)"
FORWARD = [
    "CREATE INDEX IF NOT EXISTS directory_servicesearchindex_document_gin "
    "ON directory_servicesearchindex USING gin (document)",
    "DROP INDEX IF EXISTS directory_service_search_gin",
    "DROP INDEX IF EXISTS directory_route_search_gin",
    "ALTER TABLE directory_service DROP COLUMN IF EXISTS search_document",
]
BACKWARD = [
    "DROP INDEX IF EXISTS directory_servicesearchindex_document_gin",
    f"ALTER TABLE directory_service ADD COLUMN IF NOT EXISTS search_document tsvector "
    f"GENERATED ALWAYS AS ({OLD_SERVICE_DOCUMENT}) STORED",
    "CREATE INDEX IF NOT EXISTS directory_service_search_gin ON directory_service USING gin (search_document)",
    f"CREATE INDEX IF NOT EXISTS directory_route_search_gin ON directory_referralroute USING gin (({OLD_ROUTE_DOCUMENT}))",
]


def _postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0014_content_version'),
        ('mapping', '0003_needs_model_seed_defaults'),
    ]

    operations = [
        migrations.CreateModel(
            name='ServiceSearchIndex',
            fields=[
                ('service', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_index', serialize=False, to='directory.service')),
                ('document', directory.models.search.SearchDocumentField()),
            ],
            options={
                'verbose_name': 'service search index row',
            },
        ),
        migrations.CreateModel(
            name='ServiceDistrict',
            fields=[
                ('pk', models.CompositePrimaryKey('service', 'district', blank=True, editable=False, primary_key=True, serialize=False)),
                ('is_local', models.BooleanField()),
                ('district', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='service_rows', to='mapping.district')),
                ('service', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='district_rows', to='directory.service')),
            ],
            options={
                'indexes': [models.Index(fields=['district', 'is_local', 'service'], name='servicedistrict_lookup')],
            },
        ),
        migrations.RunPython(fill, empty),
        migrations.RunPython(_postgresql(FORWARD), _postgresql(BACKWARD)),
    ]
