from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_roles(sender, **kwargs):
    """The role groups (directory/curation/roles.py), refreshed after every migrate because
    permissions are created then."""
    from directory.curation.roles import ensure_roles as ensure

    ensure()


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Directory: services and organisations"

    def ready(self):
        post_migrate.connect(ensure_roles, sender=self)
        # `check --deploy` refuses a SITE_URL that e-mailed links could not follow.
        import config.checks  # noqa: F401
        from directory.core import content

        content.connect_signals()
        # The maintained search tables follow every change (docs/adr/0012).
        from directory.search.tables import connect_signals

        connect_signals()
        # The facet index's change log (issue 26, docs/adr/0029): its triggers after every migrate.
        from directory.search import facets

        facets.connect_signals()
        # Cards take their levels, needs and districts from the per-version term lists
        # (directory/search/terms.py) instead of three queries; the data layer does not import search.
        from directory.models import ServiceQuerySet
        from directory.search.terms import attach_card_terms

        ServiceQuerySet.attach_card_terms = staticmethod(attach_card_terms)
        # A service whose check-in changes are rejected is e-mailed the reason (issue 20).
        from directory.checkins.notify import connect_signals as connect_checkin_signals

        connect_checkin_signals()
