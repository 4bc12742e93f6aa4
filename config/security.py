"""Protecting curators' accounts: the client address for lockouts, and two-factor sign-in.

Two-factor: with REQUIRE_2FA on (the default when DEBUG is off), a staff member who has
signed in with a password must also confirm a one-time code from an authenticator app
(TOTP, django-otp) before any other admin page. The first time, they open a one-time set-up
link that an IMHSG editor or a superuser made for them (accounts/enrolment.py), and set up the
app on /admin/2fa/setup/ (a QR code and the key to type in, shown once); then
/admin/2fa/verify/ asks for the code at each sign-in. A superuser removes a lost device under
"TOTP devices" and the person needs a new link.
"""
import base64
import json
import logging

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.admin import site
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment

logger = logging.getLogger("csp")


def client_ip(request):
    """The client's address. Behind our TLS proxy (BEHIND_TLS_PROXY) it is the last address the
    proxy appended to X-Forwarded-For: earlier entries are the client's own claims."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")


# Admin pages a signed-in member of staff may use before confirming a code.
OPEN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/2fa/", "/admin/jsi18n/")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (settings.REQUIRE_2FA and request.path.startswith("/admin/") and not request.path.startswith(OPEN_PATHS)
                and user is not None and user.is_authenticated and user.is_staff and not user.is_verified()):
            has_device = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
            target = "two-factor-verify" if has_device else "two-factor-setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="The 6-digit code from your authenticator app", max_length=6, min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"]
        if not (code.isascii() and code.isdigit()):
            raise forms.ValidationError("Enter the 6 digits the app shows.")
        return code


WRONG = "That code is not right. Check the app's clock, or wait for the next code."
THROTTLED = "Too many wrong codes. Wait a minute, then enter the code the app shows."


def _check(device, code):
    """(True, "") for the right code; else (False, why). django-otp slows down guessing: after
    each wrong code the next is refused for a while, which we say rather than 'not right'."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return False, THROTTLED
    return (True, "") if device.verify_token(code) else (False, WRONG)


def _next(request):
    target = request.POST.get("next") or request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return reverse("admin:index")
    return target


def _render(request, template, context):
    return TemplateResponse(request, template, {**site.each_context(request), **context})


@never_cache
@login_required(login_url="admin:login")
def setup_view(request):
    """Set up an authenticator app, in a session that has opened a set-up link for this person.

    Each visit makes a new key and shows it once: a key is never shown again (a wrong code
    brings back only the code box), so a page left open, cached or looked over shows nothing
    that still works once the app is set up. Without a link it explains whom to ask and
    enrols nothing: a password alone must not be enough to attach someone's phone."""
    user = request.user
    if not user.is_staff:
        return redirect("admin:login")
    if enrolment.has_device(user):
        return redirect(f"{reverse('two-factor-verify')}?next={_next(request)}")
    context = {"title": "Set up two-factor sign-in", "next": _next(request)}
    if not enrolment.may_enrol(request):
        return _render(request, "admin/two_factor_setup.html",
                       {**context, "needs_link": True, "hours": settings.ENROLMENT_LINK_HOURS})
    if request.method == "POST":
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:  # removed meanwhile (by a superuser, or another tab's new key)
            return redirect(f"{reverse('two-factor-setup')}?next={_next(request)}")
        form = CodeForm(request.POST)
        if form.is_valid():
            ok, why = _check(device, form.cleaned_data["code"])
            if ok:
                device.confirmed = True
                device.save()
                enrolment.finish(request)
                otp_login(request, device)
                return redirect(_next(request))
            form.add_error("code", why)
        return _render(request, "admin/two_factor_setup.html", {**context, "form": form})
    device = enrolment.fresh_device(user)
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return _render(request, "admin/two_factor_setup.html", {
        **context, "form": CodeForm(),
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#212b32",
                                                                      title="QR code of your key"),
        "key": " ".join(key[i:i + 4] for i in range(0, len(key), 4)),
    })


@login_required(login_url="admin:login")
def verify_view(request):
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        why = "Set up your authenticator app first."
        for device in TOTPDevice.objects.devices_for_user(request.user, confirmed=True):
            ok, why = _check(device, form.cleaned_data["code"])
            if ok:
                otp_login(request, device)
                return redirect(_next(request))
        form.add_error("code", why)
    return _render(request, "admin/two_factor_verify.html", {"title": "Enter your sign-in code", "form": form,
                                                              "next": _next(request)})


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header (settings.PERMISSIONS_POLICY) to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


CSP_REPORT_MAX_BYTES = 16 * 1024
# What browsers send to a report-uri (application/csp-report), and plain JSON for tools.
CSP_REPORT_TYPES = ("application/csp-report", "application/json")
CSP_REPORT_FIELDS = ("violated-directive", "blocked-uri", "document-uri")


def _csp_report_details(request):
    """The report's object, or None when the request is not one. Anyone may post here, so
    anything malformed is answered 400 and never raises: a 500 would be e-mailed to ADMINS."""
    if request.content_type not in CSP_REPORT_TYPES:
        return None
    length = request.META.get("CONTENT_LENGTH") or ""
    # Checked before request.body is read: a body beyond DATA_UPLOAD_MAX_MEMORY_SIZE would raise
    # RequestDataTooBig, which Django logs at error level.
    if not (length.isascii() and length.isdigit() and 0 < int(length) <= CSP_REPORT_MAX_BYTES):
        return None
    try:
        report = json.loads(request.body)
    except (ValueError, RecursionError):  # not JSON or not UTF-8; nested deeper than Python recurses
        return None
    details = report.get("csp-report", report) if isinstance(report, dict) else None
    if not isinstance(details, dict):
        return None
    for field in CSP_REPORT_FIELDS:
        value = details.get(field, "")
        if not isinstance(value, str):
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, which JSON's \u escapes allow, cannot be logged
            return None
    return details


@csrf_exempt
@require_POST
def csp_report(request):
    """Browsers POST policy violations here; they are logged (at most 16 KB each, never stored)."""
    details = _csp_report_details(request)
    if details is None:
        return HttpResponse(status=400)
    logger.warning("CSP violation: %s blocked %s on %s", details.get("violated-directive", "")[:200],
                   details.get("blocked-uri", "")[:300], details.get("document-uri", "")[:300])
    return HttpResponse(status=204)
