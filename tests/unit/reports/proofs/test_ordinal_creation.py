"""Ordinal creation on scale-ups: ascending creation passes, any other order fails."""

from pathlib import Path

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from tests.fixtures.verdicts import verdict_of, web_set


def _verdict(result: VerifyResult, proof: str, nth: int = 0) -> Verdict:
    return verdict_of(result, proof, "scale-up", nth)


def test_ordered_scale_up_passes(tmp_path: Path) -> None:
    b = web_set()
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    result = verify(b.write(tmp_path / "s.db"))
    creation = _verdict(result, "ordinal-creation")
    gating = _verdict(result, "ordered-ready-gating")
    assert creation.outcome == "pass"
    assert gating.outcome == "pass"
    assert gating.basis == "resourceVersion"
    notes = [e.note for e in gating.evidence]
    assert notes == [
        "web-0 created", "web-0 Ready", "web-1 created", "web-1 Ready", "web-2 created",
    ]  # fmt: skip
    assert not result.failed


def test_out_of_order_creation_fails(tmp_path: Path) -> None:
    b = web_set()
    b.bring_up("web", 0)
    b.bring_up("web", 2)
    b.bring_up("web", 1)
    result = verify(b.write(tmp_path / "s.db"))
    assert _verdict(result, "ordinal-creation").outcome == "fail"
    assert _verdict(result, "ordered-ready-gating").outcome == "fail"
