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


@dataclass
class ParentResults:
    """What a topic page (or the page of everything) lists: `direct` a family can contact
    themselves; `ask` the rest (a professional refers, or no route is recorded yet); and
    `first_steps`, the services a source names as a first step into other support, for
    "Not sure where to start?" (whatever the topic or language: an offer that never empties)."""

    direct: list = field(default_factory=list)
    ask: list = field(default_factory=list)
    first_steps: list = field(default_factory=list)


def _order(services, answers):
    """Free first, then nearest (to the nearest venue, when a postcode was given), then by name."""
    if answers.postcode is not None and services:
        point = answers.postcode
        d2 = dict(_nearest_venues([s.pk for s in services], point.lat, point.lon))
    else:
        d2 = {}
    for service in services:
        service.distance_km = km_from_squared_degrees(d2[service.pk]) if service.pk in d2 else None
    return sorted(services, key=lambda s: (
        s.cost != Cost.FREE, s.distance_km is None, s.distance_km or 0, s.name.lower(), s.pk,
    ))


def parent_service_list(*, answers, topic=None):
    """ParentResults for the answers, in one topic or in all. 6 queries (and the distances,
    1 more, with a postcode): the first steps come in the same query as the list, which is
    the services that fit the age and postcode, narrowed by the topic and language."""
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
    services = _order(list(_parent_cards(queryset)), answers)
    shown = [s for s in services if s.listed]
    return ParentResults(direct=[s for s in shown if s.is_direct], ask=[s for s in shown if not s.is_direct],
                         first_steps=sorted((s for s in services if s.first_step), key=lambda s: (s.name.lower(), s.pk)))


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
