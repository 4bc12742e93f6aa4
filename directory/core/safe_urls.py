"""One rule for stored addresses that become links: https, http, mailto or tel, nothing else.

It runs twice: where an address is written (`validate_url_scheme` on every URL field, so
full_clean, the admin, imports and a future API refuse `javascript:`), and where one is
rendered (`safe_href` in presenters), for anything that reached the database another way,
such as `.update()` or raw SQL. A phone number, free text, becomes a link through `tel_href`.
"""
import re

from django.core.exceptions import ValidationError

SAFE_SCHEMES = frozenset({"https", "http", "mailto", "tel"})
# What a browser ignores before reading a scheme: leading and trailing C0 controls and spaces,
# and tabs and newlines anywhere ("java\tscript:" is javascript:).
_IGNORED_EDGES = "".join(chr(c) for c in range(0x21))
_IGNORED_ANYWHERE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# The number a phone field starts with: ASCII digits, "+" only first, spaces, dots and dashes
# between digits, and digits in brackets ("(0121) 496 0000"; "+44 (0)121...", whose 0 is not dialled).
_PHONE = re.compile(r"\s*\+?(?:[0-9]|\([0-9 ]+\))(?:[0-9]|[ .-]+(?=[0-9(])|\([0-9 ]+\))*")
MESSAGE = "Enter an address that starts with https:// (or http://)."


def url_scheme(value):
    """The scheme a browser would use for `value`, lower case; "" when it has none."""
    text = _IGNORED_ANYWHERE.sub("", str(value or "")).strip(_IGNORED_EDGES)
    match = _SCHEME.match(text)
    return match.group(1).lower() if match else ""


def is_safe_url(value):
    """True for an address with one of SAFE_SCHEMES. Relative addresses are refused too: a
    stored address is always absolute, and "//host" or "\\host" could lead anywhere."""
    return url_scheme(value) in SAFE_SCHEMES


def safe_href(value):
    """`value` when it may be a link's href, else "" (the caller then shows text, not a link)."""
    return value if value and is_safe_url(value) else ""


def tel_href(phone):
    """A tel: link dialling the number `phone` starts with, else "" (the caller shows text). A
    stored number is free text: "0121 496 0000 (24 hours)" dials 01214960000, not the 24 too,
    and "Text SHOUT to 85258" or "Call 999" are not dialled at all."""
    match = _PHONE.match(str(phone or ""))
    number = match.group(0).replace("(0)", "") if match else ""
    digits = "".join(c for c in number if c in "+0123456789")
    return f"tel:{digits}" if len(digits.lstrip("+")) >= 3 else ""


def validate_url_scheme(value):
    """The model-field validator (a module-level function, so migrations can name it)."""
    if value and not is_safe_url(value):
        raise ValidationError(MESSAGE, code="invalid_scheme")
