"""The parents' list pages as searches (issue 22): a topic's page, or the page of every service,
with the parent's answers as its filters. Recorded by directory/search/record.py's `recorded`."""
from django.db.models import Q

from directory.models import Service
from directory.parents.forms import ParentAnswersForm
from directory.parents.selectors import _matching
from directory.search.record import PARENTS, Search, filters_text, place_pairs
from directory.search.terms import terms

ANSWERS = ("age", "postcode", "language")  # the answers a list page carries (parents.views.ANSWER_PARAMS)


def _in_topic(queryset, slug):
    """Services of the topic's needs or ways of delivery (as parents.selectors lists them),
    by the topic's slug: no query for the topic itself."""
    needs = Service.needs.through.objects.filter(need__parent_topics__slug=slug).values("service_id")
    modes = Service.delivery_modes.through.objects.filter(deliverymode__parent_topics__slug=slug).values("service_id")
    return queryset.filter(Q(pk__in=needs) | Q(pk__in=modes))


def parent_search(request, slug=None):
    """A Search for a topic page (`slug`) or the page of everything, or None for the page of
    everything without answers. Filters: age (in months, negative in pregnancy), district (from
    the postcode, never the postcode), language and topic; an answer the form refused is left
    out (a refused postcode is `postcode=not-found`). The count is the services the page lists,
    those to contact and those to ask about. Costs the postcode's lookup and the count (and the
    term lists when a language is given, which other pages have usually read already)."""
    if slug is None and not any(request.GET.get(name, "").strip() for name in ANSWERS):
        return None
    languages = terms()["language"] if request.GET.get("language") else ()
    answers = ParentAnswersForm(request.GET, languages=languages).answers()
    pairs = place_pairs(request.GET.get("postcode", ""), answers.postcode)
    if answers.age is not None:
        pairs.append(("age", answers.age))
    if answers.language is not None:
        pairs.append(("language", answers.language.code))
    if slug is not None:
        pairs.append(("topic", slug))
    if not pairs:
        return None
    services = _matching(answers)
    if slug is not None:
        services = _in_topic(services, slug)
    return Search(PARENTS, "", filters_text(pairs), services.count())
