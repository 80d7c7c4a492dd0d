"""Synthetic sessions for the report tests and bench, written with the shared `ClusterBuilder`.

They follow the lesson's lab (a `redis` StatefulSet behind `redis-headless`): scale up, delete a
pod and watch it come back, scale up again and down, with the Events and marks a real recording
carries. Adds what the builder leaves out: Events, marks, and hostile strings.
"""

import sqlite3
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stswatch.reports.recording import Recording, load_recording
from tests.fixtures.builder import START_NS, ClusterBuilder

HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</svg></script><!--",
)
# A right-to-left override and a C1 control: shown as escapes, never obeyed (the override would
# show "web-1 exe.gnp" as "web-1 png.exe").
BIDI = "web-1 \u202eexe.gnp\x9b2J"
BIDI_SHOWN = "web-1 \\u202eexe.gnp\\u009b2J"


def event(
    b: ClusterBuilder, *, kind: str, name: str, reason: str, message: str, type_: str = "Normal"
) -> None:
    """Record a core/v1 Event about `kind`/`name`."""
    uid = f"ev-{b.uids + 1:05d}"
    b.uids += 1
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{uid}", "namespace": b.namespace, "uid": uid},
        "involvedObject": {"kind": kind, "name": name, "namespace": b.namespace},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": 1,
        "firstTimestamp": b.stamp(),
        "lastTimestamp": b.stamp(),
        "source": {"component": "statefulset-controller"},
    }
    b.emit("Event", obj, "ADDED")


def bring_up(b: ClusterBuilder, sts: str, ordinal: int, *, ready_ms: int = 900) -> None:
    """Claim, create, schedule, run and ready one ordinal, with the controller's Events."""
    name = f"{sts}-{ordinal}"
    claim = f"data-{name}"
    if ("PersistentVolumeClaim", claim) not in b.live:
        b.pvc(claim)
        event(b, kind="StatefulSet", name=sts, reason="SuccessfulCreate",
              message=f"create Claim {claim} Pod {name} in StatefulSet {sts} success")  # fmt: skip
    b.create_pod(sts, ordinal, subdomain=f"{sts}-headless")
    event(b, kind="StatefulSet", name=sts, reason="SuccessfulCreate",
          message=f"create Pod {name} in StatefulSet {sts} successful")  # fmt: skip
    if b.get("PersistentVolumeClaim", claim)["status"]["phase"] != "Bound":
        b.tick(150)
        b.bind(claim)
    b.tick(120)
    b.schedule(name)
    event(b, kind="Pod", name=name, reason="Scheduled",
          message=f"Successfully assigned {b.namespace}/{name} to kwok-node-0")  # fmt: skip
    b.tick(300)
    b.run(name)
    b.tick(ready_ms)
    b.ready(name)


def take_down(b: ClusterBuilder, sts: str, ordinal: int, *, grace_ms: int = 700) -> None:
    """Terminate then remove one pod, as a scale-down does."""
    name = f"{sts}-{ordinal}"
    b.terminate(name)
    event(b, kind="StatefulSet", name=sts, reason="SuccessfulDelete",
          message=f"delete Pod {name} in StatefulSet {sts} successful")  # fmt: skip
    b.tick(grace_ms)
    b.remove(name)


def status(b: ClusterBuilder, sts: str) -> None:
    """The controller writes the StatefulSet status from the live pods (computeReplicaStatus:
    every pod counted in `replicas`, the ones not terminating at the one revision these
    sessions have in `currentReplicas` and `updatedReplicas`), the spec observed."""
    census = _census(b)
    staying = len(census.ready) - len(census.terminating)
    b.set_status(
        sts,
        observedGeneration=b.get("StatefulSet", sts)["metadata"]["generation"],
        replicas=len(census.ready),
        readyReplicas=census.ready_count,
        availableReplicas=census.ready_count,
        currentReplicas=staying,
        updatedReplicas=staying,
    )


@dataclass
class _Census:
    """The live pods and how many are Ready, brought up to date from the rows recorded since.

    Counting `b.live` on every status write would read every object once per change (quadratic:
    a 10,000-pod bench session never finished); each recorded row is read once here instead.
    """

    read: int = 0
    ready: dict[str, bool] = field(default_factory=dict)
    ready_count: int = 0
    terminating: set[str] = field(default_factory=set)

    def catch_up(self, rows: list[Any]) -> None:
        for row in rows[self.read :]:
            if row.kind != "Pod":
                continue
            self.ready_count -= self.ready.pop(row.name, False)
            self.terminating.discard(row.name)
            if row.event != "DELETED":
                obj = row.obj
                self.ready[row.name] = _is_ready(obj)
                self.ready_count += self.ready[row.name]
                if obj["metadata"].get("deletionTimestamp"):
                    self.terminating.add(row.name)
        self.read = len(rows)


_CENSUSES: dict[int, _Census] = {}


def _census(b: ClusterBuilder) -> _Census:
    census = _CENSUSES.get(id(b))
    if census is None:
        census = _CENSUSES[id(b)] = _Census()
        weakref.finalize(b, _CENSUSES.pop, id(b), None)
    census.catch_up(b.rows)
    return census


def _is_ready(pod: dict[str, Any]) -> bool:
    conditions = pod["status"].get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def lab_session(b: ClusterBuilder, *, policy: str = "OrderedReady", hostile: bool = False) -> None:
    """The lesson's lab: 0→3, delete redis-0 and watch it return, 3→5, 5→3."""
    b.service("redis-headless")
    b.statefulset("redis", replicas=3, policy=policy, service="redis-headless")
    if hostile:
        _make_hostile(b)
    _scale_up(b, range(3), policy=policy)
    b.tick(2000)
    take_down(b, "redis", 0, grace_ms=1200)
    status(b, "redis")
    bring_up(b, "redis", 0)
    status(b, "redis")
    b.tick(2000)
    b.set_spec("redis", replicas=5)
    _scale_up(b, range(3, 5), policy=policy)
    b.tick(2500)
    b.set_spec("redis", replicas=3)
    for ordinal in (4, 3):
        take_down(b, "redis", ordinal)
        status(b, "redis")
    b.tick(1500)


def scaled_session(b: ClusterBuilder, *, pods: int) -> None:
    """Scale 0→pods, down to 0, then back up to 80%: about 20 changes per pod (bench, large
    reports)."""
    b.service("redis-headless")
    b.statefulset("redis", replicas=pods, service="redis-headless")
    for ordinal in range(pods):
        bring_up(b, "redis", ordinal, ready_ms=300)
        status(b, "redis")
    b.set_spec("redis", replicas=0)
    for ordinal in reversed(range(pods)):
        take_down(b, "redis", ordinal, grace_ms=200)
        status(b, "redis")
    b.set_spec("redis", replicas=pods * 4 // 5)
    for ordinal in range(pods * 4 // 5):
        bring_up(b, "redis", ordinal, ready_ms=300)
        status(b, "redis")


def _scale_up(b: ClusterBuilder, ordinals: range, *, policy: str) -> None:
    if policy == "Parallel":
        _parallel_up(b, ordinals)
        return
    for ordinal in ordinals:
        bring_up(b, "redis", ordinal)
        status(b, "redis")


def _parallel_up(b: ClusterBuilder, ordinals: range) -> None:
    for ordinal in ordinals:
        name = f"redis-{ordinal}"
        b.pvc(f"data-{name}")
        b.create_pod("redis", ordinal, subdomain="redis-headless")
        event(b, kind="StatefulSet", name="redis", reason="SuccessfulCreate",
              message=f"create Pod {name} in StatefulSet redis successful")  # fmt: skip
    status(b, "redis")
    for ordinal in ordinals:
        b.bind(f"data-redis-{ordinal}")
        b.schedule(f"redis-{ordinal}")
    for ordinal in ordinals:
        b.tick(200)
        b.run(f"redis-{ordinal}")
    for ordinal in ordinals:
        b.tick(300)
        b.ready(f"redis-{ordinal}")
        status(b, "redis")


def _make_hostile(b: ClusterBuilder) -> None:
    sts = b.get("StatefulSet", "redis")
    sts["metadata"]["labels"] = {"evil": HOSTILE[0]}
    sts["metadata"]["annotations"] = {"note": HOSTILE[1], "svg": HOSTILE[2]}
    b.emit("StatefulSet", sts, "MODIFIED")
    event(b, kind="StatefulSet", name="redis", reason=HOSTILE[1],
          message=" ".join(HOSTILE), type_="Warning")  # fmt: skip


def hostile_pod_event(b: ClusterBuilder) -> None:
    """Markup in redis-1's labels and annotations, and in a Warning Event about it."""
    pod = b.get("Pod", "redis-1")
    pod["metadata"]["labels"]["evil"] = HOSTILE[2]
    pod["metadata"]["annotations"] = {"note": HOSTILE[0], "img": HOSTILE[1], "bidi": BIDI}
    b.emit("Pod", pod, "MODIFIED")
    event(b, kind="Pod", name="redis-1", reason=HOSTILE[0], message=" ".join(HOSTILE),
          type_="Warning")  # fmt: skip


Marks = tuple[tuple[str, int, dict[str, Any]], ...]  # (label, ms after the start, detail)


def write_session(
    b: ClusterBuilder, path: Path, *, session: str = "s1", marks: Marks = ()
) -> Recording:
    """Write the store, add `marks`, and load the session back."""
    store_session(b, path, session=session, marks=marks)
    return load_recording(path, session)


def store_session(b: ClusterBuilder, path: Path, *, session: str = "s1", marks: Marks = ()) -> None:
    """Write the store and add `marks`, without loading it back (the bench times that itself)."""
    b.save(path, session=session)
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO mark (session_id, run_id, label, detail, received_wall_ns, received_mono_ns) "
        "VALUES (1, 1, ?, ?, ?, ?)",
        [
            (label, orjson.dumps(detail).decode(), START_NS + ms * 1_000_000, ms * 1_000_000)
            for label, ms, detail in marks
        ],
    )
    conn.commit()
    conn.close()
