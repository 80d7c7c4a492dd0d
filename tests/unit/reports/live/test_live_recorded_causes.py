"""`stswatch doctor` on the objects a real-node recording holds at one moment: a pod held Pending
names the container the kubelet keeps from starting (an image not pulled, an init container
failing), a pod held not Ready names the kubelet's last Unhealthy Event of a failing readiness
probe; and neither where the objects do not show it."""

import json
import sqlite3
from pathlib import Path

from stswatch.reports import causes
from stswatch.reports.live.doctor import diagnose
from stswatch.reports.live.findings import Finding
from stswatch.reports.live.world import World
from tests.fixtures.real import real_store

_KINDS = ("StatefulSet", "Pod", "Event", "PersistentVolumeClaim", "Service")


def _world_at(tmp_path: Path, store: str, session: str, change_id: int) -> World:
    """The set's objects as recorded up to change `change_id` (each object's last state, the
    deleted ones left out), read at that change's receive time."""
    conn = sqlite3.connect(real_store(tmp_path, store))
    rows = conn.execute(
        "SELECT change.kind, change.uid, change.event, change.object, change.received_wall_ns "
        "FROM change JOIN session ON session.id = change.session_id "
        "WHERE session.name = ? AND change.id <= ? ORDER BY change.id",
        (session, change_id),
    ).fetchall()
    conn.close()
    last: dict[tuple[str, str], dict[str, object]] = {}
    for kind, uid, event, text, _ in rows:
        if kind in _KINDS:
            last.pop((kind, uid), None)
            if event != "DELETED":
                last[(kind, uid)] = json.loads(text)
    of = {kind: [o for (k, _), o in last.items() if k == kind] for kind in _KINDS}
    (statefulset,) = of["StatefulSet"]
    return World(
        namespace=str(statefulset["metadata"]["namespace"]),  # type: ignore[index]
        statefulset=statefulset,
        now=rows[-1][4] / 1e9,
        pods=tuple(of["Pod"]),
        claims=tuple(of["PersistentVolumeClaim"]),
        service=of["Service"][0] if of["Service"] else None,
        events=tuple(of["Event"]),
        nodes_known=False,
    )


def _held(world: World) -> Finding:
    (found,) = [f for f in diagnose(world) if f.subject == f"StatefulSet {world.name}"]
    return found


def test_a_rollout_waiting_on_a_pod_names_its_image_not_pulled(tmp_path: Path) -> None:
    # b230 (cases19) at #77: web-2's container app waiting in ImagePullBackOff.
    world = _world_at(tmp_path, "cases19", "b230-real-image-pull-fails-rollout-orderedready", 77)
    held = _held(world)
    assert held.what.startswith("rollout in progress: waiting for web-2 (not Running")
    assert held.why[0] == "web-2: phase Pending, container app waiting: ImagePullBackOff"


def test_a_scale_up_waiting_on_a_pod_names_its_init_container_failing(tmp_path: Path) -> None:
    # b231 (cases19): web-1's init container exited 1 (#274), then waits in CrashLoopBackOff
    # (#277); before, it was being set up as usual (PodInitializing, #265): nothing told.
    session = "b231-real-init-crashloop-scale-up-orderedready"
    exited = _held(_world_at(tmp_path, "cases19", session, 274))
    assert exited.why[0] == "web-1: phase Pending, init container init exited: Error (exit code 1)"
    looping = _held(_world_at(tmp_path, "cases19", session, 277))
    assert looping.why[0] == "web-1: phase Pending, init container init waiting: CrashLoopBackOff"
    fresh = _held(_world_at(tmp_path, "cases19", session, 265))
    assert fresh.why[0] == "web-1: phase Pending"


def test_a_scale_up_waiting_on_a_pod_not_ready_names_its_failing_probe(tmp_path: Path) -> None:
    # b232 (cases19) at #455: web-1 Running, not Ready; the kubelet's Unhealthy Event counted up.
    world = _world_at(
        tmp_path, "cases19", "b232-real-readiness-probe-fails-scale-up-orderedready", 455
    )
    held = _held(world)
    assert held.causes == (causes.NOT_READY,)
    assert held.why[1].startswith("Event Warning Unhealthy (x")
    assert held.why[1].endswith("): Readiness probe failed: web-1 warming up")


def test_an_unready_pod_under_parallel_names_its_failing_probe(tmp_path: Path) -> None:
    # b232 under Parallel (cases19) at #530: nothing waits on web-1, its own warning says why.
    world = _world_at(tmp_path, "cases19", "b232-real-readiness-probe-fails-scale-up-parallel", 530)
    (unready,) = [f for f in diagnose(world) if f.subject == "pod web-1"]
    assert (
        unready.why[0]
        == "condition Ready False (ContainersNotReady: containers with unready status: [app])"
    )
    assert unready.why[1].endswith("Readiness probe failed: web-1 warming up")


def test_a_probe_that_errored_is_not_told_as_failing(tmp_path: Path) -> None:
    # b201 (cases17) at #85: web-2 crash-looping; its only Unhealthy Event (#56) says the probe
    # errored (no running container), which is not a failing probe.
    world = _world_at(tmp_path, "cases17", "b201-real-crashloop-forced-rollback-orderedready", 85)
    told = [line for f in diagnose(world) for line in (f.what, *f.why)]
    assert any("CrashLoopBackOff" in line for line in told)
    assert not any("probe failed" in line for line in told)


def test_an_init_container_that_completed_after_restarts_makes_up_no_last_exit(
    tmp_path: Path,
) -> None:
    # b231 (cases19) at #284: web-1's init container completed on its third run; the kubelet
    # left its lastState empty, so its failed runs' exits are no longer in the status.
    world = _world_at(tmp_path, "cases19", "b231-real-init-crashloop-scale-up-orderedready", 284)
    (restarted,) = [f for f in diagnose(world) if causes.CONTAINER_RESTARTED in f.causes]
    assert restarted.what == (
        "init container init of pod web-1 restarted 2 times before it completed (exit code 0)"
    )
    assert restarted.why == ("restartCount 2; lastState empty",)
