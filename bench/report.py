"""Report benchmark: a synthetic N-pod session (~20 changes a pod) from store to Chromium.

Prints, for a baseline of a tenth of the pods and the full session, built the same way in the same
run: report generation time split by stage (load, lifecycles, verify, timeline, html) in CPU
seconds of this process (on a shared machine, wall seconds measure the neighbours), file size,
the time Debian's headless Chromium takes to load the file from disk and run its script, and the
time from a click on a lane segment to the evidence panel showing that segment's change. The
figures are printed beside the targets; it never asserts.

    .venv/bin/python -m bench.report [--pods 10000] [--keep DIR]   (from the repository root)
"""

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from playwright.sync_api import Page, expect, sync_playwright

from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording, paused_gc
from stswatch.reports.timeline.build import build_timeline
from stswatch.reports.timeline.changes import ChangeDiffs
from stswatch.reports.timeline.html import render_report
from tests.browser.chromium import launch
from tests.browser.sessions import scaled_session, store_session
from tests.fixtures.builder import ClusterBuilder

TARGETS = {"generate_s": 10.0, "size_mb": 25.0, "load_s": 3.0, "click_ms": 100.0}
T = TypeVar("T")

# Waits, in the page, for a real click on a segment and for the evidence panel to show its change
# (then for the next frame, so the panel has been painted): milliseconds from click to panel.
_CLICK_PROBE = """(want) => { window.__clickProbe = new Promise((resolve) => {
  let clicked = null;
  const id = document.getElementById("ch-id");
  document.addEventListener("click", () => { clicked = performance.now(); }, { capture: true });
  new MutationObserver(() => {
    if (clicked !== null && id.textContent === "#" + want) {
      requestAnimationFrame(() => resolve(performance.now() - clicked));
    }
  }).observe(id, { childList: true, characterData: true, subtree: true });
}); }"""


# A wide Ready segment of a pod lane that is on screen, inside the lanes' scrolling box: its change
# and the middle of its box (a click there scrolls nothing, so nothing is redrawn under it).
_ON_SCREEN_READY = """() => {
  const box = document.querySelector(".vscroll");
  const inside = box ? box.getBoundingClientRect() : { top: 0, bottom: innerHeight };
  const seen = [...document.querySelectorAll("svg.timeline g.lane-pod rect.seg.s-ready")]
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([, r]) => r.top >= Math.max(inside.top, 0)
      && r.bottom <= Math.min(inside.bottom, innerHeight))
    .sort((a, b) => b[1].width - a[1].width);
  const [el, r] = seen[Math.min(5, seen.length - 1)];
  return [el.dataset.c, r.left + r.width / 2, r.top + r.height / 2];
}"""


def synthetic_session(path: Path, *, pods: int) -> int:
    """The scaled session (0→pods→0→80%) written to `path`; its number of changes."""
    b = ClusterBuilder(step_ms=20)
    scaled_session(b, pods=pods)
    store_session(b, path, session="bench")
    return len(b.rows)


def generate(db: Path, out: Path) -> dict[str, float]:
    """Store to HTML file through the stages `stswatch report` runs: each stage's CPU seconds,
    their total, and the wall seconds of the whole."""
    times: dict[str, float] = {}
    wall = time.perf_counter()

    def timed(stage: str, step: Callable[[], T]) -> T:
        start = time.process_time()
        value = step()
        times[stage] = time.process_time() - start
        return value

    # As `stswatch report` runs them (analysis.analyse, frozen until it exits): the objects are
    # read back when drawn.
    # The changes' diffs are gathered as the lifecycles decode the session (`analyse(drawn=True)`).
    with paused_gc():
        recording = timed("load", lambda: load_recording(db, "bench", objects=False))
        diffs = ChangeDiffs()
        lifecycles = timed("lifecycles", lambda: build_lifecycles(recording, seen=diffs))
        result = timed(
            "verify",
            lambda: verify(
                recording, lifecycles=lifecycles, events=diffs.events_of(recording.changes)
            ),
        )
        timeline = timed(
            "timeline",
            lambda: build_timeline(recording, lifecycles=lifecycles, result=result, gathered=diffs),
        )
    html = timed("html", lambda: render_report(timeline))
    out.write_text(html, encoding="utf-8")
    times["total"] = sum(times.values())
    times["wall"] = time.perf_counter() - wall
    return times


def chromium_figures(paths: list[Path]) -> list[tuple[float, float, float]]:
    """For each file, in one browser: seconds to load and run its script; milliseconds from a
    click on a lane segment to the panel showing its change, in the page and through Playwright.
    """
    found = []
    with sync_playwright() as playwright:
        browser = launch(playwright.chromium)
        for path in paths:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            start = time.perf_counter()
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_selector("body[data-ready=true]", state="attached", timeout=120_000)
            load = time.perf_counter() - start
            found.append((load, *_click(page)))
            page.close()
        browser.close()
    return found


def _click(page: Page) -> tuple[float, float]:
    """Scroll halfway down the pod lanes (the claims follow them) and click a Ready segment."""
    page.evaluate("() => { const b = document.querySelector('.vscroll'); "
                  "if (b) { b.scrollIntoView(); b.scrollTop = b.scrollHeight / 4; } }")  # fmt: skip
    page.wait_for_timeout(300)  # the lanes in view are redrawn on the next frame
    change, x, y = page.evaluate(_ON_SCREEN_READY)
    page.evaluate(_CLICK_PROBE, change)
    start = time.perf_counter()
    page.mouse.click(x, y)
    expect(page.locator("#ch-id")).to_have_text(f"#{change}")  # no eval: the CSP refuses it
    round_trip = (time.perf_counter() - start) * 1000
    return float(page.evaluate("window.__clickProbe")), round_trip


def main() -> None:
    """Run the baseline and the full-size case and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the stores and reports here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for pods in (max(args.pods // 10, 1), args.pods):
            db, out = folder / f"bench-{pods}.db", folder / f"bench-{pods}.html"
            db.unlink(missing_ok=True)
            start = time.perf_counter()
            changes = synthetic_session(db, pods=pods)
            built = time.perf_counter() - start
            rows.append((pods, changes, built, generate(db, out), out))
            stages = " ".join(f"{k}={v:.2f}" for k, v in rows[-1][3].items())
            print(f"generated {pods} pods ({changes} changes), CPU s: {stages}", flush=True)
        browser = chromium_figures([row[4] for row in rows])
        sizes = [row[4].stat().st_size / 1e6 for row in rows]
    print(
        f"{'pods':>6} {'changes':>8} {'session s':>10} {'generate s':>11} {'(wall)':>7} "
        f"{'size MB':>8} {'chromium s':>11} {'click ms':>9} {'(playwright)':>12}  "
        "generate by stage (CPU s)"
    )
    for (pods, changes, built, times, _), (load, click, trip), size in zip(
        rows, browser, sizes, strict=True
    ):
        stages = " ".join(f"{k}={v:.2f}" for k, v in times.items() if k not in ("total", "wall"))
        print(
            f"{pods:>6} {changes:>8} {built:>10.2f} {times['total']:>11.2f} {times['wall']:>7.1f} "
            f"{size:>8.2f} {load:>11.2f} {click:>9.1f} {trip:>12.1f}  {stages}"
        )
    print(
        f"targets at 10,000 pods: generate <= {TARGETS['generate_s']} CPU s, "
        f"size <= {TARGETS['size_mb']} MB, chromium load <= {TARGETS['load_s']} s, "
        f"click to evidence <= {TARGETS['click_ms']} ms"
    )


if __name__ == "__main__":
    main()
