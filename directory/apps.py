from django.apps import AppConfig
from django.db.models.signals import post_migrate

CURATORS_GROUP = "IMHSG curators"


def ensure_curators_group(sender, **kwargs):
    """Give the curators' group every permission on directory and mapping records.

    Runs after migrate because permissions are created then; idempotent.
    """
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=["directory", "mapping"]))


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory: services and organisations"

    def ready(self):
        post_migrate.connect(ensure_curators_group, sender=self)
