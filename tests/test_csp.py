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
    # Each page itself, not an error page in its place: only the unknown address is a 404.
    assert response.status_code == (404 if url == "/no-such-page/" else 200), url
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
    assert response.status_code == 200  # the page itself, not a redirect with the policy's header
    assert_strict(response, "change page")


def test_the_report_endpoint_logs_and_refuses_junk(client, caplog):
    report = {"csp-report": {"violated-directive": "script-src", "blocked-uri": "inline", "document-uri": "http://x/"}}
    with caplog.at_level("WARNING", logger="csp"):
        assert client.post("/csp-report/", json.dumps(report), content_type="application/csp-report").status_code == 204
    assert "script-src" in caplog.text
    assert client.post("/csp-report/", "not json", content_type="application/csp-report").status_code == 400
    assert client.post("/csp-report/", "x" * 20000, content_type="application/csp-report").status_code == 400
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


# Issue 18: a malformed report is the sender's mistake: 400, never a 500, and never an error in
# the log (an error is e-mailed to ADMINS, so junk posted anonymously would flood their inbox).
GOOD = {"csp-report": {"violated-directive": "script-src", "blocked-uri": "inline", "document-uri": "http://x/"}}
MALFORMED = {
    "deep nesting": ("[" * 5000 + "]" * 5000, "application/csp-report"),
    "deep nesting inside the report": ('{"csp-report": ' + "[" * 4000 + "]" * 4000 + "}", "application/csp-report"),
    "a list": ("[1, 2]", "application/csp-report"),
    "a string": ('"report"', "application/csp-report"),
    "null": ("null", "application/csp-report"),
    "the report a string": ('{"csp-report": "x"}', "application/csp-report"),
    "a field a list": ('{"csp-report": {"blocked-uri": ["a", "b"]}}', "application/csp-report"),
    "a field an object": ('{"csp-report": {"violated-directive": {"a": 1}}}', "application/csp-report"),
    "a lone surrogate": ('{"csp-report": {"blocked-uri": "\\ud800"}}', "application/csp-report"),
    "not UTF-8": (b'{"csp-report": {"blocked-uri": "\xff\xfe"}}', "application/csp-report"),
    "empty": ("", "application/csp-report"),
    "not JSON": ("not json", "application/csp-report"),
    "huge": (json.dumps({"csp-report": {"blocked-uri": "x" * 20000}}), "application/csp-report"),
    "a form": ("a=1&b=2", "application/x-www-form-urlencoded"),
    "plain text": (json.dumps(GOOD), "text/plain"),
    "multipart": ("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n", "multipart/form-data; boundary=b"),
}


@pytest.fixture
def error_records(caplog, settings):
    """Records at error level from any logger, django.request included (it does not propagate)."""
    import logging

    settings.ADMINS = [("Ops", "ops@example.org")]
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(caplog.handler)
    yield lambda: [record for record in caplog.records if record.levelno >= logging.ERROR]
    request_logger.removeHandler(caplog.handler)


@pytest.mark.parametrize("body, content_type", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_report_is_refused_with_400_and_nothing_at_error_level(body, content_type, error_records, mailoutbox):
    from django.test import Client

    response = Client(raise_request_exception=False).post("/csp-report/", body, content_type=content_type)
    assert response.status_code == 400
    assert error_records() == [] and mailoutbox == []


def test_a_body_beyond_the_upload_limit_is_refused_unread(error_records, mailoutbox, settings):
    from django.test import Client

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    response = Client(raise_request_exception=False).post("/csp-report/", "x" * 200_000,
                                                          content_type="application/csp-report")
    assert response.status_code == 400
    assert error_records() == [] and mailoutbox == []


@pytest.mark.parametrize("length", ["abc", "-1", "1e9"])
def test_a_nonsense_content_length_is_refused(length, error_records, mailoutbox):
    from django.test import Client

    response = Client(raise_request_exception=False).post("/csp-report/", json.dumps(GOOD),
                                                          content_type="application/csp-report", CONTENT_LENGTH=length)
    assert response.status_code == 400
    assert error_records() == [] and mailoutbox == []


@pytest.mark.parametrize("content_type", ["application/csp-report", "application/json",
                                          "application/csp-report; charset=utf-8"])
def test_a_well_formed_report_is_still_logged_as_a_warning(client, caplog, content_type):
    with caplog.at_level("WARNING", logger="csp"):
        assert client.post("/csp-report/", json.dumps(GOOD), content_type=content_type).status_code == 204
    assert [(record.levelname, record.name) for record in caplog.records if record.name == "csp"] == [("WARNING", "csp")]
    assert "script-src" in caplog.text


def test_a_report_with_extra_fields_of_other_types_is_accepted(client):
    """Browsers send numbers (line-number, status-code) and fields we do not log; only the three
    fields we log must be strings."""
    report = {"csp-report": {**GOOD["csp-report"], "status-code": 200, "line-number": 3, "script-sample": ""}}
    assert client.post("/csp-report/", json.dumps(report), content_type="application/csp-report").status_code == 204
