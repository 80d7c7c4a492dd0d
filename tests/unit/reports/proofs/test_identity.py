"""Each pod the controller creates carries its ordinal's identity and storage
(`newStatefulSetPod`: initIdentity, updateIdentity, updateStorage), judged in ordinal-creation
and rolling-update; a pod a client made and the set adopted is not the controller's creation."""

from pathlib import Path
from typing import Any

from stswatch.reports.proofs import identity
from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import verdict_of


def _scale_up(b: ClusterBuilder, *, edit: Any = None, at: int = 1) -> None:
    b.service("web-headless")
    b.statefulset("web", replicas=3)
    for ordinal in range(3):
        b.pvc(f"data-web-{ordinal}")
        b.create_pod("web", ordinal, edit=edit if ordinal == at else None)
        b.start_pod(f"web-{ordinal}")


def test_a_pod_created_with_another_hostname_fails_ordinal_creation(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _scale_up(b, edit=lambda pod: pod["spec"].update(hostname="db-1"))
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), "ordinal-creation", "scale-up")
    assert verdict.outcome == "fail"
    assert verdict.reason == (
        "web-1 was created with hostname 'db-1', not web-1 (initIdentity): newStatefulSetPod "
        "gives every pod it creates its ordinal's identity and storage"
    )
    assert verdict.evidence[0].name == "web-1"


def test_a_pod_created_without_its_claim_volume_or_labels_fails(tmp_path: Path) -> None:
    def forged(pod: dict[str, Any]) -> None:
        pod["spec"]["volumes"] = []
        del pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"]
        pod["spec"]["subdomain"] = "other"

    b = ClusterBuilder()
    _scale_up(b, edit=forged, at=2)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), "ordinal-creation", "scale-up")
    assert verdict.outcome == "fail"
    assert "web-2 was created with subdomain 'other', not serviceName web-headless" in (
        verdict.reason
    )
    assert "label statefulset.kubernetes.io/pod-name=(none), not web-2 (updateIdentity)" in (
        verdict.reason
    )
    assert "no volume for claim data-web-2 of template data (updateStorage)" in verdict.reason


def test_a_rollout_creating_a_pod_without_its_index_label_fails(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _scale_up(b)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    b.take_down("web", 2)
    b.create_pod("web", 2, edit=lambda p: p["metadata"]["labels"].pop(identity.POD_INDEX_LABEL))
    b.start_pod("web-2")
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), "rolling-update", "rolling-update")
    assert verdict.outcome == "fail"
    assert "label apps.kubernetes.io/pod-index=(none), not 2 (updateIdentity)" in verdict.reason


def test_a_pod_a_client_made_and_the_set_adopted_is_not_judged(tmp_path: Path) -> None:
    # web-1 made by hand with another hostname and no ownerReference; the set adopts it
    # (ClaimPods) rather than creating it: newStatefulSetPod never made it.
    b = ClusterBuilder()

    def by_hand(pod: dict[str, Any]) -> None:
        pod["metadata"]["ownerReferences"] = []
        pod["spec"]["hostname"] = "by-hand"

    _scale_up(b, edit=by_hand)
    adopted = b.get("Pod", "web-1")
    owner = b.get("StatefulSet", "web")["metadata"]["uid"]
    adopted["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": owner,
         "controller": True}
    ]  # fmt: skip
    b.emit("Pod", adopted, "MODIFIED")
    result = verify(b.write(tmp_path / "s.db"))
    assert not any("by-hand" in v.reason for v in result.verdicts), [
        v.reason for v in result.verdicts if "by-hand" in v.reason
    ]


def test_the_index_label_is_required_only_where_it_is_always_set(tmp_path: Path) -> None:
    b = ClusterBuilder()
    _scale_up(b, edit=lambda p: p["metadata"]["labels"].pop(identity.POD_INDEX_LABEL))
    recording = b.write(tmp_path / "s.db")
    from stswatch.reports.history.lifecycles import build_lifecycles

    life = build_lifecycles(recording)
    (sts,) = life.statefulsets
    pod = next(p for p in life.pods if p.name == "web-1")
    assert identity.mismatches(sts, pod, server_version="v1.31.0") == ()
    assert identity.mismatches(sts, pod, server_version="v1.34.2") == (
        "label apps.kubernetes.io/pod-index=(none), not 1 (updateIdentity)",
    )
