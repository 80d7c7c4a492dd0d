"""Why a held pod was not Ready, or not gone, from its own recorded status and Events: a
container in the kubelet's CrashLoopBackOff, or its node not Ready.

- The kubelet restarts a failed container with a back-off (10 s, doubling, capped at 5 minutes);
  while it waits, the container's `state.waiting.reason` is CrashLoopBackOff and its
  `lastState.terminated` keeps the last run's reason and exit code
  (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts).
- When a node stops posting its status (its kubelet stopped, or unreachable) for
  node-monitor-grace-period, the node lifecycle controller sets the Ready condition of each pod
  there False and records a NodeNotReady Event on it ("Node is not ready": `MarkPodsNotReady` in
  `pkg/controller/util/node`). A pod deleted then stays Terminating past its grace period until
  the kubelet there confirms its containers stopped, the Node is deleted, or a client force
  deletes it (https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/).
  Nodes are not recorded: the node is the pod's spec.nodeName, the cause that Event.

Read only for the holds a verdict tells, the held pod's changes read back then: building the
lifecycles reads no container status.
"""

from dataclasses import dataclass
from typing import Any

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.objects import dig, integer, items
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.recording import Change, ChangesById

_STATUSES = ("initContainerStatuses", "containerStatuses")


@dataclass(frozen=True)
class CrashLoop:
    """A container the kubelet held in CrashLoopBackOff while the pod was held."""

    container: str
    restarts: int  # its highest restartCount seen then
    reason: str  # its last run's end, e.g. Error
    exit_code: str
    change_id: int  # the first change showing it waiting in CrashLoopBackOff

    @property
    def told(self) -> str:
        """'container app in the kubelet's CrashLoopBackOff, 2 restarts, last exit Error (exit
        code 1)'."""
        plural = "" if self.restarts == 1 else "s"
        return (
            f"container {self.container} in the kubelet's CrashLoopBackOff, {self.restarts} "
            f"restart{plural}, last exit {self.reason} (exit code {self.exit_code})"
        )


@dataclass(frozen=True)
class NodeNotReady:
    """The node lifecycle controller marked a pod not Ready: its node stopped being Ready."""

    node: str
    change_id: int  # its NodeNotReady Event on the pod
    unready: Transition  # the pod's change to not Ready it made

    @property
    def told(self) -> str:
        """'its node 127.0.0.3 not Ready (NodeNotReady, the node lifecycle controller)'."""
        return f"its node {self.node} not Ready (NodeNotReady, the node lifecycle controller)"


def crash_loop(
    ctx: ProofContext, pod: PodIncarnation, first_id: int, last_id: int
) -> CrashLoop | None:
    """The first container of `pod` its changes from `first_id` to `last_id` show waiting in
    CrashLoopBackOff, with its restarts and last exit then; before its deletion began only (the
    kubelet then stops it, which is no crash)."""
    began = pod.terminating
    if began is not None:
        last_id = min(last_id, began.change_id)
    looped: dict[str, int] = {}
    restarts: dict[str, int] = {}
    ended: dict[str, tuple[str, str]] = {}
    for change in _changes_of(ctx, pod, first_id, last_id):
        if began is not None and change.id == began.change_id:
            break
        obj = change.object
        for key in _STATUSES:
            for container in items(dig(obj, "status", key)):
                _read(change.id, container, looped, restarts, ended)
    if not looped:
        return None
    name = min(looped, key=looped.__getitem__)
    reason, code = ended.get(name, ("unknown", "?"))
    return CrashLoop(name, restarts.get(name, 0), reason, code, looped[name])


def _read(
    change_id: int,
    container: Any,
    looped: dict[str, int],
    restarts: dict[str, int],
    ended: dict[str, tuple[str, str]],
) -> None:
    """Fold one container status of change `change_id` into what `crash_loop` tells."""
    if not isinstance(container, dict) or not isinstance(container.get("name"), str):
        return
    name = container["name"]
    if dig(container, "state", "waiting", "reason") == "CrashLoopBackOff":
        looped.setdefault(name, change_id)
    count = integer(container.get("restartCount"))
    if count is not None:
        restarts[name] = max(restarts.get(name, 0), count)
    run = dig(container, "state", "terminated") or dig(container, "lastState", "terminated")
    if isinstance(run, dict):
        ended[name] = (str(run.get("reason") or "unknown"), str(run.get("exitCode", "?")))


def _changes_of(
    ctx: ProofContext, pod: PodIncarnation, first_id: int, last_id: int
) -> list[Change]:
    changes = ctx.changes
    if isinstance(changes, ChangesById):
        return changes.of_object(pod.uid, first_id, last_id)
    return [c for i, c in changes.items() if first_id <= i <= last_id and c.uid == pod.uid]


def node_not_ready(ctx: ProofContext, pod: PodIncarnation, rank: int) -> NodeNotReady | None:
    """When `pod` was not Ready at `rank` because the node lifecycle controller said its node was
    not: its last change to not Ready came with a NodeNotReady Event on it."""
    unready = pod.last_before(rank + 1, ("ready", "unready"))
    if unready is None or unready.what != "unready" or not pod.node:
        return None
    event = ctx.actors.node_not_ready_near(pod.uid, unready.received_wall_ns)
    return None if event is None else NodeNotReady(pod.node, event, unready)
