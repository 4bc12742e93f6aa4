"""Issue 8: every fact a family or practitioner acts on says where it came from, and whether
the IMHSG has confirmed it; the errata in shared/data/ERRATA.md are fixed."""
import html
import re

import pytest
from django.urls import reverse

from directory.models import Organisation, ReferralRoute, Service, Status, Venue
from directory.practitioners.presenters.service import ServicePage
from directory.models import Fact, SourceKind
from directory.search.selectors import service_get_published
from directory.core.sources import FactIndex

pytestmark = pytest.mark.django_db

NOT_CONFIRMED = "Not yet confirmed by the IMHSG."


def page_text(client, slug):
    response = client.get(reverse("directory:service-detail", kwargs={"slug": slug}))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_every_fact_shown_on_every_service_page_has_a_source():
    missing = []
    for service in Service.objects.published():
        full = service_get_published(slug=service.slug)
        page = ServicePage(full, FactIndex.for_services([full]))
        rows = page.contacts + page.who_rows + page.offer_rows + page.venues
        rows += [row for route in page.routes for row in route.rows]
        sourced = [row for row in rows if row.source is not None]
        missing += [f"{service.name}: {row.key}" for row in sourced if row.source.text == "Source not recorded."]
        missing += [f"{service.name}: route" for route in page.routes if route.source.text == "Source not recorded."]
        # Every row that states something a family acts on is sourced.
        acted_on = {"Phone", "Email", "Website", "Baby's age", "Cost", "Languages", "Who is accepted", "How",
                    "Referral contact", "Area", "Parents and carers"}
        for row in rows:
            if row.key in acted_on and row.value not in ("Not recorded", "Age range not recorded"):
                assert row.source is not None, f"{service.name}: {row.key} has no source line"
    assert missing == []


def test_unconfirmed_facts_are_labelled_on_the_service_page(client):
    content = page_text(client, "acacia")
    assert "0121 301 5990" in content
    phone_row = content[content.index("0121 301 5990"):][:400]
    assert "From a public web page, read 26 November 2026. Not yet confirmed by the IMHSG. Source: " in phone_row
    assert ">acacia.org.uk</a>" in phone_row
    assert "From the needs assessment (May 2022), Table 3. Not yet confirmed by the IMHSG." in content
    assert 'href="https://www.acacia.org.uk/bame/professionals/"' in content


def test_inferred_facts_say_so(client):
    content = page_text(client, "children-with-medical-complexities-discharge-team")
    assert "Not stated by any source: our reading of the needs assessment." in content  # the hospital's postcode


def test_confirming_in_the_admin_removes_the_label(client, curator_client):
    phone = Fact.objects.get(service__slug="acacia", field="phone")
    response = curator_client.post(reverse("admin:directory_fact_changelist"), {
        "action": "confirm", "_selected_action": [phone.pk],
    })
    assert response.status_code == 302
    phone.refresh_from_db()
    assert phone.confirmed_on is not None and phone.confirmed_by.username == "cara"
    content = page_text(client, "acacia")
    phone_row = content[content.index("0121 301 5990"):][:400]
    assert "Confirmed by the IMHSG on" in phone_row and NOT_CONFIRMED not in phone_row


def test_confirming_every_fact_of_a_service_is_one_action(client, curator_client):
    service = Service.objects.get(slug="acacia")
    assert Fact.objects.about_service(service).unconfirmed().count() > 5
    curator_client.post(reverse("admin:directory_service_changelist"), {
        "action": "confirm_all_facts", "_selected_action": [service.pk],
    })
    assert Fact.objects.about_service(service).unconfirmed().count() == 0
    assert NOT_CONFIRMED not in page_text(client, "acacia")
    # Other services' facts are untouched.
    assert Fact.objects.filter(service__slug="new-baby-network").unconfirmed().exists()


def test_the_admin_lists_a_services_facts_and_confirms_one_with_a_tick(curator_client):
    service = Service.objects.get(slug="acacia")
    change = curator_client.get(reverse("admin:directory_service_change", args=[service.pk]))
    assert "not yet confirmed" in change.content.decode()
    listing = curator_client.get(reverse("admin:directory_fact_changelist") + f"?about_service={service.pk}")
    assert listing.status_code == 200
    shown = listing.context["cl"].result_count
    assert shown == Fact.objects.about_service(service).count()
    fact = Fact.objects.get(service=service, field="cost")
    response = curator_client.post(reverse("admin:directory_fact_change", args=[fact.pk]), {
        "kind": fact.kind, "section": "", "source_url": fact.source_url, "excerpt": fact.excerpt,
        "read_on": "2026-11-26", "note": fact.note, "confirmed": "on",
    })
    assert response.status_code == 302
    fact.refresh_from_db()
    assert fact.confirmed_on is not None


@pytest.mark.parametrize("value", ["abc", "²", "99999999999999999999999"])
def test_the_fact_list_ignores_forged_service_ids(curator_client, value):
    """A forged id lists no facts (never every fact, never a 500 or admin's "?e=1" redirect)."""
    response = curator_client.get(reverse("admin:directory_fact_changelist") + f"?about_service={value}")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert Fact.objects.exists()


def test_a_curators_edit_becomes_a_confirmed_fact_from_the_curator(curator_client):
    route = ReferralRoute.objects.get(service__slug="therapeutic-emotional-support-service-tess")
    Venue.objects.all()  # noqa
    organisation = Organisation.objects.get(name="New Baby Network")
    response = curator_client.post(reverse("admin:directory_organisation_change", args=[organisation.pk]), {
        "name": organisation.name, "slug": organisation.slug, "sector": organisation.sector,
        "description": "", "url": "https://example.org/new-baby-network", "email": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    fact = Fact.objects.get(organisation=organisation, field="url")
    assert fact.kind == SourceKind.CURATOR and fact.confirmed_on is not None
    assert route.facts.get(field="referrer").kind == SourceKind.INFERRED


def test_public_facts_are_loaded_unconfirmed_with_their_source():
    public = Fact.objects.filter(kind=SourceKind.PUBLIC_PAGE)
    assert public.exists() and not public.filter(confirmed_on__isnull=False).exists()
    for fact in public:
        assert fact.source_url.startswith(("https://", "http://")) and fact.excerpt and fact.read_on
    # Stale or other-area facts were left out (fixtures/public_sources.yaml, 'rejected').
    assert not Service.objects.filter(phone__in=["0121 675 5555", "0793 034 1212", "0808 169 9604"]).exists()
    assert Service.objects.get(slug="early-help-community-connectors").phone == ""


# --- The errata (shared/data/ERRATA.md): none remains ------------------------------------

def facts_of(slug, field):
    return Fact.objects.get(service__slug=slug, field=field)


def test_errata_facts_the_source_does_not_state_are_marked_inferred():
    solihull = "solihull-approach-online-courses-birmingham-licence"
    for field in ("age_range", "cost", "organisation", "delivery_modes"):
        assert facts_of(solihull, field).kind == SourceKind.INFERRED  # 1
    assert Organisation.objects.filter(name="Solihull Approach").exists()
    assert not Organisation.objects.filter(name__icontains="multi-use licence").exists()
    social_care = Service.objects.get(slug="childrens-social-care")  # 2
    assert "Inferred record" in social_care.curator_notes
    assert facts_of("childrens-social-care", "organisation").kind == SourceKind.INFERRED
    for venue in Venue.objects.all():  # 3
        assert venue.facts.get(field="address").kind == SourceKind.INFERRED
    assert facts_of("early-years-alliance-and-thrive-together-stay-and-play-groups", "cost").kind == SourceKind.INFERRED  # 4
    for fact in Fact.objects.filter(field="delivery_modes"):  # 5
        # Approachable Parenting's "online" is stated in the findings (virtual delivery), not Table 3.
        # Groups are stated for the stay and play groups and the hospital's family groups (issue 21).
        stated = fact.service.slug in ("new-baby-network", "acacia", "approachable-parenting", "health-in-mind",
                                       "neonatal-unit-psychological-support",
                                       "early-years-alliance-and-thrive-together-stay-and-play-groups")
        assert (fact.kind == SourceKind.NEEDS_ASSESSMENT) == stated, fact.service.slug
    # 6: the workforce survey's list is not any one service's offer: Approachable Parenting's 5 Pillars
    # and FTB's VIG, Watch Wait and Wonder and psychoanalytic psychotherapy are gone (issue 21); FTB's
    # PEMA and PIIOS are inferred from "specialised services use formal assessments such as ...".
    assert not Service.objects.get(slug="approachable-parenting").interventions.exists()
    ftb = "forward-thinking-birmingham-under-2s-infant-mental-health"
    assert facts_of(ftb, "interventions").kind == SourceKind.INFERRED
    assert {term.code for term in Service.objects.get(slug=ftb).interventions.all()} == {"pema", "piios"}
    for slug in ("acacia", "early-years-inclusion-support-eyis", "community-and-specialist-midwives",
                 "early-years-alliance-and-thrive-together-stay-and-play-groups"):  # 7
        assert facts_of(slug, "organisation").kind == SourceKind.INFERRED
    for slug in ("community-perinatal-mental-health-team", "forward-thinking-birmingham-under-2s-infant-mental-health",
                 "therapeutic-emotional-support-service-tess", "forward-thinking-birmingham-children-in-care-pathway"):  # 8
        route = ReferralRoute.objects.get(service__slug=slug, referrer="professional")
        assert route.facts.get(field="referrer").kind == SourceKind.INFERRED
    for slug in ("birmingham-forward-steps-early-years-and-family-support", "birmingham-forward-steps-health-visiting"):
        route = ReferralRoute.objects.get(service__slug=slug, referrer="self")
        assert route.facts.get(field="referrer").kind == SourceKind.INFERRED
    for slug in ("anawim-birmingham-centre-for-women", "new-baby-network", "birmingham-and-solihull-womens-aid"):  # 9
        assert facts_of(slug, "coverage").kind == SourceKind.INFERRED
    for slug in ("birmingham-forward-steps-health-visiting", "community-perinatal-mental-health-team"):
        assert facts_of(slug, "coverage").kind == SourceKind.NEEDS_ASSESSMENT


def test_errata_misreadings_are_corrected():
    assert not Service.objects.filter(email="bwc.ftbinfantmentalhealth@nhs.net").exists()  # 10
    st_basils = Service.objects.get(slug="st-basils-youth-homelessness-service")
    assert [level.code for level in st_basils.levels.all()] == ["specialist"]  # 11
    ftb = Service.objects.get(slug="forward-thinking-birmingham-under-2s-infant-mental-health")
    assert (ftb.age_from_months, ftb.age_to_months) == (-9, 23)  # 12: the first 1001 days
    assert "first 1001 days" in facts_of(ftb.slug, "age_range").excerpt
    all_saints = Service.objects.get(slug="all-saints-youth-project")
    assert all_saints.locality == "Kings Heath" and all_saints.locality_district is None  # 13
    assert not Service.objects.filter(focus_confirmed=True).exists()  # 14


def test_errata_omissions_are_filled():
    criteria = {  # 15: criteria the source states, on the referral route
        "community-perinatal-mental-health-team": "moderate to severe perinatal mental health",
        "acacia": "mild to moderate perinatal mental health",
        "breaking-the-cycle": "lost one or more children to adoption",
        "northwest-central-pre-birth-pilot": "high risk of having their baby removed",
    }
    for slug, words in criteria.items():
        routes = ReferralRoute.objects.filter(service__slug=slug)
        assert routes and all(words in route.acceptance_criteria for route in routes), slug
        for route in routes:
            assert route.facts.get(field="acceptance_criteria").kind == SourceKind.NEEDS_ASSESSMENT
    # St Basils has no route in any source: its 16 to 25 criterion is its eligibility.
    st_basils = Service.objects.get(slug="st-basils-youth-homelessness-service")
    assert "16 to 25" in st_basils.eligibility_description and (st_basils.parent_min_age_years, st_basils.parent_max_age_years) == (16, 25)
    # 16, read the right way round (issue 21): health visitors and children's centres are the preferred
    # first route INTO OTHER support, not services with a preferred route into themselves.
    assert not ReferralRoute.objects.filter(is_preferred=True).exists()
    first_steps = Service.objects.filter(first_step=True)
    assert {service.slug for service in first_steps} == {
        "birmingham-forward-steps-early-years-and-family-support", "birmingham-forward-steps-health-visiting"}
    assert "no children aged 0 to 2" in Service.objects.get(slug="therapeutic-emotional-support-service-tess").description  # 17
    assert "all ages" in Service.objects.get(slug="social-and-emotional-mental-health-pathfinder-roots-project").description
    assert "range of languages" in Service.objects.get(slug="solihull-approach-online-courses-birmingham-licence").summary


# --- No internal wording on any public page (ERRATA 18) ----------------------------------

INTERNAL_WORDING = [
    (re.compile(r"\bthe seed\b", re.I), "the seed"),
    (re.compile(r"\bseed says\b", re.I), "seed says"),
    (re.compile(r"\bWTE\b"), "WTE"),
    (re.compile(r"\bPAIR\b"), "PAIR"),
    (re.compile(r"\bcamhs\b"), "lower-case camhs"),
    (re.compile(r"(?:^|[.!?]\s+|>)\s*mothers\b"), "a sentence starting 'mothers'"),
    (re.compile(r"\bseed_services\b|\bloadseed\b"), "file or command names"),
]


def public_pages():
    slugs = list(Service.objects.published().values_list("slug", flat=True))
    ids = ".".join(str(pk) for pk in Service.objects.published().values_list("pk", flat=True)[:30])
    return ["/", "/search/", "/search/?q=mental", "/map/", "/needs/", "/about/", f"/shortlist/?services={ids}"] + [
        f"/services/{slug}/" for slug in slugs]


def visible_text(content):
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", ">", content))


def test_no_public_page_shows_internal_wording(client):
    found = []
    for url in public_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response.content.decode())
        found += [f"{url}: {label}" for pattern, label in INTERNAL_WORDING if pattern.search(text)]
    assert found == []


def test_the_wording_scan_would_catch_internal_wording(client):
    Service.objects.filter(slug="acacia").update(summary="Run by 0.8 WTE staff, per the seed.")
    text = visible_text(client.get("/services/acacia/").content.decode())
    assert [label for pattern, label in INTERNAL_WORDING if pattern.search(text)] == ["the seed", "WTE"]


def test_drafts_and_their_facts_never_reach_a_public_page(client):
    Service.objects.filter(slug="acacia").update(status=Status.DRAFT)
    assert client.get("/services/acacia/").status_code == 404
    assert "0121 301 5990" not in client.get("/search/?q=acacia").content.decode()


# --- The provenance records themselves (directory/provenance.py) -------------------------------
# Found by mutation testing (docs/mutation.md).

def test_a_fact_names_its_owner_and_field_and_says_whether_it_is_confirmed():
    from directory.models import OrukImportBase, SeedRecord

    service = Service.objects.get(slug="acacia")
    route = service.referral_routes.get()
    fact = Fact.objects.get(service=service, field="age_range")
    assert str(fact) == "Acacia: age range" and fact.owner == service
    route_fact = Fact.objects.filter(route=route).first()
    assert route_fact.owner == route
    venue_fact = Fact.objects.filter(venue__isnull=False).first()
    assert venue_fact.owner == venue_fact.venue
    organisation_fact = Fact.objects.filter(organisation__isnull=False).first()
    assert organisation_fact.owner == organisation_fact.organisation
    fact.confirmed_on = None
    assert fact.is_confirmed is False
    fact.confirmed_on = fact.modified.date()
    assert fact.is_confirmed is True
    assert str(SeedRecord.objects.get(key="service:acacia")) == "service:acacia"
    assert str(OrukImportBase(service=service, source="feed.json")) == "Acacia: as imported from feed.json"


def test_the_facts_about_a_service_are_its_own_its_routes_its_venues_and_its_organisations(django_assert_num_queries):
    from directory.models import ServiceAtLocation

    service = Service.objects.get(slug="acacia")
    venue = Venue.objects.get(name="Heartlands Hospital")
    ServiceAtLocation.objects.create(service=service, venue=venue)
    with django_assert_num_queries(1):
        facts = list(Fact.objects.about_service(service))
    expected = (set(Fact.objects.filter(service=service)) | set(Fact.objects.filter(route__service=service))
                | set(Fact.objects.filter(venue=venue)) | set(Fact.objects.filter(organisation=service.organisation)))
    assert set(facts) == expected and len(facts) == len(expected)
    assert {f.owner for f in facts} >= {service, service.referral_routes.get(), venue}
    other = Service.objects.get(slug="new-baby-network")
    assert not set(facts) & set(Fact.objects.filter(service=other))


def test_confirming_counts_only_what_changed_and_keeps_earlier_confirmations(curator):
    from datetime import date

    from django.utils import timezone

    facts = Fact.objects.filter(service__slug="acacia")
    first = facts.first()
    Fact.objects.filter(pk=first.pk).update(confirmed_on=date(2025, 1, 2))
    unconfirmed = facts.unconfirmed()
    assert first not in unconfirmed and unconfirmed.count() == facts.count() - 1
    assert facts.confirm(curator) == facts.count() - 1
    assert Fact.objects.get(pk=first.pk).confirmed_on == date(2025, 1, 2)  # kept
    assert set(facts.exclude(pk=first.pk).values_list("confirmed_on", "confirmed_by")) == {
        (timezone.localdate(), curator.pk)}
    assert facts.confirm(curator) == 0
    Fact.objects.filter(pk=first.pk).update(confirmed_on=None)
    assert Fact.objects.filter(pk=first.pk).confirm(curator, on=date(2026, 2, 3)) == 1
    assert Fact.objects.get(pk=first.pk).confirmed_on == date(2026, 2, 3)


def test_recording_a_fact_replaces_its_source_whole(curator):
    from datetime import date

    from django.utils import timezone

    from directory.core.provenance import record_fact

    service = Service.objects.get(slug="acacia")
    fact = record_fact(owner=service, field="phone", kind=SourceKind.PUBLIC_PAGE,
                       source_url="https://example.org/acacia", read_on=date(2025, 5, 6), excerpt="Call us.")
    assert (fact.kind, fact.source_url, fact.read_on, fact.excerpt) == (
        "public_page", "https://example.org/acacia", date(2025, 5, 6), "Call us.")
    assert (fact.confirmed_on, fact.confirmed_by) == (None, None)
    again = record_fact(owner=service, field="phone", kind=SourceKind.CURATOR, user=curator, confirmed=True)
    assert again.pk == fact.pk and Fact.objects.filter(service=service, field="phone").count() == 1
    again = Fact.objects.get(pk=fact.pk)
    assert (again.kind, again.source_url, again.read_on, again.excerpt, again.section, again.note) == (
        "curator", "", None, "", "", "")
    assert (again.confirmed_on, again.confirmed_by) == (timezone.localdate(), curator)
    unconfirmed = record_fact(owner=service, field="phone", kind=SourceKind.PROVIDER, user=curator)
    assert (unconfirmed.confirmed_on, unconfirmed.confirmed_by) == (None, None)
    route = service.referral_routes.get()
    assert record_fact(owner=route, field="waiting_time", kind="inferred").route == route
    venue = Venue.objects.first()
    assert record_fact(owner=venue, field="address", kind="inferred").venue == venue
    organisation = service.organisation
    assert record_fact(owner=organisation, field="url", kind="inferred").organisation == organisation


def test_a_curators_edit_vouches_only_for_the_facts_its_fields_state(curator):
    from django.utils import timezone

    from directory.core.provenance import record_curator_edits

    service = Service.objects.get(slug="acacia")
    # The summary is a fact since issue 21 (it quotes the needs assessment): a curator who rewrites it vouches for it.
    assert record_curator_edits(service, ["summary", "phone", "age_from_months", "age_to_months"], curator) == {
        "summary", "phone", "age_range"}
    for field in ("phone", "age_range"):
        fact = Fact.objects.get(service=service, field=field)
        assert (fact.kind, fact.confirmed_by, fact.confirmed_on) == ("curator", curator, timezone.localdate())
    route = service.referral_routes.get()
    assert record_curator_edits(route, ["method", "order"], curator) == {"how_to_refer"}
    assert Fact.objects.get(route=route, field="how_to_refer").kind == "curator"
    assert record_curator_edits(service, ["description", "alert"], curator) == set()
