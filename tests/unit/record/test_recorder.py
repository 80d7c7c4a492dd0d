"""The recorder's public API against a scripted API server: sync, mark, flush, stop, resume."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from stswatch.errors import NotFoundError
from stswatch.kube.cluster import Cluster
from stswatch.record.recorder import Recorder, ScopeMismatchError
from stswatch.record.scope import RecordScope
from stswatch.reports.recording import load_recording

POD = {
    "metadata": {"name": "redis-0", "namespace": "lab", "uid": "u0", "resourceVersion": "4"},
    "spec": {"containers": [{"name": "c", "env": [{"name": "P", "value": "hunter2"}]}]},
}


class FakeApiServer:
    """Every collection lists empty at version 5 except pods; every watch stays silent."""

    def __init__(self) -> None:
        self.pods: list[dict[str, Any]] = [POD]
        self.pods_list_delay = 0.0  # seconds a pod list takes to answer
        self.app = web.Application()
        self.app.router.add_get("/api/v1/namespaces/{namespace}", self._namespace)
        self.app.router.add_get("/{tail:.*}", self._collection)

    async def _namespace(self, request: web.Request) -> web.Response:
        if request.match_info["namespace"] != "lab":
            return web.json_response({"kind": "Status", "code": 404}, status=404)
        return web.json_response({"metadata": {"name": "lab"}})

    async def _collection(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") == "true":
            response = web.StreamResponse()
            await response.prepare(request)
            await asyncio.sleep(30)
            return response
        paged = request.query.get("limit") not in (None, "1")  # a reflector's list, no probe
        if request.path.endswith("/pods") and self.pods_list_delay and paged:
            await asyncio.sleep(self.pods_list_delay)
        items = self.pods if request.path.endswith("/pods") else []
        body = {"apiVersion": "v1", "metadata": {"resourceVersion": "5"}, "items": items}
        return web.Response(body=orjson.dumps(body), content_type="application/json")


@pytest.fixture
async def cluster(serve: Any) -> AsyncIterator[tuple[FakeApiServer, Cluster]]:
    fake = FakeApiServer()
    async with serve(fake.app) as api:
        url = api.configuration.host
        yield fake, Cluster(api, url, "v1.34.4", "lab", "test")


def recorder(cluster: Cluster, db: Path, **scope: Any) -> Recorder:
    return Recorder(
        cluster=cluster,
        db_path=db,
        session="s",
        scope=RecordScope(**({"namespace": "lab"} | scope)),
    )


async def test_sync_mark_flush_stop(cluster: tuple[FakeApiServer, Cluster], tmp_path: Path) -> None:
    _, api = cluster
    rec = recorder(api, tmp_path / "s.db")
    task = asyncio.create_task(rec.run())
    await rec.wait_synced(10)
    await rec.mark("step 1", {"replicas": 3})
    await rec.flush()
    rec.stop()
    summary = await asyncio.wait_for(task, 10)
    assert (summary.changes, summary.marks, summary.end_reason) == (1, 1, "signal")
    recording = load_recording(tmp_path / "s.db", "s")
    assert [(c.name, c.observed) for c in recording.changes] == [("redis-0", "list")]
    assert recording.changes[0].object["kind"] == "Pod"  # list items get their kind back
    assert "hunter2" not in orjson.dumps(recording.changes[0].object).decode()
    assert recording.marks[0].detail == {"replicas": 3}
    assert recording.runs[0].server_version == "v1.34.4"


async def test_resume_records_the_downtime_and_the_relist_difference(
    cluster: tuple[FakeApiServer, Cluster], tmp_path: Path
) -> None:
    fake, api = cluster
    first = await recorder(api, tmp_path / "s.db").run(duration=0.5)
    assert first.end_reason == "duration"
    fake.pods = []  # redis-0 went away while nobody recorded
    second = await recorder(api, tmp_path / "s.db").run(duration=0.5)
    assert second.resumed
    assert second.previous_run_closed is True
    recording = load_recording(tmp_path / "s.db", "s")
    assert [(c.event, c.observed, c.run_id) for c in recording.changes] == [
        ("ADDED", "list", 1),
        ("DELETED", "relist", 2),
    ]
    assert len(recording.gaps) == 8
    assert {g.reason for g in recording.gaps} == {"recorder down"}
    pod_gap = next(g for g in recording.gaps if g.kind == "Pod")
    assert (pod_gap.from_resource_version, pod_gap.to_resource_version) == ("4", "5")
    assert pod_gap.from_wall_ns == recording.runs[0].ended_wall_ns


async def test_a_resumed_run_stopped_before_a_relist_records_that_kinds_gap(
    cluster: tuple[FakeApiServer, Cluster], tmp_path: Path
) -> None:
    """The run stops while its pods are still being listed again: the downtime is not closed
    for pods, so it is recorded open to the run's end, not left out (a silent hole)."""
    fake, api = cluster
    await recorder(api, tmp_path / "s.db").run(duration=0.5)
    fake.pods_list_delay = 30.0
    await recorder(api, tmp_path / "s.db").run(duration=0.5)
    recording = load_recording(tmp_path / "s.db", "s")
    assert len(recording.gaps) == 8  # every kind's, the pods' too
    pod_gap = next(g for g in recording.gaps if g.kind == "Pod")
    assert pod_gap.reason == "recorder down"
    assert (pod_gap.from_resource_version, pod_gap.to_resource_version) == ("4", None)
    assert pod_gap.from_wall_ns == recording.runs[0].ended_wall_ns
    assert recording.runs[1].started_wall_ns < pod_gap.to_wall_ns <= recording.runs[1].ended_wall_ns
    closed = [g for g in recording.gaps if g.kind != "Pod"]
    assert all(g.to_resource_version == "5" for g in closed)


async def test_scope_problems_are_refused(
    cluster: tuple[FakeApiServer, Cluster], tmp_path: Path
) -> None:
    _, api = cluster
    with pytest.raises(NotFoundError, match="namespace 'nope'"):
        await recorder(api, tmp_path / "s.db", namespace="nope").run(duration=0.1)
    await recorder(api, tmp_path / "s.db").run(duration=0.1)
    with pytest.raises(ScopeMismatchError, match="same scope"):
        await recorder(api, tmp_path / "s.db", namespace=None, all_namespaces=True).run(
            duration=0.1
        )
