"""`stswatch serve` following a recording of the real control plane as it is made.

The recorder records the lesson's StatefulSet scaled 0→3 in this process; `serve`'s events
stream, opened before the scale, must tell of every recorded pod change within 2 s of the
recorder receiving it from the API server (p95), and the verdicts it serves once the episode
settled must be `verify`'s.
"""

import asyncio
import statistics
import time
from pathlib import Path

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from kubernetes_asyncio.client import ApiClient
from record_support import create_lesson, recording, scale

from stswatch.lab.lab import LabHandle
from stswatch.record.scope import RecordScope
from stswatch.reports.recording import load_recording
from stswatch.reports.serve.app import create_app

pytestmark = pytest.mark.integration


async def test_serve_tells_each_recorded_change_within_two_seconds(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    await create_lesson(kube_api, namespace=namespace, storage_class=lab.storage_class)
    db_path = tmp_path / "live.db"
    scope = RecordScope(namespace=namespace, statefulset="redis")
    told: list[tuple[int, int]] = []  # (wall ns when told, newest change id)

    async with recording(lab, db_path=db_path, session="live", scope=scope) as running:
        await running.recorder.flush()
        async with TestClient(TestServer(create_app(db_path))) as client:
            stream = await client.get("/sessions/live/events")
            assert stream.status == 200

            async def listen() -> None:
                async for line in stream.content:
                    if line.startswith(b"data: "):
                        news = orjson.loads(line[6:])
                        told.append((time.time_ns(), news["newest_change_id"]))

            listener = asyncio.create_task(listen())
            await scale(kube_api, namespace=namespace, replicas=3)
            await running.recorder.flush()
            await asyncio.sleep(7)  # past the settle window, so the last news is told too
            summary = await (await client.get("/api/sessions/live/summary")).json()
            served = await (await client.get("/api/sessions/live/verdicts")).json()
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            stream.close()
        await running.stop()

    recorded = load_recording(db_path, "live")
    pods = [c for c in recorded.changes if c.kind == "Pod"]
    assert len({c.name for c in pods}) == 3
    lags = []
    for change in pods:
        when = next((t for t, newest in told if newest >= change.id), None)
        assert when is not None, f"change #{change.id} was never told"
        lags.append((when - change.received_wall_ns) / 1e9)
    p95 = statistics.quantiles(lags, n=20)[-1]
    print(  # the figure the issue asks for
        f"\n{len(lags)} pod changes: recorder received → serve told: median "
        f"{statistics.median(lags):.2f} s, p95 {p95:.2f} s, max {max(lags):.2f} s"
    )
    assert p95 <= 2.0
    assert summary["recording"] is True
    assert summary["totals"]["pass"] >= 2
    assert summary["totals"]["live"] == 0  # the scale-up completed and settled
    assert [e["kind"] for e in served["episodes"]] == ["scale-up"]
