"""Reading what people type (issue 22): places and languages typed as keywords, everyday word
forms, and typos, the same way on SQLite and PostgreSQL.

Both databases then match the same alternatives (directory/search/keywords.py): what differs
between them (substring or full-text matching) is left with the engines; what a person
means is decided here, in Python, once.

- **Places.** A district's name ("Sutton Coldfield"), a postcode district ("B8"), sector or
  full postcode typed among the keywords becomes the search's place, when no postcode or
  district was chosen: the words leave the keywords and fill the postcode or district.
- **Languages.** A language the directory lists ("Urdu", "Punjabi") becomes the language
  filter. English is not read as one: every service works in English, few say so.
- **Word forms.** Each word also matches its plural or singular and its possessive
  ("midwife" and "midwives", "children's" and "childrens"), which neither PostgreSQL's
  English stemmer ("midwif" and "midwiv") nor a substring match covers.
- **Typos.** A word no published service, need, approach or synonym uses, within one edit
  (two for words of eight letters or more) of one that is, is searched as that word and the
  page says so ("Showing results for perinatal"). The vocabulary is read once per content
  version.
"""
import re
from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps

from directory.search.terms import per_version, synonym_table, terms

WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
POSTCODE_WORD = re.compile(r"^b\d{1,2}[a-z]?$")
INWARD = re.compile(r"^\d[a-z]{0,2}$")
# Everyday names of languages the directory lists under another name.
LANGUAGE_ALIASES = {"punjabi": "pa", "farsi": "fa", "bsl": "bfi", "sign language": "bfi", "mandarin": "zh",
                    "cantonese": "zh"}
NOT_READ_AS_LANGUAGE = {"en"}
SHORTEST_CORRECTED = 4  # "B8", "HV" and "PND" are never "corrected"
VOCABULARY_SERVICES = 5000


@dataclass
class Reading:
    """What the search made of the keywords: the data to search with, and what to tell the user."""

    data: object  # a QueryDict
    notices: list = field(default_factory=list)


def read(data):
    """`data` (a QueryDict) with places and languages typed as keywords moved to their own
    parameters. Leaves everything else as given."""
    q = " ".join((data.get("q") or "").split())
    if not q:
        return Reading(data)
    data = data.copy()
    notices = []
    words = q.split()
    lowered = [word.lower().strip(",.;:!?") for word in words]

    if not data.get("postcode") and not data.get("district"):
        words, lowered, place, typed = _take_place(words, lowered)
        if place is not None:
            key, value, name = place
            data[key] = value
            notices.append(f"We read \u201c{typed}\u201d as the family\u2019s place: {name}.")
    words, lowered, languages = _take_languages(words, lowered)
    if languages:
        chosen = data.getlist("language")
        data.setlist("language", list(dict.fromkeys(chosen + [code for code, _ in languages])))
        names = " and ".join(name for _, name in languages)
        notices.append(f"We read \u201c{names}\u201d as the language the family speaks.")
    data["q"] = " ".join(words)
    return Reading(data, notices)


def _take_place(words, lowered):
    """(words, lowered, (parameter, value, name) or None, the words as typed)."""
    districts = {district.name.lower(): district for district in terms()["district"]}
    for size in (3, 2, 1):
        for i in range(len(lowered) - size + 1):
            phrase = " ".join(lowered[i:i + size])
            district = districts.get(phrase)
            if district is not None:
                typed = " ".join(words[i:i + size])
                return words[:i] + words[i + size:], lowered[:i] + lowered[i + size:], (
                    "district", district.slug, district.name), typed
    for i, word in enumerate(lowered):
        if POSTCODE_WORD.match(word):
            size = 2 if i + 1 < len(lowered) and INWARD.match(lowered[i + 1]) else 1
            typed = " ".join(words[i:i + size])
            place = _postcode_place(typed)
            if place is not None:
                return words[:i] + words[i + size:], lowered[:i] + lowered[i + size:], (
                    "postcode", typed.upper(), place), typed
    return words, lowered, None, ""


def _postcode_place(typed):
    from mapping.postcodes import place_lookup

    result = place_lookup(typed)
    if not result.found:
        return None
    return f"{result.postcode}, {result.district.name}" if result.district else result.postcode


def _take_languages(words, lowered):
    names = {}
    for language in terms()["language"]:
        if language.code not in NOT_READ_AS_LANGUAGE:
            names[language.name.lower()] = (language.code, language.name)
            names[re.sub(r"\s*\(.*?\)", "", language.name).lower()] = (language.code, language.name)
    by_code = {code: name for code, name in names.values()}
    for alias, code in LANGUAGE_ALIASES.items():
        if code in by_code:
            names.setdefault(alias, (code, by_code[code]))
    found = []
    for size in (3, 2, 1):
        i = 0
        while i <= len(lowered) - size:
            phrase = " ".join(lowered[i:i + size])
            if phrase in names:
                found.append(names[phrase])
                words, lowered = words[:i] + words[i + size:], lowered[:i] + lowered[i + size:]
            else:
                i += 1
    return words, lowered, list(dict.fromkeys(found))


# --- Word forms ---------------------------------------------------------------------------

def word_forms(word, root=True):
    """The word, its plural or singular, and its possessive forms, longest rules first:
    'midwife' -> midwife, midwives; 'babies' -> babies, baby; "children's" -> children's,
    children, childrens."""
    word = word.lower().replace("’", "'")
    forms = [word]
    if word.endswith("'s"):
        forms += [word[:-2], word[:-2] + "s"]
        return list(dict.fromkeys(forms))
    if len(word) < 3 or not word.isalpha():
        return forms
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    elif word.endswith("ves"):
        forms += [word[:-3] + "fe", word[:-3] + "f"]
    elif word.endswith(("ses", "xes", "ches", "shes")):
        forms.append(word[:-2])
    elif word.endswith("s") and not word.endswith("ss"):
        forms += [word[:-1], word[:-1] + "'s"]
    elif word.endswith("y") and word[-2] not in "aeiou":
        forms.append(word[:-1] + "ies")
    elif word.endswith("fe"):
        forms.append(word[:-2] + "ves")
    elif word.endswith(("s", "x", "ch", "sh")):
        forms.append(word + "es")
    else:
        forms.append(word + "s")
    if word == "child":
        forms.append("children")
    if word == "children":
        forms.append("child")
    stem = word_root(word) if root else word
    if stem != word:
        forms.append(stem)
    return list(dict.fromkeys(forms))


SUFFIXES = ("ations", "ation", "ings", "ing", "ness", "ments", "ment", "ences", "ence", "ents", "ent", "ions",
            "ion", "ed", "ly")


def word_root(word):
    """The word without one common ending, where at least four letters stay: 'bonded' ->
    'bond', 'adopted' -> 'adopt', 'confident' -> 'confid'. Matched where a word starts, it
    finds 'bonding', 'adoption' and 'confidence' (PostgreSQL's stemmer reads it the same way)."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


# --- Typos --------------------------------------------------------------------------------

def vocabulary():
    """Counter of the words published services, their needs and approaches, and the synonyms
    use, lower-cased. Read once per content version."""
    return per_version("vocabulary", _read_vocabulary)


def _read_vocabulary():
    # One query: the published services' own words (the controlled lists and synonyms are
    # already in memory), from at most VOCABULARY_SERVICES of them so that the first typo after a
    # change costs the same at 100,000 services as at 25 (a word only the others use is rare).
    # Routes' criteria are left out for the same reason.
    Service = apps.get_model("directory.Service")
    words = Counter()
    rows = Service.objects.published().order_by("-modified").values_list(
        "name", "summary", "description", "eligibility_description")[:VOCABULARY_SERVICES]
    for row in rows.iterator():
        for text in row:
            words.update(WORD.findall((text or "").lower()))
    for kind in ("need", "intervention", "delivery"):
        for term in terms()[kind]:
            words.update(WORD.findall(term.name.lower()))
    for term in synonym_table():
        words.update(WORD.findall(term))
    # Their other forms too, so "clases" is one edit from "classes", not two from "class".
    for word, count in list(words.items()):
        for form in word_forms(word)[1:]:
            words[form] += 0 if form in words else count
    return words


def known(word, vocab):
    return any(form in vocab for form in word_forms(word))


def correction(word, vocab=None, matches=None):
    """The directory's own word closest to an unknown `word`, or None (known, too short, or
    nothing close). Ties go to the commoner word. `matches(word)` says whether any published
    service has the word (keywords.word_matches): only a word that matches nothing reads the
    vocabulary, so an ordinary search never does."""
    word = word.lower()
    if len(word) < SHORTEST_CORRECTED or not word.isalpha():
        return None
    if matches is not None and matches(word):
        return None
    vocab = vocabulary() if vocab is None else vocab
    if known(word, vocab):
        return None
    limit = 1 if len(word) < 8 else 2
    best = None
    for candidate, count in vocab.items():
        if abs(len(candidate) - len(word)) > limit or len(candidate) < 3:
            continue
        distance = edit_distance(word, candidate, limit)
        if distance <= limit:
            key = (distance, -count, candidate)
            if best is None or key < best[0]:
                best = (key, candidate)
    return best[1] if best else None


def edit_distance(a, b, limit):
    """Damerau-Levenshtein distance (adjacent swaps count one), stopping past `limit`."""
    previous_previous, previous = None, list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous_previous, previous = previous, current
    return previous[-1]
