"""Report benchmark: a synthetic 1,000-pod session (~20k changes) from store to Chromium.

Prints, for a 100-pod baseline and the 1,000-pod session built the same way in the same run:
report generation time (load, lifecycles, verify, timeline, HTML), file size, and the time
Debian's headless Chromium takes to load the file from disk and run its script.
Targets for 1,000 pods: generation < 5 s, file < 10 MB, Chromium load < 3 s. Never asserts.

    .venv/bin/python -m bench.report [--pods 1000] [--keep DIR]   (from the repository root)
"""

import argparse
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from stswatch.reports.analysis import analyse
from stswatch.reports.timeline.html import render_report
from tests.browser.chromium import launch
from tests.browser.sessions import bring_up, status, store_session, take_down
from tests.fixtures.builder import ClusterBuilder

TARGETS = {"generate_s": 5.0, "size_mb": 10.0, "load_s": 3.0}


def synthetic_session(path: Path, *, pods: int) -> int:
    """Scale 0→pods, down to 0, then back up to 80%: about 20 changes per pod."""
    b = ClusterBuilder(step_ms=20)
    b.service("redis-headless")
    b.statefulset("redis", replicas=pods, service="redis-headless")
    for ordinal in range(pods):
        bring_up(b, "redis", ordinal, ready_ms=300)
        status(b, "redis")
    b.set_spec("redis", replicas=0)
    for ordinal in reversed(range(pods)):
        take_down(b, "redis", ordinal, grace_ms=200)
        status(b, "redis")
    b.set_spec("redis", replicas=pods * 4 // 5)
    for ordinal in range(pods * 4 // 5):
        bring_up(b, "redis", ordinal, ready_ms=300)
        status(b, "redis")
    store_session(b, path, session="bench")
    return len(b.rows)


def generate(db: Path, out: Path) -> dict[str, float]:
    """Store to HTML file through the analysis call `stswatch report` makes, timing each stage."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    analysis = analyse(db, "bench")
    times["analyse"] = time.perf_counter() - start
    timeline = analysis.timeline()
    times["timeline"] = time.perf_counter() - start - sum(times.values())
    out.write_text(render_report(timeline), encoding="utf-8")
    times["html"] = time.perf_counter() - start - sum(times.values())
    times["total"] = time.perf_counter() - start
    return times


def chromium_load(paths: list[Path]) -> list[float]:
    """Seconds from navigation to the load event (script run) for each file, in one browser."""
    found = []
    with sync_playwright() as playwright:
        browser = launch(playwright.chromium)
        for path in paths:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            start = time.perf_counter()
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_selector("body[data-ready=true]", state="attached")
            found.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return found


def main() -> None:
    """Run the baseline and the full-size case and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the stores and reports here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for pods in (max(args.pods // 10, 1), args.pods):
            db, out = folder / f"bench-{pods}.db", folder / f"bench-{pods}.html"
            db.unlink(missing_ok=True)
            changes = synthetic_session(db, pods=pods)
            rows.append((pods, changes, generate(db, out), out))
        loads = chromium_load([row[3] for row in rows])
        sizes = [row[3].stat().st_size / 1e6 for row in rows]
    print(
        f"{'pods':>6} {'changes':>8} {'generate s':>11} {'size MB':>8} {'chromium s':>11}  stages"
    )
    for (pods, changes, times, _), load, size in zip(rows, loads, sizes, strict=True):
        stages = " ".join(f"{k}={v:.2f}" for k, v in times.items() if k != "total")
        print(
            f"{pods:>6} {changes:>8} {times['total']:>11.2f} {size:>8.2f} {load:>11.2f}  {stages}"
        )
    print(
        f"targets for {args.pods} pods: generate < {TARGETS['generate_s']} s, "
        f"size < {TARGETS['size_mb']} MB, chromium load < {TARGETS['load_s']} s"
    )


if __name__ == "__main__":
    main()
