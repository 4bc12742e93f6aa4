"""Referral routes and venues in CSV: the same export, preview and confirmed import as services
(directory/curation/bulk.py; the admin offers all three on the service list).

- `RouteResource`: one row per referral route, keyed by the route's `id` from an export. A row
  with an id updates that route; an empty id adds a route to the service named by `service` (its
  slug). An id that is not a route of that service (typed, copied from another file, forged) is
  refused, never taken as a new id; a route cannot move to another service.
- `VenueResource`: one row per service-at-a-venue, keyed the same way by `id`. `venue` and
  `postcode` name the venue; a venue not yet in the directory is added, and its postcode must be
  in the shared postcode table (the map places it from there). `address` and `accessibility`
  are the venue's own and shared by every service there: a changed value changes the venue.
- Neither removes anything: a route or venue left out of the file stays. Removing one is an edit of
  the service in the admin, where the publishing rules about routes are checked.
- Two rows for the same route or the same service and venue, or a new row repeating an
  existing route, are refused, in words, naming the other row.
"""
from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.results import RowResult

from directory.core.provenance import record_curator_edits
from directory.core.spreadsheets import escape_cell
from directory.search.tables import deferred_refresh
from directory.curation.bulk import (
    IMPORTED_REASON, KnownForeignKeyWidget, WordsDiffMixin, cell_message, check_headers, clean_row,
)
from directory.models import (
    Consent, ReferralMethod, ReferralRoute, Referrer, Service, ServiceAtLocation, Venue,
)


def _codes(choices):
    return ", ".join(code for code, _ in choices if code)


class ServiceSlugWidget(KnownForeignKeyWidget):
    def clean(self, value, row=None, **kwargs):
        if not (value or "").strip():
            raise ValueError("Give the service's slug (the end of its address, as in an export).")
        return super().clean(value, row, **kwargs)


def _service_field():
    return fields.Field(attribute="service", column_name="service", widget=ServiceSlugWidget(Service, "slug"))


class KeyedRowsMixin(WordsDiffMixin):
    """Rows keyed by `id` from an export: an id must name a row of this kind of the named service."""

    id_noun = "row"

    def import_data_inner(self, *args, **kwargs):
        # As for services: the search tables of each touched service are computed once, inside the
        # import's transaction, not once per saved row (docs/adr/0012).
        with deferred_refresh():
            return super().import_data_inner(*args, **kwargs)

    def before_import(self, dataset, **kwargs):
        dataset.headers = check_headers(dataset.headers, self.COLUMNS, required=self.REQUIRED)
        self._seen_ids, self._seen_keys = {}, {}

    def before_import_row(self, row, **kwargs):
        clean_row(row)

    def export_field(self, field, instance, **kwargs):
        # A cell a spreadsheet would run as a formula is written with a leading apostrophe (bulk.py).
        return escape_cell(super().export_field(field, instance, **kwargs))

    def get_instance(self, instance_loader, row):
        raw = str(row.get("id") or "").strip()
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit()):
            return None  # refused with a message in import_instance
        return self._meta.model.objects.filter(pk=int(raw)).select_related("service").first()

    def init_instance(self, row=None):
        return self._meta.model()

    def import_id_problem(self, instance, row, number):
        """What is wrong with the row's id, or None."""
        raw = str(row.get("id") or "").strip()
        if not raw:
            return None
        if not (raw.isascii() and raw.isdigit()):
            return f"'{raw}' is not an id from an export. Leave id empty to add a new {self.id_noun}."
        if instance.pk is None:
            return (f"There is no {self.id_noun} with id {raw}. Ids come from an export: copy the row from one, "
                    f"or leave id empty to add a new {self.id_noun}.")
        earlier = self._seen_ids.setdefault(instance.pk, number)
        if earlier != number:
            return f"Row {earlier + 1} is already about {self.id_noun} {raw}: keep one of the two rows."
        return None

    def after_import_row(self, row, row_result, **kwargs):
        if row_result.import_type in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
            instance = row_result.instance
            before = getattr(instance, "_before", {})
            # A new row's facts are those it fills; a changed row's, those whose value changed.
            changed = [name for name in self.FACT_FIELDS if getattr(instance, name) not in ("", None)
                       and before.get(name) != getattr(instance, name)] if not before else [
                name for name in self.FACT_FIELDS if before[name] != getattr(instance, name)]
            record_curator_edits(instance, changed, kwargs.get("user"))

    def save_instance(self, instance, is_create, row, **kwargs):
        instance._change_reason = IMPORTED_REASON
        super().save_instance(instance, is_create, row, **kwargs)


def _choice_field(name, choices, what):
    return fields.Field(attribute=name, column_name=name, widget=ChoiceWidget(choices, what))


class ChoiceWidget(widgets.CharWidget):
    """A code from a fixed list; anything else is refused with the list."""

    says_why = True  # its errors are already in words (bulk.cell_message)

    def __init__(self, choices, what, **kwargs):
        super().__init__(**kwargs)
        self.codes, self.what = [code for code, _ in choices], what
        self.listed = _codes(choices)

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip() if isinstance(value, str) else value
        value = value or ""
        if value not in self.codes:
            blank = " or leave it empty" if "" in self.codes else ""
            raise ValueError(f"'{value}' is not {self.what}. Use one of: {self.listed}{blank}.")
        return value


class StrictBooleanWidget(widgets.BooleanWidget):
    """1 or 0 (as exported); yes/no and true/false too. Anything else is an error, not a blank."""

    says_why = True

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().lower()
        if text in ("1", "true", "yes", "y"):
            return True
        if text in ("0", "false", "no", "n"):
            return False
        raise ValueError(f"'{value}' is not 1 (yes) or 0 (no).")


ROUTE_COLUMNS = ["id", "service", "referrer", "professions", "method", "how_to_refer", "acceptance_criteria",
                 "exclusions", "waiting_time", "consent_required", "url", "contact", "is_preferred", "order",
                 # The referral page's lists (issue 24), last so older spreadsheets' columns keep their places.
                 "information_needed", "consent_rules"]
# What a route is, for spotting a repeated one: two routes alike in all of these are the same route.
ROUTE_SAME = ["referrer", "professions", "method", "how_to_refer", "url", "contact"]


class RouteResource(KeyedRowsMixin, resources.ModelResource):
    """Every referral route of the chosen services."""

    COLUMNS = ROUTE_COLUMNS
    REQUIRED = ["id", "service"]
    FACT_FIELDS = ["referrer", "professions", "method", "how_to_refer", "acceptance_criteria", "exclusions",
                   "waiting_time", "contact", "url"]
    id_noun = "referral route"
    HELP = {
        "id": "Leave empty for a new route; keep the id from an export to change that route.",
        "service": "The service's slug, as in the services export (e.g. the end of its page's address).",
        "referrer": f"One of: {_codes(Referrer.choices)}.",
        "method": f"One of: {_codes(ReferralMethod.choices)}, or empty.",
        "consent_required": f"One of: {_codes(Consent.choices)}, or empty.",
        "url": "A full web address starting https://, or empty.",
        "is_preferred": "1 for the preferred route, 0 for the others.",
        "order": "A whole number: routes are listed from the smallest.",
        "information_needed": "What the service asks a referral to include, one item a line, in its words; "
                              "empty if it has not said.",
        "consent_rules": "The service's own rules about the family's consent, in its words, or empty.",
    }

    service = _service_field()
    referrer = _choice_field("referrer", Referrer.choices, "a kind of referrer")
    method = _choice_field("method", ReferralMethod.choices, "a way to refer")
    consent_required = _choice_field("consent_required", Consent.choices, "a consent answer")
    is_preferred = fields.Field(attribute="is_preferred", column_name="is_preferred", widget=StrictBooleanWidget())

    class Meta:
        model = ReferralRoute
        fields = ROUTE_COLUMNS
        export_order = ROUTE_COLUMNS
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        store_instance = True
        store_row_values = True
        use_transactions = True
        name = "Referral routes (one row per route, keyed by id)"

    @staticmethod
    def row_label(values):
        return f"{values.get('service') or '(no service)'}: {values.get('referrer') or '(no referrer)'}"

    def get_queryset(self):
        return ReferralRoute.objects.select_related("service").order_by("service__name", "service_id", "order", "pk")

    def before_import_row(self, row, **kwargs):
        clean_row(row)
        # An empty cell means the model's default, as an empty box does in the admin.
        for column, default in (("order", "0"), ("is_preferred", "0")):
            if column in row and row[column] in (None, ""):
                row[column] = default

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._before = {} if new else {name: getattr(instance, name) for name in self.FACT_FIELDS}
        instance._service_before = None if new else instance.service_id

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        number = kwargs.get("row_number")
        problem = self.import_id_problem(instance, row, number)
        if problem:
            errors["id"] = [problem]
        for field in self.get_import_fields():
            if field.column_name == "id" or field.column_name not in row:
                continue
            try:
                self.import_field(field, instance, row, **kwargs)
            except (ValueError, ArithmeticError, TypeError) as error:
                errors[field.column_name] = [cell_message(field, row[field.column_name], error)]
        before = getattr(instance, "_service_before", None)
        if before is not None and "service" not in errors and instance.service_id != before:
            errors["service"] = ["A route cannot move to another service. Add it to the other service as a new "
                                 "row (empty id), and remove it from this one in the admin."]
        if not errors and instance.service_id:
            key = (instance.service_id, *[str(getattr(instance, name)).strip().lower() for name in ROUTE_SAME])
            earlier = self._seen_keys.setdefault(key, number)
            if earlier != number:
                errors["__all__"] = [f"Row {earlier + 1} is the same route of the same service: keep one of the two."]
            elif instance.pk is None:
                same = ReferralRoute.objects.filter(service_id=instance.service_id, **{
                    f"{name}__iexact": getattr(instance, name) for name in ROUTE_SAME}).first()
                if same is not None:
                    errors["__all__"] = [f"The service already has this route (id {same.pk}). To change it, put "
                                         f"{same.pk} in the id column; to leave it, remove this row."]
        if errors:
            raise ValidationError(errors)


VENUE_COLUMNS = ["id", "service", "venue", "postcode", "address", "accessibility", "note"]


class VenueNameField(fields.Field):
    """A column read and written by the resource itself (the venue's own fields)."""

    def __init__(self, column, read):
        super().__init__(attribute=None, column_name=column, readonly=False)
        self.read = read

    def get_value(self, obj):
        return self.read(obj) if obj is not None and obj.venue_id else ""

    def save(self, instance, row, is_m2m=False, **kwargs):
        pass  # VenueResource.import_instance sets the venue from these columns


class VenueResource(KeyedRowsMixin, resources.ModelResource):
    """Every venue of the chosen services (one row per service and venue)."""

    COLUMNS = VENUE_COLUMNS
    REQUIRED = ["id", "service", "venue", "postcode"]
    FACT_FIELDS = []
    id_noun = "service's venue"
    HELP = {
        "id": "Leave empty to add a venue to the service; keep the id from an export to change that row.",
        "service": "The service's slug, as in the services export.",
        "venue": "The venue's name. A name and postcode not yet in the directory add a new venue.",
        "postcode": "A full Birmingham postcode such as B1 1AA: the map places the venue from it.",
        "address": "The venue's street address. Shared: every service at this venue shows it.",
        "accessibility": "Shared: every service at this venue shows it.",
    }

    service = _service_field()
    venue = VenueNameField("venue", lambda o: o.venue.name)
    postcode = VenueNameField("postcode", lambda o: o.venue.postcode)
    address = VenueNameField("address", lambda o: o.venue.address)
    accessibility = VenueNameField("accessibility", lambda o: o.venue.accessibility)

    class Meta:
        model = ServiceAtLocation
        fields = VENUE_COLUMNS
        export_order = VENUE_COLUMNS
        import_id_fields = ["id"]
        skip_unchanged = False  # the venue's own fields are not the row's: said unchanged below
        report_skipped = True
        clean_model_instances = True
        store_instance = True
        store_row_values = True
        use_transactions = True
        name = "Venues (one row per service at a venue, keyed by id)"

    @staticmethod
    def row_label(values):
        return f"{values.get('service') or '(no service)'}: {values.get('venue') or '(no venue)'}"

    def get_queryset(self):
        return ServiceAtLocation.objects.select_related("service", "venue").order_by(
            "service__name", "service_id", "venue__name", "pk")

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._service_before = None if new else instance.service_id

    def import_instance(self, instance, row, **kwargs):
        from mapping.postcodes import FOUND, OUTSIDE, postcode_lookup

        errors = {}
        number = kwargs.get("row_number")
        problem = self.import_id_problem(instance, row, number)
        if problem:
            errors["id"] = [problem]
        for name in ("service", "note"):
            if name not in row:
                continue
            try:
                self.import_field(self.fields[name], instance, row, **kwargs)
            except ValueError as error:
                errors[name] = [str(error)]
        before = getattr(instance, "_service_before", None)
        if before is not None and "service" not in errors and instance.service_id != before:
            errors["service"] = ["A row cannot move to another service. Add the venue to the other service as a "
                                 "new row (empty id)."]
        name = (row.get("venue") or "").strip()
        if not name:
            errors["venue"] = ["Give the venue's name."]
        found = postcode_lookup(row.get("postcode") or "")
        if found.status not in (FOUND, OUTSIDE):
            given = (row.get("postcode") or "").strip()
            errors["postcode"] = [f"'{given}' is not a postcode in the directory's postcode table. Check it against "
                                  f"the venue's address, e.g. B1 1AA." if given else "Give the venue's postcode."]
        if errors:
            raise ValidationError(errors)
        venue = Venue.objects.filter(name__iexact=name, postcode=found.postcode).first() or Venue(name=name)
        venue.locate(found)
        changes = {}
        for column in ("address", "accessibility"):
            if column in row and (row[column] or "") != getattr(venue, column):
                changes[column] = row[column] or ""
                setattr(venue, column, row[column] or "")
        instance._venue_changes = changes if venue.pk else {}
        key = (instance.service_id, venue.name.lower(), found.postcode)
        earlier = self._seen_keys.setdefault(key, number)
        if earlier != number:
            raise ValidationError({"__all__": [f"Row {earlier + 1} already puts this service at this venue: keep "
                                               "one of the two."]})
        if venue.pk and instance.venue_id != venue.pk:
            taken = ServiceAtLocation.objects.filter(service_id=instance.service_id, venue=venue).first()
            if taken is not None:
                raise ValidationError({"__all__": [
                    f"The service is already at {venue} (id {taken.pk}). To change that row, put {taken.pk} in the "
                    "id column; to leave it, remove this row."]})
        if venue.pk is None or changes:
            try:
                venue.full_clean(exclude=["postcode"]) if venue.pk else venue.full_clean(
                    exclude=["postcode"], validate_unique=False)
            except ValidationError as error:
                raise ValidationError({_venue_column(k): v for k, v in error.message_dict.items()}) from None
        instance._venue = venue

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The row's own rules; its venue, perhaps new and saved only with the row, was checked in
        import_instance, and so was "one row per service and venue"."""
        if import_validation_errors:
            raise ValidationError(import_validation_errors)
        try:
            instance.full_clean(exclude=["venue"], validate_unique=False)
        except ValidationError as error:
            raise ValidationError(error.message_dict) from None

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors or instance.pk is None or getattr(instance, "_venue", None) is None:
            return False
        return (instance._venue.pk == original.venue_id and not instance._venue_changes
                and instance.note == original.note and instance.service_id == original.service_id)

    def save_instance(self, instance, is_create, row, **kwargs):
        venue = instance._venue
        if venue.pk is None or instance._venue_changes:
            venue._change_reason = IMPORTED_REASON
            venue.save()
            record_curator_edits(venue, ["address"] if venue.pk else ["name"], kwargs.get("user"))
        instance.venue = venue
        super().save_instance(instance, is_create, row, **kwargs)



def _venue_column(key):
    return {"name": "venue", "__all__": "__all__"}.get(key, key)
