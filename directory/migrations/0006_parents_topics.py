"""The parents' view's first topics, mapped onto the needs taxonomy (fixtures/seed_services.yaml).

Topics are curated content: the IMHSG edits, adds and re-maps them in the admin. The needs
and delivery modes they point at are created here if they do not exist yet (a fresh
database migrates before `loadseed`), with the names the seed gives them; `loadseed` then
keeps those names true. The data is copied here rather than imported so that this migration
never changes; tests/conftest.py calls `load_topics` again after a browser test's flush.
"""
from django.db import migrations

NEED_NAMES = {
    "isolation": "Isolation and peer support",
    "perinatal_mental_health_mild": "Perinatal mental health, mild to moderate",
    "perinatal_mental_health_severe": "Perinatal mental health, moderate to severe",
    "trauma": "Parental or family trauma",
    "bonding_attachment": "Bonding and the parent-infant relationship",
    "parenting_confidence": "Parenting confidence and skills",
    "teenage_parents": "Teenage parents",
    "young_parents": "Young parents (16 to 25)",
    "fathers_co_parents": "Fathers and co-parents",
    "lgbtq_parents": "LGBTQI+ and transgender parents",
    "adoptive_parents": "Adoptive, foster and kinship parents",
    "domestic_abuse": "Domestic abuse",
    "fgm": "Female genital mutilation (FGM)",
    "homelessness": "Homelessness or housing",
    "neonatal_care": "Neonatal care",
    "medical_complexity": "Baby's medical complexity or hospital discharge",
    "send": "Special educational needs and disabilities (SEND)",
}
MODE_NAMES = {"groups": "Groups", "drop_in": "Drop-in"}

# (slug, name, intro, needs, delivery modes)
TOPICS = [
    ("meet-other-parents", "Meet other parents and play",
     "Groups where you can meet other mums, dads and carers, play with your baby and make friends.",
     ["isolation"], ["groups", "drop_in"]),
    ("feeling-low", "Feeling low, anxious or overwhelmed",
     "Lots of parents feel like this, when they are pregnant or after their baby comes. "
     "It is not your fault. Asking for help is a strong thing to do.",
     ["perinatal_mental_health_mild", "perinatal_mental_health_severe", "trauma"], []),
    ("getting-to-know-your-baby", "You and your baby getting to know each other",
     "Your baby learns about the world through you. Find help to enjoy time together and feel close.",
     ["bonding_attachment"], []),
    ("feeding-sleep-crying", "Feeding, sleep and crying",
     "Every baby is different. If feeding, sleep or crying feels hard, you are not alone. People can help.",
     ["parenting_confidence"], []),
    ("young-parents", "Young parents",
     "Help made for young mums and dads, where you can meet other parents your age.",
     ["teenage_parents", "young_parents"], []),
    ("dads-and-co-parents", "Dads and co-parents",
     "Help for dads, partners and every parent or carer who is bringing up a baby.",
     ["fathers_co_parents", "lgbtq_parents", "adoptive_parents"], []),
    ("safety-at-home", "Safety at home",
     "Everyone should feel safe at home. If home does not feel safe for you or your baby, you can get help.",
     ["domestic_abuse", "fgm"], []),
    ("housing-and-money", "Housing and money",
     "Worried about where you live or about money? You can get help with that too.",
     ["homelessness"], []),
    ("your-babys-health", "Your baby's health",
     "Help if your baby was born early, has been in hospital or needs extra care as they grow.",
     ["neonatal_care", "medical_complexity", "send"], []),
]


def load_topics(apps):
    """Create the topics that do not exist yet (by slug); never overwrite a curator's edit."""
    Need = apps.get_model("directory", "Need")
    DeliveryMode = apps.get_model("directory", "DeliveryMode")
    ParentTopic = apps.get_model("directory", "ParentTopic")
    for order, (slug, name, intro, needs, modes) in enumerate(TOPICS, start=1):
        topic, created = ParentTopic.objects.get_or_create(
            slug=slug, defaults={"name": name, "intro": intro, "order": order * 10}
        )
        if not created:
            continue
        topic.needs.set([Need.objects.get_or_create(code=code, defaults={"name": NEED_NAMES[code]})[0] for code in needs])
        topic.delivery_modes.set(
            [DeliveryMode.objects.get_or_create(code=code, defaults={"name": MODE_NAMES[code]})[0] for code in modes]
        )


def forwards(apps, schema_editor):
    load_topics(apps)


def backwards(apps, schema_editor):
    apps.get_model("directory", "ParentTopic").objects.filter(slug__in=[t[0] for t in TOPICS]).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0005_parents_models")]
    operations = [migrations.RunPython(forwards, backwards)]
