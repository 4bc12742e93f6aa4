"""One rule for changing a list of services (directory/core/shortlist.py `shortlist_apply`), which
the practitioners' shortlist and the parents' saved list both follow; each words it its own way."""
import pytest
from django.urls import reverse

from directory.core.shortlist import COOKIE_NAME, FULL, MAX_ITEMS, NOT_FOUND, parse_ids, share_path, shortlist_apply
from directory.models import Organisation, Service, Status

pytestmark = pytest.mark.django_db
BOTH_VIEWS = ["directory:shortlist-change", "parents:saved-change"]


def published(count):
    """Published services that parents may see too."""
    return list(Service.objects.for_parents().order_by("pk").values_list("pk", flat=True)[:count])


class Found:
    """A stand-in for a selector: finds the services it is given, by id."""

    def __init__(self, *names):
        self.services = {pk: type("S", (), {"name": name}) for pk, name in names}

    def __call__(self, *, ids):
        return [self.services[pk] for pk in ids if pk in self.services]


def cleaned(action, service=None, services=()):
    return {"action": action, "service": service, "services": list(services)}


def test_adding_a_service_the_list_may_not_hold_changes_nothing():
    update = shortlist_apply([1], cleaned=cleaned("add", 2), find=Found())
    assert update.problem == NOT_FOUND and update.ids == [1] and update.name == ""


def test_adding_and_removing_give_the_services_name():
    found = Found((2, "Acacia"))
    update = shortlist_apply([1], cleaned=cleaned("add", 2), find=found)
    assert (update.ids, update.name, update.problem) == ([1, 2], "Acacia", "")
    update = shortlist_apply([1, 2], cleaned=cleaned("remove", 2), find=found)
    assert (update.ids, update.name) == ([1], "Acacia")
    # Removing a service that has left the directory still removes it; there is no name to give.
    update = shortlist_apply([1, 3], cleaned=cleaned("remove", 3), find=found)
    assert (update.ids, update.name, update.problem) == ([1], "", "")


def test_a_full_list_makes_room_from_services_that_have_left_and_is_full_otherwise():
    live = published(2)
    departed = [10_000 + n for n in range(MAX_ITEMS - 1)]
    update = shortlist_apply([live[0], *departed], cleaned=cleaned("add", live[1]), find=Found((live[1], "B")))
    assert update.ids == live and update.problem == ""
    organisation = Organisation.objects.first()
    full = [Service.objects.create(organisation=organisation, name=f"Full {n}", slug=f"full-{n}", focus="additional",
                                   summary="x", status=Status.PUBLISHED).pk for n in range(MAX_ITEMS)]
    update = shortlist_apply(full, cleaned=cleaned("add", live[0]), find=Found((live[0], "A")))
    assert update.problem == FULL and update.ids == full


def test_keeping_a_shared_list_keeps_only_published_services_and_clearing_empties_it():
    live = published(2)
    Service.objects.filter(pk=live[1]).update(status=Status.DRAFT)
    update = shortlist_apply([7], cleaned=cleaned("replace", services=[live[1], live[0], 999_999]), find=Found())
    assert update.ids == [live[0]]
    assert shortlist_apply([7, 8], cleaned=cleaned("clear"), find=Found()).ids == []


@pytest.mark.parametrize("view", BOTH_VIEWS)
def test_both_lists_follow_the_one_rule(client, view):
    """The same posts give the same cookie from the practitioners' and the parents' views."""
    url = reverse(view)
    live = published(3)
    draft = live.pop()
    Service.objects.filter(pk=draft).update(status=Status.DRAFT)
    client.cookies[COOKIE_NAME] = ".".join(str(pk) for pk in [draft, *range(10_000, 10_000 + MAX_ITEMS - 1)])
    response = client.post(url, {"action": "add", "service": live[0]})
    assert response.status_code == 302 and parse_ids(response.cookies[COOKIE_NAME].value) == [live[0]]
    assert client.post(url, {"action": "add", "service": draft}).status_code == 400
    response = client.post(url, {"action": "replace", "services": f"{draft}.{live[1]}.{live[0]}"})
    assert parse_ids(response.cookies[COOKIE_NAME].value) == [live[1], live[0]]
    response = client.post(url, {"action": "remove", "service": live[1]})
    assert parse_ids(response.cookies[COOKIE_NAME].value) == [live[0]]


# Not named `page`: that is pytest-playwright's fixture, and a parameter of that name pulls its
# session-scoped browser parameter in, so pytest regrouped every browser test (and their
# database flush) next to this one, ahead of most of the suite.
@pytest.mark.parametrize("page_name", ["directory:shortlist", "parents:saved"])
def test_both_pages_show_a_sent_list_and_share_it_by_the_same_kind_of_link(client, page_name):
    ids = published(2)
    client.cookies[COOKIE_NAME] = str(ids[0])  # a link wins over the cookie
    response = client.get(reverse(page_name), {"services": f"{ids[1]}.999999.{ids[0]}"})
    assert response.context["shared"] is True
    assert response.context["share_url"] == "http://testserver" + share_path(reverse(page_name), [ids[1], ids[0]])
    assert share_path("/shortlist/", [12, 3]) == "/shortlist/?services=12.3"
