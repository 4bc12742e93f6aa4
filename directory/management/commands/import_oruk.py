"""python manage.py import_oruk SOURCE [--source-url URL]"""
import sys

from django.core.management.base import BaseCommand, CommandError

from directory.openreferral.importer import MAX_PAGES, FeedError, import_services, read_file, read_url


class ProgressBar:
    """A one-line bar on stderr, redrawn in place: `[#####-----] 12/25 imported`."""

    def __init__(self, stream, width=30):
        self.stream, self.width = stream, width

    def __call__(self, done, total, what):
        filled = self.width * done // total if total else self.width
        self.stream.write(f"\r[{'#' * filled}{'-' * (self.width - filled)}] {done}/{total} {what}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import services from an Open Referral UK 3.0 feed: SOURCE is the feed's address (its / says version "
        "HSDS-UK-3.0) or a JSON file of services or /services pages. Everything is checked before anything is "
        "written, and written in one transaction (all or nothing). Records are matched by their Open Referral id: "
        "new services are drafts for curators to classify and publish; drafts take the feed's changes except where a "
        "curator changed the same thing since the last import (kept, and reported as a conflict); published or "
        "archived services are never touched. Each fact records the feed as its source."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="https://... (a feed's API root) or a path to a JSON file")
        parser.add_argument("--source-url", default="",
                            help="For a file: the public address it was downloaded from, recorded as the source of "
                                 "its facts (otherwise the provider is recorded as the source).")
        parser.add_argument("--max-pages", type=int, default=MAX_PAGES,
                            help=f"For a feed's address: stop, importing nothing, if /services has more pages than "
                                 f"this (a feed whose last_page is never true). Default {MAX_PAGES}.")

    def handle(self, *args, source, source_url, max_pages=MAX_PAGES, **options):
        progress = ProgressBar(sys.stderr if options.get("verbosity", 1) else open("/dev/null", "w"))
        try:
            if source.startswith(("https://", "http://")):
                services, addresses = read_url(source, progress=progress, max_pages=max_pages)
                report = import_services(services, source=source, source_url=source, addresses=addresses,
                                         progress=progress)
            else:
                services = read_file(source)
                report = import_services(services, source=source, source_url=source_url, progress=progress)
        except FeedError as error:
            raise CommandError("Nothing was imported.\n" + "\n".join(error.problems)) from error
        for line in report.lines():
            self.stdout.write(line)
