"""Stable network identity, stable storage and Homework 1 across a pod's recreation."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import verdict_of

KIND = "pod-recreated"


def _running(slices: bool = True) -> ClusterBuilder:
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    if slices:
        b.endpoints("web-headless")
    return b


def test_recreated_pod_keeps_identity_and_dns(tmp_path: Path) -> None:
    b = _running()
    old_ip = b.get("Pod", "web-1")["status"]["podIP"]
    b.take_down("web", 1)
    b.bring_up("web", 1)
    new_ip = b.get("Pod", "web-1")["status"]["podIP"]
    b.endpoints("web-headless")
    result = verify(b.write(tmp_path / "s.db"))
    identity = verdict_of(result, "stable-network-identity", KIND)
    assert identity.outcome == "pass"
    assert f"web-1.web-headless.lab.svc.cluster.local → {new_ip} (was {old_ip})" in identity.reason
    assert identity.evidence[-1].kind == "EndpointSlice"
    storage = verdict_of(result, "stable-storage", KIND)
    assert storage.outcome == "pass"
    assert "data-web-1 uid" in storage.reason


def test_lost_subdomain_fails(tmp_path: Path) -> None:
    b = _running()
    b.take_down("web", 1)
    b.bring_up("web", 1, subdomain=None)
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "fail"
    assert "lost its subdomain" in identity.reason


def test_no_dns_record_for_new_ip_fails(tmp_path: Path) -> None:
    b = _running()
    b.take_down("web", 1)
    b.bring_up("web", 1)  # the EndpointSlice is never updated with the new IP
    b.stop(after_ms=30_000)
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "fail"
    assert "no Ready EndpointSlice endpoint of this pod" in identity.reason


def test_no_dns_record_yet_when_the_recording_ends_is_inconclusive(tmp_path: Path) -> None:
    b = _running()
    b.take_down("web", 1)
    b.bring_up("web", 1)
    b.stop(after_ms=1_000)  # the slice update could still have come
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "inconclusive"
    assert identity.missing == "recording-end"
    assert "the recording ended" in identity.reason


def test_another_incarnations_record_is_not_evidence(tmp_path: Path) -> None:
    b = _running()
    old_ip = b.get("Pod", "web-1")["status"]["podIP"]
    b.take_down("web", 1)
    b.create_pod("web", 1)
    b.schedule("web-1")
    b.run("web-1", ip=old_ip)  # same name and IP, another uid, never Ready
    b.endpoints("web-headless")
    b.stop(after_ms=30_000)
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "not-applicable", identity.reason
    assert "never Ready" in identity.reason
    assert "no DNS record by design" in identity.reason


def test_unrecorded_endpoint_slices_are_inconclusive(tmp_path: Path) -> None:
    b = _running(slices=False)
    b.take_down("web", 1)
    b.bring_up("web", 1)
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "inconclusive"
    assert "EndpointSlices were not recorded" in identity.reason


def test_claim_deleted_by_a_client_makes_a_new_claim_expected(tmp_path: Path) -> None:
    b = _running()
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
    b = _running()
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
    b = _running()
    b.take_down("web", 1)
    b.bind("data-web-1", "pv-other")  # same claim object, another volume: the data is gone
    b.bring_up("web", 1)
    result = verify(b.write(tmp_path / "s.db"))
    storage = verdict_of(result, "stable-storage", KIND)
    assert storage.outcome == "fail", storage.reason
    assert "under the same claim uid" in storage.reason
    assert "then to PV pv-other" in storage.reason
    assert result.failed


def test_homework_pod_recreated_without_service_and_no_dns(tmp_path: Path) -> None:
    b = _running()
    b.delete("Service", "web-headless")
    b.delete("EndpointSlice", "web-headless-abcde")
    b.take_down("web", 2)
    b.bring_up("web", 2)
    result = verify(b.write(tmp_path / "s.db"))
    homework = verdict_of(result, "homework-1", "service-deleted")
    assert homework.outcome == "pass"
    assert homework.reason.startswith("with Service web-headless absent, web-2 was recreated")
    assert "no DNS record: no EndpointSlice ever served web-2.web-headless" in homework.reason
    assert [e.kind for e in homework.evidence[:1]] == ["Service"]
    identity = verdict_of(result, "stable-network-identity", KIND)
    assert identity.outcome == "not-applicable"
    assert "no per-pod DNS record can exist: Service web-headless was absent" in identity.reason


def test_homework_pod_not_recreated_fails(tmp_path: Path) -> None:
    b = _running()
    b.delete("Service", "web-headless")
    b.take_down("web", 2)
    homework = verdict_of(verify(b.write(tmp_path / "s.db")), "homework-1", "service-deleted")
    assert homework.outcome == "fail"
    assert homework.reason == "web-2 was not recreated within the recording"


def test_gap_makes_verdict_inconclusive(tmp_path: Path) -> None:
    b = _running()
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
