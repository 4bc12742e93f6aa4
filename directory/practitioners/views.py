"""Thin views: selectors read, presenters format, templates show."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
# require_safe: GET and HEAD (link checkers, uptime monitors); anything else is a 405.
from django.views.decorators.http import require_POST, require_safe

from directory.core.caching import cached_page, content_etag
from directory.practitioners.autocomplete import keyword_suggestions
from directory.search import selectors
from directory.search.record import practitioner_search, recorded
from directory.search.filters import SORT_CHOICES, STAGES
from directory.core.shortlist import ShortlistChangeForm
from directory.core.presenters import focus_explanations
from directory.practitioners.presenters.search import (
    SearchCard, active_filter_tags, error_list, filter_groups, first_step_offer, hidden_inputs, pagination,
    search_query, widening_suggestions,
)
from directory.practitioners.presenters.service import ServicePage
from directory.practitioners.presenters.shortlist import HandoutItem
from directory.core.shortlist import (
    MAX_ITEMS, NOT_FOUND, encode_ids, share_path, shortlist_apply, shortlist_read, shortlist_shown, shortlist_tidy,
    shortlist_write,
)
from directory.core.sources import FactIndex
from directory.suggestions.handling import SuggestionForm


# The kinds of content each page reads (directory/core/content.py; checked against the tables
# they read by tests/directory/core/test_content_kinds.py). Search cards show sessions.
LISTS = ("services", "reference", "places")
CARDS = ("services", "reference", "places", "whatson")


def classification_context():
    return {"levels_explained": selectors.level_list(), "focus_explained": focus_explanations()}


@require_safe
@content_etag(kinds=LISTS)
@cached_page(kinds=LISTS)
def home(request):
    """A start page: the directory grows past what one page can list, so it leads to search."""
    count = selectors.service_list_published().count()
    return render(request, "practitioners/home.html", {
        "search_url": reverse("directory:search"),
        "browse_text": f"Browse all {count} service{pluralize(count)}",
        "keyword_suggestions": keyword_suggestions(),
        **classification_context(),
    })


@require_safe
@content_etag(kinds=LISTS)
@cached_page(kinds=LISTS)
def about(request):
    return render(request, "practitioners/about.html", classification_context())


@require_safe
@recorded(practitioner_search)
@content_etag(kinds=CARDS)
@shortlist_tidy
@cached_page(kinds=CARDS)
def search(request):
    results = selectors.service_search(data=request.GET, with_counts=True)
    # The search's record (directory/search/record.py) needs the count: it is known here.
    request.search_result_count = results.count
    filterset = results.filterset
    tags = active_filter_tags(filterset, request.GET)
    counts = results.counts
    groups, levels = filter_groups(filterset, request.GET, counts=counts)
    shortlisted = set(shortlist_read(request))
    query = search_query(request.GET)
    postcode = results.postcode
    suggestions, first_steps = [], None
    if results.count == 0:
        if tags:
            suggestions = widening_suggestions(request.GET, tags, count_all=selectors.count_queries)
        # Nothing fits: the services the needs assessment names as the way into other support.
        first_steps = first_step_offer(selectors.service_list_first_steps(district=results.place), query)
    context = {
        "results": results,
        "form": filterset.form,
        "errors": error_list(filterset),
        "tags": tags,
        "groups": groups,
        "stages": STAGES,
        "stage_counts": counts.get("stage", {}),
        "cards": [
            SearchCard(service, on_list=service.pk in shortlisted, query=query, place=results.place,
                       approximate=bool(postcode and postcode.approximate))
            for service in results.page.object_list
        ],
        "query": query,
        "map_query": search_query(request.GET, leave_out=("sort", "page")),
        "suggestions": suggestions,
        "first_steps": first_steps,
        "pagination": pagination(results.page, request.GET),
        "sort_hidden": hidden_inputs(request.GET),
        "sort_choices": SORT_CHOICES,
        "shortlist_count": len(shortlisted),
        "levels_explained": levels,
        "focus_explained": focus_explanations(),
        "here": request.get_full_path(),
        "keyword_suggestions": keyword_suggestions(),
    }
    return render(request, "practitioners/search.html", context)


@require_safe
@content_etag(kinds=CARDS)
@shortlist_tidy
@cached_page(kinds=CARDS)
def service_detail(request, slug):
    service = selectors.service_get_published(slug=slug)
    if service is None:  # drafts and archived services are as absent as unknown ones
        raise Http404("No published service at this address.")
    up, down = selectors.service_stepped_care(service=service)
    # Opened from the results, the page carries the search: back leads to the same results.
    query = search_query(request.GET)
    context = {
        "back_url": reverse("directory:search") + (f"?{query}" if query else ""),
        "query": query,
        "service": service,
        "page": ServicePage(service, FactIndex.for_services([service])),
        "steps_up": [SearchCard(s, query=query) for s in up],
        "steps_down": [SearchCard(s, query=query) for s in down],
        "shortlisted": service.pk in shortlist_read(request),
        "here": request.get_full_path(),
        "suggestion_form": SuggestionForm(),
    }
    return render(request, "practitioners/service_detail.html", context)


@require_safe
@content_etag(kinds=CARDS)
@shortlist_tidy
@cached_page(kinds=CARDS)
def shortlist(request):
    """The shortlist from the cookie, or a shared one from ?services=..."""
    shared, ids = shortlist_shown(request)
    services = selectors.service_list_for_shortlist(ids=ids)
    facts = FactIndex.for_services(services)
    ids_shown = [s.pk for s in services]
    context = {
        "shared": shared,
        "items": [HandoutItem(service, facts) for service in services],
        "dropped": len(ids) - len(services),
        "share_url": request.build_absolute_uri(share_path(reverse("directory:shortlist"), ids_shown)),
        "shared_ids": encode_ids(ids_shown),
        "today": timezone.localdate(),
        "back_query": search_query(request.GET),
        "here": request.get_full_path(),
    }
    return render(request, "practitioners/shortlist.html", context)


@require_POST
@shortlist_tidy
def shortlist_update(request):
    """Add, remove, keep a shared list or clear; then back to where the person was (no JS needed)."""
    form = ShortlistChangeForm(request.POST, host=request.get_host())
    if not form.is_valid():
        return render(request, "practitioners/shortlist_error.html", {"form": form, "errors": form.errors}, status=400)
    # Only published services can be shortlisted.
    update = shortlist_apply(shortlist_read(request), cleaned=form.cleaned_data,
                             find=selectors.service_list_for_shortlist)
    if update.problem:
        message = ("That service is not in the directory." if update.problem == NOT_FOUND else
                   f"Your shortlist is full ({MAX_ITEMS} services). Remove one before adding another.")
        return render(request, "practitioners/shortlist_error.html", {"errors": {"service": [message]}}, status=400)
    name = update.name or "The service"
    messages.success(request, {
        "add": f"{name} is on your shortlist.",
        "remove": f"{name} is no longer on your shortlist.",
        "replace": "This list is now your shortlist on this device.",
        "clear": "Your shortlist is empty.",
    }[form.cleaned_data["action"]])
    response = redirect(form.cleaned_data["next"] or reverse("directory:shortlist"))
    return shortlist_write(response, update.ids)
