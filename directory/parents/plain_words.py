"""Words parents' pages never say (issue 21): the practitioners' level and focus names, team
words and abbreviations. Recommendation 9b asks that everything said to parents "destigmatise
difficulties"; these words label families or speak over them.

The tests scan every parents' page for them (tests/directory/parents/test_plain_words.py), and
`make readability` (bench/readability.py) reports any in the seeded descriptions. A word in
capitals is an abbreviation and matches only in capitals ("SEND", never "Send this list").
"""
import re

JARGON = [
    # Levels of need and focus on the relationship (directory/core/levels.py, models.Focus).
    "universal", "targeted", "statutory", "specialist", "specialised", "specialized", "non-specialised",
    "additional focus", "level of need", "levels of need",
    # Team words.
    "safeguarding", "mandated", "dyadic", "caseload", "referral management", "stepped care", "tier",
    # Abbreviations.
    "WTE", "PNMH", "CAMHS", "SEND", "PIE", "LMNS", "BSMHFT", "ICYP", "VCS", "BCT", "FTB",
]


def _pattern(word):
    flags = 0 if word.isupper() else re.IGNORECASE
    return re.compile(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", flags)


PATTERNS = [(word, _pattern(word)) for word in JARGON]


def jargon_in(text):
    """The words of JARGON that `text` says, in JARGON's order."""
    return [word for word, pattern in PATTERNS if pattern.search(text or "")]
