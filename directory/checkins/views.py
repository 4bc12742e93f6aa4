"""The check-in page (issue 20): /check/<token>/, a service's personal link to check its entry.

No account and no two-factor: the unguessable token is the key (directory/checkins/tokens.py).
So every response here is private and never stored (Cache-Control: no-store), never lets the
token out in a Referer (the token is in the address), and is never put in the page cache.

Referrer-Policy: `no-referrer` on the pages without a form (thanks, problems). The form's page
says `strict-origin` instead: under `no-referrer` a browser sends `Origin: null` with the form's
POST, which Django's CSRF check rightly refuses; `strict-origin` sends only the site's origin
(never the path, so never the token), and nothing over plain http. A forged,
malformed, unknown, expired or revoked token raises the same Http404 as any unknown address.
"""
from django.conf import settings
from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from directory.checkins.forms import CheckInForm
from directory.checkins.readability import reading_ease, reading_ease_words
from directory.checkins.submission import checkin_submit
from directory.checkins.tokens import invitation_for
from directory.models import CheckInInvitation, Status
from directory.whatson.rules import Terms, next_date, session_words

# The largest POST the page reads: every box full is about 60 KB; anything bigger is refused
# before it is parsed.
MAX_POST_BYTES = 128 * 1024
RATE_WINDOW_SECONDS = 60 * 60


def _private(response, referrer_policy="no-referrer"):
    patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
    response["Referrer-Policy"] = referrer_policy
    return response


def _invitation(token):
    """The usable invitation, or the site's plain 404 (which says nothing about why)."""
    invitation = invitation_for(token)
    if invitation is None or invitation.service.status == Status.ARCHIVED:
        raise Http404
    return invitation


def _rate_key(invitation):
    return f"checkins:{invitation.token_hash}"


def rate_limited(invitation):
    return (cache.get(_rate_key(invitation)) or 0) >= settings.CHECKIN_SUBMISSIONS_PER_HOUR


def rate_count(invitation):
    key = _rate_key(invitation)
    if not cache.add(key, 1, RATE_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, RATE_WINDOW_SECONDS)


def _problem(request, status, title, text):
    return _private(TemplateResponse(request, "checkins/problem.html", {"title": title, "text": text}, status=status))


@csrf_exempt  # checked in _page, after the size and the token: a huge or forged POST is never parsed
def check_view(request, token):
    invitation = _invitation(token)
    if request.method == "POST":
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = MAX_POST_BYTES + 1
        if size > MAX_POST_BYTES:
            return _problem(request, 413, "Too much to send at once",
                            "Your answers are longer than this page accepts. Shorten the longest ones and send again.")
        if rate_limited(invitation):
            return _problem(request, 429, "Please wait before sending again",
                            "This link has been used to send answers several times in the last hour. Please wait "
                            "an hour and try again, or reply to the e-mail that gave you this link.")
        rate_count(invitation)
    response = _page(request, invitation)
    return _private(response, "strict-origin" if response.status_code == 200 else "no-referrer")


@csrf_protect
def _page(request, invitation):
    service = invitation.service
    prefetch_related_objects([service], "languages", "delivery_modes")
    routes = list(service.referral_routes.all())
    placements = list(service.service_at_locations.select_related("venue").order_by("venue__name"))
    parts = {"service": service, "routes": routes, "placements": placements, "sessions": current_sessions(service)}
    if request.method == "POST":
        form = CheckInForm(request.POST, **parts)
        if form.is_valid():
            checkin_submit(invitation=invitation, form=form)
            return redirect("checkins:thanks", token=request.resolver_match.kwargs["token"])
    else:
        if invitation.opened_at is None:
            CheckInInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=timezone.now())
        form = CheckInForm(**parts)
    score = reading_ease(form["parent_description-new"].value() or "")
    context = {
        "invitation": invitation, "service": service, "form": form, "errors": error_summary(form),
        "groups": form.groups(), "venue_items": form.venue_items(), "missing_items": form.missing_items(),
        "description": form.parent_description_item(), "has_routes": bool(routes),
        "reading_ease": score, "reading_ease_words": reading_ease_words(score),
        "sessions": form.session_rows(), "new_session": form.new_session_inputs(),
        "venue_slots": [[form[f"venue{slot}_{part}"] for part in ("name", "address", "postcode", "free", "step_free")]
                        for slot in range(2)],
    }
    return TemplateResponse(request, "checkins/check.html", context)


def current_sessions(service):
    """[(session, its words)] for the service's published sessions, as the what's-on page says
    them ("Tuesdays 10:00 to 11:30, term time only, next: 8 December"): 1 query, 3 when it has any."""
    sessions = list(service.sessions.filter(status=Status.PUBLISHED).select_related("place__venue")
                    .prefetch_related("exceptions").order_by("opens_at", "id"))
    if not sessions:
        return []
    terms, today = Terms(), timezone.localdate()
    return [(session, session_words(session, next_occurrence=next_date(session, terms, today)))
            for session in sessions]


def error_summary(form):
    """[(anchor, message)] for the error summary at the top of the page, in the page's order.
    A box inside a fact is named by the fact ("Email: Enter a valid email address.")."""
    if not form.is_bound or not form.errors:
        return []
    names = {}
    for item in form.items:
        title = item.label if item.group in ("About the service", "Who it is for", "Contact", "Venues",
                                             "Description for parents") else f"{item.group}, {item.label}"
        names.update({name: title for name in item.field_names})
    names.update(form.session_titles())
    rows = [("#facts", message) for message in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name == "__all__":
            continue
        field = form[name]
        anchor = field.auto_id + ("_0" if field.widget_type in ("radioselect", "checkboxselectmultiple") else "")
        message, label = errors[0], names.get(name, str(field.label))
        rows.append((f"#{anchor}", message if message.startswith(label.split(",")[-1].strip())
                     else f"{label}: {message}"))
    return rows


def thanks_view(request, token):
    invitation = _invitation(token)
    if invitation.answered_at is None:
        raise Http404
    return _private(TemplateResponse(request, "checkins/thanks.html", {"invitation": invitation,
                                                                       "service": invitation.service}))
