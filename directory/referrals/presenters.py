"""What the referral page shows (issue 24): the route's acceptance criteria as a checklist, what
the service asks a referral to include, how to send it, and consent. Every service fact comes
from its record; where the record is silent the page says so, and general guidance is labelled
as general guidance, never as the service's own."""
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.http import urlencode

from directory.core.presenters import age_range_text, coverage_text, names_text
from directory.core.safe_urls import safe_href, tel_href
from directory.models import AgeRange, Consent, CoverageType, ReferralMethod
from directory.practitioners.presenters.search import SearchCard

ALTERNATIVES_SHOWN = 5

# What any referral usually includes: shown only when the service has not said, and labelled
# as general guidance. (id, label, hint, long answer)
GENERAL_ITEMS = [
    ("names", "Names of the parent or carer and the baby", "", False),
    ("dates", "Dates of birth, or the baby's due date", "", False),
    ("address", "Address and postcode", "", True),
    ("gp", "GP (name and practice)", "", False),
    ("reason", "Reason for the referral", "What the family needs help with, and why now.", True),
]
REFERRER_ITEM = ("referrer", "Your name, role and how to contact you", "So the service can reply to you.", True)

# Plain words for the practitioner to say to the family before sharing anything (general guidance).
CONSENT_REMINDER = [
    "what the service is and why you think it could help them and their baby;",
    "what you will tell the service about them, and that only what the service needs is shared;",
    "that they can say no, and that saying no will not change the care they get from you;",
    "how long they may wait, and what happens next.",
]


@dataclass
class Criterion:
    """One line of the checklist. `kind` says where it comes from: "structured" (the service's
    recorded ages, area or parents' ages) or "text" (the route's own words)."""

    id: str
    label: str
    kind: str
    why: str
    alternatives: list = field(default_factory=list)  # SearchCards of similar services that accept
    alternatives_title: str = ""
    source: str = ""

    @property
    def structured(self):
        return self.kind == "structured"


def _sentences(text):
    """A criteria text as checklist lines: its lines, or its sentences when it is one line."""
    lines = [line.strip(" -\u2022\t") for line in text.splitlines() if line.strip(" -\u2022\t")]
    if len(lines) == 1:
        lines = [part.strip() for part in re.split(r"(?<=[.;])\s+(?=[A-Z])", lines[0]) if part.strip()]
    return lines


def _accepts_other_ages(service, other):
    if other.age_range == AgeRange.ANY:
        return True
    if other.age_range != AgeRange.RANGE:
        return False  # not recorded: the directory cannot say it accepts them
    return other.age_from_months < service.age_from_months or other.age_to_months > service.age_to_months


def _covers_elsewhere(service, other):
    if other.coverage_type == CoverageType.CITY_WIDE:
        return True
    mine = {d.pk for d in service.coverage_districts.all()}
    if service.coverage_type == CoverageType.LOCALITY and service.locality_district_id:
        mine.add(service.locality_district_id)
    theirs = {d.pk for d in other.coverage_districts.all()}
    if other.coverage_type == CoverageType.LOCALITY and other.locality_district_id:
        theirs.add(other.locality_district_id)
    return bool(theirs - mine)


def _parent_limits_wider(service, other):
    low, high = service.parent_min_age_years, service.parent_max_age_years
    other_low, other_high = other.parent_min_age_years, other.parent_max_age_years
    lower_ok = low is not None and (other_low is None or other_low < low)
    upper_ok = high is not None and (other_high is None or other_high > high)
    return lower_ok or upper_ok


def _parent_ages_text(service):
    low, high = service.parent_min_age_years, service.parent_max_age_years
    if low is not None and high is not None:
        return f"The parent is aged {low} to {high}."
    if low is not None:
        return f"The parent is aged {low} or over."
    return f"The parent is aged up to {high}."


def criteria_for(*, service, route, similar, query=""):
    """The checklist for `route`: structured criteria from the service's record (the baby's age or
    stage of pregnancy, the area served, the parent's age, the needs it works with), then the
    route's acceptance criteria and exclusions in its own words, one line each."""
    def cards(test):
        return [SearchCard(other, query=query) for other in similar if test(service, other)][:ALTERNATIVES_SHOWN]

    items = []
    record = "From the service's record in the directory"
    if service.age_range == AgeRange.RANGE:
        pregnancy = service.age_from_months < 0
        ages = age_range_text(service)
        items.append(Criterion(
            "age", f"The baby's age{' or stage of pregnancy' if pregnancy else ''} fits: {ages[0].lower()}{ages[1:]}.",
            "structured",
            f"The service works with babies {ages[0].lower()}{ages[1:]} only"
            f"{', including pregnancy' if pregnancy and service.age_to_months >= 0 else ''}. "
            "These services for the same needs take other ages:",
            cards(_accepts_other_ages), "Services for the same needs at other ages", record))
    if service.coverage_type != CoverageType.CITY_WIDE:
        area = coverage_text(service)
        items.append(Criterion(
            "area", f"The family lives in the area the service covers: {area}.", "structured",
            f"The service works in {area} only. These services for the same needs work elsewhere in Birmingham:",
            cards(_covers_elsewhere), "Services for the same needs in other areas", record))
    else:
        items.append(Criterion(
            "area", "The family lives in Birmingham (the service works city-wide).", "structured",
            "This directory lists services in Birmingham only. Ask the family's health visitor or GP about "
            "services where they live.", source=record))
    if service.parent_min_age_years is not None or service.parent_max_age_years is not None:
        items.append(Criterion(
            "parent-age", _parent_ages_text(service), "structured",
            "The service works with parents of these ages only. These services for the same needs have "
            "other age limits or none:", cards(_parent_limits_wider), "Services for the same needs with other age limits",
            record))
    needs = names_text(service.needs.all(), "")
    if needs:
        items.append(Criterion(
            "needs", f"The family needs help with at least one of: {needs}.", "structured",
            "The service works with these needs. A service one step up or down the ladder of need may fit "
            "better: see \u201cIf the family does not meet the criteria\u201d below.", source=record))
    for number, line in enumerate(_sentences(route.acceptance_criteria), start=1):
        items.append(Criterion(
            f"criteria-{number}", line, "text",
            "The service accepts only families who meet this. A service one step up or down the ladder of need, "
            "or another service for the same needs, may fit: see below.",
            source="The service's acceptance criteria"))
    for number, line in enumerate(_sentences(route.exclusions), start=1):
        items.append(Criterion(
            f"exclusion-{number}", f"This does not apply to the family: {line}", "text",
            "The service does not accept families this applies to. A service one step up or down the ladder "
            "of need, or another service for the same needs, may fit: see below.",
            source="Who the service does not accept"))
    return items


@dataclass
class InformationItem:
    id: str
    label: str
    hint: str = ""
    long: bool = False


def information_for(route):
    """(items, the service's own list?): the service's list when it has given one, else the general
    list, which the page labels as general guidance."""
    own = route.information_items
    if own:
        return [InformationItem(f"item-{n}", text, long=True) for n, text in enumerate(own, start=1)], True
    return [InformationItem(*item) for item in GENERAL_ITEMS], False


def _email(value):
    try:
        validate_email(value.strip())
    except ValidationError:
        return ""
    return value.strip()


@dataclass
class SendingView:
    """How to send a referral by this route, from the route's record."""

    route: object

    @property
    def method(self):
        return ReferralMethod(self.route.method).label if self.route.method else ""

    @property
    def email(self):
        """The address an e-mail draft goes to: only for an e-mail route whose contact is an address."""
        return _email(self.route.contact) if self.route.method == ReferralMethod.EMAIL else ""

    @property
    def contact_href(self):
        contact = self.route.contact.strip()
        if _email(contact):
            return f"mailto:{contact}"
        return tel_href(contact) if contact else ""

    @property
    def url(self):
        return safe_href(self.route.url) if self.route.url else ""

    def mailto_base(self, service_name):
        """The start of the draft's address with its subject; the script adds the body."""
        if not self.email:
            return ""
        return f"mailto:{self.email}?" + urlencode({"subject": f"Referral to {service_name}"}).replace("+", "%20")


def consent_text(route):
    return Consent(route.consent_required).label if route.consent_required else ""
