"""What the parents' pages show for a service, in plain, warm words.

Never reads level, focus, curator notes, the practitioners' summary or the reason a route is
missing: those are for practitioners and curators. Never claims what no record says: who can
refer is said only where a route names them, and a missing phone number is said, never
hidden behind "ask your health visitor" (issue 21). Every string is marked for translation.
Reads only what `selectors_parents._parent_cards` prefetches, so a list never costs a query
per service.
"""
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import AgeRange, Cost, ReferralMethod, Referrer
from directory.core.presenters import coverage_text, miles_figure
from directory.core.safe_urls import safe_href, tel_href
from directory.core.sources import FactIndex
from directory.models import SourceKind

# An abbreviation after an organisation's name, e.g. "Forward Thinking Birmingham (BWC)": the
# name says it in words already.
ABBREVIATION_ASIDE = re.compile(r"\s*\((?:[A-Z]{2,}\s*)+\)")

# Icons (templates/parents/includes/icons.html) and words for each way in.
WAYS_IN = {
    "face_to_face": ("person", lambda: _("Face to face")),
    "home_visits": ("home", lambda: _("Home visits")),
    "groups": ("group", lambda: _("Groups")),
    "drop_in": ("door", lambda: _("Drop in")),
    "telephone": ("phone", lambda: _("Phone")),
    "online": ("screen", lambda: _("Online")),
}


@dataclass(frozen=True)
class IconText:
    icon: str
    text: str


def baby_age_text(months):
    """A whole number of months from birth, as a parent says it: 'under 1 month', '1 year 3 months'."""
    if months == 0:
        return _("under 1 month")
    years, rest = divmod(months, 12)
    if not years:
        return ngettext("%(count)d month", "%(count)d months", rest) % {"count": rest}
    year_words = ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    if not rest:
        return year_words
    month_words = ngettext("%(count)d month", "%(count)d months", rest) % {"count": rest}
    return _("%(years)s %(months)s") % {"years": year_words, "months": month_words}


def pregnancy_text(months_pregnant):
    return ngettext("%(count)d month pregnant", "%(count)d months pregnant", months_pregnant) % {
        "count": months_pregnant}


def answer_age_text(age):
    """The parent's answer in words: -3 -> '6 months pregnant', 4 -> '4 months'."""
    if age < 0:
        return pregnancy_text(9 + age)
    return baby_age_text(age)


def parent_age_text(service):
    """Who the service is for by the baby's age. 'Not stated' is said, never hidden. The source's
    own words, where the months cannot say it ("pregnancy to 28 days after birth"), win."""
    if service.age_words.strip():
        words = service.age_words.strip()
        return words[:1].upper() + words[1:]
    if service.age_range == AgeRange.ANY:
        return _("Any age")
    if service.age_range == AgeRange.NOT_STATED:
        return _("Ask them which ages they help")
    start, end = service.age_from_months, service.age_to_months
    if end < 0 or (end == 0 and start < 0):
        return _("While you are pregnant")
    upper = baby_age_text(end + 1)  # 'to' is inclusive: 23 means up to the second birthday
    if start < 0:
        return _("From pregnancy until your baby is %(age)s") % {"age": upper}
    if start == 0:
        return _("From birth until your baby is %(age)s") % {"age": upper}
    return _("For babies from %(start)s to %(end)s") % {"start": baby_age_text(start), "end": upper}


def where_text(service):
    return coverage_text(service, city_wide=_("All of Birmingham"), no_districts=_("Ask them where they work"))


def distance_text(km):
    if km is None:
        return ""
    figure = miles_figure(km)
    return _("About %(miles)s miles from you") % {"miles": figure} if figure else _("Very close to you")


def cost_text(service):
    return {
        Cost.FREE: _("Free"),
        Cost.PAID: _("There is a cost"),
        Cost.VARIES: _("Some things are free, some cost money"),
    }.get(service.cost, "")


def ways_in(service):
    items = []
    for mode in service.delivery_modes.all():
        icon, words = WAYS_IN.get(mode.code, ("dot", None))
        items.append(IconText(icon, words() if words else mode.name))
    return items


def how_to_get_in(service):
    """For a service the family can use directly: how, in a sentence."""
    routes = list(service.referral_routes.all())
    if any(route.method == ReferralMethod.DROP_IN for route in routes):
        return _("You can just go along.")
    if any(route.referrer == Referrer.SELF for route in routes):
        return _("You can contact them yourself.")
    return _("Every family is offered this.")


def who_can_refer(service, *, short=False):
    """For a service the family cannot contact directly: what its routes say, and nothing more.
    Professions are named only where a route records them (issue 21)."""
    routes = list(service.referral_routes.all())
    professions = [route.professions for route in routes if route.referrer == Referrer.PROFESSIONAL and route.professions]
    if professions:
        return _("Who can refer you: %(who)s.") % {"who": "; ".join(professions)}
    if any(route.referrer == Referrer.PROFESSIONAL for route in routes):
        said = _("This service takes referrals from professionals.")
        return said if short else f'{said} {_("If a professional already works with you, you can ask them about it.")}'
    unknown = _("We do not know yet how to get this help.")
    if short or not (service.phone or service.email):
        return unknown
    return f'{unknown} {_("You can contact them to ask.")}'


def route_limits(service):
    """[(label, words)]: who the service's routes say it is for, and not for, as recorded; each
    once (two routes often share their criteria)."""
    rows = []
    for route in service.referral_routes.all():
        for label, words in ((_("Who it is for"), route.acceptance_criteria), (_("Who it is not for"), route.exclusions)):
            if words.strip() and (label, words.strip()) not in rows:
                rows.append((label, words.strip()))
    return rows


def _lower_first(text):
    """'Teenage parents' -> 'teenage parents'; an abbreviation ('LGBTQ+ parents') is kept."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def plain_description(service):
    """For a service with no description for parents yet: who it is for, the ages and how to get
    in, from the structured fields. Never the practitioners' summary (issue 21)."""
    who = service.eligibility_description.strip().rstrip(".;")
    ages = _lower_first(parent_age_text(service))
    first = (_("For %(who)s: %(ages)s.") % {"who": _lower_first(who), "ages": ages} if who else
             _("For families: %(ages)s.") % {"ages": ages})
    how = how_to_get_in(service) if service.is_direct else who_can_refer(service, short=True)
    return f"{first} {how}"


@dataclass(frozen=True)
class UrgentHelpLine:
    """A curator's line in the "Need help now?" box. The hrefs are "" where the stored value may
    not be a link (an address the model's validator would refuse, a number with no digits): the
    template then shows the value as text."""
    name: str
    description: str
    phone: str
    phone_href: str
    url: str
    url_href: str


def urgent_help_lines(lines):
    return [UrgentHelpLine(line.name, line.description, line.phone, tel_href(line.phone), line.url, safe_href(line.url))
            for line in lines]


@dataclass
class ParentCard:
    """One service on a parent page."""

    service: object
    on_list: bool = False
    facts: FactIndex = field(default_factory=FactIndex)  # sources of the contacts (service and saved pages)

    @property
    def id(self):
        return self.service.pk

    @property
    def name(self):
        return self.service.name

    @property
    def organisation(self):
        return ABBREVIATION_ASIDE.sub("", self.service.organisation.name)

    @property
    def description(self):
        """The words written for parents; until they are written, a plain sentence built from the
        structured fields. Never the practitioners' summary."""
        return self.service.parent_description.strip() or plain_description(self.service)

    @property
    def description_source(self):
        """The directory team's note while the description is still theirs and unchecked; ""
        once a curator or the service has changed, confirmed or checked it. Needs `facts`."""
        if not self.service.parent_description.strip():
            return ""
        fact = self.facts.get(self.service, "parent_description")
        if fact is None or fact.kind != SourceKind.DIRECTORY_TEAM or fact.confirmed_on or fact.checked_by_service_on:
            return ""
        return _("Written by the directory team from the needs assessment and public pages; "
                 "not yet checked by the service.")

    @property
    def first_step(self):
        return self.service.first_step

    @property
    def is_direct(self):
        return self.service.is_direct

    @property
    def ages(self):
        return parent_age_text(self.service)

    @property
    def where(self):
        return where_text(self.service)

    @property
    def distance(self):
        return distance_text(getattr(self.service, "distance_km", None))

    @property
    def cost(self):
        return cost_text(self.service)

    @property
    def is_free(self):
        return self.service.cost == Cost.FREE

    @property
    def ways_in(self):
        return ways_in(self.service)

    @property
    def languages(self):
        return [IconText("speech", language.name) for language in self.service.languages.all()]

    @property
    def how_to_get_in(self):
        return how_to_get_in(self.service) if self.service.is_direct else who_can_refer(self.service)

    @property
    def limits(self):
        return route_limits(self.service)

    @property
    def venues(self):
        return [
            ", ".join(part for part in (sal.venue.name, sal.venue.address, sal.venue.postcode) if part)
            for sal in self.service.service_at_locations.all() if "staff only" not in sal.note.lower()
        ]

    @property
    def contacts(self):
        """(label, text, href, checked) for each way to get in touch that is recorded, with the
        organisation's website when the service has none of its own. `href` is "" when a stored
        address may not be a link; `checked` is True once the IMHSG confirms it, the date the
        service itself said it is still right (issue 20) until then, else False."""
        service = self.service
        rows = []
        if service.phone:
            rows.append((_("Phone"), service.phone, tel_href(service.phone), self._checked(service, "phone")))
        if service.email:
            rows.append((_("Email"), service.email, safe_href("mailto:" + service.email), self._checked(service, "email")))
        if service.url:
            rows.append((_("Website"), service.url, safe_href(service.url), self._checked(service, "url")))
        elif service.organisation.url:
            rows.append((_("Website of %(organisation)s") % {"organisation": self.organisation}, service.organisation.url,
                         safe_href(service.organisation.url), self._checked(service.organisation, "url")))
        return rows

    @property
    def next_steps(self):
        """What a parent can do when no phone number or email is recorded: what we know (a
        website) and a way that is never a circle (a GP practice is never the service itself)."""
        service = self.service
        if service.phone or service.email:
            return []
        steps = [_("We do not have a phone number or email for this service yet.")]
        if service.url:
            steps.append(_("Their website may tell you more."))
        elif service.organisation.url:
            steps.append(_("The website of %(organisation)s may tell you more.") % {"organisation": self.organisation})
        steps.append(_("You can also ask at your GP practice.") if len(steps) > 1 else _("You can ask at your GP practice."))
        return steps

    def _checked(self, owner, field_name):
        fact = self.facts.get(owner, field_name)
        if fact is None:
            return False
        return True if fact.is_confirmed else (fact.checked_by_service_on or False)

    @property
    def when(self):
        return self.service.schedule_description

    @property
    def cost_details(self):
        return self.service.fees_description

    @property
    def alert(self):
        return self.service.alert
