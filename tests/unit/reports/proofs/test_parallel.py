"""Parallel: bursts and concurrent scale-downs described, ordering proofs not applicable."""

from pathlib import Path

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from tests.fixtures.verdicts import five_pods, verdict_of, web_set

PROOF = "reverse-order-scale-down"


def _verdict(result: VerifyResult, proof: str, nth: int = 0) -> Verdict:
    return verdict_of(result, proof, "scale-up", nth)


def test_parallel_burst_is_described_and_gating_not_applicable(tmp_path: Path) -> None:
    b = web_set(policy="Parallel")
    for ordinal in range(3):
        b.pvc(f"data-web-{ordinal}")
        b.create_pod("web", ordinal)
    for ordinal in range(3):
        b.start_pod(f"web-{ordinal}")
    result = verify(b.write(tmp_path / "s.db"))
    assert _verdict(result, "ordered-ready-gating").outcome == "not-applicable"
    assert "2 creations happened while a lower ordinal was unready" in (
        _verdict(result, "ordered-ready-gating").reason
    )
    assert _verdict(result, "ordinal-creation").outcome == "not-applicable"
    described = _verdict(result, "parallel-described")
    assert described.outcome == "pass"
    assert described.reason.startswith("burst width 3")
    assert "all Ready" in described.reason
    assert not result.failed


def test_parallel_scale_down_concurrency_described(tmp_path: Path) -> None:
    b = five_pods(policy="Parallel")
    for ordinal in (4, 3, 2):
        b.terminate(f"web-{ordinal}")
    for ordinal in (3, 4, 2):
        b.remove(f"web-{ordinal}")
    result = verify(b.write(tmp_path / "s.db"))
    assert verdict_of(result, PROOF, "scale-down").outcome == "not-applicable"
    described = verdict_of(result, "parallel-described", "scale-down")
    assert described.outcome == "pass"
    assert "3 condemned pods, up to 3 terminating at once" in described.reason
