"""Screenshot a stswatch report in Debian's headless Chromium, optionally after clicking something.

python -m docs.screenshot REPORT.html OUT.png [--fill CSS=TEXT] [--click CSS] [--full-page]
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.chromium import launch


def main() -> None:
    """Open the report from disk, click, and save the PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--fill", action="append", default=[], help="CSS=TEXT: type into a field")
    parser.add_argument("--click", action="append", default=[], help="CSS selector to click")
    parser.add_argument("--full-page", action="store_true")
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = launch(playwright.chromium)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(args.report.resolve().as_uri(), wait_until="load")
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=120_000)
        for fill in args.fill:
            selector, _, text = fill.partition("=")
            page.locator(selector).fill(text)
        for selector in args.click:
            page.locator(selector).first.click()
        page.screenshot(path=str(args.out), full_page=args.full_page)
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
