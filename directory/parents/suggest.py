"""Suggest a change from a parents' service page, in the parents' words and layout. The steps are
the suggestions package's (directory/suggestions/views.py)."""
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from directory.models import SuggestionPage
from directory.parents.views import _render as parent_render
from directory.suggestions.views import errors_in, get_service, handle


@require_http_methods(["GET", "HEAD", "POST"])
def parent_suggest_change(request, slug):
    service = get_service(slug, for_parents=True)
    form, status, done = handle(request, service, SuggestionPage.PARENTS)
    if done:
        return redirect("parents:suggest-thanks", slug=service.slug)
    return parent_render(request, "parents/suggest_change.html", {
        "service": service, "form": form, "suggestion_errors": errors_in(form),
        "action": reverse("parents:suggest-change", kwargs={"slug": service.slug}),
    }, status=status)


@require_safe
def parent_suggest_thanks(request, slug):
    return parent_render(request, "parents/suggest_thanks.html", {"service": get_service(slug, for_parents=True)})
