"""A condemned pod already terminating when the scale-down began (cases30, cases31: kwok, the
real controller, whenScaled: Delete): the controller still makes it its claim's owner
(UpdatePodClaimForRetentionPolicy runs on every condemned pod), and the garbage collector deletes
the claim, its data with it, once the pod is gone. That deletion is told where the scale-down's
claims are (break10 P9)."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store

# session: (store, who deleted web-4 first, the change that made web-4 data-web-4's owner)
CASES = {
    "b345-client-delete-then-down-when-scaled-orderedready": ("cases31", "a client", 6911),
    "b345-client-delete-then-down-when-scaled-parallel": ("cases31", "a client", 7040),
    "b344-scale-down-mid-rollout-when-scaled-orderedready": (
        "cases30",
        "the StatefulSet controller for the update",
        6482,
    ),
    "b344-scale-down-mid-rollout-when-scaled-parallel": (
        "cases30",
        "the StatefulSet controller for the update",
        6697,
    ),
}


def _scale_down(tmp_path: Path, store: str, session: str) -> Verdict:
    result = verify(load_recording(real_store(tmp_path, store), session))
    assert result.count("fail") == 0
    [verdict] = [v for v in result.verdicts if v.proof == "reverse-order-scale-down"]
    return verdict


@pytest.mark.parametrize("session", sorted(CASES))
def test_the_claim_deleted_after_its_terminating_pod_is_told(tmp_path: Path, session: str) -> None:
    store, deleter, owned = CASES[session]
    verdict = _scale_down(tmp_path, store, session)
    assert verdict.outcome == "not-applicable"  # web-4 needed no deletion of the scale-down's
    assert (
        "; the claim data-web-4 deleted by the garbage collector after web-4 went, its data with "
        f"it: the scale-down condemned web-4 while it was terminating (deleted by {deleter}), and "
        f"the StatefulSet controller made web-4 the claim's owner (#{owned}), as whenScaled: "
        "Delete asks"
    ) in verdict.reason


def test_the_claims_of_several_terminating_pods_are_told_together(tmp_path: Path) -> None:
    """b346 (cases31): the update step deleted web-4 and web-3 (maxUnavailable 2), then a scale
    5→2 condemned both while they terminated, and deleted web-2 itself."""
    verdict = _scale_down(
        tmp_path, "cases31", "b346-down-mid-maxunavail-rollout-claims-orderedready"
    )
    assert verdict.outcome == "pass"
    assert (
        "; the claims data-web-3, data-web-4 deleted by the garbage collector after their pods "
        "went, their data with them: the scale-down condemned web-3, web-4 while they were "
        "terminating (deleted by the StatefulSet controller for the update), and the StatefulSet "
        "controller made each pod its claim's owner (#7186, #7185), as whenScaled: Delete asks"
    ) in verdict.reason


def test_a_claim_owned_before_its_pod_went_is_not_told_so(tmp_path: Path) -> None:
    """b330 (cases30): the scale-down deleted web-4 and web-3 itself, their claims owned first:
    told as the retention policy's deletions, not as made owned while terminating."""
    verdict = _scale_down(tmp_path, "cases30", "b330-scale-back-short-when-scaled-orderedready")
    assert "deleted by the PVC retention policy (whenScaled: Delete)" in verdict.reason
    assert "while it was terminating" not in verdict.reason
