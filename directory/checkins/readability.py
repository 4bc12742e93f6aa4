"""How easy a description for parents is to read (issue 20, item 6): the Flesch reading ease
score, with plain words for it.

The same formula, word by word, is in static/js/checkin-page.js, which shows the score
as the provider types; this one shows it after a submit, so the page says it without
JavaScript too. tests/directory/checkins/test_readability.py holds both to the same numbers.

Flesch reading ease = 206.835 - 1.015 x (words / sentences) - 84.6 x (syllables / words).
Syllables are counted the usual rough way: groups of vowels (y counts), less a silent final
"e", at least one a word. Good enough for a hint; never a gate.
"""
import math
import re

WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
VOWEL_GROUP = re.compile(r"[aeiouy]+")


def syllables(word):
    word = word.lower()
    count = len(VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith("le") and count > 1:
        count -= 1
    return max(count, 1)


def reading_ease(text):
    """The score (higher is easier, about 0 to 100), or None for text with no words."""
    words = WORD.findall(text or "")
    if not words:
        return None
    sentences = max(len(SENTENCE_END.findall(text.strip() + " ")), 1)
    total = sum(syllables(word) for word in words)
    score = 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (total / len(words))
    return math.floor(score * 10 + 0.5) / 10  # as JavaScript's Math.round rounds, not to even


# (lowest score, words): the first band the score reaches. 60 and over is plain English.
BANDS = [
    (80, "Very easy to read. Most parents will follow it easily."),
    (60, "Plain English. Most parents will follow it."),
    (50, "Fairly hard to read. Try shorter sentences and everyday words."),
    (float("-inf"), "Hard to read. Use shorter sentences and shorter, everyday words."),
]


def reading_ease_words(score):
    if score is None:
        return ""
    return next(words for lowest, words in BANDS if score >= lowest)
