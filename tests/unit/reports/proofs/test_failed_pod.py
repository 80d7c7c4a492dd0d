"""failed-pod-replaced: a Failed or Succeeded pod is deleted once by the controller, then created
again (processReplica), on real recordings (`evicted-pod`, `succeeded-pod` in cases2.db.gz) and on
builder sessions where the controller deletes it again long after its deletionTimestamp."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.real import real_store
from tests.fixtures.verdicts import verdict_of

PROOF = "failed-pod-replaced"


@pytest.mark.parametrize(
    ("session", "phase"),
    [
        ("evicted-pod-orderedready", "Failed (Evicted)"),
        ("evicted-pod-parallel", "Failed (Evicted)"),
        ("succeeded-pod-orderedready", "Succeeded (Terminated)"),
    ],
)
def test_the_controller_deletes_an_ended_pod_once(tmp_path: Path, session: str, phase: str) -> None:
    result = verify(load_recording(real_store(tmp_path, "cases2"), session))
    verdict = verdict_of(result, PROOF, "pod-recreated")
    assert verdict.outcome == "pass"
    assert verdict.reason.startswith(
        f"web-1 ended {phase}; the controller deleted it once (its SuccessfulDelete Event) and "
        "created web-1 again"
    )
    assert "SuccessfulDelete Event" in [e.note for e in verdict.evidence]


def _failed_then(b: ClusterBuilder, *, second_delete_after_ms: int | None) -> None:
    b.service("web-headless")
    b.statefulset("web", replicas=2)
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    pod = b.get("Pod", "web-1")
    pod["status"]["phase"] = "Failed"
    pod["status"]["reason"] = "Evicted"
    b.emit("Pod", pod, "MODIFIED")
    b.controller_event("web", "delete", "Pod", "web-1")
    b.terminate("web-1")
    if second_delete_after_ms is not None:
        b.tick(second_delete_after_ms)
        b.controller_event("web", "delete", "Pod", "web-1")
    b.remove("web-1")
    b.create_pod("web", 1)
    b.start_pod("web-1")


def test_a_second_delete_long_after_the_deletion_began_fails(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _failed_then(b, second_delete_after_ms=8000)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, "pod-recreated")
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "the controller deleted web-1 2 times after it ended Failed (Evicted), the last 8."
    )
    assert "processReplica deletes a Failed or Succeeded pod only while it has no " in (
        verdict.reason
    )


def test_a_second_delete_within_the_cache_lag_is_not_a_fault(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _failed_then(b, second_delete_after_ms=1000)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, "pod-recreated")
    assert verdict.outcome == "pass"
    assert "deleted it 2 times within the informer cache's lag" in verdict.reason
