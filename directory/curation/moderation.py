"""The curators' writes, as plain functions (issue 18): propose, approve and reject a change,
archive and restore, revert to an earlier version, confirm facts.

The admin parses and validates what a person typed; these functions decide and write. They
take keyword-only arguments, check nothing about roles (the caller has; see
directory/curation/roles.py) and are safe against other writers:

- A proposal records what its author changed, field by field, with the value each field had
  when they made it (the *base*) and the history id of the service then. Approving applies
  only those fields. Where a field has changed on the live record since the proposal was made
  (an IMHSG editor's later edit), the approval stops with a `Conflicts` listing each one; the
  editor chooses, field by field, to keep the live value or take the proposed one.
- Approve and reject decide with a conditional update of the proposal's status, so when two
  editors decide at once exactly one wins; the other gets `AlreadyDecided`.
"""
from dataclasses import dataclass, field as dataclass_field
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from directory.models import ChangeStatus, PendingChange
from directory.models import ReferralRoute, Service, ServiceAtLocation, Session, Status, Venue
from directory.models import Fact
from directory.core.provenance import record_curator_edits
from directory.curation.review import next_review_after

# The inline records a proposal can change, by the key they are stored under. Sessions come only
# from a service's check-in (its corrections, "no longer runs" and a new one: issue 23); the
# admin changes sessions on their own page (docs/adr/0021-sessions-and-events.md).
INLINES = {"routes": ReferralRoute, "venues": ServiceAtLocation, "sessions": Session}
# Never part of a proposal: who and when, not what.
SKIPPED = {"id", "service", "DELETE", "uuid", "created", "modified"}
# Two more kinds of entry a service's check-in can make (issue 20): notes for the editor about
# facts no field holds ("who runs it", "area": [{"about", "text"}]), read and acted on by hand,
# and venues new to the directory ([{"fields": {"name", "address", "postcode", "accessibility"}}],
# each {"base": None, "new": ...}), created with the service placed there on approval.
NOTES, NEW_VENUES = "notes", "new_venues"
NEW_VENUE_FIELDS = ("name", "address", "postcode", "accessibility")

# Sent after a proposal is rejected (the rejection is saved): `change`, with its reason. The
# check-in package e-mails a service its reason (directory/checkins/notify.py); curation does
# not import it.
change_rejected = Signal()


class AlreadyDecided(Exception):
    """Someone else approved, rejected or replaced the proposal first."""

    def __init__(self, change):
        self.change = change
        who = f" by {change.decided_by}" if change.decided_by_id else ""
        super().__init__(f"This proposal was already {change.get_status_display().lower()}{who}.")


@dataclass(frozen=True)
class Conflict:
    """A field the proposal changes that has also changed on the live record since."""

    key: str       # how the editor's choice is named in the review form
    record: str
    field: str
    base: str      # when the proposal was made
    live: str      # now
    proposed: str


class Conflicts(Exception):
    def __init__(self, conflicts):
        self.conflicts = conflicts
        super().__init__(f"{len(conflicts)} field(s) changed since the proposal was made.")


# --- Values as JSON, and back ------------------------------------------------------------

def _jsonable(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return sorted(_jsonable(v) for v in value)
    return value


def current_value(instance, name):
    """A field's value on a saved record, as it is stored in a proposal."""
    model_field = instance._meta.get_field(name)
    if model_field.many_to_many:
        return sorted(getattr(instance, name).values_list("pk", flat=True))
    return _jsonable(model_field.value_from_object(instance))


def _set(instance, name, value):
    model_field = instance._meta.get_field(name)
    if model_field.many_to_many:
        return  # set after the save
    setattr(instance, model_field.attname, model_field.to_python(value))


def shown(instance_or_model, name, value):
    """A stored value in words, for the review page."""
    model = instance_or_model if isinstance(instance_or_model, type) else type(instance_or_model)
    model_field = model._meta.get_field(name)
    if value in (None, "", []):
        return "(empty)"
    if model_field.is_relation:
        related = model_field.related_model.objects.filter(pk__in=value if isinstance(value, list) else [value])
        names = sorted(str(obj) for obj in related)
        return ", ".join(names) if names else "(removed)"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(model_field, models.TimeField):
        return str(value)[:5]  # "10:00", as the session's own pages say it
    return str(value)


def label(model, name):
    return str(model._meta.get_field(name).verbose_name).capitalize()


# --- Proposing ---------------------------------------------------------------------------

def changes_from_forms(*, service, form, formsets):
    """What a submitted change form would change on the live `service`, field by field, each
    with its value now (the base) and the proposed value. `form` and `formsets` are valid."""
    live = Service.objects.get(pk=service.pk)
    changes = {"service": {}, **{key: [] for key in INLINES if key != "sessions"}}  # sessions: not a formset here
    for name in form.changed_data:
        if name in SKIPPED or name not in form.cleaned_data:
            continue
        base, new = current_value(live, name), _jsonable(form.cleaned_data[name])
        if base != new:
            changes["service"][name] = {"base": base, "new": new}
    for formset in formsets:
        key = next((k for k, model in INLINES.items() if formset.model is model), None)
        if key is None:
            continue
        deleted = set(map(id, formset.deleted_forms))
        for inline_form in formset.forms:
            instance = inline_form.instance
            if id(inline_form) in deleted:
                if instance.pk:
                    changes[key].append({"id": instance.pk, "action": "delete", "fields": {
                        name: {"base": current_value(instance, name), "new": None}
                        for name in inline_form.fields if name not in SKIPPED}})
                continue
            if not inline_form.has_changed():
                continue
            if instance.pk:
                row = type(instance).objects.get(pk=instance.pk)
                fields = {}
                for name in inline_form.changed_data:
                    if name in SKIPPED:
                        continue
                    base, new = current_value(row, name), _jsonable(inline_form.cleaned_data.get(name))
                    if base != new:
                        fields[name] = {"base": base, "new": new}
                if fields:
                    changes[key].append({"id": instance.pk, "action": "change", "fields": fields})
            else:
                fields = {name: {"base": None, "new": _jsonable(inline_form.cleaned_data.get(name))}
                          for name in inline_form.fields if name not in SKIPPED}
                changes[key].append({"id": None, "action": "add", "fields": fields})
    return changes


def is_empty(changes):
    return not changes or not (changes.get("service") or any(changes.get(key) for key in (*INLINES, NOTES, NEW_VENUES)))


def propose_change(*, service, changes, submitted_by=None, invitation=None, data=None):
    """Hold `changes` to a service for approval, from a person's account (`submitted_by`) or
    from the service itself through its check-in link (`invitation`): exactly one. An earlier
    proposal from the same account or link that is still waiting is replaced. Returns the new
    PendingChange."""
    if (submitted_by is None) == (invitation is None):
        raise ValueError("A proposal comes from one account or one check-in invitation.")
    proposer = {"submitted_by": submitted_by} if submitted_by is not None else {"invitation": invitation}
    latest = service.history.order_by("-history_date", "-history_id").values_list("history_id", flat=True).first()
    with transaction.atomic():
        PendingChange.objects.filter(service_id=service.pk, status=ChangeStatus.PENDING, **proposer).update(
            status=ChangeStatus.SUPERSEDED)
        return PendingChange.objects.create(service_id=service.pk, data=data or {}, changes=changes,
                                            base_history_id=latest, **proposer)


# --- Reviewing ---------------------------------------------------------------------------

@dataclass
class Review:
    """A proposal read against the live record: each change in words, and the conflicts."""

    rows: list = dataclass_field(default_factory=list)       # (record, field, now, proposed)
    conflicts: list = dataclass_field(default_factory=list)  # Conflict
    problems: list = dataclass_field(default_factory=list)   # str: parts that can no longer apply


def _inline_label(model, row_id=None, instance=None):
    noun = model._meta.verbose_name.capitalize()
    return f"{noun}: {instance}" if instance is not None else f"New {noun.lower()}" if row_id is None else noun


def review(change):
    """What approving `change` would do now."""
    service = Service.objects.get(pk=change.service_id)
    result = Review()
    for name, values in change.changes.get("service", {}).items():
        live = current_value(service, name)
        result.rows.append(("Service", label(Service, name), shown(Service, name, live),
                            shown(Service, name, values["new"])))
        if live != values["base"] and live != values["new"]:
            result.conflicts.append(Conflict(f"service.{name}", "Service", label(Service, name),
                                             shown(Service, name, values["base"]), shown(Service, name, live),
                                             shown(Service, name, values["new"])))
    for key, model in INLINES.items():
        entries = change.changes.get(key, [])
        rows = {row.pk: row for row in model.objects.filter(pk__in=[e["id"] for e in entries if e["id"]],
                                                             service_id=service.pk)}
        for entry in entries:
            row = rows.get(entry["id"])
            if entry["action"] == "add":
                title = _inline_label(model)
                for name, values in entry["fields"].items():
                    if values["new"] not in (None, "", [], False):
                        result.rows.append((title, label(model, name), "(none)", shown(model, name, values["new"])))
                continue
            if row is None:
                if entry["action"] == "change":
                    result.problems.append(f"{_inline_label(model, entry['id'])} {entry['id']} was removed since the "
                                           "proposal was made; its changes cannot apply.")
                continue
            title = _inline_label(model, entry["id"], row)
            if entry["action"] == "delete":
                result.rows.append((title, "Removed", str(row), "(removed)"))
                continue
            for name, values in entry["fields"].items():
                live = current_value(row, name)
                result.rows.append((title, label(model, name), shown(model, name, live),
                                    shown(model, name, values["new"])))
                if live != values["base"] and live != values["new"]:
                    result.conflicts.append(Conflict(f"{key}.{row.pk}.{name}", title, label(model, name),
                                                     shown(model, name, values["base"]), shown(model, name, live),
                                                     shown(model, name, values["new"])))
    for entry in change.changes.get(NEW_VENUES, []):
        for name in NEW_VENUE_FIELDS:
            value = entry["fields"].get(name, {}).get("new")
            if value:
                result.rows.append(("New venue", label(Venue, name), "(none)", str(value)))
    for note in change.changes.get(NOTES, []):
        # Not applied by approving: the editor reads it and changes the record by hand if it is right.
        result.rows.append(("Note from the service (not applied: change by hand)", str(note.get("about", "")),
                            "", str(note.get("text", ""))))
    return result


# --- Deciding ----------------------------------------------------------------------------

def _decide(change, status, by, reason=""):
    """The conditional update that makes exactly one decision win."""
    now = timezone.now()
    won = PendingChange.objects.filter(pk=change.pk, status=ChangeStatus.PENDING).update(
        status=status, decided_by=by, decided_at=now, reason=reason)
    change.refresh_from_db()
    if not won:
        raise AlreadyDecided(change)


def reject_change(*, change, decided_by, reason):
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ValidationError("Give a reason for the submitter before rejecting.")
    with transaction.atomic():
        _decide(change, ChangeStatus.REJECTED, decided_by, reason)
    change_rejected.send(sender=PendingChange, change=change)
    return change


def approve_change(*, change, decided_by, choices=None):
    """Apply the fields `change` changes to the live service and its routes and venues.

    `choices` maps a conflict's key to "live" (keep what the record says now) or "proposed".
    Raises Conflicts when a conflict has no choice, AlreadyDecided when someone else decided
    first, ValidationError when the result could not be published; nothing is written then."""
    choices = choices or {}
    with transaction.atomic():
        # Locks the service row (PostgreSQL) so an edit cannot land between the check and the write.
        service = Service.objects.select_for_update().get(pk=change.service_id)
        found = review(change)
        if found.problems:
            raise ValidationError(found.problems)
        unresolved = [c for c in found.conflicts if choices.get(c.key) not in ("live", "proposed")]
        if unresolved:
            raise Conflicts(unresolved)
        _decide(change, ChangeStatus.APPROVED, decided_by)
        keep_live = {key for key, choice in choices.items() if choice == "live"}

        service_fields = {name: values["new"] for name, values in change.changes.get("service", {}).items()
                          if f"service.{name}" not in keep_live}
        for name, value in service_fields.items():
            _set(service, name, value)
        service._change_reason = f"Approved change proposed by {change.proposed_by}"
        service._history_user = decided_by
        for key, model in INLINES.items():
            _apply_inline(service, key, model, change.changes.get(key, []), keep_live, decided_by, change)
        _add_venues(service, change.changes.get(NEW_VENUES, []), decided_by, change)
        _check(service)
        service.save()
        for name, value in service_fields.items():
            if service._meta.get_field(name).many_to_many:
                getattr(service, name).set(value)
        # The provider proposed it and the IMHSG approved it: the changed facts are confirmed today.
        _vouch(service, list(service_fields), decided_by, change)
    return change


def _vouch(obj, fields, by, change):
    """The approved facts come from the approving editor, confirmed today; when the service
    itself sent them (its check-in), they are also checked by the service, on the day it did."""
    facts = record_curator_edits(obj, fields, by)
    if change.from_the_service and facts:
        owner = {"Service": "service", "ReferralRoute": "route", "Venue": "venue"}[type(obj).__name__]
        Fact.objects.filter(**{owner: obj}, field__in=facts).update(
            checked_by_service_on=timezone.localdate(change.submitted_at))


def _add_venues(service, entries, by, change):
    """Venues new to the directory: the venue (or the one already recorded under that name and
    postcode: venues are shared), and the service placed there unless it already is."""
    reason = f"Approved change proposed by {change.proposed_by}"
    for entry in entries:
        values = {name: (entry["fields"].get(name, {}).get("new") or "") for name in NEW_VENUE_FIELDS}
        venue = Venue(**values)
        try:
            venue.full_clean(validate_unique=False)  # the postcode must be known; places it on the map
        except ValidationError as error:
            raise ValidationError([f"New venue {values['name']}: {m}" for m in error.messages]) from error
        existing = Venue.objects.filter(name=venue.name, postcode=venue.postcode).first()
        if existing is None:
            venue._change_reason, venue._history_user = reason, by
            venue.save()
            _vouch(venue, ["address"], by, change)
        else:
            venue = existing
        if not ServiceAtLocation.objects.filter(service=service, venue=venue).exists():
            placed = ServiceAtLocation(service=service, venue=venue)
            placed._change_reason, placed._history_user = reason, by
            placed.save()


def _apply_inline(service, key, model, entries, keep_live, by, change):
    reason = f"Approved change proposed by {change.proposed_by}"
    for entry in entries:
        if entry["action"] == "add":
            row = model(service=service)
            for name, values in entry["fields"].items():
                _set(row, name, values["new"])
        else:
            row = model.objects.filter(pk=entry["id"], service=service).first()
            if row is None:
                continue  # already gone: a removal has nothing left to do
            if entry["action"] == "delete":
                row._change_reason, row._history_user = reason, by
                row.delete()
                continue
            fields = [name for name in entry["fields"] if f"{key}.{row.pk}.{name}" not in keep_live]
            if not fields:
                continue
            for name in fields:
                _set(row, name, entry["fields"][name]["new"])
        try:
            # Every rule, the service's included: a venue the service was given since the
            # proposal breaks the unique (service, venue) rule, and says so here, not in the database.
            row.full_clean()
        except ValidationError as error:
            raise ValidationError([f"{_inline_label(model, row.pk, row if row.pk else None)}: {m}"
                                   for m in error.messages]) from error
        row._change_reason, row._history_user = reason, by
        row.save()
        if model is ReferralRoute:
            changed = list(entry["fields"]) if entry["action"] == "add" else fields
            _vouch(row, changed, by, change)


def _check(service):
    """The rules the admin form enforces, applied to the result of an approval."""
    try:
        service.full_clean(exclude=["slug"])
    except ValidationError as error:
        raise ValidationError([f"{label(Service, name) if name != '__all__' else 'Service'}: {m}"
                               for name, messages in error.message_dict.items() for m in messages]) from error
    if service.status == Status.PUBLISHED:
        problems = service.publishing_problems(service.referral_routes.count())
        if problems:
            raise ValidationError(problems)


# --- Archive, restore, review dates, facts -------------------------------------------------

def _set_status(services, status, by, reason):
    # No post_save here (bulk update); the search tables need none: they hold every
    # service whatever its status (docs/adr/0012).
    changed = [s for s in services if s.status != status]
    for service in changed:
        service.status = status
    bulk_update_with_history(changed, Service, ["status"], batch_size=500, default_user=by,
                             default_change_reason=reason)
    return len(changed)


def archive_services(*, services, archived_by):
    """Take services off every public page (they can be restored). Returns how many changed."""
    with transaction.atomic():
        return _set_status(list(services.select_for_update()), Status.ARCHIVED, archived_by, "Archived")


def restore_services(*, services, restored_by):
    """Publish services again, those that meet the publishing rules. Returns (published, skipped)."""
    with transaction.atomic():
        rows = list(services.select_for_update())
        counts = dict(ReferralRoute.objects.filter(service__in=rows).values("service")
                      .annotate(n=models.Count("pk")).values_list("service", "n"))
        ready = [s for s in rows if not s.publishing_problems(counts.get(s.pk, 0))]
        return _set_status(ready, Status.PUBLISHED, restored_by, "Restored"), len(rows) - len(ready)


def mark_reviewed(*, services, reviewed_by, today=None):
    """Checked today: the next review a year ahead, recorded in each service's history."""
    today = today or timezone.localdate()
    rows = list(services)
    for service in rows:
        service.last_reviewed, service.next_review_due = today, next_review_after(today)
    bulk_update_with_history(rows, Service, ["last_reviewed", "next_review_due"], batch_size=500,
                             default_user=reviewed_by, default_change_reason="Marked as checked today")
    return len(rows)


def confirm_facts(*, facts, confirmed_by):
    return Fact.objects.filter(pk__in=facts.values("pk")).confirm(confirmed_by)


# --- Revert --------------------------------------------------------------------------------

# Never copied back from an old version: identity and bookkeeping.
NOT_REVERTED = {"id", "uuid", "created", "modified"}


def revert_to_version(*, record, history_id, reverted_by):
    """Make `record` say what it said in its historical version `history_id` (its own fields
    and, for a service, its tracked many-to-many sets). Checked like any save; recorded in the
    history as a revert. Returns the list of fields that changed."""
    model = type(record)
    history_model = model.history.model
    version = record.history.get(history_id=history_id)
    with transaction.atomic():
        live = model.objects.select_for_update().get(pk=record.pk)
        changed = []
        for model_field in model._meta.concrete_fields:
            if model_field.name in NOT_REVERTED or model_field.name in history_model._history_excluded_fields:
                continue
            # Read from the historical row itself: simple-history's `.instance` overlays today's
            # values on a model with excluded fields (organisations exclude their editors).
            value = getattr(version, model_field.attname)
            if getattr(live, model_field.attname) != value:
                setattr(live, model_field.attname, value)
                changed.append(model_field.name)
        sets = {}
        for m2m in getattr(history_model, "_history_m2m_fields", []):
            name = m2m.name
            wanted = sorted(getattr(version, name).values_list(model._meta.get_field(name).m2m_reverse_field_name(),
                                                                 flat=True))
            if wanted != current_value(live, name):
                sets[name] = wanted
                changed.append(name)
        if not changed:
            return []
        try:
            live.full_clean(exclude=["slug"] if model is Service else None)
        except ValidationError as error:
            raise ValidationError([f"{m}" for m in error.messages]) from error
        if model is Service and live.status == Status.PUBLISHED:
            problems = live.publishing_problems(live.referral_routes.count())
            if problems:
                raise ValidationError(problems)
        live._change_reason = f"Reverted to the version of {version.history_date:%-d %b %Y %H:%M}"
        live._history_user = reverted_by
        live.save()
        for name, values in sets.items():
            getattr(live, name).set(values)
        record_curator_edits(live, changed, reverted_by)
    return changed
