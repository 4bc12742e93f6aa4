"""What a check-in page submission does (issue 20), in one transaction:

- the facts the service changed (and the self-audit's answers that are directory facts: ages,
  criteria, cost, languages, a new way in, new venues; its sessions corrected, ended or new)
  become ONE proposal from the service
  (`moderation.propose_change(invitation=...)`), moderated like an organisation editor's; an
  earlier proposal from the same link that is still waiting is replaced;
- the facts it marked "Still right" are "checked by the service" today, at once;
- a `SelfAudit` keeps every answer and the barriers they show;
- the invitation records when it was answered.
"""
from django.db import transaction
from django.utils import timezone

from directory.checkins.barriers import barriers_from
from directory.core.sources import FactIndex
from directory.curation import moderation
from directory.models import Fact, SelfAudit, SourceKind, Status

ROUTE_FIELDS = ("referrer", "professions", "method", "how_to_refer", "acceptance_criteria", "exclusions",
                "waiting_time", "contact", "url")
YES_NO_WORDS = {"yes": "yes", "no": "no", "not_sure": "not sure"}


def _new_value(model_field, value):
    if model_field in ("languages", "delivery_modes"):
        return sorted(term.pk for term in value or [])
    return value if value is not None else (None if model_field.endswith(("_months", "_years")) else "")


def accessibility_words(venue):
    """The service's answers about a new venue, as its words (never as the IMHSG's finding)."""
    lines = []
    if venue.get("step_free"):
        lines.append(f"Step-free access: {YES_NO_WORDS[venue['step_free']]} (the service says)")
    if venue.get("free"):
        lines.append(f"Free for families to use: {YES_NO_WORDS[venue['free']]} (the service says)")
    return "\n".join(lines)


def changes_from(form):
    """The proposal's changes (directory/curation/moderation.py's format) from a valid form."""
    cleaned, service = form.cleaned_data, form.service
    changes = {"service": {}, "routes": [], "venues": [], "sessions": [], moderation.NOTES: [],
               moderation.NEW_VENUES: []}
    routes = {}
    for item in form.changed_items:
        if item.note:
            about = item.label if item.group == "About the service" else f"{item.group}: {item.label}"
            changes[moderation.NOTES].append({"about": about, "text": cleaned[f"{item.name}-note"]})
            continue
        targets = item.targets
        if item.name == "ages" and cleaned["ages-from"] is None:
            targets = targets[2:]  # no baby ages given: the parent's limits only
        for record, instance, model_field, name in targets:
            base = moderation.current_value(instance, model_field)
            new = _new_value(model_field, cleaned[name])
            if new == base or (new in ("", None) and base in ("", None)):
                continue
            entry = {"base": base, "new": new}
            if record == "service":
                changes["service"][model_field] = entry
            else:
                routes.setdefault(instance.pk, {"id": instance.pk, "action": "change", "fields": {}})["fields"][
                    model_field] = entry
        if item.name == "ages" and cleaned["ages-from"] is not None and service.age_range != "range":
            changes["service"]["age_range"] = {"base": service.age_range, "new": "range"}
    changes["routes"] = list(routes.values())
    if cleaned.get("newroute_referrer"):
        changes["routes"].append({"id": None, "action": "add", "fields": {
            name: {"base": None, "new": cleaned.get(f"newroute_{name}") or ""} for name in ROUTE_FIELDS}})
    for session, fields in form.changed_sessions:
        if fields is None:  # "It no longer runs": the IMHSG removes it on approval
            changes["sessions"].append({"id": session.pk, "action": "delete", "fields": {}})
        else:
            changes["sessions"].append({"id": session.pk, "action": "change", "fields": fields})
    if form.new_session:
        # Published when the IMHSG approves: what the service proposed is then on the what's-on page.
        fields = {name: {"base": None, "new": value} for name, value in form.new_session.items()}
        fields["status"] = {"base": None, "new": Status.PUBLISHED}
        changes["sessions"].append({"id": None, "action": "add", "fields": fields})
    for venue in form.new_venues:
        values = {"name": venue["name"], "address": venue["address"], "postcode": venue["postcode"],
                  "accessibility": accessibility_words(venue)}
        changes[moderation.NEW_VENUES].append({"fields": {k: {"base": None, "new": v} for k, v in values.items()}})
    return {key: value for key, value in changes.items() if value}


def audit_answers(form):
    """Every answer, by barriers.py's keys: the questions asked as such, and the facts the
    service changed or said are still right, as they will read."""
    cleaned = form.cleaned_data
    answers = form.audit_answers()
    answered = {item.name: item for item in form.changed_items + form.right_items}

    def final(name, field):
        item = answered[name]
        for _, instance, model_field, form_name in item.targets:
            if model_field == field:
                if item in form.changed_items:
                    return _new_value(model_field, cleaned[form_name])
                return moderation.current_value(instance, model_field)
        return None

    if "ages" in answered:
        for key in ("age_from_months", "age_to_months", "parent_min_age_years", "parent_max_age_years"):
            answers[key] = final("ages", key)
    if "eligibility" in answered:
        answers["eligibility"] = final("eligibility", "eligibility_description")
    if "cost" in answered:
        answers["cost"] = final("cost", "cost")
    if "languages" in answered:
        pks = set(final("languages", "languages"))
        answers["languages"] = sorted(term.code for term in form.fields["languages-new"].queryset if term.pk in pks)
    for key, field, suffix in (("exclusions", "exclusions", "exclusions"), ("how_to_refer", "how_to_refer", "how"),
                               ("typical_wait", "waiting_time", "wait")):
        said = [final(name, field) for name in answered if name.startswith("route") and name.endswith(f"-{suffix}")]
        if cleaned.get(f"newroute_{field}"):
            said.append(cleaned[f"newroute_{field}"])
        if any(said):
            answers[key] = "\n".join(text for text in said if text)
    if form.new_venues:
        answers["venues"] = form.new_venues
    return answers


def mark_checked(*, service, items, today):
    """The facts the service said are still right: checked by the service today. A fact with no
    source recorded yet gets one (the provider's); an empty fact is never marked."""
    items = [item for item in items if item.owner is not None and item.fact and item.shown]
    if not items:
        return 0
    index = FactIndex.for_services([service])
    owner_field = {"Service": "service", "ReferralRoute": "route", "Venue": "venue"}
    ids = []
    for item in items:
        fact = index.get(item.owner, item.fact)
        if fact is None:
            fact = Fact.objects.create(**{owner_field[type(item.owner).__name__]: item.owner}, field=item.fact,
                                       kind=SourceKind.PROVIDER)
        ids.append(fact.pk)
    return Fact.objects.filter(pk__in=ids).update(checked_by_service_on=today)


def checkin_submit(*, invitation, form, now=None):
    """Record a valid check-in form. Returns the SelfAudit (its pending_change, if any)."""
    now = now or timezone.now()
    service = form.service
    with transaction.atomic():
        changes = changes_from(form)
        pending = None
        if not moderation.is_empty(changes):
            data = {key: form.data.getlist(key) for key in form.data if key != "csrfmiddlewaretoken"}
            pending = moderation.propose_change(service=service, invitation=invitation, changes=changes, data=data)
        mark_checked(service=service, items=form.right_items, today=timezone.localdate(now))
        answers = audit_answers(form)
        audit = SelfAudit.objects.create(
            service=service, invitation=invitation, submitted_at=now,
            answered_by=form.cleaned_data.get("answered_by", ""), answers=answers,
            facts_still_right=[item.key for item in form.right_items] + [row.key for row in form.right_sessions],
            pending_change=pending,
            **barriers_from(answers))
        invitation.answered_at = now
        invitation.save(update_fields=["answered_at"])
    return audit
