"""Issuing and opening two-factor set-up links (accounts/enrolment.py)."""
import logging
import smtplib

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment
from directory.curation.roles import is_imhsg_editor

logger = logging.getLogger(__name__)


def staff_without_two_factor(issuer):
    """Who `issuer` may make a link for: active staff with no confirmed device. Only a superuser
    makes one for a superuser, so that an IMHSG editor's account cannot be used to take over a
    superuser's by someone who also knows that superuser's password."""
    members = (get_user_model().objects.filter(is_active=True, is_staff=True)
               .exclude(pk__in=TOTPDevice.objects.filter(confirmed=True).values("user"))
               .order_by("first_name", "last_name", "username"))
    return members if issuer.is_superuser else members.filter(is_superuser=False)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{name} ({user.username})" if name else user.username


class IssueLinkForm(forms.Form):
    member = MemberChoiceField(
        queryset=None, label="Who is the link for?", empty_label="Choose a member of staff",
        help_text="Staff who have not set up two-factor sign-in yet. Someone who has lost their phone: a superuser "
                  "removes their old device under TOTP devices first.")
    by_email = forms.BooleanField(
        required=False, label="E-mail the link to them",
        help_text="Otherwise the link is shown on the next page, once, for you to pass on.")

    def __init__(self, *args, issuer, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["member"].queryset = staff_without_two_factor(issuer)

    def clean(self):
        cleaned = super().clean()
        member = cleaned.get("member")
        if member and cleaned.get("by_email") and not member.email:
            self.add_error("by_email", f"{member.username} has no e-mail address: untick this to be shown the link.")
        return cleaned


def _render(request, template, context, status=200):
    return TemplateResponse(request, template, {**admin.site.each_context(request), **context}, status=status)


def issue_view(request):
    """An IMHSG editor or a superuser makes a set-up link for a named member of staff (wrapped in
    admin_view: signed in, staff, two-factor verified where required, never cached)."""
    if not is_imhsg_editor(request.user):
        raise PermissionDenied
    form = IssueLinkForm(request.POST or None, issuer=request.user)
    context = {"title": "Two-factor set-up links", "form": form,
               "hours": settings.ENROLMENT_LINK_HOURS}
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        # The site's public address, as in every e-mail: the host this request came in on may be
        # an internal name behind the proxy (README, Configure: SITE_URL).
        link = f"{settings.SITE_URL}{enrolment.link_path(member)}"
        if form.cleaned_data["by_email"] and not _send(request, member, link):
            form.add_error("by_email", "The e-mail could not be sent just now: untick this to be shown the link.")
            return _render(request, "admin/enrolment_link.html", context)
        LogEntry.objects.log_actions(request.user.pk, [member], CHANGE, single_object=True,
                                     change_message="Issued a two-factor set-up link")
        logger.info("Two-factor set-up link for %s issued by %s", member.username, request.user.username)
        context.update({"member": member, "form": IssueLinkForm(issuer=request.user),
                        **({"emailed_to": member.email} if form.cleaned_data["by_email"] else {"link": link})})
    return _render(request, "admin/enrolment_link.html", context)


def _send(request, member, link):
    """E-mail the link; False (and the error logged) when the mail server refuses or is away."""
    issuer = request.user.get_full_name() or request.user.username
    try:
        send_mail(
            f"Set up two-factor sign-in for the {settings.SITE_NAME}",
            f"{issuer} has made you a link to set up two-factor sign-in for the directory's admin.\n\n"
            f"Sign in with your password, then open:\n{link}\n\n"
            f"It works once, for your account only, within {settings.ENROLMENT_LINK_HOURS} hours. If you did not "
            f"expect it, tell {issuer} and do not open it.\n",
            None, [member.email])
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not e-mail a two-factor set-up link to %s", member.username)
        return False
    return True


@never_cache
def enrol_view(request, token):
    """Opening a set-up link: after signing in as the person it was made for, it lets this session
    set up an authenticator app, once."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "admin:login")
    if not request.user.is_staff:
        return redirect("admin:login")
    try:
        enrolment.redeem(request, token)
    except enrolment.LinkError as problem:
        return _render(request, "admin/two_factor_setup.html",
                       {"title": "This set-up link cannot be used", "problem": str(problem)}, status=400)
    return redirect("two-factor-setup")
