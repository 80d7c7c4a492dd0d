"""Serve benchmark: the synthetic 10,000-pod session served, whole and one hour of it.

Prints, never asserts. The session is `bench.report`'s (0→N→0→80 % of N, about 20 changes a pod),
its changes 100 ms apart so that it lasts several hours. `stswatch serve` runs as its own process
(as a user runs it); for the whole session and for one hour in its middle it prints:

- time to first byte and to the last byte of the report, cold (first request: the analysis) and
  warm (kept), and of the verdicts (`/api/.../verdicts`);
- the time for Debian's headless Chromium to an interactive page (the session's page, its framed
  report's script run), the analysis kept by then;
- the baseline: `stswatch report` of the same slice, as a process, start to written file;
- the slowest answer to quick requests (/healthz, a page of changes, the store's page) made while
  the whole session is analysed cold: a slow request does not hold up the others;
- the serve process's peak memory, then its memory before and after 200 pages follow the session
  by server-sent events (and one that stops reading).

    .venv/bin/python -m bench.serve [--pods 10000] [--keep DIR]   (from the repository root)
"""

import argparse
import contextlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

from stswatch.reports.window import stamp
from tests.browser.chromium import launch
from tests.browser.sessions import scaled_session, store_session
from tests.fixtures.builder import START_NS, ClusterBuilder

SESSION = "bench"
STEP_MS = 100
FOLLOWERS = 200


def build(path: Path, *, pods: int) -> tuple[int, int]:
    """The session written to `path`: (changes, its length in ns)."""
    b = ClusterBuilder(step_ms=STEP_MS)
    scaled_session(b, pods=pods)
    store_session(b, path, session=SESSION)
    return len(b.rows), b.now_ns - START_NS


def recorded_ns(db: Path) -> int:
    """How long the session kept in `db` (by --keep) lasts, ns."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        first, last = conn.execute(
            "SELECT min(received_wall_ns), max(received_wall_ns) FROM change"
        ).fetchone()
    return int(last) - START_NS if first is not None else 0


@contextlib.contextmanager
def serving(db: Path) -> Iterator[tuple[str, psutil.Process]]:
    """`stswatch serve` on a free loopback port: its URL and process."""
    command = [
        sys.executable,
        "-m",
        "stswatch",
        "serve",
        "--db",
        str(db),
        "--listen",
        "127.0.0.1:0",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if found is None:
            raise RuntimeError(f"serve did not start: {line}")
        yield found[1], psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def fetch(url: str) -> tuple[float, float, int]:
    """(seconds to the first byte, to the last, bytes) of one GET."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        first = response.read(1)
        ttfb = time.perf_counter() - start
        size = len(first) + len(response.read())
    return ttfb, time.perf_counter() - start, size


def interactive(url: str) -> float:
    """Seconds for Chromium from navigation to the session page's framed report being ready."""
    with sync_playwright() as playwright:
        browser = launch(playwright.chromium)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        start = time.perf_counter()
        page.goto(url, wait_until="load", timeout=600_000)
        frame = page.frame_locator("iframe.report:not(.next)")
        frame.locator("body[data-ready=true]").wait_for(state="attached", timeout=600_000)
        took = time.perf_counter() - start
        browser.close()
    return took


def baseline(db: Path, out: Path, query: dict[str, str]) -> float:
    """Seconds for `stswatch report` of the same slice, as a process."""
    flags = [arg for key, value in query.items() for arg in (f"--{key}", value)]
    command = [sys.executable, "-m", "stswatch", "report", SESSION, "--db", str(db), "-o", str(out)]
    start = time.perf_counter()
    subprocess.run(
        [*command, *flags],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def beside_a_cold_analysis(base: str, report: str) -> tuple[tuple[float, float, int], float]:
    """The cold report, and the slowest of the quick requests made while it is analysed."""
    done: list[tuple[float, float, int]] = []
    worker = threading.Thread(target=lambda: done.append(fetch(report)))
    worker.start()
    time.sleep(2)
    quick = [f"{base}/healthz", f"{base}/api/sessions/{SESSION}/changes?limit=100", f"{base}/"]
    slowest = max(fetch(url)[1] for _ in range(5) for url in quick)
    worker.join()
    return done[0], slowest


def peak_mb(process: psutil.Process) -> float:
    """The process's peak resident memory (VmHWM), MB."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def followers(base: str, process: psutil.Process) -> tuple[float, float]:
    """Serve's RSS (MB) before and after FOLLOWERS pages (and one stalled) follow the session."""
    before = process.memory_info().rss / 2**20
    host, port = base.removeprefix("http://").split(":")
    sockets = []
    request = f"GET /sessions/{SESSION}/events HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    for _ in range(FOLLOWERS + 1):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(request)
        sockets.append(sock)
    for sock in sockets[:-1]:  # the last one never reads
        sock.settimeout(10)
        sock.recv(4096)
    time.sleep(2)
    after = process.memory_info().rss / 2**20
    for sock in sockets:
        sock.close()
    return before, after


def main() -> None:
    """Build the session, serve it, print the figures beside the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the store here")
    args = parser.parse_args()
    os.environ.pop("STSWATCH_DB", None)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / f"serve-{args.pods}.db"
        if not db.exists():
            start = time.perf_counter()
            changes, length = build(db, pods=args.pods)
            print(f"built {args.pods} pods: {changes} changes over {length / 3.6e12:.2f} h "
                  f"in {time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
        else:
            length = recorded_ns(db)
        middle = START_NS + length // 2
        slices = {
            "whole": {},
            "one hour": {"since": stamp(middle - 1_800 * 10**9), "until": "1h"},
        }
        rows = []
        with serving(db) as (base, process):
            for label, query in slices.items():
                tail = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
                report = f"{base}/sessions/{SESSION}/report{tail}"
                if label == "whole":
                    cold, meanwhile = beside_a_cold_analysis(base, report)
                else:
                    cold = fetch(report)
                warm = fetch(report)
                verdicts = fetch(f"{base}/api/sessions/{SESSION}/verdicts{tail}")
                page = interactive(f"{base}/sessions/{SESSION}{tail}")
                alone = baseline(db, folder / "baseline.html", query)
                rows.append((label, cold, warm, verdicts, page, alone))
                print(f"{label}: done", flush=True)
            peak = peak_mb(process)
            before, after = followers(base, process)
    print(
        f"{'slice':<9} {'report cold ttfb/total s':>25} {'warm ttfb s':>12} {'MB':>6} "
        f"{'verdicts s':>11} {'chromium interactive s':>23} {'baseline: stswatch report s':>28}"
    )
    for label, cold, warm, verdicts, page, alone in rows:
        print(
            f"{label:<9} {cold[0]:>12.2f} / {cold[1]:>10.2f} {warm[0]:>12.3f} "
            f"{cold[2] / 1e6:>6.1f} {verdicts[1]:>11.2f} {page:>23.2f} {alone:>28.2f}"
        )
    print(
        f"while the whole session was analysed cold: /healthz, a page of changes and the store's "
        f"page answered in {meanwhile * 1000:.0f} ms at the slowest"
    )
    print(f"serve peak RSS {peak:.0f} MB (one analysis kept at a time)")
    print(
        f"{FOLLOWERS} pages following (and one that stops reading): serve RSS {before:.0f} MB → "
        f"{after:.0f} MB ({(after - before) * 1024 / FOLLOWERS:.1f} KiB a page)"
    )


if __name__ == "__main__":
    main()
