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

What bumps it: a database trigger on every content table (every model of the directory and
mapping apps but the curators' own working records in NOT_PUBLIC, and their many-to-many
tables), so any INSERT, UPDATE or DELETE, by the admin, a bulk action, an import, an
approval, loadseed, queryset.update() or raw SQL, bumps it in the same transaction
(`install_triggers`, re-run after every migrate). `bump()` renews it by hand: after
restore and migrate, and where a command wants to say so.

Writers never wait for each other on it (issue 26, docs/adr/0024). A bump locks the row it
changes until its transaction ends, so with one row a long import would hold every
curator's save (and could deadlock with one) until it committed. On PostgreSQL the version
is therefore kept in *slots*, rows of the same table: a transaction's first bump takes the
first slot no other open transaction holds (`FOR UPDATE SKIP LOCKED`; a new slot when all
are held) and keeps changing that one; the version is the exclusive-or of every slot's
value. Each commit changes its slot and so the version, in the same snapshot as its data;
a rollback puts its slot back, and the version with it. There is one slot (row 1) until two
writers ever overlap, and then only as many as ever overlapped. SQLite lets one writer at a
time write the whole database anyway, so there it is always row 1.
"""
import contextvars
import secrets

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

# Working records that no public page or API shows: saving them changes nothing public.
NOT_PUBLIC = {"PendingChange", "ReminderSent", "Suggestion", "SeedRecord", "OrukImportBase", "ContentVersion",
              # Services checking their entries (issue 20): private, and opening a link must not
              # empty every public cache. Facts they mark checked are Fact rows, which do bump it.
              "CheckInContact", "CheckInInvitation", "SelfAudit",
              # What people searched for (issue 22): written by searches, read by curators only.
              "SearchRecord",
              # Referral summaries prepared (issue 24): a count written by a ping, not content.
              "ReferralPrepared", "SpentPageView"}
CONTENT_APPS = ("directory", "mapping")

# The version read in this request (None: not read yet), kept only while a request is being
# served (ContentVersionMiddleware); elsewhere (commands, tests) every call reads it. Context
# variables, so threads (and async tasks) never see each other's.
_memo = contextvars.ContextVar("content_version", default=None)
_in_request = contextvars.ContextVar("content_version_in_request", default=False)


def current():
    """The content version, as a short string for cache keys and ETags. One query, then
    memoised until the end of the request (or until a save in this request)."""
    value = _memo.get()
    if value is None:
        from directory.models import ContentVersion

        value = _combine(ContentVersion.objects.values_list("value", flat=True))
        if value is None:
            value = _create()
        if _in_request.get():
            _memo.set(value)
    return str(value)


def _combine(values):
    """The version of every slot's value (module docstring): their exclusive-or; None for none."""
    result = None
    for value in values:
        result = value if result is None else result ^ value
    return result


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


def bump(using="default"):
    """Mark the public content as changed, in the current transaction, as the triggers do:
    on PostgreSQL in this transaction's slot (never waiting for another writer's)."""
    from django.db import connections

    from directory.models import ContentVersion

    connection_ = connections[using]
    if connection_.vendor == "postgresql":
        with connection_.cursor() as cursor:
            cursor.execute("SELECT directory_bump_content()")
    elif not ContentVersion.objects.using(using).filter(pk=1).update(value=new_value()):
        _create()
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
        token = _in_request.set(True)
        try:
            return self.get_response(request)
        finally:
            _in_request.reset(token)
            forget()


def _is_public(model):
    name = model.__name__
    return (
        model._meta.app_label in CONTENT_APPS
        and name not in NOT_PUBLIC
        and not name.startswith("Historical")  # simple_history's copies
        and not model._meta.abstract
        and model._meta.managed
        and not model._meta.proxy
    )


def content_tables():
    """The tables whose rows the public sees: every public model's, and its many-to-many tables'."""
    tables = []
    for app_label in CONTENT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if not _is_public(model) or model.__name__ in DERIVED:
                continue
            tables.append(model._meta.db_table)
            for field in model._meta.local_many_to_many:
                tables.append(field.remote_field.through._meta.db_table)
    return sorted(set(tables))


# Tables rebuilt from the others (their changes always come with a change to a content table).
DERIVED = {"ServiceDistrict", "ServiceSearchIndex"}

# A transaction's slot (module docstring) is named in a setting local to the transaction
# (set_config(..., true)): it ends with the transaction, and a rolled-back savepoint puts it
# back together with the slot's lock. Extra slots get random ids (never 1, never waited for).
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION directory_bump_content() RETURNS void AS $$
DECLARE
    slot bigint := NULLIF(current_setting('directory.content_slot', true), '')::bigint;
    fresh bigint := floor(random() * 4611686018427387903)::bigint;
BEGIN
    IF slot IS NOT NULL THEN
        UPDATE {table} SET value = fresh WHERE id = slot;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    SELECT id INTO slot FROM {table} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE {table} SET value = fresh WHERE id = slot;
    ELSE
        slot := NULL;
        WHILE slot IS NULL LOOP
            INSERT INTO {table} (id, value)
            VALUES (CASE WHEN EXISTS (SELECT 1 FROM {table}) THEN 2 + floor(random() * 4611686018427387903)::bigint
                         ELSE 1 END, fresh)
            ON CONFLICT (id) DO NOTHING RETURNING id INTO slot;
        END LOOP;
    END IF;
    PERFORM set_config('directory.content_slot', slot::text, true);
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION directory_content_changed() RETURNS trigger AS $$
BEGIN
    PERFORM directory_bump_content();
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
# SQLite has no statement triggers: a row trigger per kind of change.
_SQLITE_BODY = (
    "INSERT OR IGNORE INTO {version} (id, value) VALUES (1, random() & 4611686018427387903); "
    "UPDATE {version} SET value = random() & 4611686018427387903 WHERE id = 1;"
)


def install_triggers(using="default"):
    """Database triggers that bump the content version on every INSERT, UPDATE and DELETE
    (and TRUNCATE, on PostgreSQL) of a content table, in the writing transaction.

    Signals miss queryset.update(), bulk_create, loaddata's raw saves and raw SQL; a
    trigger misses nothing, whoever writes. Re-created after every migrate, because SQLite
    migrations that alter a table re-create it without its triggers, and so that a new
    content model gets its trigger without anyone remembering to add one.
    """
    from django.db import connections

    from directory.models import ContentVersion

    connection_ = connections[using]
    quote = connection_.ops.quote_name
    version = quote(ContentVersion._meta.db_table)
    existing = set(connection_.introspection.table_names())
    with connection_.cursor() as cursor:
        if connection_.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION.format(table=version))
        for table in content_tables():
            if table not in existing:
                continue
            if connection_.vendor == "postgresql":
                name = quote(f"content_changed_{table}"[:63])
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quote(table)}")
                cursor.execute(f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(table)} "
                               f"FOR EACH STATEMENT EXECUTE FUNCTION directory_content_changed()")
            elif connection_.vendor == "sqlite":
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = quote(f"content_changed_{table}_{event.lower()}")
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(f"CREATE TRIGGER {name} AFTER {event} ON {quote(table)} "
                                   f"BEGIN {_SQLITE_BODY.format(version=version)} END")
            else:  # pragma: no cover - the project runs on these two only
                raise NotImplementedError(connection_.vendor)


def _forget(sender, **kwargs):
    # The trigger has bumped the version in the database; this request must read it afresh.
    forget()


def connect_signals():
    """After every migrate: install the triggers and renew the version. On every save of a
    content model: forget the version this request read (the trigger changed it)."""
    for app_label in CONTENT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if _is_public(model):
                post_save.connect(_forget, sender=model, dispatch_uid=f"content-save-{model._meta.label}")
                post_delete.connect(_forget, sender=model, dispatch_uid=f"content-delete-{model._meta.label}")
    m2m_changed.connect(_forget, dispatch_uid="content-m2m")
    post_migrate.connect(_after_migrate, dispatch_uid="content-migrate")


def _after_migrate(sender, **kwargs):
    if sender.label != "directory":
        return
    from django.db import connections

    from directory.models import ContentVersion

    using = kwargs.get("using", "default")
    if ContentVersion._meta.db_table in connections[using].introspection.table_names():
        install_triggers(using)
        bump(using)
