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


NDJSON = "application/x-ndjson"


def _ndjson_response(request, items):
    """`format=ndjson`: every result, one compact JSON object a line, no envelope."""
    body = b"".join(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for item in items)
    return _respond(request, body, 200, content_type=NDJSON)


def _respond(request, body, status, content_type="application/json", etag=None):
    response = _with_cors(HttpResponse(body, status=status, content_type=content_type))
    if status == 200:
        # The content version's ETag (directory/core/caching.py), the same for everyone: it
        # changes exactly when a curator's change may change this body. `api_view` gives the
        # one it compared, made from the view's kinds of content (docs/adr/0028).
        response["ETag"] = etag or etag_for(request, per_visitor=False)
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


def api_view(view=None, *, kinds=None):
    """JSON errors, CORS preflight and GET/HEAD only, for every API view. CSRF-exempt: nothing
    here reads a body or changes anything, and a POST must get the JSON 405, not the HTML
    page for a missing CSRF token. `kinds`: the kinds of content the view reads, when fewer
    than all (directory/core/content.py; checked by tests/directory/core/test_content_kinds.py)."""
    if view is None:
        return lambda view: api_view(view, kinds=kinds)

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
        etag = etag_for(request, per_visitor=False, kinds=kinds)
        if _matches(request.headers.get("If-None-Match", ""), etag):
            return _not_modified(etag)

        def produce():
            try:
                response = view(request, *args, **kwargs)
            except params.ApiError as error:
                response = error_response(request, error.status, error.errors)
            return response.status_code, response.content, response["Content-Type"]

        status, body, content_type = cached("api", (request.get_host(), request.get_full_path()), produce, kinds)
        return _respond(request, body, status, content_type, etag=etag)
    wrapper.content_kinds = kinds
    return wrapper


# The taxonomies are the controlled lists: a service's save leaves them cached.
REFERENCE = ("reference",)


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
    page_number, per_page, requested = params.page_request(request.GET)
    offset = (page_number - 1) * per_page
    items = build(offset, per_page) if offset < total else []
    return payloads.page_payload(items=items, total=total, page_number=page_number, per_page=per_page,
                                 requested_per_page=requested)


def _list(request, total, build):
    """A list endpoint's answer: one page of `build(offset, limit)`, or with format=ndjson
    every item (`build(0, total)`), one a line. `total` may be a callable, run only once
    the page and format parameters are known to be good."""
    fmt = params.output_format(request.GET)
    params.page_request(request.GET)  # page errors are reported for either format
    if callable(total):
        total = total()
    if fmt == "ndjson":
        return _ndjson_response(request, build(0, total) if total else [])
    return _json_response(request, _page(request, total, build))


def _nothing(request):
    """The answer for a request no record can match (params.NothingMatches)."""
    return _list(request, 0, lambda offset, limit: [])


@api_view
def root(request):
    return _json_response(request, payloads.root_payload(
        openapi_url=request.build_absolute_uri(reverse("api:openapi")),
        docs_url=request.build_absolute_uri(reverse("api:docs")),
    ))


@api_view
def openapi(request):
    return _json_response(request, openapi_document(server_url=request.build_absolute_uri(reverse("api:root"))))


def _filtered_services(request, query):
    """(queryset) of the services `query` asks for; NothingMatches for a postcode outside the city."""
    queryset, filterset = selectors.api_service_queryset(query)
    # Only when the postcode is the one thing wrong: any other bad parameter is still a 400.
    if filterset.is_bound and not filterset.is_valid() and set(filterset.errors) == {"postcode"} \
            and params.postcode_outside(request.GET):
        raise params.NothingMatches()
    _filter_errors(filterset)
    return queryset


def _full_services(request, services):
    """Full payloads of these services (from selectors.api_full_service_page): one query for
    all their facts."""
    facts = selectors.ApiFacts.about(services=services)
    return [payloads.service_payload(service, facts, page_url=request.build_absolute_uri(service.get_absolute_url()))
            for service in services]


@api_view
def service_list(request):
    params.output_format(request.GET)
    params.page_request(request.GET)  # parameter errors are reported before any query
    full, minimal = params.boolean(request.GET, "full"), params.boolean(request.GET, "minimal")
    if full and minimal:
        raise params.ApiError(400, [("minimal", "Give full or minimal, not both.")])
    query = params.service_query(request.GET)
    try:
        queryset = _filtered_services(request, query)
    except params.NothingMatches:
        return _nothing(request)

    def build(offset, limit):
        if full:
            return _full_services(request, selectors.api_full_service_page(queryset, offset=offset, limit=limit))
        item = payloads.service_minimal_item if minimal else payloads.service_list_item
        return [item(service) for service in selectors.api_service_page(queryset, offset=offset, limit=limit)]
    return _list(request, queryset.count, build)


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
    params.output_format(request.GET)
    params.page_request(request.GET)
    full = params.boolean(request.GET, "full")
    query = params.service_query(request.GET, allow_proximity=True)
    try:
        near, metres = params.proximity_params(request.GET)
        if metres is not None:
            query.filter_data.pop("postcode", None)  # the distance replaces the district rule
        services = _filtered_services(request, query)
    except params.NothingMatches:
        return _nothing(request)
    queryset = selectors.api_service_at_location_queryset(services, near=near, proximity_m=metres)
    item = payloads.service_at_location_full_item if full else payloads.service_at_location_list_item
    return _list(request, queryset.count, lambda offset, limit: [
        item(sal) for sal in selectors.api_service_at_location_page(queryset, offset=offset, limit=limit, full=full)
    ])


@api_view
def service_at_location_detail(request, id):
    sal = selectors.api_service_at_location_get(uuid=_id(id, "service_at_locations"))
    if sal is None:
        raise _not_found("service at a location")
    facts = selectors.ApiFacts.about(venues=[sal.venue])
    return _json_response(request, payloads.service_at_location_payload(sal, facts))


def _matches_search(search, *texts):
    """Every word of `search` in one of `texts`, ignoring case (the taxonomies are small lists
    held in memory)."""
    haystack = " ".join(texts).casefold()
    return all(word in haystack for word in search.casefold().split())


@api_view(kinds=REFERENCE)
def taxonomy_list(request):
    search = params.search_text(request.GET)
    taxonomies = [t for t in TAXONOMIES if not search or _matches_search(search, t.name, t.description)]
    return _list(request, len(taxonomies), lambda offset, limit: [
        payloads.taxonomy_payload(taxonomy) for taxonomy in taxonomies[offset:offset + limit]
    ])


@api_view(kinds=REFERENCE)
def taxonomy_detail(request, id):
    taxonomy = TAXONOMIES_BY_ID.get(_id(id, "taxonomies"))
    if taxonomy is None:
        raise _not_found("taxonomy")
    return _json_response(request, payloads.taxonomy_payload(taxonomy, term_list([taxonomy])))


@api_view(kinds=REFERENCE)
def taxonomy_term_list(request):
    params.output_format(request.GET)
    params.page_request(request.GET)
    search = params.search_text(request.GET)
    params.boolean(request.GET, "top_only")  # every term is a top-level term: true or false, all of them
    # Given twice, refused as every other parameter is (the review of issue 25): not the last one.
    parent_id = params.single(request.GET, "parent_id")
    if parent_id and parse_uuid(parent_id) is None:
        raise params.ApiError(400, [("parent_id", "parent_id must be the id (a UUID) of a taxonomy term.")])
    taxonomy_id = params.single(request.GET, "taxonomy_id")
    taxonomies = TAXONOMIES
    if taxonomy_id:
        taxonomy = TAXONOMIES_BY_ID.get(parse_uuid(taxonomy_id) or "")
        if taxonomy is None:
            raise params.ApiError(400, [("taxonomy_id", "There is no taxonomy with that id: see /api/taxonomies.")])
        taxonomies = [taxonomy]
    # Our taxonomies are flat: no term has a parent, so a parent_id matches nothing.
    terms = [] if parent_id else term_list(taxonomies)
    if search:
        terms = [term for term in terms if _matches_search(search, term.name, term.description, term.code)]
    return _list(request, len(terms), lambda offset, limit: [
        payloads.taxonomy_term_payload(term) for term in terms[offset:offset + limit]
    ])


def _organisation_services(request):
    """None, "list" (`full`) or "full" (`full_service`): how much of their services to nest."""
    full, full_service = params.boolean(request.GET, "full"), params.boolean(request.GET, "full_service")
    return "full" if full_service else "list" if full else None


def _organisation_items(request, organisations, services):
    """Payloads of these organisations (from selectors.api_organisation_page), their services
    nested as `services` asks: one query for the facts of all the services in full."""
    if services is None:
        return [payloads.organisation_payload(organisation) for organisation in organisations]
    if services == "full":
        everything = [service for organisation in organisations for service in organisation.api_services]
        facts = selectors.ApiFacts.about(services=everything)
        return [payloads.organisation_full_payload(organisation, [
            payloads.service_payload(service, facts, page_url=request.build_absolute_uri(service.get_absolute_url()))
            for service in organisation.api_services]) for organisation in organisations]
    return [payloads.organisation_full_payload(
        organisation, [payloads.service_list_item(service) for service in organisation.api_services])
        for organisation in organisations]


@api_view
def organisation_list(request):
    params.output_format(request.GET)
    params.page_request(request.GET)
    services = _organisation_services(request)
    queryset = selectors.api_organisation_queryset(search=params.search_text(request.GET))
    return _list(request, queryset.count, lambda offset, limit: _organisation_items(
        request, selectors.api_organisation_page(queryset, offset=offset, limit=limit, services=services), services))


@api_view
def organisation_detail(request, id):
    """An organisation with its published services, as list items (`full_service=true`: in full)."""
    services = "full" if params.boolean(request.GET, "full_service") else "list"
    organisation = selectors.api_organisation_get(uuid=_id(id, "organizations"), services=services)
    if organisation is None:
        raise _not_found("organization")
    return _json_response(request, _organisation_items(request, [organisation], services)[0])


@api_view(kinds=REFERENCE)
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
