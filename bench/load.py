"""Load-test the public pages under gunicorn with production settings, against the About page.

Usage: .venv/bin/python bench/load.py [--database sqlite|postgres|both|URL] [--seconds 5]
           [--clients 8 32] [--mixed-seconds 60] [--mixed-clients 50] [--workers 2] [--only LABEL ...]
           [--saves-per-second 1] [--existing URL]

For each database (by default SQLite, then PostgreSQL) it prepares a database of its own: a
temporary SQLite file, or `bench_load` on the local PostgreSQL (dropped and created; never `test`
or the directory's; a URL given with --database must name a database or file containing "bench").
It runs `migrate` and `loadseed` there (the real seed content, 25 services; nothing invented),
collects the static files into a temporary STATIC_ROOT (production storage needs the manifest),
and starts `gunicorn config.wsgi --workers 2` (sync workers, as the Dockerfile) on a free
loopback port with production settings: DEBUG off, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
LOG_LEVEL=WARNING and no access log, and SECURE_SSL_REDIRECT=0 only because loopback has no TLS.
Other settings come from the environment as in production (the cache, for instance, is local
memory unless the environment configures another; with a shared cache such as Redis, give the
bench a cache database of its own).

A separate process (asyncio, raw HTTP/1.1, one new connection per request as gunicorn's sync
workers close every connection) drives it over loopback: for each client count, each page in
turn for --seconds after a few warming requests, every client looping request, read the whole
body, record the latency and the status. Requests send a browser's Accept-Encoding (gzip) and
no cookies (a first visit). Only a 200 counts in req/s; anything else, or a broken connection,
is an error. Each page must answer 200 once before it is timed, or the run stops; the optional
/map/markers.geojson is timed only where it exists. Then a mixed run: --mixed-clients clients
for --mixed-seconds, each request a page drawn at random by the weights in PAGES (search pages
and service pages weigh most, as they are what practitioners use most).

Tables give req/s, median and 95th percentile latency in ms, errors, and req/s as a percentage
of the About page's in the same table. Two more rows: the client's ceiling, against a stub
HTTP server that is not Django (what this client and that stub can do at all), and /healthz
(a small Django view, though it queries the database and checks the migrations). "client
CPU" is the load process's CPU time over the window, as a share of one core: on this 2-core
machine the client takes CPU from the server, so compare ratios, not absolutes (these
machines are shared and noisy). The About page is timed again at the end of each table: if
that row is far from 100%, the machine's load changed during the table; rerun.

Issue 26's run at size: fill a database with bench/search.py (100,000 synthetic services:
`BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_100k .venv/bin/python bench/search.py
--sizes 100000 --repeat 1`), then `bench/load.py --existing postgres://.../bench_100k --clients 32
--mixed-clients 32 --saves-per-second 1` (the cache: give it Redis, CACHE_URL, as production would).

To add a page, add a (label, path, weight) row to PAGES (paths may use the {service_slug},
{service_uuid}, {parent_slug} and {topic_slug} picked from the seeded database).
"""
import argparse
import asyncio
import http.client
import json
import math
import multiprocessing
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_databases import prepared_database_url  # bench/bench_databases.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"

ABOUT = "About"
# (label, path, weight in the mixed run). About first: every ratio is against it.
PAGES = [
    (ABOUT, "/about/", 2),
    ("home", "/", 6),
    ("search: no filters", "/search/", 4),
    ("search: 4 months, B8 1AA, specialist", "/search/?age=4&postcode=B8+1AA&level=specialist", 10),
    ("search: pregnant, Hodge Hill, self, free",
     "/search/?stage=pregnant&district=hodge-hill&referral=self&free=1", 10),
    ("search: keywords 'perinatal anxiety'", "/search/?q=perinatal+anxiety", 10),
    ("service page", "/services/{service_slug}/", 15),
    ("shortlist (empty)", "/shortlist/", 3),
    ("map", "/map/", 5),
    ("map: 4 months, specialist", "/map/?age=4&level=specialist", 3),
    ("districts GeoJSON", "/map/districts.geojson", 5),
    ("districts GeoJSON: 4 months, specialist", "/map/districts.geojson?age=4&level=specialist", 3),
    ("wards GeoJSON", "/map/wards.geojson", 3),
    ("markers GeoJSON", "/map/markers.geojson", 5),  # optional: timed only if it answers 200
    ("needs", "/needs/", 2),
    ("parents: start", "/parents/", 4),
    ("parents: support, 4 months, B8 1AA", "/parents/support/?age=4&postcode=B8+1AA", 4),
    ("parents: topic, 4 months, B8 1AA", "/parents/topics/{topic_slug}/?age=4&postcode=B8+1AA", 4),
    ("parents: service page", "/parents/services/{parent_slug}/", 5),
    ("API: services", "/api/services", 2),
    ("API: one service", "/api/services/{service_uuid}", 2),
]
OPTIONAL = {"/map/markers.geojson"}
HEALTHZ = ("/healthz (database + migrations check)", "/healthz")
STUB = "client ceiling (stub, not Django)"
STUB_BODY = b"x" * 10_000
REQUEST_TIMEOUT = 60

# Run in the seeded database (same environment as gunicorn): the pages' real slugs and versions.
# A curator's save every 1/--saves-per-second seconds while the mixed run reads (issue 26): a
# published service saved through the ORM, as the admin saves it (its signals bump the content
# version and refresh the search tables), in its own process with the server's settings.
SAVER = r"""
import json, statistics, sys, time, django
django.setup()
from directory.models import Service

interval, seconds = float(sys.argv[1]), float(sys.argv[2])
ids = list(Service.objects.published().order_by("pk").values_list("pk", flat=True))
latencies, errors, number = [], 0, 0
deadline = time.monotonic() + seconds
next_at = time.monotonic()
while time.monotonic() < deadline:
    started = time.monotonic()
    try:
        service = Service.objects.get(pk=ids[number % len(ids)])
        service.save()
        latencies.append((time.monotonic() - started) * 1000)
    except Exception as error:  # noqa: BLE001 (counted and reported)
        errors += 1
        print(f"SAVE ERROR {error!r}", file=sys.stderr)
    number += 1
    next_at += interval
    time.sleep(max(0.0, next_at - time.monotonic()))
latencies.sort()
print("SAVES " + json.dumps({
    "count": len(latencies), "errors": errors,
    "median": statistics.median(latencies) if latencies else 0.0,
    "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else 0.0,
}))
"""


PICK = r"""
import json, sqlite3, django
django.setup()
from django.conf import settings
from django.db import connection
from django.db.models import Count
from directory.models import Service
from directory.parents.selectors import parent_topic_list

published = Service.objects.published()
full = (Service.objects.for_parents()
        .annotate(n_venues=Count("service_at_locations", distinct=True),
                  n_routes=Count("referral_routes", distinct=True), n_facts=Count("facts", distinct=True))
        .filter(n_venues__gt=0, n_routes__gt=0).order_by("-n_facts", "name").first())
service = full or Service.objects.for_parents().order_by("name").first()
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("SHOW server_version")
        version = "PostgreSQL " + cursor.fetchone()[0]
    else:
        version = "SQLite " + sqlite3.sqlite_version
print("PICK " + json.dumps({
    "service_slug": service.slug, "service_uuid": str(service.uuid), "parent_slug": service.slug,
    "topic_slug": parent_topic_list().first().slug, "published": published.count(), "database": version,
    "caches": ", ".join(f"{alias}: {conf['BACKEND'].rsplit('.', 1)[-1]}" for alias, conf in settings.CACHES.items()),
}))
"""


# ---------------------------------------------------------------------------------------------
# The client (runs in its own process) and the stub server.

def request_bytes(path, port):
    return (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: bench-load\r\n"
            "Accept: text/html,application/json,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
            "Accept-Language: en-GB,en;q=0.9\r\nConnection: close\r\n\r\n").encode()


async def fetch(port, raw):
    """One request on a new connection: (status or None, error name or None, seconds)."""
    started = time.perf_counter()
    writer = None
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, chunked = None, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length is not None:
                await reader.readexactly(length)
            else:
                await reader.read()
        return status, None, time.perf_counter() - started
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as error:
        return None, type(error).__name__, time.perf_counter() - started
    finally:
        if writer is not None:
            writer.close()


def summarise(latencies, in_window, errors, seconds):
    """Figures for one page: req/s from the 200s completed within the window; latencies of every 200."""
    latencies.sort()
    count = len(latencies)
    return {
        "count": count,
        "rps": in_window / seconds,
        "median": statistics.median(latencies) * 1000 if count else float("nan"),
        "p95": latencies[max(0, math.ceil(0.95 * count) - 1)] * 1000 if count else float("nan"),
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


async def load(port, pages, clients, seconds, warm_rounds, warm_each):
    """Drive `clients` concurrent clients for `seconds`; pages is [(label, path, weight)].

    Before the window, `warm_rounds` rounds of `warm_each` concurrent requests per page (so every
    worker has served each page). Requests under way at the end of the window are completed and
    their latencies kept, but req/s counts only those completed within it."""
    raws = [(label, request_bytes(path, port)) for label, path, _ in pages]
    weights = [weight for _, _, weight in pages]
    for _ in range(warm_rounds):
        await asyncio.gather(*(fetch(port, raw) for _, raw in raws for _ in range(warm_each)))
    latencies = {label: [] for label, _ in raws}
    in_window = {label: 0 for label, _ in raws}
    errors = {label: {} for label, _ in raws}

    async def client(number, deadline):
        rng = random.Random(number)
        while time.perf_counter() < deadline:
            label, raw = raws[0] if len(raws) == 1 else rng.choices(raws, weights)[0]
            status, error, took = await fetch(port, raw)
            if status == 200:
                latencies[label].append(took)
                in_window[label] += time.perf_counter() <= deadline
            else:
                kind = error or f"HTTP {status}"
                errors[label][kind] = errors[label].get(kind, 0) + 1

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(n, started + seconds) for n in range(clients)))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    everything = [took for values in latencies.values() for took in values]
    total_errors = {}
    for kinds in errors.values():
        for kind, count in kinds.items():
            total_errors[kind] = total_errors.get(kind, 0) + count
    return {
        "pages": {label: summarise(latencies[label], in_window[label], errors[label], seconds) for label, _ in raws},
        "total": summarise(everything, sum(in_window.values()), total_errors, seconds),
        "elapsed": elapsed,
        "client_cpu": cpu / elapsed,
    }


def client_process(connection):
    """The load generator: takes jobs from the pipe until None, answers each with its figures."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    while True:
        job = connection.recv()
        if job is None:
            return
        connection.send(asyncio.run(load(**job)))


def stub_process(port):
    """A minimal HTTP server that is not Django: what the client can drive at most."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n" % len(STUB_BODY)) + STUB_BODY

    async def answer(reader, writer):
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(response)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def serve():
        server = await asyncio.start_server(answer, HOST, port, backlog=2048)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


class Client:
    """The load-generating process, fed jobs over a pipe."""

    def __init__(self):
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=client_process, args=(child,), daemon=True)
        self.process.start()

    def run(self, **job):
        self.connection.send(job)
        return self.connection.recv()

    def close(self):
        if self.process.is_alive():
            try:
                self.connection.send(None)
            except OSError:
                pass
            self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


# ---------------------------------------------------------------------------------------------
# The server side: database, settings, gunicorn.

def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def run(command, env, what):
    """Run a command with the server's environment; show its output and stop if it fails."""
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(f"{what} failed (exit {result.returncode}): {' '.join(map(str, command))[:200]}")
    return result.stdout


def database_url(choice, tmp):
    """The bench's own database URL, prepared empty (bench/bench_databases.py)."""
    return prepared_database_url(choice, tmp, name="bench_load")


def server_env(url, static_root):
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        # Loopback has no TLS: with the production default every request would be a redirect
        # to https. The secure-cookie settings stay on (the pages measured set none that matter).
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(static_root),
        "PYTHONUNBUFFERED": "1",
    })
    return env


class Gunicorn:
    def __init__(self, env, workers, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "w")
        # Its own session: Ctrl-C reaches only us, and we stop it cleanly (SIGTERM, then wait).
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi", "--workers", str(workers), "--bind", f"{HOST}:{self.port}",
             "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if get(self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz with 200 in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines=40):
        self.log.flush()
        return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: gunicorn's graceful shutdown
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def get(port, path):
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# Output.

def machine_facts():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    memory = next((line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "unknown")
    import django
    import gunicorn

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return [
        ("date", time.strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("code", f"{commit}{' (with uncommitted changes)' if dirty else ''}"),
        ("CPU", f"{os.cpu_count()} cores (nproc), {model}"),
        ("memory", memory),
        ("load average", " ".join(f"{value:.2f}" for value in os.getloadavg())),
        ("Python", platform.python_version()),
        ("Django", django.__version__),
        ("gunicorn", gunicorn.__version__),
    ]


def row(label, result, about_rps, width, cpu=None):
    ratio = f"{100 * result['rps'] / about_rps:.0f}%" if about_rps else "-"
    kinds = ", ".join(f"{kind} x{count}" for kind, count in sorted(result["error_kinds"].items()))
    return (f"  {label:<{width}} {result['rps']:>8.1f} {result['median']:>10.1f} {result['p95']:>8.1f} "
            f"{result['errors']:>7} {ratio:>9}" + (f" {cpu:>10.0%}" if cpu is not None else "")
            + (f"  ({kinds})" if kinds else ""))


def header(width, cpu=True):
    return (f"  {'page':<{width}} {'req/s':>8} {'median ms':>10} {'p95 ms':>8} {'errors':>7} {'vs About':>9}"
            + (f" {'client CPU':>10}" if cpu else ""))


def say(text=""):
    print(text, flush=True)


# ---------------------------------------------------------------------------------------------

def bench_database(choice, args, client, stub_port, static_root, tmp):
    url = args.existing or database_url(choice, tmp)
    env = server_env(url, static_root)
    say(f"\n=== Database: {url}" + (" (existing: migrated, not emptied or seeded)" if args.existing else ""))
    run([str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"], env, "migrate")
    if not args.existing:
        run([str(BIN / "python"), "manage.py", "loadseed"], env, "loadseed")
    picked = next(json.loads(line[5:]) for line in run([str(BIN / "python"), "-c", PICK], env, "pick").splitlines()
                  if line.startswith("PICK "))
    say(f"  database server: {picked['database']}; {picked['published']} published services"
        + ("" if args.existing else " (the seed)"))
    say(f"  gunicorn: {args.workers} sync workers, production settings; cache: {picked['caches']}")

    pages = [(label, path.format(**picked), weight) for label, path, weight in PAGES]
    if args.only:
        wanted = [word.lower() for word in args.only]
        pages = [page for page in pages
                 if page[0] == ABOUT or any(word in page[0].lower() or word in page[1].lower() for word in wanted)]

    server = Gunicorn(env, args.workers, tmp / f"gunicorn-{choice if choice in ('sqlite', 'postgres') else 'url'}.log")
    try:
        server.wait_ready()
        # Every page must answer 200 before it is timed: a 404 or 500 stops the run here.
        failures, timed = [], []
        for label, path, weight in pages:
            status, body = get(server.port, path)
            if status == 200:
                timed.append((label, path, weight))
            elif status == 404 and path in OPTIONAL:
                say(f"  skipped {path}: 404 (not in this version)")
            else:
                failures.append(f"{label} {path}: HTTP {status} {body[:200]!r}")
        if failures:
            raise SystemExit("Pages that do not answer 200:\n  " + "\n  ".join(failures)
                             + f"\n--- gunicorn log ---\n{server.log_tail()}")
        labels = [label for label, _, _ in timed] + [STUB, HEALTHZ[0], "About again (drift check)"]
        width = max(len(label) for label in labels)
        say("  pages:")
        for label, path, _ in timed:
            say(f"    {label:<{width}} {path}")

        for clients in args.clients:
            say(f"\n{clients} concurrent clients, {args.seconds:g} s per page ({picked['database']}; "
                "req/s counts 200s; vs About = req/s / About's req/s)")
            say(header(width))
            ceiling = client.run(port=stub_port, pages=[(STUB, "/", 1)], clients=clients, seconds=args.seconds,
                                 warm_rounds=1, warm_each=1)
            results = [(STUB, ceiling)]
            for label, path in [HEALTHZ] + [(label, path) for label, path, _ in timed]:
                results.append((label, client.run(port=server.port, pages=[(label, path, 1)], clients=clients,
                                                  seconds=args.seconds, warm_rounds=2, warm_each=args.workers)))
                if label == ABOUT:  # timed first of the pages: print the rows held back for its figure
                    about = results[-1][1]["total"]["rps"]
                    for earlier, result in results:
                        say(row(earlier, result["total"], about, width, result["client_cpu"]))
                elif label != HEALTHZ[0]:
                    say(row(label, results[-1][1]["total"], about, width, results[-1][1]["client_cpu"]))
            # About again: how far the machine drifted while this table was taken.
            again = client.run(port=server.port, pages=[(ABOUT, "/about/", 1)], clients=clients,
                               seconds=args.seconds, warm_rounds=0, warm_each=0)
            say(row("About again (drift check)", again["total"], about, width, again["client_cpu"]))
            say(f"  load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")

        if args.mixed_seconds > 0:
            weight_total = sum(weight for _, _, weight in timed)
            search = sum(weight for label, _, weight in timed if label.startswith("search"))
            services = sum(weight for label, _, weight in timed if "service page" in label)
            say(f"\nMixed: {args.mixed_clients} concurrent clients for {args.mixed_seconds:g} s, each request a page "
                f"drawn by weight (search {100 * search / weight_total:.0f}%, service pages "
                f"{100 * services / weight_total:.0f}%, the rest spread over the other pages)")
            saver = None
            if args.saves_per_second > 0:
                say(f"  with a curator's save {args.saves_per_second:g} times a second throughout (a published "
                    "service saved through the ORM: each save changes the content version)")
                saver = subprocess.Popen(
                    [str(BIN / "python"), "-c", SAVER, str(1 / args.saves_per_second), str(args.mixed_seconds)],
                    env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            mixed = client.run(port=server.port, pages=timed, clients=args.mixed_clients,
                               seconds=args.mixed_seconds, warm_rounds=0, warm_each=0)
            if saver is not None:
                out, err = saver.communicate(timeout=args.mixed_seconds + 120)
                saves = next((json.loads(line[6:]) for line in out.splitlines() if line.startswith("SAVES ")), None)
                if saves is None:
                    say(f"  the saver failed: {err[-500:]}")
                else:
                    say(f"  curator saves: {saves['count']}, errors {saves['errors']}, "
                        f"median {saves['median']:.1f} ms, p95 {saves['p95']:.1f} ms")
            total = mixed["total"]
            say(f"  total: {total['count']} requests, {total['rps']:.1f} req/s, "
                f"median {total['median']:.1f} ms, p95 {total['p95']:.1f} ms, errors {total['errors']}, "
                f"client CPU {mixed['client_cpu']:.0%}")
            say(f"  {'page':<{width}} {'weight':>7} {'requests':>9} {'median ms':>10} {'p95 ms':>8} {'errors':>7}")
            for label, _, weight in timed:
                result = mixed["pages"][label]
                kinds = ", ".join(f"{kind} x{count}" for kind, count in sorted(result["error_kinds"].items()))
                say(f"  {label:<{width}} {weight:>7} {result['count']:>9} {result['median']:>10.1f} "
                    f"{result['p95']:>8.1f} {result['errors']:>7}" + (f"  ({kinds})" if kinds else ""))
            say(f"  load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    finally:
        server.stop()
    log = Path(server.log_path).read_text(errors="replace").splitlines()
    if log:
        say(f"\n  gunicorn's log ({len(log)} lines at WARNING or above), last lines:")
        for line in log[-20:]:
            say(f"    {line}")
    else:
        say("\n  gunicorn's log: nothing at WARNING or above")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="both",
                        help="sqlite, postgres, both (default: SQLite then PostgreSQL) or a database URL")
    parser.add_argument("--seconds", type=float, default=5, help="timed window per page and client count")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--mixed-seconds", type=float, default=60, help="0 skips the mixed run")
    parser.add_argument("--mixed-clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--saves-per-second", type=float, default=0,
                        help="a curator's save this often during the mixed run (issue 26: 1); 0, none")
    parser.add_argument("--existing", metavar="URL",
                        help="a database already filled (e.g. bench/search.py's 100,000 services: issue 26's run); "
                             "migrated, never emptied or seeded; its name must contain 'bench'")
    parser.add_argument("--only", nargs="+", metavar="LABEL",
                        help="time only pages whose label or path contains one of these (About always)")
    args = parser.parse_args()
    if args.existing:
        import dj_database_url

        if "bench" not in Path(dj_database_url.parse(args.existing)["NAME"]).name:
            parser.error("--existing: the database's name must contain 'bench' (never the directory's own)")
        args.database = "existing"

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    say("Load test: gunicorn with production settings, driven over loopback by a separate process")
    for name, value in machine_facts():
        say(f"  {name}: {value}")

    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    client = stub = None
    try:
        static_root = tmp / "static"
        # The environment only matters for STATIC_ROOT here; collectstatic needs no database.
        run([str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            server_env(f"sqlite:///{tmp / 'unused.sqlite3'}", static_root), "collectstatic")
        client = Client()
        stub_port = free_port()
        stub = multiprocessing.get_context("spawn").Process(target=stub_process, args=(stub_port,), daemon=True)
        stub.start()
        choices = ["sqlite", "postgres"] if args.database == "both" else [args.database]
        for choice in choices:
            bench_database(choice, args, client, stub_port, static_root, tmp)
    except KeyboardInterrupt:
        say("\nInterrupted: stopping.")
        return 130
    finally:
        if client:
            client.close()
        if stub:
            stub.terminate()
            stub.join(5)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
