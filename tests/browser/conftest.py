"""Headless Chromium (Debian's /usr/bin/chromium, never a downloaded one) for the report tests.

Each page records its console errors, page errors, dialogs and every request it makes, so a test
can assert the report ran cleanly and loaded nothing but itself.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, sync_playwright

from tests.browser.chromium import Watched, launch

ARTIFACTS_ENV = "STSWATCH_TEST_ARTIFACTS"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module.

    Playwright's sync API keeps an event loop running while it is open; closing it with the
    module leaves no running loop behind for later tests that start their own (`asyncio.run`).
    """
    with sync_playwright() as playwright:
        chromium = launch(playwright.chromium)
        yield chromium
        chromium.close()


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    """A fresh page that records console errors, dialogs and requests."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    seen = Watched(page)
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    page.on("request", lambda r: seen.requests.append(r.url))

    def dismiss(dialog: Dialog) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    yield seen
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (STSWATCH_TEST_ARTIFACTS, default ./test-artifacts)."""
    path = Path(os.environ.get(ARTIFACTS_ENV, "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
