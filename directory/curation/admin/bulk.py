"""CSV import and export of services, their referral routes and their venues in the admin
(django-import-export; docs/adr/0009).

`ServiceBulkMixin` is mixed into `ServiceAdmin` (directory/curation/admin/records.py): it adds *Import* and
*Export* to the service list, each offering three files: services, referral routes, venues. The
routes and venues exported are those of the services in the (filtered) list. Import is a dry run first: the file is checked (size, encoding,
columns, every row) and a row-by-row preview or list of errors is shown; nothing is written
until the curator confirms. Between the two the file waits in the temporary folder
(`ImportStorage`), and only one confirmation can import it. The confirmation makes an import job
(directory/curation/jobs.py, docs/adr/0026): a file of at most IMPORT_IN_REQUEST_ROWS rows is
written at once, all or nothing; a larger one in batches by the importer, followed on the job's page.
"""
import csv
import io
import os
import re
import tempfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from import_export.admin import ImportExportMixin
from import_export.signals import post_export
from import_export.formats.base_formats import CSV
from import_export.forms import ImportForm
from import_export.tmp_storages import TempFolderStorage

from directory.core import exports
from directory.curation import jobs
from directory.curation.bulk import COLUMNS, ServiceResource, can_import, preview_rows
from directory.curation.bulk_routes import RouteResource, VenueResource
from directory.models import ImportJobState

RESOURCES = jobs.resources()  # one list, so an import job's `kind` names the kind chosen here


def check_csv(data, columns=COLUMNS, required=("slug",)):
    """What is wrong with an uploaded CSV file as a whole, in plain words, or "" if nothing is.
    Rows are checked one by one later, by the import itself."""
    if not data.strip():
        return "The file is empty."
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return "The file is in UTF-16, not UTF-8. In your spreadsheet, save it as 'CSV UTF-8 (comma delimited)'."
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        return (f"The file is not UTF-8 text (an unreadable character on line {line}). "
                "In your spreadsheet, save it as 'CSV UTF-8 (comma delimited)'.")
    if "\x00" in text:
        return "The file contains a NUL character: it is not a CSV file."
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        return f"The file is not a well-formed CSV file ({error})."
    if columns is None:
        return ""  # the file as a whole is sound; its columns are checked against the chosen kind
    headers = [h.strip() for h in rows[0]] if rows else []
    unknown = [h for h in headers if h not in columns]
    if unknown:
        needed = " and ".join(f"'{name}'" for name in required)
        return ("Unknown column" + ("s" if len(unknown) > 1 else "") + ": " + ", ".join(f"'{h}'" for h in unknown)
                + f". Use the column names of an export; every column but {needed} may be left out. "
                  "(Is this the right kind of file? Choose services, referral routes or venues above.)")
    missing = [name for name in required if name not in headers]
    if missing:
        return ("The first row must name the columns, including " + ", ".join(f"'{name}'" for name in missing)
                + ". (Is this the right kind of file? Choose services, referral routes or venues above.)")
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        return "Columns named more than once: " + ", ".join(f"'{h}'" for h in duplicates) + ". Keep one of each."
    if len(rows) < 2:
        return "The file names its columns but has no rows under them."
    short = [number for number, row in enumerate(rows[1:], 2) if row and len(row) != len(headers)]
    if short:
        return (f"Row{'s' if len(short) > 1 else ''} {', '.join(map(str, short[:10]))} "
                f"{'have' if len(short) > 1 else 'has'} a different number of cells from the first row.")
    return ""


class ServiceImportForm(ImportForm):
    """The library's upload form, with the file checked before anything is read into the import."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.resource_classes = resources
        self.fields["resource"].label = "What the file holds"

    def clean(self):
        cleaned = super().clean()
        data = getattr(self, "_data", None)
        if data is None:
            return cleaned
        try:
            chosen = self.resource_classes[int(cleaned.get("resource") or 0)]
        except (ValueError, IndexError):
            chosen = None
        if chosen is None:
            self.add_error("resource", "Choose what the file holds: services, referral routes or venues.")
            return cleaned
        problem = check_csv(data, chosen.COLUMNS, chosen.REQUIRED)
        if problem:
            self.add_error("import_file", problem)
        return cleaned

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the largest accepted is {filesizeformat(limit)}. "
                "Split it into smaller files."
            )
        data = b"".join(upload.chunks())
        problem = check_csv(data, columns=None)
        if problem:
            raise forms.ValidationError(problem)
        self._data = data  # its columns are checked in clean(), against the kind of file chosen
        upload.seek(0)
        return upload


IMPORT_FILE_PREFIX = "directory-import-"
# What tempfile.mkstemp names a file made with that prefix.
IMPORT_FILE_NAME = re.compile(re.escape(IMPORT_FILE_PREFIX) + r"[a-z0-9_]{8}\Z")
CLAIMED = ".confirming"
ALREADY_CONFIRMED = "This import was already confirmed or has expired. Nothing was changed: upload the file again."


class ImportFileGone(Exception):
    """A confirmation names a file that is not waiting: already imported by an earlier
    confirmation, removed from the temporary folder since, or never written by an upload."""


class ImportStorage(TempFolderStorage):
    """The uploaded file between the dry run and its confirmation.

    The confirmation posts the file's name back, so it is the client's word: only a name this
    class made is read. And the confirmation claims the file (an atomic rename) before reading it,
    so of two confirmations of one preview (a double click, two tabs) exactly one imports and the
    other raises ImportFileGone, however close together they arrive. The dry run, which wrote the
    file, reads it in place."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._wrote = self._claimed = False

    def save(self, data):
        # mkstemp: a name nobody can guess or take first, and a file only its owner may read.
        handle, path = tempfile.mkstemp(prefix=IMPORT_FILE_PREFIX)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        self.name, self._wrote = os.path.basename(path), True

    def read(self):
        if not self._wrote and not self._claimed:
            self._claim()
        return super().read()

    def _claim(self):
        if not IMPORT_FILE_NAME.match(self.name or ""):
            raise ImportFileGone(self.name)
        try:
            os.rename(self.get_full_path(), self.get_full_path() + CLAIMED)
        except FileNotFoundError:
            raise ImportFileGone(self.name) from None
        self._claimed = True

    def get_full_path(self):
        return super().get_full_path() + (CLAIMED if self._claimed else "")


class ServiceBulkMixin(ImportExportMixin):
    resource_classes = RESOURCES
    formats = [CSV]
    import_form_class = ServiceImportForm
    tmp_storage_class = ImportStorage
    import_error_display = ("message", "row")

    def has_import_permission(self, request):
        return can_import(request.user)

    def has_export_permission(self, request):
        # The full export carries curator notes and owners: the IMHSG's and viewers', not providers'.
        from directory.curation.roles import is_organisation_editor

        return request.user.has_perm("directory.view_service") and not is_organisation_editor(request.user)

    def get_export_queryset(self, request):
        """The filtered list, with what every column reads fetched in a fixed number of queries."""
        chosen = super().get_export_queryset(request).values("pk")
        return ServiceResource().get_queryset().filter(pk__in=chosen)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """The chosen file, streamed row by row (directory/core/exports.py): at 100,000 services
        the library's in-memory export took minutes before its first byte."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        chosen = self.choose_export_resource_class(export_form, request)
        request._export_form = export_form  # for the file's name
        if chosen is not ServiceResource:
            queryset = chosen().get_queryset().filter(service__in=queryset.values("pk"))
        resource = chosen(**self.get_export_resource_kwargs(request, export_form=export_form))
        response = exports.csv_response(resource, queryset, fields=self.get_export_resource_fields_from_form(export_form),
                                        filename=self.get_export_filename(request, queryset, file_format))
        post_export.send(sender=None, model=self.model)
        return response

    def get_export_filename(self, request, queryset, file_format):
        names = {ServiceResource: "services", RouteResource: "referral-routes", VenueResource: "venues"}
        form = getattr(request, "_export_form", None)
        chosen = self.choose_export_resource_class(form, request) if form is not None else ServiceResource
        return f"{names.get(chosen, 'services')}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    def import_action(self, request, **kwargs):
        """The library's dry run, and the preview in words: each row's number, name, what will
        happen and, beside it, what is wrong with it (templates/admin/import_export/import.html)."""
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is not None and context.get("result") is not None:
            form = context["form"]
            try:
                chosen = self.get_import_resource_classes(request)[int(form.cleaned_data.get("resource") or 0)]
            except (ValueError, IndexError, AttributeError):
                chosen = ServiceResource
            rows = preview_rows(context["result"], chosen)
            context.update(preview_context(rows, chosen))
        if context is not None:
            context["in_request_rows"] = settings.IMPORT_IN_REQUEST_ROWS
        return response

    def get_import_data_kwargs(self, **kwargs):
        # All or nothing on the confirmed write too, should the data have changed since the dry run.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_import(self, request, **kwargs):
        """The confirmation. The file is read before anything is written, so when it is gone
        nothing has changed. The library indexes its list of formats with the posted `format`
        unchecked (a 500 for "abc" or "7"), and its resources with `resource`: a forged one is
        answered like a spent file."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])  # as the library's require_POST said
        chosen = request.POST.get("format", "")
        kind = request.POST.get("resource", "") or "0"
        if request.method == "POST" and not (chosen.isascii() and chosen.isdigit()
                                             and int(chosen) < len(self.get_import_formats())
                                             # and the kind of file: "9" was an IndexError (a 500)
                                             and kind.isascii() and kind.isdigit()
                                             and int(kind) < len(self.get_import_resource_classes(request))):
            if not self.has_import_permission(request):
                raise PermissionDenied
            messages.error(request, ALREADY_CONFIRMED)
            return HttpResponseRedirect(reverse("admin:directory_service_import"))
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if not confirm_form.is_valid():
            messages.error(request, ALREADY_CONFIRMED)
            return HttpResponseRedirect(reverse("admin:directory_service_import"))
        storage = self.get_tmp_storage_class()(name=confirm_form.cleaned_data["import_file_name"],
                                               encoding=self.from_encoding, read_mode="r")
        try:
            content = storage.read()
        except ImportFileGone:
            messages.error(request, ALREADY_CONFIRMED)
            return HttpResponseRedirect(reverse("admin:directory_service_import"))
        # The file now lives in the job (any machine's worker can read it), not on this disk.
        job = jobs.job_create(user=request.user, kind=int(kind), content=content,
                              file_name=confirm_form.cleaned_data.get("original_file_name", ""))
        storage.remove()
        return self.start_job(request, job)

    def start_job(self, request, job):
        """A file of at most one batch is written now, all or nothing, as before; a larger one is
        queued for the importer, and the curator follows it on the job's page (docs/adr/0026)."""
        if job.rows_total <= settings.IMPORT_IN_REQUEST_ROWS:
            job = jobs.job_run_now(job)
            if job.state == ImportJobState.DONE:
                messages.success(request, f"Import finished: {job.created_count} new, {job.updated_count} changed, "
                                          f"{job.unchanged_count} unchanged.")
            else:
                messages.error(request, "Nothing was imported: the data changed since the preview and some rows "
                                        "are no longer valid. The rows and why are below; import the file again.")
        else:
            messages.info(request, f"The file's {job.rows_total} rows are waiting to be imported, in batches. "
                                   "This page shows how far it has got.")
        return HttpResponseRedirect(reverse("import-job", args=[job.pk]))

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error("import_file", f"The file could not be read as CSV ({type(e).__name__}). Nothing was imported.")



def preview_context(rows, resource_class):
    """The preview's counts and the rows to list: every refused or changing row; the unchanged
    ones by name only, folded away (a re-imported export is mostly unchanged rows)."""
    counts = {action: sum(1 for row in rows if row.action == action) for action in PREVIEW_ORDER}
    return {
        "preview_rows": [row for row in rows if row.action != "unchanged"],
        "unchanged_rows": [row for row in rows if row.action == "unchanged"],
        "refused_rows": [row for row in rows if row.action == "refused"],
        "preview_counts": [(action, counts[action], WORDS[action]) for action in PREVIEW_ORDER],
        "preview_total": len(rows),
        "preview_kind": KINDS.get(resource_class, "rows"),
    }


PREVIEW_ORDER = ["create", "update", "unchanged", "refused"]
WORDS = {"create": "to add", "update": "to change", "unchanged": "unchanged", "refused": "refused"}
KINDS = {ServiceResource: "services", RouteResource: "referral routes", VenueResource: "venues of services"}
