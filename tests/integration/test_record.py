"""Recording the lesson against the real control plane: 0→3→5→3 and redis-0 deleted.

The test runs its own watch of the namespace's pods next to the recorder: the recording must hold
every event that watch saw (same uid, resourceVersion and type, in the same order per pod), each
pod incarnation from creation to deletion, and nothing outside the StatefulSet's world.
"""

import asyncio
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient
from record_support import (
    create_lesson,
    delete_pod_and_wait,
    incarnations,
    pod_changes,
    recording,
    reference_watch,
    scale,
    service_account_kubeconfig,
    statefulset,
)

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.lab.lab import LabHandle
from stswatch.record.redact import ENV_MARKER
from stswatch.record.scope import RecordScope
from stswatch.reports.recording import load_recording

pytestmark = pytest.mark.integration


async def test_lesson_scaling_is_recorded_as_a_watch_sees_it(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    await create_lesson(kube_api, namespace=namespace, storage_class=lab.storage_class)
    # A neighbour in the same namespace that a --statefulset recording must leave out.
    await client.AppsV1Api(kube_api).create_namespaced_stateful_set(
        namespace, statefulset(name="other", replicas=1, storage_class=lab.storage_class)
    )
    db_path = tmp_path / "lesson.db"
    scope = RecordScope(namespace=namespace, statefulset="redis")

    async with (
        recording(lab, db_path=db_path, session="lesson", scope=scope) as running,
        reference_watch(kube_api, namespace=namespace) as seen,
    ):
        for replicas in (3, 5, 3):
            await running.recorder.mark(f"scale to {replicas}", {"replicas": replicas})
            await scale(kube_api, namespace=namespace, replicas=replicas)
        await running.recorder.mark("delete redis-0", {})
        await delete_pod_and_wait(kube_api, namespace=namespace, name="redis-0")
        summary = await running.stop()

    assert summary.end_reason == "signal"
    rec = load_recording(db_path, "lesson")
    assert rec.gaps == ()
    assert [m.label for m in rec.marks] == [
        "scale to 3",
        "scale to 5",
        "scale to 3",
        "delete redis-0",
    ]
    pods = pod_changes(rec)

    # Every event the test's own watch saw, in the same order for each pod.
    reference = [
        (s.uid, s.resource_version, s.type) for s in seen.events if s.name.startswith("redis-")
    ]
    recorded = [(c.uid, c.resource_version, c.event) for c in pods if c.observed == "watch"]
    assert set(reference) <= set(recorded)
    for uid in {r[0] for r in reference}:
        assert [r for r in recorded if r[0] == uid][
            : len([r for r in reference if r[0] == uid])
        ] == [r for r in reference if r[0] == uid]

    # Six incarnations: redis-0 twice, redis-1..4 once; each begins with its creation, and the
    # three that went away (first redis-0, redis-4, redis-3) end with their deletion.
    lives = incarnations(pods)
    names = {c.uid: c.name for c in pods}
    assert sorted(names[uid] for uid in lives) == sorted(
        ["redis-0", "redis-0", "redis-1", "redis-2", "redis-3", "redis-4"]
    )
    assert all(events[0] == "ADDED" for events in lives.values())
    deleted = sorted(names[uid] for uid, events in lives.items() if events[-1] == "DELETED")
    assert deleted == ["redis-0", "redis-3", "redis-4"]
    assert all(events.count("DELETED") <= 1 for events in lives.values())

    # The world of the set, and nothing of its neighbour.
    kinds = {c.kind for c in rec.changes}
    assert {"StatefulSet", "Pod", "PersistentVolumeClaim", "PersistentVolume", "Service"} <= kinds
    assert {"EndpointSlice", "ControllerRevision", "Event"} <= kinds
    assert not [c for c in rec.changes if "other" in c.name]
    claims = {c.name for c in rec.changes if c.kind == "PersistentVolumeClaim"}
    assert claims == {f"data-redis-{i}" for i in range(5)}
    volumes = {
        c.object["spec"]["claimRef"]["name"] for c in rec.changes if c.kind == "PersistentVolume"
    }
    assert volumes <= claims

    # Stored objects are redacted.
    assert all(
        var.get("value") == ENV_MARKER
        for c in pods
        for container in c.object["spec"]["containers"]
        for var in container.get("env", [])
    )
    assert not [c for c in rec.changes if b"hunter2" in orjson.dumps(c.object)]
    assert not [c for c in rec.changes if "managedFields" in c.object.get("metadata", {})]


def _record_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["record", "--session", "s", "--duration", "1s", *args])
    return result.exit_code, result.output


async def test_missing_namespace_and_statefulset_are_not_found(
    lab: LabHandle, namespace: str, tmp_path: Path
) -> None:
    config = ["--kubeconfig", str(lab.kubeconfig), "--db", str(tmp_path / "s.db")]
    code, out = await asyncio.to_thread(_record_cli, *config, "-n", "no-such-namespace")
    assert code == ExitCode.NOT_FOUND, out
    assert "namespace 'no-such-namespace' does not exist" in out
    code, out = await asyncio.to_thread(
        _record_cli, *config, "-n", namespace, "--statefulset", "nope"
    )
    assert code == ExitCode.NOT_FOUND, out
    assert f"StatefulSet 'nope' in namespace '{namespace}' does not exist" in out
    assert not (tmp_path / "s.db").exists()  # nothing was created for a scope that is not there


async def test_a_forbidden_verb_is_named(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    path = await service_account_kubeconfig(
        kube_api, lab, namespace=namespace, name="nobody", path=tmp_path / "nobody.kubeconfig"
    )
    code, out = await asyncio.to_thread(
        _record_cli, "--kubeconfig", str(path), "--db", str(tmp_path / "s.db"), "-n", namespace
    )
    assert code == ExitCode.FORBIDDEN, out
    # Checked before anything is written, every missing verb at once.
    assert f"missing get on namespaces {namespace!r} cluster-wide; list, watch on " in out
    assert f"list, watch on events in namespace {namespace!r}" in out
    assert not (tmp_path / "s.db").exists()
