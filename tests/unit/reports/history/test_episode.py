"""A session split into episodes."""

from pathlib import Path

import pytest

from stswatch.reports.history.episodes import find_episodes
from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import verdict_of


def test_session_splits_into_episodes(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=2)
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    b.set_spec("web", replicas=3)
    b.bring_up("web", 2)
    b.set_spec("web", replicas=2)
    b.take_down("web", 2)
    b.take_down("web", 0)
    b.bring_up("web", 0)
    b.set_spec("web", image="nginx:2")
    b.delete("Service", "web-headless")
    b.service("web-headless")
    b.delete("StatefulSet", "web")
    b.statefulset("web", replicas=1, policy="Parallel")
    episodes = find_episodes(build_lifecycles(b.write(tmp_path / "s.db")))
    assert [(e.kind, e.summary) for e in episodes] == [
        ("scale-up", "web: scale-up 0→2 (OrderedReady)"),
        ("scale-up", "web: scale-up 2→3 (OrderedReady)"),
        ("scale-down", "web: scale-down 3→2 (OrderedReady)"),
        ("pod-recreated", episodes[3].summary),
        ("rolling-update", "web: rolling update (template changed, partition 0)"),
        ("service-deleted", "Service web-headless deleted"),
        ("service-recreated", episodes[6].summary),
        ("statefulset-deleted", "web deleted with 2 pods"),
        ("statefulset-replaced", episodes[8].summary),
        ("scale-up", "web: scale-up 0→1 (Parallel)"),
    ]
    assert episodes[3].summary.startswith("web-0 deleted and recreated")
    assert episodes[8].summary.endswith("podManagementPolicy OrderedReady → Parallel")


def test_listed_statefulset_has_no_creation_episode(tmp_path: Path) -> None:
    b = ClusterBuilder(observed="list")
    b.statefulset("web", replicas=2)
    b.observed = "watch"
    b.set_spec("web", replicas=4)
    episodes = find_episodes(build_lifecycles(b.write(tmp_path / "s.db")))
    assert [e.summary for e in episodes] == ["web: scale-up 2→4 (OrderedReady)"]


def test_start_ordinal_change_is_a_scale_up_and_a_scale_down(tmp_path: Path) -> None:
    # e2e "Increasing .spec.ordinals.start": start 2→4 with 2 replicas ends as web-4, web-5.
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    b.set_spec("web", ordinals={"start": 2})
    for ordinal in (2, 3):
        b.bring_up("web", ordinal)
    b.set_spec("web", ordinals={"start": 4})
    for ordinal in (4, 5):
        b.bring_up("web", ordinal)
    for ordinal in (3, 2):
        b.take_down("web", ordinal)
    result = verify(b.write(tmp_path / "s.db"))
    up, down = result.episodes[-2:]
    assert up.summary == (
        "web: scale-up of new ordinals, ordinals.start 2→4, replicas 2→2 (OrderedReady)"
    )
    assert {v.proof: v.outcome for v in up.verdicts}["ordered-ready-gating"] == "pass"
    condemned = {v.proof: v for v in down.verdicts}["reverse-order-scale-down"]
    assert condemned.outcome == "pass", condemned.reason
    assert condemned.reason.endswith("web-3, web-2")


def test_replaced_statefulset_pods_are_its_own(tmp_path: Path) -> None:
    """Homework 2: delete the set (GC removes its pods), recreate it Parallel: a fresh scale-up."""
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    b.delete("StatefulSet", "web")
    for ordinal in (0, 1):  # the garbage collector, in no particular order
        b.take_down("web", ordinal)
    b.statefulset("web", replicas=2, policy="Parallel")
    for ordinal in range(2):
        b.create_pod("web", ordinal)
    for ordinal in range(2):
        b.start_pod(f"web-{ordinal}")
    result = verify(b.write(tmp_path / "s.db"))
    kinds = [e.kind for e in result.episodes]
    assert kinds == ["scale-up", "statefulset-deleted", "statefulset-replaced", "scale-up"]
    burst = {v.proof: v for v in result.episodes[-1].verdicts}["parallel-described"]
    assert burst.reason.startswith("burst width 2")
    assert not result.failed


def test_a_pod_created_after_the_sets_deletion_fails(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    b.bring_up("web", 0)
    sts = b.get("StatefulSet", "web")
    sts["metadata"]["deletionTimestamp"] = b.stamp()
    b.emit("StatefulSet", sts, "MODIFIED")
    # No controller creates a pod for a set being deleted; a CREATE it decided before may land
    # up to the 30 s an admission webhook may hold it (told, not failed), not 40 s after.
    b.tick(40_000)
    b.bring_up("web", 1)
    result = verify(b.write(tmp_path / "s.db"))
    deletion = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert deletion.outcome == "fail"
    assert deletion.reason.startswith("web-1 was created after the StatefulSet's deletion began")


@pytest.mark.parametrize(("by_controller", "outcome"), [(True, "fail"), (False, "pass")])
def test_a_pod_the_controller_deletes_after_the_sets_deletion_fails(
    tmp_path: Path, by_controller: bool, outcome: str
) -> None:
    # At a set's deletionTimestamp updateStatefulSet only updates status: the garbage collector
    # removes the pods. A SuccessfulDelete Event for one, and no reason for it, is a fault.
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    b.bring_up("web", 0)
    b.bring_up("web", 1)
    sts = b.get("StatefulSet", "web")
    sts["metadata"]["deletionTimestamp"] = b.stamp()
    b.emit("StatefulSet", sts, "MODIFIED")
    b.tick(50)
    if by_controller:
        b.controller_event("web", "delete", "Pod", "web-1")
    b.take_down("web", 1)
    b.take_down("web", 0)
    b.stop(after_ms=5_000)
    result = verify(b.write(tmp_path / "s.db"))
    deletion = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert deletion.outcome == outcome, deletion.reason
    if by_controller:
        assert deletion.reason.startswith(
            "the StatefulSet controller deleted web-1 (SuccessfulDelete #"
        )


def test_template_reverted_is_a_rollback_to_its_revision(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=1)
    b.bring_up("web", 0)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    b.set_spec("web", image="nginx:1")
    b.set_status("web", observedGeneration=3, updateRevision="web-rev1")
    b.set_spec("web", image="nginx:3")
    episodes = find_episodes(build_lifecycles(b.write(tmp_path / "s.db")))
    assert [e.summary for e in episodes if e.kind == "rolling-update"] == [
        "web: rolling update (template changed, partition 0)",
        "web: rolling update (rollback to revision web-rev1, partition 0)",
        "web: rolling update (template changed, partition 0)",
    ]
