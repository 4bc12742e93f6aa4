"""Benchmark the curators' side (the admin's lists, the dashboard and the exports) at 100,000 services.

Usage: .venv/bin/python bench/admin.py [--repeat 3] [--roles editor viewer organisation] [--only service]

It reads an existing database made by bench/search.py (`make bench`: 100,000 synthetic services),
`bench_search` on the local PostgreSQL, or BENCH_ADMIN_DATABASE_URL (the figures in
bench/results/admin-100k.txt were taken on a copy of it). It never drops or creates a database
(run `migrate` on it first when the code has new migrations); it adds three curators of its own (usernames starting "bench-admin-"), one per role
(directory/curation/roles.py), and signs each in with Django's test client (force_login), so
every figure is the whole request: middleware, permission checks, queries and templates.

For every model the admin site registers it times the list (the "changelist") plain, with a
search (?q=...), with each filter's first choice, sorted by each sortable column and at its last
page; then the admin index, the curation dashboard, one service's change form, and every export
(the service list's three CSV files, the public /services.csv, the search and self-audit
reports). An IMHSG editor gets all of that; a viewer and an organisation editor get each list
plain, searched and at its last page, the index, and what else their role may open.

Every request is timed cold (every cache emptied before it) `--repeat` times after one untimed
request that warms the process and counts the queries (CaptureQueriesContext). Figures are the
median and the 95th percentile in milliseconds (with 3 repeats the p95 is the slowest), and the
number of queries. Exports also report the time to the first byte and the peak of Python memory
allocated while the whole file is read (tracemalloc, one extra run). Rows over a second are
marked "SLOW"; a list whose queries grow with its rows shows up as a large query count.
"""
import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_search")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from directory.curation.roles import IMHSG_EDITORS, ORGANISATION_EDITORS, VIEWERS  # noqa: E402
from directory.models import Organisation, Service  # noqa: E402

SLOW_MS = 1000
SEARCH_WORD = "perinatal"


def clear_caches():
    for alias in settings.CACHES:
        caches[alias].clear()
    try:
        from directory.search import terms
    except ImportError:
        return
    terms.forget()


def bench_user(role):
    """The bench's own curator for `role` ("editor", "viewer" or "organisation"), made once."""
    group = {"editor": IMHSG_EDITORS, "viewer": VIEWERS, "organisation": ORGANISATION_EDITORS}[role]
    user, _ = get_user_model().objects.get_or_create(
        username=f"bench-admin-{role}", defaults={"is_staff": True, "email": f"bench-admin-{role}@example.org"})
    user.groups.set([Group.objects.get(name=group)])
    if role == "organisation":
        # The synthetic organisation with the most services: the largest reach an editor has.
        organisation = (Organisation.objects.filter(slug__startswith="synthetic-")
                        .order_by("-pk").first() or Organisation.objects.first())
        organisation.editors.add(user)
    return user


class Timer:
    def __init__(self, client, repeat):
        self.client, self.repeat, self.rows = client, repeat, []

    def request(self, method, url, data=None):
        response = getattr(self.client, method)(url, data) if data is not None else getattr(self.client, method)(url)
        first = None
        if getattr(response, "streaming", False):
            chunks = iter(response.streaming_content)
            body = b""
            for chunk in chunks:
                if first is None:
                    first = time.perf_counter()
                body += chunk if isinstance(chunk, bytes) else chunk.encode()
        else:
            body = response.content
        return response, body, first

    def time(self, label, url, *, method="get", data=None, export=False):
        """Times `url`; returns the warm-up response (with its context), or None when refused."""
        clear_caches()
        with CaptureQueriesContext(connection) as captured:
            response, body, _ = self.request(method, url, data)
        if response.status_code != 200:
            self.rows.append((label, url, None, None, None, None, response.status_code, None))
            return None
        queries = len(captured)
        times, firsts = [], []
        for _ in range(self.repeat):
            clear_caches()
            started = time.perf_counter()
            _, _, first = self.request(method, url, data)
            ended = time.perf_counter()
            times.append((ended - started) * 1000)
            firsts.append(((first or ended) - started) * 1000)
        times.sort()
        peak = None
        if export:
            clear_caches()
            tracemalloc.start()
            self.request(method, url, data)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        self.rows.append((label, url, statistics.median(times), p95, queries,
                          statistics.median(firsts) if export else None, response.status_code,
                          (peak, len(body)) if export else None))
        return response


def changelist(model_admin, url, user):
    """The admin's own ChangeList for `url` as `user` sees it (built outside the timed requests)."""
    request = RequestFactory().get(url)
    request.user = user
    return model_admin.get_changelist_instance(request)


def changelist_urls(cl):
    """(label, query) for the list's search, each filter's first choice, each sortable column, the last page."""
    found = []
    if cl.search_fields:
        found.append(("search", f"?q={SEARCH_WORD}"))
    for spec in cl.filter_specs:
        choices = [c for c in spec.choices(cl) if not c.get("selected")]
        if choices:
            found.append((f"filter {spec.title}", choices[0]["query_string"]))
    for index, name in enumerate(cl.list_display):
        if name != "action_checkbox" and cl.get_ordering_field(name) is not None:
            found.append((f"sort {name}", f"?o={index}"))
    if cl.has_filters and cl.model_admin.show_facets is not admin.ShowFacets.NEVER:
        # Django 5's "Show counts": a count beside every choice of every filter.
        found.append(("filters with counts (facets)", "?_facets=1"))
    pages = cl.paginator.num_pages if cl.paginator else 1
    if pages > 1:
        found.append((f"last page ({pages})", f"?p={pages}"))
    return found


def export_posts(model_admin, base, user):
    """The service list's export: one POST per kind of file, every column chosen (as the form offers)."""
    request = RequestFactory().get(base + "export/")
    request.user = user
    if not model_admin.has_export_permission(request):
        return []
    form = model_admin.get_export_form_class()(model_admin.get_export_formats(),
                                               model_admin.get_export_resource_classes(request))
    posts = []
    for index, (value, label) in enumerate(form.fields["resource"].choices):
        prefix = form.resources[int(value)].__name__.lower() + "_"
        data = {"format": "0", "resource": value}
        data.update({name: "on" for name in form.fields if name.startswith(prefix)})
        posts.append((f"export: {label}", base + "export/", data))
    return posts


def run_role(role, args, client, user):
    timer = Timer(client, args.repeat)
    full, lists, exporting = role == "editor", args.exports != "only", args.exports != "without"
    if lists:
        timer.time("admin index", reverse("admin:index"))
        timer.time("curation dashboard", reverse("curation-dashboard"))
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        opts = model._meta
        if (args.only and opts.model_name not in args.only) or (not lists and model is not Service):
            continue
        base = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if not lists:
            for label, url, data in export_posts(model_admin, base, user):
                timer.time(label, url, method="post", data=data, export=True)
            continue
        response = timer.time(f"{opts.label}: list", base)
        if response is None:
            continue
        cl = changelist(model_admin, base, user)
        for label, query in changelist_urls(cl):
            if full or label == "search" or label.startswith("last page"):
                timer.time(f"{opts.label}: {label}", base + query)
        if model is Service:
            # A synthetic service when there are some, for the same page at every size.
            service = (cl.result_list[0] if role == "organisation" else
                       (Service.objects.filter(slug__startswith="synthetic-").order_by("pk").first()
                        or Service.objects.order_by("pk").first()))
            timer.time("directory.Service: change form", reverse("admin:directory_service_change", args=[service.pk]))
            for label, url, data in (export_posts(model_admin, base, user) if exporting else []):
                timer.time(label, url, method="post", data=data, export=True)
    if full and exporting:
        timer.time("public CSV (/services.csv)", reverse("directory:services-csv"), export=True)
        timer.time("search report CSV", reverse("search-report-csv"), export=True)
        timer.time("self-audit report CSV", reverse("self-audit-report-csv"), export=True)
    return timer.rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--roles", nargs="+", default=["editor", "viewer", "organisation"])
    parser.add_argument("--only", nargs="*", help="model names (e.g. service fact) to limit the lists to")
    parser.add_argument("--exports", choices=["with", "without", "only"], default="with",
                        help="time the exports too (with), not (without), or nothing else (only)")
    args = parser.parse_args()
    print(f"Database: {DATABASE_URL}")
    print(f"{Service.objects.count():,} services ({Service.objects.published().count():,} published); "
          f"repeat {args.repeat}, cold (every cache emptied before each request)")
    slow = 0
    for role in args.roles:
        client, user = Client(), bench_user(role)
        client.force_login(user)
        rows = run_role(role, args, client, user)
        print(f"\n{role}")
        print(f"  {'page':<64} {'median':>8} {'p95':>8} {'queries':>7} {'1st byte':>8} {'MB peak':>7} {'KB':>7}")
        refused = [f"{label} ({status})" for label, _, median, _, _, _, status, _ in rows if median is None]
        for label, url, median, p95, queries, first, status, export in rows:
            if median is None:
                continue
            mark = " SLOW" if p95 > SLOW_MS else ""
            slow += bool(mark)
            extra = (f" {first:>8.0f} {export[0]:>7.1f} {export[1] / 1024:>7.0f}" if export else "")
            print(f"  {label:<64} {median:>8.0f} {p95:>8.0f} {queries:>7}{extra}{mark}")
        if refused:
            print("  refused to this role: " + "; ".join(refused))
    print(f"\n(milliseconds, cold; SLOW: p95 over {SLOW_MS} ms; {slow} slow)")


if __name__ == "__main__":
    with override_settings(DEBUG=False, CACHE_PAGES=True):
        main()
