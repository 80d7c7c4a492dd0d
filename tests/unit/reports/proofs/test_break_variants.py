"""What the variants of `scenarios/break/` (recorded on the lab, `recordings/cases6.db.gz`) must
not say: causes and claims that were false on the real controller before. The right words are
rows of `tests/fixtures/fault_kinds.py`."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import move, real_store, rewrite
from tests.fixtures.verdicts import verdict_of


def _reasons(tmp_path: Path, session: str) -> str:
    return _reasons_in(tmp_path, "cases6", session)


def _reasons_in(tmp_path: Path, store: str, session: str) -> str:
    result = verify(load_recording(real_store(tmp_path, store), session))
    lines = [e.progress.text for e in result.episodes if e.progress is not None]
    return "\n".join(lines + [v.reason for v in result.verdicts])


@pytest.mark.parametrize(
    "session",
    ["b11-orphan-delete-adopt-orderedready", "b30-orphan-adopt-smaller-orderedready",
     "b37-orphan-adopt-new-template-parallel"],
)  # fmt: skip
def test_an_orphaning_delete_is_never_the_garbage_collectors_removal(
    tmp_path: Path, session: str
) -> None:
    told = _reasons(tmp_path, session)
    assert "removed by the garbage collector" not in told
    assert "still present when the recording ended" not in told


def test_a_scheduling_wait_is_not_blamed_on_a_claim_bound_since(tmp_path: Path) -> None:
    told = _reasons(tmp_path, "b09-claim-deleted-pending-orderedready")
    assert "unbound immediate PersistentVolumeClaims" not in told


def test_a_client_deleting_a_held_pod_without_a_revert_is_no_forced_rollback(
    tmp_path: Path,
) -> None:
    assert "forced rollback" not in _reasons(tmp_path, "b21-rollout-unready-lower-orderedready")


def test_a_stalled_rollout_is_not_said_to_reach_its_partition(tmp_path: Path) -> None:
    told = _reasons(tmp_path, "b29-stuck-unrescued-start3-parallel")
    assert "down to partition 1" not in told


def test_a_creation_is_told_once_after_the_hold_it_followed(tmp_path: Path) -> None:
    told = _reasons(tmp_path, "b36-hold-across-incarnations-orderedready")
    gating = next(line for line in told.splitlines() if "each after every lower" in line)
    assert gating.count("then web-3 created") == 1


def test_a_holds_first_cited_change_is_labelled_with_what_it_shows(tmp_path: Path) -> None:
    # halt-mid-scale-up: the hold at web-2 begins at web-2's creation, when it was Pending; it was
    # held longest as Running, not Ready, which that change does not show.
    result = verify(load_recording(real_store(tmp_path, "cases"), "halt-mid-scale-up-orderedready"))
    notes = {(e.change_id, e.note) for v in result.verdicts for e in v.evidence}
    began = [n for _, n in notes if n.startswith("hold at web-2 began")]
    assert began == ["hold at web-2 began: web-2 Pending"]
    assert not [n for _, n in notes if n == "held at web-2: web-2 Running, not Ready"]


def test_a_hold_cut_by_a_client_goes_on_at_the_recreated_pod(tmp_path: Path) -> None:
    # b04: the scale-up waited at web-1 until the new web-1 was Ready, not until the deletion.
    told = _reasons_in(tmp_path, "cases7", "b04-hold-cut-by-delete-orderedready")
    assert "until web-1 deleted by a client" not in told
    assert "the new web-1 held it 1.5 s more), until web-1 Ready" in told


def test_a_creation_before_the_recreated_held_pod_is_ready_fails(tmp_path: Path) -> None:
    # The same recording edited: web-2 created before the new web-1 turned Ready (#500).
    path = real_store(tmp_path, "cases7")
    move(path, 503, 1199)  # web-2 ADDED, now between the new web-1's creation and its Ready
    result = verify(load_recording(path, "b04-hold-cut-by-delete-orderedready"))
    gating = verdict_of(result, "ordered-ready-gating", "scale-up", 1)
    assert gating.outcome == "fail"
    assert "web-2 was created while web-1 was" in gating.reason


def test_each_finalizer_removal_is_cited_with_who_removed_it(tmp_path: Path) -> None:
    # b06: a client removed a.example.com/one (#910), then b.example.com/two (#911); under
    # Parallel too, where nothing waits on web-3 but its finalizers kept it Terminating.
    for session, ids in (("b06-two-finalizers-scale-down-orderedready", {910, 911}),
                         ("b06-two-finalizers-scale-down-parallel", {986, 987})):  # fmt: skip
        result = verify(load_recording(real_store(tmp_path, "cases7"), session))
        cited = {e.change_id: e.note for v in result.verdicts for e in v.evidence}
        assert {i for i in ids if "removed by a client" in cited.get(i, "")} == ids


def test_a_deletion_while_a_finalizer_keeps_the_higher_pod_fails(tmp_path: Path) -> None:
    # b06 edited: web-2's deletion began (#915) while web-3 was still kept Terminating.
    path = real_store(tmp_path, "cases7")
    move(path, 915, 1998)
    result = verify(load_recording(path, "b06-two-finalizers-scale-down-orderedready"))
    verdict = verdict_of(result, "reverse-order-scale-down", "scale-down")
    assert verdict.outcome == "fail"
    assert "web-2 began terminating before web-3 was gone" in verdict.reason


def test_an_overtaken_scale_downs_deletion_is_judged_by_its_rules(tmp_path: Path) -> None:
    # b32 edited: web-0 turns Ready (#5790) only after the overtaken scale-down deleted web-3
    # (#5831, rv 11362): a deletion the controller would not make (processCondemned runs only
    # once every in-range pod is Running and Ready).
    path = real_store(tmp_path, "cases6")
    move(path, 5790, 11363)
    result = verify(load_recording(path, "b32-scale-up-during-scale-down-orderedready"))
    verdict = verdict_of(result, "reverse-order-scale-down", "scale-down")
    assert verdict.outcome == "fail"
    assert "web-3 deletion began while in-range web-0 was not" in verdict.reason


@pytest.mark.parametrize(("seconds", "outcome"), [(1, "pass"), (30, "fail")])
def test_a_scale_down_deletion_waits_for_available_pods(
    tmp_path: Path, seconds: int, outcome: str
) -> None:
    # b06 edited to minReadySeconds: web-3's deletion (04:16:41) came about 3 s after web-1 turned
    # Ready, so with 30 s the in-range pods were not Available yet (processReplica stops at them
    # and processCondemned is never reached): a deletion the controller would not make.
    session = "b06-two-finalizers-scale-down-orderedready"
    path = real_store(tmp_path, "cases7")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.spec.minReadySeconds', ?) "
        "WHERE kind = 'StatefulSet' AND session_id = (SELECT id FROM session WHERE name = ?)",
        seconds,
        session,
    )
    verdict = verdict_of(verify(load_recording(path, session)), "reverse-order-scale-down",
                         "scale-down")  # fmt: skip
    assert verdict.outcome == outcome, verdict.reason
    if outcome == "fail":
        assert verdict.reason.startswith("web-3 deletion began while in-range web-0 was Ready")
        assert "< minReadySeconds=30 (not Available)" in verdict.reason


@pytest.mark.parametrize(("later_s", "outcome"), [(10, "fail"), (0, "inconclusive")])
def test_a_status_still_counting_a_released_pod_fails(
    tmp_path: Path, later_s: int, outcome: str
) -> None:
    # b40 edited: the status written after the controller released web-1 (#77) still counts it
    # (#78 says 3 where the set owns 2 pods). With the client's scale (#79) 10 s later the
    # controller had time to count again (computeReplicaStatus counts only owned pods): a
    # failure; with the scale 3.0 s after the release, as recorded, it cannot be told.
    session = "b40-release-by-relabel-orderedready"
    path = real_store(tmp_path, "cases8")
    rewrite(
        path,
        "UPDATE change SET received_wall_ns = received_wall_ns + ? WHERE id >= 79 "
        "AND session_id = (SELECT id FROM session WHERE name = ?)",
        later_s * 10**9,
        session,
    )
    for field in ("replicas", "readyReplicas", "availableReplicas", "currentReplicas",
                  "updatedReplicas"):  # fmt: skip
        rewrite(path, f"UPDATE change SET object = json_set(object, '$.status.{field}', 3) "
                      "WHERE id = 78")  # fmt: skip
    verdict = verdict_of(verify(load_recording(path, session)), "status-matches-pods", "scale-up")
    assert verdict.outcome == outcome, verdict.reason
    assert "status.replicas 3 while 2 pods created" in verdict.reason
    assert "not counted: web-1 released by the controller at #77" in verdict.reason
    if outcome == "fail":
        assert "13.0 s after the release with nothing changing" in verdict.reason
    else:
        assert verdict.reason.startswith("the set changed again 3.0 s after the release")
