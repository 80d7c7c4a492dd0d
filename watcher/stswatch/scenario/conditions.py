"""Wait conditions: what each one reads from the API and how it says what it is waiting for.

Each check returns an `Observation`: whether the condition holds, and what was last seen, so a
wait that gives up can say both what it wanted and what it got.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stswatch.scenario.model import (
    Condition,
    PodCount,
    PodGone,
    PodReady,
    PodRecreated,
    PodUnready,
    PvcBound,
    PvcGone,
    ReadyReplicas,
    RolloutComplete,
)
from stswatch.scenario.objects import Objects


@dataclass(frozen=True)
class Observation:
    """One look at the cluster: does the condition hold, and what was seen."""

    met: bool
    seen: str


def describe(condition: Condition, *, statefulset: str) -> str:
    """What the condition waits for, as a phrase ("pod redis-0 to be Ready")."""
    match condition:
        case ReadyReplicas(replicas=n):
            return f"StatefulSet {statefulset} to report {n} Ready replicas"
        case PodReady(pod=pod):
            return f"pod {pod} to be Ready"
        case PodUnready(pod=pod):
            return f"pod {pod} to be not Ready"
        case PodRecreated(pod=pod, ready=ready):
            return f"pod {pod} to be recreated (a new uid){' and Ready' if ready else ''}"
        case PodGone(pod=pod):
            return f"pod {pod} to be gone"
        case PodCount(count=n):
            return f"StatefulSet {statefulset} to have exactly {n} pods"
        case PvcBound(pvc=str(pvc)):
            return f"PVC {pvc} to be Bound"
        case PvcBound(count=int(n)):
            return f"the claims of {statefulset}'s ordinals 0..{n - 1} to be Bound"
        case PvcGone(pvc=pvc):
            return f"PVC {pvc} to be gone"
        case RolloutComplete():
            return f"StatefulSet {statefulset}'s rolling update to complete"
    raise AssertionError(condition)  # pragma: no cover - the union is exhaustive


async def observe(
    condition: Condition,
    *,
    objects: Objects,
    statefulset: str,
    old_uids: Mapping[str, str],
) -> Observation:
    """Look once; `old_uids` holds each deleted pod's uid, for pod-recreated."""
    match condition:
        case ReadyReplicas() | RolloutComplete():
            sts = await objects.get("StatefulSet", statefulset)
            pods = await objects.items("Pod") if sts is not None else []
            return _statefulset_condition(condition, sts, _ordinal_objects(pods, statefulset))
        case PodReady(pod=pod) | PodUnready(pod=pod) | PodGone(pod=pod):
            return _pod_condition(condition, await objects.get("Pod", pod))
        case PodRecreated(pod=pod, ready=ready):
            return _recreated(await objects.get("Pod", pod), old_uid=old_uids.get(pod), ready=ready)
        case PodCount(count=n):
            names = sorted(_ordinal_pods(await objects.items("Pod"), statefulset=statefulset))
            return Observation(len(names) == n, f"{len(names)} pods ({', '.join(names) or '-'})")
        case PvcBound():
            return await _claims_bound(condition, objects=objects, statefulset=statefulset)
        case PvcGone(pvc=pvc):
            claim = await objects.get("PersistentVolumeClaim", pvc)
            if claim is None:
                return Observation(True, "no such claim")
            deleting = claim["metadata"].get("deletionTimestamp") is not None
            phase = claim.get("status", {}).get("phase", "-")
            return Observation(False, f"{pvc} {phase}{', being deleted' if deleting else ''}")
    raise AssertionError(condition)  # pragma: no cover - the union is exhaustive


def is_ready(pod: Mapping[str, Any]) -> bool:
    """The pod's Ready condition is True (podutil.IsPodReady)."""
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _statefulset_condition(
    condition: Condition, sts: Mapping[str, Any] | None, pods: Mapping[int, Mapping[str, Any]]
) -> Observation:
    """Judged on the pods as well as the status: `status.readyReplicas` counts a Terminating pod
    that is still Ready (kubernetes#86209), and with a partition above 0 `currentRevision` never
    becomes `updateRevision`, so status alone fires early or never."""
    if sts is None:
        return Observation(False, "no such StatefulSet")
    spec, status = sts.get("spec", {}), sts.get("status", {})
    observed = status.get("observedGeneration", 0) >= sts["metadata"].get("generation", 0)
    ready = status.get("readyReplicas", 0)
    replicas = spec.get("replicas", 1)
    start = (spec.get("ordinals") or {}).get("start", 0)
    in_range = (
        [pods.get(o) for o in range(start, start + replicas)] if isinstance(replicas, int) else []
    )
    serving = sum(1 for p in in_range if p is not None and is_ready(p) and not _terminating(p))
    seen = (
        f"spec.replicas={replicas} replicas={status.get('replicas', 0)} "
        f"readyReplicas={ready} updatedReplicas={status.get('updatedReplicas', 0)} "
        f"Ready pods={serving}{'' if observed else ' (generation not yet observed)'}"
    )
    if isinstance(condition, ReadyReplicas):
        return Observation(observed and ready == condition.replicas == serving, seen)
    target = status.get("updateRevision")
    partition = ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition", 0)
    updated = all(
        p is not None and (o < start + partition or _revision(p) == target)
        for o, p in zip(range(start, start + replicas), in_range, strict=False)
    )
    per_pod = serving == replicas == len(in_range) and updated
    counts = (status.get("replicas"), status.get("updatedReplicas"), ready, replicas)
    revisions = status.get("currentRevision"), status.get("updateRevision")
    # With a partition the status never says "complete": the pods at or above it decide.
    by_status = partition > 0 or (len(set(counts)) == 1 and revisions[0] == revisions[1])
    done = observed and per_pod and by_status
    return Observation(done, f"{seen} currentRevision={revisions[0]} updateRevision={revisions[1]}")


def _revision(pod: Mapping[str, Any]) -> str | None:
    labels = pod["metadata"].get("labels") or {}
    value = labels.get("controller-revision-hash")
    return value if isinstance(value, str) else None


def _pod_condition(condition: Condition, pod: Mapping[str, Any] | None) -> Observation:
    if pod is None:
        return Observation(isinstance(condition, PodGone), "no such pod")
    seen = _pod_state(pod)
    if isinstance(condition, PodReady):
        return Observation(is_ready(pod) and not _terminating(pod), seen)
    if isinstance(condition, PodUnready):
        return Observation(not is_ready(pod), seen)
    return Observation(False, seen)


def _recreated(pod: Mapping[str, Any] | None, *, old_uid: str | None, ready: bool) -> Observation:
    if pod is None:
        return Observation(False, "no such pod")
    new = pod["metadata"]["uid"] != old_uid
    met = new and not _terminating(pod) and (is_ready(pod) or not ready)
    return Observation(met, f"{'new' if new else 'old'} uid, {_pod_state(pod)}")


async def _claims_bound(condition: PvcBound, *, objects: Objects, statefulset: str) -> Observation:
    if condition.pvc is not None:
        names = [condition.pvc]
    else:
        sts = await objects.get("StatefulSet", statefulset)
        if sts is None:
            return Observation(False, "no such StatefulSet")
        templates = [t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates", [])]
        count = condition.count or 0
        names = [f"{t}-{statefulset}-{i}" for t in templates for i in range(count)]
    phases = {}
    for name in names:
        claim = await objects.get("PersistentVolumeClaim", name)
        phases[name] = "absent" if claim is None else claim.get("status", {}).get("phase", "-")
    seen = ", ".join(f"{name} {phase}" for name, phase in phases.items()) or "no claims"
    return Observation(bool(names) and all(p == "Bound" for p in phases.values()), seen)


def _ordinal_objects(pods: list[dict[str, Any]], statefulset: str) -> dict[int, dict[str, Any]]:
    """The pods named like the StatefulSet's (`<set>-<ordinal>`), by ordinal."""
    pattern = re.compile(rf"^{re.escape(statefulset)}-([0-9]+)$")
    found = {}
    for pod in pods:
        match = pattern.match(pod["metadata"]["name"])
        if match:
            found[int(match[1])] = pod
    return found


def _ordinal_pods(pods: list[dict[str, Any]], *, statefulset: str) -> list[str]:
    """Names of the pods named like the StatefulSet's (`<set>-<ordinal>`)."""
    pattern = re.compile(rf"^{re.escape(statefulset)}-[0-9]+$")
    return [p["metadata"]["name"] for p in pods if pattern.match(p["metadata"]["name"])]


def _terminating(pod: Mapping[str, Any]) -> bool:
    return pod["metadata"].get("deletionTimestamp") is not None


def _pod_state(pod: Mapping[str, Any]) -> str:
    phase = pod.get("status", {}).get("phase", "no phase")
    ready = "Ready" if is_ready(pod) else "not Ready"
    return f"{phase}, {ready}{', terminating' if _terminating(pod) else ''}"
