"""What the recorder's integration tests share: the lesson's objects, bounded waits, a reference
watch the test runs itself, and the recorder run in-process."""

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client import ApiClient

from stswatch.kube.cluster import connect
from stswatch.lab.lab import LabHandle
from stswatch.record.recorder import Recorder, RecordSummary
from stswatch.record.reflector import WatchTimeouts
from stswatch.record.scope import RecordScope
from stswatch.reports.recording import Change, Recording

WAIT_S = 90.0
SERVICE = "redis-headless"
# Short server-side watch timeouts so reconnects happen during a test, quick backoff.
TEST_TIMEOUTS = WatchTimeouts(server_seconds=20, read_seconds=30, max_backoff_seconds=1.0)


def headless_service(app: str = "redis") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"{app}-headless", "labels": {"app": app}},
        "spec": {
            "clusterIP": "None",
            "selector": {"app": app},
            "ports": [{"name": "redis", "port": 6379}],
        },
    }


def statefulset(*, name: str = "redis", replicas: int, storage_class: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": f"{name}-headless",
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "redis",
                            "image": "redis:6.2-alpine",
                            "env": [{"name": "REDIS_PASSWORD", "value": "hunter2"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ]
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": storage_class,
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
        },
    }


async def create_lesson(api: ApiClient, *, namespace: str, storage_class: str) -> None:
    """The lesson's headless Service and StatefulSet `redis`, at 0 replicas."""
    await client.CoreV1Api(api).create_namespaced_service(namespace, headless_service())
    await client.AppsV1Api(api).create_namespaced_stateful_set(
        namespace, statefulset(replicas=0, storage_class=storage_class)
    )


async def until(check: Callable[[], Awaitable[bool]], *, what: str, wait_s: float = WAIT_S) -> None:
    """Poll `check` every 0.25 s, at most `wait_s`."""
    deadline = time.monotonic() + wait_s
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.25)


def _ready(pod: client.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())


async def scale(api: ApiClient, *, namespace: str, name: str = "redis", replicas: int) -> None:
    """Scale the set and wait until exactly ordinals 0..replicas-1 exist, Running and Ready."""
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    await apps.patch_namespaced_stateful_set_scale(
        name, namespace, {"spec": {"replicas": replicas}}
    )
    wanted = {f"{name}-{i}" for i in range(replicas)}

    async def settled() -> bool:
        pods = (await core.list_namespaced_pod(namespace, label_selector=f"app={name}")).items
        ready = {p.metadata.name for p in pods if _ready(p) and not p.metadata.deletion_timestamp}
        return ready == wanted and len(pods) == replicas

    await until(settled, what=f"{name} at {replicas} Ready replicas")


async def delete_pod_and_wait(api: ApiClient, *, namespace: str, name: str) -> None:
    """Delete a pod and wait for its successor (a new uid) to be Ready."""
    core = client.CoreV1Api(api)
    old = (await core.read_namespaced_pod(name, namespace)).metadata.uid
    await core.delete_namespaced_pod(name, namespace)

    async def replaced() -> bool:
        pods = (await core.list_namespaced_pod(namespace)).items
        return any(p.metadata.name == name and p.metadata.uid != old and _ready(p) for p in pods)

    await until(replaced, what=f"{name} replaced and Ready")


@dataclass(frozen=True)
class Seen:
    """One pod watch event as the test's own watch saw it."""

    type: str
    name: str
    uid: str
    resource_version: str


@dataclass
class ReferenceWatch:
    """The test's own watch of a namespace's pods: what the recording must match."""

    events: list[Seen] = field(default_factory=list)

    async def run(self, api: ApiClient, *, namespace: str, resource_version: str) -> None:
        core = client.CoreV1Api(api)
        async with watch.Watch() as stream:
            async for event in stream.stream(
                core.list_namespaced_pod,
                namespace=namespace,
                resource_version=resource_version,
                timeout_seconds=int(WAIT_S * 4),
            ):
                raw = event["raw_object"]["metadata"]
                self.events.append(
                    Seen(event["type"], raw["name"], raw["uid"], raw["resourceVersion"])
                )


@asynccontextmanager
async def reference_watch(api: ApiClient, *, namespace: str) -> AsyncIterator[ReferenceWatch]:
    """Watch the namespace's pods from now until the block ends."""
    listed = await client.CoreV1Api(api).list_namespaced_pod(namespace)
    seen = ReferenceWatch()
    task = asyncio.create_task(
        seen.run(api, namespace=namespace, resource_version=listed.metadata.resource_version)
    )
    try:
        yield seen
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@dataclass
class RunningRecorder:
    """A recorder running in this process; `stop()` returns its summary."""

    recorder: Recorder
    task: "asyncio.Task[RecordSummary]"

    async def stop(self) -> RecordSummary:
        await self.recorder.flush()
        self.recorder.stop()
        return await asyncio.wait_for(self.task, 30)


@asynccontextmanager
async def recording(
    lab: LabHandle, *, db_path: Path, session: str, scope: RecordScope
) -> AsyncIterator[RunningRecorder]:
    """Record `scope` in-process; the block runs once every kind is listed and watched."""
    cluster = await connect(kubeconfig=lab.kubeconfig, context=None)
    recorder = Recorder(
        cluster=cluster, db_path=db_path, session=session, scope=scope, timeouts=TEST_TIMEOUTS
    )
    task = asyncio.create_task(recorder.run())
    try:
        await recorder.wait_synced(30)
        yield RunningRecorder(recorder, task)
    finally:
        if not task.done():
            recorder.stop()
        await asyncio.gather(task, return_exceptions=True)
        await cluster.close()


async def service_account_kubeconfig(
    kube_api: ApiClient, lab: LabHandle, *, namespace: str, name: str, path: Path
) -> Path:
    """Write to `path` the lab's kubeconfig for a new ServiceAccount `name` (no permissions)."""
    core = client.CoreV1Api(kube_api)
    await core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    token = await core.create_namespaced_service_account_token(
        name, namespace, {"spec": {"expirationSeconds": 600}}
    )
    config = yaml.safe_load(lab.kubeconfig.read_text())
    config["users"] = [{"name": name, "user": {"token": token.status.token}}]
    for context in config["contexts"]:
        context["context"]["user"] = name
    await asyncio.to_thread(path.write_text, yaml.safe_dump(config))
    return path


def pod_changes(recording: Recording, *, prefix: str = "redis-") -> list[Change]:
    return [c for c in recording.changes if c.kind == "Pod" and c.name.startswith(prefix)]


def incarnations(changes: list[Change]) -> dict[str, list[str]]:
    """Events per pod uid, in order."""
    found: dict[str, list[str]] = {}
    for change in changes:
        found.setdefault(change.uid, []).append(change.event)
    return found


def store_rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query on a store, opened read-only (a recorder may still hold it)."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def duplicated_pairs(db: Path) -> list[tuple[Any, ...]]:
    """(session, uid, resourceVersion, count) of every change recorded more than once in a
    session of the store: none, when recorders hand over and resume without repeating."""
    return store_rows(
        db,
        "SELECT session_id, uid, resource_version, count(*) FROM change "
        "GROUP BY session_id, uid, resource_version HAVING count(*) > 1",
    )
