"""The controller replay's own tests: what `updateStatefulSet` may do next at each recorded step.

Each session is driven through the builder step by step as the real controller and kubelet
would (or would not), and the replay's decisions, in order, are compared with what
pkg/controller/statefulset/stateful_set_control.go does at those states: processReplica's
creations and waits (phase 1), processCondemned (phase 3), the rolling update (phase 4).
"""

from pathlib import Path
from typing import Any

import pytest

from stswatch.reports.history import replay
from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.history.replay import Replay, replay_set
from stswatch.reports.recording import list_session_names, load_recording
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.real import RECORDINGS, real_store


def _replay(b: ClusterBuilder, tmp_path: Path) -> Replay:
    life = build_lifecycles(b.write(tmp_path / "s.db"))
    (sts,) = [s for s in life.statefulsets if s.name == "web"]
    return replay_set(life, sts)


def _told(replay: Replay) -> list[tuple[str, str]]:
    return [(d.state, d.what) for _, d in replay.decisions]


def _start(b: ClusterBuilder, name: str) -> None:
    """Claim, create and schedule one pod (Pending), as processReplica and the scheduler do."""
    b.pvc(f"data-{name}")
    b.bind(f"data-{name}")
    b.create_pod("web", int(name.rsplit("-", 1)[1]))
    b.schedule(name)


def test_ordered_ready_creates_one_pod_at_a_time_each_after_the_last_is_ready(
    tmp_path: Path,
) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    _start(b, "web-0")
    b.run("web-0")
    b.ready("web-0")
    _start(b, "web-1")
    b.run("web-1")
    b.ready("web-1")
    # A pod's "created" and "pending" steps come from one change: the moment between them (no
    # phase yet) is not a state the controller ever saw, so it is left out here.
    told = [d for d in _told(_replay(b, tmp_path)) if "(No phase)" not in d[1]]
    assert told == [
        ("act", "create web-0"),
        ("held", "web-0 not Running (Pending)"),
        ("held", "web-0 Running, not Ready"),
        ("act", "create web-1"),
        ("held", "web-1 not Running (Pending)"),
        ("held", "web-1 Running, not Ready"),
        ("settled", "spec met"),
    ]


def test_parallel_creates_without_waiting(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=2, policy="Parallel")
    _start(b, "web-0")
    _start(b, "web-1")
    for name in ("web-0", "web-1"):
        b.run(name)
        b.ready(name)
    told = _told(_replay(b, tmp_path))
    assert told[:2] == [("act", "create web-0"), ("act", "create web-1")]
    assert ("waiting", "pods not yet Running and Ready") in told
    assert told[-1] == ("settled", "spec met")
    assert not [d for d in told if d[0] == "held"]


def test_ordered_scale_down_waits_for_each_condemned_pod_to_be_gone(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.set_spec("web", replicas=1)
    b.set_status("web", observedGeneration=2)
    b.terminate("web-2")
    b.remove("web-2")
    b.terminate("web-1")
    b.remove("web-1")
    told = _told(_replay(b, tmp_path))
    tail = told[told.index(("act", "delete web-2 (condemned)")) :]
    assert tail == [
        ("act", "delete web-2 (condemned)"),
        ("held", "web-2 terminating"),
        ("act", "delete web-1 (condemned)"),
        ("held", "web-1 terminating"),
        ("settled", "spec met"),
    ]


def test_a_failed_pod_is_deleted_then_created_again(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    pod = b.get("Pod", "web-1")
    pod["status"]["phase"] = "Failed"
    b.emit("Pod", pod, "MODIFIED")
    b.terminate("web-1")
    b.remove("web-1")
    told = _told(_replay(b, tmp_path))
    assert told[-4:] == [
        ("settled", "spec met"),
        ("act", "delete web-1 (Failed)"),
        ("held", "web-1 terminating"),
        ("act", "create web-1"),
    ]


def test_a_rolling_update_waits_for_the_new_spec_then_replaces_from_the_top(
    tmp_path: Path,
) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=3, partition=1)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    b.take_down("web", 2)
    b.bring_up("web", 2)
    b.take_down("web", 1)
    b.bring_up("web", 1)
    told = _told(_replay(b, tmp_path))
    tail = told[told.index(("waiting", "the controller has not yet observed the new spec")) :]
    assert tail[:2] == [
        ("waiting", "the controller has not yet observed the new spec"),
        ("act", "replace web-2"),
    ]
    assert ("act", "replace web-1") in tail
    assert ("act", "replace web-0") not in tail  # below partition 1
    assert tail[-1] == ("settled", "spec met")


def test_ondelete_replaces_nothing_by_itself(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=2, strategy="OnDelete")
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    told = _told(_replay(b, tmp_path))
    assert told[-1] == ("settled", "spec met")
    assert not [d for d in told if d[1].startswith("replace")]


def test_a_hold_is_one_stretch_from_its_first_step_to_the_one_that_released_it(
    tmp_path: Path,
) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    b.bring_up("web", 0)
    b.ready("web-0", False)
    b.tick(3000)
    b.ready("web-0")
    b.bring_up("web", 1)
    replay = _replay(b, tmp_path)
    held = [s for s in replay.stretches if s.pod.name == "web-0"]
    assert [s.cause for s in held] == ["not Running", "not Ready"]  # starting; unready later
    later = held[-1]
    assert later.start.what == "unready"
    assert later.end is not None
    assert later.end.what == "ready"
    assert (later.end.received_wall_ns - later.start.received_wall_ns) / 1e9 >= 3.0


@pytest.mark.parametrize("store", sorted(p.name.split(".")[0] for p in RECORDINGS.glob("*.db.gz")))
def test_a_decision_not_taken_again_at_a_step_that_cannot_change_it_is_the_one_it_would_take(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str
) -> None:
    """The replay takes its decision again only at a step that changes what its walk reads (or
    when the decision read the clock or the rank): deciding at every step and recomputing every
    stepped pod's membership, as it once did, gives the same replay of every set of every real
    session (claims being deleted, minReadySeconds, names held by released pods among them)."""
    path = real_store(tmp_path, store)
    lives = [build_lifecycles(load_recording(path, s)) for s in list_session_names(path)]
    skipping = [replay_set(life, sts, until_ns=1) for life in lives for sts in life.statefulsets]
    decide, apply = replay._decide, replay._apply

    def deciding_at_every_step(state: Any) -> replay.Decision:
        decision = decide(state)
        state.timed = True  # as if it had read the rank: taken again at the next step
        return decision

    def touching_at_every_step(state: Any, ordinal: int, pod: Any, step: Any) -> bool:
        apply(state, ordinal, pod, step)
        state.touch(ordinal)  # idempotent: the same fields give the same membership
        return True

    monkeypatch.setattr(replay, "_decide", deciding_at_every_step)
    monkeypatch.setattr(replay, "_apply", touching_at_every_step)
    every = [replay_set(life, sts, until_ns=1) for life in lives for sts in life.statefulsets]
    assert skipping == every
    assert every  # a session with a set in every store


def test_a_claim_whose_deletion_begins_while_its_pod_is_missing_stops_the_creation_then(
    tmp_path: Path,
) -> None:
    """createPersistentVolumeClaims refuses while the claim is being deleted: the replay's
    answer read the clock, so the claim's own changes (no change of any pod or of the set) are
    where it changes: its deletion begun, then its DELETED."""
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    b.bring_up("web", 0)
    b.bring_up("web", 1)
    b.take_down("web", 1)
    b.tick(1_000)
    claim = b.get("PersistentVolumeClaim", "data-web-1")
    claim["metadata"]["deletionTimestamp"] = b.stamp()
    b.emit("PersistentVolumeClaim", claim, "MODIFIED")
    b.tick(1_000)
    b.delete("PersistentVolumeClaim", "data-web-1")
    assert _told(_replay(b, tmp_path))[-3:] == [
        ("act", "create web-1"),
        ("held", "web-1 cannot be created: its claim data-web-1 is being deleted"),
        ("act", "create web-1"),
    ]
