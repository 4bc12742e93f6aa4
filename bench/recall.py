"""Recall at 5 of the practitioners' keyword search over realistic queries (issue 22).

Usage: .venv/bin/python bench/recall.py [--verbose] [--queries FILE]
       RECALL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/recall .venv/bin/python bench/recall.py

Reads tests/directory/search/recall_queries.yaml (the same list the recall test uses) and runs
each query through the search's own selector on a fresh SQLite database loaded with the seed
(a temporary file, never the directory's). Prints, per query, what was expected and what came
first; then recall at 5 (expected services found in the first five, over all expected) and the
share of queries fully answered (every expected service in the first five, or the place or
language read from the words).
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A throw-away database: a temporary SQLite file, or RECALL_DATABASE_URL (it is migrated and
# seeded: give it a PostgreSQL database of its own, e.g. postgres://postgres@127.0.0.1:5432/recall).
DB = Path(tempfile.mkdtemp()) / "recall.sqlite3"
os.environ["DATABASE_URL"] = os.environ.get("RECALL_DATABASE_URL", f"sqlite:///{DB}")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.core.management import call_command  # noqa: E402

QUERIES = ROOT / "tests" / "directory" / "search" / "recall_queries.yaml"


def read_as(results):
    """(district name, language codes) the search read from the words, where it did."""
    place = getattr(results, "place", None)
    cleaned = results.filterset.form.cleaned_data if results.filterset.form.is_valid() else {}
    languages = cleaned.get("language") or []
    return (place.name if place else None), {getattr(term, "code", term) for term in languages} | set(
        getattr(results, "languages_read", ()) or ())


def evaluate(item, search):
    results = search(data={"q": item["q"]}, per_page=5)
    top = [service.slug for service in results.page.object_list][:5]
    expected = item.get("find") or []
    found = [key for key in expected if key in top]
    place, languages = read_as(results)
    checks = len(expected) + bool(item.get("place")) + bool(item.get("language")) + bool(item.get("expect_none"))
    hits = len(found) + (item.get("place") == place if item.get("place") else 0) + (
        item.get("language") in languages if item.get("language") else 0) + (
        results.count == 0 if item.get("expect_none") else 0)
    return top, hits, checks


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--sets", action="store_true",
                        help="Print every service each query finds (sorted), to compare two databases.")
    parser.add_argument("--queries", default=str(QUERIES), help="A YAML list of queries (default: the recall test's).")
    args = parser.parse_args()
    if os.environ.get("RECALL_DATABASE_URL"):
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("loadseed", verbosity=0, stdout=open(os.devnull, "w"))
    from directory.search.selectors import service_search

    queries = yaml.safe_load(Path(args.queries).read_text())["queries"]
    if args.sets:
        for item in queries:
            found = sorted(s.slug for s in service_search(data={"q": item["q"]}, per_page=200).page.object_list)
            print(f"{item['q']!r}: {' '.join(found)}")
        return
    total_hits = total_checks = answered = 0
    for item in queries:
        top, hits, checks = evaluate(item, service_search)
        total_hits += hits
        total_checks += checks
        answered += hits == checks
        if args.verbose or hits < checks:
            print(f"{'ok ' if hits == checks else 'MISS'} {item['q']!r}: {hits}/{checks}; first five: {', '.join(top) or 'none'}")
    print(f"{len(queries)} queries: recall at 5 {total_hits}/{total_checks} = {total_hits / total_checks:.0%}; "
          f"fully answered {answered}/{len(queries)} = {answered / len(queries):.0%}")


if __name__ == "__main__":
    main()
