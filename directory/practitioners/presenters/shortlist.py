"""What the printed shortlist (the handout for a family) shows for each service."""
from dataclasses import dataclass, field

from directory.core.presenters import ServiceCard
from directory.core.shortlist import shortlist_read
from directory.practitioners.presenters.service import RouteView, contact_rows
from directory.core.sources import FactIndex


@dataclass
class HandoutItem(ServiceCard):
    """One service on the printed shortlist: what it offers, how to refer, contacts.
    Reads only what the card prefetches (referral routes included), and sources from `facts`."""

    facts: FactIndex = field(default_factory=FactIndex)

    @property
    def routes(self):
        return [RouteView(route, self.facts) for route in self.service.referral_routes.all()]

    @property
    def contacts(self):
        return contact_rows(self.service, self.facts)

    @property
    def age_source(self):
        return self.facts.note(self.service, "age_range")


def shortlist_link_count(request):
    """How many services the person's shortlist holds, for the link in the practitioners'
    header on every page. No query: the cookie's ids as they are, as the search page has always
    counted them (a service that has since left the directory still counts until the person
    opens the shortlist, which says it is no longer there)."""
    return len(shortlist_read(request))
