"""Checkable citations: the needs assessment's own words behind every fact the seed takes from it.

The source document is vendored as `fixtures/needs_assessment.md` (the extended summary the
seed was transcribed from). `SourceText` reads it once into named places a fact can cite:

- a heading ("What we learned from services"), up to the next heading of the same or a
  higher level;
- a table ("Table 3"), and each of its cells (Table 3's cells are the services' entries,
  named by their bold title, e.g. "(VCS) Acacia (0-2 years)");
- a recommendation ("Recommendation 7a"), its whole row.

`problems(...)` says, in words a curator can act on, why a citation does not hold: the
section does not exist, the excerpt is not in it word for word (whitespace, markup and
typographic quotes aside), or the value recorded is not visibly in the excerpt (`supports`).
The last check is deliberately simple and literal: it asks for the words a reviewer would
look for (the age numbers, "free", "group", the organisation's name), not for a judgement.

Ages are transcribed here and nowhere else (`transcribe_ages`, docs/adr/0018): the upper
number of a range is the birthday at which the service stops, never one more.
"""
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from directory.models import SourceKind

SOURCE_FILE = Path(settings.BASE_DIR) / "fixtures" / "needs_assessment.md"
TABLE_3 = "Table 3"
ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def normalise(text):
    """The words of `text` without markup: tags and entities, Markdown emphasis, typographic
    quotes and dashes, and runs of whitespace are not words."""
    text = re.sub(r"<[^>]+>", " ", text or "")
    text = html.unescape(text).translate(_QUOTES).replace("*", "")
    return " ".join(text.split())


@dataclass(frozen=True)
class Cell:
    table: str
    title: str
    text: str


class SourceText:
    """The needs assessment, by the places a fact can cite."""

    def __init__(self, raw):
        self.raw = raw
        self.sections = {}
        self.cells = []
        lines = raw.splitlines()
        headings = [(i, len(m[1]), normalise(m[2])) for i, line in enumerate(lines)
                    if (m := re.match(r"^(#+)\s*(.*)$", line))]
        for position, (start, level, title) in enumerate(headings):
            end = next((i for i, lvl, _ in headings[position + 1:] if lvl <= level), len(lines))
            self._add(title, lines[start + 1:end])
            if (m := re.match(r"Recommendations (\d+)[a-z]-[a-z]", title)):
                section_end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
                for line in lines[start + 1:section_end]:
                    row = re.match(r"^(?:<p>)?([a-z])\. ", line)
                    if row:
                        self._add(f"Recommendation {m[1]}{row[1]}", [line])
        for i, line in enumerate(lines):
            if (m := re.match(r"^\*\*(Table \d+):", line)):
                end = next((j for j in range(i + 1, len(lines))
                            if lines[j].startswith("Footnote") or lines[j].startswith("#")), len(lines))
                self._add(m[1], lines[i:end])
                for row in lines[i + 1:end]:
                    for cell in row.split("\t"):
                        title = re.match(r"\s*<b>(.*?)</b>", cell)
                        if title:
                            self.cells.append(Cell(m[1], normalise(title[1]).strip(" ,"), normalise(cell)))

    def _add(self, name, lines):
        text = normalise("\n".join(lines))
        # A heading used twice (e.g. "References") keeps both bodies.
        self.sections[name] = f"{self.sections[name]} {text}" if name in self.sections else text

    def abbreviations(self):
        """{'BCT': "Birmingham Children's Trust", ...}: the source's own list."""
        found = {}
        for line in self.raw.split("## Abbreviations", 1)[-1].split("\n#", 1)[0].splitlines():
            if (m := re.match(r"<b>(\w+)</b>\t(.+)$", line.strip())):
                found[m[1]] = normalise(m[2])
        return found

    def cell(self, title):
        """Table 3's entry with this bold title, or None."""
        return next((cell for cell in self.cells if cell.title == title), None)

    def cell_containing(self, words):
        return next((cell for cell in self.cells if words in cell.text), None)

    def problems(self, section, excerpt, *, entry_title=None):
        """Why a citation of `excerpt` in `section` does not hold (a list; empty when it holds).
        `entry_title`: the Table 3 entry of the service citing it; a Table 3 excerpt must come
        from that entry, not a neighbour's."""
        if not section:
            return ["no section is given"]
        if section not in self.sections:
            return [f"section {section!r} does not exist in the needs assessment"]
        if not normalise(excerpt):
            return ["no excerpt is given"]
        found = []
        for part in parts(excerpt):
            if part not in self.sections[section]:
                where = sorted((name for name, text in self.sections.items() if part in text),
                               key=lambda name: len(self.sections[name]))  # the narrowest place first
                hint = f" (it is in {where[0]!r})" if where else " (it is nowhere in the source)"
                found.append(f"{part[:80]!r} is not in {section}{hint}")
            elif section == TABLE_3 and entry_title:
                cell = self.cell_containing(part)
                if cell is None:
                    found.append(f"{part[:80]!r} spans more than one entry of Table 3")
                elif cell.title != entry_title:
                    found.append(f"{part[:80]!r} is from Table 3's entry {cell.title!r}, not this service's ({entry_title!r})")
        return found


def parts(excerpt):
    """An excerpt may skip words with '...': each part must be in the source."""
    return [normalise(part) for part in ELLIPSIS.split(normalise(excerpt)) if normalise(part)]


@lru_cache(maxsize=1)
def source_text():
    return SourceText(SOURCE_FILE.read_text(encoding="utf-8"))


# --- Ages: one transcription ---------------------------------------------------------------

class AgeWordsError(ValueError):
    pass


_UNIT_MONTHS = {"month": 1, "months": 1, "year": 12, "years": 12}


def transcribe_ages(words):
    """The source's words for a child's age range -> (from_months, to_months, words_to_show).

    `to_months` is inclusive and is the month before the birthday the source names: "0-5 years"
    is (0, 59), "until 5 years" on a page, never "until 6"; "under 2 years" is (0, 23). Pregnancy
    is -9. A limit in days cannot be said in whole months, so `words_to_show` then keeps the
    source's own words for pages (Service.age_words); otherwise it is "". See docs/adr/0018.
    """
    text = normalise(words).lower().strip(" ()")
    if m := re.fullmatch(r"(\d+)\s*-\s*(\d+) (years|months)", text):
        low, high, unit = int(m[1]), int(m[2]), _UNIT_MONTHS[m[3]]
        if low >= high:
            raise AgeWordsError(f"{words!r}: the range runs backwards")
        return low * unit, high * unit - 1, ""
    if m := re.fullmatch(r"under (\d+) (years|months)|under (\d+)s", text):
        number = int(m[1] or m[3])
        return 0, number * _UNIT_MONTHS[m[2] or "years"] - 1, ""
    if m := re.fullmatch(r"(?:pregnancy|antenatal)(?: to age | to |-)(\d+) (months|years)(?: postnatal)?", text):
        return -9, int(m[1]) * _UNIT_MONTHS[m[2]] - 1, ""
    if text == "pre-birth":
        return -9, 0, ""
    if re.fullmatch(r"(?:the )?first 1001 days", text):
        return -9, 23, ""  # the source's glossary: "from conception to a child's second birthday"
    if m := re.fullmatch(r"(?:pregnancy|antenatal)(?: to age | to |-)(\d+) days(?: postnatal)?", text):
        days = int(m[1])
        if days > 28:
            raise AgeWordsError(f"{words!r}: say a limit over 28 days in months")
        return -9, 0, f"pregnancy to {days} days after birth"
    raise AgeWordsError(f"{words!r} is not a form of age range the seed can transcribe "
                        "(e.g. '0-5 years', 'under 2 years', 'antenatal to age 12 months', 'pregnancy-28 days postnatal')")


# --- Does the excerpt visibly support the value? --------------------------------------------

STOPWORDS = set("""a an and are as at be by can for from has have in into is it its of on or that the their them
they this to was were which who with within will your you any all also only other than more such some""".split())

DELIVERY_WORDS = {
    "face_to_face": r"face[ -]to[ -]face|in person",
    "groups": r"group",
    "online": r"online|virtual",
    "home_visits": r"home visit|in (?:the|family) homes?",
    "telephone": r"phone",
    "drop_in": r"drop[ -]in",
}

# What a reviewer looks for in the source for each intervention the seed can record.
INTERVENTION_WORDS = {
    "ddp_theraplay": r"Dyadic Developmental Psychotherapy|\bDDP\b|Theraplay",
    "pema": r"\bPEMA\b|Embodied Mentalising",
    "piios": r"\bPIIOS\b|Interaction Observation Scale",
    "vig": r"Video Interaction Guidance|\bVIG\b",
    "watch_wait_wonder": r"Watch,? Wait,? and Wonder",
    "solihull_approach": r"Solihull Approach",
    "listening_visits": r"listening visits",
    "psychoanalytic_psychotherapy": r"psychoanalytic",
    "targeted_stay_and_play": r"1:1 stay and play|one[ -]to[ -]one stay and play",
    "five_pillars_of_parenting": r"(?:5|Five) Pillars",
    "peer_support": r"\bpeer\b|befriend",
    "circle_of_security": r"Circle of Security",
    "baby_massage": r"baby massage",
    "five_to_thrive": r"Five to Thrive",
    "incredible_years": r"Incredible Years",
    "epec": r"\bEPEC\b|Empowering Parents",
}

CITY_WIDE = r"city[ -]?wide|across (?:the city|Birmingham)|in the 10 districts|in every district|all districts"

REFERRER_WORDS = {
    "professional_referral": r"refer",
    "self_referral": r"self[ -]?refer|contact (?:us|them) (?:directly|themselves)|drop[ -]in",
    "automatic": r"mandated contacts|every family|all families",
}


def _stems(text):
    return {word[:5] for word in re.findall(r"[a-z0-9]+", normalise(text).lower())
            if len(word) >= 4 and word not in STOPWORDS}


def overlap(value, excerpt):
    """The share of the value's content words (by their first five letters) found in the excerpt."""
    wanted = _stems(value)
    return 1.0 if not wanted else len(wanted & _stems(excerpt)) / len(wanted)


OVERLAP_NEEDED = 0.6


def _acronym(name):
    return "".join(word[0] for word in re.findall(r"[A-Z][a-z']+", name))


def organisation_names(name):
    """The ways a source may name an organisation: 'Birmingham Children's Trust' is also 'BCT';
    'Forward Thinking Birmingham (BWC)' is also 'Forward Thinking Birmingham' and 'BWC'."""
    names = set()
    for part in re.split(r";", name):
        part = part.strip()
        names.add(part)
        bare = re.sub(r"\s*\(.*?\)", "", part).strip()
        names.add(bare)
        names.update(re.findall(r"\((.*?)\)", part))
        if len(acronym := _acronym(bare)) >= 3:
            names.add(acronym)
        names.add(re.sub(r"\s+(partnership|charity)$", "", bare, flags=re.I))
    return {n for n in names if n}


def entry_ages(entry):
    """(from_months, to_months, words_to_show) for a seed entry that gives the source's words
    (`ages`, and `ages_from_pregnancy` where the same entry also says the service starts in
    pregnancy, e.g. Health Visitors "(0-5 years)" with "1 antenatal" contact)."""
    start, end, shown = transcribe_ages(entry["ages"])
    if entry.get("ages_from_pregnancy"):
        start = -9
    return start, end, shown


def with_expansions(words, abbreviations):
    """The excerpt and, after it, what its abbreviations stand for (the source's own list), so
    'PNMH support' supports 'perinatal mental health'."""
    found = [meaning for short, meaning in (abbreviations or {}).items() if re.search(rf"\b{short}\b", words)]
    return " ".join([words, *found])


def supports(fact, value, excerpt, abbreviations=None):
    """Why the excerpt does not visibly support `value` for `fact` (None when it does)."""
    words = with_expansions(normalise(excerpt), abbreviations)
    low = words.lower().replace(" & ", " and ")

    def has(pattern):
        return re.search(pattern, words, flags=re.I) is not None

    if fact == "age_range":
        missing = [w for w in value if normalise(w).lower() not in low]
        return f"the age words {', '.join(map(repr, missing))} are not in the excerpt" if missing else None
    if fact == "organisation":
        if not any(name.lower() in low for name in organisation_names(value)):
            return f"the excerpt does not name {value!r}"
        return None
    if fact == "cost":
        return None if value != "free" or has(r"\bfree\b|no cost|free of charge") else "the excerpt does not say it is free"
    if fact == "delivery_modes":
        missing = [code for code in value if not has(DELIVERY_WORDS[code])]
        return f"the excerpt does not say: {', '.join(missing)}" if missing else None
    if fact == "interventions":
        missing = [code for code in value if code not in INTERVENTION_WORDS or not has(INTERVENTION_WORDS[code])]
        return f"the excerpt does not name: {', '.join(missing)}" if missing else None
    if fact == "coverage":
        if value == "city_wide":
            return None if has(CITY_WIDE) else "the excerpt does not say city-wide"
        names = value.get("districts") or [value.get("locality")]
        missing = [name for name in names if name and name.lower() not in low]
        return f"the excerpt does not name: {', '.join(missing)}" if missing else None
    if fact == "referrer":
        return None if has(REFERRER_WORDS[value]) else f"the excerpt does not say {value.replace('_', ' ')}"
    if fact == "named_group_only":
        return None if has(r"hospital|pilot|inpatient|outpatient") else "the excerpt names no hospital, team or pilot"
    if fact == "first_step":
        return None if has(r"preferred referral route") else "the excerpt does not name it a preferred route"
    if fact in ("summary", "eligibility", "acceptance_criteria", "how_to_refer"):
        # Sentence by sentence, so one unsupported claim cannot hide behind a well-quoted one.
        for sentence in re.split(r"(?<=[.;])\s+", normalise(value)):
            if len(_stems(sentence)) < 2:
                continue
            share = overlap(sentence, words)
            if share < OVERLAP_NEEDED:
                return (f"only {share:.0%} of the words of {sentence[:60]!r} are in the excerpt "
                        f"(at least {OVERLAP_NEEDED:.0%} needed)")
        return None
    if fact in ("phone", "contact"):
        digits = re.sub(r"\D", "", value)
        return None if digits and digits in re.sub(r"\D", "", words) else f"the excerpt does not give {value!r}"
    return None


# --- The seed's citations -------------------------------------------------------------------

@dataclass(frozen=True)
class Citation:
    """What the seed says about one fact of one service: its value and its source."""

    owner: str  # "service", "route 0", "route 1", ...
    fact: str
    value: object
    kind: str
    section: str = ""
    excerpt: str = ""
    note: str = ""

    @property
    def label(self):
        return self.fact if self.owner == "service" else f"{self.owner}: {self.fact}"

    def source(self):
        """The keyword arguments for record_fact."""
        if self.kind == SourceKind.INFERRED:
            return {"kind": self.kind, "note": self.note}
        return {"kind": self.kind, "section": self.section, "excerpt": self.excerpt, "note": self.note}


def _cited(entry, source, owner, fact, value, cite=None, inferred=None, note=""):
    if inferred:
        return Citation(owner, fact, value, SourceKind.INFERRED, note=(inferred + " " + note).strip())
    cite = cite or {}
    section = cite.get("section") or entry.get("section") or TABLE_3
    excerpt = cite.get("excerpt") or ""
    if not excerpt and section == TABLE_3 and entry.get("table3"):
        cell = source.cell(entry["table3"])
        excerpt = cell.text if cell else ""  # the whole entry: "a sentence or a table cell"
    return Citation(owner, fact, value, SourceKind.NEEDS_ASSESSMENT, section, excerpt, note)


def entry_citations(entry, source):
    """The citations of every fact the seed records for one service entry, in one place for
    the loader (which writes them), its checks and the citation tests."""
    inferred = entry.get("inferred") or {}
    cites = entry.get("cite") or {}
    values = {
        "summary": entry.get("summary"), "organisation": entry.get("organisation"),
        "age_range": entry.get("ages") or entry.get("child_age_months"), "eligibility": entry.get("parent"),
        "cost": entry.get("cost"), "delivery_modes": entry.get("delivery"), "coverage": entry.get("coverage"),
        "interventions": entry.get("interventions"), "email": entry.get("email"),
    }
    citations = [
        _cited(entry, source, "service", fact, value, cites.get(fact), inferred.get(fact))
        for fact, value in values.items() if value
    ]
    for position, item in enumerate(entry.get("referral") or []):
        owner = f"route {position}"
        note = item.get("note", "")
        citations.append(_cited(entry, source, owner, "referrer", item["referrer"], item.get("cite"), item.get("inferred"), note))
        if item.get("criteria"):
            citations.append(_cited(entry, source, owner, "acceptance_criteria", item["criteria"], item.get("criteria_cite"),
                                    item.get("criteria_inferred")))
        if item.get("how"):
            citations.append(_cited(entry, source, owner, "how_to_refer", item["how"], item.get("how_cite"),
                                    item.get("how_inferred")))
    if entry.get("criteria"):
        citations.append(_cited(entry, source, "public route", "acceptance_criteria", entry["criteria"], entry.get("criteria_cite")))
    if entry.get("first_step"):
        citations.append(_cited(entry, source, "service", "first_step", True, entry["first_step"]))
    if entry.get("named_group_only"):
        citations.append(_cited(entry, source, "service", "named_group_only", True, cites.get("named_group_only")))
    return citations



def citation_problems(entry, source):
    """[(citation, [problems])] for one seed entry: the words are not in the place cited, or the
    value is not visibly in the words. Inferred facts have no words to check."""
    results = []
    for citation in entry_citations(entry, source):
        if citation.kind != SourceKind.NEEDS_ASSESSMENT:
            results.append((citation, []))
            continue
        found = source.problems(citation.section, citation.excerpt, entry_title=entry.get("table3"))
        if not found:
            value = citation.value
            if citation.fact == "age_range":
                value = [entry["ages"], entry.get("ages_from_pregnancy")] if entry.get("ages") else None
                value = [w for w in value or [] if w]
            if citation.fact == "age_range" and not value:
                found.append("months from the needs assessment need the source's words (ages), or are inferred")
            elif why := supports(citation.fact, value, citation.excerpt, source.abbreviations()):
                found.append(why)
        results.append((citation, found))
    return results


def public_fact_problems(fact):
    """Why a fact from fixtures/public_sources.yaml is not visibly in its own excerpt (a list):
    a phone's digits, a website's address (or the page it was read on), a cost, a route's
    criteria, exclusions and how-to in words a reviewer can find in the quoted text."""
    excerpt = fact.get("excerpt") or ""
    if not normalise(excerpt):
        return ["no excerpt is given"]
    target, found = fact.get("target"), []
    if target in ("service.phone",):
        found.append(supports("phone", fact["value"], excerpt))
    elif target in ("service.url", "organisation.url"):
        host = re.sub(r"^www\.", "", re.sub(r"^https?://", "", fact["value"]).split("/")[0].lower())
        source_host = re.sub(r"^www\.", "", re.sub(r"^https?://", "", fact.get("source_url", "")).split("/")[0].lower())
        if host not in excerpt.lower() and host != source_host:
            found.append(f"{host} is neither in the excerpt nor the page it was read on")
    elif target == "service.cost":
        found.append(supports("cost", fact["value"], excerpt))
    elif target == "service.schedule":
        found.append(supports("summary", fact["value"], excerpt))
    elif target == "route":
        route = fact.get("route") or {}
        for name in ("acceptance_criteria", "exclusions", "how_to_refer"):
            if route.get(name):
                why = supports("summary", route[name], excerpt)
                found.append(f"{name}: {why}" if why else None)
        if route.get("contact"):
            found.append(supports("contact", route["contact"], excerpt))
    return [problem for problem in found if problem]
