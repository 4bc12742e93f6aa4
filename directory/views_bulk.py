"""The public CSV of published services (a link on /about/)."""
from django.http import HttpResponse
from django.views.decorators.http import require_safe

from directory.caching import content_etag
from directory.bulk import public_services_csv

FILENAME = "birmingham-parent-infant-services.csv"


@require_safe
@content_etag(per_visitor=False)
def services_csv(request):
    """Every published service, with only what its public page shows. 9 queries whatever the number."""
    response = HttpResponse(public_services_csv(base_url=request.build_absolute_uri("/")[:-1]),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{FILENAME}"'
    return response
