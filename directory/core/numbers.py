"""Numbers from query strings, forms and cookies: ASCII digits and nothing else.

Python is generous with digits: str.isdigit() is true for "²", "①" and "٣"; int() and
Decimal() reject the first two (a 500 wherever isdigit() was trusted) but read Arabic-Indic
and full-width digits ("٣", "３") as numbers, and accept "1_000". A value nobody typed as a
number must never be used as one, so everything here matches [0-9] before converting.
"""
import re
from decimal import Decimal

from django import forms

# [0-9], not \d: \d matches every Unicode digit.
_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Far below int()'s 4,300-digit limit, far above any id, age or page number.
MAX_LENGTH = 100


def _trimmed(raw):
    # Spaces a person typed around a number are forgiven; nothing else is.
    return str(raw).strip(" \t\r\n") if raw is not None else ""


def whole_number(raw, *, signed=True):
    """The int written in `raw` in ASCII digits (with a sign if `signed`), else None."""
    text = _trimmed(raw)
    if len(text) > MAX_LENGTH or not _WHOLE.fullmatch(text) or (not signed and text[0] in "+-"):
        return None
    return int(text)


def decimal_number(raw):
    """The Decimal written in `raw` in ASCII (digits, one point, an optional exponent), else None.
    No NaN or Infinity: they are not numbers a person can plan with."""
    text = _trimmed(raw)
    if len(text) > MAX_LENGTH or not _DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


class WholeNumberField(forms.IntegerField):
    """An IntegerField that reads ASCII digits only (Django's reads "٣" as 3)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = whole_number(value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number
