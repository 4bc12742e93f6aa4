"""Issue 18: the content security policy blocks inline script, inline event handlers and style
attributes, so no admin page may use them. Every admin address (from the URLconf, library routes
included) is opened as a superuser, and the sign-in pages as others; no page may have any, and
no template file a page was rendered from may have inline script or handlers in any of its
branches (the export page's "select all" is only shown when there are fields to choose)."""
import re
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from directory.models import PendingChange, SelfAudit, Service, Suggestion, UrgentHelp
from tests.test_csp import INLINE_HANDLER, INLINE_SCRIPT, INLINE_STYLE

pytestmark = pytest.mark.django_db

# Addresses that render no page of their own: a redirect to the public page, a JavaScript
# catalogue, JSON for autocomplete widgets, a QR code image, the catch-all, and writes (their
# forms are the pages opened here).
SKIPPED = {"admin:view_on_site", "admin:jsi18n", "admin:autocomplete", "admin:otp_totp_totpdevice_qrcode",
           "admin:logout", "admin:directory_service_process_import"}
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>|\(\?P<(?P<group>[^>]+)>[^)]*\)|\([^)]*\)")


# Pages that send a signed-in superuser with an authenticator app elsewhere (they are opened
# below as someone for whom they are pages).
REDIRECTS = {"/admin/login/": "/admin/", "/admin/2fa/setup/": "/admin/2fa/verify/?next=/admin/"}


def admin_patterns(patterns=None, prefix=""):
    """(route, name) for every admin URL pattern, library ones included."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from admin_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and (prefix + str(pattern.pattern)).lstrip("^").startswith("admin/"):
            namespace = "admin:" if prefix.startswith("admin/") else ""
            yield prefix + str(pattern.pattern), namespace + (pattern.name or "")


def model_for(name):
    """The model an admin URL name such as admin:directory_service_change is about."""
    for model in admin.site._registry:
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def fill(route, name, superuser):
    """The route with each parameter replaced by a real value, or None when there is none."""
    model = model_for(name)
    values = []

    def value(match):
        parameter = match.group("name") or match.group("group") or "positional"
        if parameter == "app_label":
            return "directory"
        if parameter == "service_id":  # the self-audit report's history and comparison (issue 20)
            audit = SelfAudit.objects.first()
            return str(audit.service_id) if audit else None
        if parameter == "change_id":
            change = PendingChange.objects.first()
            return str(change.pk) if change else None
        if parameter in ("object_id", "pk", "id") or (parameter == "positional" and not values):
            obj = superuser if model is None or model is apps.get_model("auth", "User") else model._default_manager.first()
            return str(obj.pk) if obj else None
        if parameter == "positional":  # simple-history's history_id
            record = model.history.filter(id=values[0]).first()
            return str(record.history_id) if record else None
        return None

    def replace(match):
        found = value(match)
        values.append(found)
        return found if found is not None else "\x00"

    path = "/" + PARAMETER.sub(replace, route).replace("^", "").replace("$", "")
    return None if "\x00" in path or None in values else path


def open_every_admin_page(client, django_user_model, acacia_editor):
    """{path: response} for every admin page, opened as a superuser, and the names of the
    patterns skipped for want of a record to open."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    superuser = django_user_model.objects.create_superuser("sue", "sue@example.org", "a-long-password-for-tests")
    TOTPDevice.objects.create(user=superuser, name="phone")
    acacia = Service.objects.get(slug="acacia")
    PendingChange.objects.create(service=acacia, submitted_by=acacia_editor, data={"summary": ["A new summary."]})
    Suggestion.objects.create(service=acacia, text="The phone number has changed.")
    UrgentHelp.objects.create(name="A crisis line", url="https://example.org/")
    # A check-in contact and an invitation (issue 20), so their pages have a record to open.
    from directory.checkins.tokens import create_invitation
    from directory.models import CheckInContact

    CheckInContact.objects.create(service=acacia, name="Cleo Contact", email="cleo@example.org")
    create_invitation(service=acacia, name="Cleo Contact", email="cleo@example.org")
    # A session with a cancelled date, a school term and an event (issue 23), each saved twice for compare.
    from datetime import date, time, timedelta

    from django.utils import timezone

    from directory.models import KnowledgeEvent, Session, SessionException, TermDate

    session = Session.objects.create(service=acacia, byday="TU", opens_at=time(10), closes_at=time(11))
    SessionException.objects.create(session=session, date=date(2026, 12, 1), note="Staff training")
    term = TermDate.objects.create(name="A term", first_day=date(2026, 9, 1), last_day=date(2026, 10, 23),
                                   source="example.org")
    event = KnowledgeEvent.objects.create(title="A lunch bite", slug="a-lunch-bite", starts_at=timezone.now(),
                                          ends_at=timezone.now() + timedelta(hours=1))
    for record in (session, term, event):
        record.save()
    acacia.save()  # a second history record, for the compare view
    for year in (2025, 2026):  # two self-audits, for their history and comparison
        SelfAudit.objects.create(service=acacia, submitted_at=datetime(year, 5, 4, tzinfo=dt_timezone.utc),
                                 answers={"cost": "paid", "venues": [{"name": "A hall"}]}, not_free=True)
    client.force_login(superuser)
    pages, skipped = {}, []
    for route, name in admin_patterns():
        if name in SKIPPED or name == "admin:" and route.endswith("(?P<url>.*)$"):
            continue
        path = fill(route, name, superuser)
        if path is None:
            skipped.append(name)
            continue
        response = client.get(path)
        # Every page opens, bar those with no page of their own to scan: a record's bare
        # address, which redirects to its change page; the REDIRECTS; and adding or deleting
        # what nobody may add or delete, not even a superuser (access records, facts, levels...).
        if response.status_code == 302:
            assert response["Location"] == REDIRECTS.get(path, path + "change/"), (path, response["Location"])
        elif response.status_code == 403:
            assert name.endswith(("_add", "_delete")), (path, name)
        else:
            assert response.status_code == 200, (path, response.status_code)
        pages[path] = response
    # The sign-in pages, as someone not signed in and as staff with no authenticator app yet.
    client.logout()
    pages["/admin/login/"] = client.get("/admin/login/")
    client.force_login(django_user_model.objects.create_user("new", password="a-long-password-for-tests",
                                                             is_staff=True))
    pages["/admin/2fa/setup/"] = client.get("/admin/2fa/setup/")
    assert pages["/admin/login/"].status_code == pages["/admin/2fa/setup/"].status_code == 200
    return pages, skipped


def test_no_admin_page_or_template_has_inline_script_event_handlers_or_styles(client, django_user_model, acacia_editor):
    pages, skipped = open_every_admin_page(client, django_user_model, acacia_editor)
    assert sum(response.status_code == 200 for response in pages.values()) > 100, sorted(pages)
    assert not [name for name in skipped if name.startswith("admin:directory_")], skipped
    for path, response in pages.items():
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), f"inline script on {path}: {INLINE_SCRIPT.search(html).group(0)}"
        assert not INLINE_HANDLER.search(html), f"inline event handler on {path}: {INLINE_HANDLER.search(html).group(0)}"
        assert not INLINE_STYLE.search(html), f"inline style on {path}: {INLINE_STYLE.search(html).group(0)[-80:]}"

    # Every branch of every template those pages were rendered from, shown or not this time.
    files = {Path(template.origin.name) for response in pages.values() for template in response.templates
             if template.origin and str(template.origin.name).endswith(".html")}
    assert {"export.html", "import.html", "change_form.html", "object_history.html", "login.html",
            "two_factor_setup.html"} <= {file.name for file in files}
    found = []
    for file in sorted(files):
        source = file.read_text()
        # Not styles here: Django's change_list.html has a <style> in a branch we never take
        # (a list with no actions bar at all); the rendered pages above are checked for them.
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER):
            match = pattern.search(source)
            if match:
                found.append(f"{file}: {match.group(0)[-80:]!r}")
    assert not found, "\n".join(found)


def test_the_export_page_selects_all_fields_from_a_static_script(curator_client):
    html = curator_client.get("/admin/directory/service/export/").content.decode()
    assert re.search(r'<input type="checkbox" class="select-toggle" name="select-all-toggle" id="select-all-toggle" '
                     r'checked>\s*<label class="app-select-all" for="select-all-toggle">Select all</label>', html)
    assert not INLINE_HANDLER.search(html) and not INLINE_STYLE.search(html)
    assert '<script src="/static/js/admin-export.js" defer></script>' in html
    script = (Path(__file__).resolve().parent.parent / "static/js/admin-export.js").read_text()
    assert "input.select-toggle" in script and 'addEventListener("change"' in script
