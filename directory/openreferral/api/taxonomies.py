"""The directory's classification as Open Referral taxonomies (docs/hsds-mapping.md).

Six taxonomies with fixed ids: level of need, focus on the parent-infant relationship,
needs and circumstances, interventions and approaches, delivery modes and languages.
Their terms are rows of the taxonomy models (with a `uuid` field), except the three focus
values, which are choices on the service and get fixed ids too.

Each taxonomy names the ServiceFilter parameter that filters by its terms, so
`taxonomy_term_id` and `taxonomy_id` go through the same FilterSet as search and the map.
Interventions have no search filter; the API filters them itself (`filter_param` None).
"""
from dataclasses import dataclass

from directory.openreferral.api.ids import derived_id
from directory.models import FOCUS_EXPLANATIONS, DeliveryMode, Focus, Intervention, Language, Level, Need


@dataclass(frozen=True)
class Taxonomy:
    key: str
    name: str
    description: str
    model: type | None  # None: the terms are the Focus choices
    filter_param: str | None  # the ServiceFilter parameter, by term code
    service_field: str  # how a service holds its terms

    @property
    def id(self):
        return derived_id("taxonomy", self.key)


TAXONOMIES = [
    Taxonomy("level", "Level of need",
             "The stepped-care ladder of Birmingham's needs assessment (May 2022): universal, targeted, statutory "
             "and specialist. A service may work at more than one level.", Level, "level", "levels"),
    Taxonomy("focus", "Focus on the parent-infant relationship",
             "How much a service works on the relationship between parent and baby itself: specialised, "
             "additional focus or non-specialised. One value per service; not the same as the level.",
             None, "focus", "focus"),
    Taxonomy("need", "Needs and circumstances", "Needs or circumstances a family may be facing that a service addresses.",
             Need, "need", "needs"),
    Taxonomy("intervention", "Interventions and approaches",
             "Interventions, approaches and assessments a service uses.", Intervention, None, "interventions"),
    Taxonomy("delivery", "Delivery modes", "How a service is delivered, e.g. home visits or groups.",
             DeliveryMode, "delivery", "delivery_modes"),
    Taxonomy("language", "Languages", "Languages a service is offered in, by ISO 639 code.",
             Language, "language", "languages"),
]
TAXONOMIES_BY_ID = {taxonomy.id: taxonomy for taxonomy in TAXONOMIES}
TAXONOMIES_BY_KEY = {taxonomy.key: taxonomy for taxonomy in TAXONOMIES}
FOCUS = TAXONOMIES_BY_KEY["focus"]


@dataclass(frozen=True)
class Term:
    """A taxonomy term as the API shows it, whatever model (or choice) it comes from."""

    id: str
    code: str
    name: str
    description: str
    taxonomy: Taxonomy
    pk: int | None = None  # the row's primary key (None for focus)


def focus_term_id(value):
    return derived_id("focus", value)


def focus_terms():
    return [Term(focus_term_id(value), value, label, FOCUS_EXPLANATIONS[value], FOCUS) for value, label in Focus.choices]


def term_of(taxonomy, row):
    description = getattr(row, "description", "") or row.name
    return Term(str(row.uuid), row.code, row.name, description, taxonomy, row.pk)


def term_list(taxonomies=TAXONOMIES):
    """Every term of these taxonomies, in taxonomy order then the model's order. One query
    per taxonomy with a model (five for all), whatever the number of terms."""
    terms = []
    for taxonomy in taxonomies:
        if taxonomy.model is None:
            terms += focus_terms()
        else:
            terms += [term_of(taxonomy, row) for row in taxonomy.model.objects.all()]
    return terms


def term_get(term_id):
    """The Term with this id (a canonical uuid string), or None. At most five queries, each
    on a unique index."""
    for term in focus_terms():
        if term.id == term_id:
            return term
    for taxonomy in TAXONOMIES:
        if taxonomy.model is not None:
            row = taxonomy.model.objects.filter(uuid=term_id).first()
            if row is not None:
                return term_of(taxonomy, row)
    return None
