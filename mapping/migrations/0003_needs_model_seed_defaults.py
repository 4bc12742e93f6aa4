"""Put in the needs model's parameters from the seed (needs assessment, May 2022, Tables 1 and 2)."""
from decimal import Decimal

from django.db import migrations

SEED = "Birmingham parent-infant needs assessment, extended summary (May 2022)"

DEFAULTS = {
    "disorganised_percent": Decimal("20"),
    "disorganised_source": f"{SEED}, Table 1: disorganised attachment is 15% in a low-to-average adversity reference "
    "population, increased to 20% for Birmingham because of its high levels of adversity and trauma "
    "(Parent-Infant Foundation guidance).",
    "insecure_percent": Decimal("30"),
    "insecure_source": f"{SEED}, Table 1: insecure attachment is 25-30% in the reference population, increased to "
    "30% for Birmingham.",
    "demand_percent": Decimal("45"),
    "demand_source": f"{SEED}, Figure 7 and 'Specialised parent-infant relationship service provision': about 2,760 "
    "families need specialised support, 45% of the 6,134 babies (20% of 30,671 under-twos) modelled to have a "
    "disorganised attachment.",
    "already_seen_percent": Decimal("12.3"),
    "already_seen_source": f"{SEED}: from the CHLDNRN 2020 dataset, household parental severe mental illness affects "
    "about 123 per 1,000 babies aged 0-1, so about 340 of the 2,760 families are seen by the BSMHFT Community "
    "Perinatal Mental Health Service, leaving 2,420.",
    "caseload": 52,
    "caseload_source": f"{SEED}, Table 2: Parent-Infant Foundation guidance that each specialised practitioner sees "
    "52 families a year, giving 47 full-time practitioners for 2,420 families.",
}


def put_in_defaults(apps, schema_editor):
    NeedsModelSettings = apps.get_model("mapping", "NeedsModelSettings")
    if not NeedsModelSettings.objects.exists():
        NeedsModelSettings.objects.create(**DEFAULTS)


class Migration(migrations.Migration):

    dependencies = [
        ("mapping", "0002_needs_model_settings"),
    ]

    operations = [migrations.RunPython(put_in_defaults, migrations.RunPython.noop)]
