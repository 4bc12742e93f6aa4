"""Counting referral summaries prepared (issue 24, item 5): demand without personal data.

The referral page's script POSTs a bare ping when a summary is first made on a page view: the
route id in the address, the page view's signed token and Django's CSRF token in headers, and
an empty body. The count is per service per month; nothing else is kept. Each page view counts
once (its token's random nonce is spent in the database, SpentPageView, so a view counts once
whichever process answers, after a restart or an eviction), and each client at most
PINGS_PER_HOUR times an hour (a hashed key in the cache, as the suggestions' rate limit: the
cache never holds an address).
"""
import datetime
import secrets

from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from directory.models import ReferralPrepared, SpentPageView, month_start
from directory.suggestions.handling import client_key

SALT = "directory.referrals.page-view"
VIEW_MAX_AGE = 24 * 60 * 60  # a page left open for a day may still count once
PINGS_PER_HOUR = 30
WINDOW = 60 * 60

COUNTED, ALREADY_COUNTED, RATE_LIMITED, BAD_TOKEN = "counted", "already counted", "rate limited", "bad token"


def view_token(route_id):
    """A token for one page view of one route's referral page."""
    return signing.dumps({"r": route_id, "n": secrets.token_urlsafe(12)}, salt=SALT, compress=False)


def _nonce(token, route_id):
    try:
        data = signing.loads(token, salt=SALT, max_age=VIEW_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("r") != route_id or not isinstance(data.get("n"), str):
        return None
    return data["n"]


def _over_limit(request):
    key = "referrals:" + client_key(request)
    if cache.add(key, 1, WINDOW):
        return False
    try:
        return cache.incr(key) > PINGS_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW)
        return False


def prepared_count(*, request, service_id, route_id, token, today=None):
    """Count one summary prepared for the service `service_id` this month, once per page view. Returns one of
    COUNTED, ALREADY_COUNTED, RATE_LIMITED, BAD_TOKEN. When it counts: the view spent (an insert in
    a savepoint) and the update (the month's first: 3 more, its insert in a savepoint), and once a
    day the old views deleted; a view already counted: the refused insert."""
    nonce = _nonce(token or "", route_id)
    if nonce is None:
        return BAD_TOKEN
    if _over_limit(request):
        return RATE_LIMITED
    today = today or timezone.localdate()
    try:
        with transaction.atomic():
            SpentPageView.objects.create(nonce=nonce, day=today)
    except IntegrityError:
        return ALREADY_COUNTED
    if cache.add(f"referrals:pruned:{today.isoformat()}", 1, VIEW_MAX_AGE):
        # Once a day per process: views older than a token's life can no longer be replayed.
        SpentPageView.objects.filter(day__lt=today - datetime.timedelta(days=2)).delete()
    month = month_start(today)
    # One UPDATE in the database (no read-modify-write race); the month's first ping inserts the row.
    rows = ReferralPrepared.objects.filter(service_id=service_id, month=month)
    if not rows.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                ReferralPrepared.objects.create(service_id=service_id, month=month, count=1)
        except IntegrityError:  # another ping made the row first
            rows.update(count=F("count") + 1)
    return COUNTED
