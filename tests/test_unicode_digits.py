"""Numbers typed, linked or stored in a cookie are read from ASCII digits only, on every public page.

str.isdigit() is true for "²", "①" and "٣"; int() rejects the first two (a 500 wherever
isdigit() was trusted) and reads Arabic-Indic and full-width digits as numbers, so "٣" would
quietly become 3. Every page must answer with a clear message or leave the value out.
"""
import html
import json

import pytest
from django.urls import reverse

from directory.search.filters import AGE_ERROR
from directory.models import Service
from directory.core.shortlist import COOKIE_NAME
from mapping.presenters import DEFAULT_MEASURE

pytestmark = pytest.mark.django_db

# Superscript two, circled one, Arabic-Indic three, full-width three, and Python's digit separator.
NOT_ASCII_DIGITS = ["²", "①", "٣", "３", "1_0"]
SEARCH = reverse("directory:search")
SHORTLIST = reverse("directory:shortlist")
CHANGE = reverse("directory:shortlist-change")
MAP = reverse("mapping:map")
GEOJSON = reverse("mapping:districts-geojson")
NEEDS = reverse("mapping:needs")
NEEDS_PARAMETERS = ["disorganised_percent", "insecure_percent", "demand_percent", "already_seen_percent", "caseload"]
digits = pytest.mark.parametrize("digit", NOT_ASCII_DIGITS)


def text(response):
    return html.unescape(response.content.decode())


def acacia():
    return Service.objects.get(name="Acacia")


def browser_cookie(value):
    """The Cookie header as a browser sends it: UTF-8 bytes, which WSGI hands over as latin-1."""
    return {"HTTP_COOKIE": f"{COOKIE_NAME}={value}".encode().decode("latin-1")}


# --- Search ---------------------------------------------------------------------------

@digits
@pytest.mark.parametrize("value", ["{}", "1{}", "-{}"])
def test_it_refuses_an_age_in_other_digits_with_the_age_message(client, digit, value):
    response = client.get(SEARCH, {"age": value.format(digit)})
    assert response.status_code == 200
    assert AGE_ERROR in text(response)
    assert response.context["results"].count == Service.objects.published().count()


@digits
def test_it_shows_the_first_page_for_a_page_number_in_other_digits(client, digit):
    response = client.get(SEARCH, {"page": digit})
    assert response.status_code == 200
    assert response.context["results"].page.number == 1
    assert "Page numbers are whole numbers, so this is the first page." in text(response)


@digits
def test_it_refuses_the_free_filter_in_other_digits(client, digit):
    response = client.get(SEARCH, {"free": digit})
    assert response.status_code == 200
    assert "To see free services only, use free=1." in text(response)


# --- Shortlist: links, forms and the cookie -----------------------------------------------

@digits
@pytest.mark.parametrize("shared", ["{}", "{pk}.{}", "{}.{pk}"])
def test_it_leaves_other_digits_out_of_a_shared_list(client, digit, shared):
    pk = acacia().pk
    response = client.get(SHORTLIST, {"services": shared.format(digit, pk=pk)})
    assert response.status_code == 200
    assert [item.name for item in response.context["items"]] == (["Acacia"] if "{pk}" in shared else [])


@digits
def test_it_refuses_to_add_a_service_id_in_other_digits(client, digit):
    response = client.post(CHANGE, {"action": "add", "service": digit})
    assert response.status_code == 400
    assert "That is not a service in this directory." in text(response)
    assert COOKIE_NAME not in response.cookies


@digits
def test_it_leaves_other_digits_out_when_keeping_a_shared_list(client, digit):
    response = client.post(CHANGE, {"action": "replace", "services": f"{acacia().pk}.{digit}"})
    assert response.status_code == 302
    assert response.cookies[COOKIE_NAME].value == str(acacia().pk)


@digits
@pytest.mark.parametrize("path", [SEARCH, SHORTLIST, "/services/acacia/"])
def test_it_ignores_a_bad_cookie_and_sets_a_clean_one(client, digit, path):
    pk = acacia().pk
    response = client.get(path, **browser_cookie(f"{pk}.{digit}"))
    assert response.status_code == 200
    assert response.cookies[COOKIE_NAME].value == str(pk)


@digits
def test_it_shows_the_good_part_of_a_bad_cookie_on_the_shortlist(client, digit):
    response = client.get(SHORTLIST, **browser_cookie(f"{digit}.{acacia().pk}"))
    assert [item.name for item in response.context["items"]] == ["Acacia"]


@digits
def test_it_deletes_a_cookie_with_nothing_usable_in_it(client, digit):
    response = client.get(SEARCH, **browser_cookie(digit))
    assert response.status_code == 200
    assert response.cookies[COOKIE_NAME].value == ""  # an expired, empty cookie


@digits
def test_it_changes_the_shortlist_despite_a_bad_cookie(client, digit):
    pk = acacia().pk
    response = client.post(CHANGE, {"action": "add", "service": pk}, **browser_cookie(f"{digit}.{digit}"))
    assert response.status_code == 302
    assert response.cookies[COOKIE_NAME].value == str(pk)


def test_it_leaves_a_clean_cookie_alone(client):
    response = client.get(SEARCH, **browser_cookie(str(acacia().pk)))
    assert COOKIE_NAME not in response.cookies


# --- Map, its data and the district panel -------------------------------------------------

@digits
def test_it_refuses_an_age_in_other_digits_on_the_map(client, digit):
    response = client.get(MAP, {"age": digit})
    assert response.status_code == 200
    assert AGE_ERROR in text(response)


@digits
@pytest.mark.parametrize("name", ["page", "measure"])
def test_it_ignores_other_digits_in_the_maps_own_parameters(client, digit, name):
    response = client.get(MAP, {name: digit})
    assert response.status_code == 200
    page = text(response)
    # The map as without the parameter: no error, the default measure, no district chosen.
    assert "<title>Error:" not in page and "There is a problem" not in page
    assert f'data-measure="{DEFAULT_MEASURE}"' in page
    assert 'id="district-panel-heading"' not in page  # no district's panel


@digits
def test_it_explains_a_district_in_other_digits_on_the_map(client, digit):
    response = client.get(MAP, {"district": digit})
    assert response.status_code == 200
    page = text(response)
    assert "<title>Error:" in page and "We do not know that district." in page
    assert 'id="district-panel-heading"' not in page  # no district's panel


@digits
@pytest.mark.parametrize("name", NEEDS_PARAMETERS)
def test_it_refuses_a_what_if_in_other_digits_on_the_map(client, digit, name):
    response = client.get(MAP, {name: digit})
    assert response.status_code == 200
    assert "must be a number" in text(response)


@digits
@pytest.mark.parametrize("name", ["age", *NEEDS_PARAMETERS])
def test_it_answers_400_with_a_message_for_other_digits_in_the_map_data(client, digit, name):
    response = client.get(GEOJSON, {name: digit})
    assert response.status_code == 400
    assert name in json.loads(response.content)["errors"]


@digits
@pytest.mark.parametrize("name", ["age", "caseload"])
def test_it_shows_the_district_panel_without_a_bad_number(client, digit, name):
    url = reverse("mapping:district-panel", args=["ladywood"])
    response = client.get(url, {name: digit})
    assert response.status_code == 200
    assert response.content == client.get(url).content  # the panel as if the number had not been given


# --- Needs what-ifs -------------------------------------------------------------------------

@digits
@pytest.mark.parametrize("name", NEEDS_PARAMETERS)
@pytest.mark.parametrize("value", ["{}", "4{}", "{}.5", "1.{}"])
def test_it_refuses_a_what_if_in_other_digits(client, digit, name, value):
    response = client.get(NEEDS, {name: value.format(digit)})
    assert response.status_code == 200
    assert name in response.context["errors"]
    assert "must be a number" in response.context["errors"][name]
    assert response.context["overridden"] == []


# --- The parents' pages ----------------------------------------------------------------

PARENT_PAGES = ["/parents/support/", "/parents/support/all/", "/parents/topics/feeling-low/", "/parents/saved/"]


AGE_MESSAGE = "Please choose your baby's age, or how many months pregnant you are, from the list."
POSTCODE_MESSAGE = "Please check your postcode. It should look like B8 1AA, or its first part, like B8."


@digits
@pytest.mark.parametrize("path", PARENT_PAGES)
def test_the_parents_pages_refuse_other_digits_kindly(client, digit, path):
    asks = path != "/parents/saved/"  # the saved list asks neither the age nor the postcode
    for params, message in (({"age": digit}, AGE_MESSAGE), ({"age": f"p{digit}"}, AGE_MESSAGE),
                            ({"services": f"{acacia().pk}.{digit}"}, None),
                            ({"postcode": f"B{digit} 1AA"}, POSTCODE_MESSAGE)):
        response = client.get(path, params, **browser_cookie(f"{acacia().pk}.{digit}"))
        assert response.status_code == 200, (path, params)
        page = text(response)
        if asks and message:
            assert message in page and "<title>Error:" in page, (path, params)
        else:
            assert "<title>Error:" not in page, (path, params)
        if not asks:  # the good part of the list and of the cookie, without the bad id
            assert [card.name for card in response.context["cards"]] == ["Acacia"], params


@digits
def test_the_parents_save_button_refuses_an_id_in_other_digits(client, digit):
    response = client.post(reverse("parents:saved-change"), {"action": "add", "service": digit, "next": "/parents/"})
    assert response.status_code == 400
    assert "Sorry, that did not work. Please go back and try again." in text(response)
    assert COOKIE_NAME not in response.cookies
