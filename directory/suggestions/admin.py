"""The curators' queue of "Suggest a change" messages (imported from config/urls.py).

Nothing here changes a service: accepting a suggestion records that a curator agreed with it;
the curator then edits the service, so its history says who changed what. What a visitor typed
is only ever shown through Django's escaping (list cells, read-only fields, format_html).
"""
from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator

from directory.models import Suggestion, SuggestionStatus
from directory.suggestions.handling import suggestion_handle


class HandleForm(forms.Form):
    """The reason asked for by the accept and reject actions."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False, max_length=2000,
        help_text="Private to curators. For a rejection, say why nothing needed to change.",
    )

    def __init__(self, *args, status, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = status == SuggestionStatus.REJECTED
        self.fields["reason"].label = "What you changed (optional)" if status == SuggestionStatus.ACCEPTED \
            else "Why it was rejected"


class SuggestionChangeForm(forms.ModelForm):
    class Meta:
        model = Suggestion
        fields = ["status", "curator_reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == SuggestionStatus.REJECTED and not cleaned.get("curator_reason", "").strip():
            self.add_error("curator_reason", "Say why the suggestion was rejected.")
        return cleaned


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """Newest first; filter by status. A fixed number of queries for the list (pinned in tests)."""

    form = SuggestionChangeForm
    list_display = ["created", "about", "what_is_wrong", "contact", "page", "status", "handled_by"]
    list_display_links = ["created"]
    list_filter = ["status", "page"]
    list_select_related = ["service", "handled_by"]
    search_fields = ["text", "service__name", "contact_name", "contact_email"]
    date_hierarchy = "created"
    readonly_fields = ["service_links", "text", "contact_name", "contact_email", "page", "created", "handled_by",
                       "handled_at"]
    fields = ["service_links", "text", "contact_name", "contact_email", "page", "created", "status",
              "curator_reason", "handled_by", "handled_at"]
    actions = ["accept", "reject"]

    class Media:
        css = {"all": ["css/admin-suggestions.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service", "handled_by")

    def has_add_permission(self, request):
        return False  # suggestions come from the public pages only

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="service", ordering="service__name")
    def about(self, obj):
        return obj.service.name

    @admin.display(description="what is wrong")
    def what_is_wrong(self, obj):
        return Truncator(obj.text).chars(140)

    @admin.display(description="contact")
    def contact(self, obj):
        return ", ".join(part for part in (obj.contact_name, obj.contact_email) if part) or "Not given"

    @admin.display(description="service")
    def service_links(self, obj):
        return format_html(
            '{} (<a href="{}">edit the service</a>, <a href="{}">its public page</a>)', obj.service.name,
            reverse("admin:directory_service_change", args=[obj.service_id]), obj.service.get_absolute_url(),
        )

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            handled = obj.status != SuggestionStatus.NEW
            obj.handled_by, obj.handled_at = (request.user, timezone.now()) if handled else (None, None)
        super().save_model(request, obj, form, change)

    @admin.action(description="Accept the selected suggestions (then change the service yourself)",
                  permissions=["change"])
    def accept(self, request, queryset):
        return self._handle(request, queryset, SuggestionStatus.ACCEPTED)

    @admin.action(description="Reject the selected suggestions, with a reason", permissions=["change"])
    def reject(self, request, queryset):
        return self._handle(request, queryset, SuggestionStatus.REJECTED)

    def _handle(self, request, queryset, status):
        """First asks for the reason on a page of its own; then records it on every selected suggestion."""
        form = HandleForm(request.POST if "apply" in request.POST else None, status=status)
        if form.is_valid():
            count = suggestion_handle(suggestions=queryset, status=status, reason=form.cleaned_data["reason"],
                                      user=request.user)
            verb = "accepted" if status == SuggestionStatus.ACCEPTED else "rejected"
            self.message_user(request, f"{count} suggestion{'s' if count != 1 else ''} {verb}.", messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/directory/suggestion/handle.html", {
            **self.admin_site.each_context(request),
            "title": "Accept suggestions" if status == SuggestionStatus.ACCEPTED else "Reject suggestions",
            "opts": self.model._meta,
            "form": form,
            "suggestions": queryset.select_related("service"),
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "status": status,
        })
