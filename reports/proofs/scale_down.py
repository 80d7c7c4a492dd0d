"""Reverse-order scale-down: condemned pods go from the highest ordinal down, one at a time.

`processCondemned` (monotonic) deletes only the highest condemned pod, then on every sync sees it
terminating and waits "for Pod to Terminate prior to scale down" until the object is gone from the
API (the e2e test checks `watch.Deleted`, not deletionTimestamp): STATEFULSET.md Q2.
"""

from itertools import pairwise

from reports.lifecycle import PodIncarnation, Transition
from reports.proofs.context import ProofContext
from reports.verdict import Evidence, Verdict

PROOF = "reverse-order-scale-down"
KINDS = ("Pod", "StatefulSet")


def condemned(ctx: ProofContext) -> list[PodIncarnation]:
    """Pods alive when the scale-down began whose ordinal fell outside the new range."""
    spec = ctx.episode.spec
    end = spec.start_ordinal + spec.replicas
    at = ctx.episode.start_rank
    pods = [ctx.alive(o, at) for o in ctx.slots if o >= end or o < spec.start_ordinal]
    return [p for p in pods if p is not None]


def began(pod: PodIncarnation) -> Transition | None:
    """When the pod's deletion was first seen (deletionTimestamp, or DELETED if never seen)."""
    return pod.terminating or pod.deleted


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when each condemned pod's deletion starts only after the next higher one is gone."""
    if ctx.episode.kind != "scale-down":
        return None
    if ctx.episode.spec.pod_management_policy == "Parallel":
        return ctx.verdict(PROOF, "not-applicable", "Parallel: condemned pods are deleted at once")
    pods = condemned(ctx)
    steps = [(p, step) for p in pods if (step := began(p)) and ctx.episode.contains(step.rank)]
    steps.sort(key=lambda pair: pair[1].rank)
    deleted = [p for p, _ in steps]
    if not deleted:
        return ctx.verdict(PROOF, "not-applicable", "no condemned pod was deleted in this episode")
    for higher, lower in pairwise(steps):
        problem = _out_of_order(ctx, higher, lower)
        if problem is not None:
            return ctx.verdict(PROOF, "fail", problem[0], problem[1])
    evidence = [e for pod in deleted for e in _cited(ctx, pod)]
    names = ", ".join(p.name for p in deleted)
    reason = f"deleted from the highest ordinal down, each after the previous was gone: {names}"
    left = [p.name for p in pods if p not in deleted]
    if left:
        reason += f" (still present at the end: {', '.join(left)})"
    return ctx.verdict(PROOF, "pass", reason, evidence)


Deletion = tuple[PodIncarnation, Transition]


def _out_of_order(
    ctx: ProofContext, earlier: Deletion, later: Deletion
) -> tuple[str, list[Evidence]] | None:
    (higher, first), (lower, second) = earlier, later
    if (lower.ordinal or 0) > (higher.ordinal or 0):
        reason = f"{lower.name} began terminating after {higher.name}: ordinals ascending"
        return reason, [
            ctx.cite_step(higher, first, f"{higher.name} terminating"),
            ctx.cite_step(lower, second, f"{lower.name} terminating after it"),
        ]
    gone = higher.deleted
    if gone is None or gone.rank > second.rank:
        reason = f"{lower.name} began terminating before {higher.name} was gone"
        cited = [ctx.cite_step(higher, first, f"{higher.name} terminating")]
        cited.append(ctx.cite_step(lower, second, f"{lower.name} terminating while it was there"))
        if gone is not None:
            cited.append(ctx.cite_step(higher, gone, f"{higher.name} gone only now"))
        return reason, cited
    return None


def _cited(ctx: ProofContext, pod: PodIncarnation) -> list[Evidence]:
    steps = [s for s in (pod.terminating, pod.deleted) if s is not None]
    return [ctx.cite_step(pod, s) for s in dict.fromkeys(steps)]
