"""Debian's headless Chromium (/usr/bin/chromium, never downloaded), kept off the network."""

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserType, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ChromiumMissingError(RuntimeError):
    """The Debian chromium package is not installed."""


def launch(chromium: BrowserType) -> Browser:
    """Launch Debian's Chromium through Playwright with the flags above."""
    if not CHROMIUM.exists():
        raise ChromiumMissingError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class Watched:
    """A page and what it did."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        """Load a report from disk and wait until its script ran."""
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_selector("body[data-ready=true]", state="attached")

    def assert_clean(self, path: Path) -> None:
        """No script error, no dialog, and nothing loaded but the report itself."""
        assert self.errors == []
        assert self.dialogs == []
        assert self.requests == [path.resolve().as_uri()]
