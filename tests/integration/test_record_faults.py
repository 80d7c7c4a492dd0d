"""Faults against the real control plane: the apiserver restarts (and its history is compacted
away, so re-watching meets 410 Gone), and the recorder itself is killed with SIGKILL and resumed.

In both, no transition may be lost: whatever a watch could not deliver is recovered by a relist
diff and the window it covers is a recorded gap.
"""

import asyncio
import base64
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient
from record_support import (
    WAIT_S,
    create_lesson,
    delete_pod_and_wait,
    incarnations,
    pod_changes,
    recording,
    scale,
    until,
)

from stswatch.kube.kinds import WATCHED_KINDS
from stswatch.lab.lab import LabHandle
from stswatch.record.scope import RecordScope
from stswatch.reports.recording import Recording, load_recording

pytestmark = pytest.mark.integration


def _bump_etcd(endpoint: str, *, times: int) -> None:
    """Advance etcd's revision behind the apiserver's back (it is down)."""
    key = base64.b64encode(b"/stswatch-test/bump").decode()
    for i in range(times):
        body = orjson.dumps({"key": key, "value": base64.b64encode(str(i).encode()).decode()})
        request = urllib.request.Request(
            f"{endpoint}/v3/kv/put", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            answer.read()


async def _final_pods(api: ApiClient, namespace: str) -> dict[str, str]:
    pods = await client.CoreV1Api(api).list_namespaced_pod(namespace)
    return {p.metadata.uid: p.metadata.resource_version for p in pods.items}


def _last_versions(rec: Recording) -> dict[str, tuple[str, str]]:
    """uid -> (last event, last resourceVersion) of every pod in the recording."""
    return {c.uid: (c.event, c.resource_version) for c in pod_changes(rec)}


def _assert_matches_cluster(rec: Recording, final: dict[str, str]) -> None:
    """Every pod alive now is recorded at its current version; every other one ended deleted."""
    last = _last_versions(rec)
    for uid, version in final.items():
        assert last[uid] == ("MODIFIED", version) or last[uid] == ("ADDED", version), uid
    for uid, (event, _) in last.items():
        if uid not in final:
            assert event == "DELETED", uid


async def test_apiserver_restart_with_compacted_history_relists_and_records_gaps(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    await create_lesson(kube_api, namespace=namespace, storage_class=lab.storage_class)
    db_path = tmp_path / "restart.db"
    async with recording(
        lab, db_path=db_path, session="restart", scope=RecordScope(namespace=namespace)
    ) as running:
        await scale(kube_api, namespace=namespace, replicas=2)
        await running.recorder.flush()
        down_at = time.time_ns()
        await asyncio.to_thread(lab.stop_apiserver)
        # While it is down etcd moves on and its history is compacted: the recorder's last
        # resourceVersion is then older than anything the restarted apiserver can replay.
        await asyncio.to_thread(_bump_etcd, lab.etcd_endpoint, times=3)
        await lab.compact_etcd()
        await lab.start_apiserver()
        up_at = time.time_ns()
        await scale(kube_api, namespace=namespace, replicas=3)
        await delete_pod_and_wait(kube_api, namespace=namespace, name="redis-0")
        final = await _final_pods(kube_api, namespace)
        await running.recorder.flush()
        summary = await running.stop()

    assert summary.end_reason == "signal"
    rec = load_recording(db_path, "restart")
    gone = [g for g in rec.gaps if g.reason == "410 Gone"]
    assert {g.kind for g in gone} >= {"Pod", "StatefulSet"}
    for gap in gone:
        assert gap.from_wall_ns <= up_at, gap
        assert gap.to_wall_ns >= down_at, gap
        assert int(gap.from_resource_version or 0) < int(gap.to_resource_version or 0), gap
    _assert_matches_cluster(rec, final)
    lives = incarnations(pod_changes(rec))
    assert all(events[0] == "ADDED" for events in lives.values())
    assert len(lives) == 4  # redis-0 twice, redis-1, redis-2


async def _record_subprocess(
    lab: LabHandle, *, db_path: Path, namespace: str, extra: list[str]
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "stswatch"),
        "record",
        "--session",
        "killed",
        "-n",
        namespace,
        "--kubeconfig",
        str(lab.kubeconfig),
        "--db",
        str(db_path),
        "--log-format",
        "json",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _wait_synced(process: asyncio.subprocess.Process) -> None:
    assert process.stderr is not None
    async with asyncio.timeout(WAIT_S):
        while True:
            line = await process.stderr.readline()
            assert line, "the recorder exited before it synced"
            if b"synced" in line:
                return


async def test_kill_9_then_resume_recovers_the_downtime_through_a_relist(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    await create_lesson(kube_api, namespace=namespace, storage_class=lab.storage_class)
    db_path = tmp_path / "killed.db"
    first = await _record_subprocess(lab, db_path=db_path, namespace=namespace, extra=[])
    try:
        await _wait_synced(first)
        await scale(kube_api, namespace=namespace, replicas=2)

        async def recorded_two_ready() -> bool:
            try:
                rec = load_recording(db_path, "killed")
            except Exception:
                return False
            ready = {
                c.name
                for c in pod_changes(rec)
                if any(
                    cond.get("type") == "Ready" and cond.get("status") == "True"
                    for cond in c.object.get("status", {}).get("conditions", [])
                )
            }
            return ready == {"redis-0", "redis-1"}

        await until(recorded_two_ready, what="the first run committed redis-0/1 Ready")
    finally:
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
    killed_at = time.time_ns()

    # While no recorder runs: scale up, and replace redis-0.
    await scale(kube_api, namespace=namespace, replicas=3)
    await delete_pod_and_wait(kube_api, namespace=namespace, name="redis-0")
    final = await _final_pods(kube_api, namespace)

    second = await _record_subprocess(
        lab, db_path=db_path, namespace=namespace, extra=["--duration", "3s"]
    )
    stdout, stderr = await asyncio.wait_for(second.communicate(), WAIT_S)
    assert second.returncode == 0, stderr.decode()[-2000:]
    assert b"did not close" in stdout, stdout

    rec = load_recording(db_path, "killed")
    assert [r.end_reason for r in rec.runs] == [None, "duration"]
    down = [g for g in rec.gaps if g.reason == "recorder down"]
    assert {g.kind for g in down} == {k.name for k in WATCHED_KINDS}
    for gap in down:
        assert gap.from_wall_ns <= killed_at <= gap.to_wall_ns, gap
    second_run = rec.runs[1].id
    relisted = [c for c in pod_changes(rec) if c.run_id == second_run and c.observed == "relist"]
    # Seen only by the relist: redis-2's creation, the first redis-0's deletion, its successor.
    assert {("redis-0", "ADDED"), ("redis-0", "DELETED"), ("redis-2", "ADDED")} <= {
        (c.name, c.event) for c in relisted
    }
    _assert_matches_cluster(rec, final)
