"""Every parents' page, with the seed's content, says none of the practitioners' words (issue 21):
no level or focus names, no team words or abbreviations (directory/parents/plain_words.py), and
no claim about who can refer a family that no record makes. Service and organisation names are
names: "Community and Specialist Midwives" is what the service is called."""
import re

import pytest
from django.urls import URLPattern, reverse

from directory.core.shortlist import COOKIE_NAME
from directory.core.sources import DIRECTORY_TEAM_NOTE
from directory.models import FOCUS_EXPLANATIONS, Focus, Language, Level, Organisation, ParentTopic, Service
from directory.parents import urls as parent_urls
from directory.parents.plain_words import jargon_in
from directory.parents.presenters import ABBREVIATION_ASIDE

pytestmark = pytest.mark.django_db

# What no record says: the old lines that told every family a health visitor, midwife or GP
# could refer them or get them in touch.
CLAIMS = ["can refer you", "can help you get in touch", "can tell you about", "will tell you about it",
          "can put you in touch"]
FIRST_STEPS = ["birmingham-forward-steps-health-visiting", "birmingham-forward-steps-early-years-and-family-support"]


def test_abbreviations_match_only_in_capitals_and_words_only_whole():
    assert jargon_in("Send this list") == []
    assert jargon_in("Help for children with SEND") == ["SEND"]
    assert jargon_in("A non-specialised service") == ["non-specialised"]
    assert jargon_in("Statutory services, and safeguarding.") == ["statutory", "safeguarding"]
    assert jargon_in("A piece of pie") == []
    assert jargon_in("Children's centres help families.") == []


def _names():
    names = set(Service.objects.values_list("name", flat=True))
    for name in Organisation.objects.values_list("name", flat=True):
        names |= {name, ABBREVIATION_ASIDE.sub("", name)}
    return sorted(names, key=len, reverse=True)


def visible_text(html, names):
    html = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&amp;", "&")
    for name in names:
        text = text.replace(name, " ")
    # The source line under a description names the needs assessment, as practitioners' pages do.
    return text.replace(DIRECTORY_TEAM_NOTE, " ")


def words_never_said():
    levels = [level.name for level in Level.objects.all()] + [level.description for level in Level.objects.all()]
    return levels + list(Focus.labels) + list(FOCUS_EXPLANATIONS.values())


def scan(client, urls, *, post=None):
    """[(url, [what it says that it must not])] for every page that says something it must not."""
    names, never = _names(), words_never_said()
    problems = []
    responses = [(url, client.get(url)) for url in urls] + [(f"POST {url}", client.post(url, data))
                                                           for url, data in (post or [])]
    for url, response in responses:
        assert response.status_code in (200, 400), (url, response.status_code)
        text = visible_text(response.content.decode(), names)
        said = jargon_in(text) + [word for word in never if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])",
                                                                        text, flags=re.I)]
        said += [claim for claim in CLAIMS if claim in text.lower()]
        if said:
            problems.append((url, sorted(set(said))))
    return problems


def every_parent_page(client):
    """(urls, posts, url names visited): every parents' page type, for every seeded service
    and topic, with and without answers, and a language no service is tagged with."""
    services = list(Service.objects.for_parents().order_by("slug"))
    ids = ".".join(str(service.pk) for service in services)
    untagged = Language.objects.exclude(services__isnull=False).order_by("code").first()
    answers = ["", "?age=4&postcode=B8+1AA", "?age=p3", f"?language={untagged.code}"]
    urls = [reverse("parents:start")]
    urls += [reverse("parents:support") + query for query in answers[:3]]
    urls += [reverse("parents:everything") + query for query in answers]
    for topic in ParentTopic.objects.order_by("slug"):
        urls += [reverse("parents:topic", args=[topic.slug]) + query for query in answers]
    for service in services:
        urls += [reverse(name, args=[service.slug])
                 for name in ("parents:service", "parents:suggest-change", "parents:suggest-thanks")]
    urls += [reverse("parents:saved"), reverse("parents:saved") + f"?services={ids}"]
    urls += [reverse("whatson:whats-on") + query for query in answers]  # issue 23
    posts = [(reverse("parents:saved-change"), {"action": "explode"}),
             (reverse("parents:suggest-change", args=[services[0].slug]), {"text": ""})]
    client.cookies[COOKIE_NAME] = ids  # the parent's own list, every service on it
    return urls, posts


def test_no_parents_page_says_a_practitioners_word_or_a_claim_no_record_makes(client):
    Service.objects.filter(slug__in=FIRST_STEPS).update(first_step=True)  # "Not sure where to start?" shown too
    urls, posts = every_parent_page(client)
    assert scan(client, urls + [reverse("parents:saved")], post=posts) == []


def test_the_scan_visits_every_kind_of_parents_page(client):
    urls, posts = every_parent_page(client)
    from django.urls import resolve

    visited = {resolve(url.split("?")[0]).url_name for url in urls} | {resolve(url).url_name for url, _ in posts}
    named = {pattern.name for pattern in parent_urls.urlpatterns if isinstance(pattern, URLPattern)}
    assert visited == named | {"whats-on"}  # the parents' what's-on page lives in directory/whatson/ (issue 23)


@pytest.mark.parametrize("words, found", [
    ("Statutory child protection and safeguarding services.", ["safeguarding", "statutory"]),
    ("Delivers the Healthy Child Programme, with five mandated contacts.", ["mandated"]),
    ("Includes Dyadic Developmental Psychotherapy.", ["dyadic"]),
    ("Targeted support, with an additional focus on the relationship.", ["Additional focus", "targeted"]),
])
def test_the_scan_fails_when_a_description_in_practitioners_words_is_put_back(client, words, found):
    slug = "childrens-social-care"
    Service.objects.filter(slug=slug).update(parent_description=words)
    url = reverse("parents:service", args=[slug])
    [(where, said)] = scan(client, [url])
    assert where == url and set(found) <= set(said)


def test_a_practitioners_summary_never_reaches_a_parents_page_even_without_descriptions(client):
    """Remove every description: the pages build plain sentences, and the jargon-laden summaries
    ("five mandated contacts", "Statutory child protection and safeguarding services") stay away."""
    Service.objects.update(parent_description="")
    urls, posts = every_parent_page(client)
    summaries = [summary for summary in Service.objects.values_list("summary", flat=True)]
    assert scan(client, urls, post=posts) == []
    for url in urls[:12]:
        text = client.get(url).content.decode()
        assert not [summary for summary in summaries if summary and summary in text], url
