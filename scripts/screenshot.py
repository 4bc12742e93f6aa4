"""Screenshot pages of a running app on a phone-sized and a desktop window.

Usage: python scripts/screenshot.py http://127.0.0.1:8000 / /about/ ...
Writes screenshots/<name>-phone.png and -desktop.png (git-ignored), to look at.
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
FULL = "--full" in sys.argv
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


def main(base, paths):
    out = Path("screenshots")
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for label, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            for path in paths:
                page.goto(base + path)
                name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                page.screenshot(path=out / f"{name}-{label}.png", full_page=FULL)
                print(out / f"{name}-{label}.png")
        browser.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--full"]
    main(args[0], args[1:])
