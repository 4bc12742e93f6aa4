"""What the practitioners' header (templates/includes/navigation.html) shows on every page."""
from django import template

from directory.practitioners.presenters.shortlist import shortlist_link_count

register = template.Library()


@register.simple_tag(takes_context=True)
def shortlist_count(context):
    """{% shortlist_count as n %}: the reader's shortlist size (0 when the page was rendered
    without a request, e.g. an error page). Reads the cookie only, never the database."""
    request = context.get("request")
    return shortlist_link_count(request) if request is not None else 0
