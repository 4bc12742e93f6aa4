"""The curation dashboard (/admin/curation/): what needs the IMHSG's attention, each count a link
to the filtered list."""
from dataclasses import dataclass
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from directory.curation.review import DUE_SOON_DAYS, due_soon_q, overdue_q
from directory.curation.roles import can_open_dashboard
from directory.models import ChangeStatus, Fact, Focus, PendingChange, ReferralRoute, Service, Status


@dataclass(frozen=True)
class DashboardCount:
    label: str
    count: int
    url: str


def missing_q(what):
    """What a service still lacks, as a condition: the dashboard counts it, MissingFilter lists it."""
    routes = ReferralRoute.objects.filter(service=OuterRef("pk"))
    return {
        "route": ~Exists(routes),
        "criteria": ~Exists(routes.exclude(acceptance_criteria="")),
        "contact": Q(phone="", email="", url=""),
        "parent_description": Q(status=Status.PUBLISHED, parent_description=""),
    }[what]


def dashboard_counts(today=None):
    """Every count on the dashboard, in 4 queries (services, facts, proposals, suggestions)."""
    today = today or timezone.localdate()
    live = Service.objects.exclude(status=Status.ARCHIVED)
    services = live.aggregate(
        overdue=Count("pk", filter=overdue_q(today)),
        soon=Count("pk", filter=due_soon_q(today)),
        no_route=Count("pk", filter=missing_q("route")),
        no_criteria=Count("pk", filter=missing_q("criteria")),
        no_contact=Count("pk", filter=missing_q("contact")),
        no_parent_text=Count("pk", filter=missing_q("parent_description")),
        focus_unconfirmed=Count("pk", filter=Q(focus_confirmed=False)),
        drafts=Count("pk", filter=Q(status=Status.DRAFT)),
    )
    facts = Fact.objects.aggregate(unconfirmed=Count("pk", filter=Q(confirmed_on__isnull=True)))
    pending = PendingChange.objects.filter(status=ChangeStatus.PENDING).count()
    from directory.models import Suggestion, SuggestionStatus

    suggestions = Suggestion.objects.filter(status=SuggestionStatus.NEW).count()
    services_url = reverse("admin:directory_service_changelist")
    return [
        DashboardCount("Overdue for review", services["overdue"], f"{services_url}?review=overdue"),
        DashboardCount(f"Due for review in the next {DUE_SOON_DAYS} days", services["soon"], f"{services_url}?review=soon"),
        DashboardCount("Proposed changes waiting for approval", pending,
               reverse("admin:directory_pendingchange_changelist") + "?status__exact=pending"),
        DashboardCount("New suggestions from the public", suggestions,
               reverse("admin:directory_suggestion_changelist") + "?status__exact=new"),
        DashboardCount("Missing a referral route", services["no_route"], f"{services_url}?missing=route"),
        DashboardCount("Missing acceptance criteria", services["no_criteria"], f"{services_url}?missing=criteria"),
        DashboardCount("Missing contact details", services["no_contact"], f"{services_url}?missing=contact"),
        DashboardCount("Published without a description for parents", services["no_parent_text"],
               f"{services_url}?missing=parent_description"),
        DashboardCount("Focus not yet confirmed", services["focus_unconfirmed"], f"{services_url}?focus_confirmed__exact=0"),
        DashboardCount("Facts not yet confirmed", facts["unconfirmed"],
               reverse("admin:directory_fact_changelist") + "?confirmed=no"),
        DashboardCount("Drafts", services["drafts"], f"{services_url}?status__exact=draft"),
    ]


class MissingFilter(admin.SimpleListFilter):
    """What a service still lacks: the dashboard's counts link here."""

    title = "missing"
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [("route", "Referral route"), ("criteria", "Acceptance criteria"), ("contact", "Contact details"),
                ("parent_description", "Description for parents")]

    def queryset(self, request, queryset):
        if self.value() in dict(self.lookup_choices):
            return queryset.filter(missing_q(self.value()))
        return queryset


def dashboard_view(request):
    """/admin/curation/: for IMHSG editors and viewers (anyone who may view services, bar
    organisation editors, whose reach is their own services)."""
    if not can_open_dashboard(request.user):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Curation dashboard",
        "counts": dashboard_counts(),
        "focus_labels": dict(Focus.choices),
    }
    return TemplateResponse(request, "admin/directory/dashboard.html", context)
