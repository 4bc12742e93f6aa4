"""Words to offer as a practitioner types keywords (issue 22): a <datalist> of the needs, the
approaches, the districts and the published services' names. A progressive enhancement: the
browser shows the list as suggestions; without it the box is an ordinary text box.

The list is capped (`MAX_SUGGESTIONS`) so the pages that carry it stay small when the directory
grows past one city: the controlled lists come first, then services' names in name order.
"""
from directory.models import Service
from directory.search.terms import per_version, terms

MAX_SUGGESTIONS = 300
# The controlled lists whose names a person might type, most useful first.
KINDS = ("need", "district", "intervention")


def published_service_names():
    """Every published service's name, in name order. One query per content version (kept in
    this process's memory, like the controlled lists: directory/search/terms.py)."""
    return per_version("published-service-names",
                       lambda: tuple(Service.objects.published().order_by("name").values_list("name", flat=True)))


def keyword_suggestions():
    """At most MAX_SUGGESTIONS distinct names (case aside), in alphabetical order. Worked out once
    per content version; no query once the version's names are read."""
    return per_version("keyword-suggestions", lambda: _suggestions(MAX_SUGGESTIONS))


def _suggestions(limit):
    lists = terms()
    seen, chosen = set(), []
    for name in [term.name for kind in KINDS for term in lists[kind]] + list(published_service_names()):
        key = " ".join(name.split()).casefold()
        if key and key not in seen:
            seen.add(key)
            chosen.append(" ".join(name.split()))
        if len(chosen) == limit:
            break
    return tuple(sorted(chosen, key=str.casefold))
