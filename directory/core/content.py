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

Versions per kind of content (issue 26, docs/adr/0028). Every content table belongs to one
kind (`KIND_OF`): the services and what is about them, the controlled lists and parents'
words ("reference"), the places ("places"), sessions and events ("whatson") and the needs
model's settings ("needs"). Each kind has its own slots (rows with that `kind`, the first at
the kind's fixed id in `KINDS`), bumped by its tables' triggers only. A cache entry or ETag is
keyed by the versions of the kinds it reads (`current(kinds)`; every kind unless it says
less), so a session's save leaves the search pages warm, a service's save the wards' GeoJSON
and the About page. What a cached view may say it reads is checked against the tables it
does read (tests/directory/core/test_content_kinds.py): a view that read a kind it did not
name would serve a page older than its data.
"""
import contextvars
import hashlib
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
              "ReferralPrepared", "SpentPageView",
              # An import's job (issue 26): its progress; the rows it writes bump their own kinds.
              "ImportJob",
              # The facet index's change log (issue 26): written by triggers after content changes.
              "ServiceChange"}
CONTENT_APPS = ("directory", "mapping")

# The kinds of content, each with the fixed id of its first slot (module docstring).
KINDS = {"services": 1, "reference": 2, "places": 3, "whatson": 4, "needs": 5}
ALL_KINDS = tuple(KINDS)
# The kind of each public model that is not "services" (the default: a new model is about
# services until someone says otherwise, and so goes cold with them, the safe side).
# Many-to-many tables take the kind of the model that declares them.
KIND_OF = {
    # The controlled lists and what curators write for parents and search.
    "Level": "reference", "Need": "reference", "Intervention": "reference", "DeliveryMode": "reference",
    "Language": "reference", "ParentTopic": "reference", "UrgentHelp": "reference", "SearchSynonym": "reference",
    "NeedStep": "reference",
    "District": "places", "Ward": "places", "Postcode": "places",
    "TermDate": "whatson", "Session": "whatson", "SessionException": "whatson", "KnowledgeEvent": "whatson",
    "NeedsModelSettings": "needs",
}


def kind_of(model):
    return KIND_OF.get(model.__name__, "services")

# The version read in this request (None: not read yet), kept only while a request is being
# served (ContentVersionMiddleware); elsewhere (commands, tests) every call reads it. Context
# variables, so threads (and async tasks) never see each other's.
_memo = contextvars.ContextVar("content_version", default=None)  # {kind: version}
_in_request = contextvars.ContextVar("content_version_in_request", default=False)


def current(kinds=None):
    """The content version of `kinds` (every kind when None), as a short string for cache keys
    and ETags. One query for every kind, then memoised until the end of the request (or until
    a save in this request)."""
    values = _memo.get()
    if values is None:
        values = _read()
        if _in_request.get():
            _memo.set(values)
    return _name(values, ALL_KINDS if kinds is None else kinds)


def _name(values, kinds):
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise ValueError(f"unknown kinds of content: {sorted(unknown) or kinds!r}")
    wanted = sorted(set(kinds))
    if len(wanted) == 1:
        return str(values[wanted[0]])
    # Several kinds: a digest of each one's value (a new value in any of them, a new name).
    joined = ";".join(f"{kind}={values[kind]}" for kind in wanted)
    return hashlib.blake2b(joined.encode(), digest_size=10).hexdigest()


def _read():
    """{kind: version} from every slot, in one query; a kind with no row yet gets its first."""
    from directory.models import ContentVersion

    slots = {}
    for kind, value in ContentVersion.objects.values_list("kind", "value"):
        slots.setdefault(kind, []).append(value)
    values = {kind: _combine(slots.get(kind, ())) for kind in KINDS}
    for kind, value in values.items():
        if value is None:
            values[kind] = _create(kind)
    return values


def _combine(values):
    """The version of every slot's value (module docstring): their exclusive-or; None for none."""
    result = None
    for value in values:
        result = value if result is None else result ^ value
    return result


def _create(kind):
    from directory.models import ContentVersion

    row, _ = ContentVersion.objects.get_or_create(pk=KINDS[kind], defaults={"value": new_value(), "kind": kind})
    return row.value


def new_value():
    """A fresh random version, not a counter: a version then names one state of the data.
    A rolled-back transaction (every test), or a restored backup, brings back an older
    value together with the data it was made from, so entries cached under it are still
    true; an incremented counter would reuse a number for different data."""
    return secrets.randbits(62)


def bump(using="default", kinds=None):
    """Mark the public content of `kinds` (every kind when None) as changed, in the current
    transaction, as the triggers do: on PostgreSQL in this transaction's slots (never waiting
    for another writer's)."""
    from django.db import connections

    from directory.models import ContentVersion

    connection_ = connections[using]
    for kind in (ALL_KINDS if kinds is None else kinds):
        if connection_.vendor == "postgresql":
            with connection_.cursor() as cursor:
                cursor.execute("SELECT directory_bump_content(%s, %s)", [kind, KINDS[kind]])
        elif not ContentVersion.objects.using(using).filter(pk=KINDS[kind]).update(value=new_value()):
            ContentVersion.objects.using(using).create(pk=KINDS[kind], kind=kind, value=new_value())
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
    """{table: kind} for the tables whose rows the public sees: every public model's, and its
    many-to-many tables' (of the kind of the model that declares them)."""
    tables = {}
    for app_label in CONTENT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if not _is_public(model) or model.__name__ in DERIVED:
                continue
            tables[model._meta.db_table] = kind_of(model)
            for field in model._meta.local_many_to_many:
                tables[field.remote_field.through._meta.db_table] = kind_of(model)
    return dict(sorted(tables.items()))


# Tables rebuilt from the others (their changes always come with a change to a content table).
DERIVED = {"ServiceDistrict", "ServiceSearchIndex"}

# A transaction's slot (module docstring) is named in a setting local to the transaction
# (set_config(..., true)): it ends with the transaction, and a rolled-back savepoint puts it
# back together with the slot's lock. Extra slots get random ids (never 1, never waited for).
_PG_FUNCTION = """
DROP FUNCTION IF EXISTS directory_bump_content();
CREATE OR REPLACE FUNCTION directory_bump_content(p_kind text, p_first bigint) RETURNS void AS $$
DECLARE
    setting text := 'directory.content_slot_' || p_kind;
    slot bigint := NULLIF(current_setting(setting, true), '')::bigint;
    fresh bigint := floor(random() * 4611686018427387903)::bigint;
BEGIN
    IF slot IS NOT NULL THEN
        UPDATE {table} SET value = fresh WHERE id = slot;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    SELECT id INTO slot FROM {table} WHERE kind = p_kind ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE {table} SET value = fresh WHERE id = slot;
    ELSE
        slot := NULL;
        WHILE slot IS NULL LOOP
            INSERT INTO {table} (id, kind, value)
            VALUES (CASE WHEN EXISTS (SELECT 1 FROM {table} WHERE kind = p_kind)
                         THEN 1000 + floor(random() * 4611686018427387903)::bigint
                         ELSE p_first END, p_kind, fresh)
            ON CONFLICT (id) DO NOTHING RETURNING id INTO slot;
        END LOOP;
    END IF;
    PERFORM set_config(setting, slot::text, true);
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION directory_content_changed() RETURNS trigger AS $$
BEGIN
    -- The trigger's arguments name its table's kind; a trigger made before kinds has none.
    PERFORM directory_bump_content(COALESCE(TG_ARGV[0], 'services'), COALESCE(TG_ARGV[1], '1')::bigint);
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
# SQLite has no statement triggers: a row trigger per kind of change, on the kind's one row.
_SQLITE_BODY = (
    "INSERT OR IGNORE INTO {version} (id, kind, value) VALUES ({first}, '{kind}', random() & 4611686018427387903); "
    "UPDATE {version} SET value = random() & 4611686018427387903 WHERE id = {first};"
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
        for table, kind in content_tables().items():
            if table not in existing:
                continue
            if connection_.vendor == "postgresql":
                name = quote(f"content_changed_{table}"[:63])
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quote(table)}")
                cursor.execute(f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(table)} "
                               f"FOR EACH STATEMENT EXECUTE FUNCTION directory_content_changed('{kind}', '{KINDS[kind]}')")
            elif connection_.vendor == "sqlite":
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = quote(f"content_changed_{table}_{event.lower()}")
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(f"CREATE TRIGGER {name} AFTER {event} ON {quote(table)} "
                                   f"BEGIN {_SQLITE_BODY.format(version=version, kind=kind, first=KINDS[kind])} END")
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
