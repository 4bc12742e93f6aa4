"""Words to offer as a practitioner types keywords (issue 22): a <datalist> of the needs, the
approaches, the districts and the published services' names. A progressive enhancement: the
browser shows the list as suggestions; without it the box is an ordinary text box.

The list is capped (`MAX_SUGGESTIONS`) so the pages that carry it stay small when the directory
grows past one city: the controlled lists come first, then services' names in name order (the
first SERVICE_NAMES_MAX, read with the controlled lists in their one query per content version:
directory/search/terms.py).
"""
from directory.search.terms import SERVICE_NAMES_MAX, per_version, terms

MAX_SUGGESTIONS = SERVICE_NAMES_MAX
# The controlled lists whose names a person might type, most useful first.
KINDS = ("need", "district", "intervention")


def keyword_suggestions():
    """At most MAX_SUGGESTIONS distinct names (case aside), in alphabetical order. Worked out once
    per content version, from the lists in memory: no query of its own."""
    return per_version("keyword-suggestions", lambda: _suggestions(MAX_SUGGESTIONS))


def _suggestions(limit):
    lists = terms()
    seen, chosen = set(), []
    for name in [term.name for kind in KINDS for term in lists[kind]] + list(lists.service_names):
        key = " ".join(name.split()).casefold()
        if key and key not in seen:
            seen.add(key)
            chosen.append(" ".join(name.split()))
        if len(chosen) == limit:
            break
    return tuple(sorted(chosen, key=str.casefold))
