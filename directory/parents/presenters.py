"""What the parents' pages show for a service, in plain, warm words.

Never reads level, focus, curator notes or the reason a route is missing: those are for
practitioners and curators. Every string is marked for translation. Reads only what
`selectors_parents._parent_cards` prefetches, so a list never costs a query per service.
"""
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import AgeRange, Cost, ReferralMethod, Referrer
from directory.core.presenters import coverage_text, miles_figure
from directory.core.safe_urls import safe_href, tel_href
from directory.core.sources import FactIndex

# Staffing figures in a summary, e.g. "(0.8 WTE clinical psychologist ...)": never for parents.
STAFFING_ASIDE = re.compile(r"\s*\([^()]*\bWTE\b[^()]*\)")

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
    """Who the service is for by the baby's age. 'Not stated' is said, never hidden."""
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
    return _("Every family is offered this. Your midwife or health visitor will tell you about it.")


def who_can_refer(service):
    """For a referral-only service: who can put the family in touch, in plain words."""
    routes = list(service.referral_routes.all())
    professions = [route.professions for route in routes if route.referrer == Referrer.PROFESSIONAL and route.professions]
    if professions:
        return _("Ask them to refer you: %(who)s.") % {"who": "; ".join(professions)}
    if routes:
        return _("Your health visitor, midwife or GP can refer you.")
    return _("Your health visitor, midwife or GP can tell you how to get this help.")


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
        return self.service.organisation.name

    @property
    def description(self):
        """The curator's words for parents; the summary until they are written."""
        return self.service.parent_description.strip() or STAFFING_ASIDE.sub("", self.service.summary)

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
    def venues(self):
        return [
            ", ".join(part for part in (sal.venue.name, sal.venue.address, sal.venue.postcode) if part)
            for sal in self.service.service_at_locations.all() if "staff only" not in sal.note.lower()
        ]

    @property
    def contacts(self):
        """(label, text, href, checked) for each way to get in touch that is recorded. `href` is ""
        when a stored address may not be a link; `checked` is True once the IMHSG confirms it, the
        date the service itself said it is still right (issue 20) until then, else False."""
        service = self.service
        rows = []
        if service.phone:
            rows.append((_("Phone"), service.phone, tel_href(service.phone), self._checked("phone")))
        if service.email:
            rows.append((_("Email"), service.email, safe_href("mailto:" + service.email), self._checked("email")))
        if service.url:
            rows.append((_("Website"), service.url, safe_href(service.url), self._checked("url")))
        return rows

    def _checked(self, field_name):
        fact = self.facts.get(self.service, field_name)
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
    def who_for(self):
        return self.service.eligibility_description

    @property
    def alert(self):
        return self.service.alert
