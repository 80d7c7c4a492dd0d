"""Who deleted a pod, on the real controller (`recordings/cases8.db.gz`, `scenarios/break/`):
another of the cluster's controllers names itself in the pod's DisruptionTarget condition, and a
missing SuccessfulDelete Event is a client's deletion only while the controller's Events were
being recorded (client-go's EventSourceObjectSpamFilter drops them past a burst of 25)."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite
from tests.fixtures.verdicts import verdict_of


def _summaries(path: Path, session: str) -> list[str]:
    result = verify(load_recording(path, session))
    return [e.summary for e in result.episodes if e.kind == "pod-recreated"]


def test_a_pod_evicted_by_a_noexecute_taint_is_the_taint_eviction_controllers(
    tmp_path: Path,
) -> None:
    path = real_store(tmp_path, "cases8")
    [summary] = _summaries(path, "b61-taint-noexecute-eviction-orderedready")
    assert "web-1 deleted and recreated" in summary
    assert "deleted by the taint eviction controller" in summary
    assert "DeletionByTaintManager" in summary
    assert "a client" not in summary


def test_a_pod_the_scheduler_preempted_is_the_schedulers(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases8")
    [summary] = _summaries(path, "b68-preempted-by-scheduler-orderedready")
    assert "deleted by the scheduler, preempting it" in summary
    assert "PreemptionByScheduler" in summary


def test_pods_on_a_deleted_node_are_the_pod_garbage_collectors(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases8")
    summaries = _summaries(path, "b74-node-deleted-podgc-parallel")
    assert len(summaries) == 3
    for summary in summaries:
        assert "deleted by the pod garbage collector" in summary
        assert "DeletionByPodGC" in summary


def test_a_scale_down_past_the_event_spam_filter_is_the_controllers(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases8")
    session = "b73-event-spam-filter-scale-down-orderedready"
    verdict = verdict_of(
        verify(load_recording(path, session)), "reverse-order-scale-down", "scale-down"
    )
    assert verdict.outcome == "pass", verdict.reason
    assert "web-13, web-12" in verdict.reason
    assert "web-1, web-0" in verdict.reason
    assert "a client" not in verdict.reason


def test_without_its_disruption_condition_the_same_deletion_is_a_clients(tmp_path: Path) -> None:
    # The counterpart: the condition is what names the taint eviction controller; without it
    # and without a SuccessfulDelete Event (Events recorded) the deletion is a client's.
    path = real_store(tmp_path, "cases8")
    rewrite(path, "UPDATE change SET object = replace(object, '\"DisruptionTarget\"', '\"Other\"')")
    [summary] = _summaries(path, "b61-taint-noexecute-eviction-orderedready")
    assert "deleted by a client" in summary


def test_a_rollout_past_the_event_spam_filter_is_the_controllers_with_the_gap_said(
    tmp_path: Path,
) -> None:
    path = real_store(tmp_path, "cases8")
    for session in ("b59-event-spam-filter-rollout-orderedready",
                    "b59-event-spam-filter-rollout-parallel"):  # fmt: skip
        verdict = verdict_of(
            verify(load_recording(path, session)), "rolling-update", "rolling-update"
        )
        assert verdict.outcome == "pass", verdict.reason
        assert "partition 0: web-13, web-12, web-11, web-10, web-9, web-8, web-7" in verdict.reason
        assert "web-1, web-0" in verdict.reason
        assert "who deleted 8 of them (web-7 to web-0) is not recorded" in verdict.reason
        assert "EventSourceObjectSpamFilter" in verdict.reason
        assert "deleted by a client" not in verdict.reason


def test_with_the_filter_not_used_up_a_missing_event_is_still_a_clients(tmp_path: Path) -> None:
    # The same rollout with the scale-up's Events gone from the copy: the filter had room for the
    # rollout's, so web-7 ... web-0 without theirs were not deleted by the controller.
    path = real_store(tmp_path, "cases8")
    rewrite(path, "DELETE FROM change WHERE kind = 'Event' AND object LIKE '%create Pod web-%'")
    session = "b59-event-spam-filter-rollout-orderedready"
    verdict = verdict_of(verify(load_recording(path, session)), "rolling-update", "rolling-update")
    assert "web-0 was deleted by a client, not by the controller" in verdict.reason
    assert "EventSourceObjectSpamFilter" not in verdict.reason
