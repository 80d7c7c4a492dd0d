"""Stable network identity across a pod's recreation: the same name, a DNS record for the new
incarnation's IP (EndpointSlice targetRef), inconclusive without the evidence."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.real import real_store
from tests.fixtures.verdicts import running_web, verdict_of

KIND = "pod-recreated"


def test_recreated_pod_keeps_identity_and_dns(tmp_path: Path) -> None:
    b = running_web()
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
    b = running_web()
    b.take_down("web", 1)
    b.bring_up("web", 1, subdomain=None)
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "fail"
    assert "lost its subdomain" in identity.reason


def test_no_dns_record_for_new_ip_fails(tmp_path: Path) -> None:
    b = running_web()
    b.take_down("web", 1)
    b.bring_up("web", 1)  # the EndpointSlice is never updated with the new IP
    b.stop(after_ms=30_000)
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "fail"
    assert "no Ready EndpointSlice endpoint of this pod" in identity.reason


def test_no_dns_record_yet_when_the_recording_ends_is_inconclusive(tmp_path: Path) -> None:
    b = running_web()
    b.take_down("web", 1)
    b.bring_up("web", 1)
    b.stop(after_ms=1_000)  # the slice update could still have come
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "inconclusive"
    assert identity.missing == "recording-end"
    assert "the recording ended" in identity.reason


def test_another_incarnations_record_is_not_evidence(tmp_path: Path) -> None:
    b = running_web()
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
    b = running_web(slices=False)
    b.take_down("web", 1)
    b.bring_up("web", 1)
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "inconclusive"
    assert "EndpointSlices were not recorded" in identity.reason


def _recreated_never_ready(*, published: bool) -> ClusterBuilder:
    """web-1 recreated behind a Service with publishNotReadyAddresses; it never turns Ready (an
    etcd member waiting for a quorum); the slice publishes it (`published`) or leaves it out."""
    b = ClusterBuilder()
    b.service("web-headless", publish_not_ready=True)
    b.statefulset("web", replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.endpoints("web-headless")
    b.take_down("web", 1)
    b.create_pod("web", 1)
    b.schedule("web-1")
    b.run("web-1")
    others = ["web-0", "web-2"]
    b.endpoints("web-headless", pods=[*others, "web-1"] if published else others)
    b.stop(after_ms=30_000)
    return b


def test_a_not_ready_pod_behind_publish_not_ready_addresses_has_its_record(tmp_path: Path) -> None:
    b = _recreated_never_ready(published=True)
    new_ip = b.get("Pod", "web-1")["status"]["podIP"]
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "pass", identity.reason
    assert f"web-1.web-headless.lab.svc.cluster.local → {new_ip}" in identity.reason
    assert (
        ", although web-1 was never Ready: Service web-headless sets publishNotReadyAddresses, so "
        "its EndpointSlice publishes the endpoint of a pod that is not Ready (ready: true, "
        "serving: false; podToEndpoint in k8s.io/endpointslice) and cluster DNS answers for it"
    ) in identity.reason
    assert "by design" not in identity.reason
    assert identity.evidence[-1].kind == "EndpointSlice"
    assert identity.evidence[-1].note.endswith(", published not Ready")


def test_a_not_ready_pod_behind_publish_not_ready_addresses_without_a_record_fails(
    tmp_path: Path,
) -> None:
    b = _recreated_never_ready(published=False)
    identity = verdict_of(verify(b.write(tmp_path / "s.db")), "stable-network-identity", KIND)
    assert identity.outcome == "fail", identity.reason
    assert "no EndpointSlice endpoint of this pod (targetRef uid " in identity.reason
    assert "although Service web-headless sets publishNotReadyAddresses" in identity.reason


def test_old_pod_never_ready_is_not_said_to_have_been_served(tmp_path: Path) -> None:
    """The forced rollback's stuck web-2 was never Ready, so no record ever named its IP: the
    new web-2's record does not read as a change of address (the Ready case: "(was <ip>)")."""
    path = real_store(tmp_path, "cases")
    result = verify(load_recording(path, "forced-rollback-orderedready"))
    identity = [v for v in result.verdicts if v.proof == "stable-network-identity"][-1]
    assert identity.outcome == "pass"
    assert identity.reason.endswith(
        "→ 10.244.0.10 (the old web-2 at 10.244.0.2 was never Ready, so never served)"
    )
    assert "(was " not in identity.reason
