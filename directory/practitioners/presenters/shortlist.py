"""What the printed shortlist (the handout for a family) shows for each service."""
from dataclasses import dataclass, field

from directory.core.presenters import ServiceCard
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
