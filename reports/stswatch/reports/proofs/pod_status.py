"""Why a held pod was not Ready, not started, or not gone, from its own recorded status and
Events: a container in the kubelet's CrashLoopBackOff, an image not pulled, a readiness probe
failing, or its node not Ready.

- The kubelet restarts a failed container with a back-off (10 s, doubling, capped at 5 minutes);
  while it waits, the container's `state.waiting.reason` is CrashLoopBackOff and its
  `lastState.terminated` keeps the last run's reason and exit code
  (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts).
- A container whose image cannot be pulled waits with reason ErrImagePull (the pull's error in
  its message), then ImagePullBackOff while the kubelet backs off the next pull (10 s, doubling,
  capped at 5 minutes); the pod stays Pending (`pkg/kubelet/images`,
  https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff). An init container
  that exits non-zero is restarted the same way as any container (Init:Error, then
  Init:CrashLoopBackOff), and the pod's app containers do not start until it succeeds.
- A readiness probe that runs and fails keeps the container running but not ready, and the
  kubelet records an Unhealthy Event on the pod ("Readiness probe failed: <its output>",
  `pkg/kubelet/prober/prober.go`); a probe never restarts a container.
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

import orjson

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.objects import dig, integer, items
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.recording import ChangesById, decoded_object

_STATUSES = ("initContainerStatuses", "containerStatuses")
_COUNT = '"restartCount"'
# The kubelet's waiting reasons for a container whose image it could not get (`pkg/kubelet/images`
# ErrImagePull, ImagePullBackOff, ImageInspectError, ErrImageNeverPull, InvalidImageName).
_NOT_PULLED = (
    "ErrImagePull",
    "ImagePullBackOff",
    "ImageInspectError",
    "ErrImageNeverPull",
    "InvalidImageName",
)
_BACKING_OFF = "ImagePullBackOff"
# An Event or status message told this long at most (a pull error names the image twice).
_MESSAGE_CHARS = 320


@dataclass(frozen=True)
class Restarts:
    """A container the kubelet restarted while the pod was held, in CrashLoopBackOff or not."""

    container: str
    looped: bool  # seen waiting in CrashLoopBackOff
    restarts: int  # its highest restartCount seen then
    reason: str  # its last run's end, e.g. Error
    exit_code: str
    change_id: int  # the first change showing it in CrashLoopBackOff (else restarted)
    init: bool = False  # an init container (status.initContainerStatuses)

    @property
    def told(self) -> str:
        """'container app in the kubelet's CrashLoopBackOff, 2 restarts, last exit Error (exit
        code 1)'; 'container app restarted by the kubelet, 1 restart, last exit Completed (exit
        code 0)'; 'init container init in …'."""
        how = "in the kubelet's CrashLoopBackOff" if self.looped else "restarted by the kubelet"
        plural = "" if self.restarts == 1 else "s"
        last = "last failed run" if self.init else "last exit"  # an init container's ends in exit 0
        return (
            f"{self._which} {how}, {self.restarts} restart{plural}, {last} "
            f"{self.reason} (exit code {self.exit_code})"
        )

    @property
    def note(self) -> str:
        """The cited change's note: 'container app in CrashLoopBackOff', '… restarted'."""
        how = "in CrashLoopBackOff" if self.looped else f"restarted (restartCount {self.restarts})"
        return f"{self._which} {how}"

    @property
    def _which(self) -> str:
        return _container(self.container, init=self.init)


def _container(name: str, *, init: bool) -> str:
    """'container app'; 'init container init'."""
    return f"{'init ' if init else ''}container {name}"


@dataclass(frozen=True)
class NotPulled:
    """A container of the held pod whose image the kubelet could not pull."""

    container: str
    init: bool
    reason: str  # the first waiting reason seen: ErrImagePull, InvalidImageName, ...
    message: str  # the kubelet's message with it (the pull's error)
    backing_off: bool  # seen waiting in ImagePullBackOff since
    change_id: int  # the first change showing it

    @property
    def told(self) -> str:
        """'container app's image not pulled: ErrImagePull (failed to pull and unpack image …),
        then the kubelet's ImagePullBackOff'."""
        which = _container(self.container, init=self.init)
        said = f" ({self.message})" if self.message else ""
        then = f", then the kubelet's {_BACKING_OFF}" if self.backing_off else ""
        return f"{which}'s image not pulled: {self.reason}{said}{then}"

    @property
    def note(self) -> str:
        """The cited change's note: 'container app waiting: ErrImagePull'."""
        return f"{_container(self.container, init=self.init)} waiting: {self.reason}"


@dataclass(frozen=True)
class ProbeFailed:
    """The kubelet's Unhealthy Events on the held pod: a readiness probe that ran and failed."""

    container: str
    output: str  # the probe's output in the first one ('' when it printed nothing)
    change_id: int  # the first Unhealthy Event in the hold

    @property
    def told(self) -> str:
        """'container app's readiness probe failing (the kubelet's Unhealthy Events: Readiness
        probe failed: web-1 warming up)'."""
        which = f"container {self.container}'s" if self.container else "its"
        said = f": {self.output}" if self.output else ""
        return (
            f"{which} readiness probe failing (the kubelet's Unhealthy Events: Readiness probe "
            f"failed{said})"
        )

    def note(self, pod: str) -> str:
        """The cited Event's note."""
        return f"Unhealthy: {pod}'s readiness probe failed"


@dataclass(frozen=True)
class NodeNotReady:
    """The node lifecycle controller marked a pod not Ready: its node stopped being Ready."""

    node: str
    change_id: int  # its NodeNotReady Event on the pod (else its change to not Ready)
    unready: Transition  # the pod's change to not Ready it made
    event: bool = True  # False: known from the pod's conditions alone (its Event not recorded)

    @property
    def told(self) -> str:
        """'its node 127.0.0.3 not Ready (NodeNotReady, the node lifecycle controller)'."""
        if not self.event:
            return (
                f"its node {self.node} not Ready (Ready set False, ContainersReady still True: "
                "the node lifecycle controller)"
            )
        return f"its node {self.node} not Ready (NodeNotReady, the node lifecycle controller)"

    def note(self, pod: str) -> str:
        """The cited change's note."""
        if not self.event:
            return f"{pod} Ready False, ContainersReady True: its node {self.node} not Ready"
        return f"NodeNotReady: {pod}'s node {self.node} not Ready"


def restarts(
    ctx: ProofContext, pod: PodIncarnation, first_id: int, last_id: int
) -> Restarts | None:
    """The first container of `pod` its changes from `first_id` to `last_id` show waiting in
    CrashLoopBackOff, else the first whose restartCount rose in them, with its restarts and last
    exit then; before its deletion began only (the kubelet then stops it, which is no crash)."""
    began = pod.terminating
    if began is not None:
        last_id = min(last_id, began.change_id)
    seen: dict[str, _Container] = {}
    skipped = decoding = False
    for change_id, text in _texts_of(ctx, pod, first_id, last_id):
        if began is not None and change_id >= began.change_id:
            break
        if not decoding:
            if not _may_restart(str(text)):
                skipped = True  # no restart and no back-off shown: its counts were all 0
                continue  # most pods never restart: their objects are not decoded
            decoding = True
        obj = decoded_object(change_id, text)
        for key in _STATUSES:
            for status in items(dig(obj, "status", key)):
                name = status.get("name") if isinstance(status, dict) else None
                if isinstance(name, str):
                    init = key == _STATUSES[0]
                    counted = seen.get(name) or _Container(0 if skipped else None, init=init)
                    seen[name] = counted
                    counted.read(change_id, status)
    # A crash loop first, then a restart; of each the first seen.
    told = [
        (c.looped is None, shown, name, c)
        for name, c in seen.items()
        if (shown := c.looped if c.looped is not None else c.rose) is not None
    ]
    if not told:
        return None
    _, shown, name, c = min(told, key=lambda t: t[:3])
    reason, code = c.ended
    return Restarts(name, c.looped is not None, c.most, reason, code, shown, c.init)


def not_pulled(
    ctx: ProofContext, pod: PodIncarnation, first_id: int, last_id: int
) -> NotPulled | None:
    """The first container of `pod` its changes from `first_id` to `last_id` show waiting for an
    image the kubelet could not pull, with the first such reason and message."""
    found: NotPulled | None = None
    for change_id, text in _texts_of(ctx, pod, first_id, last_id):
        if not any(reason in str(text) for reason in _NOT_PULLED):
            continue  # most objects show none: not decoded
        obj = decoded_object(change_id, text)
        for key in _STATUSES:
            for status in items(dig(obj, "status", key)):
                waiting = dig(status, "state", "waiting")
                reason = waiting.get("reason") if isinstance(waiting, dict) else None
                if reason not in _NOT_PULLED or not isinstance(waiting, dict):
                    continue
                name = str(status.get("name") or "?") if isinstance(status, dict) else "?"
                if found is None:
                    message = _cut(str(waiting.get("message") or ""))
                    init = key == _STATUSES[0]
                    found = NotPulled(name, init, str(reason), message, False, change_id)
                elif reason == _BACKING_OFF and name == found.container:
                    return NotPulled(
                        found.container,
                        found.init,
                        found.reason,
                        found.message,
                        True,
                        found.change_id,
                    )
    return found


def readiness_failed(
    ctx: ProofContext, pod: PodIncarnation, since_ns: int, until_ns: int
) -> ProbeFailed | None:
    """The kubelet's first Unhealthy Event on `pod` in [since, until] saying a readiness probe
    failed (an Event names its pod's uid: one incarnation's only)."""
    failed = ctx.actors.readiness_failed(pod.uid, since_ns, until_ns)
    if not failed:
        return None
    _, change_id, container, output = failed[0]
    return ProbeFailed(container, _cut(output.splitlines()[0] if output else ""), change_id)


def _cut(message: str) -> str:
    return message if len(message) <= _MESSAGE_CHARS else message[: _MESSAGE_CHARS - 1] + "…"


class _Container:
    """One container's statuses read in turn: when it looped or its restarts rose, its last end."""

    def __init__(self, first: int | None, *, init: bool = False) -> None:
        self.first = first  # its restartCount before the changes read (None: at the first)
        self.init = init  # an init container
        self.most = 0
        self.looped: int | None = None  # the first change showing CrashLoopBackOff
        self.rose: int | None = None  # the first change showing more restarts than the first
        self.ended = ("unknown", "?")

    def read(self, change_id: int, status: dict[str, Any]) -> None:
        if self.looped is None and dig(status, "state", "waiting", "reason") == "CrashLoopBackOff":
            self.looped = change_id
        count = integer(status.get("restartCount"))
        if count is not None:
            self.first = count if self.first is None else self.first
            if count > self.first and self.rose is None:
                self.rose = change_id
            self.most = max(self.most, count)
        run = dig(status, "state", "terminated") or dig(status, "lastState", "terminated")
        if isinstance(run, dict) and not (self.init and run.get("exitCode") == 0):
            # An init container's exit 0 is its success (what let the pod start), not a crash.
            self.ended = (str(run.get("reason") or "unknown"), str(run.get("exitCode", "?")))


def _may_restart(text: str) -> bool:
    """True when an object's JSON may show a restart or the kubelet's back-off: one that does
    not is not decoded (most pods never restart). A substring search, not a regular expression:
    an object is a few KB."""
    if "CrashLoopBackOff" in text:
        return True
    at = text.find(_COUNT)
    while at >= 0:
        value = text[at + len(_COUNT) : at + len(_COUNT) + 8].lstrip(" \t\r\n:")
        if value[:1] != "0":
            return True
        at = text.find(_COUNT, at + 1)
    return False


def _texts_of(
    ctx: ProofContext, pod: PodIncarnation, first_id: int, last_id: int
) -> list[tuple[int, Any]]:
    changes = ctx.changes
    if isinstance(changes, ChangesById):
        return changes.texts_of(pod.uid, first_id, last_id)
    return [
        (i, c.object_json or orjson.dumps(c.object).decode())
        for i, c in changes.items()
        if first_id <= i <= last_id and c.uid == pod.uid
    ]


def node_not_ready(ctx: ProofContext, pod: PodIncarnation, rank: int) -> NodeNotReady | None:
    """When `pod` was not Ready at `rank` because the node lifecycle controller said its node was
    not: its last change to not Ready came with a NodeNotReady Event on it (or, that Event not
    recorded, shows the controller's mark: `_marked`)."""
    # Its first change counts too: a window's first sight of a pod already not Ready.
    unready = pod.last_before(rank + 1, ("created", "ready", "unready"))
    if unready is None or unready.what == "ready" or not pod.node:
        return None
    event = ctx.actors.node_not_ready_near(pod.uid, unready.received_wall_ns)
    if event is not None:
        return NodeNotReady(pod.node, event, unready)
    marked = ctx.memo.get(f"marked not ready {unready.change_id}")
    if marked is None:
        marked = ctx.memo[f"marked not ready {unready.change_id}"] = _marked(ctx, unready)
    return NodeNotReady(pod.node, unready.change_id, unready, event=False) if marked else None


def _marked(ctx: ProofContext, unready: Transition) -> bool:
    """True when the pod's change to not Ready shows `MarkPodsNotReady`'s hand where its Event is
    not recorded (Events lost, or before a window): Ready False with no reason while
    ContainersReady stays True. The kubelet never writes that: it gives Ready False a reason
    (ContainersNotReady, ReadinessGatesNotReady, PodCompleted)."""
    conditions = items(dig(ctx.changes[unready.change_id].object, "status", "conditions"))
    found = {c.get("type"): c for c in conditions if isinstance(c, dict)}
    ready, containers = found.get("Ready", {}), found.get("ContainersReady", {})
    return (
        ready.get("status") == "False"
        and not ready.get("reason")
        and containers.get("status") == "True"
    )
