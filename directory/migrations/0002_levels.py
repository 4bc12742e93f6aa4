"""Load the four fixed levels of need, so that every database has them."""
from django.db import migrations

from directory.core.levels import LEVELS


def load_levels(apps, schema_editor):
    Level = apps.get_model("directory", "Level")
    for code, name, rank, description in LEVELS:
        Level.objects.update_or_create(code=code, defaults={"name": name, "rank": rank, "description": description})


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(load_levels, migrations.RunPython.noop)]
