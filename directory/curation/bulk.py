"""Bulk data: CSV export of services (public and curators') and CSV import for curators.

Built on django-import-export (docs/adr/0009-bulk-data-and-suggestions.md):

- `PublicServiceResource` exports published services with only what their public page shows
  (never curator notes, owners, review dates, drafts or archived services). `/services.csv`.
- `ServiceResource` exports every service with every editable field, and imports the same
  columns back, keyed by `slug`: a row whose slug exists updates that service, any other slug
  creates one. Related records are named by their stable codes (organisation slug, level and
  taxonomy codes, district slugs, owner's username), lists separated by commas. A re-import of
  an export changes nothing (unchanged rows are skipped). Each row is validated like the admin
  form (`full_clean`, URL schemes, at least one level, the publishing rules); unknown codes and
  unknown columns are errors, never silently dropped. The import runs in one transaction: the
  dry run is rolled back and the confirmed write is all or nothing.
- Cells that a spreadsheet would run as a formula (starting =, +, -, @, tab or CR) are exported
  with a leading apostrophe, and the apostrophe is removed again on import, so a curator's
  export round-trips and a hostile value cannot run in someone's spreadsheet.
- Every fact a row sets or changes (phone, email, website, ages, cost, languages...) is recorded
  as the importing curator's word, confirmed that day, as an edit in the admin would be.

Referral routes and venues have CSVs of their own (directory/curation/bulk_routes.py), offered beside
this one. `preview_rows` says what each row of any of the three would do, in words, for the
preview (templates/admin/import_export/import.html).
"""
from dataclasses import dataclass, field as dataclass_field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.core.exceptions import NON_FIELD_ERRORS
from import_export import fields, resources, widgets
from import_export.resources import Diff
from import_export.results import RowResult

from directory.models import (
    DeliveryMode, Intervention, Language, Level, Need, Organisation, Service, Status,
)
from directory.core.provenance import FORM_FIELD_FACTS, record_curator_edits
from directory.core.spreadsheets import escape_cell, unescape_cell
from directory.search.tables import deferred_refresh
from mapping.models import District



def can_import(user):
    """Who may import services: IMHSG editors (and superusers). An import writes published
    records directly, so organisation editors, whose changes wait for approval, may not."""
    from directory.curation.roles import is_imhsg_editor

    return bool(user and user.is_active and is_imhsg_editor(user)
                and user.has_perms(["directory.add_service", "directory.change_service"]))



# The reason in the history of every record an import writes.
IMPORTED_REASON = "Imported from a CSV file"


def check_headers(headers, columns, required=("slug",)):
    """The file's column names, trimmed; a ValueError in words when one is unknown, repeated or missing."""
    headers = [str(h or "").strip() for h in (headers or [])]
    problems = []
    unknown = [h for h in headers if h not in columns]
    if unknown:
        problems.append("Unknown column" + ("s" if len(unknown) > 1 else "") + ": "
                        + ", ".join(f"'{h}'" for h in unknown) + f". The columns are: {', '.join(columns)}.")
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        problems.append("Columns named more than once: " + ", ".join(duplicates) + ".")
    missing = [name for name in required if name not in headers]
    if missing:
        problems.append("The file needs the column" + ("s " if len(missing) > 1 else " ")
                        + ", ".join(f"'{name}'" for name in missing) + ".")
    if problems:
        raise ValueError(" ".join(problems))
    return headers


def clean_row(row):
    """Cells as a curator meant them: spreadsheet-escaped formulas unescaped, spaces trimmed."""
    for key, value in row.items():
        value = unescape_cell(value)
        row[key] = value.strip() if isinstance(value, str) else value


@dataclass(frozen=True)
class Change:
    column: str
    before: str
    after: str


class WordsDiff(Diff):
    """What a row changes: (column, before, after) for each column whose value changes, or, for a new
    record, each column it fills. The library's HTML diff of every column made a 4,000-pixel table."""

    def __init__(self, resource, instance, new):
        super().__init__(resource, instance, new)
        self.columns = [f.column_name for f in resource.get_import_fields()]

    def as_html(self):  # the library's name for "what the preview shows"
        return [Change(column, "" if self.new else str(before or ""), str(after or ""))
                for column, before, after in zip(self.columns, self.left, self.right)
                # A new row's id is the dry run's, rolled back: not worth saying.
                if column != "id" and (after not in (None, "") if self.new else str(before or "") != str(after or ""))]


class WordsDiffMixin:
    def get_diff_class(self):
        return WordsDiff


@dataclass
class PreviewRow:
    """One row of an uploaded file, as the preview says it."""

    number: int  # the row in the spreadsheet: row 1 names the columns
    name: str
    action: str  # "create", "update", "unchanged" or "refused"
    problems: list = dataclass_field(default_factory=list)  # [(column or "", what is wrong, how to fix)]
    changes: list = dataclass_field(default_factory=list)  # [Change]

    ACTIONS = {"create": "Will be added", "update": "Will be changed", "unchanged": "No change",
               "refused": "Refused"}

    @property
    def action_label(self):
        return self.ACTIONS[self.action]

    @property
    def anchor(self):
        return f"row-{self.number}"


_ACTION = {RowResult.IMPORT_TYPE_NEW: "create", RowResult.IMPORT_TYPE_UPDATE: "update",
           RowResult.IMPORT_TYPE_SKIP: "unchanged"}


def preview_rows(result, resource_class):
    """Every row of an import's result, in file order, in words. Reads nothing from the database."""
    rows = []
    help_for = getattr(resource_class, "HELP", {})
    for number, row in enumerate(result.rows, 1):
        values = row.row_values or {}
        name = resource_class.row_label(values) if hasattr(resource_class, "row_label") else (
            row.object_repr or "")
        preview = PreviewRow(number + 1, name or "(no name)", _ACTION.get(row.import_type, "refused"))
        if row.errors:
            preview.action = "refused"
            preview.problems = [("", f"This row could not be read ({error.error}).", "Check the row's cells.")
                                for error in row.errors]
        elif row.validation_error is not None:
            preview.action = "refused"
            error = row.validation_error
            messages = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
            for column, said in messages.items():
                column = "" if column == NON_FIELD_ERRORS else column
                for message in said:
                    fix = help_for.get(column, "")
                    # A message that already lists what is allowed needs no second telling.
                    if fix and fix.lower().removeprefix("one of: ").rstrip(".") in message.lower():
                        fix = ""
                    preview.problems.append((column, message, fix))
        elif preview.action in ("create", "update"):
            preview.changes = list(row.diff or [])
        rows.append(preview)
    return rows


class KnownForeignKeyWidget(widgets.ForeignKeyWidget):
    """A related record named by a unique code; an unknown code is an error, never a blank."""

    def clean(self, value, row=None, **kwargs):
        value = (value or "").strip() if isinstance(value, str) else value
        if not value:
            return None
        try:
            return self.model.objects.get(**{self.field: value})
        except self.model.DoesNotExist:
            raise ValueError(f"'{value}' is not a known {self.model._meta.verbose_name} ({self.field}).") from None


class KnownManyToManyWidget(widgets.ManyToManyWidget):
    """A comma-separated list of codes; every code must be known."""

    def clean(self, value, row=None, **kwargs):
        codes = [code.strip() for code in str(value or "").split(self.separator) if code.strip()]
        found = list(self.model.objects.filter(**{f"{self.field}__in": codes}))
        unknown = sorted(set(codes) - {str(getattr(obj, self.field)) for obj in found})
        if unknown:
            names = ", ".join(f"'{code}'" for code in unknown)
            raise ValueError(f"{names} {'is not a known' if len(unknown) == 1 else 'are not known'} "
                             f"{self.model._meta.verbose_name} code{'s' if len(unknown) > 1 else ''}.")
        return found

    def render(self, value, obj=None, **kwargs):
        return self.separator.join(sorted(str(getattr(item, self.field)) for item in value.all())) if value else ""


def _fk(name, model, field):
    return fields.Field(attribute=name, column_name=name, widget=KnownForeignKeyWidget(model, field))


def _m2m(name, model, field="code"):
    return fields.Field(attribute=name, column_name=name, widget=KnownManyToManyWidget(model, field=field))


# Every column of the curators' CSV, in order. `slug` identifies the service.
COLUMNS = [
    "slug", "name", "organisation", "status", "summary", "description", "parent_description",
    "levels", "focus", "focus_confirmed", "first_step", "named_group_only",
    "age_range", "age_from_months", "age_to_months", "age_words", "eligibility_description",
    "parent_min_age_years", "parent_max_age_years", "needs", "audience",
    "interventions", "delivery_modes", "languages", "cost", "fees_description", "schedule_description",
    "commissioned_by", "coverage_type", "coverage_districts", "locality", "locality_district",
    "phone", "email", "url", "alert", "no_referral_route_reason",
    "owner", "last_reviewed", "next_review_due", "curator_notes",
]
M2M_COLUMNS = ["levels", "needs", "interventions", "delivery_modes", "languages", "coverage_districts"]
FACT_FIELDS = [name for name in FORM_FIELD_FACTS["Service"] if name in COLUMNS]


class ServiceResource(WordsDiffMixin, resources.ModelResource):
    """Every service, every editable field: the curators' export and import."""

    HELP = {
        "slug": "The end of the service's address; a new slug adds a service.",
        "organisation": "An organisation's slug, as in an export.",
        "status": "One of: draft, published, archived.",
        "levels": "Level codes separated by commas: universal, targeted, statutory, specialist.",
        "needs": "Need codes separated by commas, as in an export.",
        "interventions": "Intervention codes separated by commas, as in an export.",
        "delivery_modes": "Delivery codes separated by commas, as in an export.",
        "languages": "Language codes separated by commas, as in an export.",
        "coverage_districts": "District slugs separated by commas, as in an export.",
        "locality_district": "A district's slug, as in an export.",
        "owner": "A curator's username.",
        "age_from_months": "A whole number of months.",
        "age_to_months": "A whole number of months.",
        "last_reviewed": "A date like 2026-03-31.",
        "next_review_due": "A date like 2026-03-31.",
        "focus_confirmed": "1 for yes, 0 for no.",
        "url": "A full web address starting https://.",
        "email": "An e-mail address like name@example.org.",
    }

    organisation = _fk("organisation", Organisation, "slug")
    locality_district = _fk("locality_district", District, "slug")
    owner = _fk("owner", get_user_model(), "username")
    levels = _m2m("levels", Level)
    needs = _m2m("needs", Need)
    interventions = _m2m("interventions", Intervention)
    delivery_modes = _m2m("delivery_modes", DeliveryMode)
    languages = _m2m("languages", Language)
    coverage_districts = _m2m("coverage_districts", District, field="slug")

    class Meta:
        model = Service
        fields = COLUMNS
        export_order = COLUMNS
        import_id_fields = ["slug"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        store_instance = True
        store_row_values = True
        use_transactions = True
        name = "Services (every field, keyed by slug)"

    def get_queryset(self):
        return Service.objects.select_related("organisation", "locality_district", "owner").prefetch_related(
            *[name for name in M2M_COLUMNS if name != "coverage_districts"],
            models_prefetch_districts(),
        ).order_by("name", "pk")

    # --- export ---

    def export_field(self, field, instance, **kwargs):
        return escape_cell(super().export_field(field, instance, **kwargs))

    # --- import ---

    def import_data_inner(self, *args, **kwargs):
        # Rows are saved one by one, and signals keep the search tables true; deferring
        # computes each imported service's rows once, inside the import's transaction (docs/adr/0012).
        with deferred_refresh():
            return super().import_data_inner(*args, **kwargs)

    COLUMNS, REQUIRED = COLUMNS, ["slug"]

    @staticmethod
    def row_label(values):
        return values.get("name") or values.get("slug") or ""

    def before_import(self, dataset, **kwargs):
        dataset.headers = check_headers(dataset.headers, COLUMNS)

    def before_import_row(self, row, **kwargs):
        clean_row(row)

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._facts_before = {} if new else self._fact_values(instance)

    def import_instance(self, instance, row, **kwargs):
        """The plain fields (by the library), then the lists' codes and the admin form's rules,
        so that every problem in a row is reported together."""
        errors = {}
        for field in self.get_import_fields():
            if field.column_name in M2M_COLUMNS or field.column_name not in row:
                continue
            try:
                self.import_field(field, instance, row, **kwargs)
            except (ValueError, ArithmeticError, TypeError) as error:
                errors[field.attribute] = [cell_message(field, row[field.column_name], error)]
        lists = {}
        for name in M2M_COLUMNS:
            if name in row:
                try:
                    lists[name] = self.fields[name].clean(row)
                except ValueError as error:
                    errors[name] = [str(error)]
        levels = lists.get("levels") if "levels" in row else (None if instance.pk is None else True)
        if not levels and "levels" not in errors:
            errors["levels"] = ["Give at least one level code (universal, targeted, statutory, specialist)."]
        if instance.status == Status.PUBLISHED and "status" not in errors:
            routes = instance.referral_routes.count() if instance.pk else 0
            problems = instance.publishing_problems(routes)
            if problems:
                errors["status"] = problems
        if errors:
            raise ValidationError(errors)

    def after_import_row(self, row, row_result, **kwargs):
        """Facts the row set or changed are the importing curator's, confirmed today."""
        if row_result.import_type not in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
            return
        instance = row_result.instance
        before, after = getattr(instance, "_facts_before", {}), self._fact_values(instance)
        changed = [name for name in FACT_FIELDS if after.get(name) != before.get(name, _blank(name))]
        record_curator_edits(instance, changed, kwargs.get("user"))

    @staticmethod
    def _fact_values(instance):
        values = {}
        for name in FACT_FIELDS:
            if name in M2M_COLUMNS:
                values[name] = set(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else set()
            else:
                values[name] = getattr(instance, Service._meta.get_field(name).attname)
        return values


def cell_message(field, value, error):
    """A cell the widget could not read, in plain words."""
    if isinstance(field.widget, KnownForeignKeyWidget) or getattr(field.widget, "says_why", False):
        return str(error)
    if isinstance(field.widget, (widgets.IntegerWidget, widgets.DecimalWidget, widgets.FloatWidget)):
        return f"'{value}' is not a whole number."
    if isinstance(field.widget, widgets.DateWidget):
        return f"'{value}' is not a date like 2026-03-31."
    if isinstance(field.widget, widgets.BooleanWidget):
        return f"'{value}' is not 1 (yes) or 0 (no)."
    return f"'{value}' could not be read ({error})."


def _blank(name):
    """A new service's value before a row sets it."""
    if name in M2M_COLUMNS:
        return set()
    field = Service._meta.get_field(name)
    return field.get_default()


def models_prefetch_districts():
    return Prefetch("coverage_districts", queryset=District.objects.only("pk", "slug", "name"))
