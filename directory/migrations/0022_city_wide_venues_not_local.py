"""A city-wide service's venue no longer makes it "local" to that district (issue 22): a hospital
does not make a city-wide service the best local match. Brings the maintained rows of
ServiceDistrict (docs/adr/0012) to the rule of directory/search/tables.py district_rows_sql:
rows local only through a venue, for a city-wide service, become not local."""
from django.db import migrations

FORWARD = """
UPDATE directory_servicedistrict SET is_local = FALSE
WHERE is_local
  AND service_id IN (SELECT id FROM directory_service WHERE coverage_type = 'city_wide')
  AND NOT EXISTS (SELECT 1 FROM directory_service_coverage_districts c
                  WHERE c.service_id = directory_servicedistrict.service_id
                    AND c.district_id = directory_servicedistrict.district_id)
  AND NOT EXISTS (SELECT 1 FROM directory_service s
                  WHERE s.id = directory_servicedistrict.service_id
                    AND s.locality_district_id = directory_servicedistrict.district_id)
"""

BACKWARD = """
UPDATE directory_servicedistrict SET is_local = TRUE
WHERE NOT is_local
  AND EXISTS (SELECT 1 FROM directory_serviceatlocation a JOIN directory_venue v ON v.id = a.venue_id
              WHERE a.service_id = directory_servicedistrict.service_id
                AND v.district_id = directory_servicedistrict.district_id)
"""


class Migration(migrations.Migration):
    dependencies = [("directory", "0021_named_group_only")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
