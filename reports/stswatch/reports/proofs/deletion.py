"""The StatefulSet deleted: the garbage collector removes its pods, with no ordering guarantee.

Once a StatefulSet has a deletionTimestamp, `updateStatefulSet` only updates its status; its pods
are the set's dependents (controller ownerReference) and the garbage collector deletes them, all
at once and in no order. The StatefulSet docs say so: "StatefulSets do not provide any guarantees
on the termination of pods when a StatefulSet is deleted. To achieve ordered and graceful
termination of the pods in the StatefulSet, it is possible to scale the StatefulSet down to 0
prior to deletion" (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#limitations).
This verdict states what happened: how many pods went, how close together, who removed them.
"""

from collections.abc import Sequence

from stswatch.reports import causes
from stswatch.reports.history.episodes import deleted_with
from stswatch.reports.history.informer import CACHE_LAG_NS, EVENT_LAG_NS, SLOW_CALL_NS
from stswatch.reports.history.lifecycles import PodIncarnation, Transition
from stswatch.reports.proofs.context import NOTABLE_S, RECORDING_ENDED, ProofContext
from stswatch.reports.proofs.finalizers import kept_note
from stswatch.reports.proofs.orphans import Orphan, orphaned
from stswatch.reports.proofs.storage import (
    claim_named,
    deletion_rank,
    retention_deleted,
    set_claims_without_pods,
)
from stswatch.reports.proofs.unseen_deletion import already_deleting, listed_terminating
from stswatch.reports.proofs.verdict import Evidence, Verdict

PROOF = "statefulset-deletion"
KINDS = ("Pod", "StatefulSet")
_AT_ONCE_S = 1.0


def decide(ctx: ProofContext) -> Verdict | None:
    """Describe the deletion: pods removed, at once, by whom; never an ordering verdict."""
    if ctx.episode.kind != "statefulset-deleted":
        return None
    gone = ctx.set_gone
    if gone is None:  # pragma: no cover - the episode exists only when the set went
        return None
    after = [
        p
        for incs in ctx.slots.values()
        for p in incs
        if p.created.rank > gone.rank and p.first_observed != "list"
    ]
    # A CREATE decided before the deletion (or by a sync whose cache still showed the set) may
    # land up to SLOW_CALL_NS after it: an admission webhook, the client's throttling.
    in_flight = [p for p in after if _lag(p, gone) <= SLOW_CALL_NS]
    late = [p for p in after if p not in in_flight]
    if late:
        pod = late[0]
        reason = (
            f"{pod.name} was created after the StatefulSet's deletion began: the controller "
            "manages no pod of a set being deleted (updateStatefulSet returns at its "
            "deletionTimestamp)"
        )
        cited = [ctx.cite(gone.change_id, "StatefulSet deletion began")]
        return ctx.verdict(PROOF, "fail", reason, [*cited, ctx.cite_step(pod, pod.created)])
    alive = deleted_with(ctx.slots, gone)
    if not alive:
        return ctx.verdict(PROOF, "not-applicable", "the StatefulSet had no pod when deleted")
    released = orphaned(ctx, alive)
    pods = [p for p in alive if p not in released]
    removed = [(p, b) for p in pods if (b := p.deletion_began) is not None]
    removed.sort(key=lambda pair: pair[1].rank)
    cited = [ctx.cite(gone.change_id, f"StatefulSet {ctx.episode.statefulset.name} deleted")]
    cited += [ctx.cite_step(p, b, f"{p.name} deletion began") for p, b in removed]
    acted = _controller_deleted(ctx, removed)
    if acted is not None:
        return ctx.verdict(PROOF, "fail", acted[0], [*cited, *acted[1]])
    kept = [p.name for p in pods if p.deletion_began is None]
    if kept and ctx.near_end(gone):
        why = f"{', '.join(kept)} still present when the recording ended"
        return ctx.verdict(PROOF, "inconclusive", f"{why}: {RECORDING_ENDED} too soon", cited)
    if released and not removed and not kept:
        names = ", ".join(p.name for p in released)
        reason = (
            f"the StatefulSet was deleted but its pods were left ({names}): orphaned "
            "(deleted with --cascade=orphan), not removed" + _afterwards(ctx, released)
        )
        reason += "".join(_landed_after(ctx, p, gone) for p in in_flight)
        cited += [
            ctx.cite(o.change_id, f"{p.name} orphaned")
            for p, o in released.items()
            if o.change_id is not None
        ]
        return ctx.verdict(PROOF, "not-applicable", reason, cited)
    # A pod whose deletion began before the set's (a rollout's, a client's) is not the
    # deletion's: told apart, so the count at once and the times are the deletion's own.
    earlier = [(p, b) for p, b in removed if b.rank < gone.rank]
    unseen = [(p, b) for p, b in removed if b.rank >= gone.rank and listed_terminating(p)]
    taken = [(p, b) for p, b in removed if b.rank >= gone.rank and not listed_terminating(p)]
    if taken:
        reason = _describe(ctx, taken, earlier) + _unseen(ctx, unseen, gone)
    elif unseen:
        reason = _unseen(ctx, unseen, gone).removeprefix("; ") + _earlier(ctx, earlier, gone)
        reason += _claims_removed(ctx, [p for p, _ in (*unseen, *earlier)])
    else:
        reason = "no pod removed by the deletion itself" if earlier else "no pod removed"
        reason += _earlier(ctx, earlier, gone) + _claims_removed(ctx, [p for p, _ in earlier])
    reason += f"; left: {', '.join(kept)}" if kept else ""
    reason += "".join(_landed_after(ctx, p, gone) for p in in_flight)
    if released:
        reason += f"; orphaned: {', '.join(p.name for p in released)}" + _afterwards(ctx, released)
    return ctx.verdict(PROOF, "pass" if removed else "not-applicable", reason, cited)


def _lag(pod: PodIncarnation, gone: Transition) -> int:
    """How long after the set's deletion began `pod`'s creation landed (ns)."""
    return pod.created.received_wall_ns - gone.received_wall_ns


def _landed_after(ctx: ProofContext, pod: PodIncarnation, gone: Transition) -> str:
    """'; web-3 was created 8.0 s after the deletion began, by a CREATE the controller made
    before it (or on a cache that still showed the set) that landed late (…), and removed by
    the garbage collector 0.0 s later'."""
    took = _lag(pod, gone) / 1e9
    began = pod.deletion_began
    removed = ""
    if began is not None:
        actor = ctx.deleted_by(pod)
        who = f" by {actor.who}" if actor is not None and actor.who != "unknown" else ""
        after = (began.received_wall_ns - pod.created.received_wall_ns) / 1e9
        removed = f", and deleted{who} {after:.1f} s later"
    return (
        f"; {pod.name} was created {took:.1f} s after the deletion began, by a CREATE the "
        "controller decided before it (or on a cache that still showed the set) that landed "
        f"late (an admission webhook, the client's throttling){removed}"
    )


def _controller_deleted(
    ctx: ProofContext, removed: list[tuple[PodIncarnation, Transition]]
) -> tuple[str, list[Evidence]] | None:
    """The StatefulSet controller deleting pods (its SuccessfulDelete Events) once the set's
    deletion began: updateStatefulSet only updates status at a set's deletionTimestamp, and the
    garbage collector removes the pods. Within the informer cache's lag of the set's deletion a
    sync may still have acted, but only for one of its reasons (`controller_reason`)."""
    gone = ctx.set_gone
    if gone is None:
        return None
    namespace = ctx.episode.statefulset.namespace
    found: list[tuple[PodIncarnation, list[tuple[int, int]]]] = []
    for pod, began in removed:
        if began.rank <= gone.rank:
            continue
        events = ctx.actors.controller_actions(
            namespace, "delete", "Pod", pod.name, gone.received_wall_ns,
            began.received_wall_ns + EVENT_LAG_NS,
        )  # fmt: skip
        if not events:
            continue
        late = began.received_wall_ns - gone.received_wall_ns > CACHE_LAG_NS
        if late or not ctx.controller_reason(pod):
            found.append((pod, events))
    if not found:
        return None
    names = ", ".join(p.name for p, _ in found)
    ids = ", ".join(f"#{change_id}" for _, events in found for _, change_id in events)
    reason = (
        f"the StatefulSet controller deleted {names} (SuccessfulDelete {ids}) after the "
        f"StatefulSet's deletion began (#{gone.change_id}): at a set's deletionTimestamp "
        "updateStatefulSet only updates status, and the garbage collector removes its pods"
    )
    cited = [ctx.cite(c, "SuccessfulDelete Event") for _, events in found for _, c in events]
    return reason, cited


def _afterwards(ctx: ProofContext, released: dict[PodIncarnation, Orphan]) -> str:
    """What became of the orphans: adopted by a new set of the name (ClaimPods), deleted, and by
    whom (`ctx.deleted_by`: a client, or the adopting set's controller)."""
    adopted: dict[str, list[str]] = {}
    deleted: dict[str, list[str]] = {}
    for pod, orphan in released.items():
        adopter = pod.adopted_after(orphan.rank)
        if adopter is not None:
            sts = ctx.life.statefulset(adopter[0])
            adopted.setdefault(sts.name if sts is not None else "", []).append(pod.name)
        actor = ctx.deleted_by(pod)
        if actor is not None and actor.who != "unknown":
            deleted.setdefault(actor.who, []).append(pod.name)
    told = [
        f"{', '.join(names)} adopted by the new StatefulSet {name} (ClaimPods)".replace("  ", " ")
        for name, names in adopted.items()
    ]
    told += [f"{', '.join(names)} deleted by {who}" for who, names in deleted.items()]
    return "; afterwards " + "; ".join(told) if told else ""


def _unseen(
    ctx: ProofContext, unseen: Sequence[tuple[PodIncarnation, Transition]], gone: Transition
) -> str:
    """`already_deleting`'s words for the pods a list found terminating, and when the last of
    them was gone: '…, the last gone 0.7 s after the set's deletion began'."""
    if not unseen:
        return ""
    told = already_deleting(ctx, [p for p, _ in unseen])
    walls = [p.deleted.received_wall_ns for p, _ in unseen if p.deleted is not None]
    if len(walls) == len(unseen):
        after = (max(walls) - gone.received_wall_ns) / 1e9
        last = "gone" if len(unseen) == 1 else "the last gone"
        told += f", {last} {after:.1f} s after the set's deletion began"
    elif walls:
        told += f", {len(walls)} of them gone when the recording ended"
    return told


def _earlier(
    ctx: ProofContext, earlier: Sequence[tuple[PodIncarnation, Transition]], gone: Transition
) -> str:
    """'; web-2 was already being deleted (by the StatefulSet controller, #2749) when the set
    was, gone 6.5 s after it; web-2 stood Terminating 9.6 s, kept by …'."""
    told = ""
    evidence: list[Evidence] = []
    for pod, began in earlier:
        actor = ctx.deleted_by(pod)
        by = f"by {actor.who}, " if actor is not None and actor.who != "unknown" else ""
        told += f"; {pod.name} was already being deleted ({by}#{began.change_id}) when the set was"
        if pod.deleted is not None:
            after = (pod.deleted.received_wall_ns - gone.received_wall_ns) / 1e9
            told += f", gone {after:.1f} s after it"
        told += kept_note(ctx, pod, evidence)
    return told


def _describe(
    ctx: ProofContext,
    removed: list[tuple[PodIncarnation, Transition]],
    earlier: Sequence[tuple[PodIncarnation, Transition]] = (),
) -> str:
    """'3 pods removed by the garbage collector (web-0, web-2, web-1, in the order they went), 3
    at once (within 1 s), all gone within 8.6 s; web-1 stood Terminating ...': the deletions
    begun, the removals in their own order, and what kept a pod (its finalizers)."""
    everyone = removed
    others = [(p, b) for p, b in removed if _by_other(ctx, p)]
    if len(others) < len(removed):
        removed = [pair for pair in removed if pair not in others]
    else:
        others = []
    first = removed[0][1].received_wall_ns
    together = sum(1 for _, b in removed if (b.received_wall_ns - first) / 1e9 <= _AT_ONCE_S)
    actors = {a.who for p, _ in removed if (a := ctx.deleted_by(p)) is not None}
    who = " and ".join(sorted(actors)) if actors else causes.BY_GARBAGE_COLLECTOR
    gone = sorted((p for p, _ in removed if p.deleted is not None), key=_gone_rank)
    left = [p.name for p, _ in removed if p.deleted is None]
    at_once = f"{together} at once (within {_AT_ONCE_S:.0f} s)"
    if gone:
        last = max(p.deleted.received_wall_ns for p in gone if p.deleted is not None)
        text = (
            f"{len(gone)} pod{'s' * (len(gone) != 1)} removed by {who} "
            f"({', '.join(p.name for p in gone)}), {at_once}, all gone within "
            f"{(last - first) / 1e9:.2f} s"
        )
        if left:
            text += f"; {', '.join(left)} deleted too, not gone when the recording ended"
    else:
        names = ", ".join(p.name for p, _ in removed)
        text = f"{len(removed)} pods deleted by {who} ({names}), {at_once}, none gone"
        text += " when the recording ended"
    evidence: list[Evidence] = []
    text += "".join(kept_note(ctx, p, evidence) for p, _ in removed)
    text += (
        ": a deleted StatefulSet gives no ordering guarantee (scale to 0 first for an ordered "
        "shutdown)"
    )
    text += _held(ctx) + "".join(_other_told(ctx, p) for p, _ in others)
    set_gone = ctx.set_gone
    text += _earlier(ctx, earlier, set_gone) if set_gone is not None else ""
    text += _claims_removed(ctx, [p for p, _ in (*everyone, *earlier)])
    return text + _claims_with_pods(ctx, [p for p, _ in everyone])


def _by_other(ctx: ProofContext, pod: PodIncarnation) -> bool:
    """True when someone other than the garbage collector deleted the pod (a client, say)."""
    actor = ctx.deleted_by(pod)
    return actor is not None and actor.who not in (causes.BY_GARBAGE_COLLECTOR, "unknown")


def _other_told(ctx: ProofContext, pod: PodIncarnation) -> str:
    """'; web-1 deleted by a client while the set was being deleted, and not created again
    (...)'."""
    actor = ctx.deleted_by(pod)
    who = actor.who if actor is not None else "unknown"
    return (
        f"; {pod.name} deleted by {who} while the set was being deleted, and not created again "
        "(updateStatefulSet only updates status once the set has a deletionTimestamp)"
    )


def _held(ctx: ProofContext) -> str:
    """'; the set was kept 10.7 s by its finalizer example.com/keep, and the garbage collector
    removed its pods only once it was gone (background deletion)', when it was kept that long."""
    sts = ctx.episode.statefulset
    began, collected = ctx.set_gone, sts.collected_from()
    if began is None or collected is None or collected is began:
        return ""
    took = (collected.received_wall_ns - began.received_wall_ns) / 1e9
    if took < NOTABLE_S:
        return ""
    held = [f for f in sts.finalizers_at_deletion if f != "orphan"]
    by = f" by its finalizer{'s' * (len(held) != 1)} {', '.join(held)}" if held else ""
    return (
        f"; the set was kept {took:.1f} s{by}, and the garbage collector removed its pods only "
        "once it was gone (background deletion)"
    )


def _gone_rank(pod: PodIncarnation) -> int:
    return pod.deleted.rank if pod.deleted is not None else -1


def _claims_with_pods(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """'; the claim data-web-2 deleted by the garbage collector with web-2 (its Pod
    ownerReference, set by the StatefulSet controller for whenScaled: Delete when a scale-down
    condemned web-2), although whenDeleted is Retain': a claim owned by a pod the set's deletion
    removed goes with that pod, whatever whenDeleted says."""
    told = [
        (name, pod.name)
        for pod in pods
        if pod.deleted is not None
        for name in retention_deleted(ctx, [pod], deletion_rank, "Pod")
    ]
    if not told:
        return ""
    spec = ctx.episode.spec
    retain = f", although whenDeleted is {spec.when_deleted}" * (spec.when_deleted == "Retain")
    if len(told) == 1:
        ((name, owner),) = told
        which = f"the claim {name} deleted by the garbage collector with {owner}: it carried"
    else:
        names = ", ".join(name for name, _ in told)
        which = f"the claims {names} deleted by the garbage collector with their pods: each carried"
    return (
        f"; {which} the Pod ownerReference the StatefulSet controller sets on a condemned pod's "
        f"claim for whenScaled: Delete{retain}, its data with it"
    )


def _claims_removed(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """'; the claims data-web-0, data-web-1 removed with the set by the PVC retention policy
    (whenDeleted: Delete)': the claims the set owned that the garbage collector deleted once the
    set was gone, their data with them."""
    gone = ctx.set_gone
    if gone is None:
        return ""
    names = retention_deleted(ctx, pods, lambda _: gone.rank, "StatefulSet", until_deleted=True)
    namespace = ctx.episode.statefulset.namespace
    kept = {
        name: claim
        for name in names
        if (claim := claim_named(ctx, namespace, name, gone.rank)) is not None
        and claim.deleted is None
    }
    removed = sorted(name for name in names if name not in kept)
    told = ""
    if removed:
        plural = "s" * (len(removed) > 1)
        told = (
            f"; the claim{plural} {', '.join(removed)} removed with the set by the PVC "
            "retention policy (whenDeleted: Delete)"
        )
    for name in sorted(kept):
        told += (
            f"; the claim {name} deleted too (whenDeleted: Delete) but still present, "
            "Terminating, when the recording ended (a finalizer kept it)"
        )
    return told + _claims_without_pods(ctx, pods, gone.rank)


def _claims_without_pods(ctx: ProofContext, pods: list[PodIncarnation], rank: int) -> str:
    """'; and data-web-1, data-web-2, claims of ordinals no pod held when the set was deleted
    (kept by whenScaled: Retain), removed with it by the PVC retention policy (whenDeleted:
    Delete), their data with them'."""
    names = set_claims_without_pods(ctx, pods, rank)
    if not names:
        return ""
    kept = " (kept by whenScaled: Retain)" * (ctx.episode.spec.when_scaled == "Retain")
    one = len(names) == 1
    return (
        f"; and {', '.join(names)}, {'a claim' if one else 'claims'} of "
        f"{'an ordinal' if one else 'ordinals'} no pod held when the set was deleted{kept}, "
        "removed with it by the PVC retention policy (whenDeleted: Delete), "
        f"{'its data with it' if one else 'their data with them'}"
    )
