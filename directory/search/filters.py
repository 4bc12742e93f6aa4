"""The directory's one FilterSet. The search page, the map and the API filter through it,
always via `selectors.service_filter_queryset`, so they agree on what "matches" means.

Bound to GET data with any subset of parameters. A bad value never raises: the field
gets a plain-words error (shown in an error summary) and that one filter is left out,
while every valid filter still applies (django-filter drops invalid fields).

Multi-valued relations are filtered with `pk__in=<subquery>` rather than joins, so no
filter can duplicate a row and nothing needs `.distinct()` (which would also slow the
count at 100,000 services).
"""
from dataclasses import dataclass

import django_filters
from django import forms

from directory.search import keywords as search
from directory.models import Audience, Cost, Focus, ReferralRoute, Referrer, Service
from directory.core.caching import cached
from directory.core.numbers import WholeNumberField
from directory.search.terms import terms
from mapping.postcodes import place_lookup

# The product covers conception to the second birthday (DESIGN.md).
AGE_MIN, AGE_MAX = -9, 24
POSTCODE_ERROR = "Enter a postcode, like B8 1AA, or its first part, like B8."
AGE_ERROR = "Enter the baby's age in whole months, from -9 to 24. Use a minus sign for pregnancy, for example -3."


@dataclass(frozen=True)
class Stage:
    """A friendly age band offered by the form; matches services whose range overlaps it."""

    value: str
    label: str
    start: int  # inclusive months
    end: int


STAGES = [
    Stage("pregnant", "Pregnant", -9, -1),
    Stage("0-3", "0 to 3 months", 0, 2),
    Stage("3-6", "3 to 6 months", 3, 5),
    Stage("6-12", "6 to 12 months", 6, 11),
    Stage("12-18", "12 to 18 months", 12, 17),
    Stage("18-24", "18 to 24 months", 18, 23),
]
STAGES_BY_VALUE = {stage.value: stage for stage in STAGES}

REFERRAL_CHOICES = [
    ("self", "Families can contact the service themselves"),
    # What the filter finds: a professional route and no self-referral recorded. Not "only": no
    # source says a family cannot get in another way (issue 21).
    ("professional", "Referral by a professional (no self-referral recorded)"),
]
FREE_CHOICES = [("1", "Free services only")]
AUDIENCE_CHOICES = [
    (Audience.EVERYONE, "Services parents can see too"),
    (Audience.PROFESSIONALS, "Services for professionals only"),
]
SORT_CHOICES = [("relevance", "Best match"), ("distance", "Distance"), ("name", "Name")]

# Plain-words errors, in place of Django's "Select a valid choice" wording.
def _invalid_choice(what):
    return {
        "invalid_choice": f"%(value)s is not {what}. Choose from the list.",
        "invalid_pk_value": f"%(pk)s is not {what}. Choose from the list.",
        "invalid_list": f"Choose {what} from the list.",
    }


class PostcodeField(forms.CharField):
    """Cleans any spelling of a Birmingham postcode, or of a postcode district or sector
    ("B8", "B8 1"), to a `PostcodeResult` with its district."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        # Postcodes change only with the reference data: one lookup per spelling and content version.
        result = cached("place", (" ".join(value.split()).upper(),), lambda: place_lookup(value))
        if not result.found:
            raise forms.ValidationError(result.message)
        return result


class PostcodeFilter(django_filters.Filter):
    field_class = PostcodeField


class IntegerFilter(django_filters.Filter):
    field_class = WholeNumberField


class TermsField(forms.MultipleChoiceField):
    """Codes of one controlled list (directory/search/terms.py), cleaned to its terms in the list's
    order. Validated against the lists of the current content version, held in memory:
    no query per parameter."""

    def __init__(self, *, kind, **kwargs):
        self.kind = kind
        super().__init__(choices=lambda: terms().choices(kind), **kwargs)

    def clean(self, value):
        codes = set(super().clean(value))
        if not codes:
            return []
        return [term for code, term in terms().by_code[self.kind].items() if code in codes]


class TermField(forms.ChoiceField):
    """One code of a controlled list, cleaned to its term (None when not given)."""

    def __init__(self, *, kind, **kwargs):
        self.kind = kind
        super().__init__(choices=lambda: [("", "")] + terms().choices(kind), **kwargs)

    def clean(self, value):
        code = super().clean(value)
        return terms().by_code[self.kind][code] if code else None

    @property
    def terms(self):
        return terms()[self.kind]


class TermsFilter(django_filters.Filter):
    field_class = TermsField


class TermFilter(django_filters.Filter):
    field_class = TermField


def _through_ids(relation, **lookups):
    """Service ids from a many-to-many table, as a subquery (no join on the outer query)."""
    return relation.through.objects.filter(**lookups).values("service_id")


class ServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Keywords", method="filter_q", max_length=200,
        error_messages={"max_length": "Keywords must be 200 characters or fewer."},
    )
    postcode = PostcodeFilter(
        label="Family's postcode", method="filter_postcode", max_length=12,
        error_messages={"max_length": POSTCODE_ERROR},
    )
    district = TermFilter(
        label="District", kind="district", method="filter_district",
        error_messages=_invalid_choice("a Birmingham district"),
    )
    stage = django_filters.ChoiceFilter(
        label="Baby's age or stage of pregnancy", choices=[(s.value, s.label) for s in STAGES],
        method="filter_stage", empty_label="Any age", error_messages=_invalid_choice("an age or stage"),
    )
    age = IntegerFilter(
        label="Or the exact age in months", method="filter_age", min_value=AGE_MIN, max_value=AGE_MAX,
        error_messages={"invalid": AGE_ERROR, "min_value": AGE_ERROR, "max_value": AGE_ERROR},
    )
    level = TermsFilter(
        label="Level of need", kind="level", method="filter_level", error_messages=_invalid_choice("a level of need"),
    )
    focus = django_filters.MultipleChoiceFilter(
        label="Focus on the parent-baby relationship", choices=Focus.choices, field_name="focus",
        error_messages=_invalid_choice("a focus"),
    )
    need = TermsFilter(
        label="What the family is facing", kind="need", method="filter_need",
        error_messages=_invalid_choice("a need we list"),
    )
    intervention = TermsFilter(
        label="Approaches used", kind="intervention", method="filter_intervention",
        error_messages=_invalid_choice("an approach we list"),
    )
    referral = django_filters.ChoiceFilter(
        label="How to get in", choices=REFERRAL_CHOICES, method="filter_referral", empty_label=None,
        error_messages=_invalid_choice("a referral route"),
    )
    delivery = TermsFilter(
        label="How it is delivered", kind="delivery", method="filter_delivery",
        error_messages=_invalid_choice("a way of delivering a service"),
    )
    language = TermsFilter(
        label="Language", kind="language", method="filter_language", error_messages=_invalid_choice("a language we list"),
    )
    free = django_filters.ChoiceFilter(
        label="Cost", choices=FREE_CHOICES, method="filter_free", empty_label=None,
        error_messages={"invalid_choice": "To see free services only, use free=1."},
    )
    audience = django_filters.ChoiceFilter(
        label="Who can see it", choices=AUDIENCE_CHOICES, field_name="audience", empty_label=None,
        error_messages=_invalid_choice("an audience"),
    )
    # Sorting is the selector's job; the field is here so that a bad value is validated
    # and reported like every other parameter.
    sort = django_filters.ChoiceFilter(
        label="Sort by", choices=SORT_CHOICES, method="filter_nothing", empty_label=None,
        error_messages={"invalid_choice": "Sort by best match, distance or name."},
    )

    class Meta:
        model = Service
        fields = []

    # --- filters ---------------------------------------------------------------

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_q(self, queryset, name, value):
        # Kept for ranking, so the synonyms are read once per search.
        reading = search.keyword_reading(value)
        self.keyword_groups, self.keyword_corrections = reading.groups, reading.corrections
        # People type sentences ("lost my kids to adoption"): with three words or more and no
        # service that has them all, a service needs more than half of them, the most first
        # (issue 22). Only then: counting "most of the words" costs far more than "all of them"
        # (each facet's count re-applies it). One indexed EXISTS query decides.
        self.keyword_any = len(self.keyword_groups) > 2 and not search.keyword_filter(
            Service.objects.published(), value, self.keyword_groups).exists()
        return search.keyword_filter(queryset, value, self.keyword_groups, any_group=self.keyword_any)

    def filter_postcode(self, queryset, name, value):
        return queryset.in_district(value.district)

    def filter_district(self, queryset, name, value):
        # The form offers a postcode "or a district": when both are given, the postcode,
        # the family's own place, wins (service_search says so).
        if self.form.cleaned_data.get("postcode"):
            return queryset
        return queryset.in_district(value)

    def filter_stage(self, queryset, name, value):
        # An exact age, when given and valid, is more precise than the band.
        if self.form.cleaned_data.get("age") is not None:
            return queryset
        stage = STAGES_BY_VALUE[value]
        return queryset.for_age(stage.start, stage.end)

    def filter_age(self, queryset, name, value):
        return queryset.for_age(value)

    def filter_level(self, queryset, name, value):
        return queryset.filter(pk__in=_through_ids(Service.levels, level__in=value)) if value else queryset

    def filter_need(self, queryset, name, value):
        return queryset.filter(pk__in=_through_ids(Service.needs, need__in=value)) if value else queryset

    def filter_intervention(self, queryset, name, value):
        return queryset.filter(pk__in=_through_ids(Service.interventions, intervention__in=value)) if value else queryset

    def filter_delivery(self, queryset, name, value):
        return queryset.filter(pk__in=_through_ids(Service.delivery_modes, deliverymode__in=value)) if value else queryset

    def filter_language(self, queryset, name, value):
        return queryset.filter(pk__in=_through_ids(Service.languages, language__in=value)) if value else queryset

    def filter_referral(self, queryset, name, value):
        self_routes = ReferralRoute.objects.filter(referrer=Referrer.SELF).values("service_id")
        if value == "self":
            return queryset.filter(pk__in=self_routes)
        # "Referral-only": a professional can refer and the family cannot contact it directly.
        professional = ReferralRoute.objects.filter(referrer=Referrer.PROFESSIONAL).values("service_id")
        return queryset.filter(pk__in=professional).exclude(pk__in=self_routes)

    def filter_free(self, queryset, name, value):
        return queryset.filter(cost=Cost.FREE)
