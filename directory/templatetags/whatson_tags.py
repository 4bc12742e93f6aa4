"""What's on inside other capabilities' pages (issue 23): a service's sessions and its calendar
link on the practitioners' and parents' service pages, and the knowledge-sharing events it
presented at. Template tags (wiring), so neither page's package imports what's on."""
from django import template
from django.urls import reverse

from directory.whatson import selectors
from directory.whatson.presenters import session_items

register = template.Library()


@register.inclusion_tag("whatson/includes/service_sessions.html")
def service_sessions(service, parents=False):
    """The service's public sessions with their next dates: 3 queries (none shown if it has none)."""
    return {
        "items": session_items(selectors.service_sessions(service=service)),
        "calendar_url": reverse("whatson:service-ics", kwargs={"slug": service.slug}),
        "parents": parents,
    }


@register.inclusion_tag("whatson/includes/service_events.html")
def service_events(service):
    """Published knowledge-sharing events the service presented at: 1 query."""
    return {"events": selectors.service_events(service=service)}


@register.simple_tag
def sessions_this_week(cards):
    """{service id: dates in the next 7 days} for a page of search cards: 1 query (3 when any
    of them has sessions)."""
    return selectors.sessions_this_week(service_ids=[card.id for card in cards])


@register.filter
def sessions_for(counts, service_id):
    return counts.get(service_id, 0)
