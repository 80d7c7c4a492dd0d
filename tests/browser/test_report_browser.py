"""The report and the comparison in a real (headless) Chromium, opened from disk."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from stswatch.reports.analysis import analyse
from stswatch.reports.timeline.compare import compare
from stswatch.reports.timeline.html import render_comparison, render_report
from tests.browser.chromium import Watched
from tests.browser.sessions import (
    BIDI_SHOWN,
    HOSTILE,
    hostile_pod_event,
    lab_session,
    write_session,
)
from tests.fixtures.builder import ClusterBuilder


def _write_report(tmp_path: Path, *, policy: str = "OrderedReady", hostile: bool = False) -> Path:
    b = ClusterBuilder()
    lab_session(b, policy=policy, hostile=hostile)
    if hostile:
        hostile_pod_event(b)
    b.gap("Pod", ms=600)
    db = tmp_path / f"{policy}.db"
    write_session(
        b,
        db,
        session=policy.lower(),
        marks=(("scale to 5", 16_000, {"step": 7, "phase": "begin"}),),
    )
    out = tmp_path / f"{policy}.html"
    out.write_text(render_report(analyse(db, policy.lower()).timeline()), encoding="utf-8")
    return out


def test_report_opens_clean_with_a_lane_per_pod(
    tmp_path: Path, watched: Watched, artifacts: Path
) -> None:
    path = _write_report(tmp_path)
    watched.open(path)
    page = watched.page
    lanes = page.locator("svg.timeline g.lane-pod")
    expect(lanes).to_have_count(5)
    names = [lanes.nth(i).get_attribute("data-lane") for i in range(5)]
    assert names == [f"pod/redis-{i}" for i in range(5)]
    expect(page.locator("svg.timeline g.lane-pvc")).to_have_count(5)
    expect(page.locator("section.verdicts li.verdict").first).to_be_visible()
    expect(page.locator("section.verdicts .badge.o-pass").first).to_be_visible()
    expect(page.locator("svg.timeline rect.gap")).to_have_count(1)
    expect(page.locator("svg.timeline rect.gap-tab title")).to_contain_text("Pod changes may be")
    expect(page.locator("svg.timeline rect.band")).to_have_count(4)
    page.screenshot(path=str(artifacts / "report.png"), full_page=True)
    watched.assert_clean(path)


def test_clicking_a_moment_shows_the_change_and_its_diff(tmp_path: Path, watched: Watched) -> None:
    path = _write_report(tmp_path)
    watched.open(path)
    page = watched.page
    expect(page.locator("#inspector-body")).to_be_hidden()
    page.locator('g[data-lane="pod/redis-2"] rect.seg.s-ready').click()
    expect(page.locator("#inspector-body")).to_be_visible()
    expect(page.locator("#ch-name")).to_have_text("lab/redis-2")
    expect(page.locator("#ch-kind")).to_have_text("Pod")
    expect(page.locator("#ch-diff")).to_contain_text("status.conditions[type=Ready].status")
    page.locator("#ch-prev").click()
    expect(page.locator("#ch-diff")).to_contain_text("status.phase")
    expect(page.locator("#overlay0 .hl-selected")).to_have_count(1)
    watched.assert_clean(path)


def test_clicking_an_empty_stretch_of_a_lane_shows_the_nearest_change(
    tmp_path: Path, watched: Watched
) -> None:
    path = _write_report(tmp_path)
    watched.open(path)
    page = watched.page
    background = page.locator('g[data-lane="pvc/data-redis-4"] rect.lane-bg')
    box = background.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)  # before the claim existed
    expect(page.locator("#ch-name")).to_have_text("lab/data-redis-4")
    expect(page.locator("#ch-event")).to_have_text("ADDED")
    expect(page.locator("#ch-object")).to_contain_text('"phase": "Pending"')


def test_evidence_links_highlight_the_moments(tmp_path: Path, watched: Watched) -> None:
    path = _write_report(tmp_path)
    watched.open(path)
    page = watched.page
    button = page.locator("button.ev-all").first
    count = len((button.get_attribute("data-ev") or "").split())
    assert count >= 1
    button.click()
    expect(page.locator("#overlay0 .hl-ring")).to_have_count(count)
    expect(page.locator("#inspector-body")).to_be_visible()
    page.locator("button.ev-link").first.click()
    expect(page.locator("#overlay0 .hl-selected")).to_have_count(1)
    watched.assert_clean(path)


def test_hostile_strings_show_as_text_and_never_run(
    tmp_path: Path, watched: Watched, artifacts: Path
) -> None:
    path = _write_report(tmp_path, hostile=True)
    watched.open(path)
    page = watched.page
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    marker = page.locator('g[data-lane="pod/redis-1"] path.ev-warning')
    expect(marker).to_have_count(1)
    assert HOSTILE[0] in (marker.locator("title").text_content() or "")
    marker.click()
    expect(page.locator("#ch-object")).to_contain_text(HOSTILE[0])
    expect(page.locator("#ch-object")).to_contain_text(HOSTILE[1])
    expect(page.locator("#ch-object")).to_contain_text(HOSTILE[2])
    step = page.locator("svg.timeline circle.step-dot").first
    step.click()
    page.locator("#ch-next").click()
    expect(page.locator("#ch-diff")).to_contain_text(HOSTILE[1])  # the annotation, as text
    page.locator('g[data-lane="pod/redis-1"] rect.seg.s-ready').click()
    for _ in range(10):  # walk redis-1's history to its last change: the hostile labels
        if page.locator("#ch-next").is_disabled():
            break
        page.locator("#ch-next").click()
    expect(page.locator("#ch-diff")).to_contain_text("metadata.annotations.note")
    expect(page.locator("#ch-diff")).to_contain_text(HOSTILE[2])
    expect(page.locator("#ch-diff")).to_contain_text(HOSTILE[0])
    expect(page.locator("#ch-diff")).to_contain_text(BIDI_SHOWN)  # escaped, not obeyed
    assert "\u202e" not in (page.locator("#inspector").text_content() or "")
    page.screenshot(path=str(artifacts / "report-hostile.png"))
    watched.assert_clean(path)


@pytest.mark.parametrize("policies", [("OrderedReady", "Parallel")])
def test_comparison_opens_clean(
    tmp_path: Path, watched: Watched, artifacts: Path, policies: tuple[str, str]
) -> None:
    timelines = []
    for policy in policies:
        b = ClusterBuilder()
        lab_session(b, policy=policy)
        db = tmp_path / f"{policy}.db"
        write_session(b, db, session=policy.lower())
        timelines.append(analyse(db, policy.lower()).timeline())
    path = tmp_path / "compare.html"
    path.write_text(render_comparison(compare(*timelines)), encoding="utf-8")
    watched.open(path)
    page = watched.page
    expect(page.locator("svg.timeline")).to_have_count(2)
    expect(page.locator("#tl0 g.lane-pod")).to_have_count(5)
    expect(page.locator("#tl1 g.lane-pod")).to_have_count(5)
    expect(page.locator("table.figures")).to_contain_text("burst width")
    expect(page.locator("section.verdicts")).to_have_count(2)
    page.locator('#tl1 g[data-lane="pod/redis-1"] rect.seg').first.click()
    expect(page.locator("#ch-t")).to_contain_text("session parallel")
    page.screenshot(path=str(artifacts / "compare.png"), full_page=True)
    watched.assert_clean(path)


def test_gzipped_data_inflates_in_the_browser(tmp_path: Path, watched: Watched) -> None:
    b = ClusterBuilder()
    lab_session(b)
    db = tmp_path / "s.db"
    write_session(b, db, session="lab")
    path = tmp_path / "packed.html"
    path.write_text(render_report(analyse(db, "lab").timeline(), json_limit=0), encoding="utf-8")
    assert '{"gzip":"' in path.read_text()
    watched.open(path)
    page = watched.page
    page.locator('g[data-lane="pod/redis-3"] rect.seg.s-ready').click()
    expect(page.locator("#ch-name")).to_have_text("lab/redis-3")
    watched.assert_clean(path)


def test_marks_are_numbered_flags_with_a_table(tmp_path: Path, watched: Watched) -> None:
    path = _write_report(tmp_path)
    watched.open(path)
    page = watched.page
    flag = page.locator("svg.timeline g.flag")
    expect(flag).to_have_count(1)
    expect(flag.locator("text")).to_have_text("7")
    expect(page.locator("table.marks-table")).to_contain_text("scale to 5")


def test_the_timeline_prints(tmp_path: Path, watched: Watched) -> None:
    path = _write_report(tmp_path)
    watched.open(path)
    page = watched.page
    page.emulate_media(media="print")
    expect(page.locator("#inspector")).to_be_hidden()
    expect(page.locator("svg.timeline")).to_be_visible()
    expect(page.locator("section.verdicts")).to_be_visible()
    assert page.pdf()[:4] == b"%PDF"


def test_the_policy_refuses_anything_injected(tmp_path: Path, watched: Watched) -> None:
    path = _write_report(tmp_path)
    watched.open(path)
    page = watched.page
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.injected = true";
            document.body.appendChild(s);
            const img = document.createElement("img");
            img.src = "http://192.0.2.1/pixel.png";
            document.body.appendChild(img);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected === undefined")
    assert failed == ["http://192.0.2.1/pixel.png csp"]  # blocked before any connection
    refusals = " ".join(watched.errors)
    assert "Executing inline script violates the following Content Security Policy" in refusals
    assert 'violates the following Content Security Policy directive: "img-src data:"' in refusals
