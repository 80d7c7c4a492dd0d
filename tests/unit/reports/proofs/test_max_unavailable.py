"""rolling-update with `maxUnavailable` (KEP-961) on a real lab recording
(`recordings/cases5.db.gz`, scenario `scenarios/faults/max-unavailable.yaml`, the
MaxUnavailableStatefulSet gate on), on an edited copy where a third pod is deleted while two are
unavailable, and on synthetic rollouts for the field's other readings."""

import json
import sqlite3
from pathlib import Path

import pytest

from stswatch.reports.history.pod_rules import max_unavailable
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.real import lifecycles, pod, real_store, rewrite
from tests.fixtures.verdicts import verdict_of

PROOF = "rolling-update"
ORDERED = "max-unavailable-orderedready"
PARALLEL = "max-unavailable-parallel"
AT_MOST_TWO = (
    "maxUnavailable=2 (a budget of 2 of 5 pods): at most 2 were unavailable at once "
    "(updateStatefulSetAfterInvariantEstablished)"
)


def _verify(path: Path, session: str) -> VerifyResult:
    return verify(load_recording(path, session))


@pytest.mark.parametrize("session", [ORDERED, PARALLEL])
def test_two_at_a_time_within_max_unavailable_passes(tmp_path: Path, session: str) -> None:
    result = _verify(real_store(tmp_path, "cases5"), session)
    first = verdict_of(result, PROOF, PROOF, nth=0)
    assert first.outcome == "pass", first.reason
    assert "web-4, web-3, web-2, web-1, web-0" in first.reason
    assert AT_MOST_TWO in first.reason
    assert not result.failed


@pytest.mark.parametrize(("policy", "change_id"), [("orderedready", 3754), ("parallel", 3913)])
def test_a_pod_that_fails_mid_rollout_is_counted_unavailable(
    tmp_path: Path, policy: str, change_id: int
) -> None:
    # b197 (cases21): the controller deletes web-4 and web-3 together (budget 2, none
    # unavailable); a client then sets web-1's phase Failed, its Ready condition left True, and
    # the controller deletes it to create it again (processReplica): three unavailable at once.
    session = f"b197-max-unavailable-failed-pod-{policy}"
    verdict = verdict_of(_verify(real_store(tmp_path, "cases21"), session), PROOF, PROOF)
    assert verdict.outcome == "pass", verdict.reason
    assert (
        "maxUnavailable=2 (a budget of 2 of 5 pods): at most 3 were unavailable at once (web-4 "
        f"terminating, web-3 terminating, web-1 not Running (failed), at #{change_id})"
    ) in verdict.reason


def test_a_pod_held_not_ready_narrows_the_parallel_update_to_one_at_a_time(tmp_path: Path) -> None:
    # web-0 held not Ready counts against maxUnavailable: the controller replaces one pod at a
    # time, which is right, not a broken maxUnavailable.
    second = verdict_of(_verify(real_store(tmp_path, "cases5"), PARALLEL), PROOF, PROOF, nth=1)
    assert second.outcome == "pass", second.reason
    assert "maxUnavailable=2, one pod at a time: web-0 (not Ready) used the rest of it" in (
        second.reason
    )


def test_ordered_ready_halts_behind_the_held_pod_then_goes_two_at_a_time(tmp_path: Path) -> None:
    second = verdict_of(_verify(real_store(tmp_path, "cases5"), ORDERED), PROOF, PROOF, nth=1)
    assert second.outcome == "pass", second.reason
    assert AT_MOST_TWO in second.reason
    assert "held at web-0 (not Ready)" in second.reason


def test_a_third_deletion_while_two_are_unavailable_fails(tmp_path: Path) -> None:
    # Edited copy: the first rollout's new web-4 never turns Ready, yet the controller deletes
    # web-2 and then web-1: after web-1's deletion three pods are unavailable.
    path = real_store(tmp_path, "cases5")
    new_web4 = pod(lifecycles(path, PARALLEL), "web-4", nth=1)
    ready = new_web4.first("ready")
    assert ready is not None
    conn = sqlite3.connect(path)
    (text,) = conn.execute("SELECT object FROM change WHERE id = ?", (ready.change_id,)).fetchone()
    conn.close()
    obj = json.loads(text)
    for condition in obj["status"]["conditions"]:
        if condition["type"] in ("Ready", "ContainersReady"):
            condition["status"] = "False"
    rewrite(path, "UPDATE change SET object = ? WHERE id = ?", json.dumps(obj), ready.change_id)
    verdict = verdict_of(_verify(path, PARALLEL), PROOF, PROOF, nth=0)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-1 was deleted for the update while web-2 (terminating), web-4 (not Ready) were "
        "unavailable"
    )
    assert "with maxUnavailable=2 the controller deletes only while fewer than 2" in verdict.reason
    assert [e.change_id for e in verdict.evidence][-1] == pod(
        lifecycles(path, PARALLEL), "web-1"
    ).first("terminating").change_id  # type: ignore[union-attr]


def _five(max_unavailable: object) -> ClusterBuilder:
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=5, policy="Parallel")
    for ordinal in range(5):
        b.bring_up("web", ordinal)
    b.set_spec("web", image="nginx:2", max_unavailable=max_unavailable)
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    return b


def test_one_at_a_time_with_room_to_spare_reads_as_the_gate_off(tmp_path: Path) -> None:
    # The field is set, but each replacement is Ready before the next deletion although the
    # budget had room: the controller ignored it, as it does with the gate off.
    b = _five(3)
    for ordinal in (4, 3, 2, 1, 0):
        b.take_down("web", ordinal)
        b.bring_up("web", ordinal)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "pass", verdict.reason
    assert "maxUnavailable=3, yet one pod at a time" in verdict.reason
    assert "MaxUnavailableStatefulSet feature gate is off" in verdict.reason


def test_one_at_a_time_with_unhealthy_pods_below_is_not_failed_without_the_gate_shown_on(
    tmp_path: Path,
) -> None:
    # Two lower pods not Ready and a one-at-a-time update deleting anyway (maxUnavailable 2):
    # over the budget, but nothing shows the gate on; with it off the field is ignored and
    # Parallel's update does not wait for lower pods.
    b = _five(2)
    b.ready("web-0", False)
    b.ready("web-1", False)
    for ordinal in (4, 3, 2):
        b.take_down("web", ordinal)
        b.bring_up("web", ordinal)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome != "fail", verdict.reason


@pytest.mark.parametrize(
    ("value", "count"),
    [(None, 1), ("2", 2), ("50%", 2), ("10%", 1), ("0", 1), ("x", 1), ("100%", 5)],
)
def test_budget_is_get_stateful_set_max_unavailable(value: str | None, count: int) -> None:
    assert max_unavailable(value, 5) == count
