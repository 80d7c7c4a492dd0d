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


# (session, proof, (the held call's landing change, the client's change), the verdict it would
# have been, the turn told)
HELD = [
    (
        "b269-condemned-delete-held-lower-unready-orderedready",
        "reverse-order-scale-down",
        (2032, 2029),
        "web-4 deletion began while in-range web-0 was not Ready",
        "web-0 turned not Ready 7.8 s before, after the scale-down began",
    ),
    (
        "b270-update-delete-held-lower-unready-orderedready",
        "rolling-update",
        (2207, 2204),
        "the StatefulSet controller deleted web-1 for the update while web-0 was not Ready: "
        "under OrderedReady processReplica stops at the first pod not Running and Ready before "
        "any update step (the forced rollback of the StatefulSet docs, kubernetes#67250)",
        "web-0 turned not Ready 7.9 s before, after web-2 was Ready",
    ),
    (
        "b271-update-delete-held-upper-unready-orderedready",
        "rolling-update",
        (2422, 2420),
        "web-1 was deleted while the replacement web-2 was not Ready",
        "web-2 turned not Ready 7.9 s before, after web-2 was Ready",
    ),
    (
        "b271-update-delete-held-upper-unready-parallel",
        "rolling-update",
        (2531, 2528),
        "web-1 was deleted while the replacement web-2 was not Ready",
        "web-2 turned not Ready 7.9 s before, after web-2 was Ready",
    ),
    (
        "b275-create-held-lower-deleted-orderedready",
        "ordered-ready-gating",
        (2725, 2720),
        "web-3 was created while web-1 did not exist",
        "web-1 began terminating 7.8 s before, after the episode began",
    ),
    (
        "b272-max-unavailable-delete-held-orderedready",
        "rolling-update",
        (3590, 3585),
        "web-3 was deleted for the update while web-1 (not Ready), web-4 (terminating) were "
        "unavailable: with maxUnavailable=2 the controller deletes only while fewer than 2 "
        "in-range pods are unavailable, so at most 2 are at once "
        "(updateStatefulSetAfterInvariantEstablished)",
        "web-1 turned not Ready 7.6 s before, after the update began",
    ),
    (
        "b272-max-unavailable-delete-held-parallel",
        "rolling-update",
        (3758, 3753),
        "web-3 was deleted for the update while web-1 (not Ready), web-4 (terminating) were "
        "unavailable: with maxUnavailable=2 the controller deletes only while fewer than 2 "
        "in-range pods are unavailable, so at most 2 are at once "
        "(updateStatefulSetAfterInvariantEstablished)",
        "web-1 turned not Ready 7.7 s before, after the update began",
    ),
]


@pytest.mark.parametrize(("session", "proof", "changes", "fail", "turned"), HELD)
def test_a_call_decided_on_a_healthy_pod_and_held_is_inconclusive(
    tmp_path: Path, session: str, proof: str, changes: tuple[int, int], fail: str, turned: str
) -> None:
    """b269, b270, b271, b272, b275: the sync read every pod it needed healthy; an admission
    webhook held its call 8 s, and a client made one of them unhealthy (or deleted it)
    meanwhile. Judged at the landing it fails; the controller may have decided it before the
    client's change: inconclusive, the held call named, the failure it would have been told."""
    path = real_store(tmp_path, "cases23")
    result = verify(load_recording(path, session))
    assert not _failed(result)
    held = [v for v in _verdicts(result, proof) if v.outcome == "inconclusive"]
    assert held
    assert held[0].reason == (
        f"would have been fail: {fail}; {turned}: a "
        f"{'CREATE' if 'created' in fail else 'DELETE'} decided while it was healthy and held "
        "that long (an admission webhook's timeoutSeconds is up to 30 s, or the client's "
        "throttling) lands so, and the recording cannot tell when it was decided"
    )
    assert set(changes) <= {e.change_id for e in held[0].evidence}


@pytest.mark.parametrize(("session", "proof", "changes", "fail", "turned"), HELD)
def test_a_call_landing_long_after_the_pod_turned_still_fails(
    tmp_path: Path, session: str, proof: str, changes: tuple[int, int], fail: str, turned: str
) -> None:
    """The same recordings, edited: the client's change moved 40 s before it was made, so the
    call landed past any call a webhook may hold (timeoutSeconds is at most 30 s) after it: the
    sync that made the call read the pod so."""
    path = real_store(tmp_path, "cases23")
    rewrite(
        path,
        "UPDATE change SET received_wall_ns = received_wall_ns - 40000000000 WHERE id = ?",
        changes[1],
    )
    result = verify(load_recording(path, session))
    assert fail in _failed(result)
    assert not any("held that long" in v.reason for v in _verdicts(result, proof))


@pytest.mark.parametrize(
    ("session", "told"),
    [
        (
            "b269-condemned-delete-held-lower-unready-orderedready",
            "held at web-0 (not Ready) for 9.2 s (counted from web-4's deletion by the controller "
            "(#2032), which landed 7.8 s after web-0 was found not Ready: a step the hold stops "
            "under OrderedReady (processReplica), so decided before it, its call landing late",
        ),
        (
            "b270-update-delete-held-lower-unready-orderedready",
            "held at web-0 (not Ready) for 9.3 s (counted from web-1's deletion by the controller "
            "(#2207), which landed 7.9 s after web-0 was found not Ready",
        ),
    ],
)
def test_a_hold_is_counted_from_the_late_call_that_landed_past_it(
    tmp_path: Path, session: str, told: str
) -> None:
    """b269, b270 (break8 M5, M6): web-0 turned not Ready while the controller's DELETE of a pod
    above it was held 8 s; under OrderedReady the walk stops at web-0, so the deletion was
    decided before and the controller stood at web-0 only from its landing: 9.2 s, not 17.0 s."""
    path = real_store(tmp_path, "cases23")
    result = verify(load_recording(path, session))
    texts = [e.progress.text for e in result.episodes if e.progress is not None]
    assert any(told in t for t in texts), texts
    assert not any("for 17.0 s" in t or "for 17.1 s" in t for t in texts)
