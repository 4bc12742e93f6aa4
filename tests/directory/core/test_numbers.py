"""directory/core/numbers.py: ASCII digits only, whatever str.isdigit(), int() and Decimal() would accept."""
from decimal import Decimal

import pytest

from directory.core.numbers import WholeNumberField, decimal_number, whole_number
from directory.core.shortlist import parse_ids

NOT_ASCII = ["²", "①", "٣", "３", "1_0", "1²", "٣.5", "", " ", "1 2", "1\x00", "\u30001", "NaN", "Infinity", "0x10", "1" * 101]


@pytest.mark.parametrize("raw, number", [("4", 4), ("-3", -3), ("+2", 2), (" 12 ", 12), ("007", 7)])
def test_it_reads_whole_numbers_in_ascii_digits(raw, number):
    assert whole_number(raw) == number


@pytest.mark.parametrize("raw", NOT_ASCII + ["1.5", "1e3"])
def test_it_reads_nothing_else_as_a_whole_number(raw):
    assert whole_number(raw) is None


def test_it_refuses_a_sign_when_told_to():
    assert whole_number("-3", signed=False) is None and whole_number("+3", signed=False) is None


@pytest.mark.parametrize("raw, number", [("52", Decimal(52)), ("12.3", Decimal("12.3")), (".5", Decimal("0.5")),
                                         ("-1", Decimal(-1)), ("1e2", Decimal(100))])
def test_it_reads_decimals_in_ascii(raw, number):
    assert decimal_number(raw) == number


@pytest.mark.parametrize("raw", NOT_ASCII + ["1.2.3", "1e", "e5", "1e٣"])
def test_it_reads_nothing_else_as_a_decimal(raw):
    assert decimal_number(raw) is None


@pytest.mark.parametrize("raw", ["٣", "３", "²", "1_0"])
def test_the_form_field_says_invalid_rather_than_reading_other_digits(raw):
    field = WholeNumberField(error_messages={"invalid": "Whole months, please."})
    with pytest.raises(Exception, match="Whole months, please."):
        field.clean(raw)
    assert field.clean("-3") == -3 and WholeNumberField(required=False).clean("") is None


def test_it_keeps_only_ascii_ids_from_a_shortlist_string():
    assert parse_ids("12.².①.٣.３.1_0.+4.-5.3.12") == [12, 3]
