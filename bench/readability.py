"""How easy the seeded descriptions for parents are to read (issue 21): the Flesch reading ease
of each one in fixtures/parent_descriptions.yaml, the lowest, and any word parents' pages never
say (directory/parents/plain_words.py).

The score is the one providers see as they type on their check-in page
(directory/checkins/readability.py). The goal is 70 or more for every description;
tests/directory/parents/test_descriptions.py holds the seed to it.

Usage: .venv/bin/python bench/readability.py [path/to/parent_descriptions.yaml]
Exits 1 when a description scores under 70 or says a word from the list.
"""
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory.checkins.readability import reading_ease  # noqa: E402
from directory.parents.plain_words import jargon_in  # noqa: E402

DESCRIPTIONS = Path(__file__).resolve().parent.parent / "fixtures" / "parent_descriptions.yaml"
GOAL = 70


def scores(path=DESCRIPTIONS):
    """[(service key, score, jargon found)] in the file's order."""
    data = yaml.safe_load(Path(path).read_text())
    return [(key, reading_ease(text), jargon_in(text)) for key, text in (data.get("descriptions") or {}).items()]


def main(path=DESCRIPTIONS):
    rows = scores(path)
    if not rows:
        print("No descriptions.")
        return 0
    width = max(len(key) for key, _score, _jargon in rows)
    for key, score, jargon in rows:
        flag = "" if score >= GOAL else f"  under {GOAL}"
        flag += f"  says: {', '.join(jargon)}" if jargon else ""
        print(f"{key:{width}}  {score:5.1f}{flag}")
    lowest_key, lowest, _jargon = min(rows, key=lambda row: row[1])
    failing = [row for row in rows if row[1] < GOAL or row[2]]
    print(f"{len(rows)} descriptions; lowest {lowest:.1f} ({lowest_key}); goal {GOAL}: "
          f"{'met' if not failing else f'NOT met by {len(failing)}'}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
