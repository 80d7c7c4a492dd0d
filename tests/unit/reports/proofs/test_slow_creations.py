"""Creations decided under one spec that land under the next (cases22, kwok, the real
controller): an admission webhook holds the controller's CREATE 8 s while a client changes the
set. The status the creating sync writes right after its creation names the generation it read
(updateStatefulSetStatus); the pod's revision is judged against that spec."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite

HELD_PARTITION = "b260-replacement-create-held-partition"


def _rollouts(result: VerifyResult) -> list[Verdict]:
    return [
        v
        for e in result.episodes
        if e.kind == "rolling-update"
        for v in e.verdicts
        if v.proof == "rolling-update"
    ]


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_replacement_created_late_is_judged_by_the_spec_its_sync_read(
    tmp_path: Path, policy: str
) -> None:
    """b260: the update step deleted web-2 under partition 0; the next sync's CreateStatefulPod
    (update revision, as newVersionedStatefulSetPod gives ordinal 2 under partition 0) is held
    8 s, and a client raises the partition to 3 meanwhile. The status written right after the
    creation observed generation 2: the creating sync read partition 0. Not a failure."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, f"{HELD_PARTITION}-{policy}"))
    assert not result.failed, [v.reason for v in result.verdicts if v.outcome == "fail"]
    assert all(v.outcome in ("pass", "not-applicable") for v in _rollouts(result))


def test_a_creation_its_sync_made_under_the_raised_partition_fails(tmp_path: Path) -> None:
    """The same recording, edited: the status right after web-2's creation (#56) observed
    generation 3, and web-2 landed 40 s after the partition was 0 (#42), longer than any
    admission webhook holds a call: the sync that created web-2 read partition 3 and still gave
    it the update revision; newVersionedStatefulSetPod gives ordinal 2 the currentRevision.
    (With the status edit alone the creation may be a CREATE held 8 s whose sync wrote no status:
    inconclusive, test_a_held_creation_no_status_explains_is_inconclusive.)"""
    path = real_store(tmp_path, "cases22")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.status.observedGeneration', 3) "
        "WHERE id = 56",
    )
    rewrite(
        path, "UPDATE change SET received_wall_ns = received_wall_ns + 40000000000 WHERE id = 52"
    )
    result = verify(load_recording(path, f"{HELD_PARTITION}-orderedready"))
    failed = [v for v in _rollouts(result) if v.outcome == "fail"]
    assert [v.reason for v in failed] == [
        "web-2 was created at revision web-695d6f6c, but newVersionedStatefulSetPod gives "
        "ordinal 2 (below partition 3) the currentRevision web-67c9cbf9b4"
    ]


SLOW_CREATE = "b261-create-held-template-changed"


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_pod_created_at_the_old_revision_is_one_of_the_rollouts_replacements(
    tmp_path: Path, policy: str
) -> None:
    """b261: the scale-up 3→4's CREATE of web-3 is held 8 s while a client changes the
    template; web-3 lands at the old revision, and the update step replaces it first."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, f"{SLOW_CREATE}-{policy}"))
    assert not result.failed
    (rollout,) = _rollouts(result)
    assert rollout.outcome == "pass"
    assert "to partition 0: web-3, web-2, web-1, web-0;" in rollout.reason


def test_a_step_a_slow_call_took_late_is_not_told_as_late_syncs(tmp_path: Path) -> None:
    """b261 OrderedReady: web-3 was created 8.0 s after the scale-up allowed it; the status
    right after the creation observed generation 2, which the template change replaced 0.3 s
    after the scale-up: the sync came in time, its CREATE landed late."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, f"{SLOW_CREATE}-orderedready"))
    scale_up = [e for e in result.episodes if e.kind == "scale-up"][-1]
    assert scale_up.progress is not None
    assert scale_up.progress.text.endswith(
        "the controller took its next step (create web-3) only 8.0 s after the rules allowed it "
        "(#168 to #170), with nothing recorded to hold it: its sync came in time and its API "
        "call landed late (an admission webhook, the client's throttling): the sync that took "
        "it read generation 2 (its status right after, #174), which a change replaced 0.3 s "
        "after the rules allowed the step (#169)"
    )
    assert "syncs came late" not in scale_up.progress.text


DELETED_THEN_ACTED = [
    ("b262-externalname-service-orderedready", "web-1", "rolling-update"),
    ("b265-client-delete-then-scale-down-orderedready", "web-2", "scale-down"),
    ("b265-client-delete-then-scale-down-parallel", "web-2", "scale-down"),
]


@pytest.mark.parametrize(("session", "pod", "then"), DELETED_THEN_ACTED)
def test_a_successors_deletion_event_is_not_the_clients(
    tmp_path: Path, session: str, pod: str, then: str
) -> None:
    """b262, b265: a client deletes a pod (no Event), the controller creates it again, and
    seconds later deletes the new pod (a rollout step, a scale-down) with a SuccessfulDelete:
    that Event, nearer the second deletion, is not the client's deletion's."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, session))
    assert not result.failed, [v.reason for v in result.verdicts if v.outcome == "fail"]
    recreated = [e for e in result.episodes if e.kind == "pod-recreated"]
    assert recreated
    assert f"{pod} deleted" in recreated[0].summary
    assert "deleted by a client" in recreated[0].summary
    assert any(e.kind == then for e in result.episodes)


def test_an_external_name_service_is_told_as_one(tmp_path: Path) -> None:
    """b262: serviceName names a Service of type ExternalName: no virtual IP, no endpoints."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, "b262-externalname-service-orderedready"))
    identity = [v for v in result.verdicts if v.proof == "stable-network-identity"]
    assert identity
    assert all(v.outcome == "not-applicable" for v in identity)
    assert all(
        "Service web-hl is of type ExternalName (a DNS alias of example.invalid)" in v.reason
        for v in identity
    )
    assert not any("clusterIP None)" in v.reason for v in identity)


def test_a_creation_decided_here_that_landed_later_is_told_here(tmp_path: Path) -> None:
    """b261 Parallel: the scale-up 3→4 was superseded at once by the template change, and its
    CREATE of web-3 landed 7.8 s later in the rollout's window; the status right after the
    creation observed the scale-up's generation: the scale-up says so, not only 'no pod'."""
    path = real_store(tmp_path, "cases22")
    session = f"{SLOW_CREATE}-parallel"
    result = verify(load_recording(path, session))
    scale_up = [e for e in result.episodes if e.kind == "scale-up"][-1]
    described = next(v for v in scale_up.verdicts if v.proof == "parallel-described")
    assert described.reason == (
        "no pod was created in this episode; web-3 was created 7.8 s after this episode ended "
        "(#300), in the next one's window, by the sync that read this spec (its status right "
        "after, #304, observed generation 2): a call that landed late (an admission webhook, "
        "the client's throttling)"
    )
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.status.observedGeneration', 3) "
        "WHERE id = 304",
    )
    edited = verify(load_recording(path, session))
    scale_up = [e for e in edited.episodes if e.kind == "scale-up"][-1]
    described = next(v for v in scale_up.verdicts if v.proof == "parallel-described")
    assert described.reason == "no pod was created in this episode"


def test_a_condemned_deletion_that_landed_after_the_scale_back_is_told(tmp_path: Path) -> None:
    """b283: whenScaled Delete; the scale-down 3→2's sync updated data-web-2's owner (held 8 s
    by a webhook) and deleted web-2 after a client had scaled back to 3."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, "b283-when-scaled-claim-update-held-orderedready"))
    scale_down = next(e for e in result.episodes if e.kind == "scale-down")
    reverse = next(v for v in scale_down.verdicts if v.proof == "reverse-order-scale-down")
    assert "web-2 was deleted 7.8 s after this episode ended (#5346)" in reverse.reason
    assert "observed generation 2): a call that landed late" in reverse.reason


SET_DELETED = "b287-create-held-set-deleted"


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_creation_in_flight_when_the_set_was_deleted_is_no_failure(
    tmp_path: Path, policy: str
) -> None:
    """b287: the CREATE of web-3 reached the webhook before the set's deletion and landed 8 s
    after it; the garbage collector removed web-3 at once (its owner gone)."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, f"{SET_DELETED}-{policy}"))
    assert not result.failed
    deletion = next(v for v in result.verdicts if v.proof == "statefulset-deletion")
    assert "web-3 was created 7." in deletion.reason
    assert " s after the deletion began, by a CREATE the controller decided before it" in (
        deletion.reason
    )


def test_a_creation_long_after_the_sets_deletion_fails(tmp_path: Path) -> None:
    """The same recording, edited: web-3 created 40 s after the deletion began, longer than any
    admission webhook may hold a call: the controller managed a pod of a deleted set."""
    path = real_store(tmp_path, "cases22")
    rewrite(
        path, "UPDATE change SET received_wall_ns = received_wall_ns + 40000000000 WHERE id = 6017"
    )
    result = verify(load_recording(path, f"{SET_DELETED}-orderedready"))
    deletion = next(v for v in result.verdicts if v.proof == "statefulset-deletion")
    assert deletion.outcome == "fail"
    assert deletion.reason.startswith("web-3 was created after the StatefulSet's deletion began")


def test_a_slow_call_ambiguity_names_its_cause(tmp_path: Path) -> None:
    """b288: web-1 set Failed while web-3's CREATE was held: inconclusive, its cause
    'cannot-tell' (every kind was recorded), not 'not-recorded'."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, "b288-create-held-lower-failed-orderedready"))
    gating = [v for v in result.verdicts if v.proof == "ordered-ready-gating"]
    undecided = [v for v in gating if v.outcome == "inconclusive"]
    assert undecided
    assert {v.missing for v in undecided} == {"cannot-tell"}


NO_STATUS_AFTER = "b294-held-create-after-failed-create-orderedready"


def test_a_held_creation_no_status_explains_is_inconclusive(tmp_path: Path) -> None:
    """b294: the replacement web-2's CREATE (after a FailedCreate: its old claim was being
    deleted) is held 8 s while a client raises the partition to 3; its sync's status was the
    last one's, so none was written right after it: the spec it read cannot be told."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, NO_STATUS_AFTER))
    assert not result.failed
    (rollout,) = [v for v in _rollouts(result) if v.outcome == "inconclusive"]
    assert rollout.missing == "cannot-tell"
    assert (
        "; yet under the spec in force 8.8 s before its creation landed (#6851, partition 0)"
        in (rollout.reason)
    )


def test_a_creation_long_after_the_partition_rose_still_fails(tmp_path: Path) -> None:
    """The same recording, edited: web-2 created 40 s later, past any call a webhook holds."""
    path = real_store(tmp_path, "cases22")
    rewrite(
        path, "UPDATE change SET received_wall_ns = received_wall_ns + 40000000000 WHERE id = 6878"
    )
    result = verify(load_recording(path, NO_STATUS_AFTER))
    assert [v.outcome for v in _rollouts(result) if v.outcome != "pass"][:1] == ["fail"]


MIN_READY_RAISED = "b299-create-held-minready-raised-orderedready"


def test_a_creation_is_gated_by_the_min_ready_its_sync_read(tmp_path: Path) -> None:
    """b299: the CREATE of web-3, decided with every lower pod Ready under minReadySeconds 0, is
    held while a client raises it to 60; the status right after the creation (#7562) observed
    generation 2 (minReadySeconds 0): not a failure. Edited so that status observed generation 3
    (60 s), the sync read 60 s and created web-3 past pods Ready 5 s: a failure."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, MIN_READY_RAISED))
    assert not result.failed
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.status.observedGeneration', 3) "
        "WHERE id = 7562",
    )
    edited = verify(load_recording(path, MIN_READY_RAISED))
    gating = [v for v in edited.verdicts if v.proof == "ordered-ready-gating"]
    assert [v.outcome for v in gating if v.outcome == "fail"] == ["fail"]


def test_a_creation_in_flight_when_the_set_was_orphaned_is_told(tmp_path: Path) -> None:
    """b293: the set deleted with --cascade=orphan while web-3's CREATE was held: web-0..2 left,
    web-3 created with an ownerReference to the deleted set and removed by the collector."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, "b293-create-held-set-orphaned-orderedready"))
    deletion = next(v for v in result.verdicts if v.proof == "statefulset-deletion")
    assert deletion.reason.startswith("the StatefulSet was deleted but its pods were left")
    assert "web-3 was created 7.7 s after the deletion began, by a CREATE" in deletion.reason
    assert deletion.reason.endswith("and deleted by the garbage collector 0.0 s later")
