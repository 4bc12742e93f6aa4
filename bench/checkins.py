"""Benchmark services checking their own entries (issue 20) on PostgreSQL: the check-in page
(GET and a POST that sends changes and a self-audit), sending invitations, and the IMHSG's
self-audit report and its CSV with many audits.

Usage: .venv/bin/python bench/checkins.py [--audits 5000] [--repeat 30]

It drops and re-creates its own database (`bench_checkins` on the local PostgreSQL, or
BENCH_CHECKINS_DATABASE_URL), never the directory's, loads the seed, and adds `--audits`
self-audits spread over the seeded services and three years (each named "bench" in
answered_by). Figures are medians and 95th percentiles in milliseconds, with a trivial view
measured in the same run to compare against: these machines are shared and noisy.
"""
import os
import sys
import time
from pathlib import Path

os.environ["BENCH_DATABASE_URL"] = os.environ.get("BENCH_CHECKINS_DATABASE_URL",
                                                  "postgres://postgres@127.0.0.1:5432/bench_checkins")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import search as builder  # noqa: E402  (creates the database and sets Django up)

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402

from directory.checkins import invitations, tokens  # noqa: E402
from directory.checkins.barriers import barriers_from  # noqa: E402
from directory.models import CheckInContact, PendingChange, SelfAudit, Service  # noqa: E402
from directory.seed.loader import load_seed  # noqa: E402
from tests.directory.checkins.conftest import page_data  # noqa: E402

urlpatterns = [path("bench-trivial/", lambda request: HttpResponse("ok")), path("", include("config.urls"))]


def summary(times):
    times = sorted(times)
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def timed(call, repeat):
    call()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return summary(times)


def add_audits(count, rng):
    services = list(Service.objects.published())
    now = timezone.now()
    answers = [{"accepts_pregnancy": rng.choice(["yes", "no", "not_sure"]),
                "accepts_under_twos": rng.choice(["yes", "no"]), "age_from_months": rng.choice([0, 6, 24, None]),
                "age_limit_applies_to": rng.choice(["baby", "parent", "none"]),
                "who_can_refer": rng.sample(["self", "professional", "automatic"], rng.randint(1, 2)),
                "uses_community_venues": rng.choice(["yes", "no"]), "cost": rng.choice(["free", "paid", ""]),
                "languages": rng.choice([["en"], ["en", "ur"], []]), "interpreters": rng.choice(["yes", "no"]),
                "wants_advice": rng.choice(["yes", "no"])} for _ in range(50)]
    rows = []
    for i in range(count):
        chosen = answers[i % len(answers)]
        rows.append(SelfAudit(service=services[i % len(services)], answered_by="bench", answers=chosen,
                              submitted_at=now - timedelta(days=rng.randint(0, 3 * 365)), **barriers_from(chosen)))
    SelfAudit.objects.bulk_create(rows, batch_size=1000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    print(f"Database: {builder.DATABASE_URL}")
    call_command("migrate", verbosity=0)
    load_seed()
    rng = random.Random(42)
    acacia = Service.objects.get(slug="acacia")
    client = Client()
    print(f"\n  {'what':<58} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")

    def row(label, call, repeat=args.repeat):
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        # execute_wrapper, not CaptureQueriesContext: the latter's log is emptied when a request
        # closes and reopens the connection.
        with connection.execute_wrapper(count):
            call()
        median, p95 = timed(call, repeat)
        print(f"  {label:<58} {median:>10.1f} {p95:>8.1f} {len(queries):>8}")

    row("trivial view (plain 'ok')", lambda: client.get("/bench-trivial/"))
    row("About page (site template)", lambda: client.get("/about/"))
    _, token = tokens.create_invitation(service=acacia, name="Bench", email="bench@example.org")
    url = f"/check/{token}/"
    row("check-in page, GET", lambda: client.get(url))
    row("unknown check-in link (404)", lambda: client.get("/check/" + "A" * 43 + "/"))

    # Each POST needs its own link: one link allows CHECKIN_SUBMISSIONS_PER_HOUR submissions.
    links = [tokens.create_invitation(service=acacia, name="Bench", email="bench@example.org")[1]
             for _ in range(args.repeat + 2)]
    data = page_data(acacia, **{"parent_description-new": "You and your baby can come. It is free.",
                                "accepts_pregnancy": "no", "wants_advice": "yes", "answered_by": "Bench"})

    def post():
        response = Client().post(f"/check/{links.pop()}/", data)
        assert response.status_code == 302, response.status_code

    row("check-in page, POST (a change and a self-audit)", post)
    print(f"  (proposals waiting after the POSTs: {PendingChange.objects.filter(status='pending').count()})")

    for service in Service.objects.published():
        CheckInContact.objects.get_or_create(service=service, defaults={"name": "Bench", "email": "bench@example.org"})
    editor = get_user_model().objects.create_superuser("bench", "bench@example.org", "a-long-password-for-bench")

    def invite_all():
        for service in Service.objects.published():
            invitations.invite(service=service, sent_by=editor)

    row(f"invite every published service ({Service.objects.published().count()}), locmem mail", invite_all, 5)

    started = time.perf_counter()
    add_audits(args.audits, rng)
    print(f"  ({args.audits:,} self-audits added in {time.perf_counter() - started:.1f} s)")
    client.force_login(editor)
    row("self-audit report", lambda: client.get("/admin/self-audits/"))
    row("self-audit report, two barriers", lambda: client.get(
        "/admin/self-audits/?barrier=excludes_pregnancy&barrier=wants_advice"))
    row("self-audit report CSV", lambda: client.get("/admin/self-audits/report.csv"))
    row("a service's audit history", lambda: client.get(f"/admin/self-audits/{acacia.pk}/"))
    row("curation dashboard", lambda: client.get("/admin/curation/"))


if __name__ == "__main__":
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False, ALLOWED_HOSTS=["testserver"],
                           EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                           CHECKIN_SUBMISSIONS_PER_HOUR=1000):
        main()
