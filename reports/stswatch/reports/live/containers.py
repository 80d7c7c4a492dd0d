"""Containers that crash, wait, or ended badly: reason, exit code, restarts, back-off, log command.

The kubelet restarts a failed container with an exponential back-off that starts at 10 s, doubles,
is capped at 5 minutes and resets after 10 minutes of running; while it waits, the container's
state is `waiting` with reason `CrashLoopBackOff` and its `lastState.terminated` keeps the
previous run's reason and exit code.
https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts and
https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/
"""

import re
from typing import Any

from stswatch.reports import causes
from stswatch.reports.history.objects import dig
from stswatch.reports.live.findings import CONTAINER_EVENTS, Finding, events_evidence
from stswatch.reports.live.world import World

Obj = dict[str, Any]

RESTART_DOCS = (
    "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts"
)
DEBUG_DOCS = "https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/"
_BACK_OFF = re.compile(r"back-off (\S+) restarting")
_TRANSIENT_WAITING = frozenset(("ContainerCreating", "PodInitializing"))
_SLOW_CREATE_S = 120.0


def back_off(status: Obj) -> str:
    """The current back-off: the kubelet's own words when it gave them, else the schedule's."""
    message = str(dig(status, "state", "waiting", "message") or "")
    said = _BACK_OFF.search(message)
    if said:
        return said[1]
    restarts = int(status.get("restartCount") or 0)
    seconds = min(10 * 2 ** max(restarts - 1, 0), 300)
    return f"about {seconds}s (10 s doubling per restart, capped at 5 min)"


def container_findings(world: World) -> list[Finding]:
    """One finding per container that crash-loops, waits abnormally, failed, or restarted."""
    found = []
    for pod in world.pods:
        for key, init in (("initContainerStatuses", True), ("containerStatuses", False)):
            for status in dig(pod, "status", key) or ():
                finding = _container(world, pod, status, init=init)
                if finding is not None:
                    found.append(finding)
    return found


def _logs(world: World, pod: str, container: str, *, previous: bool) -> str:
    tail = " --previous" if previous else ""
    return f"kubectl logs -n {world.namespace} {pod} -c {container}{tail}"


def _last(status: Obj) -> tuple[str, str]:
    ended = dig(status, "lastState", "terminated") or {}
    reason = str(ended.get("reason") or "unknown")
    code = str(ended.get("exitCode", "?"))
    return reason, code


def _container(world: World, pod: Obj, status: Obj, *, init: bool) -> Finding | None:
    pod_name = str(dig(pod, "metadata", "name"))
    name = str(status.get("name"))
    which = f"{'init ' if init else ''}container {name} of pod {pod_name}"
    restarts = int(status.get("restartCount") or 0)
    waiting = dig(status, "state", "waiting") or {}
    terminated = dig(status, "state", "terminated") or {}
    reason, code = _last(status)
    subject = f"pod {pod_name}"
    uid = dig(pod, "metadata", "uid")
    events = events_evidence(world, "Pod", pod_name, reasons=CONTAINER_EVENTS, uid=uid)
    if waiting.get("reason") == "CrashLoopBackOff":
        return Finding(
            severity="error",
            causes=(causes.CRASH_LOOP,),
            subject=subject,
            what=f"{which} is in CrashLoopBackOff: last exit {reason} (exit code {code}), "
            f"{restarts} restarts",
            why=(
                f"state.waiting.reason CrashLoopBackOff: {waiting.get('message') or ''}".rstrip(),
                f"lastState.terminated: reason {reason}, exitCode {code}, finished "
                f"{dig(status, 'lastState', 'terminated', 'finishedAt') or '?'}",
                f"restartCount {restarts}; next restart after a back-off of {back_off(status)}",
                *events,
            ),
            fix=(
                f"read why it exits: `{_logs(world, pod_name, name, previous=True)}`",
                f"then `kubectl describe pod -n {world.namespace} {pod_name}` (probes, "
                "command, limits: exit 137 is OOMKilled or a failed liveness probe)",
            ),
            reference=RESTART_DOCS,
        )
    waiting_reason = str(waiting.get("reason") or "")
    if waiting_reason and waiting_reason not in _TRANSIENT_WAITING:
        return Finding(
            severity="error",
            causes=(causes.CONTAINER_WAITING, waiting_reason),
            subject=subject,
            what=f"{which} is waiting: {waiting_reason}",
            why=(
                f"state.waiting: {waiting_reason}: {waiting.get('message') or ''}".rstrip(),
                *events,
            ),
            fix=(
                f"`kubectl describe pod -n {world.namespace} {pod_name}`; for image pulls check "
                "the image name, tag and imagePullSecrets",
            ),
            reference=DEBUG_DOCS,
        )
    if waiting_reason:
        age = world.age(dig(pod, "metadata", "creationTimestamp")) or 0.0
        if age < _SLOW_CREATE_S:
            return None
        return Finding(
            severity="warning",
            causes=(causes.CONTAINER_WAITING, waiting_reason),
            subject=subject,
            what=f"{which} is still {waiting_reason} after {age:.0f} s",
            why=(f"state.waiting.reason {waiting_reason}", *events),
            fix=(
                f"`kubectl describe pod -n {world.namespace} {pod_name}` (volume mounts, "
                "image pull, sandbox creation)",
            ),
            reference=DEBUG_DOCS,
        )
    if terminated and not (init and terminated.get("exitCode") == 0):
        t_reason = str(terminated.get("reason") or "Terminated")
        t_code = terminated.get("exitCode", "?")
        if t_code == 0 and dig(pod, "spec", "restartPolicy") != "Always":
            return None
        return Finding(
            severity="error",
            causes=(causes.CONTAINER_TERMINATED, t_reason),
            subject=subject,
            what=f"{which} terminated: {t_reason} (exit code {t_code})",
            why=(
                f"state.terminated: reason {t_reason}, exitCode {t_code}, finished "
                f"{terminated.get('finishedAt') or '?'}",
                *events,
            ),
            fix=(f"read why it exits: `{_logs(world, pod_name, name, previous=False)}`",),
            reference=DEBUG_DOCS,
        )
    if restarts > 0 and not dig(status, "lastState", "terminated"):
        # The kubelet leaves lastState empty once an init container has completed: its failed
        # runs' exits are gone from the status, and none is made up.
        done = init and terminated.get("exitCode") == 0
        return Finding(
            severity="warning",
            causes=(causes.CONTAINER_RESTARTED,),
            subject=subject,
            what=f"{which} restarted {restarts} times"
            + (" before it completed (exit code 0)" if done else ""),
            why=(f"restartCount {restarts}; lastState empty",),
            fix=(f"read its log: `{_logs(world, pod_name, name, previous=False)}`",),
            reference=RESTART_DOCS,
        )
    if restarts > 0:
        return Finding(
            severity="warning",
            causes=(causes.CONTAINER_RESTARTED,),
            subject=subject,
            what=f"{which} restarted {restarts} times; last exit {reason} (exit code {code})",
            why=(
                f"restartCount {restarts}; lastState.terminated: reason {reason}, exitCode "
                f"{code}, finished {dig(status, 'lastState', 'terminated', 'finishedAt')}",
            ),
            fix=(f"read the previous run's log: `{_logs(world, pod_name, name, previous=True)}`",),
            reference=RESTART_DOCS,
        )
    return None
