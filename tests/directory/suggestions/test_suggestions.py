"""Suggest a change: the public form (practitioners' and parents' pages) and the curators' queue."""
import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from directory.models import Audience, Service, Status
from directory.models import TEXT_MAX, Suggestion, SuggestionPage, SuggestionStatus

pytestmark = pytest.mark.django_db

SLUG = "acacia"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()  # the rate limit counts in the cache, which outlives a test's transaction
    yield
    cache.clear()


def suggest_url(slug=SLUG, parents=False):
    return reverse(f"{'parents' if parents else 'directory'}:suggest-change", kwargs={"slug": slug})


def post(client, slug=SLUG, parents=False, **data):
    data = {"text": "The phone number has changed to 0121 000 0000.", "contact_name": "", "contact_email": "",
            "website": "", **data}
    return client.post(suggest_url(slug, parents), data, REMOTE_ADDR=data.pop("ip", "192.0.2.1"))


# --- The form on the public pages ---------------------------------------------------

def test_it_shows_the_form_on_the_service_page_and_the_parents_page(client):
    for url in (reverse("directory:service-detail", kwargs={"slug": SLUG}),
                reverse("parents:service", kwargs={"slug": SLUG})):
        content = client.get(url).content.decode()
        assert 'id="suggest-change"' in content and 'name="csrfmiddlewaretoken"' in content
        assert 'name="website"' in content and 'class="app-honeypot" aria-hidden="true"' in content
    assert "Suggest a change" in client.get(reverse("directory:service-detail", kwargs={"slug": SLUG})).content.decode()
    assert "Is something wrong here? Tell us" in client.get(reverse("parents:service", kwargs={"slug": SLUG})).content.decode()


def test_it_stores_a_suggestion_and_thanks_the_visitor(client):
    response = post(client, contact_name="Priya", contact_email="priya@example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:suggest-thanks", kwargs={"slug": SLUG})
    suggestion = Suggestion.objects.get()
    assert (suggestion.service.slug, suggestion.status, suggestion.page) == (SLUG, "new", "practitioners")
    assert (suggestion.contact_name, suggestion.contact_email) == ("Priya", "priya@example.org")
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you for your suggestion" in thanks and "Acacia" in thanks


def test_it_stores_a_parents_suggestion_with_where_it_came_from(client):
    response = post(client, parents=True)
    assert response["Location"] == reverse("parents:suggest-thanks", kwargs={"slug": SLUG})
    assert Suggestion.objects.get().page == SuggestionPage.PARENTS
    assert "Thank you for telling us" in client.get(response["Location"]).content.decode()


def test_it_refuses_a_post_without_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(suggest_url(), {"text": "Wrong phone"})
    assert response.status_code == 403
    assert not Suggestion.objects.exists()


def test_it_accepts_a_post_with_the_csrf_token_from_the_page():
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("directory:service-detail", kwargs={"slug": SLUG}))
    token = client.cookies["csrftoken"].value
    response = client.post(suggest_url(), {"text": "Wrong phone", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and Suggestion.objects.count() == 1


def test_it_thanks_a_bot_that_fills_the_honeypot_and_stores_nothing(client):
    response = post(client, website="https://spam.example")
    assert response.status_code == 302 and "thanks" in response["Location"]
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize("parents", [False, True])
def test_it_says_what_is_missing_when_the_text_is_empty(client, parents):
    response = post(client, parents=parents, text="   ")
    content = response.content.decode()
    assert response.status_code == 400
    assert "<title>Error: " in content and "Tell us what is wrong or out of date" in content
    assert 'href="#id_text"' in content
    assert not Suggestion.objects.exists()


def test_it_refuses_text_that_is_too_long_and_keeps_what_was_typed(client):
    response = post(client, text="x" * (TEXT_MAX + 1), contact_name="Sam")
    content = response.content.decode()
    assert response.status_code == 400
    assert f"Keep it under {TEXT_MAX} characters (you wrote {TEXT_MAX + 1})" in content
    assert 'value="Sam"' in content
    assert not Suggestion.objects.exists()


def test_it_refuses_a_malformed_email(client):
    response = post(client, contact_email="not-an-email")
    assert response.status_code == 400 and "Enter an email address like name@example.com" in response.content.decode()
    assert not Suggestion.objects.exists()


@override_settings(SUGGESTIONS_PER_HOUR=2)
def test_it_limits_how_many_suggestions_one_client_sends_in_an_hour(client):
    assert post(client).status_code == 302
    assert post(client, website="bot").status_code == 302  # a bot's attempt counts too
    response = post(client, text="A third one")
    assert response.status_code == 429
    assert "You have sent a lot of suggestions in the last hour" in response.content.decode()
    assert "A third one" in response.content.decode()  # the visitor's words are kept
    assert Suggestion.objects.count() == 1
    assert post(client, ip="198.51.100.7").status_code == 302  # another client is not limited


@override_settings(SUGGESTIONS_PER_HOUR=1, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_the_proxy_it_limits_by_the_address_the_proxy_saw(client):
    url, data = suggest_url(), {"text": "Wrong phone"}
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 302
    # A client cannot escape by claiming another address: the proxy appends the one it saw, last.
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1",
                       HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5").status_code == 429
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
def test_drafts_and_archived_services_have_no_form_and_take_no_suggestions(client, status):
    Service.objects.filter(slug=SLUG).update(status=status)
    assert client.get(reverse("directory:service-detail", kwargs={"slug": SLUG})).status_code == 404
    for parents in (False, True):
        assert client.get(suggest_url(parents=parents)).status_code == 404
        assert post(client, parents=parents).status_code == 404
    assert not Suggestion.objects.exists()


def test_a_professionals_only_service_takes_no_suggestions_from_the_parents_page(client):
    Service.objects.filter(slug=SLUG).update(audience=Audience.PROFESSIONALS)
    assert post(client, parents=True).status_code == 404
    assert post(client).status_code == 302


def test_a_suggestion_never_changes_the_public_pages(client):
    pages = [reverse("directory:service-detail", kwargs={"slug": SLUG}), reverse("parents:service", kwargs={"slug": SLUG})]

    def contents():  # without the CSRF token, which is masked afresh on every page
        return [CSRF_INPUT.sub("", client.get(url).content.decode()) for url in pages]

    before = contents()
    assert post(client, text=f"The service closed. {SCRIPT}").status_code == 302
    assert post(client, parents=True, text="Moved to a new address").status_code == 302
    assert Suggestion.objects.count() == 2  # both were taken...
    assert contents() == before  # ...and neither shows
    service = Service.objects.get(slug=SLUG)
    assert "closed" not in service.summary and service.status == Status.PUBLISHED


def test_the_standalone_form_page_works_without_javascript(client):
    content = client.get(suggest_url()).content.decode()
    assert 'method="post"' in content and f'action="{suggest_url()}"' in content
    assert "<script" not in content.split("<main")[1].split("</main>")[0]


# --- The curators' queue ----------------------------------------------------------------

def make(n=1, **kwargs):
    service = Service.objects.get(slug=SLUG)
    return [Suggestion.objects.create(service=service, text=kwargs.get("text", f"Suggestion {i}"),
                                      contact_name=kwargs.get("contact_name", ""))
            for i in range(n)]


QUEUE = reverse("admin:directory_suggestion_changelist")
QUEUE_QUERIES = 9  # session, user, 2 permissions, 2 counts, the page (with services and curators), 2 for the dates


@pytest.mark.parametrize("n", [1, 25])
def test_the_queue_runs_a_fixed_number_of_queries(curator_client, django_assert_num_queries, n):
    make(n)
    curator_client.get(QUEUE)  # warm the content type cache
    with django_assert_num_queries(QUEUE_QUERIES):
        response = curator_client.get(QUEUE + "?status__exact=new")
    assert response.status_code == 200 and b"Suggestion 0" in response.content


def test_the_queue_shows_what_a_visitor_typed_escaped(curator_client):
    suggestion, = make(text=SCRIPT, contact_name='<img src=x onerror="alert(1)">')
    for url in (QUEUE, reverse("admin:directory_suggestion_change", args=[suggestion.pk])):
        content = curator_client.get(url).content.decode()
        assert SCRIPT not in content and "<img src=x" not in content
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content


def test_the_queue_filters_by_status(curator_client):
    new, accepted = make(2)
    Suggestion.objects.filter(pk=accepted.pk).update(status=SuggestionStatus.ACCEPTED)
    response = curator_client.get(QUEUE + "?status__exact=new")
    assert [s.pk for s in response.context["cl"].result_list] == [new.pk]


def action(client, name, suggestions, **extra):
    return client.post(QUEUE, {"action": name, "_selected_action": [s.pk for s in suggestions], **extra})


def test_accepting_asks_for_an_optional_reason_then_records_who_and_when(curator_client, curator):
    suggestions = make(2)
    response = action(curator_client, "accept", suggestions)
    assert response.status_code == 200 and "What you changed (optional)" in response.content.decode()
    assert Suggestion.objects.filter(status="new").count() == 2
    response = action(curator_client, "accept", suggestions, apply="1", reason="Updated the phone number")
    assert response.status_code == 302
    for suggestion in Suggestion.objects.all():
        assert (suggestion.status, suggestion.curator_reason, suggestion.handled_by) == (
            "accepted", "Updated the phone number", curator)
        assert suggestion.handled_at is not None


def test_rejecting_needs_a_reason(curator_client):
    suggestion, = make()
    response = action(curator_client, "reject", [suggestion], apply="1", reason="")
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert Suggestion.objects.get().status == "new"
    action(curator_client, "reject", [suggestion], apply="1", reason="The number is right: we checked.")
    assert Suggestion.objects.get().status == "rejected"


def test_accepting_never_changes_the_service(curator_client):
    before = Service.objects.filter(slug=SLUG).values().get()
    suggestion, = make(text="Change the summary to: closed")
    assert action(curator_client, "accept", [suggestion], apply="1", reason="").status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.ACCEPTED  # accepted, and still...
    after = Service.objects.filter(slug=SLUG).values().get()
    assert after == before  # ...the service is as it was


def test_a_curator_can_reject_one_from_its_page_with_a_reason(curator_client, curator):
    suggestion, = make()
    url = reverse("admin:directory_suggestion_change", args=[suggestion.pk])
    response = curator_client.post(url, {"status": "rejected", "curator_reason": ""})
    assert response.status_code == 200 and "Say why the suggestion was rejected." in response.content.decode()
    curator_client.post(url, {"status": "rejected", "curator_reason": "Duplicate"})
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.handled_by) == ("rejected", curator)


def test_curators_cannot_add_or_delete_suggestions(curator_client):
    suggestion, = make()
    assert curator_client.get(reverse("admin:directory_suggestion_add")).status_code == 403
    assert curator_client.get(reverse("admin:directory_suggestion_delete", args=[suggestion.pk])).status_code == 403


def test_the_public_cannot_see_the_queue(client):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
