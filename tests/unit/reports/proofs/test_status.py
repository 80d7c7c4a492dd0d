"""status-matches-pods on real lab recordings, and on edited copies where the status lies.

The recordings are kube-controller-manager v1.34.4's own: its statuses must agree with the pods
(computeReplicaStatus, completeRollingUpdate) wherever the set stood still long enough to write
one; an edited status must fail, and one the controller had no time to write must not.
"""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite
from tests.fixtures.verdicts import verdict_of

PROOF = "status-matches-pods"
TO_ZERO = "partition-scale-to-zero-orderedready"


def _verify(path: Path, session: str) -> VerifyResult:
    return verify(load_recording(path, session))


def _status_change(verdict: Verdict) -> int:
    """The change id of the status the verdict judged (its last citation)."""
    cited = verdict.evidence[-1]
    assert cited.kind == "StatefulSet"
    assert cited.note == "status"
    return cited.change_id


def _set_status(path: Path, change_id: int, field: str, value: object) -> None:
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, ?, ?) WHERE id = ?",
        f"$.status.{field}",
        value,
        change_id,
    )


@pytest.mark.parametrize(
    ("store", "session"),
    [
        ("lesson", "lesson-orderedready"),
        ("lesson", "lesson-parallel"),
        ("cases3", "terminating-ready-orderedready"),
        ("cases3", "finalizer-after-rollout-parallel"),
        ("cases2", "ondelete-update-orderedready"),
        ("proofs", "proofs-orderedready"),
    ],
)
def test_the_controllers_own_statuses_count_its_pods(
    tmp_path: Path, store: str, session: str
) -> None:
    result = _verify(real_store(tmp_path, store), session)
    judged = [v for v in result.verdicts if v.proof == PROOF]
    assert judged
    assert {v.outcome for v in judged} == {"pass"}
    assert all(
        "status counts the settled pods as computeReplicaStatus does" in v.reason for v in judged
    )


def test_a_promotion_at_zero_replicas_under_a_partition_is_told(tmp_path: Path) -> None:
    for session in (TO_ZERO, "partition-scale-to-zero-parallel"):
        result = _verify(real_store(tmp_path, "cases3"), session)
        rollout = verdict_of(result, PROOF, "rolling-update")
        assert rollout.outcome == "pass"
        assert "currentReplicas 2, updatedReplicas 2" in rollout.reason
        assert "partition 2 keeps the ordinals below it at currentRevision" in rollout.reason
        down = verdict_of(result, PROOF, "scale-down")
        assert down.outcome == "pass"
        assert "replicas 0, readyReplicas 0" in down.reason
        assert "currentRevision was promoted to" in down.reason
        assert "although partition is 2" in down.reason
        assert "kubernetes#121534" in down.reason


def test_ondelete_counts_pods_at_both_revisions(tmp_path: Path) -> None:
    result = _verify(real_store(tmp_path, "cases2"), "ondelete-update-orderedready")
    update = verdict_of(result, PROOF, "ondelete-update")
    assert update.outcome == "pass"
    assert "currentReplicas 1, updatedReplicas 2" in update.reason


def test_a_status_that_miscounts_ready_pods_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases3")
    before = verdict_of(_verify(path, TO_ZERO), PROOF, "rolling-update")
    assert before.outcome == "pass"
    _set_status(path, _status_change(before), "readyReplicas", 3)
    after = verdict_of(_verify(path, TO_ZERO), PROOF, "rolling-update")
    assert after.outcome == "fail"
    assert after.reason.startswith("status.readyReplicas 3 while 4 pods Running and Ready")
    assert "after the pods settled with nothing changing" in after.reason
    assert "computeReplicaStatus" in after.reason


def test_a_finished_rollout_never_promoted_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases3")
    result = _verify(path, TO_ZERO)
    old = verdict_of(result, PROOF, "scale-up").reason.split("currentRevision = updateRevision ")
    last = verdict_of(result, PROOF, "scale-up", nth=1)
    assert last.outcome == "pass"
    first_revision = old[1].split()[0]
    _set_status(path, _status_change(last), "currentRevision", first_revision)
    after = verdict_of(_verify(path, TO_ZERO), PROOF, "scale-up", nth=1)
    assert after.outcome == "fail"
    assert f"status.currentRevision {first_revision} while every pod is at updateRevision" in (
        after.reason
    )
    assert "completeRollingUpdate promotes it" in after.reason


def test_a_status_the_controller_had_no_time_to_write_is_inconclusive(tmp_path: Path) -> None:
    # The lesson scales 3->5 0.1 s after the first scale-up settled: a wrong count there may be a
    # write still in flight, not a lie.
    path = real_store(tmp_path, "lesson")
    session = "lesson-orderedready"
    first = verdict_of(_verify(path, session), PROOF, "scale-up")
    _set_status(path, _status_change(first), "readyReplicas", 2)
    after = verdict_of(_verify(path, session), PROOF, "scale-up")
    assert after.outcome == "inconclusive"
    assert after.missing == "changed-again"
    assert after.reason.startswith("the set changed again 0.1 s after its pods settled")
    assert "status.readyReplicas 2 while 3 pods Running and Ready" in after.reason
