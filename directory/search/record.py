"""What people searched for, and how many results they got (issue 22): the rows of
`SearchRecord` that the curation dashboard adds up (directory/curation/searches.py).

A row is a day, an audience, the normalised keywords, the filters and the number of results,
with how many times that search was made that day. Nothing in it identifies anyone: no
address (a postcode becomes its district), no cookie, no user, no time of day. A postcode,
e-mail address or long number typed into the keywords is replaced by a placeholder.

`recorded(describe)` decorates a search page, outside its ETag and page-cache decorators, so
that a search served from the cache, or answered 304 Not Modified, counts like one built
afresh: each is a person asking for those results. What counts (`_counts`):
- a GET (not HEAD: link checkers and uptime monitors) answered 200 or 304;
- the first page (a `page` other than 1 is the same search, read further);
- not a return to results from one of them (the Referer is a service page or the shortlist:
  their back links carry the search, so following one is not a new search);
- with keywords or at least one filter (`describe` returns None for a bare list).
The project has no rule for telling bots from people, so none is applied here.

`describe(request, *args, **kwargs)` returns a `Search` (audience, query, filters, results). It
is cached under the content version and the request's path and parameters, so a repeated
search costs one query here, the write; a new one costs what `describe` costs (one count for
the practitioners' search) and the write. Recording never breaks the page: any failure is
logged and the response goes out as it was.

The write is a commit per search. On PostgreSQL it does not wait for the disk (see
`search_record`), and the search pages' throughput under load stays that of a search not
counted (bench/load.py). On SQLite a commit waits for the disk (10 to 13 ms here, journal mode
DELETE), which cut the counted search pages to about a quarter of their throughput under load:
SQLite is for development and small installs (ADR 4).
"""
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone

from directory.core.caching import cached
from directory.models import SearchRecord

logger = logging.getLogger(__name__)

# Who searched: the practitioners' search or the parents' lists. "practitioner", not
# "practitioners": SearchRecord.audience holds 12 characters.
PRACTITIONERS, PARENTS = "practitioner", "parents"
QUERY_MAX = SearchRecord._meta.get_field("query").max_length
FILTERS_MAX = SearchRecord._meta.get_field("filters").max_length
# A postcode given but not found in Birmingham (unknown, outside the city, or not a postcode):
# what was typed is never kept.
POSTCODE_NOT_FOUND = "not-found"

# Pages whose links lead back to the results they were opened from (they carry the search).
RETURNS_FROM = {"directory:service-detail", "directory:shortlist", "parents:service", "parents:saved"}


@dataclass(frozen=True)
class Search:
    audience: str
    query: str  # normalise_query's
    filters: str  # filters_text's
    results: int


# --- Normalising ----------------------------------------------------------------------------

# In lower-cased text: a full postcode with or without its space ("b8 1aa", "b81aa"), or a
# sector or part of an inward code after a space ("b8 1", "b8 1a"). An outward code alone
# ("b8", a postcode district of thousands of homes) is kept: it is a place, not an address,
# and is left as typed so curators see that people type it (and "b12" may be a vitamin).
_POSTCODE = re.compile(r"\b[a-z]{1,2}[0-9][a-z0-9]?(?: ?[0-9][a-z]{2}| [0-9][a-z]?)\b")
_EMAIL = re.compile(r"\S+@\S+")
# A phone number or any other long number: seven digits or more, spaces allowed between them.
_NUMBER = re.compile(r"(?<![0-9])\+?[0-9](?: ?[0-9]){6,}(?![0-9])")
PLACEHOLDERS = {"postcode": "[postcode]", "email": "[email]", "number": "[number]"}


def normalise_query(text):
    """Keywords as stored: lower case, one space between words, no postcode, e-mail address or
    long number (each replaced by a placeholder), at most QUERY_MAX characters."""
    if not isinstance(text, str):
        return ""
    text = " ".join(text.lower().split())
    text = _EMAIL.sub(PLACEHOLDERS["email"], text)
    text = _POSTCODE.sub(PLACEHOLDERS["postcode"], text)
    text = _NUMBER.sub(PLACEHOLDERS["number"], text)
    return text[:QUERY_MAX].strip()


def filters_text(pairs):
    """The canonical filters: `name=value` pairs, each once, sorted, space-separated, cut at
    FILTERS_MAX characters on a pair's boundary. Values are codes (slugs, numbers); any
    whitespace in one becomes a hyphen so the pairs stay apart."""
    items = sorted({(str(name), "-".join(str(value).split())) for name, value in pairs if str(value).strip()})
    text = ""
    for name, value in items:
        pair = f"{name}={value}"
        if len(text) + len(pair) + (1 if text else 0) > FILTERS_MAX:
            break
        text = f"{text} {pair}" if text else pair
    return text


def place_pairs(raw, found):
    """The filter pairs for a postcode box: its district (`found` is a PostcodeResult that was
    found, else None), or `postcode=not-found` when one was typed but not used. Never the
    postcode itself."""
    if found is not None and getattr(found, "district", None) is not None:
        return [("district", found.district.slug)]
    if isinstance(raw, str) and raw.strip():
        return [("postcode", POSTCODE_NOT_FOUND)]
    return []


# --- Writing ---------------------------------------------------------------------------------

def search_record(*, search, day=None):
    """Count one search: add 1 to its row for the day, or make the row. One statement,
    `INSERT ... ON CONFLICT ... DO UPDATE SET searches = searches + 1` (PostgreSQL 9.5+,
    SQLite 3.24+): the database does the increment against the unique constraint, so two
    requests at once never lose a count or fail on a duplicate, and no savepoint is needed.
    Then, at most once a day (per cache), rows older than SEARCH_RECORD_DAYS go.

    On PostgreSQL the statement is sent with `SET LOCAL synchronous_commit TO OFF` in the same
    round trip (one implicit transaction): the page does not wait for the write-ahead log to
    reach the disk, 4 ms a search on this machine, 0.9 ms without (measured). A crash of the
    database server may lose the last fraction of a second of counts, never anything else."""
    day = day or timezone.localdate()
    table = connection.ops.quote_name(SearchRecord._meta.db_table)
    upsert = (f"INSERT INTO {table} (day, audience, query, filters, results, searches) VALUES (%s, %s, %s, %s, %s, 1) "
              f"ON CONFLICT (day, audience, query, filters, results) DO UPDATE SET searches = {table}.searches + 1")
    if connection.vendor == "postgresql":
        upsert = "SET LOCAL synchronous_commit TO OFF; " + upsert
    with connection.cursor() as cursor:
        cursor.execute(upsert, [day, search.audience, search.query[:QUERY_MAX], search.filters[:FILTERS_MAX],
                                search.results])
    prune_once_a_day(today=day)


def retention_cutoff(today=None, days=None):
    """The first day kept: rows of earlier days are deleted (SEARCH_RECORD_DAYS before today)."""
    today = today or timezone.localdate()
    days = settings.SEARCH_RECORD_DAYS if days is None else days
    return today - timedelta(days=days)


def search_records_prune(*, today=None, days=None):
    """Delete the rows of days before `retention_cutoff`. Returns how many went. One query."""
    deleted, _ = SearchRecord.objects.filter(day__lt=retention_cutoff(today, days)).delete()
    return deleted


def prune_once_a_day(*, today):
    """search_records_prune, the first time it is asked for on `today` in this cache (each
    process's, or the shared Redis): so the rows go even where nobody runs the daily command.
    The cache deciding is a help: if it fails, the command still prunes."""
    try:
        first = cache.add(f"search-records-pruned:{today.isoformat()}", True, timeout=60 * 60 * 24)
    except Exception:  # noqa: BLE001  (a cache outage: leave it to the command)
        logger.warning("could not ask the cache whether search records were pruned today", exc_info=True)
        return
    if first:
        search_records_prune(today=today)


# --- The decorator ------------------------------------------------------------------------------

def _is_return(request):
    """Did the person come back to these results from a page opened from them?"""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return False
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.get_host():
        return False
    try:
        match = resolve(parts.path or "/")
    except Resolver404:
        return False
    return match.view_name in RETURNS_FROM


# Parameters that never make a search on their own.
_NOT_INPUT = {"page", "sort"}


def _counts(request, response, kwargs):
    """Is this a search a person made? (Before anything is read: a bare list costs nothing.)"""
    has_input = bool(kwargs) or any(value.strip() for name, values in request.GET.lists() if name not in _NOT_INPUT
                                    for value in values)
    return (has_input and request.method == "GET" and response.status_code in (200, 304)
            and request.GET.get("page", "") in ("", "1") and not _is_return(request))


def _own_savepoint():
    """Inside a transaction (a test, or ATOMIC_REQUESTS), a savepoint, so that a failed statement
    here (on PostgreSQL, one fails the whole transaction) is rolled back alone and the rest of
    the request can still use the database. Pages run in autocommit, where a failed statement
    spoils nothing: there, no savepoint and no extra round trip."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _key(describe, request, args, kwargs):
    params = tuple(sorted((name, tuple(values)) for name, values in request.GET.lists()))
    return (describe.__module__, describe.__qualname__, request.path, args, tuple(sorted(kwargs.items())), params)


def recorded(describe):
    """Decorate a search page: count each search a person makes with it (see the module's
    docstring). Put it outside `content_etag` and `cached_page`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            try:
                if _counts(request, response, kwargs):
                    with _own_savepoint():
                        search = cached("search-record", _key(describe, request, args, kwargs),
                                        lambda: describe(request, *args, **kwargs))
                        if search is not None:
                            search_record(search=search)
            except Exception:  # noqa: BLE001  (whatever went wrong, the page goes out)
                logger.exception("could not record a search on %s", request.path)
            return response

        return wrapper

    return decorator


# --- The practitioners' search -------------------------------------------------------------------

# Parameters of the FilterSet that are not filters, or are recorded otherwise.
_NOT_FILTERS = {"q", "sort", "postcode"}


def _codes(value):
    """A cleaned filter value as the codes it was chosen by."""
    if value in (None, "", [], ()):
        return []
    if isinstance(value, (list, tuple)):
        return [code for item in value for code in _codes(item)]
    for attribute in ("slug", "code"):  # districts by slug; other terms by code
        code = getattr(value, attribute, None)
        if code:
            return [code]
    return [value]


def practitioner_search(request):
    """The practitioners' search (/search/) as a Search, or None when it has neither keywords
    nor a usable filter. What the search made of the parameters is recorded: a place or a
    language typed among the keywords is taken out of them as the search takes it
    (search/understand.py); filters are those it applied, valid values only, a postcode as its
    district (which replaces a district chosen as well, as in the search). Costs the count when
    the page did not make it (the lists, synonyms and postcode are cached)."""
    from directory.search.selectors import service_filter_queryset

    queryset, filterset = service_filter_queryset(data=request.GET)
    data = filterset.data  # as the search read it
    form = filterset.form
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    pairs = place_pairs(data.get("postcode", ""), cleaned.get("postcode"))
    for name in filterset.filters:
        if name in _NOT_FILTERS or name in form.errors:
            continue
        if name == "district" and any(key == "district" for key, _ in pairs):
            continue  # the postcode's district was searched
        pairs += [(name, code) for code in _codes(cleaned.get(name))]
    query = normalise_query(data.get("q", ""))
    if not query and not pairs:
        return None
    # The page counted the results when it was rendered afresh; only a page from the cache
    # (whose record this version has not made yet) needs counting again.
    count = getattr(request, "search_result_count", None)
    return Search(PRACTITIONERS, query, filters_text(pairs), queryset.count() if count is None else count)
