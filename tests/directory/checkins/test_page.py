"""The check-in page (issue 20): /check/<token>/, opened by a service from its personal link."""
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from directory.checkins.tokens import create_invitation, revoke
from directory.curation import moderation
from directory.models import (ChangeStatus, CheckInInvitation, Fact, PendingChange, ReferralRoute, SelfAudit,
                              Service, ServiceAtLocation, Status, Venue)
from tests.directory.checkins.conftest import page_data

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data)


# --- Opening the link -------------------------------------------------------------------------

def test_it_shows_every_public_fact_with_still_right_or_change(client, check_url, acacia):
    response = client.get(check_url)
    assert response.status_code == 200
    html = response.content.decode()
    for words in (acacia.summary, acacia.phone, "Acacia Family Support", "From pregnancy to 2 years",
                  acacia.referral_routes.first().acceptance_criteria, "Still right", "Change this"):
        assert words in html
    assert 'name="phone-check"' in html and 'name="phone-new"' in html
    # What is missing: Acacia lists no opening times, languages or email yet.
    missing = html[html.index('id="missing"'):html.index('id="audit"')]
    assert 'name="schedule-new"' in missing and 'name="languages-new"' in missing and 'name="email-new"' in missing


def test_its_pages_are_private_never_cached_and_never_send_the_token_on(client, check_url):
    response = client.get(check_url)
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control
    # Only the origin, never the path: `no-referrer` would make the form's POST say `Origin: null`,
    # which the CSRF check refuses (tests/browser/test_checkin_page.py posts it for real).
    assert response["Referrer-Policy"] == "strict-origin"
    assert '<meta name="referrer" content="strict-origin">' in response.content.decode()
    assert "ETag" not in response


def test_the_token_is_only_in_the_forms_action(client, check_url, invitation_and_token):
    token = invitation_and_token[1]
    html = client.get(check_url).content.decode()
    assert html.count(token) == 1
    assert f'action="{check_url}"' in html


def test_the_first_opening_is_recorded_once(client, check_url, invitation):
    assert invitation.opened_at is None
    client.get(check_url)
    invitation.refresh_from_db()
    first = invitation.opened_at
    assert first is not None
    client.get(check_url)
    invitation.refresh_from_db()
    assert invitation.opened_at == first


def _not_found_body(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    return response.content


@pytest.mark.parametrize("make_url", [
    lambda token, other: "/check/not-a-token/",
    lambda token, other: "/check/" + "A" * 43 + "/",                     # the right shape, unknown
    lambda token, other: "/check/" + token[:-1] + ("A" if token[-1] != "A" else "B") + "/",  # one letter off
    lambda token, other: "/check/" + token + "x/",                      # too long
    lambda token, other: "/check/" + token + "/thanks/",                # not answered yet
], ids=["malformed", "unknown", "forged", "too-long", "thanks-before-answering"])
def test_a_bad_link_gets_the_same_404_as_any_unknown_address(client, invitation_and_token, make_url):
    body = _not_found_body(client)
    response = client.get(make_url(invitation_and_token[1], None))
    assert response.status_code == 404
    assert response.content == body


def test_expired_revoked_and_archived_links_get_the_same_404(client, acacia, invitation_and_token, imhsg_editor):
    body = _not_found_body(client)
    invitation, token = invitation_and_token
    CheckInInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/check/{token}/").content == body
    revoked, revoked_token = create_invitation(service=acacia, name="Pat", email="pat@example.org")
    revoke(invitations=CheckInInvitation.objects.filter(pk=revoked.pk), revoked_by=imhsg_editor)
    response = client.post(f"/check/{revoked_token}/", {"phone-check": "right"})
    assert (response.status_code, response.content) == (404, body)
    archived = Service.objects.get(slug="acacia")
    _, live_token = create_invitation(service=archived, name="Pat", email="pat@example.org")
    Service.objects.filter(pk=archived.pk).update(status=Status.ARCHIVED)
    assert client.get(f"/check/{live_token}/").content == body
    assert not Fact.objects.filter(checked_by_service_on__isnull=False).exists()


def test_the_page_runs_a_fixed_number_of_queries(client, check_url, django_assert_num_queries):
    client.get(check_url)  # the first opening writes opened_at
    # The invitation with its service, the service's languages and delivery modes, its routes,
    # its venues, its published sessions (issue 23: none here, so no terms are read), and every
    # language and delivery mode to choose from. Not one per fact.
    with django_assert_num_queries(8):
        assert client.get(check_url).status_code == 200


# --- Submitting ------------------------------------------------------------------------------

def test_a_submission_makes_one_proposal_checks_facts_and_keeps_the_audit(client, check_url, acacia, invitation):
    data = page_data(acacia, **{
        "phone-check": "right", "url-check": "right", "summary-check": "right",
        "eligibility-check": "change", "eligibility-new": "Parents of babies under two, and parents-to-be",
        "accepts_under_twos": "yes", "accepts_pregnancy": "yes", "who_can_refer": ["professional"],
        "wants_advice": "yes", "answered_by": "Pat Example",
    })
    response = post(client, check_url, data)
    assert response.status_code == 302 and response["Location"] == f"{check_url}thanks/"
    change = PendingChange.objects.get(invitation=invitation)
    assert change.submitted_by is None and change.status == ChangeStatus.PENDING
    assert change.changes == {"service": {"eligibility_description": {
        "base": "One or both parents", "new": "Parents of babies under two, and parents-to-be"}}}
    assert change.proposed_by == "Pat Example for the service (check-in)"
    today = timezone.localdate()
    checked = Fact.objects.filter(service=acacia, checked_by_service_on=today).values_list("field", flat=True)
    assert sorted(checked) == ["phone", "url"]
    assert not Fact.objects.filter(service=acacia, field="eligibility", checked_by_service_on__isnull=False).exists()
    audit = SelfAudit.objects.get(service=acacia)
    assert audit.pending_change == change and audit.invitation == invitation and audit.answered_by == "Pat Example"
    assert audit.answers["accepts_under_twos"] == "yes"
    assert audit.answers["eligibility"] == "Parents of babies under two, and parents-to-be"
    assert audit.wants_advice and audit.no_self_referral and not audit.excludes_under_twos
    assert sorted(audit.facts_still_right) == ["service.phone", "service.summary", "service.url"]
    invitation.refresh_from_db()
    assert invitation.answered_at is not None
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and b"checks any changes you sent" in thanks.content
    assert thanks["Referrer-Policy"] == "no-referrer" and "no-store" in thanks["Cache-Control"]


def test_a_fact_with_no_source_gets_the_providers_when_checked(client, check_url, acacia):
    Fact.objects.filter(service=acacia, field="cost").delete()
    post(client, check_url, page_data(acacia, **{"cost-check": "right"}))
    fact = Fact.objects.get(service=acacia, field="cost")
    assert fact.kind == "provider" and fact.checked_by_service_on == timezone.localdate() and fact.confirmed_on is None


def test_a_second_submission_replaces_the_first_waiting_one(client, check_url, acacia, invitation):
    post(client, check_url, page_data(acacia, **{"phone-check": "change", "phone-new": "0121 000 0000"}))
    post(client, check_url, page_data(acacia, **{"phone-check": "change", "phone-new": "0121 000 0001"}))
    changes = PendingChange.objects.filter(invitation=invitation).order_by("submitted_at", "pk")
    assert [c.status for c in changes] == [ChangeStatus.SUPERSEDED, ChangeStatus.PENDING]
    assert changes[1].changes["service"]["phone"]["new"] == "0121 000 0001"
    assert SelfAudit.objects.filter(invitation=invitation).count() == 2


def test_an_empty_submission_is_refused_and_changes_nothing(client, check_url, acacia):
    response = post(client, check_url, page_data(acacia))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "Nothing was sent" in html
    assert html.startswith("<!DOCTYPE html>") and "<title>Error: " in html
    assert not PendingChange.objects.filter(service=acacia).exists() and not SelfAudit.objects.exists()


def test_still_right_with_a_changed_box_is_a_clear_error(client, check_url, acacia):
    response = post(client, check_url, page_data(acacia, **{"phone-check": "right", "phone-new": "0121 999"}))
    assert "you chose &#x27;Still right&#x27; but changed the answer" in response.content.decode()
    assert not Fact.objects.filter(checked_by_service_on__isnull=False).exists()


def test_a_changed_box_without_a_choice_counts_as_a_change(client, check_url, acacia, invitation):
    """Without JavaScript the box is always there; someone may type without choosing."""
    post(client, check_url, page_data(acacia, **{"phone-new": "0121 000 0002"}))
    assert PendingChange.objects.get(invitation=invitation).changes["service"]["phone"]["new"] == "0121 000 0002"


def test_bad_values_are_refused_with_the_error_summary(client, check_url, acacia):
    response = post(client, check_url, page_data(acacia, **{
        "email-new": "not an email", "ages-check": "change", "ages-from": "12", "ages-to": "",
        "url-check": "change", "url-new": "javascript:alert(1)"}))
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "give both the youngest and the oldest age" in html
    assert '<a href="#id_email-new">Email: Enter a valid email address.</a>' in html
    assert not PendingChange.objects.exists()


def test_every_text_box_is_capped(client, check_url, acacia):
    response = post(client, check_url, page_data(acacia, **{"barriers_known": "x" * 2001}))
    assert "at most 2000 characters" in response.content.decode()
    assert not SelfAudit.objects.exists()


def test_a_huge_post_is_refused_before_it_is_read(client, check_url):
    response = client.post(check_url, {"barriers_known": "x" * 200_000})
    assert response.status_code == 413
    assert not SelfAudit.objects.exists()


def test_the_form_needs_its_csrf_token(check_url, acacia):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(check_url, page_data(acacia, **{"phone-check": "right"}))
    assert response.status_code == 403
    assert not Fact.objects.filter(checked_by_service_on__isnull=False).exists()


@override_settings(CHECKIN_SUBMISSIONS_PER_HOUR=2)
def test_submissions_are_rate_limited_per_link(client, check_url, acacia, invitation):
    for _ in range(2):
        post(client, check_url, page_data(acacia, **{"accepts_pregnancy": "yes"}))
    response = post(client, check_url, page_data(acacia, **{"accepts_pregnancy": "no"}))
    assert response.status_code == 429
    assert b"Please wait" in response.content and response["Referrer-Policy"] == "no-referrer"
    assert SelfAudit.objects.filter(invitation=invitation).count() == 2
    # Another service's link is counted on its own.
    other = Service.objects.get(slug="neonatal-unit-psychological-support")
    _, token = create_invitation(service=other, name="Sam", email="sam@example.org")
    assert post(client, f"/check/{token}/", page_data(other, **{"accepts_pregnancy": "yes"})).status_code == 302


def test_forged_ids_of_another_services_records_change_nothing(client, check_url, acacia):
    other = Service.objects.exclude(pk=acacia.pk).filter(referral_routes__isnull=False).first()
    route = other.referral_routes.first()
    venue = Venue.objects.exclude(service_at_locations__service=acacia).first()
    placement = ServiceAtLocation.objects.exclude(service=acacia).first()
    data = page_data(acacia, **{
        f"route{route.pk}-criteria-check": "change", f"route{route.pk}-criteria-new": "Everyone",
        f"venue{placement.pk}-check": "change", f"venue{placement.pk}-note": "Closed",
        "service_id": str(other.pk), f"route{route.pk}-contact-new": "x",
    })
    data["service"] = str(other.pk)
    response = post(client, check_url, data)
    assert response.status_code == 200 and b"Nothing was sent" in response.content
    assert not PendingChange.objects.exists()
    route.refresh_from_db()
    assert route.acceptance_criteria != "Everyone" and venue is not None


# --- New routes and venues --------------------------------------------------------------------

def test_a_new_venue_with_an_unknown_postcode_is_refused(client, check_url, acacia):
    response = post(client, check_url, page_data(acacia, **{
        "venue0_name": "Hall", "venue0_address": "1 Road", "venue0_postcode": "ZZ9 9ZZ"}))
    assert "we do not know the postcode" in response.content.decode()
    assert not PendingChange.objects.exists() and not SelfAudit.objects.exists()


def test_approval_applies_the_changes_a_new_route_and_a_new_venue(client, check_url, acacia, invitation,
                                                                   imhsg_editor):
    post(client, check_url, page_data(acacia, **{
        "schedule-new": "Tuesdays 10am to 12 noon",
        "newroute_referrer": "self", "newroute_method": "phone", "newroute_how_to_refer": "Ring us.",
        "venue0_name": "Checkin Test Hall", "venue0_address": "1 Test Road", "venue0_postcode": "b8 1aa",
        "venue0_free": "yes", "venue0_step_free": "not_sure", "uses_community_venues": "yes"}))
    change = PendingChange.objects.get(invitation=invitation)
    found = moderation.review(change)
    assert ("New venue", "Name", "(none)", "Checkin Test Hall") in found.rows
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    acacia.refresh_from_db()
    assert acacia.schedule_description == "Tuesdays 10am to 12 noon"
    assert acacia.referral_routes.filter(referrer="self", method="phone", how_to_refer="Ring us.").exists()
    venue = Venue.objects.get(name="Checkin Test Hall")
    assert venue.postcode == "B8 1AA" and venue.lat is not None
    assert venue.accessibility == ("Step-free access: not sure (the service says)\n"
                                   "Free for families to use: yes (the service says)")
    assert ServiceAtLocation.objects.filter(service=acacia, venue=venue).exists()
    audit = SelfAudit.objects.get(invitation=invitation)
    assert audit.answers["venues"][0]["step_free"] == "not_sure" and not audit.no_community_venue


def test_a_new_route_needs_who_can_refer(client, check_url, acacia):
    response = post(client, check_url, page_data(acacia, **{"newroute_how_to_refer": "Ring us."}))
    assert "Choose who can refer for the new way in" in response.content.decode()
    assert ReferralRoute.objects.filter(service=acacia).count() == 1


# --- Moderation and the public pages -----------------------------------------------------------

def test_rejecting_emails_the_service_the_reason(client, check_url, acacia, invitation, imhsg_editor):
    post(client, check_url, page_data(acacia, **{"phone-check": "change", "phone-new": "0121 000 0003"}))
    change = PendingChange.objects.get(invitation=invitation)
    client.force_login(imhsg_editor)
    response = client.get(f"/admin/directory/service/{acacia.pk}/changes/{change.pk}/")
    assert response.status_code == 200
    assert b"Pat Example for the service (check-in)" in response.content
    response = client.post(f"/admin/directory/service/{acacia.pk}/changes/{change.pk}/",
                           {"_reject": "1", "reason": "That number is the head office's."})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat@example.org"]
    assert "That number is the head office's." in message.body and "Acacia" in message.subject
    assert "127.0.0.1" not in message.body or "http://127.0.0.1:8000" in message.body  # SITE_URL as configured


def test_the_moderation_queue_names_the_service(client, check_url, acacia, imhsg_editor):
    post(client, check_url, page_data(acacia, **{"phone-new": "0121 000 0004"}))
    client.force_login(imhsg_editor)
    response = client.get("/admin/directory/pendingchange/")
    assert b"Pat Example for the service (check-in)" in response.content
    assert client.get("/admin/directory/pendingchange/?q=Pat").status_code == 200
    response = client.get(f"/admin/directory/service/{acacia.pk}/change/")
    assert response.status_code == 200 and b"Pat Example for the service (check-in)" in response.content


def test_public_pages_say_checked_by_the_service(client, check_url, acacia):
    post(client, check_url, page_data(acacia, **{"phone-check": "right"}))
    today = timezone.localdate()
    words = f"Checked by the service on {today:%-d %B %Y}."
    practitioners = client.get("/services/acacia/").content.decode()
    assert words in practitioners
    assert "Confirmed by the IMHSG" not in practitioners.split(words)[0][-300:]
    parents = client.get("/parents/services/acacia/").content.decode()
    assert words in parents


def test_check_in_contacts_never_reach_public_pages(client, check_url, acacia):
    post(client, check_url, page_data(acacia, **{"phone-check": "right", "answered_by": "Pat Answerer"}))
    for url in ("/services/acacia/", "/parents/services/acacia/", "/api/services/" + str(acacia.uuid),
                "/services.csv", "/search/"):
        response = client.get(url)
        # The CSV is streamed (issue 26, docs/adr/0027): its body is read from the stream.
        body = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
        assert "pat@example.org" not in body and "Pat Example" not in body and "Pat Answerer" not in body, url


SCRIPT = "<script>alert('x')</script>\"'"


def test_everything_the_service_types_is_escaped(client, check_url, acacia, invitation, imhsg_editor):
    texts = ["summary-new", "eligibility-new", "cost-fees", "route{r}-how-text", "route{r}-criteria-new",
             "route{r}-exclusions-new", "route{r}-contact-new", "organisation-note", "area-note",
             "newroute_how_to_refer", "newroute_acceptance_criteria", "information_needed", "barriers_known",
             "answered_by", "parent_description-new", "schedule-new", "venue0_name", "venue0_address"]
    route = acacia.referral_routes.first()
    data = page_data(acacia, **{name.format(r=route.pk): SCRIPT for name in texts})
    data.update({"newroute_referrer": "self", "venue0_postcode": "B8 1AA", "route%d-wait-new" % route.pk: SCRIPT[:100]})
    # First with one error, so the page shows every box back.
    data["email-new"] = "not an email"
    page = post(client, check_url, data).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&#x27;" in page
    data.pop("email-new")
    assert post(client, check_url, data).status_code == 302
    change = PendingChange.objects.get(invitation=invitation)
    client.force_login(imhsg_editor)
    review = client.get(f"/admin/directory/service/{acacia.pk}/changes/{change.pk}/").content.decode()
    assert "<script>alert" not in review and "&lt;script&gt;" in review
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    client.logout()
    for url in ("/services/acacia/", "/parents/services/acacia/"):
        public = client.get(url).content.decode()
        assert "<script>alert" not in public and "&lt;script&gt;" in public, url


def test_notes_are_shown_to_the_editor_and_never_applied(client, check_url, acacia, invitation, imhsg_editor):
    post(client, check_url, page_data(acacia, **{"organisation-check": "change",
                                                  "organisation-note": "Now run by Acacia Trust"}))
    change = PendingChange.objects.get(invitation=invitation)
    assert change.changes == {"notes": [{"about": "Who runs it", "text": "Now run by Acacia Trust"}]}
    row = ("Note from the service (not applied: change by hand)", "Who runs it", "", "Now run by Acacia Trust")
    assert row in moderation.review(change).rows
    organisation = acacia.organisation.name
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    acacia.refresh_from_db()
    assert acacia.organisation.name == organisation


def test_opening_a_link_leaves_the_public_caches_alone(client, check_url):
    from directory.core import content

    before = content.current()
    client.get(check_url)
    content.forget()
    assert content.current() == before


def test_a_proposal_comes_from_one_account_or_one_link(acacia, invitation, imhsg_editor):
    with pytest.raises(ValueError):
        moderation.propose_change(service=acacia, changes={}, submitted_by=imhsg_editor, invitation=invitation)
    with pytest.raises(ValueError):
        moderation.propose_change(service=acacia, changes={})


def test_the_audit_keeps_the_facts_as_they_will_read(client, check_url, acacia, invitation):
    from directory.models import Language

    english = Language.objects.get(code="en")
    post(client, check_url, page_data(acacia, **{
        "languages-new": [str(english.pk)], "interpreters": "no", "ages-check": "right", "cost-check": "right",
        "route%d-criteria-check" % acacia.referral_routes.first().pk: "right"}))
    audit = SelfAudit.objects.get(invitation=invitation)
    assert audit.answers["languages"] == ["en"] and audit.english_only
    assert (audit.answers["age_from_months"], audit.answers["age_to_months"]) == (acacia.age_from_months,
                                                                                  acacia.age_to_months)
    assert audit.answers["cost"] == "free" and not audit.not_free
    assert f"route.{acacia.referral_routes.first().pk}.acceptance_criteria" in audit.facts_still_right
    assert Fact.objects.get(route=acacia.referral_routes.first(), field="acceptance_criteria").checked_by_service_on


@pytest.mark.parametrize("url", ["/services/acacia/", "/parents/services/acacia/"])
def test_checked_facts_cost_the_public_pages_no_query(client, check_url, acacia, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django.core.cache import cache

    with CaptureQueriesContext(connection) as before:
        client.get(url)
    route = acacia.referral_routes.first()
    post(client, check_url, page_data(acacia, **{
        "phone-check": "right", "url-check": "right", "cost-check": "right", "ages-check": "right",
        f"route{route.pk}-criteria-check": "right", f"route{route.pk}-how-check": "right"}))
    cache.clear()
    with CaptureQueriesContext(connection) as after:
        assert "Checked by the service on" in client.get(url).content.decode()
    assert len(after) == len(before)


def test_approved_facts_are_confirmed_and_checked_by_the_service_and_a_later_edit_clears_the_check(
        client, check_url, acacia, invitation, imhsg_editor):
    from directory.core.provenance import record_curator_edits

    post(client, check_url, page_data(acacia, **{"phone-check": "right", "email-new": "hello@example.org"}))
    moderation.approve_change(change=PendingChange.objects.get(invitation=invitation), decided_by=imhsg_editor)
    email = Fact.objects.get(service=acacia, field="email")
    assert email.confirmed_on == timezone.localdate() and email.checked_by_service_on == timezone.localdate()
    # A curator's later edit is a new value the service has not seen.
    record_curator_edits(acacia, ["phone"], imhsg_editor)
    phone = Fact.objects.get(service=acacia, field="phone")
    assert phone.confirmed_on is not None and phone.checked_by_service_on is None
