"""What a live pod's JSON says about its health, in the StatefulSet controller's terms.

The rules are `stswatch.reports.history.pod_rules` (`isRunningAndReady`, `isRunningAndAvailable`,
`isTerminating` of `pkg/controller/statefulset/stateful_set_utils.go`, `podutil.IsPodAvailable`),
read on the API's clock: the Ready condition's lastTransitionTime against the reader's `now`.
"""

from dataclasses import dataclass
from typing import Any

from stswatch.reports import causes
from stswatch.reports.history.objects import (
    deletion_timestamp,
    dig,
    pod_condition,
    pod_phase,
)
from stswatch.reports.history.objects import parse_time as _parse_time
from stswatch.reports.history.pod_rules import api_pod_state, halts_walk, is_terminal

Obj = dict[str, Any]


def container_statuses(pod: Obj) -> list[Obj]:
    """Init then app container statuses (each with `name`, `state`, `lastState`, ...)."""
    found: list[Obj] = []
    for key in ("initContainerStatuses", "containerStatuses"):
        found.extend(s for s in dig(pod, "status", key) or () if isinstance(s, dict))
    return found


def restarts(pod: Obj) -> int:
    """The sum of the containers' restartCount."""
    return sum(int(s.get("restartCount") or 0) for s in container_statuses(pod))


def last_termination(pod: Obj) -> str | None:
    """`Error (exit 1)` from the most recent lastState.terminated of any container."""
    latest: tuple[float, str] | None = None
    for status in container_statuses(pod):
        ended = dig(status, "lastState", "terminated")
        if not isinstance(ended, dict):
            continue
        at = _parse_time(ended.get("finishedAt")) or 0.0
        text = f"{ended.get('reason') or 'Terminated'} (exit {ended.get('exitCode', '?')})"
        if latest is None or at >= latest[0]:
            latest = (at, text)
    return latest[1] if latest else None


def is_ready(pod: Obj) -> bool:
    """Condition Ready is True (`IsPodReady`)."""
    return api_pod_state(pod).ready


# Waiting reasons of a container that is being set up as usual, not kept from starting.
_STARTING = frozenset(("ContainerCreating", "PodInitializing"))


def _not_started(pod: Obj) -> str:
    """', container app waiting: ImagePullBackOff'; ', init container init exited: Error (exit
    code 1)': the first container (init containers first) its status shows kept from starting,
    the kubelet's reason (the container findings give its message)."""
    inits = {s.get("name") for s in dig(pod, "status", "initContainerStatuses") or ()}
    for status in container_statuses(pod):
        which = f"{'init ' if status.get('name') in inits else ''}container {status.get('name')}"
        reason = dig(status, "state", "waiting", "reason")
        if reason and reason not in _STARTING:
            return f", {which} waiting: {reason}"
        ended = dig(status, "state", "terminated")
        if isinstance(ended, dict) and ended.get("exitCode") not in (0, None):
            code = ended.get("exitCode")
            return f", {which} exited: {ended.get('reason') or 'Error'} (exit code {code})"
    return ""


@dataclass(frozen=True)
class Blocker:
    """Why a pod holds an OrderedReady walk: the cause word and since when (API timestamp)."""

    cause: str
    since: str | None
    detail: str
    # A Failed or Succeeded pod: processReplica deletes it and creates it again (any policy),
    # so it holds the walk only until the controller's next sync, never for the user to fix.
    replaced: bool = False


def blocker(pod: Obj | None, *, min_ready_seconds: int, now: float) -> Blocker | None:
    """Why `processReplica` (monotonic) would stop at this pod, or None when it would not."""
    if pod is None:
        return Blocker(causes.MISSING, None, "the pod does not exist")
    view = api_pod_state(pod)
    cause = halts_walk(view, min_ready_seconds=min_ready_seconds, now=now)
    if cause is None:
        return None
    if cause == causes.TERMINATING:
        stamp = deletion_timestamp(pod)
        return Blocker(cause, stamp, f"deletionTimestamp {stamp}")
    if cause == causes.NOT_RUNNING:
        phase = pod_phase(pod) or "no phase"
        if is_terminal(view):
            return Blocker(
                cause, None, f"phase {phase}: processReplica deletes it and creates it again", True
            )
        scheduled = pod_condition(pod, "PodScheduled") or {}
        detail = f"phase {phase}"
        if scheduled.get("status") == "False":
            why = f"{scheduled.get('reason')}: {scheduled.get('message')}"
            detail += f", PodScheduled False ({why})"
        created = dig(pod, "metadata", "creationTimestamp")
        return Blocker(cause, created, detail + _not_started(pod))
    ready = pod_condition(pod, "Ready") or {}
    if cause == causes.NOT_READY:
        said = ": ".join(str(x) for x in (ready.get("reason"), ready.get("message")) if x)
        detail = f"condition Ready {ready.get('status', 'absent')}" + (f" ({said})" if said else "")
        return Blocker(cause, ready.get("lastTransitionTime"), detail)
    return Blocker(
        cause,
        ready.get("lastTransitionTime"),
        f"Ready since {ready.get('lastTransitionTime')}, minReadySeconds {min_ready_seconds}",
    )
