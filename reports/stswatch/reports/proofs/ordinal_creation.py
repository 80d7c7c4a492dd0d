"""Ordinal creation: under OrderedReady a scale-up creates its pods in ascending ordinal order,
each at the revision and with the identity and storage the controller gives its ordinal
(`stswatch.reports.proofs.identity`); under Parallel in slowStartBatch's batches
(`stswatch.reports.proofs.burst`); and none past a lower pod `processReplica` would have had to
repair first (`stswatch.reports.proofs.repairs`).

`runForAll(replicas, processReplica, monotonic=true)` walks the replicas by ascending index and
creates at most one missing pod per sync (`processReplica`); the revision comes from
`newVersionedStatefulSetPod` (`stswatch.reports.proofs.revision`).
"""

from itertools import pairwise

from stswatch.reports.history.lifecycles import PodIncarnation, StatefulSetIncarnation
from stswatch.reports.proofs import burst, identity, landed_late, repairs, revision
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.force_deletion import cut_short
from stswatch.reports.proofs.verdict import Evidence, Verdict

PROOF = "ordinal-creation"
KINDS = ("Pod", "StatefulSet")


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when the scale-up's creations come in strictly ascending ordinals, each at the
    revision the controller gives its ordinal (the revision is judged under Parallel too)."""
    episode = ctx.episode
    if episode.kind == "pod-recreated" and episode.recreation is not None:
        return _recreated(ctx, episode.recreation.new)
    if episode.kind != "scale-up":
        return None
    # A condemned pod the scale-up took back is created here too; an update's recreation is not.
    pods = ctx.scale_creations()
    judged = [c for p in pods if (c := revision.created_at(episode.statefulset, p)) is not None]
    unlike = identity.first_refused(ctx, PROOF, pods)
    if unlike is not None:
        return unlike
    wrong = next((c for c in judged if not c.ok), None)
    if wrong is not None:
        pod = wrong.pod
        partition = episode.statefulset.spec_at(pod.created.rank).partition
        cited = [ctx.cite_step(pod, pod.created, f"{pod.name} created at {pod.revision}")]
        reason = revision.refused(wrong, partition)
        return ctx.verdict(PROOF, revision.outcome(wrong), reason, cited)
    outside = _out_of_range(ctx, pods) or repairs.created_past(ctx, pods)
    if outside is not None:
        return ctx.verdict(PROOF, "fail", *outside)
    clients, client_cited = _clients(ctx)
    sts = episode.statefulset
    for pod in pods:  # out of range when it landed, in range for the spec its sync read
        if pod.ordinal is not None and not sts.spec_at(pod.created.rank).in_range(pod.ordinal):
            clients += ctx.read_by_sync_note(pod.created, f"{pod.name}'s CREATE")
    if episode.spec.pod_management_policy == "Parallel":
        out_of_batch = burst.created_out_of_batch(ctx, pods)
        if out_of_batch is not None:
            return ctx.verdict(PROOF, "fail", *out_of_batch)
        reason = f"Parallel: pods are created in bursts, {burst.WORDS}, none waiting on another"
        reason += revision.clause([c for c in judged if c.promoted is not None]) + clients
        return ctx.verdict(
            PROOF, "not-applicable", reason, [*_promotion(ctx, judged), *client_cited]
        )
    if not pods:
        reason = "no pod was created in this episode" + clients
        reason += landed_late.told(ctx, landed_late.creations(ctx), "created")
        return ctx.verdict(PROOF, "not-applicable", reason, client_cited)
    for first, second in pairwise(pods):
        if (second.ordinal or 0) <= (first.ordinal or 0):
            return ctx.verdict(
                PROOF,
                "fail",
                f"{second.name} was created after {first.name}: ordinals out of order",
                [
                    ctx.cite_step(first, first.created, f"{first.name} created"),
                    ctx.cite_step(second, second.created, f"{second.name} created after it"),
                ],
            )
    names = ", ".join(p.name for p in pods)
    evidence = [ctx.cite_step(p, p.created, f"{p.name} created") for p in pods]
    evidence += _promotion(ctx, judged)
    reason = f"created in ascending ordinal order: {names}" + revision.clause(judged) + clients
    return ctx.verdict(PROOF, "pass", reason, [*evidence, *client_cited])


def _out_of_range(
    ctx: ProofContext, pods: list[PodIncarnation]
) -> tuple[str, list[Evidence]] | None:
    """The first pod created at an ordinal no spec a sync may have read had in range: the
    controller creates only the replicas [ordinals.start, start + replicas) (updateStatefulSet),
    under either policy."""
    sts = ctx.episode.statefulset
    for pod in pods:
        if pod.ordinal is None:
            continue
        specs = sts.specs_seen(pod.created.rank, pod.created.received_wall_ns)
        if any(spec.in_range(pod.ordinal) for spec in specs):
            continue
        spec = specs[0]
        reason = (
            f"{pod.name} was created outside the ordinal range [{spec.start_ordinal}, "
            f"{spec.end_ordinal - 1}] (spec.replicas {spec.replicas}): the controller creates "
            "only the ordinals in range (updateStatefulSet)"
        )
        return reason, [ctx.cite_step(pod, pod.created, f"{pod.name} created")]
    return None


def _clients(ctx: ProofContext) -> tuple[str, list[Evidence]]:
    """'; web-3 was created by a client without an ownerReference, adopted by the StatefulSet
    controller (ClaimPods) and deleted by …: not a creation of this scale-up', for each pod of
    the set's name created in the window that the controller did not create."""
    told, cited = "", []
    for pod in ctx.created_in_window():
        if not pod.created_orphan:
            continue
        told += f"; {pod.name} (uid {pod.uid}) was created by a client without an ownerReference"
        cited.append(ctx.cite_step(pod, pod.created, f"{pod.name} created by a client"))
        adopted = next((s for s in pod.control_steps if s.detail), None)
        if adopted is not None:
            told += ", adopted by the StatefulSet controller (ClaimPods)"
            cited.append(ctx.cite_step(pod, adopted, f"{pod.name} adopted"))
        began, actor = pod.deletion_began, ctx.deleted_by(pod)
        if began is not None and actor is not None:
            told += f", deleted by {actor.who}"
            cited.append(ctx.cite_step(pod, began, f"{pod.name} deletion began"))
        told += ": not a creation of this scale-up"
    return told, cited


def _recreated(ctx: ProofContext, pod: PodIncarnation) -> Verdict | None:
    """A pod deleted (by a client, an eviction, a Failed phase) and created again outside a
    rollout: the revision newVersionedStatefulSetPod gives its ordinal, under either policy."""
    sts = ctx.episode.statefulset
    unlike = identity.first_refused(ctx, PROOF, [pod])
    if unlike is not None:
        return unlike
    twice = _while_predecessor(ctx, pod)
    if twice is not None:
        return twice
    found = revision.created_at(sts, pod)
    if found is None:
        return None
    cited = [ctx.cite_step(pod, pod.created, f"{pod.name} created at {pod.revision}")]
    if not found.ok:
        partition = sts.spec_at(pod.created.rank).partition
        reason = revision.refused(found, partition)
        return ctx.verdict(PROOF, revision.outcome(found), reason, cited)
    reason = f"{pod.name} was created again at revision {pod.revision}, the {found.field} "
    reason += f"newVersionedStatefulSetPod gives ordinal {pod.ordinal}"
    old = ctx.episode.recreation.old if ctx.episode.recreation is not None else None
    reason += _partition_moved(sts, old, pod, found.field)
    if found.promoted is not None:
        reason += revision.clause([found]).split(":", 1)[1]
    if old is not None:
        reason += cut_short(ctx, old, cited, purpose="its replacement", new=pod)
    return ctx.verdict(PROOF, "pass", reason, cited + _promotion(ctx, [found]))


def _while_predecessor(ctx: ProofContext, pod: PodIncarnation) -> Verdict | None:
    """A pod created while the pod of its name before it still existed: the API server keeps one
    object per name, and the controller creates an ordinal only once its old pod is gone (at most
    one pod per ordinal: the StatefulSet docs' "Force Delete StatefulSet Pods"). Judged on a
    resourceVersion ordering, the old pod's DELETED seen by the watch, and no Pod gap."""
    old = ctx.previous(pod)
    gone = old.deleted if old is not None else None
    if old is None or gone is None or gone.rank < pod.created.rank:
        return None
    if ctx.basis != "resourceVersion" or any(g.kind == "Pod" for g in ctx.gaps):
        return None
    if ctx.changes[gone.change_id].observed != "watch":
        return None
    reason = (
        f"{pod.name} (uid {pod.uid}) was created at #{pod.created.change_id} while {old.name} "
        f"(uid {old.uid}) still existed (gone at #{gone.change_id}): the API server keeps one "
        "object per name, and the controller creates an ordinal only once its old pod is gone "
        "(at most one pod per ordinal)"
    )
    cited = [
        ctx.cite_step(pod, pod.created, f"{pod.name} created"),
        ctx.cite_step(old, gone, f"the old {old.name} gone"),
    ]
    return ctx.verdict(PROOF, "fail", reason, cited)


def _partition_moved(
    sts: StatefulSetIncarnation, old: PodIncarnation | None, pod: PodIncarnation, field: str
) -> str:
    """Below the partition, the partition that puts it there; and when the partition moved while
    the pod was away (between its predecessor's deletion and its creation), where it moved: the
    e2e "Restoring Pods to the correct revision when they are deleted" case."""
    spec = sts.spec_at(pod.created.rank)
    if field != "currentRevision" or spec.update_strategy != "RollingUpdate":
        return ""
    below = f"partition {spec.partition}"
    if spec.start_ordinal:
        # newVersionedStatefulSetPod: ordinal < getStartOrdinal(set) + partition
        first = spec.start_ordinal + spec.partition
        below = f"ordinals.start {spec.start_ordinal} + partition {spec.partition} = {first}"
    text = f" (below {below})"
    gone = old.deletion_began if old is not None else None
    if gone is None:
        return text
    before = sts.spec_at(gone.rank)
    if before.partition == spec.partition:
        return text
    moved = next(
        (s for s in sts.specs if s.rank > gone.rank and s.partition == spec.partition), spec
    )
    way = "raised" if spec.partition > before.partition else "lowered"
    way = f"partition {way}" if spec.start_ordinal else way
    return (
        f" (below {below}, {way} from {before.partition} at change "
        f"#{moved.change_id} while {pod.name} was away)"
    )


def _promotion(ctx: ProofContext, judged: list[revision.CreatedAt]) -> list[Evidence]:
    """The status change that promoted currentRevision at 0 replicas, when one shows."""
    for c in judged:
        if c.promoted is not None:
            return [ctx.cite(c.promoted.change_id, "currentRevision promoted at 0 replicas")]
    return []
