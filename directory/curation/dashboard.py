"""The curation dashboard (/admin/curation/): what needs the IMHSG's attention, each count a link
to the filtered list."""
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from directory.curation.review import DUE_SOON_DAYS, due_soon_q, overdue_q
from directory.curation.roles import can_open_dashboard, is_organisation_editor
from directory.curation import referrals, searches
from directory.models import (
    ChangeStatus, CheckInContact, CheckInInvitation, Fact, Focus, PendingChange, ReferralRoute, Referrer, SelfAudit,
    Service, Status,
)


@dataclass(frozen=True)
class DashboardCount:
    label: str
    count: int
    url: str
    of: int = None  # "N of M" when set
    help: str = ""


CHECKED_HELP = (
    "Published services that, in the last 12 months, the IMHSG marked as checked ('Mark as checked today', "
    "the last-checked date) or that answered a check-in (an invitation answered or a self-audit submitted). "
    "Twelve months means on or after the same date last year. Drafts and archived services are not counted."
)


def one_year_before(today):
    """The same date a year earlier; 29 February goes to 28 February."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


def checked_within_a_year_q(today):
    """A published service "checked by the service or the IMHSG within 12 months" on `today`:
    on or after one_year_before(today) (so exactly 12 months ago counts, a day more does not),
    either
    - the IMHSG marked it as checked (`last_reviewed`, set by "Mark as checked today"), or
    - the service answered a check-in: one of its invitations has `answered_at`, or a
      self-audit of it was submitted (`submitted_at`), on or after the start of that day
      (local time).
    Confirming single facts does not count: it is not a check of the whole entry."""
    since = one_year_before(today)
    start = timezone.make_aware(datetime.combine(since, time.min))
    # "In" a list of ids rather than EXISTS per service: PostgreSQL reads each list once (a hashed
    # subplan) where it probed it once per service inside the dashboard's aggregate.
    answered = CheckInInvitation.objects.filter(answered_at__gte=start).values("service_id")
    audited = SelfAudit.objects.filter(submitted_at__gte=start).values("service_id")
    return Q(status=Status.PUBLISHED) & (Q(last_reviewed__gte=since) | Q(pk__in=answered) | Q(pk__in=audited))


def missing_q(what):
    """What a service still lacks, as a condition: the dashboard counts it, MissingFilter lists it."""
    routes = ReferralRoute.objects.filter(service=OuterRef("pk"))
    return {
        "route": ~Exists(routes),
        "criteria": ~Exists(routes.exclude(acceptance_criteria="")),
        # The referral page (issue 24) needs both on every professional route.
        "route_criteria": Exists(routes.filter(referrer=Referrer.PROFESSIONAL, acceptance_criteria="")),
        "route_information": Exists(routes.filter(referrer=Referrer.PROFESSIONAL, information_needed="")),
        "contact": Q(phone="", email="", url=""),
        "parent_description": Q(status=Status.PUBLISHED, parent_description=""),
        # The private contact the IMHSG asks to check the entry (issue 20).
        "checkin_contact": ~Exists(CheckInContact.objects.filter(service=OuterRef("pk"))),
    }[what]


def dashboard_counts(today=None):
    """Every count on the dashboard, in 6 queries (services, their routes, their check-in contacts,
    facts, proposals, suggestions), each one pass over its table whatever the number of services.

    "Missing a route" and the like were NOT EXISTS conditions inside the services' aggregate:
    PostgreSQL probed the routes once per service for each of them (4.5 s at 100,000 services).
    Here the routes are counted by service in one pass, and a service without any is the
    difference: the same services `missing_q` lists (docs/adr/0027)."""
    today = today or timezone.localdate()
    live = Service.objects.exclude(status=Status.ARCHIVED)
    services = live.aggregate(
        live=Count("pk"),
        overdue=Count("pk", filter=overdue_q(today)),
        soon=Count("pk", filter=due_soon_q(today)),
        no_contact=Count("pk", filter=missing_q("contact")),
        no_parent_text=Count("pk", filter=missing_q("parent_description")),
        focus_unconfirmed=Count("pk", filter=Q(focus_confirmed=False)),
        drafts=Count("pk", filter=Q(status=Status.DRAFT)),
        published=Count("pk", filter=Q(status=Status.PUBLISHED)),
        checked=Count("pk", filter=checked_within_a_year_q(today)),
    )
    # One row per service that has routes (a hashed grouping), then counted: cheaper than four
    # COUNT(DISTINCT ...), each of which sorts every route.
    professional = Q(referrer=Referrer.PROFESSIONAL)
    per_service = ReferralRoute.objects.exclude(service__status=Status.ARCHIVED).values("service_id").annotate(
        criteria=Count("pk", filter=~Q(acceptance_criteria="")),
        professional_no_criteria=Count("pk", filter=professional & Q(acceptance_criteria="")),
        professional_no_information=Count("pk", filter=professional & Q(information_needed="")),
    )
    routes = per_service.aggregate(
        with_route=Count("service_id"),
        with_criteria=Count("service_id", filter=Q(criteria__gt=0)),
        no_route_criteria=Count("service_id", filter=Q(professional_no_criteria__gt=0)),
        no_route_information=Count("service_id", filter=Q(professional_no_information__gt=0)),
    )
    contacts = CheckInContact.objects.exclude(service__status=Status.ARCHIVED).count()  # one per service at most
    services.update(
        no_route=services["live"] - routes["with_route"],
        no_criteria=services["live"] - routes["with_criteria"],
        no_route_criteria=routes["no_route_criteria"],
        no_route_information=routes["no_route_information"],
        no_checkin_contact=services["live"] - contacts,
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
        DashboardCount("Missing acceptance criteria on a professional referral route", services["no_route_criteria"],
                       f"{services_url}?missing=route_criteria"),
        DashboardCount("Missing what to include on a professional referral route",
                       services["no_route_information"], f"{services_url}?missing=route_information"),
        DashboardCount("Missing contact details", services["no_contact"], f"{services_url}?missing=contact"),
        DashboardCount("Published without a description for parents", services["no_parent_text"],
               f"{services_url}?missing=parent_description"),
        DashboardCount("Focus not yet confirmed", services["focus_unconfirmed"], f"{services_url}?focus_confirmed__exact=0"),
        DashboardCount("Facts not yet confirmed", facts["unconfirmed"],
               reverse("admin:directory_fact_changelist") + "?confirmed=no"),
        DashboardCount("Drafts", services["drafts"], f"{services_url}?status__exact=draft"),
        DashboardCount("Services without a check-in contact", services["no_checkin_contact"],
                       f"{services_url}?missing=checkin_contact"),
        DashboardCount("Checked by the service or the IMHSG within 12 months", services["checked"],
                       f"{services_url}?checked=yes", of=services["published"], help=CHECKED_HELP),
    ]


class MissingFilter(admin.SimpleListFilter):
    """What a service still lacks: the dashboard's counts link here."""

    title = "missing"
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        choices = [("route", "Referral route"), ("criteria", "Acceptance criteria"),
                   ("route_criteria", "A professional route's acceptance criteria"),
                   ("route_information", "A professional route's list of what to include"), ("contact", "Contact details"),
                   ("parent_description", "Description for parents")]
        # Whether a service has a check-in contact is the IMHSG's business, not its organisation editors'.
        if not is_organisation_editor(request.user):
            choices.append(("checkin_contact", "Check-in contact"))
        return choices

    def queryset(self, request, queryset):
        if self.value() in dict(self.lookup_choices):
            return queryset.filter(missing_q(self.value()))
        return queryset


class CheckedFilter(admin.SimpleListFilter):
    """Published services checked by the service or the IMHSG within 12 months, or not
    (`checked_within_a_year_q`): the dashboard's "N of M" links here."""

    title = "checked within 12 months"
    parameter_name = "checked"

    def lookups(self, request, model_admin):
        return [("yes", "Checked within 12 months"), ("no", "Published, not checked within 12 months")]

    def queryset(self, request, queryset):
        checked = checked_within_a_year_q(timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(checked)
        if self.value() == "no":
            return queryset.filter(status=Status.PUBLISHED).exclude(checked)
        return queryset


def dashboard_view(request):
    """/admin/curation/: for IMHSG editors and viewers (anyone who may view services, bar
    organisation editors, whose reach is their own services). "What people searched for" is
    shown to those who may read it (searches.can_see_searches), over the last 30 days or, with
    ?days=90, 90."""
    if not can_open_dashboard(request.user):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Curation dashboard",
        "counts": dashboard_counts(),
        "focus_labels": dict(Focus.choices),
        "route_gaps": referrals.route_gaps(),
        "prepared": referrals.prepared_rows(),
        "prepared_caveats": referrals.PREPARED_CAVEATS,
        "searches": (searches.dashboard_panel(days=searches.dashboard_days(request.GET.get("days")))
                     if searches.can_see_searches(request.user) else None),
    }
    return TemplateResponse(request, "admin/directory/dashboard.html", context)
