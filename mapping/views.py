"""The map, its data endpoint, the district panel and the needs page. Thin: reads are in
mapping/selectors.py and mapping/geojson.py, display in mapping/presenters.py."""
import gzip
import json

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from directory.core.caching import cached, cached_page, content_etag, etag_for
from directory.practitioners.presenters.search import filter_groups
from directory.search.selectors import level_list
from mapping import presenters, selectors
from mapping.capacity import capacity_gaps
from mapping.geojson import district_map_build, wards_feature_collection
from mapping.needs import (
    PARAMETERS, TABLE_1_CAPTION, TABLE_1_COLUMNS, OverrideError, needs_estimate, parameters_with_overrides,
)
from mapping.postcodes import place_lookup

# Parameters the map reads itself rather than passing to the shared FilterSet: which district
# to look at, which postcode to zoom to, and how to shade. They never narrow the counts.
MAP_ONLY = {"district", "postcode", "measure", "page", "sort"}
NEEDS_NAMES = {name for name, _, _ in PARAMETERS}
# The page lists at most this many venues; the map shows them all (markers_geojson).
VENUES_LISTED = 25
NEEDS_MEASURES = ["practitioners_needed", "practitioner_gap", "practitioner_time_recorded",
                  "families_needing_specialised_support", "population_under_2", "specialised_services_mapped"]


# The kinds of content each view reads (directory/core/content.py; checked against the tables
# they read by tests/directory/core/test_content_kinds.py). Nothing here shows sessions, so a
# session's save leaves the map warm; the wards are places alone.
MAP = ("services", "reference", "places", "needs")
MARKERS = ("services", "reference", "places")
NEEDS = ("services", "places", "needs")
PLACES = ("places",)


def _filter_data(query):
    data = query.copy()
    for name in MAP_ONLY | NEEDS_NAMES:
        data.pop(name, None)
    return data


def _parameters(query):
    """Saved needs parameters with any valid GET overrides: (parameters, overridden, errors, saved, settings row)."""
    saved, settings = selectors.needs_parameters_get()
    try:
        parameters, overridden = parameters_with_overrides(saved, query)
    except OverrideError as error:
        return saved, [], error.messages, saved, settings
    return parameters, overridden, {}, saved, settings


def _valid_query(query, filterset, errors):
    """The query string without the parameters that had errors, for the map's data request."""
    data = query.copy()
    for name in list(filterset.errors) + list(errors):
        data.pop(name, None)
    for name in ("district", "postcode", "page", "sort"):
        data.pop(name, None)
    return data.urlencode()


def _district_query(query):
    """The address's parameters, ready for '&district=<slug>' (the district and postcode replaced)."""
    data = query.copy()
    data.pop("district", None)
    data.pop("postcode", None)
    encoded = data.urlencode()
    return encoded + "&" if encoded else ""


def _district_from(districts, slug):
    return next((d for d in districts if d.slug == slug), None)


@require_safe
@content_etag(kinds=MAP)
@cached_page(kinds=MAP)
def map_page(request):
    parameters, overridden, override_errors, _, _ = _parameters(request.GET)
    built = district_map_build(
        data=_filter_data(request.GET), parameters=parameters, overridden=overridden, with_geometry=False
    )
    measure = presenters.measure_get(request.GET.get("measure", ""))
    rows = [built.properties(d) for d in built.districts]
    errors = {**{name: " ".join(messages) for name, messages in built.filterset.errors.items()}, **override_errors}

    district, district_error = None, ""
    slug = request.GET.get("district", "")
    if slug:
        district = _district_from(built.districts, slug)
        if district is None:
            district_error = "We do not know that district. Choose one of Birmingham's 10 districts from the list."
    postcode = None
    if request.GET.get("postcode", "").strip():
        postcode = place_lookup(request.GET["postcode"])
        if postcode.found and district is None and not district_error:
            district = _district_from(built.districts, postcode.district.slug)

    levels = level_list()
    # Markers come from /map/markers.geojson; the page lists at most VENUES_LISTED of them, so
    # it weighs the same at any size: the nearest to the postcode, else those in the chosen
    # district, else the first by name.
    positions = selectors.venue_positions(services=built.services)
    ranked = []
    if postcode and postcode.lat is not None:
        ranked = selectors.nearest_venues(venues=positions, lat=postcode.lat, lon=postcode.lon, limit=VENUES_LISTED)
        listed_ids = [row[0] for row, _ in ranked]
    elif district is not None:
        listed_ids = [row[0] for row in positions if row[5] == district.pk][:VENUES_LISTED]
    else:
        listed_ids = [row[0] for row in positions[:VENUES_LISTED]]
    venues = selectors.venues_for_map(services=built.services, venue_ids=listed_ids)
    by_id = {venue.pk: venue for venue in venues}
    if ranked:
        venues = [by_id[row[0]] for row, _ in ranked if row[0] in by_id]
    # Miles, as on the search page and as UK users expect.
    nearest = [(by_id[row[0]], presenters.miles_text(km)) for row, km in ranked[:5] if row[0] in by_id]

    context = {
        "built": built,
        "rows": rows,
        "totals": built.feature_collection(with_geometry=False)["totals"],
        "measure": measure,
        "measures": presenters.MEASURES,
        "summary": presenters.map_summary(rows, measure),
        # The search page's own option groups, so both pages offer a filter the same way.
        "filter_groups": filter_groups(built.filterset, request.GET, names=presenters.MAP_FILTERS)[0],
        "hidden_filters": presenters.hidden_filters(
            request.GET, set(presenters.MAP_FILTERS) | {"district", "postcode", "measure", "page"}
        ),
        "filters_applied": any(value.strip() for value in _filter_data(request.GET).values()),
        "errors": errors,
        "district": district,
        "district_error": district_error,
        "postcode": postcode,
        "nearest": nearest,
        "venue_count": len(positions),
        "venues_listed": [presenters.marker_payload(v) for v in venues],
        "venues_how": "nearest" if ranked else ("district" if district is not None else "name"),
        "geojson_url": reverse("mapping:districts-geojson") + "?" + _valid_query(request.GET, built.filterset, errors),
        "markers_url": reverse("mapping:markers-geojson") + "?" + _valid_query(request.GET, built.filterset, errors),
        "search_url": reverse("directory:search") + "?" + _valid_query(request.GET, built.filterset, errors),
        "district_query": _district_query(request.GET),
        "measures_json": presenters.measures_json(presenters.MEASURES),
        "gap": _gap_context(built.gaps),
        "panel": _panel_context(built, district, levels) if district else None,
        "map_view": _map_view(district, postcode),
        "levels_explained": levels,
        "focus_explained": presenters.focus_explanations(),
    }
    return render(request, "mapping/map.html", context)


def _gap_context(gaps):
    """The need-against-capacity table both pages show (templates/mapping/includes/gap_table.html)."""
    rows, total = presenters.gap_rows(gaps)
    return {"rows": rows, "total": total, "lines": presenters.capacity_lines(gaps), "gaps": gaps}


def _map_view(district, postcode):
    """What the map's JS should zoom to and highlight (JSON-safe)."""
    view = {"district": district.slug if district else ""}
    if postcode and postcode.lat is not None:
        view.update(postcode=postcode.postcode, lat=postcode.lat, lon=postcode.lon)
    return view


def _panel_context(built, district, levels):
    services = selectors.services_in_district_for_panel(services=built.services, district=district)
    return {
        "district": district,
        "figures": built.properties(district),
        "gap": presenters.gap_sentence(built.gaps.for_slug(district.slug)),
        "ladder": presenters.ladder(services, levels),
        "service_count": len(services),
    }


@require_safe
@content_etag(kinds=MAP)
@cached_page(kinds=MAP)
def district_panel(request, slug):
    """The district panel alone, for the map's JS to put in place without reloading the page."""
    parameters, overridden, _, _, _ = _parameters(request.GET)
    built = district_map_build(data=_filter_data(request.GET), parameters=parameters, with_geometry=False)
    district = _district_from(built.districts, slug)
    if district is None:
        raise Http404("We do not know that district.")
    panel = _panel_context(built, district, level_list())
    return render(request, "mapping/includes/district_panel.html", {"panel": panel})


@require_safe
@content_etag(per_visitor=False, kinds=MAP)
def districts_geojson(request):
    """The ten districts as GeoJSON with figures, need and matching services (same filters as /search/)."""
    def build():
        parameters, overridden, override_errors, _, _ = _parameters(request.GET)
        built = district_map_build(data=_filter_data(request.GET), parameters=parameters, overridden=overridden)
        errors = {**{name: " ".join(messages) for name, messages in built.filterset.errors.items()},
                  **override_errors}
        if errors:
            return 400, _compact({"errors": errors})
        return 200, _compact(built.feature_collection())

    return _geojson_response(request, *cached("districts-geojson", _query_key(request.GET), _with_gzip(build), MAP),
                             kinds=MAP)


@require_safe
@content_etag(per_visitor=False, kinds=MARKERS)
def markers_geojson(request):
    """The venues of the matching services as GeoJSON points (same filters as /search/), each
    with its first services for the popup. Served apart from /map/ so the page's weight does
    not grow with the venues, and cached like the districts."""
    def build():
        services, filterset = selectors.matching_services(data=_filter_data(request.GET))
        if filterset.errors:
            return 400, _compact({"errors": {name: " ".join(messages) for name, messages in filterset.errors.items()}})
        venues = selectors.venues_for_map(services=services)
        return 200, _compact({"type": "FeatureCollection", "features": [
            presenters.marker_feature(venue) for venue in venues
        ]})

    return _geojson_response(request, *cached("markers-geojson", _query_key(request.GET), _with_gzip(build), MARKERS),
                             kinds=MARKERS)


@require_safe
@content_etag(per_visitor=False, kinds=PLACES)
def wards_geojson(request):
    """The wards, for the map's reference layer. The same for everyone: cached like the districts."""
    return _geojson_response(request, *cached(
        "wards-geojson", (), _with_gzip(lambda: (200, _compact(wards_feature_collection()))), PLACES), kinds=PLACES)


def _query_key(query):
    """A cache key part for a query string: its parameters in order, so ?a=1&b=2 and ?b=2&a=1 share."""
    return tuple(sorted((name, tuple(values)) for name, values in query.lists()))


def _compact(data):
    return json.dumps(data, separators=(",", ":")).encode()


def _with_gzip(build):
    """build() and the body gzipped once, to be cached together: GZipMiddleware would
    otherwise compress the same 120 kB again on every request (a third of the cost)."""
    def both():
        status, body = build()
        return status, body, gzip.compress(body, compresslevel=6, mtime=0)
    return both


def _geojson_response(request, status, body, compressed, *, kinds):
    """Compact GeoJSON, gzipped when the client accepts it (GZipMiddleware leaves a response
    with a Content-Encoding alone); content_etag gives it its ETag and answers If-None-Match
    with a 304. The gzipped form gets a weak ETag, as GZipMiddleware's own would be."""
    content_type = "application/geo+json" if status == 200 else "application/json"
    if "gzip" not in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(body, status=status, content_type=content_type)
    else:
        response = HttpResponse(compressed, status=status, content_type=content_type)
        response["Content-Encoding"] = "gzip"
        if status == 200:
            response["ETag"] = "W/" + etag_for(request, per_visitor=False, kinds=kinds)
    patch_vary_headers(response, ("Accept-Encoding",))
    return response



@require_safe
@content_etag(kinds=NEEDS)
@cached_page(kinds=NEEDS)
def needs_page(request):
    parameters, overridden, errors, saved, settings = _parameters(request.GET)
    districts = selectors.district_list()
    estimate = needs_estimate(
        populations=[(d.name, d.slug, d.population_under_2) for d in districts], parameters=parameters
    )
    provision = selectors.specialised_provision(districts=districts)
    gaps = capacity_gaps(estimate=estimate, comparable=provision.comparable,
                         comparable_city=provision.comparable_city, records=selectors.capacity_records(districts=districts))
    prepared, prepared_from, prepared_to = selectors.referrals_prepared(today=timezone.localdate())
    query = request.GET.copy()
    for name in errors:
        query.pop(name, None)
    attachment_rows, attachment_total = presenters.attachment_rows(estimate)
    parameter_rows = presenters.parameter_rows(parameters, saved, overridden, settings, request.GET, errors)
    context = {
        "estimate": estimate,
        "attachment_rates": presenters.attachment_rates(parameters, overridden),
        "attachment_rows": attachment_rows,
        "attachment_total": attachment_total,
        "table_1": {"caption": TABLE_1_CAPTION, "columns": TABLE_1_COLUMNS},
        "rows": presenters.needs_rows(estimate, provision.counts),
        "specialised_total": provision.total,
        "gap": _gap_context(gaps),
        "prepared": {"rows": prepared, "from": prepared_from, "to": prepared_to,
                     "total": sum(row[3] for row in prepared)},
        "parameters": parameter_rows,
        "parameter": {p.name: p for p in parameter_rows},
        "overridden": overridden,
        "errors": errors,
        "geojson_url": reverse("mapping:districts-geojson") + "?" + query.urlencode(),
        "measure": presenters.measure_get("practitioners_needed"),
        "measures": [presenters.measure_get(k) for k in NEEDS_MEASURES],
        "measures_json": presenters.measures_json([presenters.measure_get(key) for key in NEEDS_MEASURES]),
    }
    return render(request, "mapping/needs.html", context)
