"""Issue 24, item 5: a bare "prepared" ping counts one referral summary per service per month,
once per page view, rate-limited, CSRF-checked, with nothing in the body and nothing kept but the
count."""
import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from directory.models import ReferralPrepared, ReferralRoute, Referrer, Service, Status
from directory.referrals import prepared as counting

pytestmark = pytest.mark.django_db
CPMHT = "community-perinatal-mental-health-team"


@pytest.fixture
def route():
    return ReferralRoute.objects.get(service__slug=CPMHT, referrer=Referrer.PROFESSIONAL)


def open_page(client, route):
    """A page view: its CSRF token and view token, as the script reads them."""
    content = client.get(reverse("referrals:refer", kwargs={"slug": CPMHT, "route_id": route.pk})).content.decode()
    csrf = re.search(r'data-csrf="([^"]+)"', content).group(1)
    token = re.search(r'data-view-token="([^"]+)"', content).group(1)
    return csrf, token


def ping(client, route_id, csrf, token, body=b""):
    return client.post(reverse("referrals:prepared", kwargs={"route_id": route_id}), data=body,
                       content_type="application/octet-stream", HTTP_X_CSRFTOKEN=csrf, HTTP_X_REFERRAL_VIEW=token)


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def test_it_counts_one_summary_for_the_service_this_month(csrf_client, route):
    csrf, token = open_page(csrf_client, route)
    response = ping(csrf_client, route.pk, csrf, token)
    assert response.status_code == 204
    assert response["Cache-Control"] == "no-store, no-cache, private, max-age=0"
    row = ReferralPrepared.objects.get()
    assert (row.service_id, row.month.day, row.count) == (route.service_id, 1, 1)


def test_it_counts_a_page_view_once(csrf_client, route):
    csrf, token = open_page(csrf_client, route)
    for _ in range(3):
        assert ping(csrf_client, route.pk, csrf, token).status_code == 204
    assert ReferralPrepared.objects.get().count == 1
    csrf, token = open_page(csrf_client, route)  # a second page view counts again
    ping(csrf_client, route.pk, csrf, token)
    assert ReferralPrepared.objects.get().count == 2


# The review of issue 24: a view spent only in the cache counted again after a restart, on
# another gunicorn worker, or after an eviction. It is spent in the database now.
def test_a_page_view_counts_once_even_when_the_cache_forgets(csrf_client, route):
    from django.core.cache import cache

    csrf, token = open_page(csrf_client, route)
    assert ping(csrf_client, route.pk, csrf, token).status_code == 204
    cache.clear()  # what a restart, a second worker or an eviction looks like to this process
    ping(csrf_client, route.pk, csrf, token)
    assert ReferralPrepared.objects.get().count == 1


def test_it_refuses_a_ping_without_the_csrf_token(csrf_client, route):
    _, token = open_page(csrf_client, route)
    assert ping(csrf_client, route.pk, "", token).status_code == 403
    assert not ReferralPrepared.objects.exists()


def test_it_refuses_a_body(csrf_client, route):
    csrf, token = open_page(csrf_client, route)
    assert ping(csrf_client, route.pk, csrf, token, body=b"names=Someone").status_code == 400
    assert not ReferralPrepared.objects.exists()


@pytest.mark.parametrize("token", ["", "forged", "another route"])
def test_it_refuses_a_forged_or_borrowed_view_token(csrf_client, route, token):
    csrf, _ = open_page(csrf_client, route)
    if token == "another route":
        token = counting.view_token(route.pk + 1)
    assert ping(csrf_client, route.pk, csrf, token).status_code == 400
    assert not ReferralPrepared.objects.exists()


@pytest.mark.parametrize("case", ["draft", "self-referral", "unknown", "huge"])
def test_it_is_404_for_a_route_that_is_not_a_published_services_professional_route(csrf_client, route, case):
    csrf, token = open_page(csrf_client, route)
    route_id = route.pk
    if case == "draft":
        Service.objects.filter(pk=route.service_id).update(status=Status.DRAFT)
    elif case == "self-referral":
        route_id = ReferralRoute.objects.filter(referrer=Referrer.SELF).first().pk
    elif case == "unknown":
        route_id = 987654
    else:
        route_id = 10 ** 30
    assert ping(csrf_client, route_id, csrf, counting.view_token(route_id)).status_code == 404
    assert not ReferralPrepared.objects.exists()


def test_it_limits_how_often_one_client_counts(csrf_client, route, settings):
    for _ in range(counting.PINGS_PER_HOUR):
        csrf, token = open_page(csrf_client, route)
        assert ping(csrf_client, route.pk, csrf, token).status_code == 204
    csrf, token = open_page(csrf_client, route)
    assert ping(csrf_client, route.pk, csrf, token).status_code == 429
    assert ReferralPrepared.objects.get().count == counting.PINGS_PER_HOUR


def test_it_answers_post_only(client, route):
    assert client.get(reverse("referrals:prepared", kwargs={"route_id": route.pk})).status_code == 405


def test_it_keeps_only_the_service_the_month_and_the_count():
    assert {field.name for field in ReferralPrepared._meta.get_fields()} == {"id", "service", "month", "count"}


def test_a_new_month_starts_a_new_count(rf, route):
    request = rf.post("/")
    for day in (datetime.date(2026, 1, 31), datetime.date(2026, 2, 1)):
        assert counting.prepared_count(request=request, service_id=route.service_id, route_id=route.pk,
                                       token=counting.view_token(route.pk), today=day) == counting.COUNTED
    assert list(ReferralPrepared.objects.order_by("month").values_list("month", "count")) == [
        (datetime.date(2026, 1, 1), 1), (datetime.date(2026, 2, 1), 1)]


def test_counting_queries(csrf_client, route, django_assert_num_queries):
    csrf, token = open_page(csrf_client, route)
    # The route's service, the view spent (savepoint, insert, release), the day's first deletes the
    # old views, then the update; the month's first also inserts (savepoint, insert, release).
    with django_assert_num_queries(1 + 3 + 1 + 1 + 3):
        ping(csrf_client, route.pk, csrf, token)
    csrf, token = open_page(csrf_client, route)
    with django_assert_num_queries(1 + 3 + 1):
        ping(csrf_client, route.pk, csrf, token)


def test_counted_views_are_forgotten_once_no_token_could_be_replayed(csrf_client, route):
    from directory.models import SpentPageView

    old = SpentPageView.objects.create(nonce="old", day=datetime.date.today() - datetime.timedelta(days=3))
    recent = SpentPageView.objects.create(nonce="recent", day=datetime.date.today() - datetime.timedelta(days=1))
    csrf, token = open_page(csrf_client, route)
    assert ping(csrf_client, route.pk, csrf, token).status_code == 204
    assert set(SpentPageView.objects.values_list("nonce", flat=True)) - {old.nonce} >= {recent.nonce}
    assert not SpentPageView.objects.filter(nonce=old.nonce).exists()
    assert SpentPageView.objects.count() == 2  # the recent one and this view's
