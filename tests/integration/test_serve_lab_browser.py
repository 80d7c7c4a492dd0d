"""Real Chromium against `stswatch serve` while the lab's control plane is recorded scaling up.

The page is opened before the scale-up; each new pod's lane must appear in the framed report
without a reload, and then the episode's verdicts. The time from the recorder receiving a pod's
creation from the API server to its lane being in the DOM is printed (target: 2 s at p95).
"""

import asyncio
import statistics
import time
from pathlib import Path

import pytest
from aiohttp import web
from kubernetes_asyncio.client import ApiClient
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright, expect
from record_support import create_lesson, recording, scale

from stswatch.lab.lab import LabHandle
from stswatch.record.scope import RecordScope
from stswatch.reports.recording import load_recording
from stswatch.reports.serve.app import create_app
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.integration
REPLICAS = 5


async def test_chromium_sees_a_recorded_scale_up_grow_then_its_verdicts(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    await create_lesson(kube_api, namespace=namespace, storage_class=lab.storage_class)
    db_path = tmp_path / "live.db"
    scope = RecordScope(namespace=namespace, statefulset="redis")
    shown: dict[str, int] = {}  # lane -> wall ns when first in the DOM
    errors: list[str] = []

    async with recording(lab, db_path=db_path, session="live", scope=scope) as running:
        await running.recorder.flush()
        runner = web.AppRunner(create_app(db_path), shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                page = await browser.new_page(viewport={"width": 1600, "height": 1000})
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(f"{base}/sessions/live", wait_until="load")
                await expect(page.locator("#state")).to_have_text("live")
                await page.evaluate("window.stillTheSamePage = true")
                report = page.frame_locator("iframe.report:not(.next)")
                scaling = asyncio.create_task(
                    scale(kube_api, namespace=namespace, replicas=REPLICAS)
                )
                deadline = time.monotonic() + 120
                while len(shown) < REPLICAS and time.monotonic() < deadline:
                    lanes = report.locator("svg.timeline g.lane-pod")
                    try:
                        found = await lanes.evaluate_all("gs => gs.map(g => g.dataset.lane)")
                    except PlaywrightError:  # the frame was swapped for a newer one meanwhile
                        found = []
                    for lane in found:
                        shown.setdefault(lane, time.time_ns())
                    await asyncio.sleep(0.05)
                await scaling
                await running.recorder.flush()
                # Completed, then decided once its settle window passed: no verdict reads live.
                await expect(page.locator("#totals .t-live")).to_have_count(0, timeout=20_000)
                await expect(page.locator("#totals .t-pass")).to_be_visible()
                await expect(report.locator("section.verdicts .badge.o-pass").first).to_be_visible()
                assert await page.evaluate("window.stillTheSamePage") is True
                await browser.close()
        finally:
            await runner.cleanup()
        await running.stop()

    created = {
        f"pod/{c.name}": c.received_wall_ns
        for c in reversed(load_recording(db_path, "live").changes)
        if c.kind == "Pod" and c.event == "ADDED"
    }
    assert sorted(shown) == [f"pod/redis-{i}" for i in range(REPLICAS)]
    lags = sorted((shown[lane] - created[lane]) / 1e9 for lane in shown)
    p95 = statistics.quantiles(lags, n=20)[-1]
    print(  # the figure the issue asks for
        f"\npod created (recorder received) → its lane in Chromium's DOM: "
        f"{', '.join(f'{s:.2f}' for s in lags)} s (median {statistics.median(lags):.2f}, "
        f"p95 {p95:.2f})"
    )
    assert p95 <= 3.0
    assert errors == []
