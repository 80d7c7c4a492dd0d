"""Pods and claims stuck being deleted: finalizers, a node that is gone or not Ready.

A deleted pod keeps its name until the kubelet confirms its containers stopped (or the grace
period `metadata.deletionTimestamp` ran out and the kubelet force-stopped them) and every
finalizer is removed. Under OrderedReady the set waits for it to be gone (`processCondemned`,
`processReplica`: "waiting for Pod to Terminate"); the StatefulSet never makes a second pod
with the same name, so force-deleting one whose node is unreachable risks two running copies.
https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/
"""

from typing import Any

from stswatch.reports import causes
from stswatch.reports.history.objects import deletion_timestamp, dig, pod_node
from stswatch.reports.live.findings import TERMINATION_EVENTS, Finding, events_evidence
from stswatch.reports.live.world import World, human_age

Obj = dict[str, Any]

OVERDUE_S = 5.0  # past the deletionTimestamp by more than this: stuck


def terminating_findings(world: World) -> list[Finding]:
    """Pods past their grace period (error), pods still within it (info), deleting claims."""
    found = [_pod(world, p) for p in world.pods if deletion_timestamp(p)]
    found.extend(_claim(world, c) for c in world.claims if _ours_and_deleting(world, c))
    return found


def _ours_and_deleting(world: World, claim: Obj) -> bool:
    return bool(deletion_timestamp(claim)) and world.claim_ordinal(claim) is not None


def _node_state(world: World, node_name: str | None) -> str | None:
    """Why the kubelet cannot confirm: "gone" / "not Ready", else None."""
    if not node_name:
        return None
    if not world.node_exists(node_name):
        return "gone"
    for node in world.nodes:
        if dig(node, "metadata", "name") != node_name:
            continue
        ready = [c for c in dig(node, "status", "conditions") or () if c.get("type") == "Ready"]
        if ready and ready[0].get("status") != "True":
            return "not Ready"
    return None


def _pod(world: World, pod: Obj) -> Finding:
    name = str(dig(pod, "metadata", "name"))
    ns = world.namespace
    deadline = deletion_timestamp(pod)
    overdue = (world.age(deadline) or 0.0) if deadline else 0.0
    finalizers = [str(f) for f in dig(pod, "metadata", "finalizers") or ()]
    node = pod_node(pod)
    node_state = _node_state(world, node)
    evidence = [f"metadata.deletionTimestamp {deadline} (the end of the grace period)"]
    if finalizers:
        evidence.append(f"metadata.finalizers {finalizers}: the pod stays until each is removed")
    if node_state:
        evidence.append(f"spec.nodeName {node}: the node is {node_state}")
    uid = dig(pod, "metadata", "uid")
    evidence.extend(
        events_evidence(world, "Pod", name, limit=2, reasons=TERMINATION_EVENTS, uid=uid)
    )
    stuck = overdue > OVERDUE_S
    if not stuck:
        return Finding(
            severity="info",
            causes=(causes.TERMINATING,),
            subject=f"pod {name}",
            what=f"{name} is terminating (grace period ends {deadline})",
            why=tuple(evidence),
            fix=("nothing yet; under OrderedReady the set waits until it is gone",),
            reference=causes.FORCE_DELETE_DOCS,
        )
    extra: tuple[str, ...] = ()
    fixes = []
    if finalizers:
        extra = (causes.STUCK_TERMINATING,)
        fixes.append(
            f"find the controller that owns finalizer(s) {', '.join(finalizers)} and let it "
            "finish; only if it is gone for good: `kubectl patch pod -n "
            f'{ns} {name} --type=json -p \'[{{"op":"remove","path":"/metadata/finalizers"}}]\'`'
        )
    if node_state:
        extra = (*extra, causes.NODE_GONE) if node_state == "gone" else extra
        fixes.append(
            f"the node is {node_state}: make sure the pod's containers are really stopped "
            f"(node powered off or removed), then `kubectl delete pod -n {ns} {name} "
            "--grace-period=0 --force`; never while it may still run (two copies of one identity)"
        )
    if not fixes:
        fixes.append(
            f"the kubelet on {node or 'its node'} has not confirmed the containers stopped: "
            f"`kubectl describe pod -n {ns} {name}` and the kubelet's log"
        )
    return Finding(
        severity="error",
        causes=(causes.STUCK_TERMINATING, *[c for c in extra if c != causes.STUCK_TERMINATING]),
        subject=f"pod {name}",
        what=f"{name} is stuck terminating: {human_age(overdue)} past its grace period"
        + (f", held by finalizer(s) {', '.join(finalizers)}" if finalizers else "")
        + (f", node {node} {node_state}" if node_state else ""),
        why=tuple(evidence),
        fix=tuple(fixes),
        reference=causes.FORCE_DELETE_DOCS,
    )


def _claim(world: World, claim: Obj) -> Finding:
    name = str(dig(claim, "metadata", "name"))
    finalizers = [str(f) for f in dig(claim, "metadata", "finalizers") or ()]
    users = [
        str(dig(p, "metadata", "name"))
        for p in world.pods
        if any(
            dig(v, "persistentVolumeClaim", "claimName") == name
            for v in dig(p, "spec", "volumes") or ()
        )
    ]
    return Finding(
        severity="warning",
        causes=(causes.TERMINATING,),
        subject=f"PersistentVolumeClaim {name}",
        what=f"claim {name} is being deleted"
        + (f"; pod(s) {', '.join(users)} still use it" if users else ""),
        why=(
            f"metadata.deletionTimestamp {deletion_timestamp(claim)}, finalizers {finalizers}",
            "kubernetes.io/pvc-protection keeps a claim while a pod uses it; the controller "
            'creates no pod for it until it is gone ("pvc is being deleted")',
        ),
        fix=(
            "delete the pod(s) using it if the claim is meant to go; the controller then makes "
            "a fresh, empty claim",
        ),
        reference="https://kubernetes.io/docs/concepts/storage/persistent-volumes/#storage-object-in-use-protection",
    )
