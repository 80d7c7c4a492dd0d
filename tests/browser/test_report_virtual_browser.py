"""A large report in a real (headless) Chromium: summary lanes, only the lanes in view in the DOM,
the filter by ordinal range and name, the same inspector, and hostile strings that stay text."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from stswatch.reports.analysis import analyse
from stswatch.reports.timeline.html import render_report
from tests.browser.chromium import Watched
from tests.browser.sessions import HOSTILE, event, scaled_session, write_session
from tests.fixtures.builder import ClusterBuilder

PODS = 250  # above the 200 pod lanes where the report virtualises


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 250-pod session, with markup in a Warning Event's reason and message about redis-240."""
    folder = tmp_path_factory.mktemp("virtual")
    b = ClusterBuilder(step_ms=20)
    scaled_session(b, pods=PODS)
    event(b, kind="Pod", name="redis-240", reason=HOSTILE[1], message=" ".join(HOSTILE),
          type_="Warning")  # fmt: skip
    write_session(b, folder / "s.db", session="big")
    path = folder / "big.html"
    path.write_text(render_report(analyse(folder / "s.db", "big").timeline()), encoding="utf-8")
    return path


def _lanes(page: Page) -> list[str]:
    return [str(k) for k in page.locator("svg.vlanes g.lane").evaluate_all(
        "gs => gs.map(g => g.dataset.lane)")]  # fmt: skip


def test_summaries_and_only_the_lanes_in_view(report: Path, watched: Watched) -> None:
    watched.open(report)
    page = watched.page
    expect(page.locator("svg.timeline g.summary")).to_have_count(2)
    expect(page.locator("svg.timeline g.summary path.stack.s-ready").first).to_be_attached()
    expect(page.locator("#flt-count0")).to_have_text(f"{2 * PODS} of {2 * PODS} lanes")
    drawn = _lanes(page)
    assert drawn[0] == "pod/redis-0"
    assert len(drawn) < 120  # 500 lanes, a window of them drawn
    page.locator("#vscroll0").evaluate("box => { box.scrollTop = box.scrollHeight; }")
    expect(
        page.locator('svg.vlanes g[data-lane="pvc/data-redis-249"] rect.seg.s-bound')
    ).to_have_count(1)
    assert "pod/redis-0" not in _lanes(page)
    watched.assert_clean(report)


def test_filter_by_ordinal_range_and_name_then_click(report: Path, watched: Watched) -> None:
    watched.open(report)
    page = watched.page
    page.locator("#flt-from0").fill("100")
    page.locator("#flt-to0").fill("102")
    expect(page.locator("#flt-count0")).to_have_text(f"6 of {2 * PODS} lanes")
    assert _lanes(page) == [f"pod/redis-{i}" for i in (100, 101, 102)] + [
        f"pvc/data-redis-{i}" for i in (100, 101, 102)
    ]
    page.locator("#flt-from0").fill("")
    page.locator("#flt-to0").fill("")
    page.locator("#flt-name0").fill("data-redis-17")
    expect(page.locator("#flt-count0")).to_have_text(f"11 of {2 * PODS} lanes")
    segment = page.locator('svg.vlanes g[data-lane="pvc/data-redis-17"] rect.seg.s-bound')
    change = segment.get_attribute("data-c")
    segment.click()
    expect(page.locator("#inspector-body")).to_be_visible()
    expect(page.locator("#ch-id")).to_have_text(f"#{change}")
    expect(page.locator("#ch-name")).to_have_text("lab/data-redis-17")
    expect(page.locator("#ch-diff")).to_contain_text("status.phase")
    expect(page.locator("svg.vlanes .hl-selected")).to_have_count(1)
    page.locator("#ch-prev").click()
    expect(page.locator("#ch-event")).to_have_text("ADDED")
    watched.assert_clean(report)


def test_hostile_strings_in_virtual_lanes_stay_text(report: Path, watched: Watched) -> None:
    watched.open(report)
    page = watched.page
    page.locator("#flt-name0").fill("redis-240")
    marker = page.locator('svg.vlanes g[data-lane="pod/redis-240"] path.ev-warning')
    expect(marker).to_have_count(1)
    assert HOSTILE[0] in (marker.locator("title").text_content() or "")
    marker.click()
    for hostile in HOSTILE:
        expect(page.locator("#ch-object")).to_contain_text(hostile)
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    watched.assert_clean(report)
