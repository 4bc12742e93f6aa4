"""IMHSG curation in the Django admin.

Every list and change page runs a fixed number of queries whatever the
number of rows or inlines (tests/directory/curation/test_admin.py pins them).
"""
from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from directory.curation import moderation
from directory.curation.admin.bulk import ServiceBulkMixin
from directory.curation.admin.workflow import (
    CompareVersionsMixin, ModeratedServiceMixin, OrganisationScopedMixin, PendingChangeAdmin, SuperuserDeletesOnly,
)
from directory.curation.dashboard import CheckedFilter, MissingFilter
from directory.curation.history import WordsContextHelper, related_changes
from directory.curation.review import DUE_SOON_TEXT, due_soon_q, overdue_q
from directory.curation.roles import can_moderate, curators, is_imhsg_editor, is_organisation_editor, organisation_ids
from directory.models import (
    DeliveryMode, Fact, Intervention, Language, Level, Need, Organisation, ParentTopic, PendingChange, ReferralRoute,
    Service, ServiceAtLocation, ServiceCapacity, SourceKind, Status, UrgentHelp, Venue,
)
from directory.core.numbers import WholeNumberField, decimal_number
from directory.core.provenance import record_curator_edits, record_fact
from mapping.models import District


def record_edits(request, obj, changed_fields):
    """Who vouches for the facts changed in this save: an IMHSG curator (confirmed that day) or,
    for an organisation editor's own draft, the provider (not yet confirmed)."""
    if is_organisation_editor(request.user):
        from directory.core.provenance import FORM_FIELD_FACTS, record_fact

        facts = {FORM_FIELD_FACTS[type(obj).__name__].get(name) for name in changed_fields} - {None}
        for fact in facts:
            record_fact(owner=obj, field=fact, kind=SourceKind.PROVIDER, note=f"Entered by {request.user}.")
        return facts
    return record_curator_edits(obj, changed_fields, request.user)


def search_words(search_term):
    """The words of an admin search, as Django's get_search_results splits them ("quoted
    phrases" kept whole)."""
    from django.utils.text import smart_split, unescape_string_literal

    return [unescape_string_literal(bit) if bit.startswith(('"', "'")) and bit[0] == bit[-1] else bit
            for bit in smart_split(search_term)]


def name_list(rows):
    """A list column of related rows: their names, comma-separated (each escaped)."""
    return format_html_join(", ", "{}", ((row.name,) for row in rows))


def curator_label(user):
    name = user.get_full_name() or user.username
    return f"{name} ({user.email})" if user.email else f"{name} (no e-mail yet: reminders cannot reach them)"


# A web address typed without a scheme means https (Django 6's default, chosen now): every
# admin here says so with `formfield_overrides = HTTPS_URLS`. A ModelForm of our own builds its
# fields once when the class is defined (the admin rebuilds them with the overrides), so it
# takes the same rule through `https_formfield`, or Django warns that the default will change.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


def https_formfield(db_field, **kwargs):
    return db_field.formfield(**{**HTTPS_URLS.get(type(db_field), {}), **kwargs})


# --- Taxonomies and organisations --------------------------------------------

class ServiceCountAdmin(admin.ModelAdmin):
    """Lists how many services use each row, counted in the list's own query."""

    def get_queryset(self, request):
        # Ordering again: Meta.ordering is dropped from a query with an aggregate.
        return super().get_queryset(request).annotate(service_count=Count("services")).order_by("name")

    @admin.display(description="services", ordering="service_count")
    def service_count(self, obj):
        return obj.service_count


class TermAdmin(ServiceCountAdmin):
    list_display = ["name", "code", "service_count"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


admin.site.register(Need, TermAdmin)
admin.site.register(Intervention, TermAdmin)
admin.site.register(DeliveryMode, TermAdmin)


@admin.register(Language)
class LanguageAdmin(TermAdmin):
    prepopulated_fields = {}
    fields = ["name", "code"]


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    """The four levels are fixed (Table 3 of the needs assessment); only their wording can change."""

    list_display = ["name", "rank", "description"]
    fields = ["name", "description"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdmin(SuperuserDeletesOnly, CompareVersionsMixin, SimpleHistoryAdmin):
    """History with who, when and what changed (simple-history), revert for those who may change
    the record, and a comparison of any two versions. Nobody but a superuser deletes."""

    # Not admin/directory/object_history.html: Django would pick that name for every directory
    # model, and models without simple-history (needs, facts...) have no compare page to link to.
    object_history_template = "admin/directory/simple_history_object_history.html"
    # The versions in words: no "None" for an empty reason, person or value (directory/curation/history.py).
    object_history_list_template = "admin/directory/object_history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return WordsContextHelper(self.model, historical_record)

    def get_urls(self):
        from django.urls import path

        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("<path:object_id>/history/compare/", self.admin_site.admin_view(self.compare_versions_view),
                 name="%s_%s_compare" % info),
        ] + super().get_urls()


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedMixin, ServiceCountAdmin, HistoryAdmin):
    list_display = ["name", "sector", "service_count"]
    list_filter = ["sector"]
    search_fields = ["name"]
    formfield_overrides = HTTPS_URLS
    prepopulated_fields = {"slug": ["name"]}
    organisation_lookup = "pk"

    def get_readonly_fields(self, request, obj=None):
        # Who edits an organisation's entries is a superuser's decision (issue 10: managing users).
        return [] if request.user.is_superuser else ["editors"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "editors":
            kwargs["widget"] = forms.CheckboxSelectMultiple
            from django.contrib.auth import get_user_model

            kwargs["queryset"] = get_user_model().objects.filter(groups__name="Organisation editors")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_edits(request, obj, form.changed_data)


@admin.register(Venue)
class VenueAdmin(OrganisationScopedMixin, HistoryAdmin):
    list_display = ["name", "postcode", "district"]
    list_filter = ["district"]
    list_select_related = ["district"]
    search_fields = ["name", "postcode", "address"]
    readonly_fields = ["district", "lat", "lon"]
    fields = ["name", "address", "postcode", "accessibility", "district", "lat", "lon"]
    organisation_lookup = "service_at_locations__service__organisation"

    def get_queryset(self, request):
        # Any venue can be chosen in a service's venue list (names and postcodes are public); an
        # organisation editor sees and edits only the venues of their own services.
        if getattr(request, "resolver_match", None) and request.resolver_match.url_name == "autocomplete":
            return admin.ModelAdmin.get_queryset(self, request)
        return super().get_queryset(request)

    def has_change_permission(self, request, obj=None):
        # A venue of a published service shows on its public page: an organisation editor
        # proposes such changes through the service, held for approval, never directly.
        if obj is not None and is_organisation_editor(request.user) and obj.service_at_locations.filter(
                service__status=Status.PUBLISHED).exists():
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record_edits(request, obj, form.changed_data)


# --- Services ----------------------------------------------------------------

class KnownChoicesAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that renders its selected venue from objects already loaded.

    The stock widget runs one query per inline row to label the selected
    value; the formset below hands every row the venues it fetched in one query.
    """

    known = None

    def optgroups(self, name, value, attr=None):
        selected = [str(v) for v in value if v not in ("", None)]
        known = self.known or {}
        if selected and all(v in known for v in selected):
            options = [self.create_option(name, v, str(known[v]), True, i) for i, v in enumerate(selected)]
            if not self.is_required and not self.allow_multiple_selected:
                options.insert(0, self.create_option(name, "", "", False, 0))
            return [(None, options, 0)]
        return super().optgroups(name, value, attr)


class ServiceAtLocationFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        known = {str(form.instance.venue_id): form.instance.venue for form in self.initial_forms}
        for form in self.forms:
            widget = form.fields["venue"].widget
            getattr(widget, "widget", widget).known = known


class ServiceAtLocationInline(admin.TabularInline):
    model = ServiceAtLocation
    formset = ServiceAtLocationFormSet
    autocomplete_fields = ["venue"]
    extra = 0
    verbose_name = "venue"
    verbose_name_plural = "Venues (where the service is delivered; add a new venue with the + button)"

    def get_queryset(self, request):
        # Rows are labelled with str(), which reads the service and venue.
        return super().get_queryset(request).select_related("venue", "service")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "venue":
            kwargs["widget"] = KnownChoicesAutocompleteSelect(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReferralRouteFormSet(forms.BaseInlineFormSet):
    """The publishing rule that spans the service and its routes, in plain words."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        service = self.instance
        if service.status != Status.PUBLISHED:
            return
        routes = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        problems = [p for p in service.publishing_problems(len(routes)) if "referral route" in p]
        if problems:
            raise ValidationError(problems)


class ReferralRouteInline(admin.StackedInline):
    model = ReferralRoute
    formset = ReferralRouteFormSet
    formfield_overrides = HTTPS_URLS
    extra = 0

    def get_queryset(self, request):
        # Rows are labelled with str(), which reads the service.
        return super().get_queryset(request).select_related("service")
    verbose_name_plural = "Referral routes (how a family gets into the service; add one per route)"
    fieldsets = [
        (None, {"fields": [("referrer", "is_preferred"), "professions", ("method", "consent_required"), "how_to_refer"]}),
        ("Criteria", {"fields": ["acceptance_criteria", "exclusions", "waiting_time"]}),
        ("Where to send referrals", {"fields": [("url", "contact"), "order"]}),
        # The practitioners' referral page (issue 24) lists these; empty means the service has not said.
        ("What a referral must include", {"fields": ["information_needed", "consent_rules"]}),
    ]


# --- Capacity for parent-infant relationship work (issue 22) ---------------------------------
# IMHSG editors record it; viewers and organisation editors read it. Proposals (moderation.INLINES)
# carry only routes and venues, so an organisation editor's capacity could not be held for
# approval: they see it read-only and send their figures to the IMHSG. The figures feed /needs/
# and the map's gap (mapping/capacity.py); saving them makes the curator the source of the
# service's "capacity" fact.

CAPACITY_WTE_MAX = 100


class AsciiDecimalField(forms.DecimalField):
    """A DecimalField that reads ASCII digits only (Django's reads "٣" as 3; directory/core/numbers.py)."""

    def to_python(self, value):
        if value not in self.empty_values and decimal_number(value) is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class ServiceCapacityForm(forms.ModelForm):
    class Meta:
        model = ServiceCapacity
        fields = ["district", "practitioner_wte", "families_per_year", "as_of", "note"]
        field_classes = {"practitioner_wte": AsciiDecimalField, "families_per_year": WholeNumberField}
        error_messages = {
            "district": {
                "invalid_choice": "Choose one of Birmingham's 10 districts.",
                "required": "Choose the district these figures are for.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        wte = self.fields["practitioner_wte"]
        wte.error_messages.update({
            "invalid": "Enter practitioner time as a number of whole-time equivalents, like 0.8.",
            "max_decimal_places": "Give practitioner time to at most 2 decimal places, like 0.25.",
            "max_digits": "Practitioner time is too long a number: give whole-time equivalents, like 0.8.",
            "max_whole_digits": "Practitioner time is too long a number: give whole-time equivalents, like 0.8.",
        })
        wte.widget.attrs.update({"min": "0", "step": "0.01"})
        families = self.fields["families_per_year"]
        families.error_messages.update({"invalid": "Enter families a year as a whole number, like 52.",
                                        "min_value": "Families a year cannot be less than 0."})

    def clean_practitioner_wte(self):
        value = self.cleaned_data.get("practitioner_wte")
        if value is not None and value < 0:
            raise ValidationError("Practitioner time cannot be less than 0.")
        if value is not None and value > CAPACITY_WTE_MAX:
            raise ValidationError(f"Practitioner time is in whole-time equivalents (1.0 is one full-time practitioner): "
                                  f"{value} in one district is more than {CAPACITY_WTE_MAX}. Check the figure.")
        return value

    def clean_families_per_year(self):
        value = self.cleaned_data.get("families_per_year")
        if value is not None and value < 0:
            raise ValidationError("Families a year cannot be less than 0.")
        return value


class ServiceCapacityFormSet(forms.BaseInlineFormSet):
    """The district list is read once for every row (not once per row), without the boundaries."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._district_choices = None

    def add_fields(self, form, index):
        super().add_fields(form, index)
        field = form.fields.get("district")
        if field is not None:
            # A plain list: no links to add or change a district from here (there are ten, fixed).
            field.widget = getattr(field.widget, "widget", field.widget)
            if self._district_choices is None:
                self._district_choices = [("", "---------"),
                                          *District.objects.order_by("name").values_list("pk", "name")]
            field.choices = self._district_choices

    def get_unique_error_message(self, unique_check):
        return "Give each district once: one row holds a service's figures for one district."


class ServiceCapacityInline(admin.TabularInline):
    model = ServiceCapacity
    form = ServiceCapacityForm
    formset = ServiceCapacityFormSet
    fields = ["district", "practitioner_wte", "families_per_year", "as_of", "note"]
    extra = 0
    verbose_name = "capacity"
    template = "admin/directory/service/capacity_inline.html"
    verbose_name_plural = ("Capacity for parent-infant relationship work, per district (compared with the needs "
                           "assessment's practitioners needed on /needs/)")

    def get_queryset(self, request):
        # Rows are labelled with str(), which reads the service and district (not its boundary).
        return super().get_queryset(request).select_related("service", "district").defer("district__boundary")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "district":
            kwargs["queryset"] = District.objects.only("pk", "name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None):
        # An organisation editor reads their own service's figures (the service admin scopes the
        # service to their organisations); their role has no permission on the table itself.
        return super().has_view_permission(request, obj) or is_organisation_editor(request.user)

    def has_add_permission(self, request, obj=None):
        return can_moderate(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return can_moderate(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Removing a row is an edit of the service, as for routes and venues: IMHSG editors.
        return can_moderate(request.user) and self.has_change_permission(request, obj)


LEVELS_REQUIRED = "Tick at least one level of need."


class ServiceAdminForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "levels" in self.fields:
            self.fields["levels"].error_messages["required"] = LEVELS_REQUIRED

    class Meta:
        model = Service
        formfield_callback = https_formfield
        fields = "__all__"
        widgets = {
            "levels": forms.CheckboxSelectMultiple,
            "delivery_modes": forms.CheckboxSelectMultiple,
            "coverage_districts": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        # The field's own "required" check already said so when nothing was ticked (its message is
        # set to these words in __init__): one message, not two.
        if "levels" in self.fields and not cleaned.get("levels") and "levels" not in self.errors:
            self.add_error("levels", LEVELS_REQUIRED)
        if cleaned.get("coverage_type") == "districts" and not cleaned.get("coverage_districts"):
            self.add_error("coverage_districts", "Tick the districts the service covers, or choose city-wide.")
        # Said beside the field, and also when status is not on the form (an organisation editor's):
        # the database constraint would otherwise only fail on save.
        status = cleaned.get("status", self.instance.status)
        if status == Status.PUBLISHED and "summary" in self.fields and not (cleaned.get("summary") or "").strip():
            self.add_error("summary", "A published service needs a summary.")
        return cleaned


class DistrictFilter(admin.SimpleListFilter):
    """In a district: city-wide, lists it, a locality in it, or a venue there."""

    title = "district"
    parameter_name = "district"

    def lookups(self, request, model_admin):
        return [(d.slug, d.name) for d in District.objects.only("slug", "name").order_by("name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        district = District.objects.filter(slug=self.value()).first()
        return queryset.in_district(district) if district else queryset.none()


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("soon", DUE_SOON_TEXT), ("unscheduled", "No date set")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.filter(overdue_q(today))
        if self.value() == "soon":
            return queryset.filter(due_soon_q(today))
        if self.value() == "unscheduled":
            return queryset.filter(next_review_due__isnull=True)
        return queryset


class ParentDescriptionFilter(admin.SimpleListFilter):
    """Which services parents still see only the practitioners' summary for."""

    title = "description for parents"
    parameter_name = "parent_description"

    def lookups(self, request, model_admin):
        return [("missing", "Not written yet"), ("written", "Written")]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.filter(parent_description="")
        if self.value() == "written":
            return queryset.exclude(parent_description="")
        return queryset


@admin.register(Service)
class ServiceAdmin(ServiceBulkMixin, ModeratedServiceMixin, OrganisationScopedMixin, HistoryAdmin):
    form = ServiceAdminForm
    formfield_overrides = HTTPS_URLS
    inlines = [ReferralRouteInline, ServiceAtLocationInline, ServiceCapacityInline]
    # Organisation is a filter and a search field; as a column it pushed status and review off laptop screens.
    list_display = ["name", "level_list", "focus", "focus_confirmed", "status", "has_parent_description",
                    "next_review_due"]
    list_filter = [
        "status", "levels", "focus", "focus_confirmed", DistrictFilter, ReviewFilter, MissingFilter,
        ParentDescriptionFilter, CheckedFilter, "needs",
        ("organisation", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["organisation"]
    search_fields = ["name", "summary", "organisation__name"]  # as get_search_results reads them
    # "Show counts" counted every choice of every filter over every service: 77 queries, 13 s at
    # 100,000 services. The dashboard has the counts that matter (docs/adr/0027).
    show_facets = admin.ShowFacets.NEVER
    # The owner is chosen from a short list of curators, not an autocomplete: the autocomplete
    # searches the user admin, which only superusers may read, so IMHSG editors got a 403.
    autocomplete_fields = ["organisation", "needs", "interventions", "languages", "locality_district"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created", "modified", "fact_sources"]
    save_on_top = True
    actions = ["mark_reviewed_today", "confirm_all_facts", "archive", "restore"]
    change_form_template = "admin/directory/service/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "slug", "organisation", "status", "summary", "description", "alert"]}),
        ("For parents", {
            "description": (
                "Parents see this instead of the summary, on the parents' pages (/parents/). Plain, warm words; "
                "no levels, focus, team names or abbreviations. 'Professionals only' in Who it is for hides the "
                "service from parents."
            ),
            "fields": ["parent_description"],
        }),
        ("Classification", {
            "description": (
                "Level and focus are different things. The level says which families the service works with; "
                "the focus says how much it works on the relationship between parent and baby. "
                "A specialist service need not be specialised."
            ),
            "fields": ["levels", ("focus", "focus_confirmed")],
        }),
        ("Who it is for", {"fields": [
            "age_range", ("age_from_months", "age_to_months"), "age_words", "eligibility_description",
            ("parent_min_age_years", "parent_max_age_years"), "needs", "audience",
        ]}),
        ("What it offers", {"fields": ["interventions", "delivery_modes", "languages", "cost", "fees_description",
                                       "schedule_description", "commissioned_by"]}),
        ("Where", {"fields": ["coverage_type", "coverage_districts", ("locality", "locality_district")]}),
        ("Contact details", {"fields": ["phone", "email", "url"]}),
        ("Referral", {"fields": ["no_referral_route_reason", "first_step"]}),
        ("Sources of facts", {
            "description": (
                "Where each contact detail, route, criterion, age range and cost came from. The public pages say "
                "'not yet confirmed by the IMHSG' until a curator confirms the fact. Facts you change here are "
                "recorded as yours, confirmed today."
            ),
            "fields": ["fact_sources"],
        }),
        ("Curation (private)", {"fields": ["owner", ("last_reviewed", "next_review_due"), "curator_notes",
                                            ("created", "modified")]}),
    ]

    def get_queryset(self, request):
        # By name within whatever column a curator sorts by: the admin adds this after the chosen
        # column, so a sort reads an index on (column, name) a page at a time (migration 0030)
        # instead of sorting every service by the column and then by id.
        return super().get_queryset(request).prefetch_related("levels").order_by("name")

    def get_search_results(self, request, queryset, search_term):
        """What Django's search of `search_fields` finds (every word in a name, summary or
        organisation's name, any part of it), with the organisations matched first, as ids: so
        each word's condition is on the service's own columns, which the trigram indexes
        answer (migration 0030), rather than a join that reads every service. One query per word."""
        for word in search_words(search_term):
            organisations = list(Organisation.objects.filter(name__icontains=word).values_list("pk", flat=True))
            queryset = queryset.filter(models.Q(name__icontains=word) | models.Q(summary__icontains=word)
                                       | models.Q(organisation__in=organisations))
        return queryset, False

    # Inlines that only IMHSG editors see, in any form: the private check-in contact, which
    # directory/checkins/admin.py adds here (curation may not import checkins). Organisation
    # editors and viewers never get them, so no form, proposal or review page of theirs has them.
    imhsg_only_inlines = []

    def get_inlines(self, request, obj):
        return [*self.inlines, *(self.imhsg_only_inlines if can_moderate(request.user) else [])]

    def has_invite_permission(self, request):
        """Who may use "Send check-in invitations" (the action directory/checkins/admin.py adds)."""
        return can_moderate(request.user) and request.user.has_perm("directory.add_checkininvitation")

    # --- Roles: organisation editors propose; IMHSG editors publish and moderate ---------

    ORGANISATION_EDITOR_READONLY = ["status", "focus_confirmed", "owner", "last_reviewed", "next_review_due"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if is_organisation_editor(request.user):
            fields += self.ORGANISATION_EDITOR_READONLY
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not request.user.has_perm("directory.view_fact"):
            # Its only content is a link to the list of facts, which they may not open.
            fieldsets = [(name, options) for name, options in fieldsets if name != "Sources of facts"]
        return fieldsets

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation" and is_organisation_editor(request.user):
            kwargs["queryset"] = Organisation.objects.filter(pk__in=organisation_ids(request.user))
        if db_field.name == "owner":
            kwargs["queryset"] = curators()
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = curator_label
            field.help_text = ("The curator responsible for keeping this entry true: review reminders go to their "
                               "e-mail. Anyone can change their own e-mail under 'Your details'.")
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_publish_permission(self, request):
        return can_moderate(request.user) and request.user.has_perm("directory.publish_service")

    def get_urls(self):
        from django.urls import path

        return [
            path("<path:object_id>/changes/<int:change_id>/", self.admin_site.admin_view(self.review_change_view),
                 name="directory_service_review_change"),
        ] + super().get_urls()

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "coverage_districts":
            # The boundary GeoJSON is large and a checkbox needs only the name.
            kwargs["queryset"] = District.objects.only("pk", "name")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="for parents", boolean=True, ordering="parent_description")
    def has_parent_description(self, obj):
        return bool(obj.parent_description.strip())

    @admin.display(description="levels of need")
    def level_list(self, obj):
        return name_list(obj.levels.all())

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields (languages, delivery modes) are saved here, so facts are recorded after them.
        super().save_related(request, form, formsets, change)
        if getattr(request, "_held_change", None) is None:
            record_edits(request, form.instance, form.changed_data)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is ServiceCapacity and (formset.new_objects or formset.changed_objects
                                                 or formset.deleted_objects) and can_moderate(request.user):
            # Capacity has one fact per service: whoever saved its figures last vouches for them.
            record_fact(owner=form.instance, field="capacity", kind=SourceKind.CURATOR, user=request.user,
                        confirmed=True)
        if formset.model is ReferralRoute:
            for route_form in formset.forms:
                instance = route_form.instance
                if instance.pk and route_form.has_changed() and route_form not in formset.deleted_forms:
                    record_edits(request, instance, route_form.changed_data)

    def history_view(self, request, object_id, extra_context=None):
        """The service's own versions, then what happened to its routes and venues, in words."""
        obj = self.get_object(request, object_id)
        if obj is not None:
            entries, total = related_changes(obj)
            extra_context = {**(extra_context or {}), "related_changes": entries, "related_total": total}
        return super().history_view(request, object_id, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "owner_contact": self.owner_contact(request, object_id)}
        return super().change_view(request, object_id, form_url, extra_context)

    def owner_contact(self, request, object_id):
        """Where review reminders go, with a link to change it for those who may: the owner
        themselves, or an IMHSG editor (never a link its reader cannot open)."""
        if not (str(object_id).isascii() and str(object_id).isdigit()) or is_organisation_editor(request.user):
            return None
        from django.contrib.auth import get_user_model

        owner = get_user_model().objects.filter(owned_services__pk=object_id).first()  # one query
        if owner is None:
            return None
        if request.user == owner:
            url = reverse("curator-details")
        elif can_moderate(request.user) and (request.user.is_superuser or not owner.is_superuser):
            url = reverse("curator-details-of", args=[owner.pk])
        else:
            url = None
        return {"name": owner.get_full_name() or owner.username, "email": owner.email, "url": url}

    @admin.display(description="sources")
    def fact_sources(self, obj):
        """A count and a link to the facts about this service, to review and confirm. One query."""
        if obj is None or obj.pk is None:
            return "Facts are recorded when the service is saved."
        counts = Fact.objects.filter(pk__in=Fact.objects.about_service(obj).values("pk")).aggregate(
            total=Count("pk"), unconfirmed=Count("pk", filter=models.Q(confirmed_on__isnull=True)))
        total, unconfirmed = counts["total"], counts["unconfirmed"]
        url = reverse("admin:directory_fact_changelist") + f"?about_service={obj.pk}"
        return format_html(
            '{} facts have a recorded source; {} not yet confirmed. <a href="{}">Review and confirm them</a>.',
            total, unconfirmed, url,
        )

    @admin.action(description="Confirm every fact about the selected services", permissions=["publish"])
    def confirm_all_facts(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        facts = Fact.objects.filter(
            models.Q(service__in=ids) | models.Q(route__service__in=ids)
            | models.Q(venue__service_at_locations__service__in=ids)
            | models.Q(organisation__services__in=ids)
        )
        count = moderation.confirm_facts(facts=facts, confirmed_by=request.user)
        self.message_user(request, f"{count} fact{'s' if count != 1 else ''} confirmed.")

    @admin.action(description="Mark as checked today (sets the next review in a year)", permissions=["publish"])
    def mark_reviewed_today(self, request, queryset):
        count = moderation.mark_reviewed(services=queryset, reviewed_by=request.user)
        self.message_user(request, f"{count} service{'s' if count != 1 else ''} marked as checked today.")

    @admin.action(description="Archive (take off every public page; can be restored)", permissions=["publish"])
    def archive(self, request, queryset):
        count = moderation.archive_services(services=queryset, archived_by=request.user)
        self.message_user(request, f"{count} service{'s' if count != 1 else ''} archived. Restore them with "
                                   "the action 'Restore to published'.")

    @admin.action(description="Restore to published", permissions=["publish"])
    def restore(self, request, queryset):
        count, skipped = moderation.restore_services(services=queryset, restored_by=request.user)
        note = f" {skipped} could not be published: open each to see why." if skipped else ""
        self.message_user(request, f"{count} service{'s' if count != 1 else ''} published.{note}")


# --- Sources of facts --------------------------------------------------------------

class AboutServiceFilter(admin.SimpleListFilter):
    """?about_service=<id>: every fact shown on that service's page (its own, routes', venues', organisation's)."""

    title = "service"
    parameter_name = "about_service"

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name, "")
        service = Service.objects.filter(pk=value).only("name").first() if value.isascii() and value.isdigit() else None
        if service:
            return [(str(service.pk), service.name)]
        # A filter with no choices is dropped from the list, and its queryset() never runs: a
        # forged id would then list every fact. One choice keeps it applied (to nothing).
        return [(value, "(no such service)")] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not (value.isascii() and value.isdigit()):
            return queryset.none()
        service = Service.objects.filter(pk=value).first()
        return Fact.objects.about_service(service).filter(pk__in=queryset.values("pk")) if service else queryset.none()


class ConfirmedFilter(admin.SimpleListFilter):
    title = "confirmed"
    parameter_name = "confirmed"

    def lookups(self, request, model_admin):
        return [("no", "Not yet confirmed"), ("yes", "Confirmed")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(confirmed_on__isnull=True)
        if self.value() == "yes":
            return queryset.filter(confirmed_on__isnull=False)
        return queryset


@admin.register(Fact)
class FactAdmin(admin.ModelAdmin):
    """Every fact's source. Confirm one with the tick box on its page, or many with the action."""

    list_display = ["about", "field", "kind", "source_link", "read_on", "confirmed_on"]
    list_filter = [ConfirmedFilter, "kind", "field", AboutServiceFilter]
    list_select_related = ["service", "route__service", "venue", "organisation"]
    search_fields = ["service__name", "route__service__name", "venue__name", "organisation__name", "excerpt", "source_url"]
    readonly_fields = ["about", "field", "confirmed_by", "modified"]
    fields = ["about", "field", "kind", "section", "source_url", "excerpt", "read_on", "note", "confirmed",
              "confirmed_on", "confirmed_by", "modified"]
    actions = ["confirm"]
    formfield_overrides = HTTPS_URLS

    class Form(forms.ModelForm):
        confirmed = forms.BooleanField(required=False, help_text="Tick once the IMHSG has checked this fact with the service.")

        class Meta:
            model = Fact
            formfield_callback = https_formfield
            fields = ["kind", "section", "source_url", "excerpt", "read_on", "note", "confirmed_on"]

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # A viewer's form has neither field: the admin shows every field read-only to them.
            if "confirmed" in self.fields:
                self.fields["confirmed"].initial = bool(self.instance.confirmed_on)
            if "confirmed_on" in self.fields:
                self.fields["confirmed_on"].disabled = True

    form = Form

    def has_add_permission(self, request):
        return False  # facts are recorded by the seed, imports and curators' edits of the records themselves

    @admin.display(description="about")
    def about(self, obj):
        if obj.route_id:
            return f"{obj.route.service.name}: {obj.route.get_referrer_display()}"
        return str(obj.owner)

    @admin.display(description="source page")
    def source_link(self, obj):
        return format_html('<a href="{}" rel="nofollow noopener">{}</a>', obj.source_url, obj.source_url[:60]) \
            if obj.source_url.lower().startswith(("https://", "http://")) else obj.section

    def save_model(self, request, obj, form, change):
        confirmed = form.cleaned_data.get("confirmed")
        if confirmed and not obj.confirmed_on:
            obj.confirmed_on, obj.confirmed_by = timezone.localdate(), request.user
        elif not confirmed:
            obj.confirmed_on, obj.confirmed_by = None, None
        super().save_model(request, obj, form, change)

    # Without `permissions`, Django offers an action to anyone who may view the list: a viewer
    # could confirm facts. Confirming is a change.
    @admin.action(description="Confirm the selected facts", permissions=["change"])
    def confirm(self, request, queryset):
        count = moderation.confirm_facts(facts=queryset, confirmed_by=request.user)
        self.message_user(request, f"{count} fact{'s' if count != 1 else ''} confirmed.")

# --- The parents' view ---------------------------------------------------------

@admin.register(ParentTopic)
class ParentTopicAdmin(admin.ModelAdmin):
    """Topics group services on the parents' pages through needs and ways of delivery."""

    list_display = ["name", "order", "need_list"]
    list_editable = ["order"]
    search_fields = ["name", "intro"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["needs"]
    filter_horizontal = ["delivery_modes"]
    fields = ["name", "slug", "intro", "order", "needs", "delivery_modes"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("needs")

    @admin.display(description="needs")
    def need_list(self, obj):
        return name_list(obj.needs.all())


@admin.register(UrgentHelp)
class UrgentHelpAdmin(admin.ModelAdmin):
    """Lines shown after 999 and NHS 111 in the 'Need help now?' box on every parent page.
    Copy numbers from the service's own published details; never guess one."""

    list_display = ["name", "phone", "url", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["name", "description"]
    formfield_overrides = HTTPS_URLS


admin.site.register(PendingChange, PendingChangeAdmin)


@admin.register(ReferralRoute)
class ReferralRouteAdmin(OrganisationScopedMixin, HistoryAdmin):
    """Routes are edited inside their service; this list is for their history and search."""

    list_display = ["service", "referrer", "method", "is_preferred"]
    list_filter = ["referrer", "method", "is_preferred"]
    show_facets = admin.ShowFacets.NEVER  # counts of every choice over every route (docs/adr/0027)
    list_select_related = ["service"]
    search_fields = ["service__name", "acceptance_criteria", "how_to_refer"]
    formfield_overrides = HTTPS_URLS
    organisation_lookup = "service__organisation"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Changing a route outside its service would skip moderation: only IMHSG editors may.
        return is_imhsg_editor(request.user) and super().has_change_permission(request, obj)
