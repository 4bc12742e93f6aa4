"""Stable Open Referral ids (docs/adr/0011-oruk-api.md).

Added nullable, filled with a distinct uuid4 per row, then made unique and required:
a plain AddField with default=uuid4 would give every existing row the same value.
Historical rows take their object's id, so a record's history shares its id.
"""
import uuid

from django.db import migrations, models

LIVE = ["organisation", "service", "venue", "serviceatlocation", "level", "need", "intervention",
        "deliverymode", "language"]
HISTORICAL = ["organisation", "service", "venue", "serviceatlocation"]
SECTOR_CHOICES = [("", "Not recorded"), ("nhs", "NHS"), ("local_authority", "Local authority"),
                  ("childrens_trust", "Children's trust"), ("vcs", "Voluntary and community sector"),
                  ("partnership", "Partnership")]


def fill(apps, schema_editor):
    for name in LIVE:
        model = apps.get_model("directory", name)
        ids = {}
        for pk in model.objects.filter(uuid__isnull=True).values_list("pk", flat=True):
            ids[pk] = uuid.uuid4()
            model.objects.filter(pk=pk).update(uuid=ids[pk])
        if name in HISTORICAL:
            historical = apps.get_model("directory", f"historical{name}")
            known = dict(model.objects.values_list("pk", "uuid"))
            for object_id in set(historical.objects.values_list("id", flat=True)):
                historical.objects.filter(id=object_id).update(uuid=known.get(object_id) or uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0012_historical_slug_help"),
    ]

    operations = [
        *[migrations.AddField(model_name=name, name="uuid", field=models.UUIDField(null=True, editable=False))
          for name in LIVE],
        *[migrations.AddField(model_name=f"historical{name}", name="uuid", field=models.UUIDField(null=True, editable=False))
          for name in HISTORICAL],
        migrations.RunPython(fill, migrations.RunPython.noop),
        *[migrations.AlterField(
            model_name=name, name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="Open Referral id"),
        ) for name in LIVE],
        *[migrations.AlterField(
            model_name=f"historical{name}", name="uuid",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False, verbose_name="Open Referral id"),
        ) for name in HISTORICAL],
        migrations.AlterField(
            model_name="organisation", name="sector",
            field=models.CharField(blank=True, choices=SECTOR_CHOICES, max_length=20),
        ),
        migrations.AlterField(
            model_name="historicalorganisation", name="sector",
            field=models.CharField(blank=True, choices=SECTOR_CHOICES, max_length=20),
        ),
    ]
