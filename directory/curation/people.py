"""Curators' own details: the e-mail that review reminders reach (issue 18)."""
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from directory.curation.roles import can_moderate, curators
from directory.models import Service, Status


class CuratorDetailsForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email"]
        help_texts = {"email": "Review reminders for the services this person owns go here."}


def curator_details_view(request, user_id=None):
    """/admin/account/: anyone on the staff edits their own name and e-mail.
    /admin/curators/<id>/: an IMHSG editor edits a curator's (the e-mail reminders reach), so a
    service's owner can be reached without a superuser. Superusers' details are their own."""
    user = request.user
    if user_id is None or str(user_id) == str(user.pk):
        target = user
    else:
        target = curators().filter(pk=user_id).first() if can_moderate(user) else None
        if target is None or (target.is_superuser and not user.is_superuser):
            raise PermissionDenied
    form = CuratorDetailsForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return HttpResponseRedirect(request.path)
    context = {
        **admin.site.each_context(request),
        "title": "Your details" if target == user else f"Details of {target.get_full_name() or target.username}",
        "form": form, "target": target,
        "owned": Service.objects.filter(owner=target).exclude(status=Status.ARCHIVED).order_by("name")
        .values_list("name", flat=True),
    }
    return TemplateResponse(request, "admin/directory/curator_details.html", context)
