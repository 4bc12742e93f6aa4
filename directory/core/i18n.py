"""Which languages the site may offer: only those whose catalogue a person has translated in full.

No machine translation (issue 9): a catalogue counts as complete when every message in
`locale/<lang>/LC_MESSAGES/django.po` has a translation and none is marked fuzzy. None
ships yet, so the site is English only and the parents' language switcher stays hidden.
Read once, when settings load; plain Python, no Django imports.
"""
import re
from pathlib import Path

_ENTRY = re.compile(r'^(#,.*\n)?(?:#.*\n)*msgid ((?:".*"\n)+)(?:msgid_plural (?:".*"\n)+)?((?:msgstr(?:\[\d\])? (?:".*"\n)+)+)',
                    re.MULTILINE)


def _strings(block):
    return "".join(re.findall(r'"(.*)"', block))


def catalogue_is_complete(po_path):
    """True when every entry but the header has non-empty translations and none is fuzzy."""
    text = Path(po_path).read_text(encoding="utf-8") + "\n"
    entries = 0
    for match in _ENTRY.finditer(text):
        flags, msgid, msgstrs = match.group(1) or "", _strings(match.group(2)), match.group(3)
        if not msgid:
            continue  # the header
        entries += 1
        if "fuzzy" in flags:
            return False
        if any(not _strings(part) for part in re.split(r"^msgstr(?:\[\d\])? ", msgstrs, flags=re.MULTILINE)[1:]):
            return False
    return entries > 0


def complete_languages(locale_dir, names):
    """[(code, name)] for each language in `names` ({code: name}) with a complete catalogue."""
    found = []
    for code, name in names.items():
        po = Path(locale_dir) / code.replace("-", "_") / "LC_MESSAGES" / "django.po"
        if po.exists() and catalogue_is_complete(po):
            found.append((code, name))
    return found
