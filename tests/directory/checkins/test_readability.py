"""The reading-ease hint: the Python score (shown after a submit) and the JavaScript one (shown
as the provider types) are the same formula; the numbers here are checked in both (the browser
test types the same text and reads the hint)."""
from directory.checkins.readability import reading_ease, reading_ease_words, syllables

PLAIN = "You and your baby can come to our group. It is free. We meet on Tuesdays."
HARD = ("Multidisciplinary perinatal interventions facilitate therapeutic engagement for individuals "
        "experiencing psychological difficulties, contingent upon comprehensive assessment.")


def test_it_counts_syllables_roughly():
    assert [syllables(w) for w in ("baby", "free", "come", "little", "group", "Tuesdays")] == [2, 1, 1, 2, 1, 2]


def test_plain_words_score_high_and_jargon_low():
    assert reading_ease(PLAIN) == 106.2
    assert reading_ease(HARD) == -129.9
    assert reading_ease(HARD) < 0
    assert reading_ease_words(reading_ease(PLAIN)).startswith("Very easy")
    assert reading_ease_words(reading_ease(HARD)).startswith("Hard to read")


def test_no_words_no_score():
    assert reading_ease("") is None and reading_ease("  ...  ") is None and reading_ease_words(None) == ""
