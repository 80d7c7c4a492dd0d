"""Reverse-order scale-down (OrderedReady) and Parallel scale-down concurrency."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import five_pods, verdict_of

PROOF = "reverse-order-scale-down"


def _three_down() -> ClusterBuilder:
    b = ClusterBuilder()
    b.statefulset("web", replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    return b


def test_descending_one_at_a_time_passes(tmp_path: Path) -> None:
    b = five_pods()
    for ordinal in (4, 3, 2):
        b.take_down("web", ordinal)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, "scale-down")
    assert verdict.outcome == "pass"
    assert verdict.reason.endswith("web-4, web-3, web-2")
    assert [e.event for e in verdict.evidence] == ["MODIFIED", "DELETED"] * 3


def test_next_condemned_deleted_before_previous_gone_fails(tmp_path: Path) -> None:
    b = five_pods()
    b.terminate("web-4")
    b.terminate("web-3")  # web-4 has a deletionTimestamp but is not gone: not enough (Q2)
    b.remove("web-4")
    b.take_down("web", 2)
    b.remove("web-3")
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, "scale-down")
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-3 began terminating before web-4 was gone"
    assert [e.note for e in verdict.evidence] == [
        "web-4 terminating", "web-3 terminating while it was there", "web-4 gone only now",
    ]  # fmt: skip


def test_ascending_order_fails(tmp_path: Path) -> None:
    b = five_pods()
    for ordinal in (2, 3, 4):
        b.take_down("web", ordinal)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, "scale-down")
    assert verdict.outcome == "fail"
    assert "ordinals ascending" in verdict.reason


def test_unhealthy_condemned_deleted_only_as_first_unavailable(tmp_path: Path) -> None:
    # Q2: scaling 3→1 with web-2 healthy and web-1 unready deletes web-2, then web-1.
    b = _three_down()
    b.ready("web-1", False)
    b.set_spec("web", replicas=1)
    b.take_down("web", 2)
    b.take_down("web", 1)
    verdict = verdict_of(verify(b.write(tmp_path / "ok.db")), PROOF, "scale-down")
    assert verdict.outcome == "pass", verdict.reason


def test_unhealthy_condemned_not_first_unavailable_fails(tmp_path: Path) -> None:
    b = _three_down()
    b.ready("web-1", False)
    b.ready("web-2", False)
    b.set_spec("web", replicas=1)
    b.take_down("web", 2)  # web-1 is unavailable too: the controller halts instead
    verdict = verdict_of(verify(b.write(tmp_path / "bad.db")), PROOF, "scale-down")
    assert verdict.outcome == "fail"
    assert verdict.reason == (
        "web-2 was deleted while not Ready, but it was not the firstUnavailablePod "
        "(web-1 was unavailable too)"
    )


def test_deletion_while_in_range_pod_unready_fails(tmp_path: Path) -> None:
    b = _three_down()
    b.ready("web-0", False)
    b.set_spec("web", replicas=2)
    b.take_down("web", 2)  # phase 1 stops at web-0: no scale-down deletion may happen
    verdict = verdict_of(verify(b.write(tmp_path / "bad.db")), PROOF, "scale-down")
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-2 deletion began while in-range web-0 was not Ready"
    assert [e.name for e in verdict.evidence] == ["web-0", "web-2"]


def _five_to_one() -> ClusterBuilder:
    b = ClusterBuilder()
    b.service("web-hl")
    b.statefulset("web", replicas=5, service="web-hl")
    for ordinal in range(5):
        b.bring_up("web", ordinal)
    b.set_spec("web", replicas=1)
    return b


def test_deletion_racing_the_blockers_change_is_the_controllers_cache(tmp_path: Path) -> None:
    # Recorded live: web-4 gone, a client holds web-0 not Ready, and the controller, whose sync
    # was started by web-4's removal, deletes web-3 a few ms later. Its informer cache had not
    # yet shown web-0 not Ready: the controller was right, and the halt that follows is told.
    b = _five_to_one()
    b.take_down("web", 4)
    b.ready("web-0", False)
    b.terminate("web-3")
    b.remove("web-3")
    b.tick(8000)
    b.ready("web-0", True)
    b.take_down("web", 2)
    b.take_down("web", 1)
    verdict = verdict_of(verify(b.write(tmp_path / "race.db")), PROOF, "scale-down")
    assert verdict.outcome == "pass", verdict.reason
    assert "web-4, web-3, web-2, web-1" in verdict.reason
    assert "web-0 turned not Ready" in verdict.reason
    assert "informer cache" in verdict.reason
    assert "(no condemned pod deleted meanwhile but web-3, whose deletion raced the hold)" in (
        verdict.reason
    )


def test_blocker_seen_before_the_enabling_removal_still_fails(tmp_path: Path) -> None:
    # web-0 went not Ready before web-4 was gone: a cache that shows web-4 gone shows web-0 not
    # Ready too (one pod watch, in resourceVersion order), so deleting web-3 breaks the rule.
    b = _five_to_one()
    b.terminate("web-4")
    b.ready("web-0", False)
    b.remove("web-4")
    b.terminate("web-3")
    verdict = verdict_of(verify(b.write(tmp_path / "bad.db")), PROOF, "scale-down")
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-3 deletion began while in-range web-0 was not Ready"


def test_blocker_long_before_the_deletion_still_fails(tmp_path: Path) -> None:
    # After web-4's removal web-0 went not Ready, and 40 s later web-3 was deleted: no informer
    # cache lags that long behind the pod watch, and no admission webhook holds a DELETE that
    # long (timeoutSeconds is at most 30 s), so this is neither the race above nor a held call.
    b = _five_to_one()
    b.take_down("web", 4)
    b.ready("web-0", False)
    b.tick(40_000)
    b.terminate("web-3")
    verdict = verdict_of(verify(b.write(tmp_path / "late.db")), PROOF, "scale-down")
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-3 deletion began while in-range web-0 was not Ready"


def test_blocker_seconds_before_the_deletion_is_a_held_call(tmp_path: Path) -> None:
    # The same 10 s later: a DELETE decided while web-0 was Ready and held by a webhook lands so.
    b = _five_to_one()
    b.take_down("web", 4)
    b.ready("web-0", False)
    b.tick(10_000)
    b.terminate("web-3")
    verdict = verdict_of(verify(b.write(tmp_path / "held.db")), PROOF, "scale-down")
    assert verdict.outcome == "inconclusive"
    assert verdict.reason.startswith(
        "would have been fail: web-3 deletion began while in-range web-0 was not Ready; web-0 "
        "turned not Ready 10.1 s before, after web-4 was gone: a DELETE decided while it was "
        "healthy and held that long"
    )


def test_a_deletion_waits_until_every_in_range_pod_is_available(tmp_path: Path) -> None:
    # minReadySeconds 5: processReplica stops at a pod Ready for less than that ("waiting for Pod
    # to be Available"), so processCondemned deletes nothing until it is Available.
    for wait_ms, outcome in ((2_000, "fail"), (6_000, "pass")):
        b = ClusterBuilder()
        b.statefulset("web", replicas=3, min_ready_seconds=5)
        for ordinal in range(3):
            b.bring_up("web", ordinal)
            b.tick(6_000)
        b.ready("web-1", False)
        b.tick(1_000)
        b.ready("web-1")
        b.set_spec("web", replicas=2)
        b.tick(wait_ms)
        b.take_down("web", 2)
        verdict = verdict_of(verify(b.write(tmp_path / f"{wait_ms}.db")), PROOF, "scale-down")
        assert verdict.outcome == outcome, verdict.reason
        if outcome == "fail":
            assert verdict.reason.startswith("web-2 deletion began while in-range web-1 was Ready")
            assert "< minReadySeconds=5 (not Available)" in verdict.reason


def test_in_range_pod_deleted_seconds_before_the_deletion_is_a_held_call(tmp_path: Path) -> None:
    # After web-4's removal a client deleted web-0, and 10 s later web-3's deletion landed: a
    # DELETE decided while web-0 was there and Ready, held by a webhook, lands so.
    b = _five_to_one()
    b.take_down("web", 4)
    b.take_down("web", 0)
    b.tick(10_000)
    b.terminate("web-3")
    verdict = verdict_of(verify(b.write(tmp_path / "held.db")), PROOF, "scale-down")
    assert verdict.outcome == "inconclusive"
    assert verdict.reason.startswith(
        "would have been fail: web-3 deletion began while in-range web-0 was missing; web-0 "
        "began terminating 10."
    )


def test_in_range_pod_deleted_long_before_the_deletion_still_fails(tmp_path: Path) -> None:
    b = _five_to_one()
    b.take_down("web", 4)
    b.take_down("web", 0)
    b.tick(40_000)
    b.terminate("web-3")
    verdict = verdict_of(verify(b.write(tmp_path / "late.db")), PROOF, "scale-down")
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-3 deletion began while in-range web-0 was missing"
