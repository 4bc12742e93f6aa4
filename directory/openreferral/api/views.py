"""The Open Referral UK 3.0 API: read-only JSON, published services only.

Every response allows any origin (CORS), carries an ETag (of the content version: see
directory/core/caching.py) and answers If-None-Match with 304 before doing any work. Bad parameters get a JSON 400 naming each parameter;
unknown or unpublished ids a JSON 404. Every other error under /api/, even one Django answers
before or outside these views (too many parameters, a bad Host header, a server error), is JSON
in the same shape: the handlers at the end, which config/urls.py names. Query counts are pinned
in tests/directory/openreferral/api/.
"""
import json
from functools import wraps

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from directory.openreferral.api import params, payloads, selectors
from directory.core.caching import cached, etag_for
from directory.openreferral.api.ids import parse_uuid
from directory.openreferral.api.openapi import openapi_document
from directory.openreferral.api.taxonomies import TAXONOMIES, TAXONOMIES_BY_ID, term_get, term_list

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Max-Age": "86400",
}
CACHE_CONTROL = "public, max-age=60"


def _with_cors(response):
    for header, value in CORS.items():
        response[header] = value
    return response


def _json_response(request, payload, status=200):
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return _respond(request, body, status)


def _respond(request, body, status):
    response = _with_cors(HttpResponse(body, status=status, content_type="application/json"))
    if status == 200:
        # The content version's ETag (directory/core/caching.py), the same for everyone: it
        # changes exactly when a curator's change may change this body.
        response["ETag"] = etag_for(request, per_visitor=False)
        response["Cache-Control"] = CACHE_CONTROL
    return response


def _not_modified(etag):
    response = _with_cors(HttpResponse(status=304))
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _matches(header, etag):
    if not header:
        return False
    # GZipMiddleware weakens the ETag it sends ("W/..."); a weak comparison is right for GET.
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def error_response(request, status, errors):
    titles = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 500: "Server error"}
    return _json_response(request, {
        "status": status,
        "title": titles[status],
        "errors": [{"parameter": name, "message": message} if name else {"message": message}
                   for name, message in errors],
    }, status=status)


def _read_only(request):
    response = error_response(request, 405, [("", "This API is read-only: use GET.")])
    response["Allow"] = "GET, HEAD, OPTIONS"
    return response


def api_view(view):
    """JSON errors, CORS preflight and GET/HEAD only, for every API view. CSRF-exempt: nothing
    here reads a body or changes anything, and a POST must get the JSON 405, not the HTML
    page for a missing CSRF token."""
    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            return _with_cors(HttpResponse(status=204))
        if request.method not in ("GET", "HEAD"):
            return _read_only(request)
        # A revalidation is answered before any work; a repeat of the same request between
        # two curator changes is served from the cache (errors too: they depend only on the
        # address and the content).
        etag = etag_for(request, per_visitor=False)
        if _matches(request.headers.get("If-None-Match", ""), etag):
            return _not_modified(etag)

        def produce():
            try:
                response = view(request, *args, **kwargs)
            except params.ApiError as error:
                response = error_response(request, error.status, error.errors)
            return response.status_code, response.content

        status, body = cached("api", (request.get_host(), request.get_full_path()), produce)
        return _respond(request, body, status)
    return wrapper


def _not_found(what):
    return params.ApiError(404, [("", f"There is no published {what} with that id.")])


def _id(raw, what):
    value = parse_uuid(raw)
    if value is None:
        raise params.ApiError(400, [("id", f"An id is a UUID, such as 0b1c0e1f-1d4e-4c43-9e7a-2b8f0c3a6d11: see the list of {what}.")])
    return value


def _filter_errors(filterset):
    if filterset.is_bound and not filterset.is_valid():
        names = {"q": "search"}
        raise params.ApiError(400, [(names.get(name, name), message)
                                    for name, messages in filterset.errors.items() for message in messages])


def _page(request, total, build):
    page_number, per_page = params.page_params(request.GET)
    offset = (page_number - 1) * per_page
    items = build(offset, per_page) if offset < total else []
    return payloads.page_payload(items=items, total=total, page_number=page_number, per_page=per_page)


@api_view
def root(request):
    return _json_response(request, payloads.root_payload(
        openapi_url=request.build_absolute_uri(reverse("api:openapi")),
        docs_url=request.build_absolute_uri(reverse("api:docs")),
    ))


@api_view
def openapi(request):
    return _json_response(request, openapi_document(server_url=request.build_absolute_uri(reverse("api:root"))))


@api_view
def service_list(request):
    params.page_params(request.GET)  # page errors are reported before any query
    query = params.service_query(request.GET)
    queryset, filterset = selectors.api_service_queryset(query)
    _filter_errors(filterset)
    total = queryset.count()
    return _json_response(request, _page(request, total, lambda offset, limit: [
        payloads.service_list_item(service)
        for service in selectors.api_service_page(queryset, offset=offset, limit=limit)
    ]))


@api_view
def service_detail(request, id):
    service = selectors.api_service_get(uuid=_id(id, "services"))
    if service is None:
        raise _not_found("service")
    facts = selectors.ApiFacts.about(services=[service])
    page_url = request.build_absolute_uri(service.get_absolute_url())
    return _json_response(request, payloads.service_payload(service, facts, page_url=page_url))


@api_view
def service_at_location_list(request):
    params.page_params(request.GET)
    query = params.service_query(request.GET, allow_proximity=True)
    near, metres = params.proximity_params(request.GET)
    if metres is not None:
        query.filter_data.pop("postcode", None)  # the distance replaces the district rule
    services, filterset = selectors.api_service_queryset(query)
    _filter_errors(filterset)
    queryset = selectors.api_service_at_location_queryset(services, near=near, proximity_m=metres)
    total = queryset.count()
    return _json_response(request, _page(request, total, lambda offset, limit: [
        payloads.service_at_location_list_item(sal)
        for sal in selectors.api_service_at_location_page(queryset, offset=offset, limit=limit)
    ]))


@api_view
def service_at_location_detail(request, id):
    sal = selectors.api_service_at_location_get(uuid=_id(id, "service_at_locations"))
    if sal is None:
        raise _not_found("service at a location")
    facts = selectors.ApiFacts.about(venues=[sal.venue])
    return _json_response(request, payloads.service_at_location_payload(sal, facts))


@api_view
def taxonomy_list(request):
    return _json_response(request, _page(request, len(TAXONOMIES), lambda offset, limit: [
        payloads.taxonomy_payload(taxonomy) for taxonomy in TAXONOMIES[offset:offset + limit]
    ]))


@api_view
def taxonomy_detail(request, id):
    taxonomy = TAXONOMIES_BY_ID.get(_id(id, "taxonomies"))
    if taxonomy is None:
        raise _not_found("taxonomy")
    return _json_response(request, payloads.taxonomy_payload(taxonomy, term_list([taxonomy])))


@api_view
def taxonomy_term_list(request):
    params.page_params(request.GET)
    taxonomy_id = request.GET.get("taxonomy_id")
    taxonomies = TAXONOMIES
    if taxonomy_id:
        taxonomy = TAXONOMIES_BY_ID.get(parse_uuid(taxonomy_id) or "")
        if taxonomy is None:
            raise params.ApiError(400, [("taxonomy_id", "There is no taxonomy with that id: see /api/taxonomies.")])
        taxonomies = [taxonomy]
    terms = term_list(taxonomies)
    return _json_response(request, _page(request, len(terms), lambda offset, limit: [
        payloads.taxonomy_term_payload(term) for term in terms[offset:offset + limit]
    ]))


@api_view
def taxonomy_term_detail(request, id):
    term = term_get(_id(id, "taxonomy_terms"))
    if term is None:
        raise _not_found("taxonomy term")
    return _json_response(request, payloads.taxonomy_term_payload(term))


@api_view
def not_found(request, rest=""):
    raise params.ApiError(404, [("", "There is nothing at this address. The API's endpoints are listed at /api/openapi.json.")])


@csrf_exempt
def docs(request):
    """The developers' page (HTML); its errors are JSON, as everywhere under /api/."""
    if request.method not in ("GET", "HEAD"):
        return _read_only(request)
    return render(request, "openreferral/api_docs.html", {
        "taxonomies": TAXONOMIES,
        "api_root": request.build_absolute_uri(reverse("api:root")),
    })


# Django's error handlers (config/urls.py): under /api/ an error is JSON in the API's shape;
# elsewhere the site's own error pages (templates/400.html ...). They run when an error is
# raised before or outside a view, so they use neither the database nor the cache.
API_PREFIX = "/api/"


def _api_error(request, status, message):
    if request.path_info.startswith(API_PREFIX):
        return error_response(request, status, [("", message)])
    return None


def handler400(request, exception):
    if isinstance(exception, TooManyFieldsSent):
        message = f"Too many query parameters: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}."
    else:
        message = "The request could not be understood."
    return _api_error(request, 400, message) or defaults.bad_request(request, exception)


def handler403(request, exception):
    return _api_error(request, 403, "You may not see this.") or defaults.permission_denied(request, exception)


def handler404(request, exception):
    return (_api_error(request, 404, "There is nothing at this address. The API's endpoints are listed at "
                                     "/api/openapi.json.") or defaults.page_not_found(request, exception))


def handler500(request):
    return (_api_error(request, 500, "Something went wrong on our side. Try again in a little while.")
            or defaults.server_error(request))
