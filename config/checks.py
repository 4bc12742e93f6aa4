"""System checks of settings that only matter in production (`manage.py check --deploy`)."""
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}


@register(Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs):
    """Links in e-mails (review reminders, two-factor set-up links) start with SITE_URL; its
    default, http://127.0.0.1:8000, is right on a curator's own machine and nowhere else, so a
    production deploy that forgot it would mail links to the reader's own computer."""
    if settings.DEBUG:
        return []
    url = settings.SITE_URL or ""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    problem = None
    if not url:
        problem = "SITE_URL is not set"
    elif parts.scheme not in ("http", "https") or not parts.netloc:
        problem = f"SITE_URL {url!r} is not a web address like https://directory.example.org"
    elif host in LOCAL_HOSTS or host.endswith(".localhost"):
        problem = f"SITE_URL is {url!r}, this computer's own address"
    elif parts.scheme != "https":
        problem = f"SITE_URL {url!r} is not https"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = f"SITE_URL {url!r} has a path: give only the scheme and host"
    if problem is None:
        return []
    return [Error(
        f"{problem}: links in e-mails would not reach the site.",
        hint="Set SITE_URL to the site's public address, e.g. SITE_URL=https://directory.example.org (README, Configure).",
        id="directory.E001",
    )]


@register(Tags.security, deploy=True)
def check_from_email(app_configs=None, **kwargs):
    """Invitations to services (issue 20) tell the reader to reply to, or write to,
    DEFAULT_FROM_EMAIL with questions; its default, directory@localhost, reaches nobody."""
    if settings.DEBUG:
        return []
    address = (settings.DEFAULT_FROM_EMAIL or "").strip()
    # "Name <address>" is allowed; the domain is what matters.
    domain = address.rsplit("@", 1)[-1].rstrip(">").strip().lower() if "@" in address else ""
    if domain and "." in domain and domain not in LOCAL_HOSTS and not domain.endswith((".localhost", ".local")):
        return []
    return [Error(
        f"DEFAULT_FROM_EMAIL is {address!r}: the e-mails to services and curators give it as the address "
        "for replies and questions, and it reaches nobody.",
        hint="Set DEFAULT_FROM_EMAIL to an address the IMHSG reads, e.g. "
             "DEFAULT_FROM_EMAIL=directory@directory.example.org (README, Configure).",
        id="directory.E002",
    )]
