"""Benchmark: one hour of a synthetic 24-hour session (>= 1M changes) verified through a window.

Prints, never asserts. The session: several StatefulSets in one namespace, each cycling all day
through scale-up 0→N (claims bound once, kept), a client deleting one pod (recreated), and
scale-down N→0, with the controller's Events, status writes and EndpointSlice updates; rows are
written straight into a store of the real schema (executemany). Then, in the same run:

- `verify --since/--until` of one hour in the middle of the day, through the window reader
  (target: <= 5 s), for every StatefulSet and for one;
- the baseline: the whole-session path (`load_recording` + verify). A day does not fit a few
  minutes of a shared 2-core machine, so by default it runs on the day's first `--fraction`
  (a store holding only those changes) and says so; `--full` runs it on the whole day.
"""

import argparse
import heapq
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from stswatch.reports.analysis import analyse
from stswatch.reports.window import Moment, WindowRequest
from stswatch.store_contract import CHANGE_COLUMNS, SCHEMA_VERSION, list_migrations

START_NS = 1_764_000_000_000_000_000
DAY_NS = 24 * 3600 * 10**9
NAMESPACE = "bench"
SESSION = "day"

# One change: (received_wall_ns, kind, name, uid, event, object)
Row = tuple[int, str, str, str, str, dict[str, Any]]


def _stamp(wall_ns: int) -> str:
    return datetime.fromtimestamp(wall_ns // 10**9, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_ready(pod: dict[str, Any]) -> bool:
    conditions = pod["status"].get("conditions") or ()
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


@dataclass
class _Set:
    """One StatefulSet's day: its objects as they change, one change every `step_ns`."""

    name: str
    replicas: int
    now_ns: int
    step_ns: int = 500_000_000
    uids: int = 0
    generation: int = 1
    sts: dict[str, Any] = field(default_factory=dict)
    slice: dict[str, Any] = field(default_factory=dict)
    pods: dict[int, dict[str, Any]] = field(default_factory=dict)
    claims: set[int] = field(default_factory=set)
    ready: int = 0

    def _uid(self) -> str:
        self.uids += 1
        return f"{self.name}-{self.uids:08d}"

    def _row(self, kind: str, obj: dict[str, Any], event: str) -> Row:
        self.now_ns += self.step_ns
        meta = obj["metadata"]
        return (self.now_ns, kind, meta["name"], meta["uid"], event, obj)

    def _meta(self, name: str, **extra: Any) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": NAMESPACE,
            "uid": self._uid(),
            "creationTimestamp": _stamp(self.now_ns),
            **extra,
        }

    def day(self, end_ns: int) -> Iterator[Row]:
        """Every change of this set until `end_ns`, in time order."""
        service = f"{self.name}-hl"
        yield self._row("Service", self._service(service), "ADDED")
        self.sts = {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": self._meta(self.name, generation=1),
            "spec": {
                "replicas": 0,
                "podManagementPolicy": "OrderedReady",
                "serviceName": service,
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "selector": {"matchLabels": {"app": self.name}},
                "template": {"metadata": {"labels": {"app": self.name}}},
                "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
            },
            "status": {
                "observedGeneration": 1,
                "replicas": 0,
                "currentRevision": f"{self.name}-rev1",
                "updateRevision": f"{self.name}-rev1",
            },
        }
        yield self._row("StatefulSet", self.sts, "ADDED")
        self.slice = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": self._meta(
                f"{service}-x7k2p", labels={"kubernetes.io/service-name": service}
            ),
            "addressType": "IPv4",
            "endpoints": [],
        }
        yield self._row("EndpointSlice", self.slice, "ADDED")
        while self.now_ns < end_ns:
            yield from self._scale_up()
            self.now_ns += 20 * 10**9
            yield from self._recreate(self.replicas // 2)
            self.now_ns += 20 * 10**9
            yield from self._scale_down()
            self.now_ns += 10 * 10**9

    def _service(self, name: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self._meta(name),
            "spec": {"clusterIP": "None", "selector": {"app": self.name}},
        }

    def _spec(self, replicas: int) -> Row:
        self.generation += 1
        self.sts = {**self.sts, "spec": {**self.sts["spec"], "replicas": replicas}}
        self.sts["metadata"] = {**self.sts["metadata"], "generation": self.generation}
        self.sts["status"] = {**self.sts["status"], "observedGeneration": self.generation}
        return self._row("StatefulSet", self.sts, "MODIFIED")

    def _status(self) -> Row:
        status = {
            **self.sts["status"],
            "replicas": len(self.pods),
            "readyReplicas": self.ready,
            "availableReplicas": self.ready,
            "currentReplicas": len(self.pods),
            "updatedReplicas": len(self.pods),
        }
        self.sts = {**self.sts, "status": status}
        return self._row("StatefulSet", self.sts, "MODIFIED")

    def _endpoints(self) -> Row:
        endpoints = [
            {
                "addresses": [pod["status"]["podIP"]],
                "hostname": pod["metadata"]["name"],
                "conditions": {"ready": True},
                "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"], "uid": uid},
            }
            for pod in self.pods.values()
            if (uid := pod["metadata"]["uid"]) and _is_ready(pod)
        ]
        self.slice = {**self.slice, "endpoints": endpoints}
        return self._row("EndpointSlice", self.slice, "MODIFIED")

    def _event(self, verb: str, pod: str) -> Row:
        reason = "SuccessfulCreate" if verb == "create" else "SuccessfulDelete"
        obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": self._meta(f"{self.name}.{self.uids:x}"),
            "involvedObject": {"kind": "StatefulSet", "name": self.name, "namespace": NAMESPACE},
            "reason": reason,
            "message": f"{verb} Pod {pod} in StatefulSet {self.name} successful",
            "source": {"component": "statefulset-controller"},
            "type": "Normal",
        }
        return self._row("Event", obj, "ADDED")

    def _create(self, ordinal: int) -> Iterator[Row]:
        name = f"{self.name}-{ordinal}"
        if ordinal not in self.claims:
            self.claims.add(ordinal)
            claim = {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": self._meta(f"data-{name}"),
                "spec": {"accessModes": ["ReadWriteOnce"], "volumeName": f"pv-data-{name}"},
                "status": {"phase": "Bound"},
            }
            yield self._row("PersistentVolumeClaim", claim, "ADDED")
        meta = self._meta(
            name,
            labels={
                "app": self.name,
                "controller-revision-hash": f"{self.name}-rev1",
                "statefulset.kubernetes.io/pod-name": name,
                "apps.kubernetes.io/pod-index": str(ordinal),
            },
            ownerReferences=[
                {
                    "apiVersion": "apps/v1",
                    "kind": "StatefulSet",
                    "name": self.name,
                    "uid": self.sts["metadata"]["uid"],
                    "controller": True,
                }
            ],
        )
        claim = f"data-{name}"
        self.pods[ordinal] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": {
                "hostname": name,
                "subdomain": f"{self.name}-hl",
                "containers": [{"name": "app", "image": "nginx:1"}],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
            },
            "status": {"phase": "Pending"},
        }
        yield self._row("Pod", self.pods[ordinal], "ADDED")
        yield self._event("create", name)
        pod = self.pods[ordinal]
        pod["spec"] = {**pod["spec"], "nodeName": f"kwok-node-{ordinal % 4}"}
        yield self._row("Pod", {**pod}, "MODIFIED")
        ip = f"10.244.{self.uids % 250}.{ordinal % 250 + 2}"
        not_ready = [
            {"type": "Ready", "status": "False", "lastTransitionTime": _stamp(self.now_ns)}
        ]
        pod["status"] = {"phase": "Running", "podIP": ip, "conditions": not_ready}
        yield self._row("Pod", {**pod}, "MODIFIED")
        ready = [{"type": "Ready", "status": "True", "lastTransitionTime": _stamp(self.now_ns)}]
        pod["status"] = {**pod["status"], "conditions": ready}
        yield self._row("Pod", {**pod}, "MODIFIED")
        self.ready += 1
        yield self._status()
        yield self._endpoints()

    def _delete(self, ordinal: int, *, by_controller: bool) -> Iterator[Row]:
        pod = self.pods[ordinal]
        meta = {**pod["metadata"], "deletionTimestamp": _stamp(self.now_ns)}
        pod = self.pods[ordinal] = {**pod, "metadata": meta}
        yield self._row("Pod", pod, "MODIFIED")
        if by_controller:
            yield self._event("delete", meta["name"])
        yield self._row("Pod", pod, "DELETED")
        del self.pods[ordinal]
        self.ready -= 1
        yield self._status()
        yield self._endpoints()

    def _scale_up(self) -> Iterator[Row]:
        yield self._spec(self.replicas)
        for ordinal in range(self.replicas):
            yield from self._create(ordinal)

    def _recreate(self, ordinal: int) -> Iterator[Row]:
        yield from self._delete(ordinal, by_controller=False)
        yield from self._create(ordinal)

    def _scale_down(self) -> Iterator[Row]:
        yield self._spec(0)
        for ordinal in reversed(range(self.replicas)):
            yield from self._delete(ordinal, by_controller=True)


def write_day(path: Path, *, sets: int, replicas: int, limit: int | None = None) -> int:
    """Write the synthetic day (or its first `limit` changes) into a new store; returns how
    many changes."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    for migration in list_migrations():
        conn.executescript(migration.sql)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    scope = orjson.dumps({"namespace": NAMESPACE}).decode()
    conn.execute("INSERT INTO session VALUES (1, ?, ?, ?)", (SESSION, START_NS, scope))
    days = [
        _Set(f"app{k}", replicas, START_NS + k * 7 * 10**9).day(START_NS + DAY_NS)
        for k in range(sets)
    ]
    insert = (
        f"INSERT INTO change ({', '.join(CHANGE_COLUMNS)}) "
        f"VALUES (1, 1{', ?' * (len(CHANGE_COLUMNS) - 2)})"
    )
    count = 0
    batch: list[tuple[Any, ...]] = []
    last = START_NS
    for wall, kind, name, uid, event, obj in heapq.merge(*days, key=lambda r: r[0]):
        if wall > START_NS + DAY_NS or (limit is not None and count >= limit):
            break
        count += 1
        last = wall
        rv = str(1000 + count)
        body = orjson.dumps(obj).decode()
        batch.append(
            (kind, NAMESPACE, name, uid, event, rv, "watch", wall, wall - START_NS, wall, body)
        )
        if len(batch) >= 50_000:
            conn.executemany(insert, batch)
            batch.clear()
    conn.executemany(insert, batch)
    conn.execute(
        "INSERT INTO run (id, session_id, started_wall_ns, ended_wall_ns, server_url, "
        "server_version, stswatch_version) VALUES (1, 1, ?, ?, 'https://bench', 'v1.34', '-')",
        (START_NS, last + 10**9),
    )
    conn.commit()
    conn.close()
    return count


def _timed(label: str, run: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of `run` (printed with its CPU seconds: on a shared machine the CPU is the
    figure to read)."""
    started, cpu = time.perf_counter(), time.process_time()
    value = run()
    took = time.perf_counter() - started
    print(f"{label:<52}{took:>9.2f} s  ({time.process_time() - cpu:.2f} s CPU)")
    return took, value


def _at(hours: float) -> Moment:
    wall = START_NS + int(hours * 3600 * 10**9)
    return Moment(f"+{hours}h", wall_ns=wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=9, help="StatefulSets (default 9)")
    parser.add_argument("--replicas", type=int, default=20, help="replicas each (default 20)")
    parser.add_argument("--hour", type=float, default=12.0, help="window start, hours in")
    parser.add_argument(
        "--fraction", type=float, default=1 / 12, help="baseline on this part of the day"
    )
    parser.add_argument("--full", action="store_true", help="baseline on the whole day")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        day = Path(tmp) / "day.db"
        _, changes = _timed(
            "write the day (executemany)",
            lambda: write_day(day, sets=args.sets, replicas=args.replicas),
        )
        size = day.stat().st_size / 1e6
        print(f"session: {args.sets} StatefulSets x {args.replicas} replicas over 24 h, ", end="")
        print(f"{changes:,} changes, {size:.0f} MB")
        since, until = _at(args.hour), _at(args.hour + 1)
        every = WindowRequest(since=since, until=until)
        _verify(f"verify hour {args.hour:g}-{args.hour + 1:g} (--since/--until)", day, every)
        app0 = WindowRequest(since=since, until=until, statefulset="app0")
        _verify("the same hour, --statefulset app0", day, app0)
        if args.full:
            _verify("baseline: verify the whole session", day, None)
            return
        part = Path(tmp) / "part.db"
        limit = int(changes * args.fraction)
        write_day(part, sets=args.sets, replicas=args.replicas, limit=limit)
        took = _verify(f"baseline: the whole-session path on {limit:,} changes", part, None)
        print(
            f"  (the day's first {args.fraction:.1%} only: the day is {changes / limit:.1f}x that, "
            f"~{took * changes / limit:.0f} s at the same rate; --full runs it)"
        )


def _verify(label: str, path: Path, window: WindowRequest | None) -> float:
    """Time `analyse` (load, lifecycles, proofs) and print what it read and decided."""
    took, analysis = _timed(label, lambda: analyse(path, SESSION, window=window))
    result = analysis.result
    n = len(analysis.recording.changes)
    print(
        f"  {n:,} changes read, {len(result.episodes)} episodes, {len(result.verdicts)} verdicts "
        f"({result.count('pass')} pass, {result.count('fail')} fail, "
        f"{result.count('inconclusive')} inconclusive); {n / took:,.0f} changes/s"
    )
    return took


if __name__ == "__main__":
    main()
