"""What people searched for, in the admin (issue 22): the list of every search (/admin/searches/)
and its CSV, routed in config/urls.py. Read-only, GET only; who may read them:
`searches.can_see_searches`. Selectors and presenters are in directory/curation/searches.py."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from directory.core.spreadsheets import csv_download
from directory.curation import searches

PER_PAGE = 100


def _check(request):
    if not searches.can_see_searches(request.user):
        raise PermissionDenied


@require_GET
def search_list_view(request):
    """Every different search of the period, the most made first, filtered by who searched and
    how many results it found; 100 a page."""
    _check(request)
    form, filters = searches.search_filters(request.GET)
    paginator = Paginator(searches.search_rows(filters), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    query = filters.query()
    context = {
        **admin.site.each_context(request),
        "title": "What people searched for",
        "form": form,
        "filters": filters,
        "rows": searches.present(page.object_list),
        "page_obj": page,
        "page_links": [(number, _page_query(query, number)) for number in paginator.get_elided_page_range(page.number)],
        "csv_url": searches.csv_url(filters),
        "kept_days": settings.SEARCH_RECORD_DAYS,
        "placeholders": searches.PLACEHOLDER_WORDS,
        "few_max": searches.FEW,
        "filtered": bool(query),
    }
    return TemplateResponse(request, "admin/directory/searches/list.html", context)


def _page_query(query, number):
    if number == Paginator.ELLIPSIS:
        return None
    return f"?{query}&page={number}" if query else f"?page={number}"


@require_GET
def search_csv_view(request):
    """The list's searches as CSV, every page, the filters respected (bad ones ignored, as on the page)."""
    _check(request)
    _, filters = searches.search_filters(request.GET)
    return csv_download(f"searches-{filters.days}-days", searches.csv_rows(searches.search_rows(filters)))
