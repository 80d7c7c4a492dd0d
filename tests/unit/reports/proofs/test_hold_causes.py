"""What held a pod, told from its own recorded status and Events: a container in the kubelet's
CrashLoopBackOff, an image not pulled, an init container failing, a readiness probe failing, its
node not Ready (`stswatch.reports.proofs.pod_status`), a claim whose provisioning failed
(`stswatch.reports.proofs.holds`); and never where the recording does not show it."""

import sqlite3
from pathlib import Path

import pytest

from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.holds import hold_clause
from stswatch.reports.proofs.verdict import Hold, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from stswatch.reports.window import Moment, WindowRequest
from tests.fixtures.real import insert_event, real_store, spread

_CRASH_LOOP = "CrashLoopBackOff"
_NODE = "NodeNotReady"


def _verified(tmp_path: Path, store: str, session: str) -> VerifyResult:
    return verify(load_recording(real_store(tmp_path, store), session, objects=False))


def _holds(result: VerifyResult) -> list[Hold]:
    return [h for e in result.episodes if e.progress is not None for h in e.progress.holds]


def _told(result: VerifyResult) -> str:
    lines = [e.progress.text for e in result.episodes if e.progress is not None]
    return "\n".join(lines + [v.reason for v in result.verdicts])


def _cited(result: VerifyResult, policy: str) -> list[tuple[int, str]]:
    """The changes the holds cite (OrderedReady), or the verdicts (Parallel: no hold waits on a
    slow pod, parallel-described tells it)."""
    if policy == "orderedready":
        return [(e.change_id, e.note) for h in _holds(result) for e in h.evidence]
    return [(e.change_id, e.note) for v in result.verdicts for e in v.evidence]


def test_a_hold_on_a_crash_looping_pod_names_the_container_restarts_and_exit(
    tmp_path: Path,
) -> None:
    # b201 (real nodes): the rollout's web-2 runs `exit 1`; the kubelet restarts it with its
    # back-off (state.waiting.reason CrashLoopBackOff from #268), never Ready.
    result = _verified(tmp_path, "cases16", "b201-real-crashloop-forced-rollback-orderedready")
    told = _told(result)
    assert (
        "halted at web-2 (not Ready: container app in the kubelet's CrashLoopBackOff, 1 restart, "
        "last exit Error (exit code 1)) for 12.1 s"
    ) in told
    assert (
        "halted at web-2 (web-2 Running, not Ready; container app in the kubelet's "
        "CrashLoopBackOff, 1 restart, last exit Error (exit code 1)) for 12.1 s within the episode"
    ) in told
    # The forced rollback's hold: not Ready (crash looping, two restarts by then), then deleted.
    assert (
        "held at web-2 (not Ready 19.1 s (container app in the kubelet's CrashLoopBackOff, 2 "
        "restarts, last exit Error (exit code 1)), then terminating 2.0 s: deleted by a client"
    ) in told
    cited = [e for h in _holds(result) for e in h.evidence if _CRASH_LOOP in e.note]
    assert {(e.change_id, e.note) for e in cited} == {
        (268, "web-2: container app in CrashLoopBackOff")
    }


def test_a_parallel_rollout_halted_at_a_crash_looping_pod_names_it_too(tmp_path: Path) -> None:
    # b201 under Parallel (cases17): the update loop waits on the crash-looping web-2 as well.
    told = _told(_verified(tmp_path, "cases17", "b201-real-crashloop-forced-rollback-parallel"))
    assert (
        "halted at web-2 (web-2 Running, not Ready; container app in the kubelet's "
        "CrashLoopBackOff, 1 restart, last exit Error (exit code 1)) for 12.1 s within the episode"
    ) in told


def test_a_container_restarted_in_place_is_told_without_a_crash_loop(tmp_path: Path) -> None:
    # b208 (cases17): web-0's container exits 0 and the kubelet restarts it at once (restartCount
    # 0 -> 1 at #618): the scale-up waits on web-0 not Ready; no CrashLoopBackOff, no pod deleted.
    result = _verified(tmp_path, "cases17", "b208-real-container-restart-mid-scale-up-orderedready")
    told = _told(result)
    assert (
        "held at web-0 (not Ready: container app restarted by the kubelet, 1 restart, last exit "
        "Completed (exit code 0)) for 4.9 s, until web-0 Ready"
    ) in told
    assert _CRASH_LOOP not in told
    cited = [(e.change_id, e.note) for h in _holds(result) for e in h.evidence]
    assert (618, "web-0: container app restarted (restartCount 1)") in cited


def test_a_readiness_probe_failing_on_a_real_node_names_the_kubelets_events(
    tmp_path: Path,
) -> None:
    # b200 (cases17): web-0's and web-1's readiness probes (`test -f /tmp/ready`, no output) fail
    # for a while; the kubelet's Unhealthy Events say so (web-0's first just before its status
    # turned it not Ready). No container restarts, the node stays Ready: no crash loop, restart
    # or node is made up.
    result = _verified(tmp_path, "cases17", "b200-real-probe-fails-mid-scale-up-orderedready")
    told = _told(result)
    probe = (
        "container app's readiness probe failing (the kubelet's Unhealthy Events: Readiness probe "
        "failed)"
    )
    assert f"held at web-0 (not Ready: {probe}) for 5.0 s, until web-0 Ready" in told
    assert f"held at web-1 (not Ready: {probe}) for 4.2 s, until web-1 Ready" in told
    cited = [(e.change_id, e.note) for h in _holds(result) for e in h.evidence]
    assert (408, "Unhealthy: web-0's readiness probe failed") in cited
    assert (422, "Unhealthy: web-1's readiness probe failed") in cited
    assert "restart" not in told
    assert _CRASH_LOOP not in told
    assert "its node" not in told


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_readiness_probe_failing_names_its_output(tmp_path: Path, policy: str) -> None:
    # b232 (cases19): web-1's container runs at once but its readiness probe prints "web-1
    # warming up" and fails for 12 s: under OrderedReady the scale-up is held at web-1, under
    # Parallel web-1 is the last Ready; the kubelet's first Unhealthy Event is cited.
    result = _verified(tmp_path, "cases19", f"b232-real-readiness-probe-fails-scale-up-{policy}")
    told = _told(result)
    probe = (
        "container app's readiness probe failing (the kubelet's Unhealthy Events: Readiness probe "
        "failed: web-1 warming up)"
    )
    if policy == "orderedready":
        assert f"held at web-1 (not Ready: {probe}) for 13.1 s, until web-1 Ready" in told
    else:
        last = "all Ready 13.89s after the scale-up, web-1 last, 13.9 s after it was created"
        assert f"{last}: {probe}; gating not applicable" in told
    first = 447 if policy == "orderedready" else 522
    assert (first, "Unhealthy: web-1's readiness probe failed") in _cited(result, policy)
    assert "restart" not in told
    assert _CRASH_LOOP not in told


def test_a_probe_that_errored_on_a_crashed_container_is_not_a_failing_probe(
    tmp_path: Path,
) -> None:
    # b201 (cases17): web-2's probe "errored and resulted in unknown state" once its container
    # had exited: the crash loop is told, never a failing readiness probe.
    told = _told(_verified(tmp_path, "cases17", "b201-real-crashloop-forced-rollback-orderedready"))
    assert _CRASH_LOOP in told
    assert "readiness probe" not in told


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_wait_to_start_names_an_image_that_could_not_be_pulled(
    tmp_path: Path, policy: str
) -> None:
    # b230 (cases19): the rollout's web-2 names an image at 127.0.0.1:9 where nothing listens:
    # the kubelet's ErrImagePull (#72 / #177), then ImagePullBackOff; the pod never runs.
    result = _verified(tmp_path, "cases19", f"b230-real-image-pull-fails-rollout-{policy}")
    told = _told(result)
    pulled = (
        "container app's image not pulled: ErrImagePull (failed to pull and unpack image "
        '"127.0.0.1:9/stswatch/missing:1": failed to resolve reference '
        '"127.0.0.1:9/stswatch/missing:1": failed to do request: Head '
        '"http://127.0.0.1:9/v2/stswatch/missing/manifests/1": dial tcp 127.0.0.1:9: connect: '
        "connection refused), then the kubelet's ImagePullBackOff"
    )
    clauses = [hold_clause(h) for h in _holds(result)]
    assert f"waited 20.2 s for web-2 to start ({pulled})" in clauses  # halted there
    assert f"halted at web-2 (web-2 not Running (Pending); {pulled}) for 20.2 s" in told
    cited = [(e.change_id, e.note) for h in _holds(result) for e in h.evidence]
    if policy == "orderedready":  # the forced rollback: a client deletes it, the new one runs
        assert (
            f"waited 10.0 s for web-2 to start ({pulled}) (web-2 deleted by a client after 8.0 s "
            "and created again; the new web-2 held it 1.0 s more), until web-2 Ready"
        ) in clauses
    first = 72 if policy == "orderedready" else 177
    assert (first, "web-2: container app waiting: ErrImagePull") in cited
    assert _CRASH_LOOP not in told
    assert "restart" not in told


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_wait_to_start_names_an_init_container_failing(tmp_path: Path, policy: str) -> None:
    # b231 (cases19): web-1's init container exits 1 twice (Init:Error, then
    # Init:CrashLoopBackOff at #277 / #405), then passes; web-2's init container passes at once,
    # so its own short wait names nothing.
    result = _verified(tmp_path, "cases19", f"b231-real-init-crashloop-scale-up-{policy}")
    told = _told(result)
    failing = (
        "init container init in the kubelet's CrashLoopBackOff, 2 restarts, last failed run Error "
        "(exit code 1)"
    )
    if policy == "orderedready":
        assert f"waited 15.8 s for web-1 to start ({failing}), until web-1 Ready" in told
        assert "waited 3.0 s for web-2 to start, until web-2 Ready" in told
    else:
        last = "all Ready 15.84s after the scale-up, web-1 last, 15.8 s after it was created"
        assert f"{last}: {failing}; gating not applicable" in told
    first = 277 if policy == "orderedready" else 405
    assert (first, "web-1: init container init in CrashLoopBackOff") in _cited(result, policy)
    assert "Completed" not in told  # its passing run is no failure
    assert "image" not in told


def test_a_parallel_burst_whose_pods_start_at_once_names_no_cause(tmp_path: Path) -> None:
    # b231 under Parallel, its first scale-up 0->1 (cases19): web-0 Ready 3.4 s after; nothing
    # in its recording says it was kept from starting.
    told = _told(_verified(tmp_path, "cases19", "b231-real-init-crashloop-scale-up-parallel"))
    assert "all Ready 3.40s after the scale-up; gating not applicable" in told


def test_a_pod_not_ready_without_a_crash_loop_is_told_only_not_ready(tmp_path: Path) -> None:
    # halt: redis-0 held not Ready (its readiness, no container restarting): no cause is made up.
    result = _verified(tmp_path, "halt", "halt-orderedready")
    told = _told(result)
    assert "held at redis-0 (not Ready) for 6.2 s, until redis-0 Ready" in told
    assert _CRASH_LOOP not in told
    assert _NODE not in told
    assert "its node" not in told


def _insert_node_not_ready(path: Path, after_id: int) -> int:
    """Insert the node lifecycle controller's NodeNotReady Event on the pod of change `after_id`,
    recorded 5 µs after it (`spread` the session first); its change id."""
    conn = sqlite3.connect(path)
    namespace, name, uid = conn.execute(
        "SELECT namespace, name, uid FROM change WHERE id = ?", (after_id,)
    ).fetchone()
    conn.close()
    event = {
        "kind": "Event", "apiVersion": "v1", "metadata": {"namespace": namespace},
        "involvedObject": {"kind": "Pod", "namespace": namespace, "name": name, "uid": uid},
        "reason": "NodeNotReady", "message": "Node is not ready", "type": "Warning",
        "source": {"component": "node-controller"}, "reportingComponent": "node-controller",
    }  # fmt: skip
    return insert_event(path, after_id, event, name)


def test_a_hold_on_a_pod_its_node_made_not_ready_names_the_node(tmp_path: Path) -> None:
    # halt edited: redis-0's change to not Ready (#31) followed by the node lifecycle controller's
    # NodeNotReady Event on it, as when its node stops reporting: the hold names the node.
    session = "halt-orderedready"
    path = real_store(tmp_path, "halt")
    spread(path, session)
    inserted = _insert_node_not_ready(path, 31)
    result = verify(load_recording(path, session, objects=False))
    assert (
        "held at redis-0 (not Ready: its node lab-node-1 not Ready (NodeNotReady, the node "
        "lifecycle controller)) for 6.2 s, until redis-0 Ready"
    ) in _told(result)
    cited = [(e.change_id, e.note) for h in _holds(result) for e in h.evidence]
    assert (inserted, "NodeNotReady: redis-0's node lab-node-1 not Ready") in cited


def test_a_pod_on_a_node_not_ready_names_the_node_and_its_event(tmp_path: Path) -> None:
    # b207 (real nodes): web-1's kubelet stopped; the node lifecycle controller set web-1 not
    # Ready (#1499) with a NodeNotReady Event (#1502); the taint eviction controller deleted it
    # (#1505), and it stayed Terminating past its 3 s grace period until the kubelet came back.
    result = _verified(tmp_path, "cases16", "b207-real-kubelet-stopped-orderedready")
    told = _told(result)
    assert (
        "held at web-1 (terminating: deleted by the taint eviction controller, its node 127.0.0.3 "
        "not Ready (NodeNotReady, the node lifecycle controller), kept 13.6 s past its grace "
        "period of 3 s (deletionGracePeriodSeconds)) for 16.6 s, until web-1 gone"
    ) in told
    (hold,) = [h for h in _holds(result) if h.cause == "terminating"]
    notes = [(e.change_id, e.note) for e in hold.evidence]
    assert notes[:2] == [
        (
            1499,
            "hold at web-1 began: web-1 not Ready, its node 127.0.0.3 not Ready (NodeNotReady, "
            "the node lifecycle controller)",
        ),
        (1502, "NodeNotReady: web-1's node 127.0.0.3 not Ready"),
    ]


def test_a_parallel_recreation_tells_the_old_pod_kept_past_its_grace_period(
    tmp_path: Path,
) -> None:
    # b207 under Parallel (cases17): no hold waits on the old web-1 (the walk waits on no pod),
    # but its name stays taken while it is Terminating on its node not Ready: the progress line
    # tells that wait, with the NodeNotReady Event (#324) and the deletion and removal ids.
    result = _verified(tmp_path, "cases17", "b207-real-kubelet-stopped-parallel")
    (recreated,) = [e for e in result.episodes if e.kind == "pod-recreated"]
    assert recreated.progress is not None
    assert recreated.progress.text == (
        "completed within the episode in 19.6 s; the old web-1 stood terminating 16.5 s before it "
        "was gone (#326 to #338): deleted by the taint eviction controller, its node 127.0.0.3 not "
        "Ready (NodeNotReady, the node lifecycle controller), kept 13.5 s past its grace period of "
        "3 s (deletionGracePeriodSeconds) (cited: #324)"
    )


def test_a_parallel_recreation_on_a_ready_node_adds_nothing(tmp_path: Path) -> None:
    # b203 under Parallel (cases16): a client deletes web-1, whose node stays Ready: its
    # recreation's progress line tells no node and no wait past a grace period.
    result = _verified(tmp_path, "cases16", "b203-real-claim-deleted-redis-parallel")
    texts = [e.progress.text for e in result.episodes if e.progress is not None]
    assert texts
    assert not any("stood terminating" in t or "its node" in t for t in texts)


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_a_pod_evicted_from_a_node_not_ready_is_told_so_in_its_recreation(
    tmp_path: Path, policy: str
) -> None:
    # b207 (cases17): the pod-recreated episode names web-1's node as why it was evicted, under
    # both policies (Parallel tells no hold on the old web-1).
    result = _verified(tmp_path, "cases17", f"b207-real-kubelet-stopped-{policy}")
    (recreated,) = [e for e in result.episodes if e.kind == "pod-recreated"]
    assert recreated.summary.endswith(
        "deleted by the taint eviction controller (its DisruptionTarget condition, reason "
        "DeletionByTaintManager: Taint manager: deleting due to NoExecute taint); its node "
        "127.0.0.3 not Ready (NodeNotReady, the node lifecycle controller)"
    )


def test_a_window_without_the_nodes_event_reads_the_controllers_mark(tmp_path: Path) -> None:
    # b207 (cases17) read from its last 30 s: web-1's NodeNotReady Event (#253) is before the
    # window; its state rebuilt at the window's start (#252) still shows MarkPodsNotReady's hand,
    # Ready False with no reason while ContainersReady stays True, which the kubelet never writes.
    path = real_store(tmp_path, "cases17")
    window = WindowRequest(since=Moment("30s", duration_ns=30 * 10**9))
    result = analyse(path, "b207-real-kubelet-stopped-orderedready", window=window).result
    told = _told(result)
    assert (
        "not Ready 5.2 s (its node 127.0.0.3 not Ready (Ready set False, ContainersReady still "
        "True: the node lifecycle controller)), then terminating 16.4 s: deleted by the taint "
        "eviction controller, kept 13.4 s past its grace period of 3 s"
    ) in told
    cited = [(e.change_id, e.note) for h in _holds(result) for e in h.evidence]
    assert (252, "web-1 Ready False, ContainersReady True: its node 127.0.0.3 not Ready") in cited
    assert _NODE not in told


def test_a_pod_terminating_on_a_ready_node_keeps_its_grace_period_words(tmp_path: Path) -> None:
    # b209 (real nodes): web-2 ignores SIGTERM on a node that stays Ready: its grace period held
    # it, no node is blamed.
    told = _told(_verified(tmp_path, "cases16", "b209-real-terminating-ready-rollout-orderedready"))
    assert "in its grace period of 8 s (deletionGracePeriodSeconds)) for 11.0 s" in told
    assert _NODE not in told
    assert "its node" not in told
    assert "past its grace period" not in told


def test_a_wait_for_an_unbound_claim_names_why_its_provisioning_failed(tmp_path: Path) -> None:
    # b50 (kwok): data-web-1's StorageClass missing-class does not exist; the scheduler says
    # only "pod has unbound immediate PersistentVolumeClaims", the persistentvolume controller
    # why (ProvisioningFailed on the claim, #1939 after a client recreated it).
    result = _verified(tmp_path, "cases8", "b50-claim-unbound-client-claim-orderedready")
    assert (
        "waited 8.3 s for web-1 to be scheduled (FailedScheduling: 0/3 nodes are available: pod "
        "has unbound immediate PersistentVolumeClaims. not found; its claim data-web-1 not "
        'bound: ProvisioningFailed: storageclass.storage.k8s.io "missing-class" not found)'
    ) in _told(result)
    cited = [(e.change_id, e.note) for h in _holds(result) for e in h.evidence]
    assert (1939, "ProvisioningFailed: data-web-1") in cited


def test_a_wait_to_be_scheduled_on_a_bound_claim_blames_no_provisioning(tmp_path: Path) -> None:
    # b09 (kwok): web-1 Pending on a nodeSelector no node matches; its claim is fine.
    told = _told(_verified(tmp_path, "cases6", "b09-claim-deleted-pending-orderedready"))
    assert "waited 9.5 s for web-1 to be scheduled (Unschedulable: 0/3 nodes are available" in told
    assert "ProvisioningFailed" not in told
    assert "not bound" not in told
