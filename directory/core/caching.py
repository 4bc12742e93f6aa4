"""Caching under the content version, and ETags from it (docs/adr/0013).

`cached(name, parts, compute)` keeps what `compute()` returns under a key made of the
content version, `name` and `parts` (anything with a stable repr: the cleaned filters,
a path). A curator's change bumps the version (directory/core/content.py), so entries made
before it are simply never asked for again and age out.

`content_etag` gives a view an ETag made of the content version and what else its
response depends on, and answers If-None-Match with 304 *before* the view runs: a
revalidation costs one query (the version), not the page.

Entries and ETags carry the release too (settings.RELEASE_ID, config/release.py): during a
rolling deploy old and new workers share one Redis and one content version, and an old
worker's page (old templates, old static file names) must never be served by a new one,
nor a browser's copy of it revalidated (docs/adr/0024). The release is the cache *version*
of every entry stored here (Django's `version=`), so keys read `<prefix>:<release>:v<content>...`.

The cache is a help, never a dependency: if the backend fails (Redis down), the value is
computed as if it were missing and the failure is logged, so a cache outage slows pages
but never breaks them.
"""
import hashlib
import logging
import re
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from directory.core import content

logger = logging.getLogger(__name__)
_MISSING = object()


def make_key(name, parts=(), kinds=None):
    """The key of `name` with `parts` under the version of the kinds of content it reads
    (every kind unless `kinds` says fewer: directory/core/content.py)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"v{content.current(kinds)}:{name}:{digest}"


def _read(key, name):
    """The cached value, or _MISSING when absent or when the backend fails (logged)."""
    try:
        return cache.get(key, _MISSING, version=settings.RELEASE_ID)
    except Exception:  # noqa: BLE001  (any backend failure: build instead)
        logger.warning("cache read failed for %s", name, exc_info=True)
        return _MISSING


def _write(key, name, value):
    try:
        cache.set(key, value, version=settings.RELEASE_ID)
    except Exception:  # noqa: BLE001
        logger.warning("cache write failed for %s", name, exc_info=True)


def cached(name, parts, compute, kinds=None):
    """compute() once per content version (of `kinds`, every kind when None) and `parts`;
    `name` says what it is (for keys and for reading a cache dump). None is cached like any
    other value."""
    key = make_key(name, parts, kinds)
    value = _read(key, name)
    if value is _MISSING:
        value = compute()
        _write(key, name, value)
    return value


def etag_for(request, *, per_visitor=True, kinds=None):
    """The ETag of a public GET: the content version, the full path with its query, the
    release (a new release renders differently), and, for pages, what else the page depends
    on: the visitor's cookies (shortlist, CSRF token, messages, a signed-in session), the
    language and the day (dates on pages)."""
    parts = [content.current(kinds), request.get_host(), request.get_full_path(), settings.RELEASE_ID]
    if per_visitor:
        parts += [request.META.get("HTTP_COOKIE", ""), getattr(request, "LANGUAGE_CODE", ""),
                  timezone.localdate().isoformat()]
    return '"' + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32] + '"'


def content_etag(view=None, *, per_visitor=True, cache_control=None, kinds=None):
    """Decorate a public view: ETag from `etag_for`, 304 before the view when it matches.

    `kinds`: the kinds of content the view reads, when fewer than all (directory/core/content.py):
    the ETag then changes with those alone. Say the same kinds to `cached_page` beneath it.

    Pages (per_visitor) are `private, no-cache`: a browser keeps them but asks each time,
    and a shared cache never keeps them (they carry a visitor's CSRF token). Data that
    is the same for everyone (per_visitor=False, e.g. GeoJSON) may say `public`.
    """
    cache_control = cache_control or ({"private": True, "no_cache": True} if per_visitor
                                      else {"public": True, "no_cache": True})

    def decorator(view):
        inner = getattr(view, "content_kinds", None)
        if inner is not None and inner != kinds:
            # The ETag would say "unchanged" while the page beneath was made from other kinds.
            raise ImproperlyConfigured(f"{view.__name__}: content_etag(kinds={kinds!r}) above cached_page(kinds={inner!r})")

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            etag = etag_for(request, per_visitor=per_visitor, kinds=kinds)
            response = get_conditional_response(request, etag=etag)
            if response is not None:  # 304, or 412 for a failed If-Match
                if response.status_code == 304:
                    response["ETag"] = etag
                    _patch(response, cache_control, per_visitor)
                return response
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                if not response.has_header("ETag"):  # a view may give its own (weak, for gzip)
                    response["ETag"] = etag
                _patch(response, cache_control, per_visitor)
            return response
        wrapper.content_kinds = kinds
        return wrapper

    return decorator(view) if view is not None else decorator


def _patch(response, cache_control, per_visitor):
    patch_cache_control(response, **cache_control)
    if per_visitor:
        patch_vary_headers(response, ("Cookie", "Accept-Language"))


# The one shape Django's {% csrf_token %} renders.
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
_CSRF_PLACEHOLDER = b'name="csrfmiddlewaretoken" value="__csrf_token__"'
_MESSAGES_COOKIE = "messages"


def cached_page(view=None, *, kinds=None):
    """Serve a public page's rendered HTML from the cache, for visitors who are not signed in.

    The key is the content version, the address with its query, the language, the day
    and the visitor's shortlist cookie (pages mark what is on the shortlist). A page is
    stored with its CSRF tokens replaced by a placeholder, and each visitor gets their own
    token put back, so a cached page never hands one visitor's token to another. Not
    cached: signed-in staff (a session cookie), a page carrying a one-off message (the
    messages cookie), anything but a 200, and a response that sets a cookie of its own.

    `kinds`: the kinds of content the page reads, when fewer than all; a page is kept under
    their versions alone. tests/directory/core/test_content_kinds.py checks every view that
    says fewer against the tables it reads.
    """
    if view is None:
        return lambda view: cached_page(view, kinds=kinds)
    from directory.core.shortlist import COOKIE_NAME

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if (not settings.CACHE_PAGES or request.method not in ("GET", "HEAD")
                or settings.SESSION_COOKIE_NAME in request.COOKIES or _MESSAGES_COOKIE in request.COOKIES):
            return view(request, *args, **kwargs)
        parts = (request.get_host(), request.get_full_path(), getattr(request, "LANGUAGE_CODE", ""),
                 request.COOKIES.get(COOKIE_NAME, ""), timezone.localdate().isoformat())
        key = make_key("page", parts, kinds)
        stored = _read(key, "a page")
        if stored is not _MISSING:
            body, headers = stored
            if _CSRF_PLACEHOLDER in body:
                token = get_token(request).encode()
                body = body.replace(_CSRF_PLACEHOLDER, b'name="csrfmiddlewaretoken" value="' + token + b'"')
            response = HttpResponse(body)
            for name, value in headers:
                response[name] = value
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.cookies and not getattr(response, "streaming", False):
            _write(key, "a page", (_CSRF_INPUT.sub(_CSRF_PLACEHOLDER, response.content), list(response.items())))
        return response

    wrapper.content_kinds = kinds
    return wrapper
