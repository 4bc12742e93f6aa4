"""Issue 26: the stepped-care lists are chosen in the database. The rule is the one the page
always had, kept here as the oracle (its Python, reading every candidate): for every published
service of the seed, with several list lengths (a length of one makes up fill first, so a
service that is both goes down), the database's choice is the oracle's."""
import pytest
from django.db.models import Q
from django.db.models.functions import Lower

from directory.models import NeedStep, Service
from directory.search.selectors import _step, service_stepped_care

pytestmark = pytest.mark.django_db


def oracle(service, limit):
    steps = {_step(level.rank) for level in service.levels.all()}
    need_ids = {need.pk for need in service.needs.all()}
    if not steps or not need_ids:
        return [], []
    higher, lower = set(), set()
    for lower_id, higher_id in NeedStep.objects.filter(Q(lower__in=need_ids) | Q(higher__in=need_ids)).values_list(
            "lower_id", "higher_id"):
        if lower_id in need_ids:
            higher.add(higher_id)
        if higher_id in need_ids:
            lower.add(lower_id)
    related = need_ids | higher | lower
    candidates = (Service.objects.published().exclude(pk=service.pk)
                  .filter(pk__in=Service.needs.through.objects.filter(need_id__in=related).values("service_id"))
                  .prefetch_related("levels", "needs").order_by(Lower("name"), "pk"))
    top, bottom = max(steps), min(steps)
    up, down = [], []
    for candidate in candidates:
        candidate_steps = {_step(level.rank) for level in candidate.levels.all()}
        candidate_needs = {need.pk for need in candidate.needs.all()}
        if not candidate_steps:
            continue
        same_need = bool(candidate_needs & need_ids)
        is_up = (same_need and top + 1 in candidate_steps) or (bool(candidate_needs & higher) and max(candidate_steps) >= top)
        is_down = (same_need and bottom - 1 in candidate_steps) or (
            bool(candidate_needs & lower) and min(candidate_steps) <= bottom)
        if is_up and len(up) < limit:
            up.append(candidate.pk)
        elif is_down and len(down) < limit:
            down.append(candidate.pk)
    return up, down


def test_the_database_chooses_what_the_rule_chooses_for_every_service():
    compared = 0
    for service in Service.objects.published().prefetch_related("levels", "needs"):
        for limit in (1, 2, 5):
            up, down = service_stepped_care(service=service, limit=limit)
            assert ([s.pk for s in up], [s.pk for s in down]) == oracle(service, limit), (service.name, limit)
            compared += bool(up or down)
    assert compared > 10  # most of the seed's services have a step either side: the lists were not all empty


def test_a_service_both_up_and_down_is_up_while_up_has_room():
    """A service a step above and a step below (universal and statutory, the same need) is
    listed up while up has room, and then never down too; with up full, it goes down."""
    from directory.models import AgeRange, Level, Need, Organisation, Status

    organisation = Organisation.objects.first()
    need = Need.objects.get(code="perinatal_mental_health_severe")
    levels = {level.code: level for level in Level.objects.all()}

    def made(name, *codes):
        service = Service.objects.create(organisation=organisation, name=name, slug=name.lower().replace(" ", "-"),
                                         status=Status.PUBLISHED, summary="For testing.", focus="specialised", age_range=AgeRange.ANY)
        service.levels.add(*(levels[code] for code in codes))
        service.needs.add(need)
        return service

    subject = made("Test subject", "targeted")
    only_up = made("Aaa test only up", "statutory")
    both = made("Aab test up and down", "universal", "statutory")
    subject = Service.objects.prefetch_related("levels", "needs").get(pk=subject.pk)
    for limit in (1, 2, 5):
        up, down = service_stepped_care(service=subject, limit=limit)
        assert ([s.pk for s in up], [s.pk for s in down]) == oracle(subject, limit), limit
    up, down = service_stepped_care(service=subject, limit=2)
    assert [s.pk for s in up][:2] == [only_up.pk, both.pk] and both.pk not in [s.pk for s in down]
    up, down = service_stepped_care(service=subject, limit=1)
    assert [s.pk for s in up] == [only_up.pk] and both.pk in [s.pk for s in down]
