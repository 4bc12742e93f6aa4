"""What's on in the admin (issue 23): sessions with their changed dates, school terms, and the
IMHSG's knowledge-sharing events.

Who may do what (directory/curation/roles.py):
- IMHSG editors add, change and publish sessions, enter school terms, and publish events.
- Organisation editors add sessions to their own organisations' services and change them while
  they are drafts; an IMHSG editor publishes them (a published session is read-only to them,
  as a published service's venue is). They see no events and no terms' edit page.
- Viewers read everything.
"""
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from directory.curation.admin.records import HTTPS_URLS, HistoryAdmin, https_formfield
from directory.curation.admin.workflow import OrganisationScopedMixin
from directory.curation.roles import can_moderate, is_organisation_editor, organisation_ids
from directory.models import (
    KnowledgeEvent, Service, ServiceAtLocation, Session, SessionException, Status, TermDate,
)
from directory.whatson.rules import (
    DAY_CHOICES, WEEKS, Terms, day_words, next_date, occurrences, rule_parts, rule_problems, session_words, weeks_of,
)

PREVIEW_DATES = 6


class SessionForm(forms.ModelForm):
    days = forms.MultipleChoiceField(choices=DAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
                                     help_text="The day or days it runs.")
    weeks = forms.ChoiceField(choices=WEEKS, initial="every", label="Which weeks",
                              help_text="'Last week of the month' means the last such day of each month.")

    class Meta:
        model = Session
        fields = "__all__"
        formfield_callback = https_formfield
        widgets = {"opens_at": forms.TimeInput(format="%H:%M"), "closes_at": forms.TimeInput(format="%H:%M")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("byday",):
            if name in self.fields:
                self.fields[name].required = False
        if self.instance.pk:
            self.initial["days"], self.initial["weeks"] = weeks_of(self.instance)

    def clean(self):
        cleaned = super().clean()
        weeks, days = cleaned.get("weeks"), cleaned.get("days") or []
        if weeks and weeks != "rule":
            if not days:
                self.add_error("days", "Choose the day or days it runs.")
                return cleaned
            values = rule_parts(days, weeks)
            cleaned.update(values)
            for name, value in values.items():
                setattr(self.instance, name, value)
        probe = Session(**{name: cleaned.get(name) for name in (
            "freq", "interval", "byday", "bymonthday", "dtstart", "valid_from")
            if cleaned.get(name) is not None})
        problems = rule_problems(probe)
        if problems:
            self.add_error("weeks" if weeks != "rule" else "byday", " ".join(problems))
        return cleaned


class ExceptionForm(forms.ModelForm):
    class Meta:
        model = SessionException
        fields = "__all__"
        widgets = {"moved_opens_at": forms.TimeInput(format="%H:%M"),
                   "moved_closes_at": forms.TimeInput(format="%H:%M")}


class DraftsOnlyForProviders:
    """An organisation editor changes a session (and its dates) only while it is a draft."""

    def _locked(self, request, session):
        return (session is not None and is_organisation_editor(request.user)
                and session.status == Status.PUBLISHED)

    def has_change_permission(self, request, obj=None):
        session = obj if isinstance(obj, Session) or obj is None else obj.session
        return not self._locked(request, session) and super().has_change_permission(request, obj)


class SessionExceptionInline(DraftsOnlyForProviders, admin.TabularInline):
    model = SessionException
    form = ExceptionForm
    extra = 1
    fields = ["date", "kind", "moved_to", "moved_opens_at", "moved_closes_at", "note"]

    def has_add_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(request, obj) and super().has_delete_permission(request, obj)


@admin.register(Session)
class SessionAdmin(DraftsOnlyForProviders, OrganisationScopedMixin, HistoryAdmin):
    form = SessionForm
    formfield_overrides = HTTPS_URLS
    inlines = [SessionExceptionInline]
    organisation_lookup = "service__organisation"
    list_display = ["__str__", "service", "when", "place", "status"]
    list_filter = ["status", "term_time_only", "booking", ("service", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["service", "place__venue", "place__service"]
    search_fields = ["title", "service__name", "place__venue__name", "place__venue__postcode"]
    readonly_fields = ["next_dates", "imported_from"]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["service", "title", "status", "next_dates"]}),
        ("Where", {"fields": ["place", "online"]}),
        ("When", {
            "description": "Times are UK time. 'Term time only' uses the school terms in 'School terms': with none "
                           "entered, a term-time session shows no dates.",
            "fields": ["days", "weeks", ("opens_at", "closes_at"), "term_time_only", ("valid_from", "valid_to")],
        }),
        ("Who and how", {"fields": ["booking", ("cost", "cost_details"), ("age_from_months", "age_to_months"),
                                    "description", "notes", "schedule_link", "attending_type"]}),
        ("Open Referral rule (advanced)", {
            "classes": ["collapse"],
            "description": "Set from 'days' and 'which weeks' above unless 'which weeks' is 'as the rule below'.",
            "fields": [("freq", "interval"), ("byday", "bymonthday"), "dtstart", "imported_from"],
        }),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("exceptions")

    @admin.display(description="when")
    def when(self, obj):
        return session_words(obj, with_next=False)

    @admin.display(description="next dates")
    def next_dates(self, obj):
        if obj is None or not obj.pk:
            return "Save to see the next dates."
        terms = Terms()
        today = timezone.localdate()
        upcoming = next_date(obj, terms, today)
        found = [o for o in occurrences(obj, today, today + timedelta(days=365), terms)][:PREVIEW_DATES]
        lines = [(day_words(o.day) + (" (cancelled)" if o.cancelled else "")
                  + (f" (moved from {day_words(o.moved_from)})" if o.moved_from else "")
                  + (f": {o.note}" if o.note else ""),) for o in found]
        note = ""
        if obj.term_time_only and not terms.spans:
            note = " No school terms are entered yet, so a term-time session has no dates."
        return format_html("<p><strong>{}</strong>{}</p><ul>{}</ul>", session_words(obj, next_occurrence=upcoming),
                           note, format_html_join("", "<li>{}</li>", lines))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not can_moderate(request.user):
            fields.append("status")
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service":
            services = Service.objects.only("pk", "name")
            if is_organisation_editor(request.user):
                services = services.filter(organisation__in=organisation_ids(request.user))
            kwargs["queryset"] = services
        if db_field.name == "place":
            places = ServiceAtLocation.objects.select_related("service", "venue").only(
                "pk", "service__name", "venue__name", "venue__postcode")
            if is_organisation_editor(request.user):
                places = places.filter(service__organisation__in=organisation_ids(request.user))
            kwargs["queryset"] = places
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not can_moderate(request.user) and not change:
            obj.status = Status.DRAFT
        super().save_model(request, obj, form, change)

    def has_publish_permission(self, request):
        return can_moderate(request.user) and request.user.has_perm("directory.publish_session")

    @admin.action(description="Publish the selected sessions", permissions=["publish"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Status.PUBLISHED, "published")

    @admin.action(description="Take the selected sessions off the public pages (back to draft)",
                  permissions=["publish"])
    def unpublish(self, request, queryset):
        self._set_status(request, queryset, Status.DRAFT, "taken off the public pages")

    def _set_status(self, request, queryset, status, words):
        count = 0
        for session in queryset.exclude(status=status):
            session.status = status
            session._change_reason, session._history_user = f"Sessions {words}", request.user
            session.save()
            count += 1
        self.message_user(request, f"{count} session(s) {words}.", messages.SUCCESS)


@admin.register(TermDate)
class TermDateAdmin(HistoryAdmin):
    list_display = ["name", "first_day", "last_day", "source"]
    search_fields = ["name"]
    fields = ["name", ("first_day", "last_day"), "source"]


class LabelledSplitDateTime(AdminSplitDateTime):
    """The admin's date and time boxes, each named for screen readers (the admin labels only the pair)."""

    def __init__(self, label):
        super().__init__()
        self.widgets[0].attrs["aria-label"] = f"{label}: date"
        self.widgets[1].attrs["aria-label"] = f"{label}: time"


class EventForm(forms.ModelForm):
    class Meta:
        model = KnowledgeEvent
        fields = "__all__"
        formfield_callback = https_formfield


@admin.register(KnowledgeEvent)
class KnowledgeEventAdmin(HistoryAdmin):
    """Knowledge-sharing events: IMHSG editors only write them (organisation editors have no
    permission on them at all); publishing is a moderator's act, as for services."""

    form = EventForm
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "starts_at", "status", "has_record"]
    list_filter = ["status"]
    search_fields = ["title", "description", "presenting_services__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["presenting_services", "venue"]
    list_select_related = []
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "description", "presenting_services"]}),
        ("When and where", {"fields": [("starts_at", "ends_at"), "online_link", "venue", "accessibility"]}),
        ("Who and how to book", {"fields": ["audience", "booking_url"]}),
        ("After the event: what was shared", {
            "description": "Shown on the event's page and on the presenting services' pages.",
            "fields": ["summary", "slides_url", "good_practice"],
        }),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("starts_at", "ends_at"):
            kwargs["widget"] = LabelledSplitDateTime("Starts" if db_field.name == "starts_at" else "Ends")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="what was shared", boolean=True)
    def has_record(self, obj):
        return obj.has_record

    def _writer(self, request):
        return can_moderate(request.user)

    def has_add_permission(self, request):
        return self._writer(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._writer(request) and super().has_change_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return not is_organisation_editor(request.user) and super().has_view_permission(request, obj)
