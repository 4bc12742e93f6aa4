"""The IMHSG's self-audit report in the admin (issue 20, item 5), imported from config/urls.py:
the report (/admin/self-audits/), its CSV, each service's dated history of self-audits and a
comparison of two of them; and the self-audits themselves in the admin, read-only.

Read-only for everyone: a self-audit is what a service said on a date, so nobody edits it.
Only a superuser may delete one (hard deletion is a superuser's act across the admin, e.g. to
honour an erasure request). Who may read: `report.can_see_self_audits`.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET

from directory.core.spreadsheets import csv_download
from directory.checkins import report
from directory.checkins.barriers import BARRIERS, QUESTIONS
from directory.models import SelfAudit, Service


def _check(request):
    if not report.can_see_self_audits(request.user):
        raise PermissionDenied


def _context(request, title, **extra):
    return {**admin.site.each_context(request), "title": title, **extra}


@require_GET
def report_view(request):
    """The report: headline numbers, counts per barrier, each answered service's latest audit."""
    _check(request)
    form, filters = report.report_filters(request.GET)
    rows = [report.AuditRow.of(audit) for audit in report.latest_audits(filters)]
    query = filters.query()
    context = _context(
        request, "Self-audit report", form=form, filters=filters, rows=rows, headline=report.headline(filters),
        barrier_counts=report.barrier_counts(filters), query=query,
        chosen=[words for key, words in BARRIERS.items() if key in filters.barriers],
        csv_url=reverse("self-audit-report-csv") + (f"?{query}" if query else ""),
        filtered=bool(filters.barriers or filters.year or filters.district))
    return TemplateResponse(request, "admin/checkins/report.html", context)


@require_GET
def report_csv_view(request):
    """The report's rows as CSV, the filters respected (bad ones ignored, as on the page)."""
    _check(request)
    _, filters = report.report_filters(request.GET)
    return csv_download("self-audits", report.csv_rows(report.latest_audits(filters), report.language_names()))


def _service(service_id):
    return get_object_or_404(Service.objects.select_related("organisation"), pk=service_id)


@require_GET
def history_view(request, service_id):
    """Every self-audit of one service, dated, with their barriers; a form to compare two."""
    _check(request)
    service = _service(service_id)
    audits = report.service_audits(service)
    context = _context(request, f"Self-audits of {service.name}", service=service,
                       rows=[report.AuditRow.of(audit) for audit in audits], audits=audits,
                       earlier=audits[1] if len(audits) > 1 else None, later=audits[0] if audits else None)
    return TemplateResponse(request, "admin/checkins/history.html", context)


def _chosen(audits, value):
    """The audit of this service whose id is `value`, or None (malformed, unknown, another's)."""
    by_id = {str(audit.pk): audit for audit in audits}
    return by_id.get(value.strip()) if isinstance(value, str) else None


@require_GET
def compare_view(request, service_id):
    """Two of a service's self-audits side by side, question by question, changes said in words.
    Without a choice, its latest two. An id that is not one of this service's audits (forged,
    another service's, unknown, not a number) gets a 404 page that says so."""
    _check(request)
    service = _service(service_id)
    audits = report.service_audits(service)
    context = _context(request, f"Compare self-audits of {service.name}", service=service, audits=audits)
    wanted = [request.GET.get("earlier"), request.GET.get("later")]
    if wanted == [None, None]:
        chosen = audits[1::-1] if len(audits) >= 2 else []
    else:
        chosen = [_chosen(audits, value) for value in wanted]
    problem = None
    if len(audits) < 2:
        problem = "This service has fewer than two self-audits, so there is nothing to compare yet."
    elif None in chosen:
        problem = "Those are not two of this service's self-audits. Choose two from the lists."
    elif chosen[0].pk == chosen[1].pk:
        problem = "That is the same self-audit twice. Choose two different ones."
    if problem:
        context.update(problem=problem, earlier=audits[1] if len(audits) > 1 else None,
                       later=audits[0] if audits else None)
        return TemplateResponse(request, "admin/checkins/compare.html", context, status=404)
    earlier, later = sorted(chosen, key=lambda audit: (audit.submitted_at, audit.pk))
    rows = report.comparison(earlier, later, report.language_names())
    context.update(earlier=earlier, later=later, rows=rows, changed=sum(row.changed for row in rows))
    return TemplateResponse(request, "admin/checkins/compare.html", context)


@admin.register(SelfAudit)
class SelfAuditAdmin(admin.ModelAdmin):
    """Self-audits as submitted: read-only, filtered by barrier. A fixed number of queries for
    the list (the service comes with each row)."""

    list_display = ["submitted_at", "service_name", "answered_by", "barriers_found"]
    list_display_links = ["submitted_at"]
    list_filter = list(BARRIERS)
    list_select_related = ["service"]
    search_fields = ["service__name", "answered_by"]
    date_hierarchy = "submitted_at"
    fields = ["service_links", "submitted_at", "answered_by", "invitation_sent", "barriers_found", "answers_in_words",
              "facts_still_right", "proposed_change"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # self-audits come from the check-in page only

    def has_change_permission(self, request, obj=None):
        return False  # what a service said on a date is not edited

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return report.can_see_self_audits(request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service", "invitation", "pending_change")

    @admin.display(description="service", ordering="service__name")
    def service_name(self, obj):
        return obj.service.name

    @admin.display(description="barriers found")
    def barriers_found(self, obj):
        return "; ".join(report.barrier_names(report.flags_of(obj))) or "None found"

    @admin.display(description="service")
    def service_links(self, obj):
        return format_html('<a href="{}">{}</a> (<a href="{}">every self-audit of the service</a>)',
                           reverse("admin:directory_service_change", args=[obj.service_id]), obj.service.name,
                           reverse("self-audit-history", args=[obj.service_id]))

    @admin.display(description="invitation sent")
    def invitation_sent(self, obj):
        # The date only: the address the link went to is the contact's, shown with the invitations.
        if obj.invitation is None:
            return "No invitation (or it was deleted)"
        return f"{timezone.localtime(obj.invitation.created_at):%-d %B %Y}"

    @admin.display(description="answers")
    def answers_in_words(self, obj):
        answers = obj.answers if isinstance(obj.answers, dict) else {}
        names = report.language_names()
        rows = ((QUESTIONS.get(key, key), report.answer_words(key, answers.get(key), names) or "Not answered")
                for key in report.answer_keys(answers))
        return format_html('<table class="self-audit-answers"><caption>Answers, question by question</caption>'
                           '<thead><tr><th scope="col">Question</th><th scope="col">Answer</th></tr></thead>'
                           '<tbody>{}</tbody></table>',
                           format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows))

    @admin.display(description="proposed change")
    def proposed_change(self, obj):
        if obj.pending_change_id is None:
            return "None"
        return format_html('<a href="{}">{}</a>', reverse("admin:directory_pendingchange_change",
                                                          args=[obj.pending_change_id]), obj.pending_change)
