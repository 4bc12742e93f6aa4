"""Descriptions for parents (issue 21): one for every seeded service, written from sourced facts,
easy to read (Flesch reading ease 70 or more), in no practitioner's words; shown with their
source until a curator or the service changes them; and, for a service that has none yet, a
plain sentence from its structured fields, never the practitioners' summary."""
import importlib.util
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.urls import reverse

from directory.checkins.readability import reading_ease
from directory.core.sources import DIRECTORY_TEAM_NOTE
from directory.models import AgeRange, Fact, Organisation, ReferralRoute, Referrer, Service, SourceKind, Status
from directory.parents.plain_words import jargon_in

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DESCRIPTIONS = yaml.safe_load((FIXTURES / "parent_descriptions.yaml").read_text())
SEED_KEYS = [entry["key"] for entry in yaml.safe_load((FIXTURES / "seed_services.yaml").read_text())["services"]]
WRITTEN = DESCRIPTIONS["descriptions"]
ABBREVIATION = re.compile(r"\b[A-Z]{2,}\b")
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")

pytestmark = pytest.mark.django_db


def test_every_seeded_service_has_a_description_and_nothing_else_does():
    assert sorted(WRITTEN) == sorted(SEED_KEYS)


def test_the_descriptions_source_is_the_one_the_pages_show():
    assert DESCRIPTIONS["source"] == DIRECTORY_TEAM_NOTE


@pytest.mark.parametrize("key", SEED_KEYS)
def test_each_description_is_easy_to_read(key):
    assert reading_ease(WRITTEN[key]) >= 70, (key, reading_ease(WRITTEN[key]))


@pytest.mark.parametrize("key", SEED_KEYS)
def test_each_description_speaks_to_the_parent_in_plain_words(key):
    text = " ".join(WRITTEN[key].split())
    assert jargon_in(text) == [], key
    assert ABBREVIATION.findall(text) == [], key
    assert 2 <= len(SENTENCE_END.findall(text)) <= 4, key
    assert re.search(r"\byou(r)?\b", text, flags=re.I), f"{key} does not speak to the parent"


def test_the_readability_script_reports_every_description_and_the_lowest(capsys):
    spec = importlib.util.spec_from_file_location("bench_readability", Path(settings.BASE_DIR) / "bench" / "readability.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main() == 0
    out = capsys.readouterr().out
    lowest = min(reading_ease(text) for text in WRITTEN.values())
    assert all(key in out for key in SEED_KEYS)
    assert f"25 descriptions; lowest {lowest:.1f}" in out and "goal 70: met" in out


def test_the_readability_script_fails_on_a_hard_or_jargon_description(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_readability", Path(settings.BASE_DIR) / "bench" / "readability.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    bad = tmp_path / "descriptions.yaml"
    bad.write_text(yaml.safe_dump({"descriptions": {
        "five-contacts": "Delivers the Healthy Child Programme, with five mandated contacts.",
        "kind": "A group where you and your baby can play.",
    }}))
    assert script.main(bad) == 1
    out = capsys.readouterr().out
    assert "says: mandated" in out and "NOT met by 1" in out


# --- Loaded by the seed, with their source -------------------------------------------------

def test_the_seed_loads_each_description_with_the_directory_teams_source():
    services = {service.slug: service for service in Service.objects.all()}
    for key in SEED_KEYS:
        assert services[key].parent_description == " ".join(WRITTEN[key].split()), key
    facts = Fact.objects.filter(field="parent_description")
    assert facts.count() == len(SEED_KEYS)
    assert set(facts.values_list("kind", flat=True)) == {SourceKind.DIRECTORY_TEAM}


def _service_page(client, slug):
    return client.get(reverse("parents:service", args=[slug])).content.decode()


def test_a_service_page_says_who_wrote_the_description_until_it_is_checked(client):
    text = _service_page(client, "acacia")
    assert f'<p class="app-source app-source--description">{DIRECTORY_TEAM_NOTE}</p>' in text


def test_the_note_goes_once_the_imhsg_confirms_the_description(client, curator):
    Fact.objects.filter(service__slug="acacia", field="parent_description").confirm(curator)
    assert DIRECTORY_TEAM_NOTE not in _service_page(client, "acacia")


def test_the_note_goes_once_the_service_says_it_is_still_right(client):
    from django.utils import timezone

    Fact.objects.filter(service__slug="acacia", field="parent_description").update(
        checked_by_service_on=timezone.localdate())
    assert DIRECTORY_TEAM_NOTE not in _service_page(client, "acacia")


def test_the_note_goes_once_a_curator_rewrites_the_description(curator_client, client):
    from tests.directory.curation.admin_forms import change_form_post

    acacia = Service.objects.get(slug="acacia")
    url = reverse("admin:directory_service_change", args=[acacia.pk])
    page = curator_client.get(url)
    words = "Acacia helps mums and dads who feel low. You can join a group."
    response = curator_client.post(url, change_form_post(page, parent_description=words))
    assert response.status_code == 302, response.content.decode()[:2000]
    fact = Fact.objects.get(service=acacia, field="parent_description")
    assert fact.kind == SourceKind.CURATOR and fact.confirmed_on
    curator_client.logout()
    text = _service_page(client, "acacia")
    assert words in text and DIRECTORY_TEAM_NOTE not in text


def test_the_saved_list_says_who_wrote_each_description(client):
    acacia = Service.objects.get(slug="acacia")
    text = client.get(reverse("parents:saved"), {"services": str(acacia.pk)}).content.decode()
    assert DIRECTORY_TEAM_NOTE in text


# --- A service with no description yet ---------------------------------------------------------

SUMMARY = "Statutory safeguarding with five mandated contacts (0.8 WTE)."


def _new_service(*, routes=(), **fields):
    """A published service a curator has just added: no description for parents yet."""
    organisation = Organisation.objects.create(name="Bumps and Babies CIC", slug="bumps-and-babies")
    service = Service.objects.create(
        organisation=organisation, name="Bumps and Babies", slug="bumps-and-babies", status=Status.PUBLISHED,
        summary=SUMMARY, focus="additional", **fields)
    for referrer in routes:
        ReferralRoute.objects.create(service=service, referrer=referrer)
    return service


@pytest.mark.parametrize("fields, routes, expected", [
    ({"eligibility_description": "Teenage parents", "age_range": AgeRange.RANGE, "age_from_months": -9,
      "age_to_months": 23}, [Referrer.PROFESSIONAL],
     "For teenage parents: from pregnancy until your baby is 2 years. This service takes referrals from professionals."),
    ({"age_range": AgeRange.NOT_STATED}, [],
     "For families: ask them which ages they help. We do not know yet how to get this help."),
    ({"age_range": AgeRange.RANGE, "age_from_months": 0, "age_to_months": 11}, [Referrer.SELF],
     "For families: from birth until your baby is 1 year. You can contact them yourself."),
    ({"eligibility_description": "Women of all ages.", "age_range": AgeRange.ANY}, [Referrer.AUTOMATIC],
     "For women of all ages: any age. Every family is offered this."),
])
def test_without_a_description_parents_read_a_plain_sentence_never_the_summary(client, fields, routes, expected):
    service = _new_service(routes=routes, **fields)
    for url in (reverse("parents:service", args=[service.slug]), reverse("parents:everything")):
        text = client.get(url).content.decode()
        assert expected in text, url
        assert "mandated" not in text and "WTE" not in text, url
    assert DIRECTORY_TEAM_NOTE not in _service_page(client, service.slug)  # nobody wrote it


def test_the_built_sentence_says_the_sources_own_words_for_ages(client):
    service = _new_service(eligibility_description="Pregnant women and new mothers", age_range=AgeRange.RANGE,
                           age_from_months=-9, age_to_months=1, age_words="pregnancy to 28 days after birth")
    text = _service_page(client, service.slug)
    assert "For pregnant women and new mothers: pregnancy to 28 days after birth." in text
    assert "Pregnancy to 28 days after birth" in text  # the ages row too
    assert "2 months" not in text
