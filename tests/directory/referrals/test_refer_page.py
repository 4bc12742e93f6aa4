"""Issue 24: the referral page. Criteria as a checklist, what the service needs (or an honest
"not recorded"), how to send it, consent, and nothing that could carry a family's details to
the server: no form, no named text boxes, never stored by a cache."""
import html
import re

import pytest
from django.urls import reverse

from directory.models import ReferralMethod, ReferralRoute, Referrer, Service, Status

pytestmark = pytest.mark.django_db
CPMHT = "community-perinatal-mental-health-team"
# With the stepped care chosen in the database (issue 26): its ids up and down are 2 queries more.
REFER_PAGE_QUERIES = 19


def route_of(slug, referrer=Referrer.PROFESSIONAL):
    return ReferralRoute.objects.filter(service__slug=slug, referrer=referrer).first()


def refer_url(route, slug=None):
    return reverse("referrals:refer", kwargs={"slug": slug or route.service.slug, "route_id": route.pk})


def page(client, route, status=200, slug=None):
    response = client.get(refer_url(route, slug))
    assert response.status_code == status
    return response, html.unescape(response.content.decode())


def test_it_is_linked_from_each_professional_route_on_the_service_page(client):
    route = route_of(CPMHT)
    content = client.get(reverse("directory:service-detail", kwargs={"slug": CPMHT})).content.decode()
    assert f'href="{refer_url(route)}"' in content
    assert "Refer a family" in content


def test_the_service_page_has_no_link_for_a_self_referral_route(client):
    content = client.get(reverse("directory:service-detail",
                                 kwargs={"slug": "solihull-approach-online-courses-birmingham-licence"})).content
    assert b"/refer/" not in content


def test_it_lists_the_structured_criteria_and_the_routes_own_words(client):
    _, content = page(client, route_of(CPMHT))
    assert "The baby's age or stage of pregnancy fits: from pregnancy to 1 year." in content
    assert "The family lives in Birmingham (the service works city-wide)." in content
    assert "Mothers with moderate to severe perinatal mental health difficulties" in content
    assert "The service's acceptance criteria" in content


def test_a_criterion_not_met_offers_similar_services_that_take_other_ages(client):
    _, content = page(client, route_of(CPMHT))
    block = content[content.index('id="not-met-age"'):content.index('id="not-met-area"')]
    assert "The service works with babies from pregnancy to 1 year only" in block
    assert "Services for the same needs at other ages" in block
    assert "<li><a href=" in block  # at least one service for the same needs at other ages


def test_a_service_for_one_district_says_so_and_offers_services_elsewhere(client):
    service = Service.objects.get(slug="social-and-emotional-mental-health-pathfinder-roots-project")
    route = ReferralRoute.objects.create(service=service, referrer=Referrer.PROFESSIONAL)
    _, content = page(client, route)
    assert "The family lives in the area the service covers: Northfield." in content
    assert "The service works in Northfield only." in content


def test_without_a_recorded_list_it_says_so_and_labels_the_general_guidance(client):
    _, content = page(client, route_of(CPMHT))
    assert "This service has not told us what to include; ask them." in content
    assert "General guidance: what a referral usually includes" in content
    assert "Not Community Perinatal Mental Health Team's own list" in content


def test_with_a_recorded_list_it_shows_the_services_own_items_and_boxes_for_them(client):
    route = route_of(CPMHT)
    route.information_needed = "Mother's NHS number\n- Current medication\n\n"
    route.save()
    _, content = page(client, route)
    assert "What Community Perinatal Mental Health Team asks a referral to include" in content
    assert "has not told us what to include" not in content
    assert re.search(r'<label class="nhsuk-label" for="field-item-1" data-app-field-label>Mother\'s NHS number</label>',
                     content)
    assert 'for="field-item-2" data-app-field-label>Current medication<' in content


def test_it_shows_how_to_send_the_contact_wait_and_an_email_draft_for_an_email_route(client):
    route = route_of(CPMHT)
    route.method, route.contact, route.waiting_time = ReferralMethod.EMAIL, "referrals@example.org", "About 4 weeks"
    route.consent_required, route.consent_rules = "yes", "Written consent from the mother."
    route.save()
    _, content = page(client, route)
    assert '<a href="mailto:referrals@example.org">referrals@example.org</a>' in content
    assert 'id="email-summary" href="mailto:referrals@example.org?subject=Referral%20to%20Community%20Perinatal' in content
    for text in ("About 4 weeks", "Yes, the family's consent is needed", "Written consent from the mother.",
                 "What to tell the family (general guidance)"):
        assert text in content


def test_no_email_draft_for_a_route_that_is_not_email(client):
    route = route_of("acacia")
    assert route.method == ReferralMethod.ONLINE_FORM
    _, content = page(client, route)
    assert 'id="email-summary"' not in content


def test_nothing_on_the_page_can_send_what_is_typed(client):
    response, content = page(client, route_of(CPMHT))
    main = content[content.index('id="referral"'):content.index("</main>")]
    assert "<form" not in main  # no form to submit, with or without JavaScript
    boxes = re.findall(r"<(?:input|textarea)\b[^>]*>", main)
    assert boxes
    for box in boxes:
        # Only the checklist's radios carry a name (to group each criterion's answers): no box for words does.
        if 'type="radio"' not in box:
            assert " name=" not in box, box
    assert "<script>" not in content and "onclick" not in content  # the content security policy: no inline script
    assert response["Cache-Control"] == "no-store, no-cache, private, max-age=0"


@pytest.mark.parametrize("case", ["draft", "archived", "self-referral route", "another service's route",
                                  "unknown route", "huge id", "unknown service"])
def test_it_is_404_for_what_is_not_a_published_services_professional_route(client, case):
    route = route_of(CPMHT)
    slug = None
    if case in ("draft", "archived"):
        Service.objects.filter(pk=route.service_id).update(status=Status.DRAFT if case == "draft" else Status.ARCHIVED)
    elif case == "self-referral route":
        route = route_of("solihull-approach-online-courses-birmingham-licence", Referrer.SELF)
    elif case == "another service's route":
        slug = "acacia"
    elif case == "unknown service":
        slug = "no-such-service"
    if case == "unknown route":
        url = reverse("referrals:refer", kwargs={"slug": CPMHT, "route_id": 987654})
    elif case == "huge id":
        url = f"/services/{CPMHT}/refer/{10 ** 30}/"
    else:
        url = refer_url(route, slug)
    assert client.get(url).status_code == 404


def test_it_answers_only_get_and_head(client):
    assert client.post(refer_url(route_of(CPMHT))).status_code in (403, 405)


def test_it_pins_its_queries(client, django_assert_num_queries):
    url = refer_url(route_of(CPMHT))
    client.get(url)
    with django_assert_num_queries(REFER_PAGE_QUERIES):
        assert client.get(url).status_code == 200


def test_its_queries_do_not_grow_with_the_similar_services(client, django_assert_num_queries):
    route = route_of(CPMHT)
    need = route.service.needs.first()
    for number in range(5):
        copy = Service.objects.get(slug="acacia")
        copy.pk, copy.slug, copy.name, copy.uuid = None, f"copy-{number}", f"Copy {number}", None
        import uuid
        copy.uuid = uuid.uuid4()
        copy.save()
        copy.needs.set([need])
    url = refer_url(route)
    client.get(url)
    with django_assert_num_queries(REFER_PAGE_QUERIES):
        assert client.get(url).status_code == 200
