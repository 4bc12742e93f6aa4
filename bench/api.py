"""Benchmark the Open Referral API on PostgreSQL with 10,000 and 100,000 synthetic services.

Usage: .venv/bin/python bench/api.py [--sizes 10000 100000] [--repeat 40]

It drops and re-creates its own database (`bench_api` on the local PostgreSQL, or
BENCH_API_DATABASE_URL), never the directory's or bench_search's, and fills it with the
synthetic services of bench/search.py (the same builder). It then times /api/services
(the whole request, with the Django test client) next to a trivial view measured in the
same run. Figures are medians and 95th percentiles in milliseconds; compare ratios, not
absolutes (these machines are shared and noisy).
"""
import os
import sys
from pathlib import Path

os.environ["BENCH_DATABASE_URL"] = os.environ.get("BENCH_API_DATABASE_URL",
                                                  "postgres://postgres@127.0.0.1:5432/bench_api")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import search as builder  # noqa: E402  (creates the database and sets Django up)

import argparse  # noqa: E402
import random  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from directory.openreferral.api.taxonomies import TAXONOMIES_BY_KEY  # noqa: E402
from directory.models import Level, Need, Service  # noqa: E402
from directory.seed.loader import load_seed  # noqa: E402

urlpatterns = [path("bench-trivial/", lambda request: HttpResponse("ok")), path("", include("config.urls"))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    print(f"Database: {builder.DATABASE_URL}")
    call_command("migrate", verbosity=0)
    load_seed()
    rng = random.Random(42)
    client = Client()
    for size in sorted(args.sizes):
        builder.ensure_synthetic(size, rng)
        service = Service.objects.published().filter(slug__startswith=builder.SYNTHETIC).order_by("pk").first()
        specialist = Level.objects.get(code="specialist").uuid
        need = Need.objects.get(code="perinatal_mental_health_severe").uuid
        urls = [
            ("trivial view (plain 'ok')", "/bench-trivial/"),
            ("About page (site template)", "/about/"),
            ("/api/ (root)", "/api/"),
            ("/api/services (page 1 of 50)", "/api/services"),
            ("/api/services?per_page=200", "/api/services?per_page=200"),
            ("/api/services?page=500", "/api/services?page=500"),
            ("/api/services, level term", f"/api/services?taxonomy_term_id={specialist}"),
            ("/api/services, need + ages + search", f"/api/services?taxonomy_term_id={need}&minimum_age=0&maximum_age=2&search=perinatal"),
            ("/api/services, taxonomy_id (needs)", f"/api/services?taxonomy_id={TAXONOMIES_BY_KEY['need'].id}"),
            ("/api/services/{id}", f"/api/services/{service.uuid}"),
            ("/api/service_at_locations, 2 km", "/api/service_at_locations?postcode=B4+6NH&proximity=2000"),
        ]
        published = Service.objects.published().count()
        print(f"\n{size:,} synthetic services ({published:,} published in all)")
        print(f"  {'address':<44} {'median ms':>10} {'p95 ms':>8} {'p95 / trivial':>14}")
        results = {label: builder.timed(client, url, args.repeat) for label, url in urls}
        trivial_p95 = results["trivial view (plain 'ok')"][1]
        for label, (median, p95) in results.items():
            print(f"  {label:<44} {median:>10.1f} {p95:>8.1f} {p95 / trivial_p95:>13.0f}x")


if __name__ == "__main__":
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        main()
