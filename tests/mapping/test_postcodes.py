import pytest

from mapping.postcodes import FOUND, INVALID, OUTSIDE, UNKNOWN, normalise_postcode, postcode_lookup


@pytest.mark.parametrize("raw", ["B8 6AB", "b86ab", " B8 6AB ", "b8  6ab", "B8\t6AB", "b8 6Ab"])
def test_it_normalises_any_spelling(raw):
    assert normalise_postcode(raw) == "B8 6AB"


@pytest.mark.parametrize("raw", ["B4 6NH", "B15 2TT", "B75 7RR", "EC1A 1BB", "W1A 0AX", "M1 1AE"])
def test_it_keeps_valid_shapes(raw):
    assert normalise_postcode(raw.lower().replace(" ", "")) == raw


@pytest.mark.parametrize("raw", ["", "   ", "B8", "6AB", "BB 6AB", "<script>alert(1)</script>", "B8 6ABX",
                                 "B86AB" * 3, "12345", None, 42, "B8 6A"])
def test_it_rejects_garbage(raw):
    assert normalise_postcode(raw) is None


@pytest.mark.django_db
def test_it_finds_a_birmingham_postcode_with_its_district():
    result = postcode_lookup(" b46nh")
    assert result.status == FOUND and result.found
    assert result.postcode == "B4 6NH"
    assert result.district.name == "Ladywood"
    assert 52.4 < result.lat < 52.6 and -2.0 < result.lon < -1.8
    assert result.message == ""


@pytest.mark.django_db
def test_it_says_when_a_postcode_is_just_outside_the_city():
    from mapping.models import Postcode

    outside = Postcode.objects.filter(district__isnull=True).first()
    result = postcode_lookup(outside.postcode.lower())
    assert result.status == OUTSIDE and not result.found
    assert "just outside Birmingham" in result.message


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["EC1A 1BB", "M1 1AE", "B99 9ZZ"])
def test_it_says_a_well_formed_postcode_is_not_a_birmingham_one(raw):
    result = postcode_lookup(raw)
    assert result.status == UNKNOWN
    assert raw in result.message and "Birmingham postcodes" in result.message


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["<script>", "", "not a postcode", None])
def test_it_asks_for_a_full_postcode_when_given_garbage(raw):
    result = postcode_lookup(raw)
    assert result.status == INVALID
    assert result.message == "Enter a full postcode, like B8 1AA."
    assert "<script>" not in result.message


@pytest.mark.django_db
def test_it_looks_up_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        postcode_lookup("B8 1AA").district
