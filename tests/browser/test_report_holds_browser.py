"""Held stretches and the episode panel in a real (headless) Chromium: drawn, clickable, and a
hostile pod name in them runs nothing."""

from pathlib import Path

from playwright.sync_api import expect

from stswatch.reports.timeline.html import render_report
from tests.browser.chromium import Watched
from tests.fixtures.episodes import HOSTILE_POD, episode, hold, recorded_timeline, result


def _write(tmp_path: Path) -> Path:
    held = (hold("web-1", start=1.0, end=2.5), hold(HOSTILE_POD, start=3.0, end=None))
    timeline = recorded_timeline(tmp_path / "s.db", result(episode(holds=held)))
    out = tmp_path / "held.html"
    out.write_text(render_report(timeline), encoding="utf-8")
    return out


def test_held_stretches_are_drawn_and_lead_to_their_changes(
    tmp_path: Path, watched: Watched
) -> None:
    path = _write(tmp_path)
    watched.open(path)
    page = watched.page
    tabs = page.locator("svg.timeline rect.held-tab")
    expect(tabs).to_have_count(2)
    box = tabs.first.bounding_box()
    assert box is not None
    assert box["width"] > 20  # 1.5 s of a 7 s recording on a 1,000 px plot
    expect(page.locator("svg.timeline path.held-lane")).to_have_count(1)
    expect(page.locator(".legend")).to_contain_text("held: the controller waited on one pod")
    tabs.first.click()
    expect(page.locator("#inspector-body")).to_be_visible()
    page.locator("section.episodes button.ev-all").first.click()
    expect(page.locator("#overlay0 .hl-ring").first).to_be_attached()
    panel = page.locator("section.episodes")
    expect(panel).to_contain_text(f"halted at {HOSTILE_POD} (not Ready")
    watched.assert_clean(path)
