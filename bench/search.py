"""Benchmark the search page, map and needs on PostgreSQL with 10,000 and 100,000 synthetic services.

Usage: .venv/bin/python bench/search.py [--sizes 10000 100000] [--repeat 40]
       (BENCH_REUSE=1 keeps the database an earlier run filled)

It drops and re-creates its own database (`bench_search` on the local PostgreSQL, or
BENCH_DATABASE_URL), never the directory's: every synthetic row is named "Synthetic ..." and lives only there.
It loads the seed's places and taxonomies, bulk-inserts services with a realistic spread
of levels, ages, coverage, needs and referral routes, then times typical searches with
the Django test client (the whole request: middleware, queries and templates) next to
two trivial views measured in the same run: a plain "ok" response and the About page.
It also times /map/, /map/districts.geojson, /needs/ and, where it exists (200),
/map/markers.geojson.

Each address is timed three times. "After a save": another (synthetic) service's summary is
saved before each timed request, a real committed write, so the content version moves and
nothing kept for the previous one serves the request: the first request after a curator's change
(the process itself is warmed by one untimed request first). "Cold page": every cache in CACHES
cleared before each timed request and the per-version lists of directory/search/terms.py
forgotten, but the facet index of the version (directory/search/facets.py, issue 26) kept: a page
nobody has asked for since the last save, once anything has. Pages are cached as in production
(CACHE_PAGES on). "Warm": the same request repeated with whatever the code caches. Figures are medians and 95th
percentiles in milliseconds, and each page's p95 as a multiple of the About page's (cold
against cold, warm against warm); compare ratios, not absolutes (these machines are shared
and noisy).
"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_search")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def create_database():
    """Drop and create the bench database, so every run starts from the same state."""
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(DATABASE_URL)
    connection = psycopg2.connect(dbname="postgres", user=config["USER"], host=config["HOST"], port=config["PORT"] or 5432)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}"')
        cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()


# BENCH_REUSE=1 keeps the database as an earlier run left it (its synthetic services are kept
# and only what is missing is added): minutes saved when comparing code on the same data.
if not os.environ.get("BENCH_REUSE"):
    create_database()

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from directory.models import (  # noqa: E402
    AgeRange, Audience, Cost, CoverageType, DeliveryMode, Focus, Language, Level, Need, Organisation,
    ReferralRoute, Referrer, Service, ServiceAtLocation, Status, Venue,
)
from directory.search.tables import rebuild_all  # noqa: E402
from directory.seed.loader import load_seed  # noqa: E402
from mapping.models import District, Postcode  # noqa: E402

# The bench's URLs: the project's, plus the plainest view Django can serve.
urlpatterns = [path("bench-trivial/", lambda request: HttpResponse("ok")), path("", include("config.urls"))]

WORDS = (
    "support parents babies families group home visits perinatal mental health anxiety depression bonding "
    "attachment relationship play early years health visitor midwife pregnancy birth fathers peer listening "
    "parenting confidence community centre therapy assessment referral drop-in online course trauma housing"
).split()
LEVEL_WEIGHTS = {"universal": 35, "targeted": 35, "statutory": 10, "specialist": 20}
SYNTHETIC = "synthetic-"


def sentence(rng, low, high):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize() + "."


def make_services(start, count, rng):
    """Bulk-insert services number start..start+count-1 with their relations."""
    levels = list(Level.objects.all())
    level_weights = [LEVEL_WEIGHTS[level.code] for level in levels]
    needs = list(Need.objects.values_list("pk", flat=True))
    modes = list(DeliveryMode.objects.values_list("pk", flat=True))
    languages = list(Language.objects.values_list("pk", flat=True))
    districts = list(District.objects.values_list("pk", flat=True))
    organisations = list(Organisation.objects.filter(slug__startswith=SYNTHETIC).values_list("pk", flat=True))
    venues = list(Venue.objects.filter(name__startswith="Synthetic").values_list("pk", flat=True))

    services, extra = [], []
    for number in range(start, start + count):
        roll = rng.random()
        if roll < 0.6:
            age_from = rng.choice([-9, -9, -6, 0, 0, 0, 3, 6, 12])
            ages = {"age_range": AgeRange.RANGE, "age_from_months": age_from,
                    "age_to_months": rng.choice([m for m in (0, 11, 12, 23, 35, 59, 71, 215) if m >= age_from])}
        else:
            ages = {"age_range": AgeRange.ANY if roll < 0.8 else AgeRange.NOT_STATED}
        coverage = rng.choices([CoverageType.CITY_WIDE, CoverageType.DISTRICTS, CoverageType.LOCALITY], [45, 45, 10])[0]
        services.append(Service(
            organisation_id=rng.choice(organisations), name=f"Synthetic service {number:06}",
            slug=f"{SYNTHETIC}service-{number:06}",
            status=Status.PUBLISHED if rng.random() < 0.95 else Status.DRAFT,
            summary=sentence(rng, 8, 20), description=sentence(rng, 20, 60),
            focus=rng.choice(Focus.values), cost=rng.choice([Cost.FREE, Cost.FREE, Cost.PAID, Cost.NOT_STATED]),
            audience=Audience.EVERYONE if rng.random() < 0.85 else Audience.PROFESSIONALS,
            coverage_type=coverage,
            locality="Synthetic locality" if coverage == CoverageType.LOCALITY else "",
            locality_district_id=rng.choice(districts) if coverage == CoverageType.LOCALITY else None,
            **ages,
        ))
        extra.append(coverage)
    created = Service.objects.bulk_create(services, batch_size=5000)

    through = {name: [] for name in ("levels", "needs", "modes", "languages", "districts")}
    routes, placements = [], []
    for service, coverage in zip(created, extra):
        chosen = {rng.choices(levels, level_weights)[0].pk for _ in range(rng.choice([1, 1, 1, 2]))}
        through["levels"] += [Service.levels.through(service_id=service.pk, level_id=pk) for pk in chosen]
        through["needs"] += [Service.needs.through(service_id=service.pk, need_id=pk)
                             for pk in rng.sample(needs, rng.randint(0, 3))]
        through["modes"] += [Service.delivery_modes.through(service_id=service.pk, deliverymode_id=pk)
                             for pk in rng.sample(modes, rng.randint(1, 2))]
        if rng.random() < 0.3:
            through["languages"] += [Service.languages.through(service_id=service.pk, language_id=pk)
                                     for pk in rng.sample(languages, rng.randint(1, 3))]
        if coverage == CoverageType.DISTRICTS:
            through["districts"] += [Service.coverage_districts.through(service_id=service.pk, district_id=pk)
                                     for pk in rng.sample(districts, rng.randint(1, 3))]
        for order, referrer in enumerate(rng.sample(Referrer.values, rng.randint(1, 2))):
            routes.append(ReferralRoute(service_id=service.pk, referrer=referrer, order=order,
                                        acceptance_criteria=sentence(rng, 5, 15) if rng.random() < 0.5 else ""))
        if rng.random() < 0.2:
            placements.append(ServiceAtLocation(service_id=service.pk, venue_id=rng.choice(venues)))
    for name, model in [("levels", Service.levels.through), ("needs", Service.needs.through),
                        ("modes", Service.delivery_modes.through), ("languages", Service.languages.through),
                        ("districts", Service.coverage_districts.through)]:
        model.objects.bulk_create(through[name], batch_size=10000)
    ReferralRoute.objects.bulk_create(routes, batch_size=10000)
    ServiceAtLocation.objects.bulk_create(placements, batch_size=10000)


def ensure_synthetic(total, rng):
    """Make the database hold exactly `total` synthetic services (adding only what is missing)."""
    if not Organisation.objects.filter(slug__startswith=SYNTHETIC).exists():
        Organisation.objects.bulk_create(
            Organisation(name=f"Synthetic organisation {n:03}", slug=f"{SYNTHETIC}organisation-{n:03}", sector="vcs")
            for n in range(50)
        )
    if not Venue.objects.filter(name__startswith="Synthetic").exists():
        postcodes = list(Postcode.objects.filter(district__isnull=False).order_by("?")[:500])
        Venue.objects.bulk_create(
            Venue(name=f"Synthetic venue {n:03}", postcode=pc.postcode, lat=pc.lat, lon=pc.lon, district_id=pc.district_id)
            for n, pc in enumerate(postcodes)
        )
    have = Service.objects.filter(slug__startswith=SYNTHETIC).count()
    started = time.perf_counter()
    for start in range(have, total, 10000):
        with transaction.atomic():
            make_services(start, min(10000, total - start), rng)
        print(f"  {min(start + 10000, total):>7} synthetic services", end="\r", flush=True)
    # bulk_create sends no signals: fill the maintained search tables (docs/adr/0012) in one go.
    rebuilt = time.perf_counter()
    with transaction.atomic():
        rebuild_all()
    print(f"  search tables rebuilt for {total} synthetic services in {time.perf_counter() - rebuilt:.1f} s")
    # VACUUM as well as ANALYZE: the visibility map lets counts use index-only scans, as
    # they do in production once autovacuum has visited a table.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  {total} synthetic services ready ({time.perf_counter() - started:.0f} s to add {total - have})")


def timed(client, url, repeat, before_each=None):
    """(median, p95) in ms of `repeat` requests for `url`, after one untimed request that warms
    the process (templates, query plans, imports); `before_each()` runs before each timed one."""
    client.get(url)
    times = []
    for _ in range(repeat):
        if before_each:
            before_each()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def clear_caches():
    """As after a curator's change: nothing cached, and the controlled lists and synonyms
    that each process keeps per content version (directory/search/terms.py) not read yet."""
    for alias in settings.CACHES:
        caches[alias].clear()
    try:
        from directory.search import terms
    except ImportError:  # the code before issue 13 had no such memo
        return
    terms.forget()


def timed_cold(client, url, repeat):
    """Like timed(), but with every cache emptied before each timed request. What each process
    keeps per version of the services' content (the facet index, issue 26) is kept: this is a
    page nobody has asked for since the last save, once anything has (see timed_after_save)."""
    return timed(client, url, repeat, before_each=clear_caches)


def timed_after_save(client, url, repeat, service_pk):
    """Like timed(), but with a curator's save of another service before each timed request: a
    real write (its summary), committed, so that the content version moves as in production and
    everything kept for the old one is of no use, the facet index included."""
    counter = iter(range(10 ** 9))

    def save():
        Service.objects.filter(pk=service_pk).update(summary=f"Saved by bench/search.py ({next(counter)}).")

    return timed(client, url, repeat, before_each=save)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    print(f"Database: {DATABASE_URL}")
    call_command("migrate", verbosity=0)
    load_seed()
    rng = random.Random(42)
    client = Client()
    for size in sorted(args.sizes):
        ensure_synthetic(size, rng)
        # A service with needs, so its page lists stepped care (the first one has none).
        slug = (Service.objects.published().filter(slug__startswith=SYNTHETIC, needs__isnull=False).order_by("pk")
                .values_list("slug", flat=True)[0])
        urls = [
            ("trivial view (plain 'ok')", "/bench-trivial/"),
            ("About page (site template)", "/about/"),
            ("search, no filters", "/search/"),
            ("search, 4 months + B8 + specialist + need", "/search/?age=4&postcode=B8+1AA&level=specialist&need=perinatal_mental_health_severe"),
            ("search, keywords", "/search/?q=perinatal+anxiety"),
            ("search, pregnant + district + self + free", "/search/?stage=pregnant&district=hodge-hill&referral=self&free=1"),
            ("search, postcode sorted by distance", "/search/?postcode=B4+6NH&sort=distance"),
            ("search, page 50", "/search/?page=50"),
            ("service page", f"/services/{slug}/"),
            ("map", "/map/"),
            ("map, 4 months + specialist", "/map/?age=4&level=specialist"),
            ("districts GeoJSON", "/map/districts.geojson"),
            ("markers GeoJSON", "/map/markers.geojson"),
            ("needs", "/needs/"),
            # Issue 26: at 100,000 services this built every matching card (94 s).
            ("parents: topic, 4 months, B8 1AA", "/parents/topics/meet-other-parents/?age=4&postcode=B8+1AA"),
        ]
        published = Service.objects.published().count()
        print(f"\n{size:,} synthetic services ({published:,} published in all)")
        status = client.get("/map/markers.geojson").status_code
        if status == 404:
            print("  (skipped /map/markers.geojson: 404, not in this version)")
            urls = [(label, url) for label, url in urls if url != "/map/markers.geojson"]
        saved = Service.objects.filter(slug__startswith=SYNTHETIC).order_by("-pk").values_list("pk", flat=True)[0]
        print(f"  {'':<44} {'after a save':^19}  {'cold page':^19}  {'warm':^19}  {'p95 / About':^23}")
        print(f"  {'page':<44} {'median':>9} {'p95':>9}  {'median':>9} {'p95':>9}  {'median':>9} {'p95':>9}  "
              f"{'saved':>7} {'cold':>7} {'warm':>7}")
        results = {label: (timed_after_save(client, url, args.repeat, saved), timed_cold(client, url, args.repeat),
                           timed(client, url, args.repeat)) for label, url in urls}
        about = [p95 for _, p95 in results["About page (site template)"]]
        for label, measured in results.items():
            figures = "  ".join(f"{median:>9.1f} {p95:>9.1f}" for median, p95 in measured)
            ratios = " ".join(f"{p95 / base:>6.1f}x" for (_, p95), base in zip(measured, about))
            print(f"  {label:<44} {figures}  {ratios}")
        print("  (milliseconds; after a save: another service saved before each request, so nothing kept for the\n"
              "   previous content version serves it; cold page: every cache emptied before each request, the facet\n"
              "   index of the version kept; warm: the same request repeated)")


if __name__ == "__main__":
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False, CACHE_PAGES=True):
        main()
