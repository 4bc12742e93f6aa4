"""Stored addresses: only https, http, mailto and tel become links, checked when written and when shown."""
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from directory.models import Organisation, ReferralRoute, Service
from directory.core.safe_urls import is_safe_url, safe_href, tel_href, url_scheme
from directory.core.shortlist import COOKIE_NAME

pytestmark = pytest.mark.django_db

# What a hostile curator, an import or an API client might store. Browsers ignore leading
# spaces and C0 controls and tabs or newlines inside a scheme, and schemes are case-blind.
HOSTILE = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "\x01\x02javascript:alert(1)",
    "\x00javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    " DaTa:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "\tVBScript:msgbox(1)",
]
SAFE = ["https://example.org/", "HTTP://example.org/a?b=1", "mailto:team@example.org", "tel:01212345678"]


# --- The rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("address", HOSTILE + ["ftp://example.org/", "//evil.example/", "/relative", "example.org", ""])
def test_it_refuses_every_other_scheme_and_relative_addresses(address):
    assert not is_safe_url(address)
    assert safe_href(address) == ""


@pytest.mark.parametrize("address", SAFE)
def test_it_allows_web_mail_and_phone_addresses(address):
    assert is_safe_url(address) and safe_href(address) == address


def test_it_reads_the_scheme_as_a_browser_does():
    assert url_scheme("\x1f J\ta\nv\rascript:alert(1)") == "javascript"


@pytest.mark.parametrize("phone, href", [
    ("0121 496 0000", "tel:01214960000"), ("+44 121 496 0000", "tel:+441214960000"),
    ("+44 (0)121 496 0000", "tel:+441214960000"), ("(0121) 496-0000", "tel:01214960000"),
    ("0121 496 0000 (24 hours)", "tel:01214960000"), ("0800 123 4567, free", "tel:08001234567"), ("999", "tel:999"),
    ("javascript:alert(1)", ""), ("Text SHOUT to 85258", ""), ("12", ""), ("+", ""), ("", ""), (None, ""),
    ("\uff10\uff11\uff12\uff11", ""),  # full-width digits: shown, not dialled
])
def test_a_phone_link_dials_the_number_the_field_starts_with(phone, href):
    assert tel_href(phone) == href


# --- Where addresses are written: every URL field ---------------------------------------------

def _full_clean_errors(instance):
    with pytest.raises(ValidationError) as raised:
        instance.full_clean()
    return raised.value.message_dict


@pytest.mark.parametrize("address", HOSTILE + ["ftp://example.org/file"])
def test_full_clean_refuses_hostile_addresses_on_every_url_field(address):
    service = Service.objects.get(name="Acacia")
    route = ReferralRoute.objects.filter(service__status="published").first()
    for instance in (service, route, service.organisation):
        instance.url = address
        assert "url" in _full_clean_errors(instance), (type(instance).__name__, address)


def test_the_admin_says_which_addresses_it_takes(curator_client):
    service = Service.objects.get(name="Acacia")
    organisation = service.organisation
    url = reverse("admin:directory_organisation_change", args=[organisation.pk])
    response = curator_client.post(url, {
        "name": organisation.name, "slug": organisation.slug, "sector": organisation.sector, "url": "ftp://example.org/",
    })
    assert response.status_code == 200
    assert "Enter an address that starts with https://" in response.content.decode()


@pytest.mark.parametrize("address", ["https://example.org/", "http://example.org/"])
def test_full_clean_keeps_web_addresses(address):
    service = Service.objects.get(name="Acacia")
    service.url = address
    service.full_clean()


# --- Where addresses are shown: forced into the database, never a link -----------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src", "action", "formaction")]


def hrefs(response):
    parser = _Links()
    parser.feed(response.content.decode())
    return parser.hrefs


def bad_links(response):
    return [href for href in hrefs(response) if url_scheme(href) in ("javascript", "data", "vbscript")]


def _store_everywhere(address):
    """Every URL field of one published service, forced past validation like a raw import would."""
    service = Service.objects.get(name="Acacia")
    Service.objects.filter(pk=service.pk).update(url=address)
    Organisation.objects.filter(pk=service.organisation_id).update(url=address)
    if not service.referral_routes.exists():
        ReferralRoute.objects.create(service=service, referrer="self", how_to_refer="Phone us.")
    ReferralRoute.objects.filter(service=service).update(url=address)
    return service


@pytest.mark.parametrize("address", HOSTILE)
def test_a_forced_hostile_address_is_never_a_link_on_any_page(client, address):
    if "\x00" in address and connection.vendor == "postgresql":
        pytest.skip("PostgreSQL cannot store a NUL character, so it cannot be forced in there")
    service = _store_everywhere(address)
    client.cookies[COOKIE_NAME] = str(service.pk)
    pages = [
        service.get_absolute_url(),
        reverse("directory:shortlist"),
        reverse("directory:shortlist") + f"?services={service.pk}",
        reverse("directory:search") + "?q=Acacia",
        reverse("mapping:map"),
        reverse("mapping:district-panel", args=["ladywood"]),
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert bad_links(response) == [], path


def test_a_forced_hostile_address_is_still_shown_as_text(client):
    service = _store_everywhere("javascript:alert(1)")
    page = client.get(service.get_absolute_url()).content.decode()
    assert "javascript:alert(1)" in page  # the curator can see what is wrong with it
    assert 'href="javascript' not in page


def test_a_safe_address_is_still_a_link(client):
    service = _store_everywhere("https://acacia.example.org/")
    assert "https://acacia.example.org/" in hrefs(client.get(service.get_absolute_url()))
    client.cookies[COOKIE_NAME] = str(service.pk)
    assert "https://acacia.example.org/" in hrefs(client.get(reverse("directory:shortlist")))
