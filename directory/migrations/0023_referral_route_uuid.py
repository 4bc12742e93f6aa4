"""Stable Open Referral ids for referral routes (issue 25).

Until now a route's id in the API was derived from its service's id and the route's row number,
so a route imported into another database got another id. Each route now carries its own
`uuid`, like venues. Existing routes keep the id the API has been publishing: the uuid5 of the
project's namespace and "referral_route:<service uuid>:<route pk>" (derived_id in
directory/openreferral/api/ids.py, frozen here). History rows take their object's id.
Added nullable, filled, then made unique and required.
"""
import uuid

from django.db import migrations, models

# directory/openreferral/api/ids.py NAMESPACE, frozen: never change it.
NAMESPACE = uuid.UUID("d21ae36f-3f15-55bb-ad7a-31bbbd8f8837")


def published_id(service_uuid, pk):
    return uuid.uuid5(NAMESPACE, f"referral_route:{service_uuid}:{pk}")


def fill(apps, schema_editor):
    Route = apps.get_model("directory", "ReferralRoute")
    HistoricalRoute = apps.get_model("directory", "HistoricalReferralRoute")
    Service = apps.get_model("directory", "Service")
    services = dict(Service.objects.values_list("pk", "uuid"))
    known = {}
    for pk, service_id in Route.objects.values_list("pk", "service_id"):
        known[pk] = published_id(services[service_id], pk)
        Route.objects.filter(pk=pk).update(uuid=known[pk])
    for object_id, service_id in set(HistoricalRoute.objects.values_list("id", "service_id")):
        value = known.get(object_id) or (published_id(services[service_id], object_id) if service_id in services
                                         else uuid.uuid4())
        known.setdefault(object_id, value)
        HistoricalRoute.objects.filter(id=object_id).update(uuid=known[object_id])


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0022_city_wide_venues_not_local"),
    ]

    operations = [
        migrations.AddField(model_name="referralroute", name="uuid",
                            field=models.UUIDField(null=True, editable=False)),
        migrations.AddField(model_name="historicalreferralroute", name="uuid",
                            field=models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="referralroute", name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="Open Referral id"),
        ),
        migrations.AlterField(
            model_name="historicalreferralroute", name="uuid",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False, verbose_name="Open Referral id"),
        ),
    ]
