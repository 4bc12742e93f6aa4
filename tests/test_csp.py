"""Issue 14: a strict content security policy and a Permissions-Policy on every page, public and
admin, and no inline script, style or event handler in any page we render."""
import json
import re

import pytest
from django.urls import reverse

from directory.models import Service

pytestmark = pytest.mark.django_db

PUBLIC = ["/", "/about/", "/search/", "/search/?postcode=B8+1AA", "/services/acacia/",
          "/services/neonatal-unit-psychological-support/", "/shortlist/", "/map/", "/needs/", "/parents/",
          "/parents/support/", "/parents/topics/feeling-low/", "/parents/services/acacia/", "/parents/saved/",
          "/services/acacia/suggest/thanks/", "/api/docs/", "/no-such-page/"]
ADMIN = ["/admin/", "/admin/curation/", "/admin/directory/service/", "/admin/directory/service/add/",
         "/admin/directory/fact/", "/admin/directory/pendingchange/", "/admin/mapping/district/"]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.I)


def assert_strict(response, url):
    policy = response.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    assert directives.get("default-src") == "'self'", url
    assert directives.get("script-src") == "'self'" and directives.get("style-src") == "'self'", url
    assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'", url
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"], url


@pytest.mark.parametrize("url", PUBLIC)
def test_every_public_page_has_the_policy_and_nothing_inline(client, url):
    response = client.get(url)
    assert response.status_code in (200, 404)
    assert_strict(response, url)
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), f"inline script on {url}: {INLINE_SCRIPT.search(html).group(0)}"
    assert not INLINE_HANDLER.search(html), f"inline event handler on {url}"
    assert not INLINE_STYLE.search(html), f"inline style on {url}: {INLINE_STYLE.search(html).group(0)[:80]}"


@pytest.mark.parametrize("url", ADMIN)
def test_every_admin_page_has_the_policy(curator_client, url):
    response = curator_client.get(url)
    assert response.status_code == 200, url
    assert_strict(response, url)


def test_the_service_change_page_has_the_policy(curator_client):
    response = curator_client.get(reverse("admin:directory_service_change", args=[Service.objects.get(slug="acacia").pk]))
    assert_strict(response, "change page")


def test_the_report_endpoint_logs_and_refuses_junk(client, caplog):
    report = {"csp-report": {"violated-directive": "script-src", "blocked-uri": "inline", "document-uri": "http://x/"}}
    with caplog.at_level("WARNING", logger="csp"):
        assert client.post("/csp-report/", json.dumps(report), content_type="application/csp-report").status_code == 204
    assert "script-src" in caplog.text
    assert client.post("/csp-report/", "not json", content_type="application/csp-report").status_code == 400
    assert client.post("/csp-report/", "x" * 20000, content_type="application/csp-report").status_code in (204, 400)
    assert client.get("/csp-report/").status_code == 405


def test_report_only_mode_is_switchable_from_the_environment():
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    environment.update({"SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "config.settings", "CSP_REPORT_ONLY": "1"})
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([hasattr(s, 'CONTENT_SECURITY_POLICY_REPORT_ONLY'), "
            "bool(getattr(s, 'CONTENT_SECURITY_POLICY', None))]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, env=environment,
                         capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, False]
