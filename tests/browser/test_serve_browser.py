"""`stswatch serve` in a real (headless) Chromium while a session is being recorded.

A recorder's commits are written into the store as the page is open: the new pod's lane must
appear in the framed report without a reload, its episode's verdicts read live until the episode
completes and its settle window passed, then appear. The latency from a commit to the DOM is
printed (the issue's target: 2 s at p95).
"""

import asyncio
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Frame, Page, expect

from stswatch.reports.serve.app import create_app
from tests.browser.chromium import Watched
from tests.browser.sessions import store_session
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.recording_now import commit_rows, hold_session, started_at

PODS = 3


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[ClusterBuilder, Path]:
    """web at 3 Ready pods, the store claimed by a recorder that is heard of now."""
    start_ns = time.time_ns() - 20 * 10**9
    builder = ClusterBuilder(namespace="lab", now_ns=start_ns)
    builder.service("web-headless")
    builder.statefulset("web", replicas=PODS)
    for ordinal in range(PODS):
        builder.bring_up("web", ordinal)
    _observe(builder)
    path = tmp_path / "live.db"
    store_session(builder, path)
    started_at(path, start_ns)
    hold_session(path)
    return builder, path


def shown_report(page: Page) -> Frame:
    """The report frame on show (not one being drawn behind it)."""
    frame = page.locator("iframe.report:not(.next)").element_handle().content_frame()
    assert frame is not None
    return frame


def _observe(builder: ClusterBuilder) -> None:
    """The controller's status, counted from the live pods, the spec observed."""
    builder.sync_status("web")


@pytest.fixture
def served(recorded: tuple[ClusterBuilder, Path]) -> Iterator[str]:
    """`serve` over the store, on a free loopback port, in a thread of its own."""
    ready: list[str] = []
    stops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def run() -> None:
        runner = web.AppRunner(create_app(recorded[1]), shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        stop = asyncio.Event()
        stops.append((asyncio.get_running_loop(), stop))
        ready.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    for _ in range(100):
        if ready:
            break
        time.sleep(0.05)
    assert ready, "serve did not start"
    yield ready[0]
    loop, stop = stops[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=10)


def test_a_recorded_scale_up_grows_on_the_open_page(
    served: str, recorded: tuple[ClusterBuilder, Path], watched: Watched, artifacts: Path
) -> None:
    builder, path = recorded
    page = watched.page
    page.goto(f"{served}/sessions/s1", wait_until="load")
    report = page.frame_locator("iframe.report:not(.next)")
    expect(report.locator("svg.timeline g.lane-pod")).to_have_count(PODS)
    expect(page.locator("#state")).to_have_text("live")
    page.evaluate("window.stillTheSamePage = true")
    place = shown_report(page).evaluate("window.scrollTo(0, 300), window.scrollY")
    assert place > 0

    written = len(builder.rows)
    latencies = []
    for ordinal in range(PODS, PODS + 4):
        builder.now_ns = time.time_ns()  # the recorder receives it now
        builder.set_spec("web", replicas=ordinal + 1)
        builder.bring_up("web", ordinal)
        _observe(builder)
        committed = time.monotonic()
        written = commit_rows(builder, path, start=written)
        hold_session(path)
        expect(report.locator("svg.timeline g.lane-pod")).to_have_count(ordinal + 1, timeout=10_000)
        latencies.append(time.monotonic() - committed)
    print(  # the figure the issue asks for
        f"\ncommit → new lane in the DOM: {', '.join(f'{s:.2f}' for s in latencies)} s "
        f"(median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s)"
    )
    assert page.evaluate("window.stillTheSamePage") is True  # never reloaded
    assert shown_report(page).evaluate("window.scrollY") >= place  # the reader's place kept

    # The last scale-up completed a moment ago: live until its settle window passed, then decided.
    expect(page.locator("#totals .t-live")).to_be_visible()
    expect(
        report.locator("section.verdicts").get_by_text("live: decided when").first
    ).to_be_visible()
    expect(page.locator("#totals .t-live")).to_have_count(0, timeout=15_000)
    expect(page.locator("#totals .t-pass")).to_be_visible()
    expect(report.locator("section.verdicts .badge.o-pass").first).to_be_visible()

    # One more, held: its new pod runs but is not Ready; the hold is told as it lasts.
    builder.now_ns = time.time_ns()
    builder.set_spec("web", replicas=PODS + 5)
    builder.create_pod("web", PODS + 4)
    builder.schedule(f"web-{PODS + 4}")
    builder.run(f"web-{PODS + 4}")
    written = commit_rows(builder, path, start=written)
    time.sleep(4)  # a hold is told once it lasted 3 s (proofs.context.NOTABLE_S)
    builder.now_ns = time.time_ns()  # the controller's status again, the new pod still not Ready
    _observe(builder)
    commit_rows(builder, path, start=written)
    hold_session(path)
    expect(page.locator("#holds li").first).to_contain_text(
        f"web: halted at web-{PODS + 4} (not Ready) for ", timeout=10_000
    )
    expect(page.locator("#holds li").first).to_contain_text(" so far")
    expect(page.locator("#totals .t-live")).to_be_visible()
    page.screenshot(path=str(artifacts / "serve-live.png"), full_page=False)
    assert watched.errors == []
    assert watched.dialogs == []
    assert all(url.startswith(served) for url in watched.requests)


def test_the_store_page_fills_in_each_session(served: str, watched: Watched) -> None:
    page = watched.page
    page.goto(f"{served}/", wait_until="load")
    row = page.locator("#session-0")
    # ordinal creation, gating, claim owner references, status
    expect(row.locator(".totals")).to_have_text("4 pass")
    expect(row.locator(".sets")).to_have_text("web")
    expect(row.locator(".episodes")).to_have_text("1")
    expect(row.locator(".state")).to_have_text("recording")
    row.locator("a").click()
    expect(page.frame_locator("iframe.report").locator("svg.timeline g.lane-pod")).to_have_count(
        PODS
    )
    assert watched.errors == []
