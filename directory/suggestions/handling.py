"""Suggest a change: what a visitor says is wrong on a public service page.

A suggestion is never published: it waits in the curators' queue (the admin's
*Suggestions*, new first) until a curator accepts it (and edits the service
themselves) or rejects it, with a reason. What a visitor types is stored as
typed and shown escaped, like every other string. No IP address is stored: the
rate limit keeps a hashed key in the cache for an hour (docs/adr/0009).
"""
import hashlib

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import TEXT_MAX, Suggestion, SuggestionPage, SuggestionStatus

RATE_WINDOW_SECONDS = 3600








# --- Writes -----------------------------------------------------------------------

def suggestion_create(*, service, text, contact_name="", contact_email="", page=SuggestionPage.PRACTITIONERS):
    suggestion = Suggestion(service=service, text=text, contact_name=contact_name, contact_email=contact_email,
                            page=page)
    suggestion.full_clean()
    suggestion.save()
    return suggestion


def suggestion_handle(*, suggestions, status, reason, user):
    """Accept or reject suggestions (a queryset); returns how many changed. Never touches the service:
    a curator who accepts one edits the service themselves, so its history says who changed what."""
    if status not in (SuggestionStatus.ACCEPTED, SuggestionStatus.REJECTED):
        raise ValueError(f"Cannot handle a suggestion as {status!r}.")
    with transaction.atomic():
        return suggestions.update(status=status, curator_reason=reason, handled_by=user, handled_at=timezone.now())


# --- Rate limit ---------------------------------------------------------------------

def client_key(request):
    """One key per client, hashed so the cache never holds an address. Behind the TLS proxy
    (BEHIND_TLS_PROXY), the client is the last address the proxy appended to X-Forwarded-For;
    otherwise it is the socket's address."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and forwarded:
        address = forwarded.split(",")[-1].strip()
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:32]
    return f"suggestions:{digest}"


def rate_limited(request):
    """True when this client has sent SUGGESTIONS_PER_HOUR suggestions in the last hour."""
    return (cache.get(client_key(request)) or 0) >= settings.SUGGESTIONS_PER_HOUR


def rate_count(request):
    """Count one suggestion against this client. The window starts at its first one."""
    key = client_key(request)
    if not cache.add(key, 1, RATE_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, RATE_WINDOW_SECONDS)


# --- The public form ------------------------------------------------------------------

class SuggestionForm(forms.Form):
    """What is wrong, and an optional name and email. `website` is a honeypot: people never see
    it (it is hidden with CSS and from screen readers); a bot that fills it in is thanked and
    nothing is stored."""

    text = forms.CharField(
        max_length=TEXT_MAX, strip=True,
        error_messages={
            "required": _("Tell us what is wrong or out of date"),
            "max_length": _("Keep it under %(limit_value)d characters (you wrote %(show_value)d)"),
        },
    )
    contact_name = forms.CharField(label=_("Your name (optional)"), max_length=100, required=False, strip=True,
                                   error_messages={"max_length": _("Your name must be 100 characters or fewer")})
    contact_email = forms.EmailField(
        label=_("Your email (optional)"), required=False, max_length=254,
        error_messages={"invalid": _("Enter an email address like name@example.com, or leave it empty")},
    )
    website = forms.CharField(required=False)

    def is_bot(self):
        return bool(self.data.get("website", "").strip())


# --- Reads ---------------------------------------------------------------------------

def suggestion_service_get(*, slug, for_parents=False):
    """The service a suggestion may be about: published (and, for parents, not professionals only),
    else None, so drafts and archived services take no suggestions. One query."""
    from directory.models import Service

    services = Service.objects.for_parents() if for_parents else Service.objects.published()
    return services.only("pk", "name", "slug", "status", "audience").filter(slug=slug).first()
