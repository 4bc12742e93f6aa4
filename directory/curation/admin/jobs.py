"""Import jobs in the admin (issue 26, docs/adr/0026): recent jobs (/admin/imports/), one job's
page with its progress (/admin/imports/<id>/) and that progress as JSON for the page's script
(/admin/imports/<id>/status.json). Routed in config/urls.py; GET only; who may see them:
`jobs.can_see_jobs` (whoever may import). A job id that names nothing is a 404."""
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from directory.curation import jobs
from directory.models import ImportJob

RECENT = 50
# Every column the pages show; never the file's content, which may be megabytes.
SHOWN = ("pk", "user__username", "kind", "file_name", "state", "rows_total", "rows_done", "created_count",
         "updated_count", "unchanged_count", "message", "problems", "created_at", "started_at", "finished_at")


def _check(request):
    if not jobs.can_see_jobs(request.user):
        raise PermissionDenied


def _job(job_id):
    if job_id > 2**63 - 1:  # beyond any id; the database would refuse to compare it (a 500)
        raise Http404("No such import.")
    job = ImportJob.objects.select_related("user").only(*[name for name in SHOWN if name != "user__username"],
                                                        "user__username").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import.")
    return job


def kind_words(kind):
    from directory.curation.admin.bulk import KINDS, RESOURCES

    return KINDS.get(RESOURCES[kind], "rows") if 0 <= kind < len(RESOURCES) else "rows"


def present(job):
    """What the page and its JSON say of a job."""
    return {
        "id": job.pk,
        "state": job.state,
        "state_words": job.get_state_display(),
        "finished": job.finished,
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "percent": job.percent,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "message": job.message,
        "summary": summary(job),
    }


def summary(job):
    """One sentence for the live region: where the import is."""
    counts = f"{job.created_count} added, {job.updated_count} changed, {job.unchanged_count} unchanged"
    if job.state == "queued":
        done = f" {job.rows_done} of {job.rows_total} rows were written before it was interrupted." if job.rows_done else ""
        return f"Waiting for the importer to start.{done}"
    if job.state == "running":
        return f"Importing: {job.rows_done} of {job.rows_total} rows written ({counts})."
    if job.state == "done":
        return f"Finished: all {job.rows_total} rows imported ({counts})."
    return f"Stopped: {job.rows_done} of {job.rows_total} rows written ({counts})."


@never_cache
@require_GET
def job_view(request, job_id):
    _check(request)
    job = _job(job_id)
    context = {
        **admin.site.each_context(request),
        "title": f"Import {job.pk}: {job.file_name or 'a CSV file'}",
        "job": job,
        "kind": kind_words(job.kind),
        "status": present(job),
        "written": jobs.written_words(job.rows_done, job.rows_total) if job.state == "failed" else "",
        "status_url": reverse("import-job-status", args=[job.pk]),
        "not_written": job.rows_total - job.rows_done,
    }
    return TemplateResponse(request, "admin/directory/import_job.html", context)


@never_cache
@require_GET
def job_status_view(request, job_id):
    _check(request)
    return JsonResponse(present(_job(job_id)))


@never_cache
@require_GET
def job_list_view(request):
    _check(request)
    rows = list(ImportJob.objects.select_related("user").only(
        *[name for name in SHOWN if name not in ("user__username", "message", "problems")], "user__username")
        [:RECENT])
    context = {
        **admin.site.each_context(request),
        "title": "Imports",
        "rows": [(job, kind_words(job.kind), summary(job)) for job in rows],
        "recent": RECENT,
    }
    return TemplateResponse(request, "admin/directory/import_jobs.html", context)
