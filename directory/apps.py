from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_roles(sender, **kwargs):
    """The role groups (directory/curation.py), refreshed after every migrate because
    permissions are created then."""
    from directory.curation import ensure_roles as ensure

    ensure()


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory: services and organisations"

    def ready(self):
        post_migrate.connect(ensure_roles, sender=self)
        from directory import content

        content.connect_signals()
        # The maintained search tables follow every change (docs/adr/0012).
        from directory.search_tables import connect_signals

        connect_signals()
