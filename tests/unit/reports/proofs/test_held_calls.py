"""Calls decided on a healthy state that land late (cases23, kwok, the real controller): an
admission webhook holds one of the controller's calls 8 s while a client changes a pod or the
spec. A decision the recording shows was made under an earlier spec (the status the acting sync
wrote right after, updateStatefulSetStatus) is judged by that spec; one that may have been made
while the pod it needed healthy was is inconclusive, the slow call named as a possible cause;
the same change long before the call still fails."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite


def _verdicts(result: VerifyResult, proof: str) -> list[Verdict]:
    return [v for v in result.verdicts if v.proof == proof]


def _failed(result: VerifyResult) -> list[str]:
    return [v.reason for v in result.verdicts if v.outcome == "fail"]


START_RAISED = "b278-create-held-start-raised"
# The status the sync that created web-3 wrote right after it (observedGeneration 2).
START_RAISED_STATUS = {"orderedready": 4385, "parallel": 4519}


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_creation_its_sync_decided_under_the_earlier_start_is_in_range(
    tmp_path: Path, policy: str
) -> None:
    """b278: the scale-up 3→4's CREATE of web-3 is held 8 s while a client raises
    ordinals.start to 4; the status right after the creation observed generation 2 (start 0):
    web-3 was in range for the sync that created it."""
    path = real_store(tmp_path, "cases23")
    result = verify(load_recording(path, f"{START_RAISED}-{policy}"))
    assert not _failed(result)
    told = [v.reason for v in _verdicts(result, "ordinal-creation") if "web-3's CREATE" in v.reason]
    assert len(told) == 1
    assert (
        f"; web-3's CREATE was decided by a sync that read generation 2 (ordinals.start 0, "
        f"replicas 4, partition 0: its status right after, #{START_RAISED_STATUS[policy]}, "
        "observed it; updateStatefulSetStatus)"
    ) in told[0]


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_creation_its_sync_decided_under_the_raised_start_fails(
    tmp_path: Path, policy: str
) -> None:
    """The same recording, edited: the status right after web-3's creation observed generation
    3, so the sync that created web-3 read start 4 and still created it."""
    path = real_store(tmp_path, "cases23")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.status.observedGeneration', 3) "
        "WHERE id = ?",
        START_RAISED_STATUS[policy],
    )
    result = verify(load_recording(path, f"{START_RAISED}-{policy}"))
    assert _failed(result) == [
        "web-3 was created outside the ordinal range [4, 7] (spec.replicas 4): the controller "
        "creates only the ordinals in range (updateStatefulSet)"
    ]
