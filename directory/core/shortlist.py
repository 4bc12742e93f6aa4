"""The practitioner's shortlist: a list of service ids kept in a cookie.

No login and no server-side state (docs/adr/0004-search.md): the cookie holds ids like
"12.3.40", and the share link carries the same string (?services=12.3.40), so another
device shows the same list. Everything read from a cookie or a link is untrusted:
anything that is not a positive whole number in ASCII digits is dropped, and the list is capped.
A cookie that needed cleaning is replaced by its clean form (`shortlist_tidy`), so a bad
value is not sent back on every visit.
"""
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme

from directory.core.numbers import WholeNumberField, whole_number
from directory.models import Service

COOKIE_NAME = "shortlist"
PARAM = "services"
MAX_ITEMS = 30
COOKIE_MAX_AGE = 60 * 60 * 24 * 90  # three months: long enough for a caseload, then it tidies itself
SEPARATOR = "."


def parse_ids(raw):
    """'12.3.x.12' -> [12, 3]: unique positive ids, in order, at most MAX_ITEMS."""
    ids = []
    for part in (raw or "").split(SEPARATOR)[: MAX_ITEMS * 2]:
        # Ten digits at most: bigger numbers are not ids the databases store.
        pk = whole_number(part, signed=False) if len(part) <= 10 else None
        if pk and pk not in ids:
            ids.append(pk)
    return ids[:MAX_ITEMS]


def encode_ids(ids):
    return SEPARATOR.join(str(pk) for pk in ids)


def share_path(page_path, ids):
    """The address that shows this list on another device: the page with ?services=12.3.40."""
    return f"{page_path}?{PARAM}={encode_ids(ids)}"


def shortlist_read(request):
    return parse_ids(request.COOKIES.get(COOKIE_NAME, ""))


def shortlist_write(response, ids):
    if ids:
        response.set_cookie(
            COOKIE_NAME, encode_ids(ids[:MAX_ITEMS]), max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(COOKIE_NAME, samesite="Lax")
    return response


def shortlist_tidy(view):
    """Replace a shortlist cookie that was not in its clean form (e.g. "1.²" or "3.3") with the
    clean one, or delete it when nothing in it was usable, unless the view set it itself."""

    @wraps(view)
    def tidied(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        raw = request.COOKIES.get(COOKIE_NAME)
        if raw is not None and COOKIE_NAME not in response.cookies:
            ids = parse_ids(raw)
            if raw != encode_ids(ids):
                shortlist_write(response, ids)
        return response

    return tidied


def shortlist_shown(request):
    """(shared, ids): a list sent by link (?services=...) when there is one, else the cookie's."""
    if PARAM in request.GET:
        return True, parse_ids(request.GET.get(PARAM, ""))
    return False, shortlist_read(request)


def shortlist_change(ids, *, action, service_id=None, new_ids=()):
    """The list after an add, remove, replace (keep a shared list) or clear."""
    ids = list(ids)
    if action == "add" and service_id not in ids:
        ids.append(service_id)
    elif action == "remove":
        ids = [pk for pk in ids if pk != service_id]
    elif action == "replace":
        ids = list(new_ids)
    elif action == "clear":
        ids = []
    return ids[:MAX_ITEMS]


def published_ids(*, ids):
    """The ids among `ids` that are published services, in the order given. 1 query."""
    published = set(Service.objects.published().filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return [pk for pk in ids if pk in published]


NOT_FOUND = "not found"  # the service to add is not one this list may hold
FULL = "full"  # MAX_ITEMS services, all still in the directory


@dataclass(frozen=True)
class ShortlistUpdate:
    ids: list  # the list to keep (unchanged when there is a problem)
    name: str = ""  # the named service's name; "" when no service was named, or it was not found
    problem: str = ""  # NOT_FOUND or FULL: nothing changed


def shortlist_apply(current, *, cleaned, find):
    """The change a valid ShortlistChangeForm asks for (`cleaned`), made to the list `current`:
    the practitioners' shortlist and the parents' saved list alike; each view words the outcome.

    `find(ids=[id])` gives the services the list may hold (published; for parents, not those for
    professionals only). A service can be added only if found; a full list makes room from services
    that have left the directory; a shared list is kept without the services that have left.
    """
    action, service_id = cleaned["action"], cleaned.get("service")
    name = ""
    if action in ("add", "remove"):
        found = find(ids=[service_id])
        if not found and action == "add":
            return ShortlistUpdate(current, problem=NOT_FOUND)
        name = found[0].name if found else ""
    if action == "add" and service_id not in current and len(current) >= MAX_ITEMS:
        current = published_ids(ids=current)
        if len(current) >= MAX_ITEMS:
            return ShortlistUpdate(current, name, FULL)
    new_ids = published_ids(ids=cleaned["services"]) if action == "replace" else ()
    return ShortlistUpdate(shortlist_change(current, action=action, service_id=service_id, new_ids=new_ids), name)


# --- The form that changes the list (the practitioners' shortlist and the parents' saved list) ---

NOT_A_SERVICE = "That is not a service in this directory."
MAX_SERVICE_ID = 2**31 - 1  # the largest id the databases store; bigger numbers are not services


class ShortlistChangeForm(forms.Form):
    """Add or remove one service, keep a shared list, or clear the shortlist."""

    action = forms.ChoiceField(
        choices=[("add", "Add"), ("remove", "Remove"), ("replace", "Keep this list"), ("clear", "Clear")],
        error_messages={"required": "Say what to do with the shortlist.", "invalid_choice": "That is not something the shortlist can do."},
    )
    service = WholeNumberField(
        required=False, min_value=1, max_value=MAX_SERVICE_ID,
        error_messages={key: NOT_A_SERVICE for key in ("invalid", "min_value", "max_value")},
    )
    # Both are read leniently in clean_*: a bad share string or return address is
    # ignored rather than refusing the change the person asked for.
    services = forms.CharField(required=False, strip=True)
    next = forms.CharField(required=False)

    def __init__(self, *args, host=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.host = host
        self.fields["next"].validators = []  # e.g. a NUL byte: clean_next drops the address instead

    def clean_services(self):
        return parse_ids(self.cleaned_data["services"])

    def clean_next(self):
        """Only ever go back to a page of this site."""
        target = self.cleaned_data["next"]
        if target and len(target) <= 2000 and "\x00" not in target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.host}) and target.startswith("/"):
            return target
        return ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") in ("add", "remove") and not cleaned.get("service") and "service" not in self.errors:
            self.add_error("service", "Choose a service to add or remove.")
        return cleaned
