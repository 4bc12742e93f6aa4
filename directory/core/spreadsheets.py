"""CSV cells a spreadsheet would run as a formula ("=HYPERLINK(...)"), made inert on the way
out and restored on the way back in: every CSV the directory writes or reads (the public CSV,
the curators' export and import) goes through these."""
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def escape_cell(value):
    """A text cell a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescape_cell(value):
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
