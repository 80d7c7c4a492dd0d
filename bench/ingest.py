"""Ingest benchmark: the recorder's decode → redact → write path vs a raw batched insert.

Both sides get the same pre-serialised watch events of realistic ~4 KB pods (managedFields,
env, volumes, conditions) and write into a fresh store with the real schema and indexes.

- baseline: `executemany` of the documents the recorder stores (redacted, made by `handle_line`
  before the clock starts), in transactions of BATCH rows, through aiosqlite (the floor: no
  decoding, no redaction), with the same kind, name, uid and version columns, so both sides
  write the same rows and update the indexes alike. (Until issue 18's last round it inserted
  the documents as received, managedFields and all: 21 % more bytes, a floor 20 to 30 % slower.)
- recorder: each line through `Reflector.handle_line` (orjson decode, scope check, redaction,
  re-encode, a ChangeRecord) into the real `Writer` task, until `flush()` returns.
- write path alone: the same recorder with its ChangeRecords made before the clock starts (by
  `handle_line`, so they are what the recorder writes), each handed to `Writer.submit`: the rate
  and CPU of everything but the hot path, so the two parts of the recorder's cost are told apart.

The three alternate for `--rounds` rounds (a shared machine's load then falls on both alike);
prints each side's best rate, their ratio, and each round's ratio (targets: ratio ≥ 0.8,
recorder ≥ 20,000 changes/s). Beside the rates, CPU time per change (least over the rounds):
the process's, and for the recorder its event loop thread's, which decodes while the writer's
thread commits. On a machine whose cores are busy with other work the ratio tends to the ratio
of process CPU; with a core free for the writer's thread, the event loop's CPU bounds the rate.

Then the hot path alone: `handle_line` into a sink that does nothing, thread CPU per change
(least over HOT_REPEATS passes over HOT_LINES lines), beside the floor of any handling that
decodes the whole object: `orjson.loads` of the line and `orjson.dumps` of its redacted object,
measured alike. Last, from the same run, the CPU the hot path would have to fit in for the CPU
ratio to reach 0.8: the baseline's CPU / 0.8, less the write path's.
Usage: python -m bench.ingest [--changes N] [--rounds 3]   (from the repository root)
"""

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from kubernetes_asyncio.client import ApiClient, Configuration

from stswatch.kube.kinds import POD
from stswatch.record.records import ChangeRecord, Record
from stswatch.record.redact import redact
from stswatch.record.reflector import Reflector, Sink
from stswatch.record.scope import NamespaceWorld
from stswatch.record.writable_store import Store, open_store
from stswatch.record.writer import Writer
from stswatch.store_contract import CHANGE_COLUMNS

BATCH = 2000
HOT_LINES = 5000
HOT_REPEATS = 7
_INSERT = (
    f"INSERT INTO change ({', '.join(CHANGE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(CHANGE_COLUMNS))})"
)


def pod_event(i: int) -> bytes:
    """One MODIFIED watch event of a realistic StatefulSet pod, about 4 KB."""
    name = f"redis-{i % 1000}"
    labels = {"app": "redis", "controller-revision-hash": "redis-5d4f8c7b9", "tier": "cache"}
    managed = [
        {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-11-24T21:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}}},
        }
        for manager in ("kube-controller-manager", "kwok", "kube-scheduler")
    ]
    container: dict[str, Any] = {
        "name": "redis",
        "image": "redis:6.2-alpine",
        "ports": [{"name": "redis", "containerPort": 6379, "protocol": "TCP"}],
        "env": [
            {"name": "REDIS_PASSWORD", "value": "s3cr3t-value-that-must-not-be-stored"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
        "volumeMounts": [
            {"name": "data", "mountPath": "/data"},
            {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/sa"},
        ],
        "readinessProbe": {"exec": {"command": ["redis-cli", "ping"]}, "periodSeconds": 5},
        "terminationMessagePath": "/dev/termination-log",
        "imagePullPolicy": "IfNotPresent",
    }
    conditions = [
        {"type": t, "status": "True", "lastTransitionTime": "2026-11-24T21:00:01Z"}
        for t in (
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        )
    ]
    pod = {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "generateName": "redis-",
            "namespace": "lab",
            "uid": f"00000000-0000-4000-8000-{i:012d}",
            "resourceVersion": str(1000 + i),
            "creationTimestamp": "2026-11-24T21:00:00Z",
            "labels": {**labels, "apps.kubernetes.io/pod-index": str(i % 1000)},
            "annotations": {"kwok.x-k8s.io/node": "fake", "note": "x" * 300},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "StatefulSet",
                    "name": "redis",
                    "uid": "11111111-2222-4333-8444-555555555555",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": managed,
        },
        "spec": {
            "containers": [container],
            "initContainers": [{**container, "name": "init"}],
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": f"data-{name}"}},
                {
                    "name": "kube-api-access",
                    "projected": {"sources": [{"serviceAccountToken": {}}]},
                },
            ],
            "hostname": name,
            "subdomain": "redis-headless",
            "nodeName": f"kwok-node-{i % 3}",
            "schedulerName": "default-scheduler",
            "restartPolicy": "Always",
        },
        "status": {
            "phase": "Running",
            "conditions": conditions,
            "hostIP": "10.0.0.1",
            "podIP": f"10.244.{i % 250}.{i % 200}",
            "startTime": "2026-11-24T21:00:01Z",
            "containerStatuses": [
                {
                    "name": "redis",
                    "ready": True,
                    "restartCount": 0,
                    "image": "redis:6.2-alpine",
                    "imageID": "docker-pullable://redis@sha256:" + "ab" * 32,
                    "containerID": "containerd://" + "cd" * 32,
                    "started": True,
                    "state": {"running": {"startedAt": "2026-11-24T21:00:01Z"}},
                }
            ],
        },
    }
    return orjson.dumps({"type": "MODIFIED", "object": pod})


async def _new_run(path: Path) -> tuple[Store, int, int]:
    """A fresh store with one session and one run to write into."""
    store = await open_store(path)
    session = await store.begin_session(name="bench", scope={}, now_wall_ns=1)
    run_id = await store.start_run(
        session_id=session.id,
        now_wall_ns=1,
        server_url="bench",
        server_version="bench",
        stswatch_version="bench",
        keep_env=False,
    )
    return store, session.id, run_id


def row_keys(docs: list[bytes]) -> list[tuple[str, str, str]]:
    """(name, uid, resourceVersion) of each document: the columns the recorder writes."""
    keys = []
    for doc in docs:
        metadata = orjson.loads(doc)["metadata"]
        keys.append((metadata["name"], metadata["uid"], metadata["resourceVersion"]))
    return keys


@dataclass(frozen=True)
class Rate:
    """One side's run: changes per second; process and event-loop-thread CPU µs per change."""

    per_second: float
    cpu_us: float
    loop_cpu_us: float


@dataclass(frozen=True)
class Stopwatch:
    """Started when made: wall time, process CPU, and the CPU of the thread that made it."""

    wall: float = field(default_factory=time.perf_counter)
    cpu: float = field(default_factory=time.process_time)
    loop: float = field(default_factory=time.thread_time)

    def rate(self, changes: int) -> Rate:
        """The rate of `changes` since the start."""
        wall = time.perf_counter() - self.wall
        cpu, loop = time.process_time() - self.cpu, time.thread_time() - self.loop
        return Rate(changes / wall, cpu / changes * 1e6, loop / changes * 1e6)


async def baseline(path: Path, docs: list[bytes], keys: list[tuple[str, str, str]]) -> Rate:
    """Raw batched inserts of the documents the recorder stores, serialised beforehand."""
    store, session_id, run_id = await _new_run(path)
    conn = store._conn  # the floor: no records, no writer, just SQLite through aiosqlite
    stopwatch = Stopwatch()
    for start in range(0, len(docs), BATCH):
        now = time.time_ns()
        rows = [
            (
                session_id,
                run_id,
                "Pod",
                "lab",
                name,
                uid,
                "MODIFIED",
                version,
                "watch",
                now,
                now,
                now,
                doc.decode(),
            )
            for doc, (name, uid, version) in zip(
                docs[start : start + BATCH], keys[start : start + BATCH], strict=True
            )
        ]
        await conn.execute("BEGIN IMMEDIATE")
        await conn.executemany(_INSERT, rows)
        await conn.execute("COMMIT")
    rate = stopwatch.rate(len(docs))
    await store.close()
    return rate


def pod_reflector(api: ApiClient, sink: Sink) -> Reflector:
    """The reflector the recorder runs for pods in namespace `lab`, handing changes to `sink`."""

    async def recall(uids: Sequence[str]) -> dict[str, str]:
        return {}  # never asked: no relist here

    return Reflector(
        api=api,
        kind=POD,
        namespace="lab",
        sink=sink,
        recall=recall,
        membership=NamespaceWorld(namespace="lab"),
        keep_env=False,
    )


async def recorder_path(path: Path, lines: list[bytes]) -> Rate:
    """Every line through the reflector's handling into the writer."""
    store, session_id, run_id = await _new_run(path)
    writer = Writer(store, session_id=session_id, run_id=run_id, max_batch=BATCH)
    api = ApiClient(configuration=Configuration(host="http://127.0.0.1:9"))  # never contacted
    reflector = pod_reflector(api, writer.submit)
    task = asyncio.create_task(writer.run())
    stopwatch = Stopwatch()
    for line in lines:
        await reflector.handle_line(line)
    await writer.flush()
    rate = stopwatch.rate(len(lines))
    await writer.close()
    await task
    await api.close()
    await store.close()
    assert writer.tally.changes == len(lines)
    return rate


async def write_path(path: Path, changes: list[ChangeRecord]) -> Rate:
    """The recorder's ChangeRecords, made beforehand, handed to the writer as the reflector does."""
    store, session_id, run_id = await _new_run(path)
    writer = Writer(store, session_id=session_id, run_id=run_id, max_batch=BATCH)
    task = asyncio.create_task(writer.run())
    stopwatch = Stopwatch()
    for change in changes:
        await writer.submit(change)
    await writer.flush()
    rate = stopwatch.rate(len(changes))
    await writer.close()
    await task
    await store.close()
    assert writer.tally.changes == len(changes)
    return rate


async def recorded_changes(lines: list[bytes]) -> list[ChangeRecord]:
    """The ChangeRecords the recorder makes of `lines`."""
    made: list[ChangeRecord] = []

    async def keep(record: Record) -> None:
        assert isinstance(record, ChangeRecord)
        made.append(record)

    api = ApiClient(configuration=Configuration(host="http://127.0.0.1:9"))  # never contacted
    reflector = pod_reflector(api, keep)
    for line in lines:
        await reflector.handle_line(line)
    await api.close()
    return made


@dataclass(frozen=True)
class HotPath:
    """Thread CPU µs per change: `handle_line` alone, and the decode + encode floor."""

    handle_line_us: float
    loads_us: float
    dumps_us: float


async def hot_path(lines: list[bytes]) -> HotPath:
    """The least thread CPU per line over HOT_REPEATS passes, each part measured alike."""

    async def drop(record: Record) -> None:
        pass

    api = ApiClient(configuration=Configuration(host="http://127.0.0.1:9"))  # never contacted
    objects = [redact(orjson.loads(line)["object"], kind="Pod", keep_env=False) for line in lines]
    handle = loads = dumps = float("inf")
    for _ in range(HOT_REPEATS):
        reflector = pod_reflector(api, drop)  # a new one each pass: its known state starts empty
        start = time.thread_time()
        for line in lines:
            await reflector.handle_line(line)
        handle = min(handle, time.thread_time() - start)
        start = time.thread_time()
        for line in lines:
            orjson.loads(line)
        loads = min(loads, time.thread_time() - start)
        start = time.thread_time()
        for obj in objects:
            orjson.dumps(obj)
        dumps = min(dumps, time.thread_time() - start)
    await api.close()
    return HotPath(*(part / len(lines) * 1e6 for part in (handle, loads, dumps)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    lines = [pod_event(i) for i in range(args.changes)]
    changes = await recorded_changes(lines)
    docs = [change.object_json.encode() for change in changes]
    keys = row_keys(docs)
    size = sum(len(line) for line in lines) / len(lines) / 1024
    stored = sum(len(d) for d in docs) / len(docs) / 1024
    print(f"{args.changes} pod changes, {size:.1f} KiB each as received, {stored:.1f} KiB stored")
    raws: list[Rate] = []
    ours: list[Rate] = []
    writes: list[Rate] = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            raws.append(await baseline(Path(tmp) / f"raw-{round_}.db", docs, keys))
            ours.append(await recorder_path(Path(tmp) / f"recorder-{round_}.db", lines))
            writes.append(await write_path(Path(tmp) / f"write-{round_}.db", changes))
    hot = await hot_path(lines[:HOT_LINES])
    each = " ".join(f"{o.per_second / r.per_second:.2f}" for o, r in zip(ours, raws, strict=True))
    raw, our = max(r.per_second for r in raws), max(o.per_second for o in ours)
    write = max(w.per_second for w in writes)
    raw_cpu, our_cpu = min(r.cpu_us for r in raws), min(o.cpu_us for o in ours)
    write_cpu = min(w.cpu_us for w in writes)
    loop_cpu = min(o.loop_cpu_us for o in ours)
    best = f"(best of {args.rounds})"
    print(
        f"baseline raw batched insert : {raw:>9,.0f} changes/s {best}, CPU {raw_cpu:.1f} µs/change"
    )
    print(
        f"recorder decode→redact→write: {our:>9,.0f} changes/s {best}, CPU {our_cpu:.1f} µs/change"
        f" (event loop thread {loop_cpu:.1f})"
    )
    print(f"ratio recorder/baseline     : {our / raw:>9.2f}  (target ≥ 0.8, ≥ 20,000/s)")
    print(f"ratio in each round         : {each}")
    print(
        f"CPU ratio baseline/recorder : {raw_cpu / our_cpu:>9.2f}  (the rate ratio when every core "
        f"is busy); the event loop alone bounds the recorder at {1e6 / loop_cpu:,.0f}/s"
    )
    print(
        f"write path alone            : {write:>9,.0f} changes/s {best}, "
        f"CPU {write_cpu:.1f} µs/change (ratio {write / raw:.2f}, "
        f"CPU ratio {raw_cpu / write_cpu:.2f})"
    )
    floor = hot.loads_us + hot.dumps_us
    print(
        f"hot path, thread CPU/change : handle_line {hot.handle_line_us:.1f} µs; floor of a whole "
        f"decode {floor:.1f} µs (orjson.loads {hot.loads_us:.1f} + dumps {hot.dumps_us:.1f})"
    )
    budget = raw_cpu / 0.8 - write_cpu
    print(
        f"CPU ratio 0.8 needs         : the hot path within {budget:.1f} µs/change (recorder CPU "
        f"≤ {raw_cpu / 0.8:.1f}, of which the write path takes {write_cpu:.1f})"
    )


if __name__ == "__main__":
    asyncio.run(main())
