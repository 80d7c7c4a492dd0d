"""A scale-down 0.3 s into a rollout, after the update step deleted web-4 while it was in range
(cases30, kwok, the real controller; break10 P0, P0b). web-4's deletion is the update's: the
scale-down found it already terminating and made it its claim's owner only then (whenScaled:
Delete), and an update deletion of web-3 after the scale does not wait for web-4, condemned."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, relocate, rewrite


def _verify(path: Path, session: str) -> VerifyResult:
    return verify(load_recording(path, session))


def _failed(result: VerifyResult) -> list[Verdict]:
    return [v for v in result.verdicts if v.outcome == "fail"]


@pytest.mark.parametrize(
    "session",
    [
        "b344-scale-down-mid-rollout-when-scaled-orderedready",
        "b344-scale-down-mid-rollout-when-scaled-parallel",
        "b348-down-and-back-mid-rollout-claims-parallel",
        "b349-down-and-back-mid-rollout-parallel",
    ],
)
def test_an_update_deletion_before_the_scale_down_fails_nothing(
    tmp_path: Path, session: str
) -> None:
    result = _verify(real_store(tmp_path, "cases30"), session)
    assert _failed(result) == []


def test_a_condemned_pod_deleted_before_its_claim_was_owned_still_fails(tmp_path: Path) -> None:
    """b344 edited: web-4's deletion (#6478) moved after the scale 5→4 (#6481), its sync's status
    (#6483) observing generation 3, and the claim-owner update (#6482) moved after it: the
    controller deleted web-4 condemned before it made web-4 the owner of data-web-4."""
    path = real_store(tmp_path, "cases30")
    relocate(
        path,
        *(
            (6478, 11449, 1796698431369000000),
            (6482, 11459, 1796698431436300000),
        ),
    )
    result = _verify(path, "b344-scale-down-mid-rollout-when-scaled-orderedready")
    failed = _failed(result)
    assert [v.proof for v in failed] == ["claim-owner-references"]
    assert failed[0].reason.startswith(
        "the StatefulSet controller deleted the condemned web-4 while its claim data-web-4 had no "
        "ownerReference to it"
    )


def test_an_update_deletion_decided_with_the_replacement_in_range_still_fails(
    tmp_path: Path,
) -> None:
    """b349 Parallel edited: the status right after web-3's deletion (#8325) observed generation
    2 (replicas 5), so the sync that deleted web-3 read web-4 in range, its replacement not yet
    created: the update step deletes one pod at a time."""
    path = real_store(tmp_path, "cases30")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.status.observedGeneration', 2) "
        "WHERE id = 8325",
    )
    result = _verify(path, "b349-down-and-back-mid-rollout-parallel")
    assert [v.proof for v in _failed(result)] == ["rolling-update"]
    assert "web-3 was deleted while the replacement web-4 was" in _failed(result)[0].reason


# session: (the higher condemned pod's DELETED change, moved after the lower's deletion: rv, wall)
STILL_TERMINATING = {
    "b323-scale-down-cut-by-scale-down-orderedready": (566, 1238, 1796697399908915019),
    "b333-start-shift-mid-scale-down-orderedready": (3244, 5901, 1796697863653918457),
}


@pytest.mark.parametrize("session", sorted(STILL_TERMINATING))
def test_a_scale_down_begun_while_a_condemned_pod_terminates_waits_for_it(
    tmp_path: Path, session: str
) -> None:
    """b323, b333 (break10 P2): web-4, condemned by the scale-down before, still terminates
    when the next begins; the controller (processCondemned) deletes web-3 only once web-4 is
    gone. As recorded: pass. Edited so web-4 is gone only after web-3's deletion began: FAIL,
    though web-4 was created within the informer's lag (the controller had deleted it: seen)."""
    path = real_store(tmp_path, "cases30")
    assert _failed(_verify(path, session)) == []
    relocate(path, STILL_TERMINATING[session])
    failed = _failed(_verify(path, session))
    assert [v.proof for v in failed] == ["reverse-order-scale-down"]
    assert failed[0].reason.startswith(
        "web-3 began terminating while the higher condemned web-4 was still Terminating"
    )
