"""The three-way merge that lets `import_oruk` update a draft without undoing a curator's work.

For every part of a draft the import compares three values, as `updatereference` does for
reference data (directory/seed/reference.py):

- base: what the feed said the last time it was imported (`OrukImportBase`);
- ours: what the draft holds now;
- theirs: what the feed says now.

If the feed has not changed it (theirs == base) or both agree, the draft keeps its value.
If only the feed changed it (ours == base), the feed's value is taken. If both changed it,
differently, the curator's value is kept and the conflict is reported and written into the
draft's curator notes.

The parts are: each mapped field (fields that must agree with each other, such as an age
range and its bounds, are one part, so a merge never pairs one side's "from" with the
other's "to"), each many-to-many set, each referral route (by the feed's route id, field by
field) and each venue placement. A route or placement is removed only when the feed drops it,
the import created it and nobody has touched it since; what a curator added, edited or
removed stays as they left it.

Drafts imported before `OrukImportBase` existed have no stored base; for them the import's
own rows in the history stand in (`history_base`): the first version of the import overwrote
every field, so its last history row is exactly what the feed said.
See docs/adr/0011-oruk-api.md.
"""
import hashlib
import json

from directory.models import AgeRange, ReferralRoute, Service, ServiceAtLocation

# Every import save carries this change reason (oruk_import._change_reason).
IMPORT_REASON = "Imported from Open Referral feed"

# Many-to-many fields and the taxonomy key of map_service's terms that fills each.
M2M = {"levels": "level", "needs": "need", "interventions": "intervention", "delivery_modes": "delivery",
       "languages": "language", "coverage_districts": None}
# Fields merged as one value: a model constraint or clean() ties them together.
GROUPS = {
    ("age_range", "age_from_months", "age_to_months"): "child age range",
    ("parent_min_age_years", "parent_max_age_years"): "parent's ages",
    ("coverage_type", "locality", "locality_district", "coverage_districts"): "area covered",
}
FOREIGN_KEYS = {"organisation", "locality_district"}
ROUTE_FIELDS = ("referrer", "professions", "method", "how_to_refer", "acceptance_criteria", "exclusions",
                "waiting_time", "consent_required", "url", "contact", "is_preferred")

KEEP, TAKE, CONFLICT = "keep", "take", "conflict"
MISSING = object()  # no base known for a value: a difference is then a conflict, never an overwrite


def decide(base, ours, theirs):
    if theirs == ours or theirs == base:
        return KEEP
    if ours == base:
        return TAKE
    return CONFLICT


def parts(members):
    """The merge's units, in a stable order: each group, then every other member alone."""
    grouped = {member for group in GROUPS for member in group}
    return list(GROUPS) + [(member,) for member in members if member not in grouped]


def attname(member):
    return f"{member}_id" if member in FOREIGN_KEYS else member


def ours_values(service, members):
    """The draft's value of each member, in the form the base keeps (pks, sorted pk lists)."""
    return {member: sorted(getattr(service, member).values_list("pk", flat=True)) if member in M2M
            else getattr(service, attname(member)) for member in members}


def content_key(values):
    """A route's key when the feed gives it no id: what it says."""
    return "content:" + hashlib.sha1(json.dumps(values, sort_keys=True).encode()).hexdigest()[:20]


def route_values(route):
    return {name: getattr(route, name) for name in ROUTE_FIELDS}


def history_base(service, members):
    """The base of a draft imported before bases were stored, from the import's history rows.

    Fields and sets: the service's last history row written by an import. Routes and venue
    placements: the last import-written row of each that was ever on this draft (keyed by what
    the route said, as the first version of the import kept no route ids). Conservative where
    the history is short: a value with no import row is MISSING, so it is never overwritten.
    """
    fields = {}
    row = (service.history.filter(history_change_reason__startswith=IMPORT_REASON)
           .order_by("-history_date", "-history_id").first())
    if row is not None:
        for member in members:
            if member in M2M:
                target = Service._meta.get_field(member).m2m_reverse_field_name()
                fields[member] = sorted(getattr(row, member).values_list(f"{target}_id", flat=True))
            else:
                fields[member] = getattr(row, attname(member))
    routes = {}
    for old in _last_import_rows(ReferralRoute, service):
        values = route_values(old)
        routes[content_key(values)] = {"pk": old.id, "values": values}
    venues = {str(old.venue_id): {"pk": old.id, "note": old.note}
              for old in _last_import_rows(ServiceAtLocation, service)}
    return {"fields": fields, "routes": routes, "venues": venues}


def _last_import_rows(model, service):
    rows = {}
    for old in (model.history.filter(service_id=service.pk, history_change_reason__startswith=IMPORT_REASON)
                .exclude(history_type="-").order_by("history_date", "history_id")):
        rows[old.id] = old  # the last one of each record wins
    return rows.values()


# --- Saying what was kept -----------------------------------------------------------------

def label(part):
    return GROUPS.get(part) or str(Service._meta.get_field(part[0]).verbose_name)


def show(part, values):
    """A part's value in a curator's words."""
    if len(part) == 1:
        return _show_one(Service, part[0], values[0])
    if MISSING in values:
        return "(not known)"
    value = dict(zip(part, values))
    if "age_range" in value:
        if value["age_range"] == AgeRange.RANGE:
            return f"{value['age_from_months']} to {value['age_to_months']} months"
        return _show_one(Service, "age_range", value["age_range"])
    if "parent_min_age_years" in value:
        low, high = value["parent_min_age_years"], value["parent_max_age_years"]
        return "(nothing)" if low is None and high is None else f"{_or_any(low)} to {_or_any(high)} years"
    shown = _show_one(Service, "coverage_type", value["coverage_type"])
    if value["coverage_districts"]:
        shown += ": " + _show_one(Service, "coverage_districts", value["coverage_districts"])
    if value["locality"]:
        shown += f": {value['locality']}"
    if value["locality_district"]:
        shown += f" ({_show_one(Service, 'locality_district', value['locality_district'])})"
    return shown


def _or_any(years):
    return "any" if years is None else years


def _show_one(model, member, value):
    from directory.models import Organisation

    if value is MISSING:
        return "(not known)"
    if value in (None, "", []):
        return "(nothing)"
    field = model._meta.get_field(member)
    if member in M2M:
        names = field.related_model.objects.filter(pk__in=value).values_list("name", flat=True)
        return ", ".join(sorted(names))
    if member == "organisation":
        if isinstance(value, str):  # "new:<id>": the feed's organisation, not created here
            return "an organisation not yet in the directory"
        return str(Organisation.objects.filter(pk=value).first() or value)
    if field.is_relation:
        return str(field.related_model.objects.filter(pk=value).first() or value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    text = str(value)
    return f"'{text[:80]}…'" if len(text) > 80 else f"'{text}'"


def field_conflict(part, base, ours, theirs):
    return (f"{label(part)}: the feed now says {show(part, theirs)} (it said {show(part, base)}), but it was "
            f"changed here to {show(part, ours)}; the change made here is kept.")


def route_name(values):
    from directory.models import Referrer

    name = str(Referrer(values["referrer"]).label) if values.get("referrer") in Referrer.values else "a route"
    return f"referral route '{name}{' (' + values['professions'] + ')' if values.get('professions') else ''}'"


def route_conflict(values, name, base, ours, theirs):
    return (f"{route_name(values)}, {ReferralRoute._meta.get_field(name).verbose_name}: the feed now says "
            f"{_show_one(ReferralRoute, name, theirs)} (it said {_show_one(ReferralRoute, name, base)}), but it "
            f"was changed here to {_show_one(ReferralRoute, name, ours)}; the change made here is kept.")
