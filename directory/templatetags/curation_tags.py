"""What the admin's own templates ask about the reader's role (directory/curation/roles.py)."""
from django import template

from directory.curation import roles as curation

register = template.Library()


@register.filter
def can_open_dashboard(user):
    """{% if request.user|can_open_dashboard %}: link to the curation dashboard only for those
    it opens for, never to a 403."""
    return curation.can_open_dashboard(user)


@register.filter
def can_see_searches(user):
    """{% if request.user|can_see_searches %}: link to what people searched for only for those who
    may read it (directory/curation/searches.py)."""
    from directory.curation.searches import can_see_searches as rule

    return rule(user)


@register.filter
def can_see_self_audits(user):
    """{% if request.user|can_see_self_audits %}: link to the self-audit report only for those
    it opens for (directory/checkins/report.py)."""
    from directory.checkins.report import can_see_self_audits as rule

    return rule(user)
