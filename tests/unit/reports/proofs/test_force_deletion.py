"""A pod's graceful deletion cut short by a client's force deletion while it still ran (cases33,
real nodes: containers that ignore SIGTERM, a grace period of 12 s; breakR R3). The controller did
right, so nothing fails; the verdict that lists the pod tells the cut. kwok's fake kubelet deletes
its pods with grace 0 while they are Ready (cases30): that is never called a force deletion."""

from pathlib import Path

import pytest

from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.real import real_store, rewrite
from tests.fixtures.verdicts import five_pods, running_web, verdict_of

DOCS = "https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/"
# session: (the controller's deletion of web-2, the client's grace 0, the new web-2)
VICTIM = {
    "b344-real-force-delete-victim-rollout-orderedready": (874, 880, 882),
    "b344-real-force-delete-victim-rollout-parallel": (995, 1001, 1004),
}


def _verdicts(path: Path, session: str) -> list[Verdict]:
    return list(verify(load_recording(path, session)).verdicts)


def _victim_words(began: int, cut: int, new: int) -> str:
    return (
        f"; web-2's deletion (begun by the StatefulSet controller for the update, grace 12 s, "
        f"#{began}) was cut short by a client's force deletion (#{cut}: "
        "deletionGracePeriodSeconds 0) while web-2 was Running and Ready: the API object went "
        f"without its kubelet's confirmation, and the controller created the new web-2 at #{new} "
        f"at once; its old containers may still have been running ({DOCS})"
    )


@pytest.mark.parametrize("session", sorted(VICTIM))
def test_the_rollout_tells_its_victim_force_deleted(tmp_path: Path, session: str) -> None:
    began, cut, new = VICTIM[session]
    verdicts = _verdicts(real_store(tmp_path, "cases33"), session)
    [rolling] = [v for v in verdicts if v.proof == "rolling-update"]
    assert rolling.outcome == "pass"
    assert _victim_words(began, cut, new) in rolling.reason
    cited = {e.change_id: e.note for e in rolling.evidence}
    assert cited[cut] == "web-2 force-deleted while Running and Ready (grace 0)"
    assert not [v for v in verdicts if v.outcome == "fail"]


def test_a_condemned_pod_force_deleted_is_told(tmp_path: Path) -> None:
    """b348 Parallel: web-1, deleted by the controller for a scale-down 3→1, force-deleted 2 s
    later: no pod takes its place."""
    verdicts = _verdicts(
        real_store(tmp_path, "cases33"), "b348-real-force-delete-condemned-early-parallel"
    )
    [told] = [v for v in verdicts if v.proof == "parallel-described" and "condemned" in v.reason]
    assert (
        "; web-1's deletion (begun by the StatefulSet controller for the scale-down, grace 12 s, "
        "#1500) was cut short by a client's force deletion (#1509: deletionGracePeriodSeconds 0) "
        "while web-1 was Running and Ready: the API object went without its kubelet's "
        f"confirmation; its old containers may still have been running ({DOCS})"
    ) in told.reason
    assert not [v for v in verdicts if v.outcome == "fail"]


def test_a_force_deletion_with_no_graceful_one_before_cuts_nothing(tmp_path: Path) -> None:
    """b348 OrderedReady: the client force-deletes web-1 before the controller reaches it; the
    deletion is the client's, told as such, and there was no grace period to cut."""
    verdicts = _verdicts(
        real_store(tmp_path, "cases33"), "b348-real-force-delete-condemned-early-orderedready"
    )
    [scale_down] = [v for v in verdicts if v.proof == "reverse-order-scale-down"]
    assert scale_down.outcome == "pass"
    assert "web-1 was deleted by a client" in scale_down.reason
    assert not [v for v in verdicts if "cut short" in v.reason]


def test_the_kubelets_own_final_delete_is_no_cut(tmp_path: Path) -> None:
    """On a real node the kubelet deletes its pod with grace 0 too, but only after its status
    says the containers stopped: web-1 and web-0 of the rollout went so."""
    session = "b344-real-force-delete-victim-rollout-orderedready"
    life = build_lifecycles(load_recording(real_store(tmp_path, "cases33"), session))
    cuts = {(p.name, p.grace_cut[1:] if p.grace_cut else None) for p in life.pods if p.deleted}
    assert cuts == {("web-2", (880, 12)), ("web-1", None), ("web-0", None)}


def test_without_the_kubelets_events_the_recording_cannot_tell(tmp_path: Path) -> None:
    """The same recording without the kubelet's Events is what kwok records: a pod deleted with
    grace 0 while Ready, by a fake kubelet that stops nothing. Nothing is said."""
    path = real_store(tmp_path, "cases33")
    rewrite(
        path,
        "DELETE FROM change WHERE kind = 'Event' "
        "AND json_extract(object, '$.source.component') = 'kubelet'",
    )
    for session in VICTIM:
        assert not [v for v in _verdicts(path, session) if "cut short" in v.reason]


@pytest.mark.parametrize(
    "session",
    [
        "b344-scale-down-mid-rollout-when-scaled-orderedready",
        "b344-scale-down-mid-rollout-when-scaled-parallel",
    ],
)
def test_kwok_deleting_a_ready_pod_is_not_called_forced(tmp_path: Path, session: str) -> None:
    """cases30 (kwok nodes): kwok deletes each pod with grace 0 while it is Running and Ready."""
    path = real_store(tmp_path, "cases30")
    life = build_lifecycles(load_recording(path, session))
    assert [p for p in life.pods if p.grace_cut is not None]  # the look of a force deletion
    verdicts = _verdicts(path, session)
    assert not [v for v in verdicts if "cut short" in v.reason or "force" in v.reason]


def _kubelet_event(b: ClusterBuilder, name: str) -> None:
    """The kubelet's Killing Event on pod `name` (source component kubelet)."""
    uid = b.get("Pod", name)["metadata"]["uid"]
    about = {"kind": "Pod", "name": name, "namespace": b.namespace, "uid": uid}
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": b._meta(f"{name}.{b.rv + 1:x}"),
        "involvedObject": about,
        "reason": "Killing",
        "message": "Stopping container app",
        "source": {"component": "kubelet", "host": "node-1"},
        "type": "Normal",
    }
    b.emit("Event", event, "ADDED")


def _scale_down(*, stopped_first: bool, kubelet: bool = True) -> ClusterBuilder:
    """web-0..web-4 scaled to 2 under OrderedReady; the controller deletes web-4 with grace 30,
    then grace 0 comes: after the kubelet's status saying web-4 stopped (`stopped_first`), or
    while it is still Running and Ready; then web-3 and web-2 go as usual."""
    b = five_pods()
    for ordinal in (4, 3, 2):
        name = f"web-{ordinal}"
        b.get("Pod", name)["metadata"]["deletionGracePeriodSeconds"] = 30
        b.terminate(name)
        b.controller_event("web", "delete", "Pod", name)
        if kubelet:
            _kubelet_event(b, name)
        pod = b.get("Pod", name)
        if ordinal != 4 or stopped_first:
            pod["status"]["phase"] = "Failed"
            b.ready(name, False)
        pod["metadata"]["deletionGracePeriodSeconds"] = 0
        b.emit("Pod", pod, "MODIFIED")
        b.remove(name)
    return b


def test_reverse_order_scale_down_tells_a_condemned_pod_force_deleted(tmp_path: Path) -> None:
    b = _scale_down(stopped_first=False)
    verdict = verdict_of(
        verify(b.write(tmp_path / "s.db")), "reverse-order-scale-down", "scale-down"
    )
    assert verdict.outcome == "pass"
    assert (
        "; web-4's deletion (begun by the StatefulSet controller for the scale-down, grace 30 s, #"
        in verdict.reason
    )
    assert "while web-4 was Running and Ready" in verdict.reason
    assert verdict.reason.count("cut short") == 1


@pytest.mark.parametrize(("stopped_first", "kubelet"), [(True, True), (False, False)])
def test_grace_0_after_the_kubelet_stopped_or_without_its_events_is_no_cut(
    tmp_path: Path, stopped_first: bool, kubelet: bool
) -> None:
    """The kubelet's own final delete follows its status saying the containers stopped; a pod
    no kubelet recorded Events about may be kwok's, whose fake kubelet deletes Ready pods."""
    b = _scale_down(stopped_first=stopped_first, kubelet=kubelet)
    verdict = verdict_of(
        verify(b.write(tmp_path / "s.db")), "reverse-order-scale-down", "scale-down"
    )
    assert verdict.outcome == "pass"
    assert "cut short" not in verdict.reason


def test_a_pod_recreated_after_a_clients_force_deletion_says_so(tmp_path: Path) -> None:
    """The docs' case: a client deletes web-1 (grace 30), then force-deletes it while it still
    runs; the controller creates web-1 again at once."""
    b = running_web()
    b.tick(10_000)
    b.get("Pod", "web-1")["metadata"]["deletionGracePeriodSeconds"] = 30
    b.terminate("web-1")
    _kubelet_event(b, "web-1")
    pod = b.get("Pod", "web-1")
    pod["metadata"]["deletionGracePeriodSeconds"] = 0
    b.emit("Pod", pod, "MODIFIED")
    b.remove("web-1")
    b.controller_event("web", "create", "Pod", "web-1")
    b.bring_up("web", 1, with_claim=False)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), "ordinal-creation", "pod-recreated")
    assert verdict.outcome == "pass"
    [cut] = [e.change_id for e in verdict.evidence if "force-deleted" in e.note]
    assert (
        f"; web-1's deletion (begun by a client, grace 30 s, #{cut - 2}) was cut short by a "
        f"client's force deletion (#{cut}: deletionGracePeriodSeconds 0) while web-1 was Running "
        "and Ready: the API object went without its kubelet's confirmation, and the controller "
        f"created the new web-1 at #{cut + 3} at once; its old containers may still have been "
        f"running ({DOCS})"
    ) in verdict.reason
