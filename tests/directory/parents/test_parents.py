"""The parents' view (issue 9): only what a family can use directly under "contact them
yourself", the rest under "ask your health visitor", never a draft, never jargon, urgent
help on every page, kind messages for bad input, and a fixed number of queries."""
import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from directory.models import FOCUS_EXPLANATIONS, Audience, Level, ParentTopic, ReferralRoute, Referrer, Service, Status, UrgentHelp
from directory.core.shortlist import COOKIE_NAME
from directory.core.sources import DIRECTORY_TEAM_NOTE

pytestmark = pytest.mark.django_db

EYFS = "Birmingham Forward Steps: Early Years and Family Support"
HEALTH_VISITING = "Birmingham Forward Steps: Health Visiting"
SOLIHULL = "Solihull Approach online courses (Birmingham licence)"
CPMHT = "Community Perinatal Mental Health Team"
FTB_UNDER_2S = "Forward Thinking Birmingham Under 2s (infant mental health)"
EVERYTHING = reverse("parents:everything")


def service(name):
    return Service.objects.get(name=name)


def listed(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    context = response.context
    return [c.name for c in context["direct"]], [c.name for c in context["ask"]]


def parent_pages():
    topic = ParentTopic.objects.get(slug="feeling-low")
    return [
        reverse("parents:start"),
        reverse("parents:support") + "?age=4&postcode=B8+1AA",
        reverse("parents:topic", args=[topic.slug]) + "?age=4",
        EVERYTHING,
        reverse("parents:service", args=["forward-thinking-birmingham-under-2s-infant-mental-health"]),
        reverse("parents:service", args=["acacia"]),
        reverse("parents:saved") + f"?services={service(CPMHT).pk}.{service(SOLIHULL).pk}",
        reverse("whatson:whats-on") + "?age=4&postcode=B8+1AA",  # issue 23
    ]


# --- Who goes where ----------------------------------------------------------------

def test_it_lists_under_contact_yourself_only_services_with_a_self_automatic_or_drop_in_route(client):
    direct, ask = listed(client, EVERYTHING)
    # Breaking the Cycle takes self-referrals by email (from its public page, unconfirmed).
    assert set(direct) == {EYFS, HEALTH_VISITING, SOLIHULL, "Breaking the Cycle"}
    # Professional referral only, or no route recorded yet: asked about, never hidden.
    assert CPMHT in ask and FTB_UNDER_2S in ask and "Acacia" in ask
    assert not set(direct) & set(ask)


def test_a_drop_in_route_counts_as_contact_yourself(client):
    ReferralRoute.objects.create(service=service("Acacia"), referrer=Referrer.PROFESSIONAL, method="drop_in")
    direct, _ = listed(client, EVERYTHING)
    assert "Acacia" in direct


def test_a_professionals_only_service_never_appears_even_with_a_self_referral_route(client):
    solihull = service(SOLIHULL)
    Service.objects.filter(pk=solihull.pk).update(audience=Audience.PROFESSIONALS)
    direct, ask = listed(client, EVERYTHING)
    assert SOLIHULL not in direct + ask
    assert client.get(reverse("parents:service", args=[solihull.slug])).status_code == 404
    shared = client.get(reverse("parents:saved"), {"services": str(solihull.pk)})
    assert shared.context["cards"] == []


@pytest.mark.parametrize("status", [Status.DRAFT, Status.ARCHIVED])
def test_drafts_and_archived_services_never_appear(client, status):
    solihull = service(SOLIHULL)
    Service.objects.filter(pk=solihull.pk).update(status=status)
    for url in [EVERYTHING, reverse("parents:topic", args=["getting-to-know-your-baby"])]:
        direct, ask = listed(client, url)
        assert SOLIHULL not in direct + ask
    assert client.get(reverse("parents:service", args=[solihull.slug])).status_code == 404
    counts = client.get(reverse("parents:support")).context["total"]
    assert counts.direct == 3  # the children's centres, health visiting and Breaking the Cycle


def test_referral_only_services_say_only_what_their_routes_record(client):
    """No route names who can refer to the Under 2s service: the page says a professional refers,
    and suggests asking one who already works with the family, never "your health visitor,
    midwife or GP can refer you" (issue 21)."""
    ReferralRoute.objects.filter(service=service(CPMHT)).update(professions="Health visitor, midwife or GP")
    text = client.get(EVERYTHING).content.decode()
    assert "Other help you can ask about" in text
    assert "Who can refer you: Health visitor, midwife or GP." in text  # recorded on the route
    page = client.get(reverse("parents:service", args=[service(FTB_UNDER_2S).slug])).content.decode()
    assert ("This service takes referrals from professionals. "
            "If a professional already works with you, you can ask them about it.") in page
    assert "can refer you" not in page
    assert "You can contact them yourself." not in page


def test_free_services_come_first(client):
    direct, _ = listed(client, EVERYTHING)
    assert direct[0] == SOLIHULL  # the only free one with a direct route


def test_with_a_postcode_the_nearest_come_first_and_say_how_far(client):
    hospital = service("Health in Mind")
    ReferralRoute.objects.create(service=hospital, referrer=Referrer.SELF)
    _, _ = listed(client, EVERYTHING, postcode="B4 6NH")
    response = client.get(EVERYTHING, {"postcode": "B4 6NH"})
    direct = [c.name for c in response.context["direct"]]
    assert direct[:2] == [SOLIHULL, "Health in Mind"]  # free first, then the one with a venue nearby
    assert "Very close to you" in response.content.decode()


def test_the_age_answer_filters_by_the_babys_age(client):
    _, ask = listed(client, EVERYTHING, age="p3")  # three months pregnant
    assert "Early Years Inclusion Support (EYIS)" not in ask  # from birth
    assert "Community and Specialist Midwives" in ask
    _, ask = listed(client, EVERYTHING, age="20")
    assert "Community and Specialist Midwives" not in ask


def test_a_topic_lists_services_by_the_needs_and_ways_of_delivery_it_maps_onto(client):
    direct, ask = listed(client, reverse("parents:topic", args=["feeling-low"]))
    assert HEALTH_VISITING in direct and CPMHT in ask and "Acacia" in ask
    assert EYFS not in direct + ask
    direct, _ = listed(client, reverse("parents:topic", args=["meet-other-parents"]))
    assert EYFS in direct  # runs groups
    # A curator maps a need onto the topic: its services follow.
    ParentTopic.objects.get(slug="feeling-low").needs.add(service(EYFS).needs.model.objects.get(code="isolation"))
    _, ask = listed(client, reverse("parents:topic", args=["feeling-low"]))
    assert "New Baby Network" in ask


def test_every_topic_page_works_with_and_without_a_postcode(client):
    for topic in ParentTopic.objects.all():
        for params, answered in (({}, ""), ({"postcode": "B8 1AA"}, "near B8 1AA"),
                                 ({"age": "6", "postcode": "b81aa"}, "near B8 1AA")):
            response = client.get(reverse("parents:topic", args=[topic.slug]), params)
            assert response.status_code == 200, (topic.slug, params)
            # The topic's own page, with every answer taken (none refused).
            assert response.context["topic"] == topic and not response.context["form"].errors, (topic.slug, params)
            assert response.context["answers_text"].endswith(answered), (topic.slug, params)


def test_the_support_page_counts_each_topic(client):
    response = client.get(reverse("parents:support"), {"age": "4"})
    counts = {c.topic.slug: (c.direct, c.ask) for c in response.context["counts"]}
    assert counts["feeling-low"][0] == 1  # health visiting
    assert counts["meet-other-parents"][0] == 1  # the children's centres
    assert response.context["total"].direct == 4  # with Breaking the Cycle (self-referral, any age)


# --- What parents see -----------------------------------------------------------------

def test_the_parent_description_is_shown_never_the_summary(client):
    acacia = service("Acacia")
    Service.objects.filter(pk=acacia.pk).update(parent_description="Friendly groups for mums and dads who feel low.")
    text = client.get(reverse("parents:service", args=[acacia.slug])).content.decode()
    assert "Friendly groups for mums and dads who feel low." in text
    assert acacia.summary not in text


JARGON = ["Specialised", "Non-specialised", "Additional focus", "Level of need", "level of need", "WTE", "the needs assessment", "PRIVATE-CURATOR-NOTE",
          "Infant Mental Health Steering Group", "Curators", "Focus", " focus "]


def visible_text(html):
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    # The source of a description names the needs assessment, as the practitioners' pages do.
    return re.sub(r"<[^>]+>", " ", html).replace(DIRECTORY_TEAM_NOTE, " ")


def test_parent_pages_never_show_levels_focus_notes_or_team_jargon(client):
    Service.objects.update(curator_notes="PRIVATE-CURATOR-NOTE")
    for url in parent_pages():
        html = client.get(url).content.decode()
        text = visible_text(html)
        for word in JARGON + [level.description for level in Level.objects.all()] + list(FOCUS_EXPLANATIONS.values()):
            assert word not in text, (url, word)
        tags = re.findall(r'class="nhsuk-tag[^"]*">([^<]*)<', html)
        assert set(tags) <= {"Free"}, (url, tags)


def test_the_urgent_help_box_is_on_every_parent_page(client):
    UrgentHelp.objects.create(name="A crisis line added by a curator", url="https://example.org/crisis")
    bad_post = client.post(reverse("parents:saved-change"), {"action": "explode"})
    pages = [client.get(url) for url in parent_pages()] + [bad_post, client.get(EVERYTHING, {"age": "²"})]
    for response in pages:
        text = response.content.decode()
        assert "Need help now?" in text
        assert 'href="tel:999"' in text and 'href="tel:111"' in text
        assert "A crisis line added by a curator" in text


def test_ways_in_and_languages_show_icons_and_words(client):
    acacia = service("Acacia")
    acacia.languages.add(acacia.languages.model.objects.get(code="ur"))
    text = client.get(reverse("parents:service", args=[acacia.slug])).content.decode()
    assert '<use href="#icon-group"></use></svg>Groups' in text
    assert '<use href="#icon-speech"></use></svg>Urdu' in text


def test_the_language_filter_keeps_only_services_in_that_language(client):
    hv = service(HEALTH_VISITING)
    hv.languages.add(hv.languages.model.objects.get(code="pl"))
    direct, ask = listed(client, EVERYTHING, language="pl")
    assert direct == [HEALTH_VISITING] and ask == []
    text = client.get(EVERYTHING, {"language": "so"}).content.decode()
    assert "We do not know of a place here that offers help in Somali yet, so this is everything" in text


# --- Bad input never breaks a page -------------------------------------------------------

@pytest.mark.parametrize("params, message", [
    ({"age": "²"}, "Please choose your baby&#x27;s age, or how many months pregnant you are, from the list."),
    ({"age": "-4"}, "Please choose your baby&#x27;s age"),
    ({"age": "p99"}, "Please choose your baby&#x27;s age"),
    ({"postcode": "ZZ9 9ZZ"}, "We could not find ZZ9 9ZZ in Birmingham."),
    ({"postcode": "nonsense"}, "Please check your postcode. It should look like B8 1AA, or its first part, like B8."),
    ({"postcode": "x" * 40}, "A postcode is short, like B8 1AA."),
    ({"language": "xx"}, "Please choose a language from the list."),
])
def test_bad_answers_get_a_kind_message_and_the_rest_still_works(client, params, message):
    for url in [reverse("parents:support"), EVERYTHING]:
        response = client.get(url, params)
        assert response.status_code == 200
        text = response.content.decode()
        if "language" in params and url != EVERYTHING:
            continue  # the support page has no language question
        assert message in text
        assert "<title>Error:" in text
    # The rest still works: with a good answer beside the bad one, the list is the good answer's.
    good = {"postcode": "B8 1AA"} if "age" in params else {"age": "p3"}
    assert listed(client, EVERYTHING, **params, **good) == listed(client, EVERYTHING, **good)


def test_an_unknown_topic_or_service_is_not_found(client):
    assert client.get(reverse("parents:topic", args=["no-such-topic"])).status_code == 404
    assert client.get(reverse("parents:service", args=["no-such-service"])).status_code == 404


# --- Save or send ----------------------------------------------------------------------

def test_a_parent_saves_two_services_and_sends_the_list(client):
    solihull, cpmht = service(SOLIHULL), service(CPMHT)
    here = reverse("parents:topic", args=["feeling-low"])
    for pk in (solihull.pk, cpmht.pk):
        response = client.post(reverse("parents:saved-change"), {"action": "add", "service": pk, "next": here})
        assert response.status_code == 302 and response["Location"] == here
    assert client.cookies[COOKIE_NAME].value == f"{solihull.pk}.{cpmht.pk}"  # the practitioners' shortlist cookie
    response = client.get(reverse("parents:saved"))
    assert [c.name for c in response.context["cards"]] == [SOLIHULL, CPMHT]
    share_url = response.context["share_url"]
    assert share_url.endswith(f"/parents/saved/?services={solihull.pk}.{cpmht.pk}")
    client.cookies.clear()
    shared = client.get(share_url)
    assert [c.name for c in shared.context["cards"]] == [SOLIHULL, CPMHT]
    text = shared.content.decode()
    assert "A list sent to you" in text and "Keep this list on this phone or computer" in text


def test_saving_a_professionals_only_service_is_refused_kindly(client):
    acacia = service("Acacia")
    Service.objects.filter(pk=acacia.pk).update(audience=Audience.PROFESSIONALS)
    response = client.post(reverse("parents:saved-change"), {"action": "add", "service": acacia.pk})
    assert response.status_code == 400
    assert "Sorry, we could not find that service." in response.content.decode()
    assert COOKIE_NAME not in response.cookies  # not saved


# --- Query counts ---------------------------------------------------------------------------

@pytest.mark.parametrize("url, params, queries", [
    # Each also reads the content version (directory/core/content.py).
    ("parents:start", {}, 3),  # topics, urgent help
    ("parents:support", {"age": "4"}, 8),  # 6 for the counts, urgent help
    ("parents:support", {"age": "4", "postcode": "B8 1AA"}, 9),  # and the postcode
    ("parents:everything", {}, 10),  # languages, the services' rows, the shown ones and 5 prefetches, urgent help
    # and the postcode and the distances; and, a search (issue 22, directory/search/record.py), counted:
    # the postcode again, the count of the services listed (both the first time this search is
    # made in a content version, then cached), the write, the day's pruning (its first search),
    # and in tests a savepoint around them (2)
    ("parents:everything", {"postcode": "B8 1AA", "age": "p4"}, 12 + 4 + 2),
])
def test_list_pages_run_a_fixed_number_of_queries(client, django_assert_num_queries, url, params, queries):
    with django_assert_num_queries(queries):
        assert client.get(reverse(url), params).status_code == 200


def test_topic_service_and_saved_pages_run_a_fixed_number_of_queries(client, django_assert_num_queries):
    ids = ".".join(str(pk) for pk in Service.objects.values_list("pk", flat=True))
    # Each also reads the content version.
    # The topic, languages, postcode, the rows, 6 for the cards, distances, urgent help; and counting the search
    # (issue 22): the postcode again and the count (the first time), the write, the day's pruning,
    # and in tests a savepoint around them.
    with django_assert_num_queries(13 + 4 + 2):
        client.get(reverse("parents:topic", args=["feeling-low"]), {"postcode": "B8 1AA"})
    # The service and 5 prefetches, urgent help, sources of the contacts, its sessions (issue 23).
    with django_assert_num_queries(10):
        client.get(reverse("parents:service", args=["acacia"]))
    with django_assert_num_queries(9):
        client.get(reverse("parents:saved"), {"services": ids})


def test_unchecked_contacts_say_so_to_parents(client, curator):
    from directory.models import Fact

    text = client.get(reverse("parents:service", args=["acacia"])).content.decode()
    assert "0121 301 5990" in text and "We have not checked this with the service yet." in text
    Fact.objects.filter(service__slug="acacia").confirm(curator)
    text = client.get(reverse("parents:service", args=["acacia"])).content.decode()
    assert "We have not checked this with the service yet." not in text


# --- The start page and the admin ---------------------------------------------------------

def test_the_start_page_offers_a_choice_between_parents_and_practitioners(client):
    text = client.get(reverse("directory:home")).content.decode()
    assert f'href="{reverse("parents:start")}">I am a parent or carer</a>' in text
    assert "I work with families" in text
    assert "Family's postcode" in text  # the practitioners' search is still there


def test_the_admin_shows_which_published_services_lack_a_parent_description(curator_client):
    Service.objects.filter(name=CPMHT).update(parent_description="")
    response = curator_client.get(reverse("admin:directory_service_changelist"),
                                  {"parent_description": "missing", "status__exact": "published"})
    names = [s.name for s in response.context["cl"].result_list]
    assert "Acacia" not in names and CPMHT in names
    assert "description for parents" in response.content.decode()


def test_curators_edit_topics_and_urgent_help_in_the_admin(curator_client):
    from tests.directory.curation.admin_forms import change_form_post

    assert curator_client.get(reverse("admin:directory_parenttopic_changelist")).status_code == 200
    topic = ParentTopic.objects.get(slug="safety-at-home")
    url = reverse("admin:directory_parenttopic_change", args=[topic.pk])
    page = curator_client.get(url)
    assert page.status_code == 200
    assert curator_client.post(url, change_form_post(page, intro="Keeping your baby safe at home.")).status_code == 302
    assert ParentTopic.objects.get(pk=topic.pk).intro == "Keeping your baby safe at home."
    add = reverse("admin:directory_urgenthelp_add")
    assert curator_client.get(add).status_code == 200
    response = curator_client.post(add, {"name": "A line added by a curator", "description": "", "phone": "",
                                         "url": "https://example.org/line", "order": "5", "is_active": "on"})
    assert response.status_code == 302
    assert UrgentHelp.objects.filter(name="A line added by a curator", is_active=True).exists()
    assert "A line added by a curator" in curator_client.get(reverse("parents:start")).content.decode()


@pytest.mark.parametrize("address", ["javascript:alert(document.cookie)", " JavaScript:alert(1)",
                                     "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                     "vbscript:msgbox(1)", "//evil.example/", "/relative/path"])
def test_an_unsafe_urgent_help_address_is_shown_as_text_never_a_link(client, address):
    """The model refuses such addresses, but one can still reach the table another way (.update(),
    raw SQL, a restore): the page checks again, as service pages do (directory/core/safe_urls.py)."""
    line = UrgentHelp.objects.create(name="A crisis line", url="https://example.org/crisis")
    UrgentHelp.objects.filter(pk=line.pk).update(url=address)
    html = client.get(reverse("parents:start")).content.decode()
    box = html[html.index('class="app-urgent"'):html.index("</aside>")]
    assert "A crisis line" in box
    hrefs = re.findall(r'href="([^"]*)"', box)
    assert hrefs == ["tel:999", "tel:111", "https://111.nhs.uk/"], hrefs
    assert "Website" not in box
    assert escape(address) in box


def test_a_safe_urgent_help_address_is_a_link_named_for_its_line(client):
    UrgentHelp.objects.create(name="A crisis line", url="https://example.org/crisis")
    html = client.get(reverse("parents:start")).content.decode()
    assert re.search(r'<a href="https://example.org/crisis">Website<span class="nhsuk-u-visually-hidden"> for A crisis '
                     r'line</span></a>', html)


@pytest.mark.parametrize("phone, href", [("0800 123 4567", "tel:08001234567"), ("+44 121 496 0000", "tel:+441214960000"),
                                         ("0121 496 0000 (24 hours)", "tel:01214960000"),
                                         ("javascript:alert(1)", None), ("Text SHOUT to 85258", None)])
def test_an_urgent_help_phone_links_only_the_number_it_starts_with(client, phone, href):
    """A phone link dials the number only (directory/safe_urls.tel_href, as on parents' service
    pages); anything else is shown as text."""
    UrgentHelp.objects.create(name="A crisis line", phone=phone)
    html = client.get(reverse("parents:start")).content.decode()
    box = html[html.index('class="app-urgent"'):html.index("</aside>")]
    hrefs = re.findall(r'href="([^"]*)"', box)[3:]
    assert hrefs == ([href] if href else []), hrefs
    assert escape(phone) in box


@pytest.mark.django_db
def test_the_first_part_of_a_postcode_is_enough_for_parents_as_for_practitioners(client):
    """Issue 22: "B23" was refused on the parents' form although the practitioners' search took it."""
    response = client.get("/parents/support/all/", {"age": "4", "postcode": "B23"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please check your postcode" not in page and "could not find" not in page
    assert "B23" in page


@pytest.mark.django_db
def test_a_service_pages_back_link_keeps_the_parents_answers(client):
    """Issue 22: the back link of a service page lost the parent's answers."""
    from directory.models import ParentTopic

    topic = ParentTopic.objects.order_by("order").first()
    listing = client.get(f"/parents/topics/{topic.slug}/", {"age": "4", "postcode": "B8 1AA"}).content.decode()
    import re as regex
    link = regex.search(r'href="(/parents/services/[-a-z0-9]+/\?[^"]+)"', listing)
    assert link and "age=4" in link.group(1) and f"from={topic.slug}" in link.group(1)
    page = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert f'href="/parents/topics/{topic.slug}/?age=4&amp;postcode=B8+1AA">Back to your list' in page
    everything = client.get("/parents/services/acacia/", {"from": "all", "age": "4"}).content.decode()
    assert 'href="/parents/support/all/?age=4">Back to your list' in everything
    for forged in ("//evil.example", "https://evil.example", "no-such-topic", "../admin"):
        page = client.get("/parents/services/acacia/", {"from": forged}).content.decode()
        assert 'class="nhsuk-back-link" href="/parents/"' in page and "evil" not in page.split("nhsuk-back-link")[1][:80]


@pytest.mark.django_db
def test_a_language_no_service_offers_shows_everything_else_with_an_honest_note(client):
    """Issue 22: choosing Urdu, which no seeded service is tagged with, emptied the page."""
    from directory.models import Service

    assert not Service.objects.filter(languages__code="ur").exists()
    page = client.get("/parents/support/all/", {"language": "ur", "age": "4"}).content.decode()
    assert "We do not know of a place here that offers help in Urdu yet, so this is everything for your other answers." in page
    assert "Acacia" in page and "New Baby Network" in page
    without = client.get("/parents/support/all/", {"age": "4"}).content.decode()
    assert without.count('class="nhsuk-card__heading') == page.count('class="nhsuk-card__heading')
