"""A pod's graceful deletion cut short by a client's force deletion while it still ran (cases33,
real nodes: containers that ignore SIGTERM, a grace period of 12 s; breakR R3). The controller did
right, so nothing fails; the verdict that lists the pod tells the cut. kwok's fake kubelet deletes
its pods with grace 0 while they are Ready (cases30): that is never called a force deletion."""

from pathlib import Path

import pytest

from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite

DOCS = "https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/"
# session: (the controller's deletion of web-2, the client's grace 0, the new web-2)
VICTIM = {
    "b344-real-force-delete-victim-rollout-orderedready": (874, 880, 882),
    "b344-real-force-delete-victim-rollout-parallel": (995, 1001, 1004),
}


def _verdicts(path: Path, session: str) -> list[Verdict]:
    return list(verify(load_recording(path, session)).verdicts)


def _victim_words(began: int, cut: int, new: int) -> str:
    return (
        f"; web-2's deletion (begun by the StatefulSet controller for the update, grace 12 s, "
        f"#{began}) was cut short by a client's force deletion (#{cut}: "
        "deletionGracePeriodSeconds 0) while web-2 was Running and Ready: the API object went "
        f"without its kubelet's confirmation, and the controller created the new web-2 at #{new} "
        f"at once; its old containers may still have been running ({DOCS})"
    )


@pytest.mark.parametrize("session", sorted(VICTIM))
def test_the_rollout_tells_its_victim_force_deleted(tmp_path: Path, session: str) -> None:
    began, cut, new = VICTIM[session]
    verdicts = _verdicts(real_store(tmp_path, "cases33"), session)
    [rolling] = [v for v in verdicts if v.proof == "rolling-update"]
    assert rolling.outcome == "pass"
    assert _victim_words(began, cut, new) in rolling.reason
    cited = {e.change_id: e.note for e in rolling.evidence}
    assert cited[cut] == "web-2 force-deleted while Running and Ready (grace 0)"
    assert not [v for v in verdicts if v.outcome == "fail"]


def test_a_condemned_pod_force_deleted_is_told(tmp_path: Path) -> None:
    """b348 Parallel: web-1, deleted by the controller for a scale-down 3→1, force-deleted 2 s
    later: no pod takes its place."""
    verdicts = _verdicts(
        real_store(tmp_path, "cases33"), "b348-real-force-delete-condemned-early-parallel"
    )
    [told] = [v for v in verdicts if v.proof == "parallel-described" and "condemned" in v.reason]
    assert (
        "; web-1's deletion (begun by the StatefulSet controller for the scale-down, grace 12 s, "
        "#1500) was cut short by a client's force deletion (#1509: deletionGracePeriodSeconds 0) "
        "while web-1 was Running and Ready: the API object went without its kubelet's "
        f"confirmation; its old containers may still have been running ({DOCS})"
    ) in told.reason
    assert not [v for v in verdicts if v.outcome == "fail"]


def test_a_force_deletion_with_no_graceful_one_before_cuts_nothing(tmp_path: Path) -> None:
    """b348 OrderedReady: the client force-deletes web-1 before the controller reaches it; the
    deletion is the client's, told as such, and there was no grace period to cut."""
    verdicts = _verdicts(
        real_store(tmp_path, "cases33"), "b348-real-force-delete-condemned-early-orderedready"
    )
    [scale_down] = [v for v in verdicts if v.proof == "reverse-order-scale-down"]
    assert scale_down.outcome == "pass"
    assert "web-1 was deleted by a client" in scale_down.reason
    assert not [v for v in verdicts if "cut short" in v.reason]


def test_the_kubelets_own_final_delete_is_no_cut(tmp_path: Path) -> None:
    """On a real node the kubelet deletes its pod with grace 0 too, but only after its status
    says the containers stopped: web-1 and web-0 of the rollout went so."""
    session = "b344-real-force-delete-victim-rollout-orderedready"
    life = build_lifecycles(load_recording(real_store(tmp_path, "cases33"), session))
    cuts = {(p.name, p.grace_cut[1:] if p.grace_cut else None) for p in life.pods if p.deleted}
    assert cuts == {("web-2", (880, 12)), ("web-1", None), ("web-0", None)}


def test_without_the_kubelets_events_the_recording_cannot_tell(tmp_path: Path) -> None:
    """The same recording without the kubelet's Events is what kwok records: a pod deleted with
    grace 0 while Ready, by a fake kubelet that stops nothing. Nothing is said."""
    path = real_store(tmp_path, "cases33")
    rewrite(
        path,
        "DELETE FROM change WHERE kind = 'Event' "
        "AND json_extract(object, '$.source.component') = 'kubelet'",
    )
    for session in VICTIM:
        assert not [v for v in _verdicts(path, session) if "cut short" in v.reason]


@pytest.mark.parametrize(
    "session",
    [
        "b344-scale-down-mid-rollout-when-scaled-orderedready",
        "b344-scale-down-mid-rollout-when-scaled-parallel",
    ],
)
def test_kwok_deleting_a_ready_pod_is_not_called_forced(tmp_path: Path, session: str) -> None:
    """cases30 (kwok nodes): kwok deletes each pod with grace 0 while it is Running and Ready."""
    path = real_store(tmp_path, "cases30")
    life = build_lifecycles(load_recording(path, session))
    assert [p for p in life.pods if p.grace_cut is not None]  # the look of a force deletion
    verdicts = _verdicts(path, session)
    assert not [v for v in verdicts if "cut short" in v.reason or "force" in v.reason]
