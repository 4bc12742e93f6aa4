"""What's on (issue 23): the parents' page of sessions for the next two weeks, calendar feeds
(.ics) per service and per what's-on question, and the knowledge-sharing events.

Thin views: reads in `selectors`, words in `presenters`, calendars in `ics`. Bad input never
raises: each answer the form cannot use gets a plain message and is left out.
"""
from datetime import date, timedelta

from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from directory.core.caching import cached_page, content_etag
from directory.core.shortlist import shortlist_read
from directory.models import Service
from directory.parents import selectors as parent_selectors
from directory.parents.forms import ParentAnswersForm
from directory.parents.presenters import urgent_help_lines
from directory.whatson import ics, selectors
from directory.whatson.forms import topic_choices
from directory.whatson.presenters import PER_DAY, event_card, whats_on_days

ANSWER_PARAMS = ("age", "postcode", "language", "topic")
QUESTION_ORDER = ["age", "postcode", "topic", "language"]  # as the page asks them: the error summary follows it


# The kinds of content each page reads (directory/core/content.py; checked against the tables
# they read by tests/directory/core/test_content_kinds.py): sessions and events, their services,
# and for the parents' listing the topics and the place asked about.
LISTING = ("whatson", "services", "reference", "places")
EVENTS = ("whatson", "services")


def _query(data, *, without=()):
    query = QueryDict(mutable=True)
    for name in ANSWER_PARAMS:
        if name not in without and data.get(name):
            query[name] = data[name]
    return query.urlencode()


def _answers(request):
    """(form, answers, topic or None, errors) from the query string."""
    form = ParentAnswersForm(request.GET, languages=parent_selectors.language_list())
    answers = form.answers()
    topics = list(parent_selectors.parent_topic_list())
    topic = next((t for t in topics if t.slug == request.GET.get("topic")), None)
    errors = [(name, form.errors[name][0]) for name in form.fields if name in form.errors]
    if request.GET.get("topic") and topic is None:
        errors.append(("topic", _("Please choose a topic from the list.")))
    errors.sort(key=lambda error: QUESTION_ORDER.index(error[0]) if error[0] in QUESTION_ORDER else len(QUESTION_ORDER))
    return form, answers, topics, topic, errors


def _topic_q(topic):
    return parent_selectors.topic_q(topic) if topic is not None else None


@require_safe
@content_etag(kinds=LISTING)
@cached_page(kinds=LISTING)
def whats_on(request):
    """Sessions a parent can go to, day by day for the next two weeks."""
    form, answers, topics, topic, errors = _answers(request)
    today = timezone.localdate()
    # ?day= shows one day of the fortnight in full (a day's list is cut at PER_DAY otherwise).
    day = _one_day(request.GET.get("day"), today)
    found = selectors.whats_on(age=answers.age, postcode=answers.postcode, language=answers.language,
                               topic_q=_topic_q(topic), start=day or today,
                               days=1 if day else selectors.FORTNIGHT)
    query = _query(request.GET, without=[name for name, _message in errors])
    service_query = f"?{query}&from=all" if query else "?from=all"
    return render(request, "whatson/whats_on.html", {
        "urgent_help": urgent_help_lines(parent_selectors.urgent_help_list()),
        "form": form, "errors": errors, "topics": topic_choices(topics), "topic": topic, "one_day": day,
        "fortnight_url": reverse("whatson:whats-on") + (f"?{query}" if query else ""),
        "day_query": f"?{query}&day=" if query else "?day=",
        "whats_on": found, "days": whats_on_days(found, service_query=service_query, per_day=None if day else PER_DAY),
        "calendar_url": reverse("whatson:whats-on-ics") + (f"?{query}" if query else ""),
        "saved_count": len(shortlist_read(request)),
    })


def _one_day(value, today):
    """The day asked for, if it is a date in the coming fortnight; else None (the fortnight)."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if today <= day < today + timedelta(days=selectors.FORTNIGHT) else None


def _ics_response(body, filename):
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@content_etag(kinds=LISTING)
def whats_on_ics(request):
    """The what's-on question as a calendar to subscribe to: 13 weeks ahead (postcode orders
    the page; a calendar is in date order, so it is not needed here)."""
    form, answers, topics, topic, errors = _answers(request)
    sessions = list(selectors.whats_on_sessions_queryset(age=answers.age, language=answers.language,
                                                         topic_q=_topic_q(topic)))
    name = _("What's on for you and your baby")
    if topic is not None:
        name = f"{name}: {topic.name}"
    body = ics.sessions_calendar(
        name=name, description=_("Groups and sessions in Birmingham, from the parent-infant support directory."),
        occurrences=selectors.calendar_occurrences(sessions=sessions),
        host=request.get_host(), absolute=request.build_absolute_uri,
        service_path=lambda service: reverse("parents:service", kwargs={"slug": service.slug}))
    return _ics_response(body, "whats-on.ics")


@require_safe
@content_etag(kinds=EVENTS)
def service_ics(request, slug):
    """One published service's sessions as a calendar (practitioners see professionals-only
    services too, so any published one has a calendar). A draft or archived service is as
    absent as an unknown one."""
    service = Service.objects.published().filter(slug=slug).only("pk", "name", "slug").first()
    if service is None:
        raise Http404("We could not find that service.")
    sessions = list(selectors.public_service_sessions_queryset(service=service))
    body = ics.sessions_calendar(
        name=service.name, description=f"Regular sessions of {service.name}",
        occurrences=selectors.calendar_occurrences(sessions=sessions),
        host=request.get_host(), absolute=request.build_absolute_uri)
    return _ics_response(body, f"{slugify(service.slug)}.ics")


# --- Knowledge-sharing events ---------------------------------------------------------------

@require_safe
@content_etag(kinds=EVENTS)
@cached_page(kinds=EVENTS)
def events(request):
    upcoming, past = selectors.event_lists()
    return render(request, "whatson/events.html", {
        "upcoming": [event_card(e) for e in upcoming], "past": [event_card(e) for e in past],
    })


@require_safe
@content_etag(kinds=EVENTS)
@cached_page(kinds=EVENTS)
def event(request, slug):
    found = selectors.event_get(slug=slug)
    if found is None:
        raise Http404("We could not find that event.")
    return render(request, "whatson/event.html", {"event": event_card(found), "now": timezone.now()})


@require_safe
@content_etag(kinds=EVENTS)
def events_ics(request):
    body = ics.events_calendar(
        name="Knowledge-sharing events (IMHSG)",
        description="Coffee mornings, lunch bites and other events where Birmingham services share their offer.",
        events=selectors.all_public_events(), host=request.get_host(), absolute=request.build_absolute_uri)
    return _ics_response(body, "knowledge-sharing-events.ics")

