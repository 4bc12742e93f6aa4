"""Issue 14 (curators' accounts and operations): lockout, two-factor sign-in and its switch,
session expiry, the production settings, the health check, request ids and JSON logs."""
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment
from config.ops import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/admin/login/"
PASSWORD = "a-long-password-for-tests"


def sign_in(client, username, password, ip="203.0.113.5"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


# --- Lockout -----------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_with_a_clear_message(client, imhsg_editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "ellie", "wrong").status_code == 200
    assert sign_in(client, "ellie", "wrong").status_code == 429  # the fifth wrong password locks
    response = sign_in(client, "ellie", PASSWORD)
    assert response.status_code == 429
    assert "Sign-in is locked for now" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Only this account from this address is locked (issue 18: tests/accounts/test_signin.py has the other counts).
    assert sign_in(client, "ellie", PASSWORD, ip="198.51.100.7").status_code == 302
    assert AccessFailureLog.objects.filter(username="ellie").count() >= settings.AXES_FAILURE_LIMIT


def test_a_client_guessing_many_accounts_is_locked_too(client, imhsg_editor, viewer, settings):
    for n in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        sign_in(client, f"nobody{n}", "wrong", ip="192.0.2.9")
    assert sign_in(client, "ellie", PASSWORD, ip="192.0.2.9").status_code == 429
    assert sign_in(client, "ellie", PASSWORD, ip="192.0.2.10").status_code == 302  # others are not locked out


def test_a_superuser_unlocks_an_account(client, imhsg_editor, django_user_model, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "ellie", "wrong")
    superuser = django_user_model.objects.create_superuser("sam", "sam@example.org", PASSWORD)
    client.force_login(superuser)
    attempts = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert attempts.status_code == 200 and "ellie" in attempts.content.decode()
    client.post(reverse("admin:axes_accessattempt_changelist"), {
        "action": "delete_selected", "post": "yes",
        "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True))})
    client.logout()
    assert sign_in(client, "ellie", PASSWORD).status_code == 302


def test_curators_cannot_see_the_sign_in_records(client, imhsg_editor):
    # IMHSG editors may unlock (Access attempts: tests/accounts/test_signin.py), not read who signed in when.
    client.force_login(imhsg_editor)
    assert client.get(reverse("admin:axes_accesslog_changelist")).status_code == 403
    assert client.get(reverse("admin:axes_accessfailurelog_changelist")).status_code == 403


def test_sign_ins_are_recorded(client, imhsg_editor):
    assert sign_in(client, "ellie", PASSWORD).status_code == 302
    assert AccessLog.objects.filter(username="ellie").count() == 1


# --- Two-factor sign-in -----------------------------------------------------------------------

def code_for(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@override_settings(REQUIRE_2FA=True)
def test_staff_set_up_an_authenticator_then_confirm_a_code_at_each_sign_in(client, imhsg_editor):
    assert sign_in(client, "ellie", PASSWORD).status_code == 302
    response = client.get("/admin/directory/service/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("two-factor-setup"))
    # A password alone enrols nothing: the set-up page asks for a link (issue 18, tests/accounts/test_signin.py)...
    assert "set-up link" in client.get(response["Location"]).content.decode()
    # ...which an IMHSG editor or a superuser makes for her.
    assert client.get(enrolment.link_path(imhsg_editor))["Location"] == reverse("two-factor-setup")
    setup = client.get(response["Location"])
    assert setup.status_code == 200 and "app-qr" in setup.content.decode()
    device = TOTPDevice.objects.get(user=imhsg_editor, confirmed=False)
    assert "not right" in client.post(reverse("two-factor-setup"), {"code": "000000" if code_for(device) != "000000" else "111111"}).content.decode()
    assert client.post(reverse("two-factor-setup"), {"code": "12345²"}).status_code == 200  # not ASCII digits
    # A wrong code slows the next attempt down (django-otp's throttle): even the right code waits.
    assert "Too many wrong codes" in client.post(reverse("two-factor-setup"), {"code": code_for(device)}).content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    done = client.post(reverse("two-factor-setup"), {"code": code_for(device), "next": "/admin/directory/service/"})
    assert done.status_code == 302 and done["Location"] == "/admin/directory/service/"
    assert client.get("/admin/directory/service/").status_code == 200
    # Next sign-in: the code is asked for again.
    client.logout()
    sign_in(client, "ellie", PASSWORD)
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("two-factor-verify"))
    device.refresh_from_db()
    # The code just used cannot be used again (a replayed code is refused)...
    assert client.post(reverse("two-factor-verify"), {"code": code_for(device)}).status_code == 200
    # ...but the next one is: stand in for the 30 seconds it takes the app to show a new code.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=device.last_t - 1, throttling_failure_count=0,
                                                   throttling_failure_timestamp=None)
    device.refresh_from_db()
    assert client.post(reverse("two-factor-verify"), {"code": code_for(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200


@override_settings(REQUIRE_2FA=True)
def test_the_next_address_after_a_code_stays_on_this_site(client, imhsg_editor):
    client.force_login(imhsg_editor)
    client.get(enrolment.link_path(imhsg_editor))
    client.get(reverse("two-factor-setup"))
    device = TOTPDevice.objects.get(user=imhsg_editor)
    response = client.post(reverse("two-factor-setup"), {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


@override_settings(REQUIRE_2FA=False)
def test_with_the_switch_off_a_password_is_enough(client, imhsg_editor):
    sign_in(client, "ellie", PASSWORD)
    assert client.get("/admin/").status_code == 200


def production_settings(**env):
    """Settings as a production process reads them (DEBUG off), in a fresh interpreter."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "REQUIRE_2FA", "DJANGO_SETTINGS_MODULE")}
    environment.update({"SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps({'REQUIRE_2FA': s.REQUIRE_2FA, 'SESSION_COOKIE_AGE': s.SESSION_COOKIE_AGE, "
            "'ADMINS': s.ADMINS, 'EXPIRE': s.SESSION_EXPIRE_AT_BROWSER_CLOSE}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_two_factor_is_on_by_default_in_production_and_can_be_switched_off():
    assert production_settings()["REQUIRE_2FA"] is True
    assert production_settings(REQUIRE_2FA="0")["REQUIRE_2FA"] is False
    assert production_settings(DEBUG="1")["REQUIRE_2FA"] is False


def test_admin_sessions_end_after_a_working_day_and_errors_reach_admins(client, imhsg_editor):
    found = production_settings(ADMINS="Ann Admin <ann@example.org>, Bob <bob@example.org>")
    assert found["SESSION_COOKIE_AGE"] == 8 * 60 * 60 and found["EXPIRE"] is True
    assert found["ADMINS"] == [["Ann Admin", "ann@example.org"], ["Bob", "bob@example.org"]]
    sign_in(client, "ellie", PASSWORD)
    assert client.session.get_expiry_age() == 8 * 60 * 60


def deploy_check(**env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SITE_URL",
                                  "DEFAULT_FROM_EMAIL")}
    environment.update({"SECRET_KEY": "k" * 60 + "-Aa1", "ALLOWED_HOSTS": "directory.example.org",
                        "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=environment, capture_output=True, text=True)


FROM = "directory@directory.example.org"


def test_the_deployment_checks_stay_clean():
    result = deploy_check(SITE_URL="https://directory.example.org", DEFAULT_FROM_EMAIL=FROM)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("site_url", [None, "", "http://127.0.0.1:8000", "https://localhost", "http://directory.example.org",
                                      "directory.example.org", "https://directory.example.org/admin/"])
def test_the_deployment_checks_refuse_a_site_url_e_mailed_links_cannot_follow(site_url):
    result = deploy_check(**({} if site_url is None else {"SITE_URL": site_url}))
    said = result.stdout + result.stderr
    assert result.returncode != 0 and "directory.E001" in said and "SITE_URL=https://directory.example.org" in said


def test_a_development_run_keeps_the_local_site_url():
    result = deploy_check(DEBUG="1")
    assert "directory.E001" not in result.stdout + result.stderr
    assert "directory.E002" not in result.stdout + result.stderr


@pytest.mark.parametrize("sender", [None, "", "directory@localhost", "root@localhost", "directory", "a@b",
                                    "Directory <directory@localhost>", "x@127.0.0.1", "x@box.local"])
def test_the_deployment_checks_refuse_a_sender_replies_cannot_reach(sender):
    result = deploy_check(SITE_URL="https://directory.example.org", **({} if sender is None else {"DEFAULT_FROM_EMAIL": sender}))
    said = result.stdout + result.stderr
    assert result.returncode != 0 and "directory.E002" in said, said


@pytest.mark.parametrize("sender", [FROM, "IMHSG directory <imhsg@nhs.example.org>"])
def test_the_deployment_checks_take_a_real_sender(sender):
    result = deploy_check(SITE_URL="https://directory.example.org", DEFAULT_FROM_EMAIL=sender)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_makefile_check_deploy_names_a_site_url_and_a_sender():
    makefile = (Path(ROOT) / "Makefile").read_text()
    line = next(line for line in makefile.splitlines() if "check --deploy" in line)
    assert "SITE_URL=https://" in line and "DEFAULT_FROM_EMAIL=" in line


# --- Health, request ids, JSON logs ----------------------------------------------------------------

def test_healthz_says_ok_when_the_database_answers_and_is_migrated(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok", "migrations": "ok"}


def test_healthz_answers_plain_http_where_everything_else_is_sent_to_https(client, settings):
    # Load balancers and container health checks ask over plain HTTP (compose.yaml, issue 26).
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/about/").status_code == 301
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert client.get("/healthzx").status_code == 301  # that address only


def test_healthz_says_unhealthy_when_migrations_are_pending(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("pending", False)])
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["migrations"] == "pending"


def test_each_response_carries_a_request_id_and_a_forged_one_is_replaced(client):
    assert len(client.get("/about/")["X-Request-ID"]) == 32
    assert client.get("/about/", HTTP_X_REQUEST_ID="lb-123.abc")["X-Request-ID"] == "lb-123.abc"
    forged = client.get("/about/", HTTP_X_REQUEST_ID='x"\n{"level": "CRITICAL"}')["X-Request-ID"]
    assert "\n" not in forged and len(forged) == 32


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Boom %s", ("now",), None)
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Boom now" and line["level"] == "ERROR" and line["request_id"] == "-"
    assert set(line) >= {"time", "logger"}
