"""The referral page and its "prepared" ping (issue 24). Thin: selectors read, presenters format.

Nothing a practitioner types about a family reaches these views: the page has no form that
submits, its boxes have no names, and the summary is made by static/js/referral-summary.js in
the browser. Responses are `Cache-Control: no-store`, so no cache keeps the page either."""
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_POST, require_safe

from directory.models import ReferralRoute, Referrer, Status
from directory.practitioners.presenters.search import SearchCard, search_query
from directory.practitioners.presenters.service import RouteView
from directory.referrals import prepared as counting
from directory.referrals.presenters import (
    CONSENT_REMINDER, REFERRER_ITEM, InformationItem, SendingView, consent_text, criteria_for, information_for,
)
from directory.referrals.selectors import route_get_for_referral, service_list_similar
from directory.search.selectors import service_stepped_care

# A route id the database could hold (PostgreSQL's integer): anything larger is no route.
LARGEST_ID = 2**31 - 1


def _no_store(response):
    patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
    return response


@require_safe
def refer(request, slug, route_id):
    """Check the criteria and prepare a referral by one professional route. 17 queries whatever the
    number of similar services (tests/directory/referrals pins them)."""
    service, route = route_get_for_referral(slug=slug, route_id=route_id)
    if service is None:  # drafts, archived or unknown services, and routes that are not theirs
        raise Http404("No professional referral route of a published service at this address.")
    query = search_query(request.GET)
    similar = service_list_similar(service=service)
    up, down = service_stepped_care(service=service)
    items, own_list = information_for(route)
    sending = SendingView(route)
    service_url = service.get_absolute_url() + (f"?{query}" if query else "")
    context = {
        "service": service,
        "route": route,
        "route_view": RouteView(route),
        "back_url": service_url,
        "criteria": criteria_for(service=service, route=route, similar=similar, query=query),
        "criteria_recorded": bool(route.acceptance_criteria.strip()),
        "items": items,
        "own_list": own_list,
        "referrer_item": InformationItem(*REFERRER_ITEM),
        "sending": sending,
        "mailto_base": sending.mailto_base(service.name),
        "consent": consent_text(route),
        "consent_reminder": CONSENT_REMINDER,
        "steps_up": [SearchCard(s, query=query) for s in up],
        "steps_down": [SearchCard(s, query=query) for s in down],
        "similar": [SearchCard(s, query=query) for s in similar][:10],
        "ping_url": reverse("referrals:prepared", kwargs={"route_id": route.pk}),
        "view_token": counting.view_token(route.pk),
        "csrf": get_token(request),
        "today": timezone.localdate(),
    }
    return _no_store(render(request, "referrals/refer.html", context))


@require_POST
def prepared(request, route_id):
    """A referral summary was made on a page view of this route: count it for the service this
    month. The body must be empty; the route id is in the address, the page view's token in the
    X-Referral-View header, and Django's CSRF check applies as to any POST."""
    if request.body:
        return _no_store(HttpResponse("Send nothing but the ping.", status=400, content_type="text/plain"))
    service_id = None
    if route_id <= LARGEST_ID:
        service_id = (ReferralRoute.objects
                      .filter(pk=route_id, referrer=Referrer.PROFESSIONAL, service__status=Status.PUBLISHED)
                      .values_list("service_id", flat=True).first())
    if service_id is None:
        raise Http404("No professional referral route of a published service.")
    outcome = counting.prepared_count(request=request, service_id=service_id, route_id=route_id,
                                      token=request.headers.get("X-Referral-View", ""))
    status = {counting.COUNTED: 204, counting.ALREADY_COUNTED: 204, counting.RATE_LIMITED: 429,
              counting.BAD_TOKEN: 400}[outcome]
    return _no_store(HttpResponse(status=status))
