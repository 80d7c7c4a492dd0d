"""A scale-down undone while its condemned pod terminates, under whenScaled: Delete (cases35,
real nodes; breakR R4). Under OrderedReady the controller made web-2 its claim's owner for the
scale-down (#1147) and, web-2 terminating, never reached it again to clear that owner: the
garbage collector deleted data-web-2 (#1167) after web-2 went (#1165), though replicas 3 (#1156)
had put web-2 back in range. Under Parallel the controller cleared the owner: the claim stayed."""

from pathlib import Path

from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store


def _reverse(path: Path, session: str) -> Verdict:
    result = verify(load_recording(path, session))
    [verdict] = [v for v in result.verdicts if v.proof == "reverse-order-scale-down"]
    return verdict


def test_a_claim_deleted_after_its_ordinal_came_back_in_range_is_told(tmp_path: Path) -> None:
    session = "b345-real-when-scaled-back-up-slow-orderedready"
    verdict = _reverse(real_store(tmp_path, "cases35"), session)
    assert verdict.outcome == "pass"
    assert verdict.reason.endswith(
        "; the claim data-web-2 deleted by the PVC retention policy (whenScaled: Delete), its "
        "data with it; data-web-2 was deleted (#1167) after replicas changed to 3 (#1156), which "
        "put web-2 back in range: the Pod ownerReference set for the scale-down (#1147) was "
        "still on the claim when web-2 went (#1165), so the data of an ordinal the set asks for "
        "again is gone"
    )


def test_a_claim_the_controller_released_is_not_told_lost(tmp_path: Path) -> None:
    verdict = _reverse(
        real_store(tmp_path, "cases35"), "b345-real-when-scaled-back-up-slow-parallel"
    )
    assert "back in range" not in verdict.reason
    assert "deleted by the PVC retention policy" not in verdict.reason
