"""The API's query parameters: read strictly, reported plainly.

`ApiError` carries a status and a list of (parameter, message); the views turn it into
a JSON error. Numbers are ASCII digits only (directory.core.numbers): "٣", "²" or "1_000" are
refused, as are huge values, instead of reaching int() or the database.
"""
from datetime import datetime, time
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from directory.openreferral.api.ids import parse_uuid
from directory.openreferral.api.taxonomies import TAXONOMIES_BY_ID, term_get
from directory.core.numbers import decimal_number, whole_number
from mapping.postcodes import OUTSIDE, UNKNOWN, place_lookup, postcode_lookup

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PROXIMITY_M = 50_000
MAX_AGE_YEARS = 150
# The search page's own parameters, accepted as extensions with the same meaning
# (docs/adr/0011-oruk-api.md): passed to the FilterSet unchanged.
FILTER_EXTENSIONS = ["age", "stage", "postcode", "district", "level", "focus", "need", "delivery", "language",
                     "referral", "free", "audience"]
# Profile parameters this API does not offer: refused rather than silently ignored.
UNSUPPORTED = {
    "start_time": "We do not hold structured opening times, so start_time is not supported.",
    "end_time": "We do not hold structured opening times, so end_time is not supported.",
    "day": "We do not hold structured opening times, so day is not supported.",
}
FORMATS = ("json", "ndjson")


class NothingMatches(Exception):
    """A well-formed request that no record can match (e.g. a postcode outside Birmingham,
    which no service here covers): the view answers an empty page, not an error."""


class ApiError(Exception):
    def __init__(self, status, errors):
        super().__init__(errors)
        self.status = status
        self.errors = errors  # [(parameter or "", message)]


def single(data, name):
    values = data.getlist(name)
    if len(values) > 1:
        raise ApiError(400, [(name, f"Give {name} once.")])
    return values[0] if values else None


def page_params(data):
    """(page_number, per_page) from `page` and `per_page`; errors for anything else.
    A per_page above MAX_PER_PAGE is capped, not refused (`requested_per_page` tells the
    envelope to say so)."""
    page, per_page, _requested = page_request(data)
    return page, per_page


def page_request(data):
    """(page_number, per_page, requested per_page when it was capped, else None)."""
    errors = []
    requested = None
    page, per_page = 1, DEFAULT_PER_PAGE
    raw = single(data, "page")
    if raw not in (None, ""):
        page = whole_number(raw)
        if page is None or page < 1 or page > 10**9:
            errors.append(("page", "page must be a whole number from 1, in ASCII digits."))
    raw = single(data, "per_page")
    if raw not in (None, ""):
        per_page = whole_number(raw)
        if per_page is None or per_page < 1 or per_page > 10**9:
            errors.append(("per_page", f"per_page must be a whole number from 1 (at most {MAX_PER_PAGE} are given)."))
        elif per_page > MAX_PER_PAGE:
            requested, per_page = per_page, MAX_PER_PAGE
    if errors:
        raise ApiError(400, errors)
    return page, per_page, requested


def boolean(data, name):
    """True, False or None (not given) for a boolean parameter: true/false or 1/0, any case."""
    raw = single(data, name)
    if raw in (None, ""):
        return None
    value = {"true": True, "1": True, "false": False, "0": False}.get(raw.strip().lower())
    if value is None:
        raise ApiError(400, [(name, f"{name} must be true or false.")])
    return value


def output_format(data):
    """"json" (a page) or "ndjson" (every result, one JSON object a line, no pages)."""
    raw = single(data, "format")
    if raw in (None, ""):
        return "json"
    if raw.strip().lower() not in FORMATS:
        raise ApiError(400, [("format", "format must be json or ndjson.")])
    return raw.strip().lower()


def modified_after(data):
    """An aware datetime from `modified_after` (ISO 8601; a date means its start, a time
    without an offset is UK time), or None."""
    raw = single(data, "modified_after")
    if raw in (None, ""):
        return None
    raw = raw.strip()
    value = None
    try:
        value = parse_datetime(raw.replace(" ", "+")) if "T" in raw or ":" in raw else None
        if value is None and len(raw) == 10:
            day = parse_date(raw)
            value = datetime.combine(day, time.min) if day else None
    except (ValueError, OverflowError):
        value = None
    if value is None:
        raise ApiError(400, [("modified_after", "modified_after must be a date and time in ISO 8601, e.g. "
                                                 "2025-01-31T09:00:00Z or 2025-01-31.")])
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:  # the database compares in UTC: 9999-12-31T23:59-05:00 is past the last day a date can hold
        value.astimezone(dt_timezone.utc)
    except OverflowError:
        raise ApiError(400, [("modified_after", "modified_after is outside the dates we can compare: give a year "
                                                 "from 1 to 9999 that stays in range in UTC.")]) from None
    return value


def search_text(data):
    """The `search` words, trimmed (None when not given). At most 200 characters."""
    raw = single(data, "search")
    if raw in (None, "") or not raw.strip():
        return None
    if len(raw) > 200:
        raise ApiError(400, [("search", "search must be at most 200 characters.")])
    if "\x00" in raw:  # as the services' search (Django's forms) refuses it; PostgreSQL cannot hold it
        raise ApiError(400, [("search", "Null characters are not allowed.")])
    return raw.strip()


def _age(data, name):
    raw = single(data, name)
    if raw in (None, ""):
        return None
    value = decimal_number(raw)
    if value is None or not value.is_finite() or not Decimal(0) <= value <= MAX_AGE_YEARS:
        raise ApiError(400, [(name, f"{name} must be a number of years from 0 to {MAX_AGE_YEARS}, e.g. 1.5.")])
    return value


def _uuid_param(data, name, what):
    raw = single(data, name)
    if raw in (None, ""):
        return None
    value = parse_uuid(raw)
    if value is None:
        raise ApiError(400, [(name, f"{name} must be the id (a UUID) of {what}.")])
    return value


def service_query(data, *, allow_proximity=False):
    """A selectors.ServiceQuery for the GET parameters `data` (a QueryDict).

    Raises ApiError(400) for a bad value, a term or taxonomy we do not have, or a profile
    parameter we do not support. Costs at most a few indexed queries (a term's lookup)."""
    from directory.openreferral.api.selectors import ServiceQuery

    errors = []
    for name, message in UNSUPPORTED.items():
        if name in data:
            errors.append((name, message))
    if not allow_proximity and "proximity" in data:
        errors.append(("proximity", "proximity is offered on /service_at_locations, with a postcode."))
    if errors:
        raise ApiError(400, errors)

    filter_data = {name: data.getlist(name) for name in FILTER_EXTENSIONS if name in data}
    search = single(data, "search")
    if search:
        filter_data["q"] = search
    query = ServiceQuery(filter_data=filter_data)

    term_id = _uuid_param(data, "taxonomy_term_id", "a taxonomy term (see /api/taxonomy_terms)")
    if term_id:
        term = term_get(term_id)
        if term is None:
            raise ApiError(400, [("taxonomy_term_id", "There is no taxonomy term with that id: see /api/taxonomy_terms.")])
        _add_terms(query, term.taxonomy, [term])
    taxonomy_id = _uuid_param(data, "taxonomy_id", "a taxonomy (see /api/taxonomies)")
    if taxonomy_id:
        taxonomy = TAXONOMIES_BY_ID.get(taxonomy_id)
        if taxonomy is None:
            raise ApiError(400, [("taxonomy_id", "There is no taxonomy with that id: see /api/taxonomies.")])
        _add_terms(query, taxonomy, None)
    query.min_age_years = _age(data, "minimum_age")
    query.max_age_years = _age(data, "maximum_age")
    query.organisation_uuid = _uuid_param(data, "organization_id", "an organization")
    query.modified_after = modified_after(data)
    return query


def postcode_outside(data):
    """True when `postcode` is well formed but not a Birmingham postcode (or area): no service
    here covers it, so the answer is an empty page. Called only when the FilterSet refused the
    postcode, so it costs nothing on the usual path."""
    raw = single(data, "postcode")
    return raw not in (None, "") and place_lookup(raw).status in (OUTSIDE, UNKNOWN)


def _add_terms(query, taxonomy, terms):
    """Filter by these terms of `taxonomy` (None: any term of it), through the FilterSet
    where it has the parameter. Given with the same FilterSet parameter as an extension
    (e.g. level=...), both must hold only if they agree: the parameter takes the term."""
    if taxonomy.filter_param is None:  # interventions: no search filter
        if terms is None:
            query.any_intervention = True
        else:
            query.intervention_ids = [term.pk for term in terms]
        return
    codes = [term.code for term in terms] if terms is not None else _all_codes(taxonomy)
    existing = query.filter_data.get(taxonomy.filter_param)
    if existing is not None:
        codes = [code for code in codes if code in existing]
        if not codes:  # e.g. a term of one level and level= another: nothing can match
            query.nothing = True
            return
    query.filter_data[taxonomy.filter_param] = codes


def _all_codes(taxonomy):
    from directory.openreferral.api.taxonomies import focus_terms

    if taxonomy.model is None:
        return [term.code for term in focus_terms()]
    return list(taxonomy.model.objects.values_list("code", flat=True))


def proximity_params(data):
    """(PostcodeResult or None, metres or None) for /service_at_locations. 1 query with a postcode."""
    raw_postcode = single(data, "postcode")
    raw_proximity = single(data, "proximity")
    near = None
    if raw_postcode not in (None, ""):
        near = postcode_lookup(raw_postcode)
        if near.status in (OUTSIDE, UNKNOWN):
            raise NothingMatches()
        if not near.found:
            raise ApiError(400, [("postcode", near.message)])
    if raw_proximity in (None, ""):
        return near, None
    metres = whole_number(raw_proximity)
    if metres is None or not 1 <= metres <= MAX_PROXIMITY_M:
        raise ApiError(400, [("proximity", f"proximity must be a whole number of metres from 1 to {MAX_PROXIMITY_M}.")])
    if near is None:
        raise ApiError(400, [("proximity", "Give a postcode with proximity: the distance is measured from it.")])
    return near, metres
