"""A pod already terminating when ordinals.start condemns it (cases38: kwok, the real controller,
whenScaled: Delete): under OrderedReady the controller creates the new top ordinal and waits for
it (processReplica, monotonic) before its walk reaches the condemned pods' claims, so a pod gone
by then never becomes its claim's owner and the claim stays, against whenScaled: Delete. That is
told where the scale-down's claims are (break11 F7); under Parallel the claim goes, told so."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store

# scenario: (the pod the walk created and waited for, web-0 gone, the owner set under Parallel,
# who deleted web-0)
CASES = {
    "b363-client-delete-start-shift-claims": ("web-3", 1107, 1198, "a client"),
    "b364-update-step-start-shift-claims": (
        "web-1",
        1274,
        1330,
        "the StatefulSet controller for the update",
    ),
}


def _scale_down(tmp_path: Path, session: str) -> Verdict:
    result = verify(load_recording(real_store(tmp_path, "cases38"), session))
    assert result.count("fail") == 0
    [verdict] = [v for v in result.verdicts if v.proof == "reverse-order-scale-down"]
    return verdict


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_a_claim_its_pod_left_before_the_walk_reached_it_is_told_kept(
    tmp_path: Path, scenario: str
) -> None:
    created, gone, _, _ = CASES[scenario]
    verdict = _scale_down(tmp_path, f"{scenario}-orderedready")
    assert verdict.outcome == "not-applicable"  # web-0 needed no deletion of the scale-down's
    assert verdict.reason.endswith(
        f"; data-web-0 kept (no owner, Bound): web-0 was gone (#{gone}) before the controller's "
        f"walk reached the condemned pods (processReplica created {created} and waited for it; "
        "the claim's owner is set after), so whenScaled: Delete did not apply to it; it stays "
        "until a client deletes it"
    )


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_under_parallel_the_claim_deleted_is_told_as_before(tmp_path: Path, scenario: str) -> None:
    _, _, owned, deleter = CASES[scenario]
    verdict = _scale_down(tmp_path, f"{scenario}-parallel")
    assert verdict.reason.endswith(
        "; the claim data-web-0 deleted by the garbage collector after web-0 went, its data with "
        f"it: the scale-down condemned web-0 while it was terminating (deleted by {deleter}), and "
        f"the StatefulSet controller made web-0 the claim's owner (#{owned}), as whenScaled: "
        "Delete asks"
    )
    assert " kept (no owner" not in verdict.reason
