"""The StatefulSet controller's rules for one pod: terminating, Running and Ready, Available.

One source for the controller replay, the proofs and `status`/`doctor`, each rule named after
the upstream function it follows (`pkg/controller/statefulset/stateful_set_utils.go`:
`isTerminating`, `isRunningAndReady`, `isRunningAndAvailable`, `isHealthy`, `isFailed`,
`isSucceeded`; `pkg/api/v1/pod/util.go`: `IsPodReady`, `IsPodAvailable`). A rule reads a
`PodView` (what a pod's JSON says, reduced to four fields), never a recording or a live object:
each reader builds the view from what it has, on its own clock.

Time: `ready_since` (when the Ready condition last turned True) and `now` are on one clock the
caller chooses, counted in `per_second` ticks a second (1 for API timestamps in seconds, 10**9 for
the recording's receive times in ns).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from stswatch.reports import causes
from stswatch.reports.history.objects import (
    Obj,
    deletion_timestamp,
    parse_time,
    pod_condition,
    pod_phase,
)

# The pod phases (`v1.PodPhase`), lower-case as the recorded pod steps name them.
PENDING: Final = "pending"
RUNNING: Final = "running"
FAILED: Final = "failed"
SUCCEEDED: Final = "succeeded"
UNKNOWN: Final = "unknown"
PHASES: Final = (PENDING, RUNNING, FAILED, SUCCEEDED, UNKNOWN)

# The label `updateIdentity` gives every pod of a set: its own name (`StatefulSetPodNameLabel`).
POD_NAME_LABEL: Final = "statefulset.kubernetes.io/pod-name"

# The API's spelling of each phase (`v1.PodRunning` is "Running"); anything else is no phase.
_API_PHASES: Final = {p.capitalize(): p for p in PHASES}


class PodView(Protocol):
    """What the rules read of a pod."""

    @property
    def phase(self) -> str | None:
        """status.phase, lower-case (`PHASES`); None when the pod has none (not `isCreated`)."""

    @property
    def ready(self) -> bool:
        """The Ready condition is True (`IsPodReady`); False when it is absent."""

    @property
    def ready_since(self) -> float | None:
        """The Ready condition's lastTransitionTime on the caller's clock; None when unknown."""

    @property
    def terminating(self) -> bool:
        """metadata.deletionTimestamp is set."""


@dataclass(frozen=True, slots=True)
class PodState:
    """A `PodView` built from whatever the caller read (a pod's JSON, a recorded incarnation)."""

    phase: str | None = None
    ready: bool = False
    ready_since: float | None = None
    terminating: bool = False


def api_phase(value: object) -> str | None:
    """The lower-case phase of an API `status.phase` value ("Running" -> "running"); None for
    anything that is not one of the API's phases (the controller compares `== v1.PodRunning`)."""
    return _API_PHASES.get(value) if isinstance(value, str) else None


def is_terminating(pod: PodView) -> bool:
    """`isTerminating`: the pod's deletionTimestamp is set (a graceful delete began)."""
    return pod.terminating


def is_running_and_ready(pod: PodView) -> bool:
    """`isRunningAndReady`: phase Running and the Ready condition True (`IsPodReady`)."""
    return pod.phase == RUNNING and pod.ready


def is_available(pod: PodView, *, min_ready_seconds: int, now: float, per_second: int = 1) -> bool:
    """`IsPodAvailable`: Ready, and with minReadySeconds > 0, Ready for at least that long.

    Upstream asks `lastTransitionTime + minReadySeconds` to be strictly before now; API
    timestamps are cut to the second, so a moment exactly minReadySeconds after the recorded one
    may already be past it: at equality the pod counts as Available. An unknown Ready time
    (`ready_since` None) never is, as upstream treats a zero lastTransitionTime.
    """
    if not pod.ready:
        return False
    if min_ready_seconds <= 0:
        return True
    since = pod.ready_since
    return since is not None and now - since >= min_ready_seconds * per_second


def is_running_and_available(
    pod: PodView, *, min_ready_seconds: int, now: float, per_second: int = 1
) -> bool:
    """`isRunningAndAvailable` (upstream: `IsPodAvailable` alone, the Running check being
    `isRunningAndReady`'s just before it in `processReplica`): here both, Running and Available."""
    if pod.phase != RUNNING:
        return False
    return is_available(pod, min_ready_seconds=min_ready_seconds, now=now, per_second=per_second)


def is_healthy(pod: PodView) -> bool:
    """`isHealthy`: `isRunningAndReady` and not `isTerminating` (no minReadySeconds)."""
    return is_running_and_ready(pod) and not is_terminating(pod)


def is_terminal(pod: PodView) -> bool:
    """`isFailed` or `isSucceeded`: `processReplica` deletes such a pod (unless terminating) and
    recreates it once it is gone."""
    return pod.phase in (FAILED, SUCCEEDED)


def halts_walk(
    pod: PodView, *, min_ready_seconds: int, now: float, per_second: int = 1
) -> str | None:
    """Why `processReplica` (monotonic) stops at this pod, as a word of `causes`, in its order:
    terminating ("waiting for Pod to Terminate"), not Running or not Ready ("waiting for Pod to be
    Running and Ready"), not Available ("waiting for Pod to be Available"); None when the walk
    goes on past it. The same pods hold `processCondemned` and the rolling update
    (`isUnavailable` or terminating)."""
    # Hot (the replay asks at every step): the attribute reads of `is_terminating` and
    # `is_running_and_ready` inline, `is_available` asked only when minReadySeconds counts.
    if pod.terminating:
        return causes.TERMINATING
    if pod.phase != RUNNING:
        return causes.NOT_RUNNING
    if not pod.ready:
        return causes.NOT_READY
    if min_ready_seconds > 0 and not is_available(
        pod, min_ready_seconds=min_ready_seconds, now=now, per_second=per_second
    ):
        return causes.NOT_AVAILABLE
    return None


def identity_matches(name: str, labels: Mapping[str, str]) -> bool:
    """`identityMatches`, of what can change on a pod of the set: its
    statefulset.kubernetes.io/pod-name label is its own name (the name, namespace and parent
    never change). When it is not, `processReplica` calls `UpdateStatefulPod`, whose
    `updateIdentity` restores it, before it goes past the pod."""
    return labels.get(POD_NAME_LABEL) == name


def missing_claims(
    claims: Iterable[str], *, templates: Iterable[str], set_name: str, ordinal: int
) -> tuple[str, ...]:
    """The claims `<template>-<set>-<ordinal>` (`getPersistentVolumeClaimName`) of the set's
    volumeClaimTemplates that the pod (its volumes' claim names, `claims`) does not mount:
    `storageMatches` is false when there is any. `processReplica` then calls
    `UpdateStatefulPod`, whose change of spec.volumes the API server refuses (a pod's volumes
    cannot change): the update fails on every sync, and the sync goes no further (`runForAll`
    stops at an error, under either policy)."""
    held = set(claims)
    names = (f"{template}-{set_name}-{ordinal}" for template in templates)
    return tuple(name for name in names if name not in held)


def api_pod_state(pod: Obj) -> PodState:
    """The view of a pod's API JSON (epoch seconds): status.phase, the Ready condition and its
    lastTransitionTime, metadata.deletionTimestamp; a missing or malformed field reads as absent."""
    ready = pod_condition(pod, "Ready")
    return PodState(
        api_phase(pod_phase(pod)),
        ready is not None and ready.get("status") == "True",
        parse_time(ready.get("lastTransitionTime")) if ready is not None else None,
        deletion_timestamp(pod) is not None,
    )


def max_unavailable(value: object, replicas: int) -> int:
    """`getStatefulSetMaxUnavailable`: rollingUpdate.maxUnavailable as a count of pods, an int or
    a percentage of spec.replicas rounded down; at least 1; 1 when unset or unreadable. (A rule
    of the update, not of one pod: kept here so the proofs and doctor read it alike.)"""
    text = str(value if value is not None else "1").strip()
    try:
        percent = text.endswith("%")
        count = int(text[:-1]) * replicas // 100 if percent else int(text)
    except ValueError:
        return 1
    return max(count, 1)
