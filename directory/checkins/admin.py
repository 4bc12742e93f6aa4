"""The check-in admin (issue 20): each service's private check-in contact, the invitations sent
and their state, and the service list's "Send check-in invitations" action.

Who sees what (directory/curation/roles.py):
- IMHSG editors set contacts (on the service's page, an inline only they get, or in "Check-in
  contacts"), send invitations and revoke links.
- Viewers read the contacts and invitations lists.
- Organisation editors see none of it: no inline, no list, no filter option, no action. The
  contact is the IMHSG's way to reach the service, not a fact of the service.
The token of a link is never shown or stored; only its hash is, and no page shows that either.
"""
from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from directory.checkins import invitations, tokens
from directory.curation.admin.records import ServiceAdmin
from directory.curation.admin.workflow import SuperuserDeletesOnly
from directory.curation.roles import can_moderate, is_organisation_editor
from directory.models import CheckInContact, CheckInInvitation, Service

PRIVATE_NOTE = ("Private: who the IMHSG asks to check this entry (invitations and reminders go to this e-mail). "
                "Never shown on the public pages, the API or the CSV, nor to the service's organisation editors.")


class ImhsgOnly:
    """Writes for IMHSG editors only; reading for those with the view permission (IMHSG editors
    and viewers: organisation editors have none), never for organisation editors."""

    def has_view_permission(self, request, obj=None):
        return not is_organisation_editor(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return can_moderate(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return can_moderate(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return can_moderate(request.user) and super().has_delete_permission(request, obj)


# --- Contacts ---------------------------------------------------------------------------------

class ContactFormSet(forms.BaseInlineFormSet):
    """Records who set the contact (`updated_by`); `user` is set per request by the inline."""

    user = None

    def save_new(self, form, commit=True):
        form.instance.updated_by = self.user
        return super().save_new(form, commit)

    def save_existing(self, form, obj, commit=True):
        form.instance.updated_by = self.user
        return super().save_existing(form, obj, commit)


class ContactForm(forms.ModelForm):
    class Meta:
        model = CheckInContact
        fields = ["service", "name", "email"]
        help_texts = {"email": PRIVATE_NOTE}


class CheckInContactInline(ImhsgOnly, admin.StackedInline):
    model = CheckInContact
    form = ContactForm
    formset = ContactFormSet
    fields = [("name", "email")]
    extra = 1
    max_num = 1
    # With one form at most the admin heads the inline with verbose_name.
    verbose_name = verbose_name_plural = "Check-in contact (private)"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type("ContactFormSet", (formset,), {"user": request.user})


@admin.register(CheckInContact)
class CheckInContactAdmin(ImhsgOnly, admin.ModelAdmin):
    form = ContactForm
    list_display = ["service", "name", "email", "updated", "updated_by"]
    list_select_related = ["service", "updated_by"]
    search_fields = ["service__name", "name", "email"]
    ordering = ["service__name"]
    readonly_fields = ["updated", "updated_by"]

    def get_fields(self, request, obj=None):
        return ["service", "name", "email", "updated", "updated_by"]

    def get_readonly_fields(self, request, obj=None):
        # A contact belongs to its service: to move one, delete it and add it to the other service.
        return [*self.readonly_fields, "service"] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service":
            kwargs["queryset"] = Service.objects.order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


# --- Invitations ------------------------------------------------------------------------------

def day(moment):
    return f"{timezone.localtime(moment):%-d %b %Y}" if moment else "-"


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return invitations.STATES

    def queryset(self, request, queryset):
        if self.value() in dict(invitations.STATES):
            return queryset.filter(invitations.state_q(self.value()))
        return queryset


@admin.register(CheckInInvitation)
class CheckInInvitationAdmin(SuperuserDeletesOnly, admin.ModelAdmin):
    """What was sent and what came of it. Read-only: invitations are made by `invite` (the
    service list's action, `manage.py invite_providers`); the only write here is Revoke."""

    # Dates without times, and the state second, so that every column fits a laptop's width.
    list_display = ["service", "state", "sent_to", "sent", "expires", "opened", "answered", "reminders", "revoked"]
    list_filter = [StateFilter]
    list_select_related = ["service"]
    search_fields = ["service__name", "name", "email"]
    # Never token_hash: it opens nothing, but it is nobody's business either.
    fields = ["service", "name", "email", "created_at", "created_by", "expires_at", "opened_at", "answered_at",
              "last_reminded_at", "reminders_sent", "revoked_at", "revoked_by", "state"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_view_permission(self, request, obj=None):
        return not is_organisation_editor(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return can_moderate(request.user) and request.user.has_perm("directory.change_checkininvitation")

    @admin.display(description="sent to", ordering="name")
    def sent_to(self, obj):
        return format_html("{}<br>{}", obj.name, obj.email)

    @admin.display(description="sent", ordering="created_at")
    def sent(self, obj):
        return day(obj.created_at)

    @admin.display(description="expires", ordering="expires_at")
    def expires(self, obj):
        return day(obj.expires_at)

    @admin.display(description="first opened", ordering="opened_at")
    def opened(self, obj):
        return day(obj.opened_at)

    @admin.display(description="last answered", ordering="answered_at")
    def answered(self, obj):
        return day(obj.answered_at)

    @admin.display(description="revoked", ordering="revoked_at")
    def revoked(self, obj):
        return day(obj.revoked_at)

    @admin.display(description="reminders", ordering="reminders_sent")
    def reminders(self, obj):
        if not obj.reminders_sent:
            return "None"
        return f"{obj.reminders_sent} (last {day(obj.last_reminded_at)})"

    @admin.display(description="state")
    def state(self, obj):
        return dict(invitations.STATES)[invitations.state_of(obj)]

    @admin.action(description="Revoke the selected links (they stop opening at once)", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = tokens.revoke(invitations=queryset, revoked_by=request.user)
        self.message_user(request, f"{count} link{'' if count == 1 else 's'} revoked.")


# --- The service list's action and the contact on the service's page ---------------------------

@admin.action(description="Send check-in invitations (e-mail each service's check-in contact a personal link)",
              permissions=["invite"])
def send_checkin_invitations(modeladmin, request, queryset):
    outcomes = invitations.invite_many(services=queryset.order_by("name"), sent_by=request.user)
    level = messages.WARNING if any(o.skipped for o in outcomes) else messages.SUCCESS
    modeladmin.message_user(request, invitations.summary(outcomes), level)


ServiceAdmin.actions = [*ServiceAdmin.actions, send_checkin_invitations]
ServiceAdmin.imhsg_only_inlines = [*ServiceAdmin.imhsg_only_inlines, CheckInContactInline]
