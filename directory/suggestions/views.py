"""Suggest a change on every public service page: the practitioners' pages here, and the steps
both share (`get_service`, `handle`, `errors_in`), which the parents' pages use too
(directory/parents/suggest.py).

Works without JavaScript: the form posts here; errors come back on a page of their own with
the visitor's words kept; success leads to a thank-you page (post/redirect/get). Nothing a
visitor sends changes a public page: it waits in the curators' queue.
"""
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from directory.models import SuggestionPage
from directory.suggestions.handling import SuggestionForm, rate_count, rate_limited, suggestion_create, suggestion_service_get

TOO_MANY = 429


def get_service(slug, *, for_parents):
    service = suggestion_service_get(slug=slug, for_parents=for_parents)
    if service is None:
        raise Http404(_("We could not find that service."))
    return service


def handle(request, service, page):
    """(form, status, redirect needed?) for a GET or POST of the suggestion form."""
    if request.method != "POST":
        return SuggestionForm(), 200, False
    form = SuggestionForm(request.POST)
    if rate_limited(request):
        form.is_valid()
        form.errors.clear()
        form.add_error(None, _(
            "You have sent a lot of suggestions in the last hour. Please wait an hour and try again."
        ))
        return form, TOO_MANY, False
    if form.is_bot():
        rate_count(request)
        return form, 200, True  # thanked like a person, nothing stored
    if not form.is_valid():
        return form, 400, False
    suggestion_create(service=service, page=page, **{k: form.cleaned_data[k] for k in
                                                      ("text", "contact_name", "contact_email")})
    rate_count(request)
    return form, 200, True


def errors_in(form):
    """[(field name or "", message)] in the order the fields appear, for the error summary."""
    errors = [("", message) for message in form.non_field_errors()]
    return errors + [(name, form.errors[name][0]) for name in ("text", "contact_name", "contact_email")
                     if name in form.errors]


@require_http_methods(["GET", "HEAD", "POST"])
def suggest_change(request, slug):
    service = get_service(slug, for_parents=False)
    form, status, done = handle(request, service, SuggestionPage.PRACTITIONERS)
    if done:
        return redirect("directory:suggest-thanks", slug=service.slug)
    return render(request, "suggestions/suggest_change.html", {
        "service": service, "form": form, "errors": errors_in(form),
        "action": reverse("directory:suggest-change", kwargs={"slug": service.slug}),
    }, status=status)


@require_safe
def suggest_thanks(request, slug):
    return render(request, "suggestions/suggest_thanks.html", {"service": get_service(slug, for_parents=False)})
