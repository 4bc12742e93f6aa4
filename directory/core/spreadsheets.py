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


def csv_download(filename, rows):
    """An attachment response of `rows` as CSV, dated today, with the byte-order mark Excel needs
    to read UTF-8. Callers escape their cells (escape_cell)."""
    import csv

    from django.http import HttpResponse
    from django.utils import timezone

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{timezone.localdate().isoformat()}.csv"'
    response.write("\ufeff")  # so that Excel reads the file as UTF-8
    csv.writer(response).writerows(rows)
    return response
