"""What the service page shows: referral routes first, then the offer, who it is for,
venues and contacts, each fact with its source (directory/core/sources.py)."""
from dataclasses import dataclass, field

from django.urls import reverse

from directory.models import Consent, ReferralMethod, Referrer
from directory.core.presenters import (
    FIRST_STEP_SOURCE, Row, ServiceCard, _rows, _sentences, _sourced, cost_text, last_checked_text, names_text,
)
from directory.core.safe_urls import safe_href
from directory.core.sources import FactIndex

ROUTE_ROW_FACTS = {"How": "how_to_refer", "Who is accepted": "acceptance_criteria", "Not accepted": "exclusions",
                   "Typical wait": "waiting_time", "Referral contact": "contact", "Referral link": "url"}


@dataclass
class RouteView:
    """One referral route in plain words."""

    route: object
    facts: FactIndex = field(default_factory=FactIndex)

    @property
    def source(self):
        """Where 'who can refer' (the route itself) came from."""
        return self.facts.note(self.route, "referrer")

    @property
    def title(self):
        route = self.route
        if route.referrer == Referrer.SELF:
            return "The family can contact the service themselves"
        if route.referrer == Referrer.AUTOMATIC:
            return "Offered to every family"
        return f"Referral by a professional ({route.professions})" if route.professions else "Referral by a professional"

    @property
    def preferred(self):
        """The tag for a route the service itself prefers (ReferralRoute.is_preferred), or ''.
        Not the needs assessment's "preferred referral route": that is Service.first_step."""
        return "The service's preferred route" if self.route.is_preferred else ""

    @property
    def rows(self):
        route = self.route
        method = ReferralMethod(route.method).label if route.method else ""
        consent = Consent(route.consent_required).label if route.consent_required else ""
        return _sourced(_rows(
            ("How", _sentences(method, route.how_to_refer)),
            ("Who is accepted", route.acceptance_criteria),
            ("Not accepted", route.exclusions),
            ("Typical wait", route.waiting_time),
            ("Family's consent needed", consent),
            ("Referral contact", route.contact),
            ("Referral link", route.url, route.url),
        ), route, self.facts, ROUTE_ROW_FACTS)

    @property
    def refer_url(self):
        """The referral page (directory/referrals/, issue 24) of a professional route, else ''."""
        if self.route.referrer != Referrer.PROFESSIONAL:
            return ""
        return reverse("referrals:refer", kwargs={"slug": self.route.service.slug, "route_id": self.route.pk})

    @property
    def recorded(self):
        """False when only 'who can refer' is known: the page then says the details are coming."""
        return bool(self.rows)


def contact_rows(service, facts):
    """Phone, email and website, each with its source. Without a website of its own, the
    organisation's is shown (named as such)."""
    rows = _sourced(_rows(
        ("Phone", service.phone, f"tel:{service.phone.replace(' ', '')}" if service.phone else ""),
        ("Email", service.email, f"mailto:{service.email}" if service.email else ""),
        ("Website", service.url, service.url),
    ), service, facts, {"Phone": "phone", "Email": "email", "Website": "url"})
    organisation = service.organisation
    if not service.url and organisation.url:
        rows.append(Row(f"Website ({organisation.name})", organisation.url, safe_href(organisation.url),
                        facts.note(organisation, "url")))
    return rows


SERVICE_ROW_FACTS = {
    "Approaches used": "interventions", "How it is delivered": "delivery_modes", "Opening times": "schedule",
    "Baby's age": "age_range", "Parents and carers": "eligibility", "Area": "coverage", "Languages": "languages",
    "Cost": "cost",
}


@dataclass
class ServicePage(ServiceCard):
    """Everything the service page shows. Reads only what `service_get_published` prefetches,
    and the sources of its facts from `facts` (FactIndex.for_services, one query)."""

    facts: FactIndex = field(default_factory=FactIndex)

    @property
    def summary_source(self):
        return self.facts.note(self.service, "summary") if self.facts.get(self.service, "summary") else None

    @property
    def quotes(self):
        """The source words behind the page's facts [(where, words)]; for a first step into other
        support, the needs assessment's sentence that makes it one comes first (first_step is
        not a fact with a source of its own: its words are FIRST_STEP_SOURCE)."""
        quotes = self.facts.quotes(self.service)
        if self.service.first_step:
            quotes = [FIRST_STEP_SOURCE] + [quote for quote in quotes if quote[1] != FIRST_STEP_SOURCE[1]]
        return quotes

    @property
    def routes(self):
        return [RouteView(route, self.facts) for route in self.service.referral_routes.all()]

    @property
    def no_route_reason(self):
        return self.service.no_referral_route_reason

    @property
    def contacts(self):
        return contact_rows(self.service, self.facts)

    @property
    def offer_rows(self):
        service = self.service
        return _sourced(_rows(
            ("Needs it helps with", names_text(service.needs.all(), "")),
            ("Approaches used", names_text(service.interventions.all(), "")),
            ("How it is delivered", names_text(service.delivery_modes.all())),
            ("Opening times", service.schedule_description),
        ), service, self.facts, SERVICE_ROW_FACTS)

    @property
    def who_rows(self):
        service = self.service
        return _sourced(_rows(
            ("Baby's age", self.ages),
            ("Parents and carers", service.eligibility_description),
            ("Area", self.coverage),
            ("Languages", names_text(service.languages.all())),
            ("Cost", cost_text(service)),
        ), service, self.facts, SERVICE_ROW_FACTS)

    @property
    def venues(self):
        return [
            Row(sal.venue.name, ", ".join(p for p in (sal.venue.address, sal.venue.postcode) if p), sal.note,
                self.facts.note(sal.venue, "address"))
            for sal in self.service.service_at_locations.all()
        ]

    @property
    def map_features(self):
        """GeoJSON for the small map: the venues that have a position, and the outlines of
        their districts so the points have a place around them (there may be no tiles)."""
        placed = [sal.venue for sal in self.service.service_at_locations.all() if sal.venue.lat is not None]
        districts = {venue.district.pk: venue.district for venue in placed if venue.district_id}
        points = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [venue.lon, venue.lat]},
                "properties": {"kind": "venue", "name": venue.name},
            }
            for venue in placed
        ]
        outlines = [
            {"type": "Feature", "geometry": district.boundary, "properties": {"kind": "district", "name": district.name}}
            for district in districts.values()
        ]
        return {"type": "FeatureCollection", "features": outlines + points} if points else {"features": []}

    @property
    def last_checked(self):
        return last_checked_text(self.service)

    @property
    def alert(self):
        return self.service.alert

