"""The shortlist: add and remove without JavaScript, print, and share by link."""
import html

import pytest
from django.urls import reverse

from directory.models import Service, Status
from directory.core.shortlist import COOKIE_NAME, MAX_ITEMS, parse_ids

pytestmark = pytest.mark.django_db
CHANGE = reverse("directory:shortlist-change")
SHORTLIST = reverse("directory:shortlist")


def service(name):
    return Service.objects.get(name=name)


def change(client, **data):
    return client.post(CHANGE, data)


def listed(client, url=SHORTLIST):
    response = client.get(url)
    assert response.status_code == 200
    return [item.name for item in response.context["items"]]


def test_it_adds_services_and_goes_back_to_the_page(client):
    acacia, cpmht = service("Acacia"), service("Community Perinatal Mental Health Team")
    response = change(client, action="add", service=acacia.pk, next="/search/?age=4#service-1")
    assert response.status_code == 302 and response["Location"] == "/search/?age=4#service-1"
    change(client, action="add", service=cpmht.pk, next="/search/")
    assert listed(client) == ["Acacia", "Community Perinatal Mental Health Team"]


def test_it_removes_a_service(client):
    acacia = service("Acacia")
    change(client, action="add", service=acacia.pk)
    change(client, action="remove", service=acacia.pk)
    assert listed(client) == []


def test_it_adds_each_service_once(client):
    acacia = service("Acacia")
    change(client, action="add", service=acacia.pk)
    change(client, action="add", service=acacia.pk)
    assert listed(client) == ["Acacia"]


def test_it_never_redirects_to_another_site(client):
    response = change(client, action="add", service=service("Acacia").pk, next="https://evil.example/")
    assert response["Location"] == SHORTLIST
    response = change(client, action="add", service=service("Acacia").pk, next="//evil.example/")
    assert response["Location"] == SHORTLIST


@pytest.mark.parametrize("data", [
    {"action": "add", "service": "abc"},
    {"action": "add"},
    {"action": "explode", "service": "1"},
    {"action": "add", "service": "999999"},
])
def test_it_refuses_bad_input_with_a_message_and_changes_nothing(client, data):
    client.cookies[COOKIE_NAME] = str(service("Acacia").pk)
    response = change(client, **data)
    assert response.status_code == 400
    assert "Your shortlist has not changed." in response.content.decode()
    assert "<title>Error: Your shortlist" in response.content.decode()
    assert COOKIE_NAME not in response.cookies
    assert listed(client) == ["Acacia"]


def test_it_refuses_to_add_a_draft(client):
    draft = service("Acacia")
    draft.status = Status.DRAFT
    draft.save()
    response = change(client, action="add", service=draft.pk)
    assert response.status_code == 400
    assert "That service is not in the directory." in html.unescape(response.content.decode())
    assert COOKIE_NAME not in response.cookies


def test_it_drops_services_that_stopped_being_published(client):
    acacia = service("Acacia")
    change(client, action="add", service=acacia.pk)
    Service.objects.filter(pk=acacia.pk).update(status=Status.ARCHIVED)
    response = client.get(SHORTLIST)
    assert response.context["items"] == [] and response.context["dropped"] == 1


def test_it_shares_a_link_that_reproduces_the_list_on_another_device(client, django_user_model):
    acacia, cpmht = service("Acacia"), service("Community Perinatal Mental Health Team")
    change(client, action="add", service=cpmht.pk)
    change(client, action="add", service=acacia.pk)
    share_url = client.get(SHORTLIST).context["share_url"]
    assert share_url.endswith(f"/shortlist/?services={cpmht.pk}.{acacia.pk}")

    other_device = client.__class__()
    path = share_url.split("testserver", 1)[1]
    assert listed(other_device, path) == ["Community Perinatal Mental Health Team", "Acacia"]
    # and they can keep it as their own
    other_device.post(CHANGE, {"action": "replace", "services": f"{cpmht.pk}.{acacia.pk}", "next": SHORTLIST})
    assert listed(other_device) == ["Community Perinatal Mental Health Team", "Acacia"]


def test_it_ignores_garbage_in_a_shared_link_or_cookie(client):
    acacia = service("Acacia")
    assert listed(client, f"{SHORTLIST}?services=abc.{acacia.pk}.-3.<script>.{acacia.pk}") == ["Acacia"]
    client.cookies[COOKIE_NAME] = "<script>alert(1)</script>"
    assert listed(client) == []


def test_it_caps_the_list():
    assert len(parse_ids(".".join(str(n) for n in range(1, 100)))) == MAX_ITEMS


def test_it_prints_a_handout_with_names_offers_referral_contacts_and_the_date(client):
    ftb = service("Forward Thinking Birmingham Under 2s (infant mental health)")
    change(client, action="add", service=ftb.pk)
    response = client.get(SHORTLIST)
    content = html.unescape(response.content.decode())
    for text in (ftb.name, ftb.summary, "Referral by a professional", "https://forwardthinkingbirmingham.nhs.uk/",
                 response.context["today"].strftime("%Y").lstrip("0"), "See this list online"):
        assert text in content
    # Every contact and route on the handout says where it came from and that it is not yet confirmed.
    assert "From a public web page, read 26 November 2026. Not yet confirmed by the IMHSG." in content
    # The print stylesheet hides the site's header, footer and buttons (static/css/directory.css).
    assert "app-handout__item" in content and "nhsuk-button" in content


def test_it_clears_the_list(client):
    change(client, action="add", service=service("Acacia").pk)
    change(client, action="clear")
    assert listed(client) == []


# The services (1) and the card prefetches (4); the cookie costs nothing.
SHORTLIST_QUERIES = 6  # 5, plus one for the sources of every fact on the handout


@pytest.mark.parametrize("count", [2, 12])
def test_it_pins_the_queries_of_the_shortlist(client, django_assert_num_queries, count):
    ids = list(Service.objects.published().values_list("pk", flat=True)[:count])
    client.cookies[COOKIE_NAME] = ".".join(map(str, ids))
    with django_assert_num_queries(SHORTLIST_QUERIES):
        assert len(listed(client)) == count


# --- Found by review: limits and forged values ---------------------------------------

@pytest.mark.parametrize("forged", ["99999999999999999999999", "2147483648", "-1", "0", "abc"])
def test_a_forged_service_id_is_refused_in_plain_words(client, forged):
    response = change(client, action="add", service=forged)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "That is not a service in this directory." in page
    assert "Ensure this value" not in page and "Choose a service to add or remove" not in page
    assert COOKIE_NAME not in response.cookies


def test_a_full_shortlist_makes_room_from_services_that_have_left_the_directory(client):
    published = list(Service.objects.published().order_by("pk").values_list("pk", flat=True))
    draft = published.pop()
    Service.objects.filter(pk=draft).update(status=Status.DRAFT)
    stale = [draft] + [10_000 + n for n in range(MAX_ITEMS - 1)]  # a draft and unknown ids fill it
    client.cookies[COOKIE_NAME] = ".".join(str(pk) for pk in stale)
    response = change(client, action="add", service=published[0])
    assert response.status_code == 302
    assert parse_ids(response.cookies[COOKIE_NAME].value) == [published[0]]


def test_a_shortlist_full_of_real_services_says_so_and_changes_nothing(client, settings):
    from directory.models import Organisation

    organisation = Organisation.objects.first()
    ids = [Service.objects.create(organisation=organisation, name=f"Full {n}", slug=f"full-{n}", focus="additional",
                                  summary="x", status=Status.PUBLISHED).pk for n in range(MAX_ITEMS)]
    client.cookies[COOKIE_NAME] = ".".join(str(pk) for pk in ids)
    response = change(client, action="add", service=service("Acacia").pk)
    assert response.status_code == 400
    assert f"Your shortlist is full ({MAX_ITEMS} services)" in html.unescape(response.content.decode())
    assert COOKIE_NAME not in response.cookies


def test_keeping_a_shared_list_keeps_only_published_services(client):
    acacia = service("Acacia")
    draft = service("Breaking the Cycle")
    draft.status = Status.ARCHIVED
    draft.save()
    response = change(client, action="replace", services=f"{acacia.pk}.{draft.pk}.999999")
    assert parse_ids(response.cookies[COOKIE_NAME].value) == [acacia.pk]


@pytest.mark.parametrize("bad_next", ["/search/\x00", "/" + "a" * 3000])
def test_a_bad_return_address_is_ignored_not_fatal(client, bad_next):
    response = change(client, action="add", service=service("Acacia").pk, next=bad_next)
    assert response.status_code == 302 and response["Location"] == SHORTLIST
