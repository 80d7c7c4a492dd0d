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
