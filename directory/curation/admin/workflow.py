"""The admin side of the curation workflow (issues 10 and 18): role scoping, held changes and
their review, history that never writes behind a role's back, comparing two versions.

The mixins are used by directory/curation/admin/records.py; the writes are
directory/curation/moderation.py's; the role rules directory/curation/roles.py's.
"""
import copy
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from directory.curation import moderation
from directory.curation.roles import can_moderate, can_revert, hidden_fields, is_organisation_editor, organisation_ids
from directory.models import ChangeStatus, PendingChange, Service, Status

# --- Role scoping --------------------------------------------------------------------


class SuperuserDeletesOnly:
    """Curators archive; hard deletion is a superuser's act (and the history records it)."""

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class OrganisationScopedMixin:
    """Limits an organisation editor to records of their own organisations, in every list,
    form, action and autocomplete: forged ids in addresses or POSTs find nothing.

    `organisation_lookup` is the path from the model to its organisation."""

    organisation_lookup = "organisation"

    def scope(self, request, queryset):
        if is_organisation_editor(request.user):
            return queryset.filter(**{f"{self.organisation_lookup}__in": organisation_ids(request.user)}).distinct()
        return queryset

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))


# --- Held changes ---------------------------------------------------------------------

def form_data(post):
    """A submitted form as JSON-able {name: [values]}, without the CSRF token."""
    return {key: post.getlist(key) for key in post if key != "csrfmiddlewaretoken"}


def as_querydict(data):
    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, [str(v) for v in values])
    return query


def as_submitter(request, change):
    """A copy of the request as the proposal's submitter POSTing it, so the admin builds the
    exact form and inlines they saw (their read-only fields stay out of the data)."""
    fake = copy.copy(request)
    fake.user = change.submitted_by
    fake.method = "POST"
    fake._post = as_querydict(change.data)
    fake._files = MultiValueDict()
    return fake


def _shown(value):
    if value in (None, "", [], ()):
        return "(empty)"
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set, models.QuerySet)):
        return ", ".join(sorted(str(v) for v in value)) or "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    record: str
    field: str
    old: str
    new: str


class ModeratedServiceMixin:
    """An organisation editor's save of a published service is held as a PendingChange of the
    fields they changed; an IMHSG editor reviews it (a field-by-field diff, and any field that
    changed since, to settle) and approves or rejects it. The decisions are directory/curation/moderation.py's."""

    def holds_changes(self, request, obj):
        return (obj is not None and obj.pk is not None and is_organisation_editor(request.user)
                and Service.objects.filter(pk=obj.pk, status=Status.PUBLISHED).exists())

    def save_model(self, request, obj, form, change):
        if change and self.holds_changes(request, obj):
            # Held: written as a proposal in save_related, once the inlines are known.
            request._held_change = HELD
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if getattr(request, "_held_change", None) is None:
            return super().save_related(request, form, formsets, change)
        changes = moderation.changes_from_forms(service=form.instance, form=form, formsets=formsets)
        if moderation.is_empty(changes):
            request._held_change = UNCHANGED
            return None
        request._held_change = moderation.propose_change(
            service=form.instance, submitted_by=request.user, changes=changes, data=form_data(request.POST))
        return None

    def construct_change_message(self, request, form, formsets, add=False):
        if getattr(request, "_held_change", None) is not None:
            return []  # nothing was saved; the inline formsets have no saved objects to describe
        return super().construct_change_message(request, form, formsets, add)

    def log_change(self, request, obj, message):
        if getattr(request, "_held_change", None) is None:
            return super().log_change(request, obj, message)
        return None

    def response_change(self, request, obj):
        held = getattr(request, "_held_change", None)
        if held is UNCHANGED:
            self.message_user(request, f"Nothing was changed: {obj.name} already says this.", messages.INFO)
            return HttpResponseRedirect(request.path)
        if held is not None:
            self.message_user(request, (
                f"Your change to {obj.name} is waiting for an IMHSG editor to approve it. The public page "
                "shows the current text until then; you will see the outcome under 'Proposed changes'."
            ), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:directory_pendingchange_changelist"))
        return super().response_change(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id and str(object_id).isascii() and str(object_id).isdigit():
            pending = PendingChange.objects.filter(service_id=object_id, status=ChangeStatus.PENDING)
            if is_organisation_editor(request.user):
                pending = pending.filter(submitted_by=request.user)  # the only ones they may open
            extra_context["pending_changes"] = list(pending.select_related("submitted_by", "invitation")[:10])
        return super().change_view(request, object_id, form_url, extra_context)

    def proposal_forms(self, request, change, service):
        """A proposal made before issue 18 kept only the submitted form: its submitter's form
        and inlines, bound to it, against the live record."""
        fake = as_submitter(request, change)
        form = self.get_form(fake, service, change=True)(fake.POST, fake.FILES, instance=service)
        valid = form.is_valid()
        target = self.save_form(fake, form, change=True) if valid else form.instance
        formsets, _ = self._create_formsets(fake, target, change=True)
        return form, formsets, valid and all(formset.is_valid() for formset in formsets)

    def _read_legacy(self, request, change, service, persist):
        """Turn an old proposal's form into field-by-field changes (against the record as it is
        now: it kept no base), stored once by the first editor to open it. Returns the errors
        that stop it applying."""
        form, formsets, valid = self.proposal_forms(request, change, service)
        if not valid:
            return [f"{field}: {'; '.join(errs)}" for field, errs in form.errors.items()] + [
                str(e) for formset in formsets for e in ([formset.non_form_errors()] + formset.errors) if e]
        change.changes = moderation.changes_from_forms(service=service, form=form, formsets=formsets)
        if persist:
            PendingChange.objects.filter(pk=change.pk, changes__isnull=True).update(changes=change.changes)
        return []

    def review_change_view(self, request, object_id, change_id):
        """IMHSG editors decide here. Viewers and the proposal's own submitter may read it (the
        moderation queue links them here); a POST from them is refused."""
        if not (str(object_id).isascii() and str(object_id).isdigit()):
            raise Http404("No such service.")
        change = get_object_or_404(
            PendingChange.objects.select_related("submitted_by", "invitation", "decided_by"), pk=change_id,
            service_id=object_id)
        moderator = can_moderate(request.user)
        if not (moderator or may_read_proposal(request.user, change)) or (request.method == "POST" and not moderator):
            raise PermissionDenied
        service = get_object_or_404(Service, pk=object_id)
        errors = self._read_legacy(request, change, service, moderator) if change.changes is None else []
        found = moderation.review(change) if change.changes is not None else moderation.Review()
        errors += found.problems
        # Whether the proposal can apply at all; a decision's own complaint (no reason given, a
        # conflict left unsettled) is said too, but keeps the diff and the choices on the page.
        valid = not errors
        conflicts, unsettled = found.conflicts, set()
        if request.method == "POST" and moderator:
            done = self._decide(request, change, service, conflicts, errors, unsettled)
            if done:
                return done
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review a proposed change to {service.name}",
            "opts": self.model._meta, "original": service, "change": change, "valid": valid,
            "may_decide": moderator,
            "changes": [FieldChange(*row) for row in found.rows] if valid else [],
            "conflicts": [(c, request.POST.get(f"choice:{c.key}", ""), c.key in unsettled) for c in conflicts],
            "errors": errors,
        }
        return TemplateResponse(request, "admin/directory/service/review_change.html", context)

    def _decide(self, request, change, service, conflicts, errors, unsettled):
        """Approve or reject on POST. Returns a redirect when decided, else None (with errors)."""
        changelist = HttpResponseRedirect(reverse("admin:directory_pendingchange_changelist"))
        try:
            if "_approve" in request.POST and not errors:  # errors here: it cannot apply
                choices = {c.key: request.POST.get(f"choice:{c.key}", "") for c in conflicts}
                moderation.approve_change(change=change, decided_by=request.user, choices=choices)
                self.message_user(request, f"Approved: {service.name} now shows the change.", messages.SUCCESS)
                return changelist
            if "_reject" in request.POST:
                moderation.reject_change(change=change, decided_by=request.user, reason=request.POST.get("reason", ""))
                self.message_user(request, "Rejected. The submitter sees your reason.", messages.SUCCESS)
                return changelist
        except moderation.AlreadyDecided as decided:
            self.message_user(request, f"{decided} Nothing was changed.", messages.WARNING)
            return changelist
        except moderation.Conflicts as found:
            unsettled.update(c.key for c in found.conflicts)
            errors.append("Some fields have changed since the proposal was made. For each, choose whether to keep "
                          "the live value or take the proposed one, then approve again.")
        except ValidationError as error:
            errors.extend(error.messages)
        return None


HELD, UNCHANGED = "held", "unchanged"


def may_read_proposal(user, change):
    """Who may read a proposal without deciding it: its submitter, and viewers (who read the
    whole admin). Another organisation's editor may not."""
    if is_organisation_editor(user):
        return change.submitted_by_id == user.pk
    return user.has_perm("directory.view_pendingchange")


class PendingChangeAdmin(admin.ModelAdmin):
    """The moderation queue. IMHSG editors see every proposal; an organisation editor sees
    their own, with the outcome and the reason."""

    list_display = ["service", "proposer", "submitted_at", "status", "decided_by", "reason", "review_link"]
    list_filter = ["status"]
    list_select_related = ["service", "submitted_by", "invitation", "decided_by"]
    search_fields = ["service__name", "submitted_by__username", "invitation__name"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_organisation_editor(request.user):
            return queryset.filter(submitted_by=request.user)
        return queryset

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decided in the review page, never edited

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="proposed by", ordering="submitted_by__username")
    def proposer(self, obj):
        """A person's account, or the service through its check-in link (no account)."""
        return obj.proposed_by

    @admin.display(description="review")
    def review_link(self, obj):
        from django.utils.html import format_html

        url = reverse("admin:directory_service_review_change", args=[obj.service_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, "Review" if obj.status == ChangeStatus.PENDING else "See")


# --- Comparing two versions ------------------------------------------------------------

class CompareVersionsMixin:
    """History that never writes behind a role's back, and a comparison of any two versions.

    django-simple-history's history form saves whatever is POSTed for anyone who may view the
    record, and hiding its Revert button (`revert_disabled`) does not stop a POST. Here a past
    version is shown read-only to whoever may view the record, and a POST reverts to it, through
    directory.curation.moderation.revert_to_version, only for those who may revert (can_revert). Private
    fields (curation.hidden_fields) are left out of the list of changes, the comparison and the
    version's page. A record the person cannot open (another organisation's) has no history
    they can open either.

    /admin/directory/<model>/<id>/history/compare/?older=<history id>&newer=<history id>."""

    def has_change_history_permission(self, request, obj=None):
        return can_revert(request.user) and self.has_change_permission(request, obj)

    def revert_disabled(self, request, obj=None):
        return not self.has_change_history_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not getattr(request, "_viewing_version", False):
            return form

        class PastVersionForm(form):
            """A past version is read, never edited in place: Revert restores it as it was."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for field in self.fields.values():
                    field.disabled = True

        return PastVersionForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        hidden = hidden_fields(request.user, self.model)
        if getattr(request, "_viewing_version", False):
            # A past version's many-to-many sets are not on the record it rebuilds: the list of
            # changes shows them; showing today's sets here would mislead.
            hidden |= {f.name for f in self.model._meta.many_to_many}
        if not hidden:
            return fieldsets
        return [(name, {**options, "fields": [f for f in options["fields"]
                                              if not (set(f) if isinstance(f, (list, tuple)) else {f}) & hidden]})
                for name, options in fieldsets]

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        hidden = hidden_fields(request.user, self.model)
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(current, foreign_keys_are_objs=foreign_keys_are_objs,
                                              excluded_fields=hidden)
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, object_id) is None:
            raise Http404("No such record.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404("No such record.")
        if not (str(version_id).isascii() and str(version_id).isdigit()) or not obj.history.filter(history_id=version_id).exists():
            raise Http404("No such version of this record.")
        if request.method == "POST":
            return self._revert(request, obj, version_id)
        request._viewing_version = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _revert(self, request, obj, version_id):
        if not self.has_change_history_permission(request, obj):
            raise PermissionDenied
        info = self.model._meta.app_label, self.model._meta.model_name
        try:
            changed = moderation.revert_to_version(record=obj, history_id=version_id, reverted_by=request.user)
        except ValidationError as error:
            self.message_user(request, "Not reverted: " + " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)
        if changed:
            self.message_user(request, f"{obj} now says what it said in that version.", messages.SUCCESS)
        else:
            self.message_user(request, f"Nothing to revert: {obj} already says what that version said.", messages.INFO)
        return HttpResponseRedirect(reverse("admin:%s_%s_change" % info, args=[obj.pk]))

    def compare_versions_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        versions = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[:200])
        by_id = {str(v.history_id): v for v in versions}
        newer = by_id.get(request.GET.get("newer", "")) or (versions[0] if versions else None)
        older = by_id.get(request.GET.get("older", "")) or (versions[1] if len(versions) > 1 else None)
        changes = []
        if newer is not None and older is not None and older.history_id != newer.history_id:
            delta = newer.diff_against(older, excluded_fields=hidden_fields(request.user, self.model))
            changes = [FieldChange("", self.model._meta.get_field(c.field).verbose_name.capitalize(),
                                   _shown(c.old), _shown(c.new)) for c in delta.changes]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Compare two versions of {obj}", "opts": self.model._meta, "original": obj,
            "versions": versions, "older": older, "newer": newer, "changes": changes,
        }
        return TemplateResponse(request, "admin/directory/compare_versions.html", context)


# --- The curation dashboard -------------------------------------------------------------









# --- Curators' own details (the owner's e-mail) --------------------------------------------



