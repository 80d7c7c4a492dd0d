"""What the variants of `scenarios/break/` (recorded on the lab, `recordings/cases6.db.gz`) must
not say: causes and claims that were false on the real controller before. The right words are
rows of `tests/fixtures/fault_kinds.py`."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import (
    insert_controller_delete,
    lifecycles,
    move,
    pod,
    real_store,
    rewrite,
    spread,
)
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


def test_a_scheduling_wait_is_not_blamed_on_a_moments_race(tmp_path: Path) -> None:
    # b50: the claim a client deleted came back 34 ms later; the scheduler's one Event from that
    # moment ("could not find v1.PersistentVolumeClaim") is the latest, but the wait was the
    # unbound claim's, for 8.2 s.
    told = _reasons_in(tmp_path, "cases8", "b50-claim-unbound-client-claim-orderedready")
    assert "could not find v1.PersistentVolumeClaim" not in told
    assert "pod has unbound immediate PersistentVolumeClaims" in told


def test_an_ondelete_template_reverted_is_a_rollback(tmp_path: Path) -> None:
    # b48: under OnDelete the template went back to the first one; the controller reused its
    # ControllerRevision (getStatefulSetRevisions), so the episode is a rollback to it.
    result = verify(
        load_recording(real_store(tmp_path, "cases8"), "b48-ondelete-rollback-orderedready")
    )
    summaries = [e.summary for e in result.episodes if e.kind == "ondelete-update"]
    assert "OnDelete update (template changed)" in summaries[0]
    assert "OnDelete update (rollback to revision web-67c9cbf9b4)" in summaries[1]


def test_a_hold_cut_by_a_clients_delete_of_a_lower_pod_is_one_hold(tmp_path: Path) -> None:
    # b44: web-2 (new revision) stayed not Ready until #934; the client's delete of web-0 (#917)
    # did not release it, and OrderedReady tells it as Parallel does.
    told = _reasons_in(tmp_path, "cases10", "b44-rollout-hold-split-lower-delete-orderedready")
    assert "until Pod web-0 modified" not in told
    assert "then web-0 created" not in told
    meanwhile = "(meanwhile web-0 deleted by a client and recreated at revision web-6666fcd678)"
    assert f"held at web-2 (not Ready) for 11.0 s {meanwhile}, until web-2 Ready" in told
    assert told.count("then web-1 created") == 1


def test_a_rollout_moving_on_past_a_hold_cut_by_a_lower_delete_fails(tmp_path: Path) -> None:
    # b44 edited: web-1's update deletion and recreation (#941, #945, #946, #948) moved before
    # web-2 turned Ready (#934) while the recreated web-0 was not Ready either.
    path = real_store(tmp_path, "cases10")
    for change_id, rv in ((941, 1945), (945, 1946), (946, 1947), (948, 1948)):
        move(path, change_id, rv)
    result = verify(load_recording(path, "b44-rollout-hold-split-lower-delete-orderedready"))
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    assert verdict.outcome == "fail"
    assert "web-1 was deleted while the replacement web-2 was not Ready" in verdict.reason


def test_a_scale_up_outlasts_a_template_change_that_left_replicas_alone(tmp_path: Path) -> None:
    # b69: scale 2->4 held at web-1, then a client changed the image (#6430, replicas still 4);
    # the controller created web-2 and web-3 (the scale-up's) before replacing any pod.
    result = verify(load_recording(real_store(tmp_path, "cases10"), _B69))
    scale_up = [e for e in result.episodes if e.kind == "scale-up"][1]
    assert scale_up.progress is not None
    assert scale_up.progress.state == "completed"
    assert "template change #6430 was rolling out" in scale_up.progress.text
    told = _reasons_in(tmp_path, "cases10", _B69)
    assert "no pod was created" not in told
    assert "no successor created" not in told


def test_a_scale_ups_pod_created_above_an_unready_one_after_a_template_change_fails(
    tmp_path: Path,
) -> None:
    # b69 edited: web-3's creation (#6451) moved before web-2 was Running and Ready.
    path = real_store(tmp_path, "cases10")
    move(path, 6451, 12547)
    result = verify(load_recording(path, _B69))
    gating = verdict_of(result, "ordered-ready-gating", "scale-up", 1)
    assert gating.outcome == "fail"
    assert "web-3 was created while web-2 was not Running" in gating.reason


_B69 = "b69-template-change-during-up-hold-orderedready"


def test_a_hold_whose_pod_a_client_deleted_tells_each_cause(tmp_path: Path) -> None:
    # b45: web-1 not Ready from the scale (#1092), deleted by a client at #1094, kept by a
    # finalizer a client removed at #1097, gone at #1099: the deletion began the Terminating
    # stretch, it did not end the hold.
    told = _reasons_in(tmp_path, "cases10", _B45)
    assert "until web-1 deleted by a client" not in told
    assert "held at web-1 (terminating) for" not in told
    result = verify(load_recording(real_store(tmp_path, "cases10"), _B45))
    cited = {e.change_id: e.note for v in result.verdicts for e in v.evidence}
    assert "the finalizer example.com/hold removed by a client" in cited[1097]


def test_a_creation_while_the_held_pod_is_still_terminating_fails(tmp_path: Path) -> None:
    # b45 edited: web-2's creation (#1113) moved before the old web-1 was gone (#1099).
    path = real_store(tmp_path, "cases10")
    move(path, 1113, 2310)
    gating = verdict_of(verify(load_recording(path, _B45)), "ordered-ready-gating", "scale-up", 1)
    assert gating.outcome == "fail"
    assert "web-2 was created while web-1 was terminating" in gating.reason


_B45 = "b45-hold-unready-then-terminating-orderedready"


def test_the_min_ready_seconds_quoted_is_the_one_in_force(tmp_path: Path) -> None:
    # b65: a client raised minReadySeconds 2 -> 15 (#5730) before the new web-3 was Ready.
    told = _reasons_in(tmp_path, "cases10", "b65-minready-raised-mid-rollout-orderedready")
    assert "minReadySeconds=2" not in told
    assert "until Pod web-2 modified" not in told


def test_a_rollout_moving_on_before_a_raised_min_ready_seconds_fails(tmp_path: Path) -> None:
    # b65 edited: the client's change (#5730 on) raises minReadySeconds to 60, not 15; the
    # controller's deletions 15 s after each Ready then broke it.
    path = real_store(tmp_path, "cases10")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.spec.minReadySeconds', 60) "
        "WHERE kind = 'StatefulSet' AND id >= 5730",
    )
    result = verify(load_recording(path, "b65-minready-raised-mid-rollout-orderedready"))
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    assert verdict.outcome == "fail"
    assert "minReadySeconds=60 (not Available)" in verdict.reason


@pytest.mark.parametrize(
    ("session", "proof", "kind", "broken"),
    [("b47-minready-rollout-complete-early-orderedready", "rolling-update", "rolling-update",
      "web-1 was deleted while the replacement web-2 was Ready"),
     ("b75-minready-scale-down-waits-available-orderedready", "reverse-order-scale-down",
      "scale-down", "but it was not the firstUnavailablePod")],
)  # fmt: skip
def test_a_step_before_min_ready_seconds_passed_fails(
    tmp_path: Path, session: str, proof: str, kind: str, broken: str
) -> None:
    # b47, b75 edited to minReadySeconds 30: the controller's steps 12-15 s after each Ready
    # (a rollout's next deletion; a condemned web-3 not the firstUnavailablePod) broke it.
    path = real_store(tmp_path, "cases10")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.spec.minReadySeconds', 30) "
        "WHERE kind = 'StatefulSet'",
    )
    verdict = verdict_of(verify(load_recording(path, session)), proof, kind)
    assert verdict.outcome == "fail"
    assert broken in verdict.reason


def test_a_switch_from_ondelete_to_rollingupdate_is_its_own_episode(tmp_path: Path) -> None:
    # b46: every pod hand-replaced under OnDelete; status.currentRevision stayed (#73492) until
    # a client switched the strategy (#1317) and the next status promoted it (#1318).
    path = real_store(tmp_path, "cases8")
    result = verify(load_recording(path, "b46-ondelete-never-promoted-orderedready"))
    kinds = [(e.kind, e.summary) for e in result.episodes]
    assert kinds[1][0] == "ondelete-update"
    assert kinds[2] == ("rolling-update", "web: rolling update (update strategy changed to "
                        "RollingUpdate, partition 0)")  # fmt: skip


def _relabel(path: Path, uid: str, revision: str) -> None:
    """Every row of pod `uid` (a prefix) at controller-revision-hash `revision`."""
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.metadata.labels.controller-revision-hash',"
        " ?) WHERE kind = 'Pod' AND uid LIKE ?",
        revision,
        f"{uid}%",
    )


def test_a_pod_restored_at_the_update_revision_below_a_raised_partition_fails(
    tmp_path: Path,
) -> None:
    # b62 edited: the new web-2 (uid 95a6f2…), created after the partition was raised 0→3 and
    # read by the controller (observedGeneration 3 at #4998), carries the update revision: the
    # e2e "Restoring Pods to the correct revision when they are deleted" fails.
    path = real_store(tmp_path, "cases11")
    _relabel(path, "95a6f2c9", "web-695d6f6c")
    result = verify(load_recording(path, "b62-partition-raised-mid-delete-orderedready"))
    verdict = verdict_of(result, "rolling-update", "rolling-update", 1)
    assert verdict.outcome == "fail"
    assert verdict.reason == (
        "web-2 was created at revision web-695d6f6c, but newVersionedStatefulSetPod gives "
        "ordinal 2 (below partition 3) the currentRevision web-67c9cbf9b4"
    )


def test_a_rollout_deleting_a_pod_already_updated_fails(tmp_path: Path) -> None:
    # b56 edited: web-2 (uid 2d71ef…) at the update revision all its life; the rollout of
    # partition 3→0 then deletes it (#3273, its SuccessfulDelete Event): the update walk deletes
    # only pods not at updateRevision.
    path = real_store(tmp_path, "cases11")
    _relabel(path, "2d71ef09", "web-695d6f6c")
    result = verify(load_recording(path, "b56-scale-up-under-partition-orderedready"))
    verdict = verdict_of(result, "rolling-update", "rolling-update", 1)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "the controller deleted web-2, already at the update revision web-695d6f6c: the update "
        "walk deletes only pods not at updateRevision"
    )
    assert [e.change_id for e in verdict.evidence] == [3273]


def test_a_pods_lost_deleted_is_a_silent_gap_not_a_ghost(tmp_path: Path) -> None:
    # b42 edited: web-2's Pod rows #491..#503 lost (the old web-2's last update and DELETED, the
    # new web-2's ADDED..Running) with no gap recorded. The new web-2 (first seen #504) proves
    # the old one gone by then: the set had 3 pods when deleted, and the rollout's verdicts over
    # that stretch cannot be decided.
    session = "b42-orphan-mid-rollout-readopt-old-orderedready"
    path = real_store(tmp_path, "cases8")
    assert verify(load_recording(path, session)).gaps == ()  # the unedited one has none
    rewrite(path, "DELETE FROM change WHERE kind = 'Pod' AND name = 'web-2' AND id BETWEEN 491 "
                  "AND 503")  # fmt: skip
    result = verify(load_recording(path, session))
    (gap,) = result.gaps
    assert gap.kind == "Pod"
    assert gap.reason.startswith("rows missing without a gap record: web-2 (uid 9c03bb) has no "
                                 "DELETED, but the next web-2 appears at #504")  # fmt: skip
    deleted = next(e for e in result.episodes if e.kind == "statefulset-deleted")
    assert "deleted with 3 pods" in deleted.summary
    rollout = verdict_of(result, "rolling-update", "rolling-update")
    assert (rollout.outcome, rollout.missing) == ("inconclusive", "silent")
    assert "would have been pass" in rollout.reason
    told = "\n".join(v.reason for v in result.verdicts)
    assert "still present when the recording ended" not in told
    assert "removed by the StatefulSet controller" not in told


def test_adopted_revisions_kept_over_the_limit_are_counted(tmp_path: Path) -> None:
    # b42 edited: the re-created set (uid dc6f8e…), which adopted the orphaned ControllerRevisions,
    # given revisionHistoryLimit 0: truncateHistory would have deleted web-695d6f6c, no longer
    # named by a pod or the status, yet it stays. The recording ends 4.6 s after the pods
    # settled, before a sync must have come: not yet a failure, but counted (it was "none").
    session = "b42-orphan-mid-rollout-readopt-old-orderedready"
    path = real_store(tmp_path, "cases8")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.spec.revisionHistoryLimit', 0) "
        "WHERE kind = 'StatefulSet' AND uid LIKE 'dc6f8ec6%'",
    )
    result = verify(load_recording(path, session))
    verdict = verdict_of(result, "revision-history", "rolling-update", 1)
    assert verdict.outcome == "inconclusive"
    assert verdict.reason.endswith(
        "before the controller's next sync could truncate the history (1 ControllerRevisions that "
        "no pod or status names were kept (web-695d6f6c (revision 2)), over revisionHistoryLimit 0)"
    )


def _starting_at(path: Path, session: str, first: int) -> None:
    """Edit `session` as if the recorder began just before change `first`: each object's last
    row before it kept as an initial-list ADDED received then, every earlier row removed."""
    sid = f"(SELECT id FROM session WHERE name = '{session}')"
    last = (
        f"SELECT max(id) FROM change WHERE session_id = {sid} AND id < {first} GROUP BY kind, uid"
    )
    before = f"session_id = {sid} AND id < {first}"
    rewrite(
        path, f"DELETE FROM change WHERE {before} AND (id NOT IN ({last}) OR event = 'DELETED')"
    )
    rewrite(
        path,
        f"UPDATE change SET event = 'ADDED', observed = 'list', received_wall_ns = (SELECT "
        f"received_wall_ns FROM change WHERE id = {first}) - 1000000 WHERE {before}",
    )


@pytest.mark.parametrize(("moved", "outcome"), [(False, "pass"), (True, "fail")])
def test_a_recording_begun_mid_rollout_judges_that_rollout(
    tmp_path: Path, moved: bool, outcome: str
) -> None:
    # b47 edited to begin at #1485: the first list shows currentRevision web-67c9cbf9b4 ≠
    # updateRevision web-695d6f6c with web-2 already updated; the controller then replaces web-1
    # and web-0. One rolling update under way, not two pod-recreated repairs. Moved: web-0's
    # deletion (#1505) put before the new web-1 turned Ready (#1502, rv 3081).
    session = "b47-minready-rollout-complete-early-orderedready"
    path = real_store(tmp_path, "cases11")
    _starting_at(path, session, 1485)
    if moved:
        move(path, 1505, 3078)
    result = verify(load_recording(path, session))
    assert [e.kind for e in result.episodes] == ["rolling-update"]
    assert (
        "rolling update under way when the recording began (updateRevision web-695d6f6c ≠ "
        "currentRevision web-67c9cbf9b4 at the first list" in result.episodes[0].summary
    )
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    assert verdict.outcome == outcome, verdict.reason
    if moved:
        assert verdict.reason == "web-0 was deleted while the replacement web-1 was not Ready"
    else:
        assert verdict.reason.startswith(
            "the controller replaced from the highest ordinal down "
            "to partition 0: web-1, web-0; completed 26.4 s after "
            "the recording began (it began earlier, unseen)"
        )


@pytest.mark.parametrize(("moved", "outcome"), [(False, "pass"), (True, "fail")])
def test_a_recording_begun_mid_scale_up_judges_that_scale_up(
    tmp_path: Path, moved: bool, outcome: str
) -> None:
    # b59 edited to begin at web-7's ADDED (#3886): web-0..web-6 and the set (spec.replicas 14)
    # in the first list. The creations of web-7..web-13 are a scale-up 7→14 under way, judged
    # (they had no episode at all). Moved: web-9's ADDED (#3910) put before web-8 turned Ready
    # (#3908, rv 7825): a creation the monotonic walk would not make.
    session = "b59-event-spam-filter-rollout-orderedready"
    path = real_store(tmp_path, "cases8")
    _starting_at(path, session, 3886)
    if moved:
        move(path, 3910, 7822)
    result = verify(load_recording(path, session))
    first = result.episodes[0]
    assert (first.kind, first.summary) == (
        "scale-up",
        "web: scale-up 7→14 under way when the recording began (OrderedReady)",
    )
    creation = verdict_of(result, "ordinal-creation", "scale-up")
    assert creation.reason.startswith("created in ascending ordinal order: web-7, web-8, web-9, "
                                      "web-10, web-11, web-12, web-13")  # fmt: skip
    gating = verdict_of(result, "ordered-ready-gating", "scale-up")
    assert gating.outcome == outcome, gating.reason
    if moved:
        assert "web-9 was created while web-8 was" in gating.reason


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


def test_a_scheduling_wait_cites_the_schedulers_words_and_what_made_room(tmp_path: Path) -> None:
    # b49: web-2's PodScheduled False (#1830), web-9 gone from lab-node-0 (#1836, a client's
    # delete), web-2 bound there 5 ms later (#1837), then Ready (#1843): each cited on the hold.
    result = verify(
        load_recording(
            real_store(tmp_path, "cases8"), "b49-capacity-wait-foreign-web-9-orderedready"
        )
    )
    (hold,) = [h for e in result.episodes if e.progress for h in e.progress.holds]
    assert [e.change_id for e in hold.evidence] == [1829, 1830, 1836, 1837, 1843]
    assert hold.freed == "bound to lab-node-0 5 ms after web-9 there was gone, deleted by a client"


@pytest.mark.parametrize(
    ("store", "session"),
    [("cases12", "b51-unschedulable-rollout-revert-orderedready"),
     ("cases6", "b09-claim-deleted-pending-orderedready")],
)  # fmt: skip
def test_no_pod_is_said_to_make_room_where_room_was_not_the_cause(
    tmp_path: Path, store: str, session: str
) -> None:
    # b51: no node matched the selector; b09: the claim was unbound. A pod gone meanwhile (b51's
    # first web-2) made no room: no "there was gone" is told.
    told = _reasons_in(tmp_path, store, session)
    assert "to be scheduled" in told
    assert "there was gone" not in told


def test_a_new_set_tells_the_revisions_it_adopted_and_the_one_it_reused(tmp_path: Path) -> None:
    # b42: the set deleted with Orphan mid-rollout and created again with its first template; it
    # adopted both ControllerRevisions (#535, #536) and took web-67c9cbf9b4 (revision 1, bumped
    # to 3 at #541) as its update revision, rolling the adopted web-2, web-1 back to it.
    session = "b42-orphan-mid-rollout-readopt-old-orderedready"
    result = verify(load_recording(real_store(tmp_path, "cases8"), session))
    replaced = next(e for e in result.episodes if e.kind == "statefulset-replaced")
    assert replaced.progress is not None
    assert replaced.progress.text.endswith(
        "; so were the ControllerRevisions web-67c9cbf9b4, web-695d6f6c the earlier set left "
        "(adoptOrphanRevisions)"
    )
    rollout = [e for e in result.episodes if e.kind == "rolling-update"][-1]
    assert rollout.summary == (
        "web: rolling update of the pods it adopted to revision web-67c9cbf9b4 (an earlier set's "
        "ControllerRevision it adopted and reused for its template, its revision number 1→3: "
        "getStatefulSetRevisions; partition 0)"
    )


def test_a_new_set_with_a_new_template_reuses_no_revision(tmp_path: Path) -> None:
    # b37: the set created again with a new template adopts the old revision but makes its own.
    result = verify(load_recording(real_store(tmp_path, "cases6"),
                                   "b37-orphan-adopt-new-template-orderedready"))  # fmt: skip
    summaries = [e.summary for e in result.episodes]
    assert any("of the pods it adopted (their revision is another template's" in s
               for s in summaries)  # fmt: skip
    assert not any("reused" in s for s in summaries)


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_an_orphan_left_alone_says_which_label_kept_it_out(tmp_path: Path, policy: str) -> None:
    # b41: a client relabelled the orphan web-1 app=web -> app=other before the set came back;
    # ClaimPods adopted web-0 only, and web-1's name stayed taken until a client deleted it.
    told = _reasons_in(tmp_path, "cases9", f"b41-orphan-foreign-name-collision-{policy}")
    assert ("an orphan the set did not adopt: its label app=other does not match the selector "
            "app=web (ClaimPods adopts only the pods the selector matches)") in told  # fmt: skip


def test_an_adopted_orphan_is_never_said_to_be_left_alone(tmp_path: Path) -> None:
    # b11: the orphans kept their labels and were adopted: no name is held, no label blamed.
    told = _reasons(tmp_path, "b11-orphan-delete-adopt-orderedready")
    assert "did not adopt" not in told
    assert "does not match the selector" not in told


def test_a_failed_pods_replacement_mid_rollout_is_no_update_step(tmp_path: Path) -> None:
    # b77: web-0 (below the halted web-2) set Failed by a client (#233) and deleted by the
    # controller (#234, SuccessfulDelete #236): processReplica's, not the update walk's. Judged
    # as a replacement, it read as "web-0 was deleted while the replacement web-2 was not Ready".
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   "b77-failed-recreated-at-update-rev-orderedready"))  # fmt: skip
    assert not result.failed, [v.reason for v in result.verdicts if v.outcome == "fail"]


def test_the_gates_budget_step_is_no_progress_when_it_is_used_up(tmp_path: Path) -> None:
    # b77 under Parallel: after the revert the recording ran 120 s with web-2 and web-0 both
    # unavailable against maxUnavailable 1: no step allowed, so halted, not progressing.
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   "b77-failed-recreated-at-update-rev-parallel"))  # fmt: skip
    last = [e for e in result.episodes if e.kind == "rolling-update"][-1]
    assert last.progress is not None
    assert last.progress.state == "halted"
    assert "next step: replace" not in last.progress.text


def test_a_pod_deleted_and_not_created_again_is_an_episode(tmp_path: Path) -> None:
    # b84: a client deleted web-2 (#2203) while web-1 was not Ready; OrderedReady's walk stops
    # at web-1, so web-2 was not created again in the 60 s left: told, and where it stood.
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   "b84-service-late-publish-not-ready-orderedready"))  # fmt: skip
    (deleted,) = [e for e in result.episodes if e.kind == "pod-deleted"]
    assert deleted.summary.startswith("web-2 deleted, not created again in the recording")
    assert "deleted by a client" in deleted.summary
    assert deleted.progress is not None
    assert deleted.progress.state == "halted"
    assert "halted at web-1 (web-1 Running, not Ready)" in deleted.progress.text


def test_a_pod_deleted_and_created_again_is_no_pod_deleted_episode(tmp_path: Path) -> None:
    # b84 under Parallel: the controller created web-2 again at once.
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   "b84-service-late-publish-not-ready-parallel"))  # fmt: skip
    assert [e.kind for e in result.episodes if e.kind.startswith("pod-")] == ["pod-recreated"]


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_every_claim_template_is_told(tmp_path: Path, policy: str) -> None:
    # b85: templates data and logs, whenScaled Delete, 3→1→3: both claims of web-1 and web-2
    # were deleted by the retention policy and created again empty.
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   f"b85-two-claim-templates-when-scaled-{policy}"))  # fmt: skip
    verdict = verdict_of(result, "stable-storage", "scale-up", 1)
    assert verdict.outcome == "not-applicable"
    for claim in ("data-web-1", "logs-web-1", "data-web-2", "logs-web-2"):
        assert f"{claim} is a new claim" in verdict.reason


def test_a_new_ordinal_meanwhile_is_told_created_not_recreated(tmp_path: Path) -> None:
    # b83 under Parallel: web-3 came with ordinals.start 0→1 (#2127), its first incarnation.
    told = _reasons_in(tmp_path, "cases13", "b83-start-shift-mid-rollout-parallel")
    assert "meanwhile web-3 created at revision" in told
    assert "web-3 deleted and recreated" not in told


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_set_deletion_counts_only_what_it_removed(tmp_path: Path, policy: str) -> None:
    # b86: web-2 was being deleted for the update (a finalizer kept it) when the set was deleted;
    # the garbage collector then removed the other three within 2 ms.
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   f"b86-set-deleted-mid-rollout-held-{policy}"))  # fmt: skip
    verdict = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert verdict.reason.startswith("3 pods removed by the garbage collector (")
    assert "3 at once (within 1 s)" in verdict.reason
    assert "web-2 was already being deleted (by the StatefulSet controller, #" in verdict.reason


@pytest.mark.parametrize(
    ("session", "kind"),
    [("b77-failed-recreated-at-update-rev-orderedready", "rolling-update"),
     ("b90-succeeded-pod-ondelete-pending-orderedready", "ondelete-update")],
)  # fmt: skip
def test_a_finished_pods_replacement_during_an_update_is_a_recreation(
    tmp_path: Path, session: str, kind: str
) -> None:
    # b77: web-0 set Failed mid-rollout; b90: web-1 set Succeeded under OnDelete. The controller
    # deleted each and created it again at the update revision (processReplica): a recreation
    # with its own verdicts, not an update step nor left untold.
    result = verify(load_recording(real_store(tmp_path, "cases13"), session))
    (recreated,) = [e for e in result.episodes if e.kind == "pod-recreated"]
    assert "ended" in recreated.summary
    assert "deleted by the StatefulSet controller (its SuccessfulDelete Event)" in recreated.summary
    replaced = next(v for v in recreated.verdicts if v.proof == "failed-pod-replaced")
    assert replaced.outcome == "pass"
    assert [e.kind for e in result.episodes].count(kind) >= 1


def test_the_controller_deleting_a_pod_with_no_reason_fails(tmp_path: Path) -> None:
    # b92 edited: web-0 (below partition 2, at currentRevision) kept Running in the rows where a
    # client had set it Failed (#3944..#3946): the controller's delete (SuccessfulDelete) then had
    # none of its reasons (finished, condemned, behind the update revision).
    session = "b92-failed-below-partition-halted-orderedready"
    path = real_store(tmp_path, "cases13")
    assert not verify(load_recording(path, session)).failed
    rewrite(path, "UPDATE change SET object = json_remove(json_set(object, '$.status.phase', "
                  "'Running'), '$.status.reason') WHERE id BETWEEN 3944 AND 3946")  # fmt: skip
    result = verify(load_recording(path, session))
    verdict = verdict_of(result, "failed-pod-replaced", "pod-recreated")
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "the StatefulSet controller deleted web-0 (its "
        "SuccessfulDelete Event) though it had not finished running"
    )


def test_the_controller_deleting_a_running_pod_under_ondelete_fails(tmp_path: Path) -> None:
    # b90 edited: web-1 kept Running in the rows where a client had set it Succeeded
    # (#3637..#3639): under OnDelete the controller deletes no pod for the update.
    session = "b90-succeeded-pod-ondelete-pending-orderedready"
    path = real_store(tmp_path, "cases13")
    rewrite(path, "UPDATE change SET object = json_set(object, '$.status.phase', 'Running') "
                  "WHERE id BETWEEN 3637 AND 3639")  # fmt: skip
    verdict = verdict_of(verify(load_recording(path, session)), "rolling-update",
                         "ondelete-update")  # fmt: skip
    assert verdict.outcome == "fail"
    assert "deleted web-1 under OnDelete though it had not finished running" in verdict.reason


def test_a_pod_created_before_its_claim_existed_fails(tmp_path: Path) -> None:
    # b88 edited: the new web-1's ADDED (#3109) moved to rv 3751, after the old data-web-1 was
    # gone (rv 3750) and before the new one was created (#3101, rv 3752): CreateStatefulPod
    # creates the claims first, so no controller creates the pod there.
    session = "b88-claim-deleted-in-use-pod-deleted-orderedready"
    path = real_store(tmp_path, "cases13")
    assert not verify(load_recording(path, session)).failed
    move(path, 3109, 3751)
    verdict = verdict_of(verify(load_recording(path, session)), "ordinal-creation",
                         "pod-recreated")  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith("web-1 was created before its claim data-web-1 existed: "
                                     "CreateStatefulPod creates a pod's claims first")  # fmt: skip


def test_a_scale_down_completes_when_its_condemned_pods_are_gone(tmp_path: Path) -> None:
    # b80: scale 5→2 during a rollout halted at the never-Ready web-4: web-4, web-3, web-2 gone
    # (#1721..#1737); the walk then waits on the rollout's not-Ready web-1, which is no part of
    # the scale-down. It completed; it was told "did not complete … halted at web-1".
    path = real_store(tmp_path, "cases13")
    result = verify(load_recording(path, "b80-down-during-halt-then-new-template-orderedready"))
    (down,) = [e for e in result.episodes if e.kind == "scale-down"]
    assert down.progress is not None
    assert down.progress.state == "completed"
    assert "(its condemned pods gone: web-4, web-3, web-2)" in down.progress.text


def test_a_rollouts_deletion_outside_its_episode_says_it_was_the_updates(tmp_path: Path) -> None:
    # b80: after the scale-down the rollout went on in the smaller range: the controller
    # deleted web-1 (at the old revision) for the update, not as a repair.
    path = real_store(tmp_path, "cases13")
    result = verify(load_recording(path, "b80-down-during-halt-then-new-template-orderedready"))
    (recreated,) = [e for e in result.episodes if e.kind == "pod-recreated"]
    assert recreated.summary.endswith(
        "deleted by the StatefulSet controller (its SuccessfulDelete Event), for the update: it "
        "was at revision web-67c9cbf9b4, behind the update revision at or above the partition"
    )


def test_a_recreation_waiting_for_its_predecessor_says_what_kept_it(tmp_path: Path) -> None:
    # b76 under Parallel: the Failed web-1 stood Terminating 10 s, kept by a finalizer; its
    # replacement could only be created once it was gone.
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   "b76-failed-pod-finalizer-holds-scale-up-parallel"))  # fmt: skip
    (recreated,) = [e for e in result.episodes if e.kind == "pod-recreated"]
    assert recreated.progress is not None
    assert recreated.progress.text.endswith(
        "web-1 stood Terminating 10.0 s, kept by the finalizer example.com/hold until a client "
        "removed it (its DELETED event #160 still lists it: the update that took off the last "
        "finalizer deleted the pod and is not recorded; scenario step 'a client removes the "
        "finalizer from web-1')"
    )


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_service_made_headless_mid_rollout_serves_each_pods_live_incarnation(
    tmp_path: Path, policy: str
) -> None:
    # b100: web-hl, a ClusterIP Service, deleted and created headless by a client while the
    # rollout's web-2 was Terminating: that web-2 gets no record by design (a terminating
    # endpoint is not ready); the web-2 created after it does. No FAIL.
    session = f"b100-service-made-headless-mid-rollout-{policy}"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    assert not result.failed
    back = verdict_of(result, "stable-network-identity", "service-recreated")
    assert back.outcome == "pass", back.reason
    assert "web-2 (the one created after the Service: the web-2 before was Terminating)" in (
        back.reason
    )
    # web-3, recreated while web-hl was not headless, got its record once it was headless.
    rollout = verdict_of(result, "stable-network-identity", "rolling-update")
    assert rollout.outcome == "pass", rollout.reason
    assert "published once the Service web-hl was created headless (#" in rollout.reason
    assert "no per-pod DNS record can exist" not in rollout.reason


def test_a_service_made_headless_that_never_serves_the_new_pod_fails(tmp_path: Path) -> None:
    # b100 edited: no EndpointSlice change after the new web-2 was created (#86), so the
    # headless web-hl never served it: a Ready pod without its record.
    session = "b100-service-made-headless-mid-rollout-orderedready"
    path = real_store(tmp_path, "cases14")
    rewrite(path, "DELETE FROM change WHERE kind = 'EndpointSlice' AND id > 86")
    back = verdict_of(verify(load_recording(path, session)), "stable-network-identity",
                      "service-recreated")  # fmt: skip
    assert back.outcome == "fail"
    assert back.reason == "no EndpointSlice of the recreated Service served web-2 → 10.244.0.3"


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_set_without_service_name_loses_no_subdomain(tmp_path: Path, policy: str) -> None:
    # b110: spec.serviceName empty, so initIdentity sets an empty subdomain (omitted from the
    # object) on both incarnations of web-1: nothing lost, and no per-pod record can exist.
    session = f"b110-no-service-name-{policy}"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    assert not result.failed
    verdict = verdict_of(result, "stable-network-identity", "pod-recreated")
    assert verdict.outcome == "not-applicable", verdict.reason
    assert verdict.reason == (
        "web-1 kept its name and hostname; spec.serviceName is empty, so the controller gives "
        "its pods no subdomain and no per-pod DNS record can exist (no governing Service named)"
    )


def test_a_subdomain_set_where_service_name_is_empty_fails(tmp_path: Path) -> None:
    # b110 edited: the new web-1 (#2539 on) carries subdomain web-hl although the set names no
    # Service: not the identity initIdentity gives.
    session = "b110-no-service-name-orderedready"
    path = real_store(tmp_path, "cases14")
    life = lifecycles(path, session)
    new = pod(life, "web-1", 1)
    rewrite(path, "UPDATE change SET object = json_set(object, '$.spec.subdomain', 'web-hl') "
                  f"WHERE uid = '{new.uid}'")  # fmt: skip
    verdict = verdict_of(verify(load_recording(path, session)), "stable-network-identity",
                         "pod-recreated")  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-1 lost its subdomain: 'web-hl', not ''"


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_claim_a_client_deleted_before_the_scale_down_is_not_the_retention_policys(
    tmp_path: Path, policy: str
) -> None:
    # b108: a client deletes data-web-2 (kept by pvc-protection while web-2 runs); the
    # scale-down 3→2 (whenScaled: Delete) then gives it the Pod ownerReference: too late to be
    # what deleted it.
    told = _reasons_in(tmp_path, "cases14", f"b108-claim-deleted-then-scaled-down-{policy}")
    assert "data-web-2 was already being deleted by a client (#" in told
    assert ", not by the PVC retention policy" in told
    assert "deleted by the PVC retention policy (whenScaled: Delete)" not in told
    assert "the old claim was deleted by a client" in told


def test_a_claim_owned_by_its_pod_when_its_deletion_began_is_the_retention_policys(
    tmp_path: Path,
) -> None:
    # b108 edited: the claim's deletion (#2060) moved to just after web-2 was gone (#2069), with
    # the Pod ownerReference of #2062 on it (and #2062 not yet being deleted): then the garbage
    # collector deleted it, its owner gone (whenScaled: Delete).
    session = "b108-claim-deleted-then-scaled-down-orderedready"
    path = real_store(tmp_path, "cases14")
    spread(path, session)
    rewrite(path, "UPDATE change SET object = json_remove(object, '$.metadata.deletionTimestamp') "
                  "WHERE id = 2062")  # fmt: skip
    rewrite(path, "UPDATE change SET object = json_set(object, '$.metadata.ownerReferences', "
                  "json_extract((SELECT object FROM change WHERE id = 2062), "
                  "'$.metadata.ownerReferences')) WHERE id = 2060")  # fmt: skip
    move(path, 2060, 40315)
    told = "\n".join(v.reason for v in verify(load_recording(path, session)).verdicts)
    assert "the claim data-web-2 deleted by the PVC retention policy (whenScaled: Delete)" in told
    assert "already being deleted by a client" not in told


def test_a_claim_owned_by_a_pod_the_set_deletion_removed_is_told(tmp_path: Path) -> None:
    # b109: scale-down 4→2 (whenScaled: Delete) held at web-3 by a finalizer; the controller had
    # given data-web-2 its Pod ownerReference (#2322) but never deleted web-2; the set is then
    # deleted (whenDeleted: Retain) and the garbage collector removes web-2 and data-web-2.
    session = "b109-set-deleted-during-when-scaled-down-orderedready"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    verdict = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert verdict.outcome == "pass", verdict.reason
    assert verdict.reason.endswith(
        "; the claim data-web-2 deleted by the garbage collector with web-2: it carried the Pod "
        "ownerReference the StatefulSet controller sets on a condemned pod's claim for "
        "whenScaled: Delete, although whenDeleted is Retain, its data with it"
    )


@pytest.mark.parametrize(
    ("session", "told"),
    [("b103-terminating-ready-middle-down-up-parallel",
      "web-2 could be created only once the old web-2 was gone, 6.7 s after the episode began; "
      "web-2 stood Terminating 14.9 s, kept by the finalizer example.com/hold until a client "
      "removed it"),
     ("b105-partition-zero-held-terminating-parallel",
      "web-0 could be created only once the old web-0 was gone, 5.7 s after the episode began")],
)  # fmt: skip
def test_a_parallel_scale_up_tells_the_wait_for_a_terminating_predecessor(
    tmp_path: Path, session: str, told: str
) -> None:
    # Parallel scale-up while a condemned pod of the earlier scale-down is still kept by a
    # finalizer: its replacement can be created only once the name is free.
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    first, *_, last = [e for e in result.episodes if e.kind == "scale-up"]
    assert last.progress is not None
    assert told in last.progress.text
    assert told in next(v.reason for v in last.verdicts if v.proof == "parallel-described")
    # the first scale-up waited on nothing
    assert first.progress is not None
    assert "could be created only once" not in first.progress.text


@pytest.mark.parametrize(("before_gone_ms", "fails"), [(3000, True), (500, False)])
def test_a_pod_created_while_its_claim_is_deleted_under_ondelete(
    tmp_path: Path, before_gone_ms: int, fails: bool
) -> None:
    # b114 edited: the new web-1's ADDED (#3375) swapped with #3367 (rv 6480), so web-1 is
    # created before the old data-web-1 is gone (#3368, rv 6481), in an OnDelete episode; the
    # claim's deletion (#3359) put 3 s before the old web-1 was gone (#3364): the controller,
    # which saw that pod gone, had the claim's deletionTimestamp too, and CreateStatefulPod
    # refuses while a claim is being deleted. Put 0.5 s before it, its claim informer may
    # still have lagged: no fault.
    session = "b114-ondelete-claim-and-pod-deleted-orderedready"
    path = real_store(tmp_path, "cases14")
    move(path, 3367, 6487)
    move(path, 3375, 6480)
    rewrite(path, "UPDATE change SET received_wall_ns = (SELECT received_wall_ns FROM change "
                  "WHERE id = 3364) - ? WHERE id = 3359", before_gone_ms * 1_000_000)  # fmt: skip
    verdict = verdict_of(verify(load_recording(path, session)), "rolling-update",
                         "ondelete-update")  # fmt: skip
    if fails:
        assert verdict.outcome == "fail", verdict.reason
        assert verdict.reason.startswith(
            "web-1 was created while its claim data-web-1 was being deleted (since #3359), "
            "before a new data-web-1 existed"
        )
    else:
        assert verdict.outcome == "not-applicable", verdict.reason


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_service_recreated_not_headless_serves_no_record(tmp_path: Path, policy: str) -> None:
    # b118: web-hl, headless, deleted and created as a ClusterIP Service mid-rollout: its
    # slices list the pods' hostnames, but cluster DNS serves no per-pod name for it.
    session = f"b118-service-made-clusterip-mid-rollout-{policy}"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    assert not result.failed
    verdict = verdict_of(result, "stable-network-identity", "service-recreated")
    assert verdict.outcome == "not-applicable", verdict.reason
    assert verdict.reason.startswith("the recreated Service web-hl is not headless (clusterIP ")


@pytest.mark.parametrize(
    ("policy", "told"),
    [("parallel", "for 12.5 s, until the finalizer example.com/hold removed by a client and "
                  "web-1 gone"),
     ("orderedready", "for 13.1 s, until the finalizer example.com/hold removed by a client and "
                      "web-1 gone")],
)  # fmt: skip
def test_a_wait_for_a_terminating_pod_outlasts_a_partition_change(
    tmp_path: Path, policy: str, told: str
) -> None:
    # b96: the rollout deletes web-1, kept Terminating by a finalizer; a client raises the
    # partition to 4 (web-1 is no longer the update's) 8 s later, and removes the finalizer 4 s
    # after that. The recreation waited for the old web-1 until it was gone, under either policy.
    session = f"b96-partition-raised-victim-terminating-{policy}"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    recreated = next(e for e in result.episodes if e.kind == "pod-recreated")
    assert recreated.progress is not None
    assert told in recreated.progress.text
    assert "until StatefulSet web changed" not in recreated.progress.text


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_set_recreated_over_orphans_with_another_start_tells_its_scale(
    tmp_path: Path, policy: str
) -> None:
    # b99: created again with ordinals.start 1 over the orphans web-0..web-2, the set creates
    # web-3 and deletes web-0 (below its start): a scale-up and a scale-down of its own.
    session = f"b99-orphan-recreate-with-start-ordinal-{policy}"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    assert not result.failed
    kinds = [e.kind for e in result.episodes]
    assert kinds[-2:] == ["scale-up", "scale-down"], kinds
    up = result.episodes[-2]
    assert "scale-up of new ordinals around the 3 pods it adopted (ordinals.start 1" in up.summary
    if policy == "orderedready":
        verdict = verdict_of(result, "reverse-order-scale-down", "scale-down")
        assert verdict.outcome == "pass", verdict.reason
        assert verdict.reason.endswith("each after the previous was gone: web-0")
        created = next(v for v in up.verdicts if v.proof == "ordinal-creation")
        assert created.reason.startswith("created in ascending ordinal order: web-3;")


def test_a_condemned_orphan_deleted_before_the_new_pod_is_ready_fails(tmp_path: Path) -> None:
    # b99 edited: web-0's deletion (#4814) moved to just after web-3 was Running (#4808, rv
    # 9155), before web-3 was Ready (#4811): processCondemned waits for every in-range pod.
    session = "b99-orphan-recreate-with-start-ordinal-orderedready"
    path = real_store(tmp_path, "cases14")
    move(path, 4814, 9156)
    verdict = verdict_of(verify(load_recording(path, session)), "reverse-order-scale-down",
                         "scale-down")  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-0 deletion began while in-range web-3 was not Ready"


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_scale_up_in_the_update_patch_judges_only_its_new_ordinals(
    tmp_path: Path, policy: str
) -> None:
    # b122: one patch sets a new template and replicas 3→5: the controller creates web-3, web-4
    # (phase 1), then replaces web-2, web-1, web-0 for the update: those are the rollout's.
    session = f"b122-update-and-scale-up-one-patch-{policy}"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    assert not result.failed
    up = [e for e in result.episodes if e.kind == "scale-up"][-1]
    verdicts = {v.proof: v for v in up.verdicts}
    if policy == "orderedready":
        assert verdicts["ordinal-creation"].reason.startswith(
            "created in ascending ordinal order: web-3, web-4;"
        )
    else:
        assert verdicts["parallel-described"].reason.startswith(
            "burst width 2 (2 of 2 created before any was Ready); all Ready 1.21s"
        )


def test_an_update_deletion_before_the_condemned_pod_is_gone_fails(tmp_path: Path) -> None:
    # b121 edited: template change and 5→3 in one patch; web-2's deletion for the update (#6060)
    # moved to just after the condemned web-3's began (#6052, rv 758), before it was gone
    # (#6058): under OrderedReady processCondemned returns first while web-3 terminates.
    session = "b121-update-and-scale-down-one-patch-orderedready"
    path = real_store(tmp_path, "cases14")
    assert not verify(load_recording(path, session)).failed
    move(path, 6060, 759)
    verdict = verdict_of(verify(load_recording(path, session)), "rolling-update",
                         "rolling-update")  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-2 was deleted for the update while the condemned web-3 was still there"
    )


def test_a_failed_call_is_told_in_the_episode_of_the_pod_it_names(tmp_path: Path) -> None:
    # b130: FailedCreate ×4 'create Pod web-1 … pvc data-web-1 is being deleted' while both
    # web-2 and web-1 wait to be created again: web-1's episode tells it; web-2's and the
    # scale-up that had completed long before do not.
    session = "b130-two-claims-deleted-with-pods-orderedready"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    told = {e.summary.split(" ")[0] if e.kind == "pod-recreated" else e.kind: e.progress.text
            for e in result.episodes if e.progress is not None}  # fmt: skip
    assert "FailedCreate recorded 4 times" in told["web-1"]
    assert "calls failed" not in told["web-2"]
    assert "calls failed" not in told["scale-up"]


def test_a_finalizer_removed_by_an_unmarked_update_is_not_credited_to_anyone(
    tmp_path: Path,
) -> None:
    # b76 Parallel without the scenario's mark: the DELETED event still lists the finalizer, the
    # update that removed it is not recorded, and nothing else says who made it.
    path = real_store(tmp_path, "cases13")
    rewrite(path, "DELETE FROM mark WHERE id = ?", 18)
    result = verify(load_recording(path, "b76-failed-pod-finalizer-holds-scale-up-parallel"))
    (recreated,) = [e for e in result.episodes if e.kind == "pod-recreated"]
    assert recreated.progress is not None
    assert recreated.progress.text.endswith(
        "kept by the finalizer example.com/hold until an unrecorded update removed it (its "
        "DELETED event #160 still lists it: the update that took off the last finalizer deleted "
        "the pod and is not recorded)"
    )
    assert "client" not in recreated.progress.text.rsplit("kept by", 1)[1]


def test_a_rollout_cut_by_a_scale_down_tells_how_it_went_on(tmp_path: Path) -> None:
    # b80: the scale-down 5→2 cut the rollout halted at web-4; in the smaller range the same
    # sync went on and replaced web-1 (never Ready): halted there until the next template.
    path = real_store(tmp_path, "cases13")
    result = verify(load_recording(path, "b80-down-during-halt-then-new-template-orderedready"))
    rollout = next(e for e in result.episodes if e.kind == "rolling-update")
    assert rollout.progress is not None
    assert rollout.progress.state == "superseded"
    told = (
        "after the scale-down 5→2 (#1714) the rollout went on in the range 0..1 (web-3, web-2 "
        "were condemned instead of updated): replaced web-1 (deleted for the update #1739, "
        "created again at web-6666fcd678 #1745), then halted at web-1 (web-1 Running, not Ready) "
        "for 5.4 s, until the template changed again at #1755"
    )
    assert rollout.progress.text.endswith(told)
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    assert verdict.outcome == "pass"
    assert told in verdict.reason
    assert {1739, 1745, 1755} <= {e.change_id for e in verdict.evidence}


def test_a_rollout_cut_by_an_ordinals_shift_tells_its_completion(tmp_path: Path) -> None:
    # b83: ordinals.start 0→1 cut the rollout at web-1 (held by a finalizer); web-1 came back at
    # the update revision and the rollout completed in the range 1..3 (web-0 left the range).
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   "b83-start-shift-mid-rollout-orderedready"))  # fmt: skip
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    assert verdict.reason.endswith(
        "after ordinals.start 0→1 (#2022) the rollout went on in the range 1..3 (web-0 was "
        "condemned instead of updated): replaced web-1 (deleted for the update #2017, created "
        "again at web-695d6f6c #2027), then completed at #2057 (11.4 s after it was cut; every "
        "pod in range at web-695d6f6c and Ready)"
    )


def test_a_rollout_cut_by_another_update_is_not_said_to_go_on(tmp_path: Path) -> None:
    # b55: the partition raised mid-rollout is an update of its own (its own episode replaces
    # web-3 after it): the first rollout's episode tells no continuation.
    result = verify(load_recording(real_store(tmp_path, "cases8"),
                                   "b55-partition-raised-mid-rollout-orderedready"))  # fmt: skip
    rollout = next(e for e in result.episodes if e.kind == "rolling-update")
    assert rollout.progress is not None
    assert rollout.progress.state == "superseded"
    assert "went on" not in rollout.progress.text


def test_records_withdrawn_by_a_service_selector_are_told_beside_the_verdict(
    tmp_path: Path,
) -> None:
    # b91: the selector app=nobody (#3796) withdrew web-0's and web-2's records (#3797) while
    # they ran on; the selector restored (#3813) brought them back (#3814). Not the controller's.
    result = verify(load_recording(real_store(tmp_path, "cases13"),
                                   "b91-service-selector-emptied-orderedready"))  # fmt: skip
    verdict = verdict_of(result, "stable-network-identity", "pod-recreated")
    assert verdict.outcome == "pass"
    assert verdict.reason.endswith(
        "; meanwhile the DNS records of pods that ran on were withdrawn for the same cause (a "
        "change of the Service, which the StatefulSet controller never makes): web-0, web-2 at "
        "#3797, back at #3814 (8.1 s)"
    )
    assert {3796, 3797, 3813, 3814} <= {e.change_id for e in verdict.evidence}


def test_records_the_slice_kept_listing_are_not_said_withdrawn(tmp_path: Path) -> None:
    # b91 without the slice change that emptied it: the next slice change still lists web-0 and
    # web-2, so no record of theirs was seen withdrawn, and none is said to be.
    path = real_store(tmp_path, "cases13")
    rewrite(path, "DELETE FROM change WHERE id = ?", 3797)
    result = verify(load_recording(path, "b91-service-selector-emptied-orderedready"))
    verdict = verdict_of(result, "stable-network-identity", "pod-recreated")
    assert verdict.outcome == "pass"
    assert "published 3.1 s after web-1 was Ready" in verdict.reason
    assert "withdrawn" not in verdict.reason


def test_a_hold_on_a_finalizer_says_who_removed_it_when_deleted_still_lists_it(
    tmp_path: Path,
) -> None:
    # b76 OrderedReady (cases15): the scale-up is held at the Failed web-1 a finalizer keeps; its
    # DELETED (#51) still lists the finalizer (the update that took it off deleted the pod), and
    # the scenario's step says a client removed it. It read "until web-1 gone".
    path = real_store(tmp_path, "cases15")
    result = verify(load_recording(path, "b76-failed-pod-finalizer-holds-scale-up-orderedready"))
    verdict = verdict_of(result, "ordered-ready-gating", "pod-recreated")
    assert (
        "until the finalizer example.com/hold removed by a client (its DELETED event #51 still "
        "lists it: the update that took off the last finalizer deleted the pod and is not "
        "recorded; scenario step 'a client removes the finalizer from web-1') and web-1 gone, "
        "then web-1 created"
    ) in verdict.reason


def test_a_hold_on_a_finalizer_an_unmarked_update_removed_names_no_one(tmp_path: Path) -> None:
    # The same without the scenario's mark: nothing recorded says who removed the finalizer.
    path = real_store(tmp_path, "cases15")
    rewrite(path, "DELETE FROM mark WHERE label LIKE 'a client removes the finalizer%'")
    result = verify(load_recording(path, "b76-failed-pod-finalizer-holds-scale-up-orderedready"))
    verdict = verdict_of(result, "ordered-ready-gating", "pod-recreated")
    assert (
        "until the finalizer example.com/hold removed by an unrecorded update (its DELETED event "
        "#51 still lists it: the update that took off the last finalizer deleted the pod and is "
        "not recorded) and web-1 gone, then web-1 created"
    ) in verdict.reason


def test_records_back_under_another_matching_selector_are_told_back(tmp_path: Path) -> None:
    # b91 with the selector restored to another one that still matches every pod (#3813 selects
    # app=web and the pods' revision): the records came back all the same (#3814).
    path = real_store(tmp_path, "cases13")
    selector = '{"app": "web", "controller-revision-hash": "web-67c9cbf9b4"}'
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.spec.selector', json(?)) WHERE id = ?",
        selector,
        3813,
    )
    result = verify(load_recording(path, "b91-service-selector-emptied-orderedready"))
    verdict = verdict_of(result, "stable-network-identity", "pod-recreated")
    assert verdict.outcome == "pass"
    assert verdict.reason.endswith("web-0, web-2 at #3797, back at #3814 (8.1 s)")
    assert 3813 in {e.change_id for e in verdict.evidence}


def test_a_rollout_going_on_after_a_scale_up_is_judged_in_order(tmp_path: Path) -> None:
    # b126: a scale-up 3→5 cuts a rollout at web-2; the rollout goes on after it (web-1 #7425,
    # then web-0 #7445, each once the one before was Ready). Edited: web-0's deletion moved to
    # just after web-1's (rv 3263): two pods deleted for the update at once.
    session = "b126-scale-up-mid-rollout-orderedready"
    path = real_store(tmp_path, "cases14")
    result = verify(load_recording(path, session))
    assert not result.failed
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    went_on = "after the scale-up 3→5 (#7393) the rollout went on in the range 0..4: replaced web-1"
    assert went_on in verdict.reason
    move(path, 7445, 3263)
    verdict = verdict_of(verify(load_recording(path, session)), "rolling-update",
                         "rolling-update")  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith("web-0 was deleted while the replacement web-1 was not")


def test_a_parallel_scale_down_tells_no_transient_ready_count(tmp_path: Path) -> None:
    # lesson (Parallel): redis-4, redis-3 counted Ready for the moments before their kubelet
    # stops them: not the held Terminating pod of kubernetes#86209, not told.
    result = verify(load_recording(real_store(tmp_path, "lesson"), "lesson-parallel"))
    verdict = verdict_of(result, "parallel-described", "scale-down")
    assert verdict.outcome == "pass", verdict.reason
    assert "86209" not in verdict.reason


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_pod_that_stops_with_exit_0_on_its_deletion_did_not_finish_running(
    tmp_path: Path, policy: str
) -> None:
    # b203 (real nodes): a client deletes web-1; redis exits 0 on SIGTERM, so the kubelet sets
    # phase Succeeded after the deletion began: not a pod that finished running on its own.
    told = _reasons_in(tmp_path, "cases16", f"b203-real-claim-deleted-redis-{policy}")
    assert "ended Succeeded" not in told
    assert "before the controller did" not in told


def test_an_update_deletion_of_a_crash_looping_pod_fails(tmp_path: Path) -> None:
    # b201 (real nodes) edited: the crash-looping web-2 (not Ready since #250) deleted by a client
    # at #278 is made the controller's (a SuccessfulDelete Event just after): under OrderedReady
    # processReplica stops at the first pod not Running and Ready before any update step.
    session = "b201-real-crashloop-forced-rollback-orderedready"
    path = real_store(tmp_path, "cases16")
    assert not verify(load_recording(path, session)).failed
    spread(path, session)
    inserted = insert_controller_delete(path, 200, 278, "web-2")
    result = verify(load_recording(path, session))
    verdict = next(v for v in result.verdicts if v.outcome == "fail")
    assert verdict.proof == "rolling-update"
    assert verdict.reason.startswith(
        "the StatefulSet controller deleted web-2 for the update while web-2 was not Ready"
    )
    assert inserted > 0


def test_a_claim_deleted_by_a_client_before_the_set_is_not_the_retention_policys(
    tmp_path: Path,
) -> None:
    # b131: data-web-1 carries the set's ownerReference (whenDeleted: Delete) when a client
    # deletes it, 3 s before the set's deletion: the garbage collector deletes a dependent only
    # once its owner is going, so data-web-1 is the client's; data-web-0, data-web-2 went with
    # the set.
    session = "b131-claim-deleted-then-set-deleted-orderedready"
    result = verify(load_recording(real_store(tmp_path, "cases14"), session))
    verdict = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert verdict.reason.endswith(
        "; the claims data-web-0, data-web-2 removed with the set by the PVC retention policy "
        "(whenDeleted: Delete)"
    )


def test_a_recreated_pod_made_while_its_claim_is_deleted_fails(tmp_path: Path) -> None:
    # b203 (real nodes) edited: the new web-1's ADDED (#617) moved to just after the old web-1
    # was gone (#612), before the old data-web-1 was (#613; its deletion began #602, 3.6 s
    # earlier) and before the new claim (#616): the controller, which saw the old pod gone, had
    # the claim's deletionTimestamp too.
    session = "b203-real-claim-deleted-redis-orderedready"
    path = real_store(tmp_path, "cases16")
    assert not verify(load_recording(path, session)).failed
    spread(path, session)
    move(path, 617, 14761)
    verdict = verdict_of(verify(load_recording(path, session)), "ordinal-creation",
                         "pod-recreated")  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-1 was created while its claim data-web-1 was being deleted (since #602)"
    )


def test_a_clusterip_service_promises_no_per_pod_record_though_coredns_answers(
    tmp_path: Path,
) -> None:
    # b206 (real nodes): the governing Service has a cluster IP; CoreDNS answered the per-pod
    # name web-1.web-svc… with the new web-1's IP (an endpoint query): no record is promised
    # (the DNS specification's headless rule), not "none can exist".
    told = _reasons_in(tmp_path, "cases16", "b206-real-clusterip-service-nslookup-orderedready")
    assert "no per-pod DNS record is promised: Service web-svc is not headless" in told
    assert "CoreDNS still answers <pod>.web-svc" in told
    assert "answered 10.245.198.38, the new web-1's IP (mark #109)" in told
    assert "no per-pod DNS record can exist" not in told


def test_a_condemned_pod_deleted_before_its_claim_names_it_fails(tmp_path: Path) -> None:
    # b102 (ordinals.start 3→1, whenScaled: Delete): the controller gives data-web-5 its Pod
    # ownerReference (#792) before deleting web-5 (#796). Edited: data-web-5 never carries one.
    session = "b102-start-ordinal-decreased-when-scaled-orderedready"
    path = real_store(tmp_path, "cases14")
    assert not verify(load_recording(path, session)).failed
    rewrite(path, "UPDATE change SET object = json_remove(object, '$.metadata.ownerReferences') "
                  "WHERE kind = 'PersistentVolumeClaim' AND name = 'data-web-5'")  # fmt: skip
    verdict = verdict_of(verify(load_recording(path, session)), "claim-owner-references",
                         "scale-down")  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "the StatefulSet controller deleted the condemned web-5 while its claim data-web-5 had no "
        "ownerReference to it, although whenScaled: Delete"
    )


def test_a_pod_ready_only_while_terminating_is_not_the_scale_ups(tmp_path: Path) -> None:
    # b205 (real nodes, Parallel): scale 2→4; the set is deleted before web-2's probe passes; the
    # kubelet keeps probing the Terminating web-2, which turns Ready 6.6 s after its set was
    # gone: the scale-up had 1 of 2 Ready, not "all Ready 8.69s".
    session = "b205-real-set-deleted-slow-stop-parallel"
    result = verify(load_recording(real_store(tmp_path, "cases16"), session))
    up = [e for e in result.episodes if e.kind == "scale-up"][-1]
    burst = next(v for v in up.verdicts if v.proof == "parallel-described")
    assert "1 of 2 became Ready within the episode (web-2 deleted before Ready)" in burst.reason
    assert "all Ready" not in burst.reason


def test_a_pod_created_while_its_predecessor_still_exists_fails(tmp_path: Path) -> None:
    # b207 (real nodes) edited: the new web-1's ADDED (#1517) moved to just after #1508, before
    # the old web-1, Terminating on a node whose kubelet had stopped, was gone (#1516): two pods
    # of one name at once, which neither the API server nor the controller allows.
    session = "b207-real-kubelet-stopped-orderedready"
    path = real_store(tmp_path, "cases16")
    assert not verify(load_recording(path, session)).failed
    spread(path, session)
    move(path, 1517, 32361)
    verdict = verdict_of(verify(load_recording(path, session)), "ordinal-creation",
                         "pod-recreated")  # fmt: skip
    assert verdict.outcome == "fail"
    assert "still existed (gone at #1516)" in verdict.reason


def test_a_settled_scale_down_is_timed_by_its_condemned_pods(tmp_path: Path) -> None:
    # b211 (real nodes, Parallel): the condemned web-3, web-2 gone 2.9 s after the scale-down
    # 4→2; the set settled 5.9 s later, when the in-range web-0's probe passed again: not the
    # scale-down's own work.
    told = _reasons_in(tmp_path, "cases16", "b211-real-probe-halts-scale-down-parallel")
    assert (
        "completed within the episode in 2.9 s (its condemned pods gone: web-3, web-2); the "
        "set then stood 5.9 s more before it settled: waiting: web-0 not Ready"
    ) in told


def test_a_rollout_tells_status_counting_its_terminating_ready_pod(tmp_path: Path) -> None:
    # b209 (real nodes): each pod the rollout deletes ignores SIGTERM and stays Terminating and
    # Ready until its grace period ends; status.readyReplicas counts it (kubernetes#86209).
    session = "b209-real-terminating-ready-rollout-orderedready"
    result = verify(load_recording(real_store(tmp_path, "cases16"), session))
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    assert verdict.outcome == "pass", verdict.reason
    assert (
        "status.readyReplicas was 3 at #1848, counting the Terminating but still Ready web-2 "
        "(upstream behaviour, kubernetes#86209)"
    ) in verdict.reason


def test_a_terminating_hold_no_finalizer_keeps_names_its_grace_period(tmp_path: Path) -> None:
    # b209 (real nodes): the rollout's web-2 ignores SIGTERM; no finalizer keeps it, its grace
    # period does (8 s, then SIGKILL): the hold says so, not only "terminating".
    session = "b209-real-terminating-ready-rollout-orderedready"
    told = _reasons_in(tmp_path, "cases16", session)
    assert (
        "held at web-2 (terminating: deleted by the StatefulSet controller, in its grace period "
        "of 8 s (deletionGracePeriodSeconds)) for 11.0 s, until web-2 gone"
    ) in told


# Round five (cases18): the controller was right each time.


def test_update_step_reads_the_revision_label_a_client_rewrote(tmp_path: Path) -> None:
    """b143: a client sets web-1's controller-revision-hash to web-tampered; the update step
    (getPodRevision reads the label) deletes it and processReplica creates it again. Not a
    deletion 'with none of the controller's reasons', and the pod was not 'at' the update
    revision when deleted: its label said otherwise."""
    path = real_store(tmp_path, "cases18")
    for policy in ("orderedready", "parallel"):
        result = verify(load_recording(path, f"b143-revision-label-tampered-{policy}"))
        assert not result.failed, policy
        recreated = next(e for e in result.episodes if e.kind == "pod-recreated")
        assert (
            "deleted by the StatefulSet controller (its SuccessfulDelete Event), for the update: "
            "its controller-revision-hash label read web-tampered (changed after it was created "
            "at web-67c9cbf9b4), not the update revision"
        ) in recreated.summary


def test_pod_a_client_created_is_not_the_scale_ups_creation(tmp_path: Path) -> None:
    """b144: web-3 created by a client (no ownerReference) during a 0→2 scale-up, adopted,
    deleted as condemned, later created by the controller: no gating FAIL, and told."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b144-client-pod-adopted-mid-scale-up-orderedready"))
    assert not result.failed
    creation = verdict_of(result, "ordinal-creation", "scale-up")
    assert creation.reason.startswith("created in ascending ordinal order: web-0, web-1;")
    assert creation.reason.endswith(
        "web-3 (uid cff7d3b7-6370-4888-961a-b7d7f33c05aa) was created by a client without an "
        "ownerReference, adopted by the StatefulSet controller (ClaimPods), deleted by the "
        "StatefulSet controller: not a creation of this scale-up"
    )
    assert [e.change_id for e in creation.evidence][-3:] == [154, 158, 159]
    parallel = verify(load_recording(path, "b144-client-pod-adopted-mid-scale-up-parallel"))
    described = verdict_of(parallel, "parallel-described", "scale-up")
    assert described.reason.startswith("burst width 2 (2 of 2 created")


def test_condemned_pod_a_client_was_already_deleting(tmp_path: Path) -> None:
    """b148: a client deletes web-2 a moment before replicas 3→2: the scale-down deletes
    nothing of its own (processCondemned skips a terminating pod), and says whose it was."""
    path = real_store(tmp_path, "cases18")
    already = (
        "web-2 was already being deleted by a client when the scale-down began, so it needed no "
        "deletion of its own"
    )
    ordered = verify(load_recording(path, "b148-client-delete-lag-scale-down-orderedready"))
    down = verdict_of(ordered, "reverse-order-scale-down", "scale-down")
    assert down.reason == f"the controller deleted no condemned pod in this episode; {already}"
    parallel = verify(load_recording(path, "b148-client-delete-lag-scale-down-parallel"))
    described = verdict_of(parallel, "parallel-described", "scale-down")
    assert (described.outcome, described.reason) == (
        "not-applicable",
        f"no condemned pod was deleted in this episode; {already}",
    )
    assert [e.change_id for e in described.evidence] == [877]


def test_ondelete_recreation_waits_are_holds(tmp_path: Path) -> None:
    """b149: OnDelete, minReadySeconds 4; a client deletes web-2 and web-0: web-2 waits until
    web-0 is Available, told as a hold; the scale-up's completion after its last change says
    why the header's span is shorter."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b149-ondelete-minready-two-hand-deletes-orderedready"))
    assert not result.failed
    up, ondelete = result.episodes[0], result.episodes[1]
    assert up.progress is not None
    assert ondelete.progress is not None
    assert up.progress.text.startswith(
        "completed within the episode in 20.8 s, 4.0 s after its last recorded change (when its "
        "last pod became Available, minReadySeconds after Ready: a moment, not a change)"
    )
    assert ondelete.kind == "ondelete-update"
    assert [h.pod for h in ondelete.progress.holds] == ["web-0"]
    assert ondelete.progress.text.endswith(
        "; held at web-0 (not Ready 1.5 s, then not Available 4.0 s (minReadySeconds=4)) for "
        "8.0 s, until web-0 Available, then web-2 created 2.4 s later (at the controller's "
        "requeue after minReadySeconds: enqueueSSAfter)"
    )


def test_claims_given_owners_after_the_set_went_are_all_told(tmp_path: Path) -> None:
    """b150: whenDeleted flipped to Delete and the set deleted at once: data-web-0 got the set's
    ownerReference before the set went, data-web-1 and data-web-2 from a sync a moment later;
    the garbage collector removed all three, and all three are named."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b150-when-deleted-flip-then-set-deleted-orderedready"))
    deletion = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert deletion.reason.endswith(
        "; the claims data-web-0, data-web-1, data-web-2 removed with the set by the PVC "
        "retention policy (whenDeleted: Delete)"
    )


def test_pod_a_client_deleted_while_the_set_was_held_is_not_the_collectors(
    tmp_path: Path,
) -> None:
    """b153: the set's deletion held 10.7 s by its finalizer (background deletion: the garbage
    collector acts once the set is gone); web-1, deleted by a client meanwhile, is the client's."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b153-set-finalizer-delete-held-orderedready"))
    deletion = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert deletion.reason.startswith(
        "2 pods removed by the garbage collector (web-2, web-0), 2 at once (within 1 s)"
    )
    assert (
        "; the set was kept 10.7 s by its finalizer example.com/keep, and the garbage collector "
        "removed its pods only once it was gone (background deletion); web-1 deleted by a client "
        "while the set was being deleted, and not created again"
    ) in deletion.reason


def test_revision_labels_a_client_rewrote_are_what_the_controller_reads(tmp_path: Path) -> None:
    """b157: web-2 relabelled to the update revision: the update step skips it (getPodRevision)
    and replaces web-3, web-1, web-0; b162 (OnDelete): status counts the pods by their labels
    (computeReplicaStatus); b158: a client's web-2 without the label is replaced for the update."""
    path = real_store(tmp_path, "cases18")
    forged = verify(load_recording(path, "b157-revision-label-forged-updated-orderedready"))
    assert not forged.failed
    rollout = verdict_of(forged, "rolling-update", "rolling-update", 1)
    assert rollout.reason.startswith(
        "the controller replaced from the highest ordinal down to partition 0: web-3, web-1, web-0"
        "; completed within the episode"
    )
    progress = [e.progress for e in forged.episodes if e.kind == "rolling-update"][1]
    assert progress is not None
    assert progress.state == "completed"  # the replay reads the label too: nothing left to do
    rewritten = verify(load_recording(path, "b162-ondelete-revision-labels-rewritten-orderedready"))
    status = verdict_of(rewritten, "status-matches-pods", "ondelete-update")
    assert status.outcome == "pass"
    assert "currentReplicas 1, updatedReplicas 2" in status.reason
    client = verify(load_recording(path, "b158-client-pod-in-range-during-hold-orderedready"))
    assert not client.failed
    recreated = next(e for e in client.episodes if e.kind == "pod-recreated")
    assert "for the update: it had no controller-revision-hash label" in recreated.summary


def test_partition_counts_from_the_start_ordinal(tmp_path: Path) -> None:
    """b163: ordinals.start 1, partition 2: web-2 is below 1 + 2 = 3, so it comes back at
    currentRevision; the words say so, not 'below partition 2'."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b163-partition-relative-to-start-orderedready"))
    creation = verdict_of(result, "ordinal-creation", "pod-recreated")
    assert creation.reason.endswith("gives ordinal 2 (below ordinals.start 1 + partition 2 = 3)")


def test_halted_rollout_promoted_at_zero_replicas_is_told(tmp_path: Path) -> None:
    """b164: a rollout halted at a never-Ready web-2, scaled to 0: completeRollingUpdate promotes
    currentRevision to the broken revision (kubernetes#121534's rule, partition 0); the next
    scale-up's web-0 comes at it and halts, and the creation says where the revision came from."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b164-scale-zero-promotes-broken-rev-orderedready"))
    status = verdict_of(result, "status-matches-pods", "scale-down")
    assert status.reason.endswith(
        "; with 0 replicas the unfinished rollout counts as complete: currentRevision was "
        "promoted from web-67c9cbf9b4 to web-6666fcd678 (completeRollingUpdate counts 0 of 0 "
        "pods updated as a finished rollout; kubernetes#121534), so that revision is now the "
        "set's current one"
    )
    creation = verdict_of(result, "ordinal-creation", "scale-up", 1)
    assert creation.reason.endswith(
        "web-0 came at web-6666fcd678, the revision of a rollout that had not finished when "
        "status.currentRevision was promoted to it at 0 replicas (completeRollingUpdate counts 0 "
        "of 0 pods updated as a finished rollout; kubernetes#121534)"
    )
    first = verdict_of(result, "ordinal-creation", "scale-up")
    assert "came at" not in first.reason  # the first scale-up: no promotion before it


def test_claim_a_finalizer_kept_is_not_said_removed(tmp_path: Path) -> None:
    """b169: whenDeleted: Delete and the set deleted while a client's finalizer holds
    data-web-1: two claims removed, the third deleted but still present at the end."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b169-when-deleted-claim-held-finalizer-orderedready"))
    deletion = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert deletion.reason.endswith(
        "; the claims data-web-0, data-web-2 removed with the set by the PVC retention policy "
        "(whenDeleted: Delete); the claim data-web-1 deleted too (whenDeleted: Delete) but still "
        "present, Terminating, when the recording ended (a finalizer kept it)"
    )


def test_pod_adopted_back_at_once_is_the_sets_throughout(tmp_path: Path) -> None:
    """b173, b176: a client strips a pod's ownerReferences and ClaimPods adopts it back the same
    moment: no halt at it, no gating or rollout FAIL (it was the set's, Running and Ready)."""
    path = real_store(tmp_path, "cases18")
    for session in (
        "b173-owner-reference-removed-orderedready",
        "b176-owner-ref-removed-mid-rollout-orderedready",
    ):
        result = verify(load_recording(path, session))
        assert not result.failed, session
        for episode in result.episodes:
            assert episode.progress is not None
            assert episode.progress.state == "completed", (session, episode.progress.text)


def test_previous_spec_excuses_a_revision_only_if_it_would_create_the_pod(
    tmp_path: Path,
) -> None:
    """b163 edited to partition 3 (ordinals.start 1): web-3, new with the start change, comes at
    the update revision though 3 < 1 + 3. The spec before the start change (start 0, replicas
    3: web-3 out of range) cannot excuse it, cache lag or not."""
    path = real_store(tmp_path, "cases18")
    session = "b163-partition-relative-to-start-orderedready"
    rewrite(
        path,
        "UPDATE change SET object = json_set(object,"
        " '$.spec.updateStrategy.rollingUpdate.partition', 3) WHERE kind = 'StatefulSet'"
        " AND session_id = (SELECT id FROM session WHERE name = ?)",
        session,
    )
    result = verify(load_recording(path, session))
    creation = verdict_of(result, "ordinal-creation", "scale-up", 1)
    assert creation.outcome == "fail"
    assert creation.reason.startswith(
        "web-3 was created at revision web-695d6f6c, but newVersionedStatefulSetPod gives ordinal 3"
    )


def test_revision_deleted_while_named_is_not_truncate_history(tmp_path: Path) -> None:
    """b179: a client deletes the ControllerRevision status.currentRevision names: not
    truncateHistory, which marks live every revision the status or a pod names."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b179-current-revision-deleted-orderedready"))
    history = next(v for v in result.verdicts if v.proof == "revision-history")
    assert "; deleted: " not in history.reason
    assert history.reason.endswith(
        "; web-67c9cbf9b4 (revision 1) deleted while status.currentRevision named it: not by "
        "truncateHistory, which never deletes a revision the status or a pod names"
    )


def test_controller_deletion_without_reason_fails_without_a_recreation(tmp_path: Path) -> None:
    """b84 edited: web-2, in range, Running and at the update revision, deleted 'by the
    controller' (a SuccessfulDelete inserted) and not created again in the recording: judged as
    a recreated pod's deletion is (none of the controller's reasons), not left without a verdict."""
    path = real_store(tmp_path, "cases13")
    session = "b84-service-late-publish-not-ready-orderedready"
    assert not verify(load_recording(path, session)).failed
    spread(path, session)
    insert_controller_delete(path, 2167, 2203, "web-2")  # from its SuccessfulCreate #2167
    result = verify(load_recording(path, session))
    failed = [v for v in result.verdicts if v.outcome == "fail"]
    assert [v.proof for v in failed] == ["failed-pod-replaced"]
    assert failed[0].reason.startswith(
        "the StatefulSet controller deleted web-2 (its SuccessfulDelete Event) though it had not "
        "finished running, was in range"
    )


def test_an_event_seen_before_the_pod_is_not_about_its_deletion(tmp_path: Path) -> None:
    """b182: the rollout's SuccessfulDelete for the first web-2 came 0.8 s before a client
    deleted the fresh web-2 (Events name pods, not uids): the second deletion is the client's,
    and the rollout waits on the web-2 processReplica created after it."""
    path = real_store(tmp_path, "cases18")
    result = verify(load_recording(path, "b182-client-deletes-fresh-replacement-orderedready"))
    assert not result.failed
    recreated = next(e for e in result.episodes if e.kind == "pod-recreated")
    assert "deleted by a client" in recreated.summary
    rollout = verdict_of(result, "rolling-update", "rolling-update")
    assert rollout.reason.startswith(
        "the controller replaced from the highest ordinal down to partition 0: web-2, web-1, web-0"
    )


def test_controller_deletion_below_the_partition_fails(tmp_path: Path) -> None:
    """b171 edited: web-0's deletion and its SuccessfulDelete moved to while partition was still
    1 (before #5452 lowered it): the update step never deletes below the partition."""
    path = real_store(tmp_path, "cases18")
    session = "b171-max-unavailable-all-at-once-orderedready"
    assert not verify(load_recording(path, session)).failed
    spread(path, session)
    for change_id, rv in ((5453, 6551), (5455, 6552)):  # just after #5450 (rv 655)
        rewrite(
            path,
            "UPDATE change SET resource_version = ?, received_wall_ns ="
            " (SELECT received_wall_ns FROM change WHERE id = 5450) + ? WHERE id = ?",
            str(rv), rv - 6550, change_id,
        )  # fmt: skip
    result = verify(load_recording(path, session))
    failed = [v for v in result.verdicts if v.outcome == "fail"]
    assert [v.proof for v in failed] == ["rolling-update"]
    assert failed[0].reason.startswith(
        "the StatefulSet controller deleted web-0 below partition 1 with none of its reasons"
    )


# The lead's recordings (cases20).


def test_update_walk_replaces_a_fresh_pod_relabelled_away(tmp_path: Path) -> None:
    """b301: the rollout's new web-2 (created at the update revision) is relabelled web-tampered
    by a client; the update walk reads the label (getPodRevision) and replaces it again. Not
    'already at the update revision': told as a second replacement, both policies."""
    path = real_store(tmp_path, "cases20")
    for policy in ("orderedready", "parallel"):
        result = verify(load_recording(path, f"b301-updated-pod-relabelled-mid-rollout-{policy}"))
        assert not result.failed, policy
        rollout = verdict_of(result, "rolling-update", "rolling-update")
        assert rollout.reason.startswith(
            "the controller replaced from the highest ordinal down to partition 0: web-2, web-1, "
            "web-0 (web-2 replaced again: its controller-revision-hash label was rewritten to "
            "web-tampered after it was created at web-6df59cbb79, and the update walk replaces a "
            "pod whose label is not the update revision, getPodRevision)"
        ), policy
    cited = verdict_of(
        verify(load_recording(path, "b301-updated-pod-relabelled-mid-rollout-orderedready")),
        "rolling-update",
        "rolling-update",
    ).evidence
    assert [(e.change_id, e.note) for e in cited][-2:] == [
        (66, "web-2 relabelled web-tampered"),
        (68, "web-2 deleted again"),
    ]


def test_controller_deleting_a_pod_at_the_update_revision_still_fails(tmp_path: Path) -> None:
    """b301 edited: the relabel undone (web-2's label reads the update revision throughout), so
    the controller's second deletion of web-2 had none of its reasons: FAIL."""
    path = real_store(tmp_path, "cases20")
    session = "b301-updated-pod-relabelled-mid-rollout-orderedready"
    rewrite(
        path,
        "UPDATE change SET object = json_set(object,"
        " '$.metadata.labels.controller-revision-hash', 'web-6df59cbb79')"
        " WHERE id IN (66, 68, 73, 74)",
    )  # fmt: skip
    result = verify(load_recording(path, session))
    failed = [v for v in result.verdicts if v.outcome == "fail"]
    assert [v.proof for v in failed] == ["rolling-update", "failed-pod-replaced"]
    assert failed[0].reason.startswith(
        "the controller deleted web-2, already at the update revision web-6df59cbb79"
    )
    assert "was in range and at revision web-6df59cbb79, needing no update" in failed[1].reason


def test_recreation_held_at_a_lower_pod_a_client_deleted_too(tmp_path: Path) -> None:
    """b168: a client deletes web-2 and web-0 together; processReplica waits for the recreated
    web-0 to be Ready before it creates web-2: told in web-2's episode, and gating cites web-0's
    Ready (the gate), not web-1's."""
    path = real_store(tmp_path, "cases20")
    result = verify(load_recording(path, "b168-two-pods-deleted-held-orderedready"))
    assert not result.failed
    web2 = next(e for e in result.episodes if e.kind == "pod-recreated" and "web-2" in e.summary)
    assert web2.progress is not None
    assert web2.progress.text == (
        "completed within the episode in 4.2 s; held at web-0 (not Ready) for 1.7 s, until web-0 "
        "Ready, then web-2 created"
    )
    gating = next(v for v in web2.verdicts if v.proof == "ordered-ready-gating")
    assert [(e.change_id, e.note) for e in gating.evidence] == [
        (316, "web-0 Ready"),
        (318, "web-2 created"),
    ]
    web0 = next(e for e in result.episodes if e.kind == "pod-recreated" and "web-0" in e.summary)
    assert web0.progress is not None
    assert web0.progress.text == "completed within the episode in 2.4 s"
