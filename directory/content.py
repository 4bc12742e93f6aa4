"""The content version: what every public cache is keyed by (docs/adr/0013).

The public pages change only when curators (or loadseed, an import, an approval) change
the directory's data, and most requests ask the same questions. So what is expensive to
build (GeoJSON, map and option counts, rendered fragments) is cached under the current
content version, and ETags are made from it.

The version lives in the database (one row of `ContentVersion`), not in the cache:
- a change made by one process is seen by every other process at once, even with the
  default local-memory cache, which is private to each process;
- it is bumped inside the transaction that changes the data, so a rolled-back change
  bumps nothing, and no reader sees the new version before the new data.
Reading it costs one query per request (memoised for the rest of the request by
`ContentVersionMiddleware`).

What bumps it:
- every save, delete and many-to-many change of a model in the directory and mapping
  apps (signals connected in `connect_signals`), except the curators' own working records
  listed in NOT_PUBLIC;
- explicitly, `bump()`, wherever rows change without signals: bulk updates in admin
  actions, confirming facts, bulk-created postcodes, loadseed, the imports, restore,
  and after every migrate.
"""
import contextvars
import secrets

from django.apps import apps
from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

# Working records that no public page or API shows: saving them changes nothing public.
NOT_PUBLIC = {"PendingChange", "ReminderSent", "Suggestion", "SeedRecord", "ContentVersion"}
CONTENT_APPS = ("directory", "mapping")

# The version read in this request (None: not read yet). A context variable, so threads
# (and async tasks) never see each other's.
_memo = contextvars.ContextVar("content_version", default=None)


def current():
    """The content version, as a short string for cache keys and ETags. One query, then
    memoised until the end of the request (or until a bump in this request)."""
    value = _memo.get()
    if value is None:
        from directory.models import ContentVersion

        value = ContentVersion.objects.filter(pk=1).values_list("value", flat=True).first()
        if value is None:
            value = _create()
        _memo.set(value)
    return str(value)


def _create():
    from directory.models import ContentVersion

    row, _ = ContentVersion.objects.get_or_create(pk=1, defaults={"value": new_value()})
    return row.value


def new_value():
    """A fresh random version, not a counter: a version then names one state of the data.
    A rolled-back transaction (every test), or a restored backup, brings back an older
    value together with the data it was made from, so entries cached under it are still
    true; an incremented counter would reuse a number for different data."""
    return secrets.randbits(62)


def bump(**kwargs):
    """Mark the public content as changed: one UPDATE in the current transaction."""
    from directory.models import ContentVersion

    if not ContentVersion.objects.filter(pk=1).update(value=new_value()):
        ContentVersion.objects.get_or_create(pk=1, defaults={"value": new_value()})
    forget()


def forget():
    """Drop the memoised version (start and end of a request, after a bump)."""
    _memo.set(None)


class ContentVersionMiddleware:
    """Reads the version afresh for each request and never carries it into the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forget()
        try:
            return self.get_response(request)
        finally:
            forget()


def _is_public(model):
    name = model.__name__
    return (
        model._meta.app_label in CONTENT_APPS
        and name not in NOT_PUBLIC
        and not name.startswith("Historical")  # simple_history's copies
        and not model._meta.abstract
    )


def _changed(sender, **kwargs):
    bump()


def _m2m_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        bump()


def connect_signals():
    """Connect the bump to each public model by sender, so that models outside the
    content (sessions, sign-in records) keep Django's fast bulk deletes."""
    for app_label in CONTENT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if not _is_public(model):
                continue
            post_save.connect(_changed, sender=model, dispatch_uid=f"content-save-{model._meta.label}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"content-delete-{model._meta.label}")
            for field in model._meta.local_many_to_many:
                through = field.remote_field.through
                m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"content-m2m-{through._meta.label}")
    # After every migrate (a restore, a data migration): whatever changed, nothing cached survives.
    post_migrate.connect(_after_migrate, dispatch_uid="content-migrate")


def _after_migrate(sender, **kwargs):
    if sender.label != "directory":
        return
    from directory.models import ContentVersion

    using = kwargs.get("using", "default")
    if using == connection.alias and ContentVersion._meta.db_table in connection.introspection.table_names():
        bump()
