"""Verdicts on real recordings from the lab, and on mutated copies that must fail."""

from pathlib import Path

from stswatch.reports.proofs.explain import why_inconclusive
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import PROOFS as PROOF_REGISTRY
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import lifecycles, move, pod, real_store, rewrite
from tests.fixtures.verdicts import verdict_of

ORDERED = "lesson-orderedready"


def _verify(path: Path, session: str = ORDERED) -> VerifyResult:
    return verify(load_recording(path, session))


def _outcomes(result: VerifyResult, proof: str) -> set[str]:
    return {v.outcome for v in result.verdicts if v.proof == proof}


def test_lesson_ordered_ready_all_pass(tmp_path: Path) -> None:
    result = _verify(real_store(tmp_path, "lesson"))
    assert result.basis == "resourceVersion"
    assert result.count("fail") == result.count("inconclusive") == 0
    assert [e.kind for e in result.episodes] == [
        "scale-up", "pod-recreated", "scale-up", "scale-down", "rolling-update",
        "service-deleted", "pod-recreated",
    ]  # fmt: skip
    for proof in (
        "ordinal-creation", "ordered-ready-gating", "reverse-order-scale-down", "rolling-update",
        "stable-storage", "homework-1",
    ):  # fmt: skip
        assert _outcomes(result, proof) == {"pass"}, proof
    identity = [
        v for e in result.episodes for v in e.verdicts if v.proof == "stable-network-identity"
    ]
    # redis-2 recreated while the headless Service was deleted (homework 1): no record can exist
    assert [v.outcome for v in identity] == ["pass", "pass", "not-applicable"]
    assert "Service redis-headless was absent" in identity[2].reason


def test_lesson_parallel(tmp_path: Path) -> None:
    result = _verify(real_store(tmp_path, "lesson"), "lesson-parallel")
    assert result.count("fail") == 0
    assert _outcomes(result, "ordered-ready-gating") == {"not-applicable"}
    assert _outcomes(result, "parallel-described") == {"pass"}
    described = verdict_of(result, "parallel-described", "scale-up")
    assert described.reason.startswith("burst width 3")


def test_halt_cites_the_held_pod(tmp_path: Path) -> None:
    result = _verify(real_store(tmp_path, "halt"), "halt-orderedready")
    assert result.count("fail") == 0
    gating = verdict_of(result, "ordered-ready-gating", "scale-up", nth=1)
    assert gating.outcome == "pass"
    assert (
        "held at redis-0 (not Ready) for 6.2 s, until redis-0 Ready, then redis-1" in gating.reason
    )
    held = [e for e in gating.evidence if e.note.startswith("held at")]
    assert [e.name for e in held] == ["redis-0"]
    parallel = _verify(real_store(tmp_path, "halt"), "halt-parallel")
    gating = verdict_of(parallel, "ordered-ready-gating", "scale-up", nth=1)
    assert gating.outcome == "not-applicable"
    assert "2 creations happened while a lower ordinal was unready" in gating.reason


def test_successor_before_predecessor_ready_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    life = lifecycles(path, ORDERED)
    ready = pod(life, "redis-0").first("ready")
    assert ready is not None
    move(path, pod(life, "redis-1").created.change_id, int(ready.resource_version) - 1)
    result = _verify(path)
    gating = verdict_of(result, "ordered-ready-gating", "scale-up")
    assert gating.outcome == "fail"
    assert gating.reason == "redis-1 was created while redis-0 was not Ready"
    assert result.failed


def test_out_of_order_creation_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    life = lifecycles(path, ORDERED)
    first = pod(life, "redis-1").created
    move(path, pod(life, "redis-2").created.change_id, int(first.resource_version) - 1)
    result = _verify(path)
    assert verdict_of(result, "ordinal-creation", "scale-up").outcome == "fail"


def test_scale_down_out_of_order_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    life = lifecycles(path, ORDERED)
    gone = pod(life, "redis-4").deleted
    terminating = pod(life, "redis-3").terminating
    assert gone is not None
    assert terminating is not None
    move(path, terminating.change_id, int(gone.resource_version) - 1)
    verdict = verdict_of(_verify(path), "reverse-order-scale-down", "scale-down")
    assert verdict.outcome == "fail"
    assert verdict.reason == "redis-3 began terminating before redis-4 was gone"


def test_rolling_update_before_replacement_ready_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    life = lifecycles(path, ORDERED)
    ready = pod(life, "redis-2", nth=1).first("ready")
    deletion = pod(life, "redis-1").terminating
    assert ready is not None
    assert deletion is not None
    move(path, deletion.change_id, int(ready.resource_version) - 1)
    verdict = verdict_of(_verify(path), "rolling-update", "rolling-update")
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith("redis-1 was deleted while the replacement redis-2 was")


def test_lost_subdomain_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    new = pod(lifecycles(path, ORDERED), "redis-0", nth=1)
    drop = "UPDATE change SET object = json_remove(object, '$.spec.subdomain') WHERE uid = ?"
    rewrite(path, drop, new.uid)
    verdict = verdict_of(_verify(path), "stable-network-identity", "pod-recreated")
    assert verdict.outcome == "fail"
    assert "lost its subdomain" in verdict.reason


def test_claim_rebound_to_another_volume_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    life = lifecycles(path, ORDERED)
    created = pod(life, "redis-0", nth=1).created
    claim = next(c for c in life.pvcs if c.name == "data-redis-0" and c.namespace)
    bound = next(t for t in claim.transitions if t.what == "bound")
    # The same claim uid is bound to another PV just before redis-0 returns: its data is gone.
    copy = (
        "INSERT INTO change (session_id, run_id, kind, namespace, name, uid, event, "
        "resource_version, observed, received_wall_ns, received_mono_ns, written_wall_ns, object) "
        "SELECT session_id, run_id, kind, namespace, name, uid, 'MODIFIED', ?, observed, "
        "received_wall_ns, received_mono_ns, written_wall_ns, "
        "json_set(object, '$.spec.volumeName', 'pv-forged') FROM change WHERE id = ?"
    )
    rewrite(path, copy, str(int(created.resource_version) - 1), bound.change_id)
    result = _verify(path)
    verdict = verdict_of(result, "stable-storage", "pod-recreated")
    assert verdict.outcome == "fail", verdict.reason
    assert f"data-redis-0 (uid {claim.uid}) was bound to PV {claim.volume_name}" in verdict.reason
    assert "then to PV pv-forged under the same claim uid" in verdict.reason


def test_pod_not_recreated_fails_homework(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    new = pod(lifecycles(path, ORDERED), "redis-2", nth=2)
    rewrite(path, "DELETE FROM change WHERE uid = ?", new.uid)
    verdict = verdict_of(_verify(path), "homework-1", "service-deleted")
    assert verdict.outcome == "fail"
    assert verdict.reason == "redis-2 was not recreated within the recording"


def test_gap_over_the_scale_up_is_inconclusive(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    life = lifecycles(path, ORDERED)
    first, last = pod(life, "redis-0").created, pod(life, "redis-2").created
    rewrite(path, "INSERT INTO gap (session_id, run_id, kind, reason, from_wall_ns, to_wall_ns) "
            "VALUES (1, 1, 'Pod', '410 Gone', ?, ?)", first.received_wall_ns + 1,
            last.received_wall_ns - 1)  # fmt: skip
    result = _verify(path)
    gating = verdict_of(result, "ordered-ready-gating", "scale-up")
    assert gating.outcome == "inconclusive"
    assert gating.gap is not None
    assert gating.gap.reason == "410 Gone"
    assert not result.failed


def test_history_pruned_by_retention_is_inconclusive_with_retention_as_its_cause(
    tmp_path: Path,
) -> None:
    """A continuous recorder's retention leaves a `retention:` gap in the oldest piece left
    (docs/flight.md): a verdict reaching into it is inconclusive, cause retention, never fail."""
    path = real_store(tmp_path, "lesson")
    life = lifecycles(path, ORDERED)
    first = pod(life, "redis-0").created
    reason = "retention: history before this piece was pruned (2 pieces, the last x.db)"
    rewrite(path, "INSERT INTO gap (session_id, run_id, kind, reason, from_wall_ns, to_wall_ns) "
            "VALUES (1, 1, 'Pod', ?, 0, ?)", reason, first.received_wall_ns + 1)  # fmt: skip
    result = _verify(path)
    gating = verdict_of(result, "ordered-ready-gating", "scale-up")
    assert gating.outcome == "inconclusive"
    assert gating.missing == "retention"
    assert gating.gap is not None
    assert gating.gap.reason == reason
    assert why_inconclusive(gating).endswith(f"(Pod changes may be missing: {reason})")
    assert not result.failed


PROOFS = "proofs-orderedready"


def test_min_ready_partition_and_dns_return_pass(tmp_path: Path) -> None:
    result = _verify(real_store(tmp_path, "proofs"), PROOFS)
    assert result.count("fail") == result.count("inconclusive") == 0
    gating = verdict_of(result, "ordered-ready-gating", "scale-up")
    assert gating.reason.endswith("Running and Ready and Available (2s)")
    partitioned = verdict_of(result, "rolling-update", "rolling-update")
    assert "down to partition 1: web-2, web-1;" in partitioned.reason
    rest = verdict_of(result, "rolling-update", "rolling-update", nth=1)
    assert "down to partition 0: web-0; completed within the episode" in rest.reason
    homework = verdict_of(result, "homework-1", "service-deleted")
    assert "no DNS record for web-1.web-headless" in homework.reason
    assert "until the Service was recreated" in homework.reason
    back = verdict_of(result, "stable-network-identity", "service-recreated")
    assert back.reason == "DNS records back for web-0, web-1, web-2"


def test_successor_before_predecessor_available_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "proofs")
    life = lifecycles(path, PROOFS)
    ready = pod(life, "web-0").first("ready")
    assert ready is not None
    # web-1 created in the very second web-0 turned Ready: Ready, but not yet Available (2s).
    stamp = (
        "UPDATE change SET object = json_set(object, '$.metadata.creationTimestamp', ?) "
        "WHERE id = ?"
    )
    rewrite(path, stamp, ready.api_time, pod(life, "web-1").created.change_id)
    gating = verdict_of(_verify(path, PROOFS), "ordered-ready-gating", "scale-up")
    assert gating.outcome == "fail"
    assert gating.reason == (
        "web-1 was created while web-0 was Ready 0s < minReadySeconds=2 (not Available)"
    )


def test_replaced_statefulset_keeps_identity_and_storage(tmp_path: Path) -> None:
    result = _verify(real_store(tmp_path, "replace"), "replace-orderedready")
    kinds = [e.kind for e in result.episodes]
    assert kinds == ["scale-up", "statefulset-deleted", "statefulset-replaced", "scale-up"]
    assert result.episodes[2].summary.endswith("podManagementPolicy OrderedReady → Parallel")
    deletion = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert deletion.outcome == "pass"
    assert "3 pods removed by the garbage collector" in deletion.reason
    assert "no ordering guarantee" in deletion.reason
    assert verdict_of(result, "parallel-described", "scale-up", nth=1).outcome == "pass"
    storage = verdict_of(result, "stable-storage", "scale-up", nth=1)
    assert storage.outcome == "pass"
    assert storage.reason.count(" kept data-web-") == 3
    assert not result.failed


def test_scale_up_inside_a_recorder_gap_is_inconclusive(tmp_path: Path) -> None:
    result = _verify(real_store(tmp_path, "gap"), "gap")
    assert [e.summary for e in result.episodes] == [
        "redis: scale-up 0→3 (OrderedReady)",
        "redis: scale-up 3→5 (OrderedReady)",
        "redis: scale-down 5→3 (OrderedReady)",
    ]
    first, _, after = result.episodes
    assert {v.outcome for v in first.verdicts} == {"pass"}
    # The 3→5 spec change was only seen by the relist: its pods belong to it, not to 0→3.
    gating = verdict_of(result, "ordered-ready-gating", "scale-up", nth=1)
    assert gating.outcome == "inconclusive"
    assert gating.gap is not None
    assert gating.gap.reason == "recorder down"
    assert [e.name for e in gating.evidence if e.event == "ADDED"][-2:] == ["redis-3", "redis-4"]
    assert {v.outcome for v in after.verdicts} == {"pass"}
    assert not result.failed


def test_a_client_deletion_is_not_credited_to_the_controllers_later_delete(tmp_path: Path) -> None:
    # The lesson deletes redis-0 by hand; seconds later the rolling update deletes redis-0 again
    # with a SuccessfulDelete Event: that Event belongs to the second deletion, not the first.
    result = _verify(real_store(tmp_path, "lesson"))
    recreated = [e for e in result.episodes if e.kind == "pod-recreated"]
    assert recreated[0].summary.startswith("redis-0 deleted and recreated")
    assert "; deleted by a client (no SuccessfulDelete Event" in recreated[0].summary
    rollout = verdict_of(result, "rolling-update", "rolling-update")
    assert "the controller replaced from the highest ordinal down to partition 0" in rollout.reason
    assert "deleted by a client" not in rollout.reason


def test_every_verdict_names_its_registered_proof(tmp_path: Path) -> None:
    names = [p.name for p in PROOF_REGISTRY]
    assert len(names) == len(set(names))
    for store, session in (("lesson", ORDERED), ("cases", "statefulset-deleted-orderedready")):
        for verdict in _verify(real_store(tmp_path, store), session).verdicts:
            assert verdict.proof in names
