"""A Failed or Succeeded pod is deleted once by the controller, then created again.

`processReplica` (pkg/controller/statefulset/stateful_set_control.go) deletes a pod whose phase is
Failed or Succeeded when it has no deletionTimestamp yet, and creates its replacement "on the
next sync after the current pod is removed from etcd" (the e2e "should recreate evicted
statefulset" asserts the recreation). So the controller deletes it exactly once: a second
SuccessfulDelete Event for the same pod is a second delete call, which the controller's informer
cache explains only within `CACHE_LAG_NS` of the pod's deletionTimestamp being recorded.
"""

from stswatch.reports.causes import BY_CONTROLLER
from stswatch.reports.history.informer import CACHE_LAG_NS, EVENT_LAG_NS
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs.context import NOT_RECORDED, ProofContext
from stswatch.reports.proofs.verdict import Verdict

PROOF = "failed-pod-replaced"
KINDS = ("Pod", "Event")
_NOTABLE_S = 3.0  # an ended pod left this long before its deletion is told


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when the ended pod was deleted once by the controller before its successor."""
    recreation = ctx.episode.recreation
    lost = ctx.episode.deleted
    if ctx.episode.kind == "pod-deleted" and lost is not None and lost.finished() is None:
        # Not created again in the recording: the deletion is judged all the same.
        return _without_reason(ctx, lost, None)
    if ctx.episode.kind != "pod-recreated" or recreation is None:
        return None
    old, new = recreation.old, recreation.new
    began = old.deletion_began
    ended = old.finished(before=new.created.rank)
    if ended is None:
        return _without_reason(ctx, old, new)
    phase = ended.what.capitalize() + (f" ({ended.detail})" if ended.detail else "")
    cited = [ctx.cite_step(old, ended, f"{old.name} {phase}")]
    if began is not None:
        cited.append(ctx.cite_step(old, began, f"{old.name} deletion began"))
    cited.append(ctx.cite_step(new, new.created, f"{new.name} created"))
    if ctx.actors.unseen(ended.received_wall_ns):
        reason = f"the controller's Events were {NOT_RECORDED} around {old.name}'s deletion"
        return ctx.verdict(PROOF, "inconclusive", reason, cited)
    deletes = ctx.actors.controller_actions(
        old.namespace, "delete", "Pod", old.name, ended.received_wall_ns,
        new.created.received_wall_ns + EVENT_LAG_NS,
    )  # fmt: skip
    if not deletes:
        actor = ctx.deleted_by(old)
        who = actor.who if actor is not None else "someone else"
        reason = f"{old.name} ended {phase} and was deleted by {who} before the controller did"
        return ctx.verdict(PROOF, "not-applicable", reason, cited)
    cited += [ctx.cite(change_id, "SuccessfulDelete Event") for _, change_id in deletes]
    late = _late(deletes, began)
    if late is not None:
        reason = (
            f"the controller deleted {old.name} {len(deletes)} times after it ended {phase}, the "
            f"last {late:.1f} s after its deletionTimestamp was recorded: processReplica deletes "
            "a Failed or Succeeded pod only while it has no deletionTimestamp"
        )
        return ctx.verdict(PROOF, "fail", reason, cited)
    gone = old.deleted
    after = (
        f", {(new.created.received_wall_ns - gone.received_wall_ns) / 1e9:.1f} s after it was gone"
        if gone is not None
        else ""
    )
    times = "once" if len(deletes) == 1 else f"{len(deletes)} times within the informer cache's lag"
    reason = (
        f"{old.name} ended {phase}; the controller deleted it {times} (its SuccessfulDelete Event) "
        f"and created {new.name} again{after} (processReplica)"
    )
    return ctx.verdict(PROOF, "pass", reason + _left(ctx, old, ended, began), cited)


def _without_reason(
    ctx: ProofContext, old: PodIncarnation, new: PodIncarnation | None
) -> Verdict | None:
    """A pod the StatefulSet controller deleted (its SuccessfulDelete Event) though it had none
    of the controller's reasons (`ProofContext.controller_reason`)."""
    began = old.deletion_began
    actor = ctx.deleted_by(old)
    if began is None or old.ordinal is None or actor is None or actor.who != BY_CONTROLLER:
        return None
    if ctx.controller_reason(old):
        return None
    cited = [
        *(ctx.cite(e, "SuccessfulDelete Event") for e in actor.evidence),
        ctx.cite_step(old, began, f"{old.name} deletion began"),
    ]
    if new is not None:
        cited.append(ctx.cite_step(new, new.created, f"{new.name} created"))
    reason = (
        f"the StatefulSet controller deleted {old.name} (its SuccessfulDelete Event) though it "
        f"had not finished running, was in range and at revision {old.revision_at(began.rank)}, "
        "needing no "
        "update: the controller deletes a pod only when it is Failed or Succeeded "
        "(processReplica), condemned (processCondemned) or behind the update revision at or above "
        "the partition (the update step)"
    )
    slow = ctx.slow_call_reason(old)
    if slow:
        return ctx.verdict(PROOF, "inconclusive", reason + ctx.slow_call_told(old, slow), cited)
    return ctx.verdict(PROOF, "fail", reason, cited)


def _left(
    ctx: ProofContext, old: PodIncarnation, ended: Transition, began: Transition | None
) -> str:
    """'; web-2 stood Failed 8.7 s first, while the controller was held at web-1 (not Ready)':
    under OrderedReady processReplica stops at the first unhealthy pod below and never reaches
    the ended one; the hold is the replay's, never a guess."""
    if began is None or old.ordinal is None:
        return ""
    stood = (began.received_wall_ns - ended.received_wall_ns) / 1e9
    if stood < _NOTABLE_S:
        return ""
    below = [
        s
        for s in ctx.replay.overlapping(ended.rank, began.rank)
        if s.pod.uid != old.uid and s.pod.ordinal is not None and s.pod.ordinal < old.ordinal
    ]
    if not below:
        return f"; {old.name} stood {ended.what.capitalize()} {stood:.1f} s before its deletion"
    held = below[-1]
    told = (
        f"; {old.name} stood {ended.what.capitalize()} {stood:.1f} s first, while the controller "
        f"was held at {held.pod.name} ({held.cause})"
    )
    if ctx.episode.spec.pod_management_policy == "Parallel":
        return told
    return told + (
        f": under OrderedReady processReplica stops at the first unhealthy pod and reached "
        f"{old.name} only after"
    )


def _late(deletes: list[tuple[int, int]], began: Transition | None) -> float | None:
    """Seconds after the deletionTimestamp was recorded of a second delete beyond the cache lag."""
    if len(deletes) < 2 or began is None:
        return None
    last = deletes[-1][0] - began.received_wall_ns
    return last / 1e9 if last > CACHE_LAG_NS else None
