"""The parents' view (issue 9): two questions, then warm, plain answers about the same
services practitioners see. Thin views: selectors_parents reads, presenters.parents words.

Every page carries the urgent-help box (999, NHS 111 and the curators' lines).
"""
import dataclasses
import re

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from directory.core.caching import cached_page, content_etag
from directory.parents import selectors as selectors_parents
from directory.core.shortlist import ShortlistChangeForm
from directory.parents.forms import ParentAnswersForm
from directory.parents.record import parent_search
from directory.search.record import recorded
from directory.parents.presenters import ParentCard, answer_age_text, urgent_help_lines
from directory.core.sources import FactIndex
from directory.suggestions.handling import SuggestionForm
from directory.core.shortlist import (
    NOT_FOUND, encode_ids, share_path, shortlist_apply, shortlist_read, shortlist_shown, shortlist_write,
)

ANSWER_PARAMS = ("age", "postcode", "language")


# The kinds of content each page reads (directory/core/content.py; checked against the tables
# they read by tests/directory/core/test_content_kinds.py): the start page is curators' words
# and topics alone; lists add services and places; a service page (and saved ones) sessions.
WORDS = ("reference",)
LISTS = ("services", "reference", "places")
CARDS = ("services", "reference", "places", "whatson")


def _answers_query(data, *, without=()):
    """The answers part of the query string, to carry from page to page."""
    query = QueryDict(mutable=True)
    for name in ANSWER_PARAMS:
        if name not in without and data.get(name):
            query[name] = data[name]
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else ""


def _service_query(data, *, without=(), came_from):
    answers = _answers_query(data, without=without)
    return f"{answers}&from={came_from}" if answers else f"?from={came_from}"


def _back_link(data):
    """(url, words) back to the list the parent came from, with their answers; the start page
    when the page was opened some other way. `from` only ever names a list we link to (a topic
    that exists, or "all"), so it cannot send anyone elsewhere."""
    came_from = data.get("from", "")
    answers = _answers_query(data)
    if came_from == "all":
        return reverse("parents:everything") + answers, _("Back to your list")
    if came_from and re.fullmatch(r"[-a-z0-9]{1,120}", came_from) and selectors_parents.parent_topic_get(slug=came_from):
        return reverse("parents:topic", kwargs={"slug": came_from}) + answers, _("Back to your list")
    return reverse("parents:start"), _("Support for you and your baby")


def _page_number(value):
    """A list's page asked for in the address: a whole number from 1, else the first page
    (a page past the last shows the last: parent_service_list)."""
    return int(value) if value and value.isdigit() and 0 < len(value) < 7 and int(value) > 0 else 1


def _group_pages(data, results, group, *, anchor):
    """Where one group of a parents' list is (its cards from-to of the total) and links to its
    previous and next pages, keeping every other answer and the other group's page."""
    total = getattr(results, f"{group}_total")
    number = getattr(results, f"{group}_page")
    last = results.pages(group)
    if last <= 1:
        return None

    def link(page):
        query = data.copy()
        query[f"{group}_page"] = str(page)
        return f"?{query.urlencode()}#{anchor}"

    first = (number - 1) * results.per_page + 1
    return {
        "first": first, "last": min(number * results.per_page, total), "total": total,
        "previous": link(number - 1) if number > 1 else "", "next": link(number + 1) if number < last else "",
        "number": number, "pages": last,
    }


def _render(request, template, context, *, form=None, status=200):
    errors = [(name, form.errors[name][0]) for name in form.fields if name in form.errors] if form else []
    saved = shortlist_read(request)
    return render(request, template, {
        "urgent_help": urgent_help_lines(selectors_parents.urgent_help_list()),
        "errors": errors,
        "saved_count": len(saved),
        "saved_ids": set(saved),
        "here": request.get_full_path(),
        **context,
    }, status=status)


def _answers_text(answers):
    parts = []
    if answers.age is not None:
        parts.append(answer_age_text(answers.age))
    if answers.postcode is not None:
        parts.append(_("near %(postcode)s") % {"postcode": answers.postcode.postcode})
    if answers.language is not None:
        parts.append(_("in %(language)s") % {"language": answers.language.name})
    return ", ".join(parts)


@require_safe
@content_etag(kinds=WORDS)
@cached_page(kinds=WORDS)
def start(request):
    """The two questions, and every topic for those who would rather look around."""
    form = ParentAnswersForm()
    return _render(request, "parents/start.html", {
        "form": form, "topics": list(selectors_parents.parent_topic_list()),
    })


@require_safe
@content_etag(kinds=LISTS)
@cached_page(kinds=LISTS)
def support(request):
    """After the two questions: the topics, with how many services fit the answers."""
    form = ParentAnswersForm(request.GET)
    answers = form.answers()
    counts, total = selectors_parents.parent_topic_counts(answers=answers)
    return _render(request, "parents/support.html", {
        "form": form, "counts": counts, "total": total, "answers_text": _answers_text(answers),
        "query": _answers_query(form.data, without=[name for name in form.errors]),
    }, form=form)


def _list_page(request, *, topic):
    form = ParentAnswersForm(request.GET, languages=selectors_parents.language_list())
    answers = form.answers()
    pages = {"direct_page": _page_number(request.GET.get("direct_page")),
             "ask_page": _page_number(request.GET.get("ask_page"))}
    results = selectors_parents.parent_service_list(answers=answers, topic=topic, **pages)
    # A language no service here is known to offer: show everything for the other answers, with
    # an honest note, rather than an empty page (issue 22).
    language_missing = None
    if answers.language is not None and not (results.direct or results.ask):
        language_missing = answers.language
        answers = dataclasses.replace(answers, language=None)
        results = selectors_parents.parent_service_list(answers=answers, topic=topic, **pages)
    saved = set(shortlist_read(request))
    return _render(request, "parents/topic.html", {
        "form": form,
        "topic": topic,
        "answers_text": _answers_text(answers),
        "language": language_missing or answers.language,
        "language_missing": language_missing,
        "direct": [ParentCard(s, on_list=s.pk in saved) for s in results.direct],
        "ask": [ParentCard(s, on_list=s.pk in saved) for s in results.ask],
        "first_steps": [ParentCard(s) for s in results.first_steps],
        "direct_total": results.direct_total,
        "ask_total": results.ask_total,
        "direct_pages": _group_pages(request.GET, results, "direct", anchor="yourself"),
        "ask_pages": _group_pages(request.GET, results, "ask", anchor="ask"),
        "query": _answers_query(form.data, without=[name for name in form.errors]),
        # Service pages keep the answers and where the parent came from, for their back link.
        "service_query": _service_query(form.data, without=[name for name in form.errors],
                                        came_from=topic.slug if topic else "all"),
        "support_url": reverse("parents:support") + _answers_query(form.data, without=["language", *form.errors]),
    }, form=form)


@require_safe
@recorded(parent_search)
@content_etag(kinds=LISTS)
@cached_page(kinds=LISTS)
def topic(request, slug):
    topic = selectors_parents.parent_topic_get(slug=slug)
    if topic is None:
        raise Http404(_("We could not find that topic."))
    return _list_page(request, topic=topic)


@require_safe
@recorded(parent_search)
@content_etag(kinds=LISTS)
@cached_page(kinds=LISTS)
def everything(request):
    return _list_page(request, topic=None)


@require_safe
@content_etag(kinds=CARDS)
@cached_page(kinds=CARDS)
def service(request, slug):
    found = selectors_parents.parent_service_get(slug=slug)
    if found is None:  # drafts, archived and professionals-only services are as absent as unknown ones
        raise Http404(_("We could not find that service."))
    back_url, back_text = _back_link(request.GET)
    return _render(request, "parents/service.html", {
        "back_url": back_url,
        "back_text": back_text,
        "card": ParentCard(found, on_list=found.pk in shortlist_read(request), facts=FactIndex.for_services([found])),
        "suggestion_form": SuggestionForm(),
    })


@require_safe
@content_etag(kinds=CARDS)
@cached_page(kinds=CARDS)
def saved(request):
    """The parent's saved list from the cookie, or a list sent to them (?services=...)."""
    shared, ids = shortlist_shown(request)
    services = selectors_parents.parent_saved_list(ids=ids)
    facts = FactIndex.for_services(services)
    ids_shown = [s.pk for s in services]
    return _render(request, "parents/saved.html", {
        "shared": shared,
        "cards": [ParentCard(s, on_list=not shared, facts=facts) for s in services],
        "share_url": request.build_absolute_uri(share_path(reverse("parents:saved"), ids_shown)),
        "share_ids": encode_ids(ids_shown),
        "today": timezone.localdate(),
    })


@require_POST
def saved_change(request):
    """Save, unsave, keep a list that was sent, or clear: the same cookie and the same rules as
    the practitioner's shortlist (directory/core/shortlist.py), in a parent's words."""
    form = ShortlistChangeForm(request.POST, host=request.get_host())
    if not form.is_valid():
        return _render(request, "parents/saved_error.html", {
            "message": _("Sorry, that did not work. Please go back and try again.")}, status=400)
    update = shortlist_apply(shortlist_read(request), cleaned=form.cleaned_data,
                             find=selectors_parents.parent_saved_list)
    if update.problem:
        message = (_("Sorry, we could not find that service.") if update.problem == NOT_FOUND else
                   _("Your list is full. Please take one off before you save another."))
        return _render(request, "parents/saved_error.html", {"message": message}, status=400)
    messages.success(request, {
        "add": _("%(name)s is saved on your list.") % {"name": update.name},
        "remove": _("%(name)s is off your list.") % {"name": update.name or _("The service")},
        "replace": _("This list is now saved on this phone or computer."),
        "clear": _("Your list is empty."),
    }[form.cleaned_data["action"]])
    response = redirect(form.cleaned_data["next"] or reverse("parents:saved"))
    return shortlist_write(response, update.ids)
