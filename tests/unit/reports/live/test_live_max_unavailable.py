"""doctor on a rollout with rollingUpdate.maxUnavailable above 1: the advice follows the
MaxUnavailableStatefulSet gate (KEP-961), which the pods show on when the update has more than one
of its pods unavailable at once. The objects are those of a real recording
(`recordings/cases5.db.gz`, gate on, maxUnavailable 2) at one change, as a live read sees them."""

import sqlite3
from pathlib import Path

import orjson

from stswatch.reports import causes
from stswatch.reports.live.doctor import diagnose
from stswatch.reports.live.findings import Finding
from stswatch.reports.live.world import World
from stswatch.set_objects import SetObjects
from tests.fixtures.live_objects import healthy, pod, statefulset, ts
from tests.fixtures.real import real_store

SESSION = "max-unavailable-parallel"


def _world_at(path: Path, change_id: int) -> World:
    """The StatefulSet and its pods as they stood just after `change_id`."""
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT c.kind, c.name, c.event, c.object, c.received_wall_ns FROM change c "
        "JOIN session s ON s.id = c.session_id WHERE s.name = ? AND c.id <= ? "
        "AND c.kind IN ('Pod', 'StatefulSet') ORDER BY c.id",
        (SESSION, change_id),
    ).fetchall()
    conn.close()
    last: dict[tuple[str, str], dict[str, object] | None] = {}
    now = 0.0
    for kind, name, event, obj, wall in rows:
        last[(kind, name)] = None if event == "DELETED" else orjson.loads(obj)
        now = wall / 1e9
    sts = last[("StatefulSet", "web")]
    assert sts is not None
    pods = tuple(o for (kind, _), o in sorted(last.items()) if kind == "Pod" and o is not None)
    return World.of(SetObjects(namespace=str(sts["metadata"]["namespace"]), statefulset=sts,  # type: ignore[index]
                               now=now, pods=pods))  # fmt: skip


def _rollout(findings: list[Finding]) -> Finding:
    found = [f for f in findings if "rollout" in f.what]
    assert len(found) == 1, [f.what for f in findings]
    return found[0]


def test_two_new_pods_unavailable_at_once_use_the_budget_up(tmp_path: Path) -> None:
    # #364: the first rollout's new web-3 and web-4 are both not Ready (the gate let the update
    # delete two at once); maxUnavailable 2 is used up, whatever the gate.
    rollout = _rollout(diagnose(_world_at(real_store(tmp_path, "cases5"), 364)))
    told = "\n".join(rollout.why)
    assert "maxUnavailable=2 (2 pods): 2 in-range unavailable (web-3, web-4)" in told
    assert "the budget is used up" in told
    assert "waits for each replaced pod to be Available before the next" not in told


def test_one_pod_held_long_with_room_left_names_the_gate() -> None:
    # Edited: maxUnavailable 2, one new pod not Ready for 10 minutes and the next old pod still
    # there: with the gate on the update would have deleted it; doctor says which it depends on.
    sts = statefulset(policy="Parallel", current="redis-aaa", update="redis-bbb")
    sts["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = 2
    world = healthy(statefulset=sts, pods=(pod(0), pod(1), pod(2, ready=False,
                    revision="redis-bbb", ready_since=ts(600))))  # fmt: skip
    rollout = _rollout(diagnose(world))
    assert rollout.severity == "error"
    assert causes.ROLLOUT_STUCK in rollout.causes
    told = "\n".join(rollout.why)
    assert "without the MaxUnavailableStatefulSet feature gate (KEP-961)" in told
    assert "with it on, the update deletes the next old-revision pod while fewer than 2" in told


def test_the_budget_lets_a_wide_rollout_go_on() -> None:
    # maxUnavailable 3, the update's new redis-3 not Ready and old redis-2 terminating: the gate
    # is on (two of its pods unavailable at once) and there is room for one more: not held.
    sts = statefulset(replicas=4, policy="Parallel", current="redis-aaa", update="redis-bbb")
    sts["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = 3
    pods = (pod(0), pod(1), pod(2, deleting=ts(-10)),
            pod(3, ready=False, revision="redis-bbb", ready_since=ts(600)))  # fmt: skip
    world = healthy(statefulset=sts, pods=pods)
    rollout = _rollout(diagnose(world))
    assert rollout.severity == "info", rollout.what
    assert "maxUnavailable lets it go on while redis-3 is not Ready" in rollout.what
    assert "so the MaxUnavailableStatefulSet gate is on" in "\n".join(rollout.why)
