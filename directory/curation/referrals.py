"""Referral preparation on the curation dashboard (issue 24): which professional routes lack the
acceptance criteria or the list of what to include that the referral page needs, and how many
referral summaries practitioners prepared for each service (counts only)."""
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from directory.models import ReferralMethod, ReferralPrepared, ReferralRoute, Referrer, Status, month_start, months_before

ROUTES_LISTED = 50
PREPARED_CAVEATS = (
    "A count is made when a practitioner makes a summary on a service's referral page, once per page view. "
    "It is not a referral: the practitioner may not send it, or may send it another way, and referrals made "
    "without the directory are not counted. Nothing about the family or the practitioner is kept."
)


def lacking_q():
    return Q(acceptance_criteria="") | Q(information_needed="")


@dataclass(frozen=True)
class RouteGap:
    service: str
    url: str
    route: str
    lacks: str


def route_gaps(limit=ROUTES_LISTED):
    """(gaps, total): professional routes of services that are not archived that lack acceptance
    criteria or a list of what to include, by service name, at most `limit` of them. 2 queries."""
    routes = (ReferralRoute.objects.filter(referrer=Referrer.PROFESSIONAL).exclude(service__status=Status.ARCHIVED)
              .filter(lacking_q()))
    total = routes.count()
    gaps = []
    for route in routes.select_related("service").order_by("service__name", "order", "pk")[:limit]:
        lacks = [words for words, missing in (("acceptance criteria", not route.acceptance_criteria),
                                               ("what to include", not route.information_needed)) if missing]
        who = f"Professional referral ({route.professions})" if route.professions else "Professional referral"
        if route.method:  # two routes of one service differ by how, if not by who
            who += f", {ReferralMethod(route.method).label.lower()}"
        gaps.append(RouteGap(route.service.name, reverse("admin:directory_service_change", args=[route.service_id]),
                             who, " and ".join(lacks)))
    return gaps, total


@dataclass(frozen=True)
class PreparedRow:
    service: str
    this_month: int
    last_month: int
    last_12_months: int


def prepared_rows(today=None):
    """Summaries prepared per service: this month so far, last month, and the 12 complete months
    before this one; services with any in that time, most first. 1 query."""
    this_month = month_start(today or timezone.localdate())
    last_month, since = months_before(this_month, 1), months_before(this_month, 12)
    rows = (ReferralPrepared.objects.filter(month__gte=since).values("service_id", "service__name")
            .annotate(now=Sum("count", filter=Q(month=this_month)), last=Sum("count", filter=Q(month=last_month)),
                      year=Sum("count", filter=Q(month__lt=this_month)))
            .order_by("service__name"))
    result = [PreparedRow(row["service__name"], row["now"] or 0, row["last"] or 0, row["year"] or 0) for row in rows]
    return sorted(result, key=lambda row: (-(row.this_month + row.last_12_months), row.service))
