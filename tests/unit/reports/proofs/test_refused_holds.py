"""Holds made by refused API calls (cases21, kwok, the real controller): a quota refusing creates,
an admission policy refusing a deletion, an immutable pod spec refusing the controller's update.
The replay cannot see a refused call; the controller's Warning Events say where the walk stood.
With them, the same recordings' other cases: a window that starts after the set was replaced,
scenario marks near a deletion, and a Ready condition a client's status write moved."""

from pathlib import Path

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from stswatch.reports.window import Moment, WindowRequest
from stswatch.reports.window_reader import load_window
from tests.fixtures.real import real_store, rewrite
from tests.fixtures.verdicts import verdict_of

QUOTA = (
    'FailedCreate recorded 11 times ("create Pod web-4 in StatefulSet web failed error: pods '
    '"web-4" is forbidden: exceeded quota: q, requested: pods=1, used: pods=4, limited: pods=4")'
)


def _last(result: VerifyResult, proof: str, kind: str) -> Verdict:
    """The verdict `proof` of the last episode of `kind` (the first is the set's first scale)."""
    episodes = [e for e in result.episodes if e.kind == kind]
    return next(v for v in episodes[-1].verdicts if v.proof == proof)


def _progress(result: VerifyResult, kind: str) -> str:
    episodes = [e for e in result.episodes if e.kind == kind]
    assert episodes[-1].progress is not None
    return episodes[-1].progress.text


def test_quota_refusing_creations_is_a_hold_at_the_pod_it_names(tmp_path: Path) -> None:
    """b186: a ResourceQuota of 4 pods; the scale-up 3→6 creates web-3, then CreateStatefulPod
    for web-4 is refused on every sync until a client raises the quota."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b186-quota-halts-scale-up-orderedready"))
    assert not result.failed
    text = _progress(result, "scale-up")
    assert text.startswith(
        f"completed within the episode in 13.3 s; held at web-4 (creation refused: {QUOTA}) for "
        "10.2 s, until web-4 created, 5.1 s after the last refusal recorded"
    )
    assert "the controller's calls failed" not in text  # told once, as the hold
    gating = _last(result, "ordered-ready-gating", "scale-up")
    assert "held at web-4 (creation refused: FailedCreate recorded 11 times" in gating.reason
    notes = [e.note for e in gating.evidence]
    assert "web-4: FailedCreate" in notes
    assert "web-4 created" in notes


def test_parallel_burst_narrowed_by_refused_creations_says_so(tmp_path: Path) -> None:
    """b186 under Parallel: slowStartBatch's third batch makes web-3 only; web-4 and web-5 are
    refused by the quota: 'burst width 1' is the quota's doing, and the verdict says so."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b186-quota-halts-scale-up-parallel"))
    assert not result.failed
    described = _last(result, "parallel-described", "scale-up")
    assert described.reason.startswith(
        "burst width 1 (1 of 3 created before any was Ready); all Ready 17.80s after the scale-up;"
        " held at web-5 (creation refused: FailedCreate recorded 12 times"
    )
    assert "held at web-4 (creation refused: FailedCreate recorded 12 times" in described.reason


def test_admission_refusing_a_condemned_pods_deletion_holds_the_scale_down(
    tmp_path: Path,
) -> None:
    """b187: a ValidatingAdmissionPolicy refuses DELETE of web-2 during a scale-down 4→1:
    processCondemned returns the error, web-1 waits; both policies."""
    path = real_store(tmp_path, "cases21")
    ordered = verify(load_recording(path, "b187-admission-denies-pod-delete-orderedready"))
    assert not ordered.failed
    text = _progress(ordered, "scale-down")
    assert text.startswith(
        "completed within the episode in 12.1 s; held at web-2 (deletion refused"
    )
    assert "for 10.3 s, until web-2 deletion began, 5.1 s after the last refusal recorded" in text
    parallel = verify(load_recording(path, "b187-admission-denies-pod-delete-parallel"))
    described = _last(parallel, "parallel-described", "scale-down")
    assert "held at web-2 (deletion refused: FailedDelete recorded 14 times" in described.reason
    assert "for 41.6 s, until web-2 deletion began, 41.0 s after the last refusal" in (
        described.reason
    )


def test_refused_update_halts_at_the_pod_the_refusals_name(tmp_path: Path) -> None:
    """b185: the set re-created (Orphan) with a second claim template; the controller's update
    of the adopted web-0 (a new volume) is refused every sync, until a client deletes web-0;
    then web-1's. The halt is at the pod the refusals name, web-0 first."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b185-claim-template-added-by-recreate-orderedready"))
    assert not result.failed
    text = _progress(result, "scale-up")
    assert text.startswith(
        "did not complete within the episode (the recording ended): halted at web-1 (update "
        "refused: FailedUpdate recorded 11 times"
    )
    assert (
        'held at web-0 (update refused: FailedUpdate recorded 3 times ("update Pod web-0 in '
        'StatefulSet web failed error: Pod "web-0" is invalid: spec: Forbidden'
    ) in text
    assert "for 8.0 s, until web-0 deletion began" in text


def test_brief_refusals_are_no_hold(tmp_path: Path) -> None:
    """The claim-deleted-with-pod case: CreateStatefulPod refused for a moment while the old
    claim is being deleted; told among the calls that failed, not as a hold."""
    path = real_store(tmp_path, "cases")
    result = verify(load_recording(path, "claim-deleted-with-pod-parallel"))
    told = [e.progress.text for e in result.episodes if e.progress is not None]
    assert any("the controller's calls failed: FailedCreate recorded" in t for t in told)
    assert not any("refused" in t for t in told)


def test_new_claim_explained_before_the_window_is_inconclusive(tmp_path: Path) -> None:
    """b185 read from after the set's re-creation (--since): web-0's successor mounts the new
    template's claim too; the set that made the old web-0 lies before the window, so the window
    cannot tell why: inconclusive, never fail (the whole session passes)."""
    path = real_store(tmp_path, "cases21")
    session = "b185-claim-template-added-by-recreate-orderedready"
    whole = verify(load_recording(path, session))
    recreated = [e for e in whole.episodes if e.kind == "pod-recreated"]
    storage = next(v for v in recreated[0].verdicts if v.proof == "stable-storage")
    assert storage.outcome == "pass", storage.reason
    since = 1_796_672_150_470_293_000  # 2026-12-07T19:35:50.470293Z
    request = WindowRequest(since=Moment("2026-12-07T19:35:50.470293Z", wall_ns=since))
    windowed = verify(load_window(path, session, request))
    assert not windowed.failed
    verdicts = [v for e in windowed.episodes if e.kind == "pod-recreated" for v in e.verdicts]
    storage = next(v for v in verdicts if v.proof == "stable-storage")
    assert storage.outcome == "inconclusive"
    assert storage.reason.startswith(
        "web-0 mounts data-web-0 and logs-web-0, its predecessor data-web-0; the old web-0 was "
        "created before the recording (or the window) began"
    )


def test_a_deletion_is_told_with_the_mark_nearest_it(tmp_path: Path) -> None:
    """b189: a client force-deletes web-1 about a second after the mark announcing it, and the
    next mark (for the next deletion of web-1) came a second after that deletion: each deletion
    names its own step, the nearest mark, not the latest one within reach."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b189-force-delete-mid-rollout-orderedready"))
    web1 = [
        e.summary for e in result.episodes if e.kind == "pod-recreated" and "web-1" in e.summary
    ]
    assert len(web1) == 2
    assert "'kubectl: a client force-deletes the Terminating web-1 (grace 0)'" in web1[0]
    assert "'kubectl: a client force-deletes the Running web-1 (grace 0)'" in web1[1]


def test_availability_reads_the_ready_condition_as_it_stood(tmp_path: Path) -> None:
    """b192: minReadySeconds 12; a client's status write moves the Ready web-0's
    lastTransitionTime 30 s back and the controller creates web-1 25 ms later: IsPodAvailable
    reads the condition as cached at the decision, so the controller was right (both policies,
    scale-up and rollout)."""
    path = real_store(tmp_path, "cases21")
    for policy in ("orderedready", "parallel"):
        result = verify(load_recording(path, f"b192-ready-transition-backdated-{policy}"))
        assert not result.failed, policy


def test_a_creation_before_minready_still_fails_without_the_status_write(tmp_path: Path) -> None:
    """b192 edited: the client's status write (#2293) dropped, so web-0 had been Ready about
    2 s when web-1 was created: gating fails, as it must."""
    path = real_store(tmp_path, "cases21")
    rewrite(path, "DELETE FROM change WHERE id = 2293")
    result = verify(load_recording(path, "b192-ready-transition-backdated-orderedready"))
    failed = [v for v in result.verdicts if v.outcome == "fail"]
    assert failed[0].proof == "ordered-ready-gating"
    assert failed[0].reason.startswith(
        "web-1 was created while web-0 was Ready 2s < minReadySeconds"
    )


def test_a_hold_released_by_a_relist_says_when_its_pod_was_ready(tmp_path: Path) -> None:
    """b7-scaleup: the recorder was down 10.8 s mid scale-up and its relist recorded web-4 Ready:
    the hold's end is the relist's time, and the Ready condition says how much earlier it was;
    the latency table leaves out the phases a relist recorded (stable-storage, gating
    inconclusive, the gap named)."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b7-scaleup-orderedready-194039"))
    text = _progress(result, "scale-up")
    assert text.endswith(
        "held at web-4 (not Ready) for 11.2 s, until web-4 Ready (its Ready condition's "
        "lastTransitionTime reads 2026-12-07T19:40:53Z, 10.2 s before this change was recorded, "
        "by the relist that closed a recorder gap)"
    )
    episode = [e for e in result.episodes if e.kind == "scale-up"][-1]
    ready = {p.phase: p for p in episode.latency}["running→ready"]
    assert (ready.count, ready.max_ms < 5000) == (1, True)  # not the 10.9 s of the relist


def test_a_hold_ended_by_a_late_watch_delivery_says_so(tmp_path: Path) -> None:
    """b7-stall: the recorder was stopped (SIGSTOP) 8 s mid scale-up; no gap, web-3's Ready
    arrived 7.7 s after its condition's time, in one burst with web-4's creation, itself 7.7 s
    after its creationTimestamp (the API server's stamp): the hold is measured as recorded and
    says it was delivered late; the latency table leaves out the phases the burst closed."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b7-stall-orderedready-195306"))
    text = _progress(result, "scale-up")
    assert text.endswith(
        "held at web-3 (not Ready) for 8.5 s, until web-3 Ready (its Ready condition's "
        "lastTransitionTime reads 2026-12-07T19:53:19Z, 7.7 s before this change was recorded, "
        "delivered late by the watch: web-4's creation came in the same burst, 7.7 s after its "
        "creationTimestamp)"
    )
    episode = [e for e in result.episodes if e.kind == "scale-up"][-1]
    assert [(p.phase, p.count) for p in episode.latency] == [
        ("created→scheduled", 1), ("scheduled→running", 1),
    ]  # fmt: skip  # web-3's alone: not the 8.3 s running→ready of the stall


def test_a_would_be_fail_made_of_a_relists_order_says_so(tmp_path: Path) -> None:
    """b7-rollout: a Parallel rollout across a recorder gap; the relist records the two old
    pods' deletions in list order, which reads as web-1 replaced after web-0. Inconclusive, and
    its 'would have been fail' says it rests on the relist's order."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b7-rollout-parallel-194154"))
    rollout = _last(result, "rolling-update", "rolling-update")
    assert rollout.outcome == "inconclusive"
    assert (
        "would have been fail by changes a relist recorded (in the list's order at the relist's "
        "time, not the order or time they happened): web-1 was replaced after web-0"
    ) in rollout.reason


def test_a_controller_that_stood_still_is_told(tmp_path: Path) -> None:
    """b194: kube-controller-manager stopped 8 s as the set is scaled 3→6: every pod Ready, the
    rules allow web-3 at once, and nothing recorded holds it: the progress says how long the
    controller took; a wait a hold tells (the AlreadyExists backoff after a name is free) is not
    told twice (cases8 b40)."""
    path = real_store(tmp_path, "cases21")
    for policy, ids in (("orderedready", "#2933 to #2934"), ("parallel", "#3010 to #3011")):
        result = verify(load_recording(path, f"b194-controller-manager-paused-{policy}"))
        assert _progress(result, "scale-up").endswith(
            f"; the controller took its next step (create web-3) only 8.2 s after the rules "
            f"allowed it ({ids}), with nothing recorded to hold it: its syncs came late (a "
            "controller-manager stopped or restarting, a leader election, a busy work queue) or "
            "its API call was slow (an admission webhook, the client's throttling): the "
            "recording cannot tell which"
        )
    other = real_store(tmp_path, "cases8")
    told = [
        e.progress.text
        for e in verify(load_recording(other, "b40-release-by-relabel-orderedready")).episodes
        if e.progress is not None
    ]
    assert any("web-1 created 13.8 s after its name was free" in t for t in told)
    assert not any("took its next step" in t for t in told)


def test_a_deletion_an_admission_webhook_held_is_not_failed(tmp_path: Path) -> None:
    """b198: the update step deletes web-1 under partition 0; a webhook holds the DELETE 8 s,
    and a client raises the partition to 3 meanwhile: the deletion lands below the partition.
    The status right after the deletion observed generation 2 (partition 0): the sync that made
    it read that spec (updateStatefulSetStatus), so it is the update step's, never a fail."""
    path = real_store(tmp_path, "cases21")
    for policy in ("orderedready", "parallel"):
        result = verify(load_recording(path, f"b198-controller-delete-held-by-webhook-{policy}"))
        assert not result.failed, policy
        assert not [v for v in result.verdicts if v.outcome == "inconclusive"], policy
        recreated = [e for e in result.episodes if e.kind == "pod-recreated"]
        assert "web-1 deleted and recreated" in recreated[0].summary
        assert "for the update: it was at revision web-67c9cbf9b4" in recreated[0].summary
        (rollout,) = [
            v for e in result.episodes if "partition 3" in e.summary for v in e.verdicts
            if v.proof == "rolling-update"
        ]  # fmt: skip
        assert "; web-1's DELETE was decided by a sync that read generation 2 (" in rollout.reason


def test_a_held_deletion_its_status_does_not_place_is_inconclusive(tmp_path: Path) -> None:
    """b198 edited: the status right after web-1's deletion (#4067) observed generation 3, so
    the recording no longer shows which spec the deleting sync read; under the spec of 8 s
    before it was the update step's: inconclusive, never fail."""
    path = real_store(tmp_path, "cases21")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.status.observedGeneration', 3) "
        "WHERE id = 4067",
    )
    result = verify(load_recording(path, "b198-controller-delete-held-by-webhook-orderedready"))
    assert not result.failed
    told = [v for v in result.verdicts if v.outcome == "inconclusive"]
    assert {v.proof for v in told} >= {"rolling-update", "failed-pod-replaced"}
    assert all(
        "yet under a spec in force up to 30 s before its deletion landed, web-1 was behind "
        "the update revision at or above the partition (the update step)" in v.reason
        for v in told
        if v.proof in ("rolling-update", "failed-pod-replaced")
    )


def test_a_scale_up_whose_status_writes_were_refused(tmp_path: Path) -> None:
    """b196: an admission policy refuses the controller's status updates while it scales 3→5:
    web-3 and web-4 are created and Ready (it acted on replicas 5), but no status observed
    generation 2: no FAIL, and the progress says the controller acted though no status of the
    spec was recorded."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b196-status-write-refused-orderedready"))
    assert not result.failed
    assert _progress(result, "scale-up").endswith(
        "the controller has not yet observed the new spec (no status of generation 2 was "
        "recorded, yet it created web-3, web-4 under it: its status updates were refused or "
        "failing)"
    )


def test_a_claim_another_controller_holds_is_left_alone_and_told(tmp_path: Path) -> None:
    """b195: data-web-1 has a Service as its controller; under whenDeleted: Delete the
    controller leaves it as it is (hasUnexpectedController) and warns ConflictingController:
    a warning, not a failed call, and the claim is named, not dropped."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b195-claim-foreign-controller-orderedready"))
    assert not result.failed
    owners = verdict_of(result, "claim-owner-references", "scale-up")
    assert owners.reason.endswith(
        "; data-web-1 left as it is: its ownerReference names a Service, which the controller "
        "does not override (hasStaleOwnerRef, hasUnexpectedController: the retention policy is "
        "not applied to it)"
    )
    text = _progress(result, "scale-up")
    assert (
        '; the controller warned: ConflictingController recorded 4 times ("PersistentVolumeClaim'
        in text
    )
    assert "calls failed: ConflictingController" not in text


def test_a_creation_an_admission_webhook_held_is_not_failed(tmp_path: Path) -> None:
    """b244: the sync that saw web-0..web-2 Ready creates web-3; a webhook holds the CREATE 8 s,
    and web-2 turns not Ready meanwhile: gating is inconclusive, never failed."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b244-create-held-lower-unready-orderedready"))
    assert not result.failed
    gating = _last(result, "ordered-ready-gating", "scale-up")
    assert gating.outcome == "inconclusive"
    assert gating.reason.startswith(
        "would have been fail: web-3 was created while web-2 was not Ready; web-2 turned not "
        "Ready 7.8 s before"
    )


def test_a_creation_long_after_a_lower_pod_turned_unready_still_fails(tmp_path: Path) -> None:
    """b244 edited: web-3's creation moved 40 s later (past any call a webhook may hold), web-2
    still not Ready then: gating fails."""
    path = real_store(tmp_path, "cases21")
    session = "b244-create-held-lower-unready-orderedready"
    rewrite(
        path,
        "UPDATE change SET received_wall_ns = received_wall_ns + 40000000000 WHERE id = 12963",
    )
    result = verify(load_recording(path, session))
    failed = [v for v in result.verdicts if v.outcome == "fail"]
    assert [v.proof for v in failed][:1] == ["ordered-ready-gating"]
    assert failed[0].reason == "web-3 was created while web-2 was not Ready"


def test_a_claim_lost_to_another_sets_retention_policy_is_not_expected(tmp_path: Path) -> None:
    """b188: web (Retain) and 1-web (whenScaled: Delete) name the same claim data-1-web-0; 1-web's
    scale to 0 has the garbage collector delete it through its ownerReference to 1-web-0: for
    web's web-0 that is not its own policy's doing, and is not called expected."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b188-claim-name-shared-by-two-sets-orderedready"))
    assert not result.failed
    told = [
        v.reason for e in result.episodes if e.kind == "pod-recreated" for v in e.verdicts
        if v.proof == "stable-storage"
    ]  # fmt: skip
    assert len(told) == 1
    assert (
        "(claim replaced, not by web's policy): the old claim was deleted by the garbage"
        in (told[0])
    )
    assert "expected" not in told[0]


def test_a_creation_that_lands_after_the_scale_down_is_a_condemned_pod(tmp_path: Path) -> None:
    """b199: the controller's CREATE of web-3 (for replicas 5) is held 8 s; a client scales back
    to 3 meanwhile: web-3 arrives condemned and the controller deletes it. The scale-down says
    so, never 'the controller deleted no condemned pod'."""
    path = real_store(tmp_path, "cases21")
    ordered = verify(load_recording(path, "b199-controller-create-held-by-webhook-orderedready"))
    down = _last(ordered, "reverse-order-scale-down", "scale-down")
    assert down.reason == (
        "deleted from the highest ordinal down, each after the previous was gone: web-3; web-3 "
        "was created 7.8 s after the scale-down began, condemned on arrival: a CREATE the "
        "controller decided for the earlier replicas landed late (a throttled or webhook-held "
        "call)"
    )
    parallel = verify(load_recording(path, "b199-controller-create-held-by-webhook-parallel"))
    described = _last(parallel, "parallel-described", "scale-down")
    assert "web-3 was created 7.8 s after the scale-down began, condemned on arrival" in (
        described.reason
    )


def test_a_recording_begun_mid_scale_down_has_that_episode(tmp_path: Path) -> None:
    """b7-latestart: the recorder starts while a scale-down 4→2 waits on web-3, Terminating and
    held by a finalizer: the scale-down is an episode under way, and the deletions it holds are
    the controller's (the SuccessfulDelete listed with the pods), never a client's."""
    path = real_store(tmp_path, "cases21")
    ordered = verify(load_recording(path, "b7-latestart-orderedready-200233"))
    down = [e for e in ordered.episodes if e.kind == "scale-down"]
    assert [e.summary for e in down] == [
        "web: scale-down 4→2 under way when the recording began (OrderedReady: pods outside the "
        "range at the first list)"
    ]
    verdict = _last(ordered, "reverse-order-scale-down", "scale-down")
    assert verdict.reason.startswith(
        "deleted from the highest ordinal down, each after the previous was gone: web-2; web-3 "
        "was already being deleted by the StatefulSet controller when the recording began"
    )
    parallel = verify(load_recording(path, "b7-latestart-parallel-200258"))
    told = _last(parallel, "reverse-order-scale-down", "scale-down").reason
    assert "web-3 was already being deleted by the StatefulSet controller when the recording" in (
        told
    )


def test_a_dns_name_another_pod_answers_too_is_told(tmp_path: Path) -> None:
    """b193: a bare pod with hostname web-1 and subdomain web-hl, selected by the Service: the
    EndpointSlice serves web-1.web-hl… for it too. The controller kept web-1's identity (pass),
    and the verdict says the name was not web-1's alone."""
    path = real_store(tmp_path, "cases21")
    result = verify(load_recording(path, "b193-hostname-impostor-pod-orderedready"))
    assert not result.failed
    identity = next(
        v for e in result.episodes if e.kind == "pod-recreated" for v in e.verdicts
        if v.proof == "stable-network-identity"
    )  # fmt: skip
    assert identity.outcome == "pass"
    assert "also answered 10.244.0.3, the pod uid 2a385e4c-b4d4-4452-a309-94a62112253d, not " in (
        identity.reason
    )
