"""Rolling update: highest ordinal first down to the partition, each Ready before the next."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import verdict_of

PROOF = "rolling-update"


def _three(partition: int = 0) -> ClusterBuilder:
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=3, partition=partition)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    return b


def _replace(b: ClusterBuilder, ordinal: int) -> None:
    b.take_down("web", ordinal)
    b.bring_up("web", ordinal)


def test_reverse_ordinal_rollout_passes(tmp_path: Path) -> None:
    b = _three()
    for ordinal in (2, 1, 0):
        _replace(b, ordinal)
    result = verify(b.write(tmp_path / "s.db"))
    verdict = verdict_of(result, PROOF, PROOF)
    assert verdict.outcome == "pass", verdict.reason
    assert "web-2, web-1, web-0" in verdict.reason
    assert verdict_of(result, "stable-storage", PROOF).outcome == "pass"
    assert not result.failed


def test_next_deleted_before_replacement_ready_fails(tmp_path: Path) -> None:
    b = _three()
    b.take_down("web", 2)
    b.create_pod("web", 2)
    b.take_down("web", 1)  # new web-2 not Running/Ready yet
    for name in ("web-2",):
        b.schedule(name)
        b.run(name)
        b.ready(name)
    b.bring_up("web", 1)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith("web-1 was deleted while the replacement web-2 was not")


def test_ascending_rollout_fails(tmp_path: Path) -> None:
    b = _three()
    for ordinal in (0, 1, 2):
        _replace(b, ordinal)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "fail"
    assert "ordinals ascending" in verdict.reason


def test_partition_limits_the_rollout(tmp_path: Path) -> None:
    b = _three(partition=2)
    _replace(b, 2)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "pass"
    assert "partition 2: web-2; completed within the episode" in verdict.reason


def test_pod_below_partition_updated_fails(tmp_path: Path) -> None:
    b = _three(partition=2)
    _replace(b, 2)
    _replace(b, 1)  # comes back at the update revision although below the partition
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "fail"
    assert "gives ordinal 1 (below partition 2) the currentRevision" in verdict.reason


def test_on_delete_not_applicable(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=1, strategy="OnDelete")
    b.bring_up("web", 0)
    b.set_spec("web", image="nginx:2")
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, "ondelete-update")
    assert verdict.outcome == "not-applicable"


def _halted_at_web_2(b: ClusterBuilder) -> None:
    """The controller replaces web-2; the new web-2 runs but never turns Ready."""
    b.controller_event("web", "delete", "Pod", "web-2")
    b.take_down("web", 2)
    b.create_pod("web", 2)
    b.controller_event("web", "create", "Pod", "web-2")
    b.schedule("web-2")
    b.run("web-2")


def test_rollout_whose_new_pod_never_turns_ready_is_told_halted(tmp_path: Path) -> None:
    b = _three()
    _halted_at_web_2(b)
    b.stop(after_ms=20_000)
    result = verify(b.write(tmp_path / "s.db"))
    verdict = verdict_of(result, PROOF, PROOF)
    assert verdict.outcome == "pass", verdict.reason  # the controller did right: it halted
    assert "did not complete within the episode" in verdict.reason
    assert "halted at web-2 (web-2 Running, not Ready)" in verdict.reason
    assert "web-1, web-0 still at revision web-rev1 (update revision web-rev2)" in verdict.reason
    progress = result.episodes[-1].progress
    assert progress is not None
    assert progress.state == "halted"
    assert progress.holds[-1].pod == "web-2"
    assert progress.holds[-1].to_wall_ns is None


def test_forced_rollback_is_the_clients_deletion_after_the_controller_stood_still(
    tmp_path: Path,
) -> None:
    b = _three()
    _halted_at_web_2(b)
    b.tick(5_000)
    b.set_spec("web", image="nginx:1")  # revert the template
    b.set_status("web", observedGeneration=3, updateRevision="web-rev1")
    b.tick(8_000)  # the controller does nothing: web-2 is not Ready
    b.take_down("web", 2)  # a client deletes web-2: no SuccessfulDelete Event
    b.create_pod("web", 2)
    b.controller_event("web", "create", "Pod", "web-2")
    b.start_pod("web-2")
    b.stop(after_ms=10_000)
    result = verify(b.write(tmp_path / "s.db"))
    revert = [e for e in result.episodes if e.kind == PROOF][-1]
    verdict = next(v for v in revert.verdicts if v.proof == PROOF)
    assert verdict.outcome == "not-applicable", verdict.reason
    assert "the controller replaced no pod" in verdict.reason
    assert "web-2 was deleted by a client (the forced rollback" in verdict.reason
    assert "the controller stood still for 8." in verdict.reason
    assert revert.progress is not None
    assert revert.progress.state == "completed"


def test_ondelete_update_is_titled_ondelete_and_replaces_nothing(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=2, strategy="OnDelete")
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    b.take_down("web", 1)  # by hand
    b.bring_up("web", 1)
    b.stop(after_ms=10_000)
    result = verify(b.write(tmp_path / "s.db"))
    episode = next(e for e in result.episodes if e.kind == "ondelete-update")
    assert "OnDelete update" in episode.summary
    verdict = next(v for v in episode.verdicts if v.proof == PROOF)
    assert verdict.outcome == "not-applicable"
    assert verdict.reason.startswith("OnDelete: the controller replaces no pod")


def _phased(web_2_back_at: str) -> ClusterBuilder:
    """Partition 2: web-2 updated; a client deletes web-2, which comes back at `web_2_back_at`;
    then partition 1: web-1 is replaced."""
    b = _three(partition=2)
    _replace(b, 2)
    b.take_down("web", 2)
    b.bring_up("web", 2, revision=web_2_back_at)
    b.set_spec("web", partition=1)
    b.set_status("web", observedGeneration=3, updateRevision="web-rev2")
    _replace(b, 1)
    return b


def test_ordinal_left_behind_at_the_old_revision_fails(tmp_path: Path) -> None:
    # Issue 20, item 5 (an edited recording's shape): web-2, at the partition, came back at the
    # old revision, and web-1 was replaced while it stayed there.
    result = verify(_phased("web-rev1").write(tmp_path / "s.db"))
    first, second = (verdict_of(result, PROOF, PROOF, nth) for nth in (0, 1))
    assert first.outcome == "fail"
    assert first.reason == (
        "web-2 was created at revision web-rev1, but newVersionedStatefulSetPod gives ordinal 2 "
        "(at or above partition 2) the updateRevision web-rev2"
    )
    assert second.outcome == "fail"
    assert second.reason.startswith(
        "web-1 was replaced while web-2, above it, was still at revision web-rev1"
    )


def test_phased_rollout_with_a_hand_deleted_pod_back_at_the_update_revision_passes(
    tmp_path: Path,
) -> None:
    result = verify(_phased("web-rev2").write(tmp_path / "s.db"))
    assert verdict_of(result, PROOF, PROOF, 1).outcome == "pass"
    assert not result.failed


def test_hold_not_cut_in_two_by_a_client_deleting_a_lower_pod(tmp_path: Path) -> None:
    # Issue 20, item 7: held at the new web-2 (not Ready); meanwhile a client deletes web-0 and
    # the controller recreates it (processReplica recreates a missing lower pod first). One hold,
    # released by web-2 turning Ready, with the interlude and web-0's new revision told.
    b = _three()
    _halted_at_web_2(b)
    b.tick(5_000)
    b.take_down("web", 0)
    b.create_pod("web", 0)
    b.controller_event("web", "create", "Pod", "web-0")
    b.start_pod("web-0")
    b.tick(5_000)
    b.ready("web-2")
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.reason.count("held at web-2") == 1, verdict.reason
    assert (
        "(meanwhile web-0 deleted by a client and recreated at revision web-rev2), until web-2 "
        "Ready"
    ) in verdict.reason


def test_on_delete_completion_tells_the_unpromoted_current_revision(tmp_path: Path) -> None:
    # kubernetes#73492: every pod replaced by hand at rev2, status.currentRevision still rev1.
    b = ClusterBuilder()
    b.statefulset("web", replicas=1, strategy="OnDelete")
    b.bring_up("web", 0)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    _replace(b, 0)
    b.set_status("web", updatedReplicas=1)
    result = verify(b.write(tmp_path / "s.db"))
    episode = next(e for e in result.episodes if e.kind == "ondelete-update")
    assert episode.progress is not None
    assert episode.progress.text.startswith("completed: every pod is at the update revision")
    assert "status.currentRevision still names web-rev1" in episode.progress.text
    assert "kubernetes#73492" in episode.progress.text


def test_a_rollout_status_calls_complete_before_min_ready_seconds_is_told(tmp_path: Path) -> None:
    # kubernetes#136831: status says currentRevision = updateRevision as soon as web-0 is Ready,
    # 5 s before it is Available.
    b = ClusterBuilder()
    b.statefulset("web", replicas=1, min_ready_seconds=5)
    b.bring_up("web", 0)
    b.tick(6_000)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    _replace(b, 0)
    b.set_status("web", currentRevision="web-rev2", updatedReplicas=1)
    b.tick(6_000)
    b.set_status("web", availableReplicas=1)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert "status marked it complete (currentRevision = updateRevision)" in verdict.reason
    assert "minReadySeconds=5 (upstream behaviour, kubernetes#136831)" in verdict.reason


def test_a_deletion_for_the_update_a_moment_after_a_switch_to_ondelete_is_no_fault(
    tmp_path: Path,
) -> None:
    # The controller's informer cache may still hold the RollingUpdate spec for a moment after
    # the switch to OnDelete: a sync then replaces web-2 for the update (its reason), not a fault.
    b = _three()
    b.tick(100)
    b.set_spec("web", updateStrategy={"type": "OnDelete"})
    b.set_status("web", observedGeneration=3, updateRevision="web-rev2")
    b.tick(100)
    _halted_at_web_2(b)
    b.stop(after_ms=5_000)
    result = verify(b.write(tmp_path / "s.db"))
    episode = next(e for e in result.episodes if e.kind == "ondelete-update")
    verdict = next(v for v in episode.verdicts if v.proof == PROOF)
    assert verdict.outcome == "not-applicable", verdict.reason
    assert not result.failed


def test_a_deletion_for_the_update_long_after_a_switch_to_ondelete_fails(tmp_path: Path) -> None:
    b = _three()
    b.tick(100)
    b.set_spec("web", updateStrategy={"type": "OnDelete"})
    b.set_status("web", observedGeneration=3, updateRevision="web-rev2")
    b.tick(20_000)  # far beyond the informer cache's lag
    _halted_at_web_2(b)
    b.stop(after_ms=5_000)
    result = verify(b.write(tmp_path / "s.db"))
    episode = next(e for e in result.episodes if e.kind == "ondelete-update")
    verdict = next(v for v in episode.verdicts if v.proof == PROOF)
    assert verdict.outcome == "fail", verdict.reason
    assert "deleted web-2 under OnDelete though it had not finished running" in verdict.reason
