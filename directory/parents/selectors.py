"""Reads for the parents' view: the same published services as everywhere else.

Which services a parent may see, and which they can use without being referred, are rules
on `ServiceQuerySet` (`for_parents`, `parent_direct`); this module only combines them with
the two questions (baby's age, postcode), a topic and a language.
"""
from dataclasses import dataclass, field, replace

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, Value

from directory.models import (
    Cost, Language, ParentTopic, Service, ServiceAtLocation, UrgentHelp,
)
from directory.core.distances import km_from_squared_degrees
from directory.search.selectors import _nearest_venues
from mapping.models import District


@dataclass
class ParentAnswers:
    """The two questions, cleaned: age in months (negative in pregnancy) and a found postcode."""

    age: int | None = None
    postcode: object = None  # a mapping.postcodes.PostcodeResult that was found
    language: Language | None = None


def _matching(answers):
    """Services a parent may see that fit the answers; not yet split or ordered."""
    queryset = Service.objects.for_parents()
    if answers.age is not None:
        queryset = queryset.for_age(answers.age)
    if answers.postcode is not None:
        queryset = queryset.in_district(answers.postcode.district)
    if answers.language is not None:
        queryset = queryset.filter(_language_q(answers.language))
    return queryset


def _topic_q(topic):
    """Services addressing one of the topic's needs, or delivered in one of its ways."""
    needs = Service.needs.through.objects.filter(need__parent_topics=topic).values("service_id")
    modes = Service.delivery_modes.through.objects.filter(deliverymode__parent_topics=topic).values("service_id")
    return Q(pk__in=needs) | Q(pk__in=modes)


def topic_q(topic):
    """The rule of a parents' topic, for other lists of the same services (what's on, issue 23)."""
    return _topic_q(topic)


def _language_q(language):
    return Q(pk__in=Service.languages.through.objects.filter(language=language).values("service_id"))


def _parent_cards(queryset):
    """What a parent card or page shows: 6 queries whatever the count (the services with
    their organisation and locality joined, then delivery modes, languages, routes,
    districts and venues), each annotated `is_direct` (ServiceQuerySet.with_parent_access)."""
    return (
        queryset.with_parent_access()
        .select_related("organisation", "locality_district")
        .defer("locality_district__boundary")
        .prefetch_related(
            "delivery_modes", "languages", "referral_routes",
            Prefetch("coverage_districts", queryset=District.objects.defer("boundary")),
            Prefetch("service_at_locations",
                     queryset=ServiceAtLocation.objects.select_related("venue").order_by("venue__name")),
        )
    )


# Cards a list shows at a time, in each of its two groups (issue 26: at 100,000 services a topic
# matched tens of thousands, and the page took 94 s to build every card).
PARENT_PAGE = 20


@dataclass
class ParentResults:
    """What a topic page (or the page of everything) lists: `direct` a family can contact
    themselves; `ask` the rest (a professional refers, or no route is recorded yet); and
    `first_steps`, the services a source names as a first step into other support, for
    "Not sure where to start?" (whatever the topic or language: an offer that never empties).
    `direct` and `ask` hold one page each (PARENT_PAGE cards); the totals and page numbers say
    where in the whole list they are."""

    direct: list = field(default_factory=list)
    ask: list = field(default_factory=list)
    first_steps: list = field(default_factory=list)
    direct_total: int = 0
    ask_total: int = 0
    direct_page: int = 1
    ask_page: int = 1
    per_page: int = PARENT_PAGE

    def pages(self, group):
        total = self.direct_total if group == "direct" else self.ask_total
        return max(1, -(-total // self.per_page))


def _page(rows, number, per_page):
    """The page `number` of `rows` (the last one when past it, the first when not a page)."""
    last = max(1, -(-len(rows) // per_page))
    number = min(max(number, 1), last)
    return rows[(number - 1) * per_page:number * per_page], number


def parent_service_list(*, answers, topic=None, direct_page=1, ask_page=1, per_page=None):
    """ParentResults for the answers, in one topic or in all: the page asked for of each group.
    8 queries (and the distances, 1 more, with a postcode), whatever the number of services.

    The matching services are read as plain rows (id, cost, name, whether direct, a first
    step, in the topic) and ordered here, free first, then nearest, then by name; cards are
    built for the shown pages and the first steps only. The first steps come in the same
    query as the list, which is the services that fit the age and postcode, narrowed by the
    topic and language."""
    per_page = per_page or PARENT_PAGE
    listed = Q()
    if topic is not None:
        listed &= _topic_q(topic)
    if answers.language is not None:
        listed &= _language_q(answers.language)
    queryset = _matching(replace(answers, language=None))
    if listed:
        queryset = queryset.filter(listed | Q(first_step=True)).annotate(
            listed=ExpressionWrapper(listed, output_field=BooleanField()))
    else:
        queryset = queryset.annotate(listed=Value(True))
    rows = list(queryset.with_parent_access().order_by().values_list(
        "pk", "cost", "name", "is_direct", "first_step", "listed"))
    distances = {}
    if answers.postcode is not None and rows:
        point = answers.postcode
        distances = dict(_nearest_venues(queryset.order_by().values("pk"), point.lat, point.lon))
    rows.sort(key=lambda r: (r[1] != Cost.FREE, r[0] not in distances, distances.get(r[0], 0), r[2].lower(), r[0]))
    shown = [r for r in rows if r[5]]
    direct, direct_page = _page([r for r in shown if r[3]], direct_page, per_page)
    ask, ask_page = _page([r for r in shown if not r[3]], ask_page, per_page)
    first_steps = sorted((r for r in rows if r[4]), key=lambda r: (r[2].lower(), r[0]))
    wanted = {r[0] for r in direct + ask + first_steps}
    cards = {s.pk: s for s in _parent_cards(Service.objects.for_parents().filter(pk__in=wanted))} if wanted else {}
    for service in cards.values():
        service.distance_km = km_from_squared_degrees(distances[service.pk]) if service.pk in distances else None
    return ParentResults(
        direct=[cards[r[0]] for r in direct if r[0] in cards], ask=[cards[r[0]] for r in ask if r[0] in cards],
        first_steps=[cards[r[0]] for r in first_steps if r[0] in cards],
        direct_total=sum(1 for r in shown if r[3]), ask_total=sum(1 for r in shown if not r[3]),
        direct_page=direct_page, ask_page=ask_page, per_page=per_page,
    )


@dataclass(frozen=True)
class TopicCount:
    topic: ParentTopic
    direct: int
    ask: int


def parent_topic_counts(*, answers):
    """Every topic with how many services in it fit the answers, and a count of all of them.
    6 queries whatever the number of topics or services."""
    queryset = _matching(answers)
    rows = dict(queryset.with_parent_access().values_list("pk", "is_direct"))
    service_ids = queryset.values("pk")
    needs_of = {}
    for service_id, need_id in Service.needs.through.objects.filter(service_id__in=service_ids).values_list(
            "service_id", "need_id"):
        needs_of.setdefault(need_id, set()).add(service_id)
    modes_of = {}
    for service_id, mode_id in Service.delivery_modes.through.objects.filter(service_id__in=service_ids).values_list(
            "service_id", "deliverymode_id"):
        modes_of.setdefault(mode_id, set()).add(service_id)
    topic_list = list(ParentTopic.objects.all())
    topic_needs = {}
    for topic_id, need_id in ParentTopic.needs.through.objects.values_list("parenttopic_id", "need_id"):
        topic_needs.setdefault(topic_id, set()).add(need_id)
    topic_modes = {}
    for topic_id, mode_id in ParentTopic.delivery_modes.through.objects.values_list("parenttopic_id", "deliverymode_id"):
        topic_modes.setdefault(topic_id, set()).add(mode_id)
    counts = []
    for topic in topic_list:
        ids = set()
        for need_id in topic_needs.get(topic.pk, ()):
            ids |= needs_of.get(need_id, set())
        for mode_id in topic_modes.get(topic.pk, ()):
            ids |= modes_of.get(mode_id, set())
        direct = sum(1 for pk in ids if rows.get(pk))
        counts.append(TopicCount(topic, direct, len(ids) - direct))
    total_direct = sum(1 for is_direct in rows.values() if is_direct)
    return counts, TopicCount(None, total_direct, len(rows) - total_direct)


def parent_topic_get(*, slug):
    return ParentTopic.objects.filter(slug=slug).first()


def parent_service_get(*, slug):
    """A service a parent may see, with what its parent page shows, or None. 6 queries."""
    return (
        _parent_cards(Service.objects.for_parents().filter(slug=slug)).first()
    )


def parent_saved_list(*, ids):
    """Services a parent may see with these ids, in the order given (others dropped)."""
    if not ids:
        return []
    services = {
s.pk: s for s in _parent_cards(Service.objects.for_parents().filter(pk__in=ids))}
    return [services[pk] for pk in ids if pk in services]


def urgent_help_list():
    """The curator-added lines for the urgent-help box. 1 query."""
    return list(UrgentHelp.objects.filter(is_active=True))


def language_list():
    return list(Language.objects.order_by("name"))


def parent_topic_list():
    """Every topic, in order, for the start page. 1 query."""
    return ParentTopic.objects.all()
