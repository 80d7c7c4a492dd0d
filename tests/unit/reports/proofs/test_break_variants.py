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


def _progress(tmp_path: Path, store: str, session: str, kind: str, nth: int) -> tuple[str, str]:
    result = verify(load_recording(real_store(tmp_path, store), session))
    episode = [e for e in result.episodes if e.kind == kind][nth]
    assert episode.progress is not None
    return episode.progress.state, episode.progress.text


def test_a_name_held_by_a_released_pod_holds_a_parallel_scale_up_too(tmp_path: Path) -> None:
    # b40 under Parallel: CreateStatefulPod's error at web-1 stops the burst (web-3 waits too).
    _, text = _progress(tmp_path, "cases8", "b40-release-by-relabel-parallel", "scale-up", 1)
    assert "held at web-1 (name taken by the pod web-1, the set released at #194" in text
    assert "until web-1 deleted by a client; web-1 created 14.1 s after its name was free" in text


@pytest.mark.parametrize(
    ("store", "session", "moved", "resource_version", "told"),
    [("cases8", "b40-release-by-relabel-orderedready", 97, 372,
      "web-3 was created while web-1 was not the set's (released at #77) and not yet created "
      "again"),
     ("cases9", "b41-orphan-foreign-name-collision-orderedready", 315, 846,
      "web-2 was created while web-1 did not exist")],
)  # fmt: skip
def test_a_creation_above_a_name_held_by_another_pod_fails(
    tmp_path: Path, store: str, session: str, moved: int, resource_version: int, told: str
) -> None:
    # Edited: the pod above (web-3 in b40, web-2 in b41) created while web-1's name was still
    # held by a pod the set does not own, before the set's own web-1 existed: processReplica
    # stops at the missing web-1 under OrderedReady.
    path = real_store(tmp_path, store)
    move(path, moved, resource_version)
    result = verify(load_recording(path, session))
    verdict = verdict_of(result, "ordered-ready-gating", "scale-up", 1)
    assert verdict.outcome == "fail", verdict.reason
    assert told in verdict.reason


def test_a_scale_up_stuck_on_a_stale_claim_is_halted_not_progressing(tmp_path: Path) -> None:
    # b52: data-web-2 still owned by the deleted web-2 when the set was scaled 2->3 and its
    # status written (#2572, #2573; PodClaimIsStale: processReplica returns without an error or a
    # requeue); the claim went 8.2 s later (#2574) and nothing woke the controller in the 120 s
    # the recording went on.
    state, text = _progress(
        tmp_path, "cases9", "b52-when-scaled-claim-held-terminating-orderedready", "scale-up", 1
    )
    assert state == "halted"
    assert "next step" not in text
    assert "halted at web-2: web-2 not created: at the controller's last sync its claim " in text
    assert "data-web-2 was stale (still owned by the deleted web-2: PodClaimIsStale)" in text
    assert "the controller does not watch claims" in text


def test_a_stale_claim_gone_before_the_sets_last_change_does_not_halt(tmp_path: Path) -> None:
    # b52 edited: the set's status write (#2573) comes after the claim is gone (#2574): that
    # sync finds no claim, so the controller may create web-2; no stall on a stale claim.
    session = "b52-when-scaled-claim-held-terminating-orderedready"
    path = real_store(tmp_path, "cases9")
    move(path, 2573, 5228)
    result = verify(load_recording(path, session))
    episode = [e for e in result.episodes if e.kind == "scale-up"][1]
    assert episode.progress is not None
    assert episode.progress.state == "progressing"
    assert "next step: create web-2" in episode.progress.text
    assert "PodClaimIsStale" not in episode.progress.text
