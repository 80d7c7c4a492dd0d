"""Stable storage across a pod's recreation: the same claim and volume, or a new claim expected
after a client's or the retention policy's deletion; a gap makes it inconclusive."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import running_web, verdict_of

KIND = "pod-recreated"


def test_claim_deleted_by_a_client_makes_a_new_claim_expected(tmp_path: Path) -> None:
    b = running_web()
    b.take_down("web", 1)
    b.delete("PersistentVolumeClaim", "data-web-1")
    b.pvc("data-web-1")
    b.bind("data-web-1", "pv-fresh")
    b.bring_up("web", 1)
    result = verify(b.write(tmp_path / "s.db"))
    storage = verdict_of(result, "stable-storage", KIND)
    assert storage.outcome == "not-applicable", storage.reason
    assert "data-web-1 is a new claim for web-1" in storage.reason
    assert "deleted by a client" in storage.reason
    assert not result.failed


def test_claim_deleted_by_the_retention_policy_makes_a_new_claim_expected(
    tmp_path: Path,
) -> None:
    b = running_web()
    claim = b.get("PersistentVolumeClaim", "data-web-1")
    pod = b.get("Pod", "web-1")["metadata"]
    claim["metadata"]["ownerReferences"] = [{"kind": "Pod", "name": "web-1", "uid": pod["uid"]}]
    b.emit("PersistentVolumeClaim", claim, "MODIFIED")
    b.take_down("web", 1)
    b.delete("PersistentVolumeClaim", "data-web-1")
    b.pvc("data-web-1")
    b.bind("data-web-1", "pv-fresh")
    b.bring_up("web", 1)
    storage = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-storage", KIND)
    assert storage.outcome == "not-applicable", storage.reason
    assert "deleted by the PVC retention policy" in storage.reason
    assert "whenScaled: Delete" in storage.reason


def test_claim_bound_to_another_volume_under_the_same_uid_fails(tmp_path: Path) -> None:
    b = running_web()
    b.take_down("web", 1)
    b.bind("data-web-1", "pv-other")  # same claim object, another volume: the data is gone
    b.bring_up("web", 1)
    result = verify(b.write(tmp_path / "s.db"))
    storage = verdict_of(result, "stable-storage", KIND)
    assert storage.outcome == "fail", storage.reason
    assert "under the same claim uid" in storage.reason
    assert "then to PV pv-other" in storage.reason
    assert result.failed


def test_gap_makes_verdict_inconclusive(tmp_path: Path) -> None:
    b = running_web()
    b.take_down("web", 1)
    b.gap("Pod", ms=500)
    b.bring_up("web", 1)
    b.endpoints("web-headless")
    result = verify(b.write(tmp_path / "s.db"))
    storage = verdict_of(result, "stable-storage", KIND)
    assert storage.outcome == "inconclusive"
    assert storage.gap is not None
    assert storage.gap.kind == "Pod"
    assert "would have been pass" in storage.reason
    assert not result.failed


def _pending_replacement_loses_its_claim(recreated: bool) -> ClusterBuilder:
    # web-1 is replaced; the new web-1 stays Pending (unschedulable), and a client deletes its
    # claim data-web-1 (no node uses it, so nothing protects it).
    b = running_web()
    b.take_down("web", 1)
    b.create_pod("web", 1)
    b.delete("PersistentVolumeClaim", "data-web-1")
    if recreated:
        b.pvc("data-web-1")  # processReplica: createMissingPersistentVolumeClaims
    b.tick(10_000)
    b.set_status("web", replicas=3, readyReplicas=2)
    return b


def test_claim_deleted_under_a_pending_pod_and_never_recreated_fails(tmp_path: Path) -> None:
    b = _pending_replacement_loses_its_claim(recreated=False)
    storage = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-storage", KIND)
    assert storage.outcome == "fail", storage.reason
    assert storage.reason == (
        "data-web-1 was deleted while web-1 was Pending and never created again, although "
        "processReplica recreates a Pending pod's missing claims "
        "(createMissingPersistentVolumeClaims)"
    )


def test_claim_deleted_under_a_pending_pod_and_recreated_is_told(tmp_path: Path) -> None:
    b = _pending_replacement_loses_its_claim(recreated=True)
    result = verify(b.write(tmp_path / "s.db"))
    storage = verdict_of(result, "stable-storage", KIND)
    assert storage.outcome == "not-applicable", storage.reason
    assert "data-web-1 was deleted by a client while web-1 was Pending" in storage.reason
    assert "the controller created it again" in storage.reason
    assert not result.failed


def _owned_by(b: ClusterBuilder, pods: tuple[str, ...], uid: str | None) -> None:
    for name in pods:
        pod = b.get("Pod", name)
        refs = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": uid,
                 "controller": True}] if uid else []  # fmt: skip
        pod["metadata"]["ownerReferences"] = refs
        b.emit("Pod", pod, "MODIFIED")


def test_a_claim_added_by_a_new_sets_claim_template_is_not_a_storage_failure(
    tmp_path: Path,
) -> None:
    # web is deleted with its pods orphaned and created again with a second claim template,
    # logs; it adopts the pods and, when web-1 is recreated, gives it data-web-1 and the new
    # logs-web-1. The data claim followed; the new one is the new template's, not a lost claim.
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=2)
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    b.delete("StatefulSet", "web")
    _owned_by(b, ("web-0", "web-1"), None)  # the garbage collector orphans them
    sts = b.statefulset("web", replicas=2, claims=("data", "logs"))
    _owned_by(b, ("web-0", "web-1"), sts["metadata"]["uid"])  # the new set adopts them
    b.take_down("web", 1)
    b.pvc("logs-web-1")
    b.bind("logs-web-1")
    b.create_pod("web", 1, claims=("data", "logs"))
    b.start_pod("web-1")
    result = verify(b.write(tmp_path / "s.db"))
    storage = verdict_of(result, "stable-storage", KIND)
    assert storage.outcome == "pass", storage.reason
    assert storage.reason.startswith("web-1 kept data-web-1 uid")
    assert "logs-web-1 is new: the StatefulSet's claim template logs is new too" in storage.reason
    assert not result.failed


def test_a_claim_the_templates_do_not_explain_still_fails(tmp_path: Path) -> None:
    b = running_web()
    b.take_down("web", 1)
    b.pvc("logs-web-1")
    b.create_pod("web", 1, claims=("data", "logs"))
    b.start_pod("web-1")
    storage = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-storage", KIND)
    assert storage.outcome == "fail"
    assert storage.reason == ("web-1 mounts data-web-1 and logs-web-1, its predecessor data-web-1")
