"""The check-in links' tokens (issue 20): unguessable, stored only as a hash, scoped to one
invitation (so to one service), expiring, revocable.

A token is 32 random bytes from `secrets` (256 bits), URL-safe. The database keeps its SHA-256,
so a copy of the database (a backup, a leaked dump) opens no check-in page. A plain hash, not a
slow password hash, is right here: the token is random and long, so nobody can guess it from
its hash, and every page view needs one lookup by an indexed column.

`invitation_for` answers None for a forged, malformed, unknown, expired or revoked token alike,
so the page gives the same 404 for all of them and reveals nothing about which it was.
"""
import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from directory.models import CheckInInvitation

TOKEN_BYTES = 32
# What a token looks like: base64url of 32 bytes is 43 characters. Anything else is refused
# before the database is asked (and never hashed: no work for junk).
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token():
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token):
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def expiry(now=None):
    """When a link made now stops opening: CHECKIN_LINK_DAYS days (30 unless configured)."""
    return (now or timezone.now()) + timedelta(days=settings.CHECKIN_LINK_DAYS)


def create_invitation(*, service, name, email, created_by=None, now=None):
    """A new invitation for `service`, and its token (returned once, never stored)."""
    now = now or timezone.now()
    token = new_token()
    invitation = CheckInInvitation.objects.create(
        service=service, token_hash=token_hash(token), name=name, email=email, created_by=created_by,
        created_at=now, expires_at=expiry(now))
    return invitation, token


def invitation_for(token, now=None):
    """The usable invitation `token` opens, or None (forged, unknown, expired or revoked alike)."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        return None
    return (CheckInInvitation.objects.usable(now).select_related("service", "service__organisation")
            .filter(token_hash=token_hash(token)).first())


def revoke(*, invitations, revoked_by, now=None):
    """Stop links opening. Returns how many were still usable."""
    return invitations.filter(revoked_at__isnull=True).update(revoked_at=now or timezone.now(), revoked_by=revoked_by)
