"""Readability of the parents' copy: Flesch reading ease (goal: 70 or more, a reading age
of about 9 to 11) and Flesch-Kincaid grade, from `textstat`.

Two measures:
- our words: every message in locale/django.pot that comes from a parent template or
  module (templates/parents/, directory/*parents*.py), i.e. the copy we control;
- whole pages (with a base URL): the visible text of each parent page's <main>, which
  includes service descriptions written by curators (or the summaries they fall back to).

Usage: python scripts/readability.py [http://127.0.0.1:8000]
"""
import re
import sys
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import textstat

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/parents/", "/parents/support/?age=4&postcode=B8+1AA", "/parents/topics/feeling-low/?age=4",
         "/parents/topics/meet-other-parents/", "/parents/services/acacia/", "/parents/saved/"]


def parent_messages():
    text = (ROOT / "locale" / "django.pot").read_text()
    sentences = []
    for refs, body in re.findall(r"((?:^#: .*\n)+)(?:#.*\n)*((?:msgid.*\n|\".*\"\n)+)", text, flags=re.M):
        if "parents" not in refs:
            continue
        msgid = "".join(re.findall(r'msgid "(.*)"\n((?:".*"\n)*)', body)[0][0:1]) + "".join(
            re.findall(r'^"(.*)"$', body.split("msgid_plural")[0], flags=re.M))
        msgid = re.sub(r"%\(\w+\)[sd]|\{\{.*?\}\}|<[^>]+>", "", msgid).replace('\\"', '"').strip()
        if len(msgid.split()) >= 6:  # headings and labels are not prose: they would flatter the score
            sentences.append(msgid if msgid[-1] in ".?!" else msgid + ".")
    return " ".join(sentences)


class MainText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth, self.skip, self.parts = 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "main" or self.depth:
            self.depth += 1
        if tag in ("script", "style", "svg"):
            self.skip += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
        if tag in ("script", "style", "svg") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip and data.strip():
            text = data.strip()
            self.parts.append(text if text[-1] in ".?!:" else text + ".")


def report(label, text):
    print(f"{label:55} Flesch {textstat.flesch_reading_ease(text):5.1f}  "
          f"grade {textstat.flesch_kincaid_grade(text):4.1f}  words {textstat.lexicon_count(text):5d}")


def main():
    report("Our parent copy (locale/django.pot, parent files)", parent_messages())
    if len(sys.argv) > 1:
        for path in PAGES:
            parser = MainText()
            parser.feed(urllib.request.urlopen(sys.argv[1].rstrip("/") + path).read().decode())
            report(f"Page {path}", " ".join(parser.parts))


if __name__ == "__main__":
    main()
