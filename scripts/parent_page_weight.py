"""Bytes transferred for each parent page on a phone (goal: 150 KB or less, no map tiles).

Loads each page in Debian's chromium at 390x844 with an empty cache and adds up what
went over the wire (the compressed sizes Chrome reports, headers included), by type.
Run it against a production-like server (whitenoise compressing static files), e.g.
`make check-deploy`'s settings with gunicorn; runserver's uncompressed files overstate it.

Usage: python scripts/parent_page_weight.py http://127.0.0.1:8000
"""
import sys
from collections import defaultdict

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
PAGES = [
    "/parents/",
    "/parents/support/?age=4&postcode=B8+1AA",
    "/parents/topics/feeling-low/?age=4&postcode=B8+1AA",
    "/parents/support/all/",
    "/parents/services/acacia/",
    "/parents/saved/?services=1.2.3",
]
GOAL = 150 * 1024


def weigh(browser, url):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    types, sizes = {}, defaultdict(int)
    cdp.on("Network.responseReceived", lambda e: types.__setitem__(e["requestId"], e["type"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="networkidle")
    by_type = defaultdict(int)
    for request_id, size in sizes.items():
        by_type[types.get(request_id, "Other")] += size
    context.close()
    return sum(sizes.values()), dict(by_type), len(sizes)


def main(base):
    worst = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for path in PAGES:
            total, by_type, count = weigh(browser, base.rstrip("/") + path)
            worst = max(worst, total)
            detail = ", ".join(f"{kind} {size / 1024:.1f}" for kind, size in sorted(by_type.items()))
            print(f"{path:55} {total / 1024:6.1f} KB in {count} requests ({detail})")
        browser.close()
    print(f"Heaviest: {worst / 1024:.1f} KB; goal {GOAL / 1024:.0f} KB: {'met' if worst <= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main(sys.argv[1])
