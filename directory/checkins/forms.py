"""The check-in page's form (issue 20, items 3, 4 and 6): every public fact about one service,
each "Still right" or "Change this", what is missing, the under-2s self-audit, and the
description for parents.

The form is built from the service's own records: its fields are named after the routes and
venues the service has, so a forged id in a POST names no field and changes nothing. Every
text field has a length cap; the view bounds the whole POST.

`Item` is one fact as the page shows it; `targets` say which field of which record a change
writes (`record` is "service", or ("routes", id) for one of the service's referral routes).
"""
from dataclasses import dataclass, field as dataclass_field

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from directory.checkins.barriers import EXCLUSION_CHECKS, QUESTIONS, YES_NO_NOT_SURE
from directory.core.presenters import _sentences, age_range_text, coverage_text, names_text
from directory.core.safe_urls import validate_url_scheme
from directory.curation.moderation import current_value
from directory.models import (
    AgeRange, Booking, Consent, Cost, DeliveryMode, Language, ReferralMethod, Referrer, SessionCost,
)
from directory.whatson.rules import DAY_CHOICES, WEEKS, rule_parts, session_words, weeks_of
from mapping.postcodes import postcode_lookup

RIGHT, CHANGE, ENDED = "right", "change", "ended"
CHECK_CHOICES = [(RIGHT, "Still right"), (CHANGE, "Change this")]
SESSION_CHOICES = CHECK_CHOICES + [(ENDED, "It no longer runs")]
# A session's repeat as the page offers it: the admin's "which weeks" without its advanced rule.
SESSION_WEEKS = [choice for choice in WEEKS if choice[0] != "rule"]
ONLINE = "online"
# The session fields the page can change, as (model field, form field suffix).
SESSION_FIELDS = ("freq", "interval", "byday", "bymonthday", "term_time_only", "opens_at", "closes_at", "place",
                  "online", "booking", "cost", "cost_details", "notes")
YES_NO = [("yes", "Yes"), ("no", "No")]
LIMIT_APPLIES_TO = [("baby", "The baby's age"), ("parent", "The parent's age"), ("both", "Both"),
                    ("none", "We have no age limit")]
NEW_VENUE_SLOTS = 2
# Caps: a description a page can show, never a book.
LONG, MEDIUM = 2000, 1000


def text(label, max_length=MEDIUM, *, long=False, help_text=""):
    widget = forms.Textarea(attrs={"rows": 4 if long else 2}) if long else forms.TextInput()
    return forms.CharField(label=label, max_length=max_length, required=False, widget=widget, help_text=help_text)


def radios(label, choices, help_text=""):
    return forms.ChoiceField(label=label, choices=choices, required=False, widget=forms.RadioSelect,
                             help_text=help_text)


def ticks(label, choices, help_text=""):
    return forms.MultipleChoiceField(label=label, choices=choices, required=False,
                                     widget=forms.CheckboxSelectMultiple, help_text=help_text)


def months(label, help_text=""):
    return forms.IntegerField(label=label, required=False, min_value=-9, max_value=216, help_text=help_text,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-3"}))


def years(label):
    return forms.IntegerField(label=label, required=False, validators=[MinValueValidator(10), MaxValueValidator(99)],
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-3"}))


class TermsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, term):
        return term.name


@dataclass
class Item:
    """One fact on the page: its words now, and the fields that say what it should say."""

    name: str                 # the prefix of its form fields
    key: str                  # how facts_still_right names it, e.g. "service.phone", "route.12.contact"
    label: str
    shown: str                # the value in words; "" when it is missing
    group: str
    owner: object = None      # the record whose Fact it is, or None (no Fact tracks it)
    fact: str = ""            # the Fact's field code
    targets: list = dataclass_field(default_factory=list)  # [(record, instance, model field, form field)]
    note: bool = False        # a change is a note for the IMHSG (no field of ours holds it)
    required: bool = False    # the fact may be changed but not emptied
    hint: str = ""
    check: object = None      # bound fields, set by the form
    inputs: list = dataclass_field(default_factory=list)
    error: str = ""

    @property
    def missing(self):
        return not self.shown

    @property
    def field_names(self):
        return [name for _, _, _, name in self.targets] or [f"{self.name}-note"]


def _ages_text(service):
    parts = [] if service.age_range == AgeRange.NOT_STATED else [age_range_text(service)]
    low, high = service.parent_min_age_years, service.parent_max_age_years
    if low is not None and high is not None:
        parts.append(f"parents aged {low} to {high}")
    elif low is not None:
        parts.append(f"parents aged {low} or over")
    elif high is not None:
        parts.append(f"parents aged up to {high}")
    return "; ".join(parts)


def _cost_text(service):
    parts = [Cost(service.cost).label if service.cost else "", service.fees_description]
    return ". ".join(part for part in parts if part)


def _route_title(route, number):
    who = Referrer(route.referrer).label if route.referrer else "Not recorded"
    return f"Way in {number}: {who}" + (f" ({route.professions})" if route.professions else "")


def service_items(service, routes, placements):
    """Every public fact about `service`, in the page's order. Reads `routes` and `placements`
    (its ServiceAtLocation rows with venues) as given; the terms need their prefetch."""
    s = ("service", service)
    items = [
        Item("summary", "service.summary", "What the service does", service.summary, "About the service",
             targets=[(*s, "summary", "summary-new")], required=True),
        Item("organisation", "service.organisation", "Who runs it", service.organisation.name, "About the service",
             service, "organisation", note=True),
        Item("delivery", "service.delivery_modes", "How it is delivered", names_text(service.delivery_modes.all(), ""),
             "About the service", service, "delivery_modes", targets=[(*s, "delivery_modes", "delivery-new")]),
        Item("schedule", "service.schedule_description", "Opening times", service.schedule_description,
             "About the service", service, "schedule", targets=[(*s, "schedule_description", "schedule-new")]),
        Item("area", "service.coverage", "Area covered", coverage_text(service), "About the service", service,
             "coverage", note=True),
        Item("ages", "service.age_range", "Ages", _ages_text(service), "Who it is for", service, "age_range",
             targets=[(*s, "age_from_months", "ages-from"), (*s, "age_to_months", "ages-to"),
                      (*s, "parent_min_age_years", "ages-parent_min"), (*s, "parent_max_age_years", "ages-parent_max")]),
        Item("eligibility", "service.eligibility_description", "Parents and carers", service.eligibility_description,
             "Who it is for", service, "eligibility", targets=[(*s, "eligibility_description", "eligibility-new")]),
        Item("cost", "service.cost", "Cost", _cost_text(service), "Who it is for", service, "cost",
             targets=[(*s, "cost", "cost-new"), (*s, "fees_description", "cost-fees")]),
        Item("languages", "service.languages", "Languages", names_text(service.languages.all(), ""), "Who it is for",
             service, "languages", targets=[(*s, "languages", "languages-new")]),
        Item("phone", "service.phone", "Phone", service.phone, "Contact", service, "phone",
             targets=[(*s, "phone", "phone-new")]),
        Item("email", "service.email", "Email", service.email, "Contact", service, "email",
             targets=[(*s, "email", "email-new")]),
        Item("url", "service.url", "Website", service.url, "Contact", service, "url", targets=[(*s, "url", "url-new")]),
    ]
    for number, route in enumerate(routes, start=1):
        r, group, prefix = (("routes", route.pk), route), _route_title(route, number), f"route{route.pk}"
        method = ReferralMethod(route.method).label if route.method else ""
        items += [
            Item(f"{prefix}-who", f"route.{route.pk}.referrer", "Who can refer",
                 Referrer(route.referrer).label + (f": {route.professions}" if route.professions else ""), group,
                 route, "referrer", targets=[(*r, "referrer", f"{prefix}-who-referrer"),
                                             (*r, "professions", f"{prefix}-who-professions")], required=True),
            Item(f"{prefix}-how", f"route.{route.pk}.how_to_refer", "How to refer",
                 _sentences(method, route.how_to_refer), group, route, "how_to_refer",
                 targets=[(*r, "method", f"{prefix}-how-method"), (*r, "how_to_refer", f"{prefix}-how-text")]),
            Item(f"{prefix}-criteria", f"route.{route.pk}.acceptance_criteria", "Who is accepted (acceptance criteria)",
                 route.acceptance_criteria, group, route, "acceptance_criteria",
                 targets=[(*r, "acceptance_criteria", f"{prefix}-criteria-new")]),
            Item(f"{prefix}-exclusions", f"route.{route.pk}.exclusions", "Who is not accepted",
                 route.exclusions, group, route, "exclusions", targets=[(*r, "exclusions", f"{prefix}-exclusions-new")]),
            Item(f"{prefix}-wait", f"route.{route.pk}.waiting_time", "Typical wait", route.waiting_time, group, route,
                 "waiting_time", targets=[(*r, "waiting_time", f"{prefix}-wait-new")]),
            Item(f"{prefix}-contact", f"route.{route.pk}.contact", "Referral contact (a phone number or email)",
                 route.contact, group, route, "contact", targets=[(*r, "contact", f"{prefix}-contact-new")]),
            Item(f"{prefix}-link", f"route.{route.pk}.url", "Referral link (a web page or online form)", route.url,
                 group, route, "url", targets=[(*r, "url", f"{prefix}-link-new")]),
            Item(f"{prefix}-consent", f"route.{route.pk}.consent_required", "Family's consent needed",
                 Consent(route.consent_required).label if route.consent_required else "", group,
                 targets=[(*r, "consent_required", f"{prefix}-consent-new")]),
        ]
        if route.referrer == Referrer.PROFESSIONAL:
            # What the practitioners' referral page lists for this route (issue 24).
            items += [
                Item(f"{prefix}-include", f"route.{route.pk}.information_needed",
                     "What a referral must include (one item a line)", route.information_needed, group,
                     targets=[(*r, "information_needed", f"{prefix}-include-new")]),
                Item(f"{prefix}-consentrules", f"route.{route.pk}.consent_rules",
                     "Your rules about the family's consent to a referral", route.consent_rules, group,
                     targets=[(*r, "consent_rules", f"{prefix}-consentrules-new")]),
            ]
    for placement in placements:
        venue = placement.venue
        items.append(Item(f"venue{placement.pk}", f"venue.{venue.pk}.address", venue.name,
                          ", ".join(p for p in (venue.address, venue.postcode) if p), "Venues", venue, "address",
                          note=True))
    items.append(Item("parent_description", "service.parent_description", "Description for parents",
                      service.parent_description, "Description for parents",
                      targets=[(*s, "parent_description", "parent_description-new")]))
    return items


def _target_field(item, model_field_name):
    """The form field that says a fact's new value."""
    caps = {"summary": MEDIUM, "schedule_description": MEDIUM, "eligibility_description": LONG,
            "fees_description": MEDIUM, "how_to_refer": LONG, "acceptance_criteria": LONG, "exclusions": LONG,
            "parent_description": 3000, "information_needed": LONG, "consent_rules": LONG}
    # A box that alone says the fact: its label in a change, the fact's name where it is missing.
    alone = item.label if item.missing else "What it should say now"
    if model_field_name in caps:
        label = {"fees_description": "Cost details", "how_to_refer": "How to refer, in words"}.get(
            model_field_name, alone)
        return text(label, caps[model_field_name], long=True)
    if model_field_name == "phone":
        return text(alone, 40)
    if model_field_name == "email":
        return forms.EmailField(label=alone, max_length=254, required=False)
    if model_field_name == "url":
        return forms.URLField(label=alone, max_length=200, required=False, assume_scheme="https",
                              validators=[validate_url_scheme])
    if model_field_name == "consent_required":
        return radios(item.label, [choice for choice in Consent.choices if choice[0]])
    if model_field_name == "cost":
        return radios("Cost", [choice for choice in Cost.choices if choice[0]])
    if model_field_name == "languages":
        return TermsField(queryset=Language.objects.order_by("name"), label="Languages", required=False,
                          help_text="Tick every language you work in, with or without an interpreter.")
    if model_field_name == "delivery_modes":
        return TermsField(queryset=DeliveryMode.objects.order_by("name"), label="How it is delivered", required=False)
    if model_field_name == "age_from_months":
        return months("Youngest baby (months)", "Use 0 for birth, -9 from the start of pregnancy, -3 for the last "
                                                 "3 months of pregnancy.")
    if model_field_name == "age_to_months":
        return months("Oldest child (months)", "Up to the second birthday is 23.")
    if model_field_name == "parent_min_age_years":
        return years("Parent's minimum age (years), if any")
    if model_field_name == "parent_max_age_years":
        return years("Parent's maximum age (years), if any")
    if model_field_name == "referrer":
        return forms.ChoiceField(label="Who can refer", choices=Referrer.choices, required=False)
    if model_field_name == "professions":
        return text("Which professionals, if a professional refers", 200)
    if model_field_name == "method":
        return forms.ChoiceField(label="How", choices=[("", "Choose")] + [c for c in ReferralMethod.choices if c[0]],
                                 required=False)
    if model_field_name == "waiting_time":
        return text(alone, 120)
    if model_field_name == "contact":
        return text(alone, 200)
    raise KeyError(model_field_name)


@dataclass
class SessionRow:
    """One of the service's published sessions on the page: its words now and its boxes."""

    session: object
    prefix: str               # "session<pk>", or "newsession" for the one the service may add
    shown: str                # e.g. "Tuesdays 10:00 to 11:30, term time only, next: 8 December"
    where: str = ""
    check: object = None
    inputs: list = dataclass_field(default_factory=list)
    error: str = ""

    @property
    def key(self):
        return f"session.{self.session.pk}"

    @property
    def label(self):
        return self.session.title or session_words(self.session, with_next=False)


def _where_words(session):
    if session.place_id:
        return session.place.venue.name
    return "Online" if session.online else ""


def session_fields(prefix, placements):
    """The boxes that say what a session is: days, which weeks, times, where, booking, cost, notes."""
    where = [(str(p.pk), p.venue.name) for p in placements] + [(ONLINE, "Online")]
    invalid_day = "Choose days from the list: Monday to Sunday."
    return {
        f"{prefix}-days": forms.MultipleChoiceField(
            label="Which days", choices=DAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": invalid_day}),
        f"{prefix}-weeks": forms.ChoiceField(
            label="Which weeks", choices=[("", "Choose")] + SESSION_WEEKS, required=False,
            help_text="'Last week of the month' means the last of those days in each month.",
            error_messages={"invalid_choice": "Choose which weeks from the list."}),
        f"{prefix}-term": forms.ChoiceField(
            label="Term time only?", choices=YES_NO, required=False, widget=forms.RadioSelect,
            help_text="Yes if it stops in the school holidays."),
        f"{prefix}-starts": forms.TimeField(
            label="Starts at", required=False, help_text="For example 10:00 or 13:30.",
            error_messages={"invalid": "Give the start time like 10:00 or 13:30."},
            widget=forms.TimeInput(format="%H:%M")),
        f"{prefix}-ends": forms.TimeField(
            label="Ends at", required=False, help_text="For example 11:30.",
            error_messages={"invalid": "Give the end time like 11:30 or 15:00."},
            widget=forms.TimeInput(format="%H:%M")),
        f"{prefix}-where": forms.ChoiceField(
            label="Where", choices=[("", "Choose")] + where, required=False,
            help_text="If it is somewhere else, add the venue under 'Community venues' below and tell us in the notes.",
            error_messages={"invalid_choice": "Choose one of your venues, or online."}),
        f"{prefix}-booking": radios("Do families need to book?", [c for c in Booking.choices if c[0]]),
        f"{prefix}-cost": radios("Cost", [c for c in SessionCost.choices if c[0]]),
        f"{prefix}-costdetails": text("Cost details, if any", 200),
        f"{prefix}-notes": text("Anything else families should know", MEDIUM, long=True),
    }


def _session_initial(prefix, session):
    days, weeks = weeks_of(session)
    if weeks == "rule":  # a repeat the choices cannot say (e.g. from a feed): boxes empty, the rule kept
        days, weeks = [], ""
    return {
        f"{prefix}-days": days, f"{prefix}-weeks": weeks,
        f"{prefix}-term": "yes" if session.term_time_only else "no",
        f"{prefix}-starts": session.opens_at.strftime("%H:%M"), f"{prefix}-ends": session.closes_at.strftime("%H:%M"),
        f"{prefix}-where": str(session.place_id) if session.place_id else (ONLINE if session.online else ""),
        f"{prefix}-booking": session.booking, f"{prefix}-cost": session.cost,
        f"{prefix}-costdetails": session.cost_details, f"{prefix}-notes": session.notes,
    }


class CheckInForm(forms.Form):
    """The whole page. `items` are the facts, in order, with their bound fields."""

    # The under-2s self-audit (directory/checkins/barriers.py names the answers).
    # The report's words for these two are the page's (barriers.QUESTIONS); the others are
    # shorter there, as column headings.
    accepts_pregnancy = radios(QUESTIONS["accepts_pregnancy"], YES_NO_NOT_SURE)
    accepts_under_twos = radios(QUESTIONS["accepts_under_twos"], YES_NO_NOT_SURE)
    age_limit_applies_to = radios("If you have an age limit, is it the baby's age or the parent's?", LIMIT_APPLIES_TO)
    exclusion_checks = ticks(
        "Could any of these keep babies out without meaning to?", list(EXCLUSION_CHECKS.items()),
        "Tick any that apply to your service. It is fine to tick none.")
    who_can_refer = ticks("Who can refer to you?", [c for c in Referrer.choices])
    information_needed = text("What information do you need with a referral?", LONG, long=True)
    uses_community_venues = radios("Do you see families in community venues (not a hospital or clinic)?", YES_NO)
    interpreters = radios("Can families have an interpreter?", YES_NO_NOT_SURE)
    barriers_known = text("Do you know of anything that makes it hard for families to use your service?", LONG,
                          long=True, help_text="For example, a long wait, no evening sessions, or a venue far from buses.")
    wants_advice = radios("Would you like advice from the IMHSG about making your service easier for families "
                          "with babies to use?", YES_NO)
    answered_by = text("Your name", 200, help_text="So the IMHSG knows who to thank. Never shown publicly.")

    # A way in the directory does not list yet.
    newroute_referrer = forms.ChoiceField(label="Who can refer", choices=[("", "Choose")] + list(Referrer.choices),
                                          required=False)
    newroute_professions = text("Which professionals, if a professional refers", 200)
    newroute_method = forms.ChoiceField(label="How", required=False,
                                        choices=[("", "Choose")] + [c for c in ReferralMethod.choices if c[0]])
    newroute_how_to_refer = text("How to refer, in words", LONG, long=True)
    newroute_acceptance_criteria = text("Who is accepted (acceptance criteria)", LONG, long=True)
    newroute_exclusions = text("Who is not accepted", LONG, long=True)
    newroute_waiting_time = text("Typical wait", 120)
    newroute_contact = text("Referral contact (a phone number or email)", 200)
    newroute_url = forms.URLField(label="Referral link (a web page or online form)", max_length=200, required=False,
                                  assume_scheme="https", validators=[validate_url_scheme])

    def __init__(self, *args, service, routes, placements, sessions=(), **kwargs):
        """`sessions`: [(published session, its words)], its place's venue selected."""
        super().__init__(*args, label_suffix="", **kwargs)
        self.service = service
        self.items = service_items(service, routes, placements)
        self.sessions = []
        for session, words in sessions:
            row = SessionRow(session, f"session{session.pk}", words, where=_where_words(session))
            self.fields[f"{row.prefix}-check"] = radios(row.label, SESSION_CHOICES)
            self.fields.update(session_fields(row.prefix, placements))
            self.initial.update(_session_initial(row.prefix, session))
            self.sessions.append(row)
        self.fields["newsession-title"] = text("Name of the session, if it has one", 200,
                                               help_text="For example 'Stay and play'.")
        self.fields.update(session_fields("newsession", placements))
        self.fields["newsession-weeks"].initial = "every"
        self.changed_sessions, self.right_sessions, self.new_session = [], [], None
        for item in self.items:
            if not item.missing and item.name != "parent_description":
                self.fields[f"{item.name}-check"] = radios(item.label, CHECK_CHOICES)
            if item.note:
                self.fields[f"{item.name}-note"] = text("What should it say?", MEDIUM, long=True)
            for _, instance, model_field, name in item.targets:
                self.fields[name] = _target_field(item, model_field)
                if not item.missing or model_field in ("cost", "fees_description"):
                    self.initial[name] = current_value(instance, model_field) if model_field not in (
                        "languages", "delivery_modes") else list(getattr(instance, model_field).all())
        for slot in range(NEW_VENUE_SLOTS):
            self.fields[f"venue{slot}_name"] = text("Venue name", 200)
            self.fields[f"venue{slot}_address"] = text("Address", 300)
            self.fields[f"venue{slot}_postcode"] = forms.CharField(
                label="Postcode", max_length=10, required=False,
                widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "autocomplete": "off"}))
            self.fields[f"venue{slot}_free"] = radios("Is it free for families to use?", YES_NO_NOT_SURE)
            self.fields[f"venue{slot}_step_free"] = radios("Is there step-free access?", YES_NO_NOT_SURE)
        self.changed_items, self.right_items, self.new_venues = [], [], []

    # --- Reading the answers ---------------------------------------------------------------

    def bound(self, item):
        """The item with its bound fields, for the template."""
        item.check = self[f"{item.name}-check"] if f"{item.name}-check" in self.fields else None
        item.inputs = [self[name] for name in item.field_names]
        return item

    def groups(self):
        """[(heading, [item, ...])] of the facts the service has, for the first part of the page."""
        result = []
        for item in self.items:
            if item.missing or item.name == "parent_description" or item.group == "Venues":
                continue
            if not result or result[-1][0] != item.group:
                result.append((item.group, []))
            result[-1][1].append(self.bound(item))
        return result

    def venue_items(self):
        return [self.bound(item) for item in self.items if item.group == "Venues"]

    def missing_items(self):
        """[(heading, [item, ...])] of the facts the directory has nothing for."""
        result = []
        for item in self.items:
            if not item.missing or item.name == "parent_description":
                continue
            if not result or result[-1][0] != item.group:
                result.append((item.group, []))
            result[-1][1].append(self.bound(item))
        return result

    def parent_description_item(self):
        return self.bound(next(item for item in self.items if item.name == "parent_description"))

    def _differs(self, item, cleaned):
        if item.note:
            return bool(cleaned.get(f"{item.name}-note"))
        for _, instance, model_field, name in item.targets:
            value = cleaned.get(name)
            new = sorted(term.pk for term in value) if model_field in ("languages", "delivery_modes") else value
            if _normal(new) != _normal(current_value(instance, model_field)):
                return True
        return False

    def clean(self):
        cleaned = super().clean()
        for item in self.items:
            if any(name in self.errors for name in item.field_names):
                continue
            choice = cleaned.get(f"{item.name}-check", "")
            differs = self._differs(item, cleaned)
            if choice == RIGHT and differs:
                self._item_error(item, f"{item.label}: you chose 'Still right' but changed the answer. Choose "
                                       "'Change this', or put back what it said.")
            elif choice == CHANGE and not differs:
                self._item_error(item, f"{item.label}: say what it should say now, or choose 'Still right'.")
            elif differs:
                problem = self._check_change(item, cleaned)
                if problem:
                    self._item_error(item, problem)
                else:
                    self.changed_items.append(item)
            elif choice == RIGHT:
                self.right_items.append(item)
        self._clean_new_route(cleaned)
        self._clean_venues(cleaned)
        self._clean_sessions(cleaned)
        if not self.errors and not (self.changed_items or self.right_items or self.new_venues
                                    or cleaned.get("newroute_referrer") or self.audit_answers()
                                    or self.changed_sessions or self.right_sessions or self.new_session):
            raise forms.ValidationError(
                "Nothing was sent: mark at least one fact 'Still right' or 'Change this', or answer a question.",
                code="empty")
        return cleaned

    def _item_error(self, item, message):
        item.error = message
        self.add_error(item.field_names[0] if item.missing else f"{item.name}-check", message)

    def _check_change(self, item, cleaned):
        """Why a change cannot be proposed as it is, or ''."""
        values = {model_field: cleaned.get(name) for _, _, model_field, name in item.targets}
        if item.required and any(values[f] in (None, "") for f in ("summary", "referrer") if f in values):
            return f"{item.label} cannot be left empty: say what it should say."
        if item.name == "ages":
            start, end = values["age_from_months"], values["age_to_months"]
            if (start is None) != (end is None):
                return "Ages: give both the youngest and the oldest age in months, or neither."
            if start is not None and start > end:
                return "Ages: the youngest age must not be more than the oldest."
            low, high = values["parent_min_age_years"], values["parent_max_age_years"]
            if low is not None and high is not None and low > high:
                return "Ages: the parent's minimum age must not be more than the maximum."
        if item.name == "cost" and not values.get("cost"):
            return "Cost: choose free, paid or varies."
        return ""

    def _clean_new_route(self, cleaned):
        filled = [name for name in self.fields if name.startswith("newroute_") and cleaned.get(name)]
        if filled and not cleaned.get("newroute_referrer"):
            self.add_error("newroute_referrer", "Choose who can refer for the new way in, or leave its boxes empty.")

    def _clean_venues(self, cleaned):
        for slot in range(NEW_VENUE_SLOTS):
            name = cleaned.get(f"venue{slot}_name", "").strip()
            address = cleaned.get(f"venue{slot}_address", "").strip()
            postcode = cleaned.get(f"venue{slot}_postcode", "").strip()
            if not (name or address or postcode):
                continue
            if not name:
                self.add_error(f"venue{slot}_name", f"Venue {slot + 1}: give the venue's name.")
                continue
            found = postcode_lookup(postcode)
            if found.status in ("invalid", "unknown"):
                self.add_error(f"venue{slot}_postcode", (
                    f"Venue {slot + 1}: we do not know the postcode '{postcode}'. Check it (for example B8 1AA); "
                    "we can only list venues with a postcode in our Birmingham postcode data."
                    if postcode else f"Venue {slot + 1}: give the venue's postcode."))
                continue
            self.new_venues.append({"name": name, "address": address, "postcode": found.postcode,
                                    "free": cleaned.get(f"venue{slot}_free", ""),
                                    "step_free": cleaned.get(f"venue{slot}_step_free", "")})

    # --- Sessions (issue 23) ------------------------------------------------------------------

    def session_rows(self):
        for row in self.sessions:
            row.check = self[f"{row.prefix}-check"]
            row.inputs = [self[name] for name in session_fields(row.prefix, []) if name in self.fields]
        return self.sessions

    def new_session_inputs(self):
        return [self["newsession-title"]] + [self[name] for name in session_fields("newsession", [])]

    def session_titles(self):
        """{form field: what the error summary calls it}."""
        titles = {name: f"Sessions, {row.label}" for row in self.sessions
                  for name in [f"{row.prefix}-check", *session_fields(row.prefix, [])]}
        titles.update({name: "New session" for name in ["newsession-title", *session_fields("newsession", [])]})
        return titles

    def _session_values(self, prefix, cleaned, session=None):
        """(the session's fields as the boxes say them, as a proposal stores them; a problem or '')."""
        days, weeks = cleaned.get(f"{prefix}-days") or [], cleaned.get(f"{prefix}-weeks") or ""
        values = {}
        if days and weeks:
            values.update(rule_parts(days, weeks))
        elif days:
            return {}, "choose which weeks it runs."
        elif weeks or session is None:
            return {}, "choose the day or days it runs."
        starts, ends = cleaned.get(f"{prefix}-starts"), cleaned.get(f"{prefix}-ends")
        if starts is None or ends is None:
            return {}, "give the time it starts and the time it ends."
        if ends <= starts:
            return {}, (f"it must end after it starts: the end time ({ends:%H:%M}) is not after the start time "
                        f"({starts:%H:%M}).")
        values.update(opens_at=starts.isoformat(), closes_at=ends.isoformat())
        where = cleaned.get(f"{prefix}-where") or ""
        if session is None and not where:
            return {}, "choose where it happens: one of your venues, or online."
        values.update(place=None if where in ("", ONLINE) else int(where), online=where == ONLINE)
        term = cleaned.get(f"{prefix}-term") or ""
        if term or session is None:
            values["term_time_only"] = term == "yes"
        for field, suffix in (("booking", "booking"), ("cost", "cost"), ("cost_details", "costdetails"),
                              ("notes", "notes")):
            values[field] = cleaned.get(f"{prefix}-{suffix}") or ""
        return values, ""

    def _session_failed(self, prefix):
        return any(name in self.errors for name in session_fields(prefix, []))

    def _clean_sessions(self, cleaned):
        for row in self.sessions:
            choice = cleaned.get(f"{row.prefix}-check", "")
            if choice == ENDED:
                self.changed_sessions.append((row.session, None))
                continue
            if self._session_failed(row.prefix):
                continue
            values, problem = self._session_values(row.prefix, cleaned, row.session)
            changed = {field: {"base": current_value(row.session, field), "new": value}
                       for field, value in values.items()
                       if _normal(value) != _normal(current_value(row.session, field))}
            if problem:
                self._session_error(row, problem[:1].upper() + problem[1:])
            elif choice == RIGHT and changed:
                self._session_error(row, "You chose 'Still right' but changed the answer. Choose 'Change this', "
                                         "or put back what it said.")
            elif choice == CHANGE and not changed:
                self._session_error(row, "Say what has changed, or choose 'Still right'.")
            elif changed:
                self.changed_sessions.append((row.session, changed))
            elif choice == RIGHT:
                self.right_sessions.append(row)
        names = ["newsession-title", "newsession-days", "newsession-starts", "newsession-ends", "newsession-where",
                 "newsession-booking", "newsession-cost", "newsession-costdetails", "newsession-notes"]
        if not any(cleaned.get(name) or name in self.errors for name in names) or self._session_failed("newsession"):
            return
        values, problem = self._session_values("newsession", cleaned)
        if problem:
            self.add_error("newsession-days" if "day" in problem or "weeks" in problem else
                           "newsession-starts" if "time" in problem else "newsession-where",
                           f"New session: {problem}")
            return
        values["title"] = cleaned.get("newsession-title") or ""
        self.new_session = values

    def _session_error(self, row, message):
        row.error = message
        self.add_error(f"{row.prefix}-check", message)

    def audit_answers(self):
        """The self-audit questions answered on the page itself (barriers.py's keys)."""
        cleaned = getattr(self, "cleaned_data", {})
        keys = ["accepts_pregnancy", "accepts_under_twos", "age_limit_applies_to", "exclusion_checks",
                "who_can_refer", "information_needed", "uses_community_venues", "interpreters", "barriers_known",
                "wants_advice"]
        return {key: cleaned[key] for key in keys if cleaned.get(key) not in (None, "", [])}


def _normal(value):
    """'' and None alike, lists sorted: what counts as 'the same' between a box and a record."""
    if value in (None, ""):
        return None
    if isinstance(value, (list, tuple)):
        return sorted(value) or None
    return value.strip() if isinstance(value, str) else value

