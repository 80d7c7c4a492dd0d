"""Stable storage: a recreated pod mounts the same PVC (same uid) bound to the same PV.

`CreateStatefulPod` (pkg/controller/statefulset/stateful_pod_control.go) looks each claim
`<template>-<set>-<ordinal>` up first and reuses it when it exists and is not being deleted; only
a missing claim is created afresh. A new claim uid across a recreation means the data did not
follow the identity, which is expected when the old claim was deleted: by a client, or by the
garbage collector under `persistentVolumeClaimRetentionPolicy` (whenScaled/whenDeleted: Delete,
https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention).
A claim whose bound PV changes under the same claim uid lost its data: that always fails.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter

from stswatch.reports import causes
from stswatch.reports.history.attribution import NEVER, claim_deletion
from stswatch.reports.history.episodes import Recreation
from stswatch.reports.history.lifecycles import (
    PodIncarnation,
    PvcIncarnation,
    StatefulSetIncarnation,
)
from stswatch.reports.history.objects import parse_server_version
from stswatch.reports.history.transition import first_of
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.exec_cited import citing_marks, read_back
from stswatch.reports.proofs.network_identity import RECREATING
from stswatch.reports.proofs.verdict import Evidence, Outcome, Verdict

PROOF = "stable-storage"
KINDS = ("Pod", "PersistentVolumeClaim")
_RANK = attrgetter("rank")
RETENTION_FROM = (1, 27)  # StatefulSetAutoDeletePVC on by default (beta)


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when every recreated pod's claims are the same objects, bound to the same volumes."""
    if ctx.episode.kind not in RECREATING:
        return None
    recreations = ctx.recreations_in_window()
    if not recreations:
        return None
    if not ctx.episode.statefulset.claim_templates:
        return ctx.verdict(PROOF, "not-applicable", "the StatefulSet has no volumeClaimTemplates")
    # What the scenario read back in the new pod is cited; the claim alone decides.
    return citing_marks(
        ctx,
        PROOF,
        recreations,
        lambda r: _one(ctx, r),
        lambda r, decided: read_back(ctx.execs, r, same_claim=decided[0] == "pass"),
    )


def claim_at(ctx: ProofContext, pod: PodIncarnation, name: str, rank: int) -> PvcIncarnation | None:
    """The claim called `name` in the pod's namespace that existed at `rank`."""
    return claim_named(ctx, pod.namespace, name, rank)


def claim_named(ctx: ProofContext, namespace: str, name: str, rank: int) -> PvcIncarnation | None:
    """The claim called `name` in `namespace` that existed at `rank` (`Lifecycles.claim_at`)."""
    return ctx.life.claim_at(namespace, name, rank)


def retention_deleted(
    ctx: ProofContext,
    pods: list[PodIncarnation],
    rank_of: Callable[[PodIncarnation], int | None],
    owner: str,
    *,
    until_deleted: bool = False,
) -> list[str]:
    """The names of `pods`' claims the PVC retention policy deleted (the garbage collector, through
    an ownerReference of kind `owner` the claim carried at `rank_of(pod)`, or with
    `until_deleted` at any rank from then until its own deletion began: a controller sync on a
    cache a moment old may write it after the owner went), in order."""
    names = []
    for name, claim, rank in _claims_then(ctx, pods, rank_of):
        if until_deleted:
            began = claim.deletion_began
            rank = max(rank, began.rank - 1) if began is not None else rank
        if not any(kind == owner for kind, _ in claim.owners_at(rank)):
            continue
        if _by_retention_policy(ctx, claim):
            names.append(name)
    return names


def set_claims_without_pods(ctx: ProofContext, pods: list[PodIncarnation], rank: int) -> list[str]:
    """The names of the set's claims, other than `pods`' own, that the garbage collector deleted
    through the set's ownerReference (whenDeleted: Delete) once the set went at `rank`: claims
    of ordinals no pod held then, which a scale-down or an ordinals.start shift kept (whenScaled:
    Retain), gone by the recording's end. One pass over the session's claims; sorted."""
    sts = ctx.episode.statefulset
    owner = ("StatefulSet", sts.uid)
    theirs = {name for pod in pods for name in pod.claims}
    names = []
    for claim in ctx.life.pvcs:
        began = claim.deletion_began
        if claim.namespace != sts.namespace or claim.name in theirs or began is None:
            continue
        if claim.deleted is None:  # still Terminating at the end: not said removed
            continue
        if began.rank < rank or owner not in claim.owners_at(began.rank - 1):
            continue
        if _by_retention_policy(ctx, claim):
            names.append(claim.name)
    return sorted(names)


def _claims_then(
    ctx: ProofContext, pods: list[PodIncarnation], rank_of: Callable[[PodIncarnation], int | None]
) -> Iterator[tuple[str, PvcIncarnation, int]]:
    """(name, claim, rank) for each claim of each of `pods` that existed at `rank_of(pod)`."""
    for pod in pods:
        rank = rank_of(pod)
        if rank is None:
            continue
        for name in pod.claims:
            claim = claim_at(ctx, pod, name, rank)
            if claim is not None:
                yield name, claim, rank


def _by_retention_policy(ctx: ProofContext, claim: PvcIncarnation) -> bool:
    """Whether the garbage collector deleted `claim` through an owner the PVC retention policy
    set (`claim_deletion`)."""
    actor = claim_deletion(ctx.actors, claim, _owner_gone(ctx))
    return actor is not None and actor.who == causes.BY_RETENTION_POLICY


def _owner_gone(ctx: ProofContext) -> Callable[[str, str], int | None]:
    """For `claim_deletion`: the rank a claim's owner (the set or one of its pods) began to go,
    `NEVER` when it did not, None when the recording does not hold it."""

    def gone(kind: str, uid: str) -> int | None:
        owner: PodIncarnation | StatefulSetIncarnation | None
        owner = ctx.own_pod(uid) if kind == "Pod" else ctx.life.statefulset(uid)
        if owner is None:
            return None
        began = owner.deletion_began
        return began.rank if began is not None else NEVER

    return gone


def claims_of_scaled_down(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """'; the claims data-web-2, logs-web-2 deleted by the PVC retention policy (whenScaled:
    Delete), their data with them': the condemned pods' claims the garbage collector deleted
    through their Pod ownerReference (set for whenScaled: Delete), every template's."""
    names = retention_deleted(ctx, pods, deletion_rank, "Pod")
    told = ""
    if len(names) == 1:
        told = (
            f"; the claim {names[0]} deleted by the PVC retention policy (whenScaled: Delete), "
            "its data with it"
        )
    elif names:
        told = (
            f"; the claims {', '.join(names)} deleted by the PVC retention policy (whenScaled: "
            "Delete), their data with them"
        )
    return told + _back_in_range(ctx, pods) + _already_deleted(ctx, pods)


def _back_in_range(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """'; data-web-2 was deleted (#1167) after replicas changed to 3 (#1156), which put web-2
    back in range: the Pod ownerReference set for the scale-down (#1147) was still on the claim
    when web-2 went (#1165)': a condemned pod's claim the garbage collector deleted through the
    owner whenScaled: Delete asks for, although a spec change had put the ordinal back in range
    before the pod went (the controller clears that owner only for a pod it reaches in range:
    a terminating one holds the OrderedReady walk first, `processReplica`). The data of an
    ordinal the set asks for again is gone."""
    specs = ctx.episode.statefulset.specs
    told = []
    for pod in pods:
        rank, gone = deletion_rank(pod), pod.deleted
        if rank is None or gone is None or pod.ordinal is None:
            continue
        ordinal = pod.ordinal
        low, high = bisect_right(specs, rank, key=_RANK), bisect_left(specs, gone.rank, key=_RANK)
        back = next((spec for spec in specs[low:high] if spec.in_range(ordinal)), None)
        if back is None:
            continue
        for name in pod.claims:
            claim = claim_at(ctx, pod, name, rank)
            began = claim.deletion_began if claim is not None else None
            owner = ("Pod", pod.uid)
            if claim is None or began is None or owner not in claim.owners_at(began.rank - 1):
                continue
            if not _by_retention_policy(ctx, claim):
                continue
            owned = _first_owned(claim, owner)
            since = f" set for the scale-down (#{ctx.ids_by_rank[owned]})" if owned else ""
            told.append(
                f"; {name} was deleted (#{began.change_id}) after replicas changed to "
                f"{back.replicas} (#{back.change_id}), which put {pod.name} back in range: the "
                f"Pod ownerReference{since} was still on the claim when {pod.name} went "
                f"(#{gone.change_id}), so the data of an ordinal the set asks for again is gone"
            )
    return "".join(told)


def claims_owned_terminating(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """'; the claim data-web-4 deleted by the garbage collector after web-4 went, its data with
    it: the scale-down condemned web-4 while it was terminating (deleted by a client), and the
    StatefulSet controller made web-4 the claim's owner (#6911), as whenScaled: Delete asks':
    the claims of condemned pods already terminating that got their Pod ownerReference only
    then (the controller updates every condemned pod's claim, terminating or not:
    `UpdatePodClaimForRetentionPolicy`), and that the garbage collector deleted through it."""
    found: dict[str, list[tuple[str, str, int]]] = {}  # by whom: (claim, pod, owner set)
    for pod in pods:
        for name, claim, rank in _claims_then(ctx, [pod], deletion_rank):
            owned = _owned_after(claim, pod, rank)
            if owned is None or not _by_retention_policy(ctx, claim):
                continue
            found.setdefault(_deleted_by(ctx, pod), []).append(
                (name, pod.name, ctx.ids_by_rank[owned])
            )
    told = ""
    for by, claims in found.items():
        names = ", ".join(name for name, _, _ in claims)
        owners = ", ".join(dict.fromkeys(pod for _, pod, _ in claims))
        changes = ", ".join(f"#{change_id}" for _, _, change_id in claims)
        if len(claims) == 1:
            told += (
                f"; the claim {names} deleted by the garbage collector after {owners} went, its "
                f"data with it: the scale-down condemned {owners} while it was terminating{by}, "
                f"and the StatefulSet controller made {owners} the claim's owner ({changes}), as "
                "whenScaled: Delete asks"
            )
        else:
            told += (
                f"; the claims {names} deleted by the garbage collector after their pods went, "
                f"their data with them: the scale-down condemned {owners} while they were "
                f"terminating{by}, and the StatefulSet controller made each pod its claim's owner "
                f"({changes}), as whenScaled: Delete asks"
            )
    return told


def claims_kept_terminating(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """'; data-web-0 kept (no owner, Bound): web-0 was gone (#1107) before the controller's walk
    reached the condemned pods (processReplica created web-3 and waited for it; the claim's
    owner is set after), so whenScaled: Delete did not apply to it; it stays until a client
    deletes it': under whenScaled: Delete, the claims of condemned pods already terminating
    that went before the controller made them their claims' owner (`fixPodClaim` runs over the
    condemned pods only once `processReplica` passed every in-range pod, and a pod gone is no
    longer condemned), still there at the end with no owner, their ordinal not taken again."""
    if (
        ctx.episode.spec.when_scaled != "Delete"
        or parse_server_version(ctx.server_version) < RETENTION_FROM
    ):
        return ""
    told = ""
    for pod in pods:
        gone = pod.deleted
        if gone is None or _taken_again(ctx, pod):
            continue
        kept = [
            claim
            for _, claim, _ in _claims_then(ctx, [pod], deletion_rank)
            if claim.deletion_began is None and not claim.owners_at(claim.transitions[-1].rank)
        ]
        if not kept:
            continue
        names = ", ".join(claim.name for claim in kept)
        phases = "".join(f", {phase}" for phase in dict.fromkeys(map(_phase, kept)) if phase)
        it, stays = ("it", "it stays") if len(kept) == 1 else ("them", "they stay")
        owner = "the claim's owner is" if len(kept) == 1 else "the claims' owners are"
        held = _walk_held(ctx, gone.rank, owner)
        told += (
            f"; {names} kept (no owner{phases}): {pod.name} was gone (#{gone.change_id}) before "
            f"the controller's walk reached the condemned pods ({held}), "
            f"so whenScaled: Delete did not apply to {it}; {stays} until a client deletes {it}"
        )
    return told


def _taken_again(ctx: ProofContext, pod: PodIncarnation) -> bool:
    """True when a later pod of `pod`'s ordinal was created, or the set's last spec takes the
    ordinal back into range (its claims then go to that pod)."""
    if pod.ordinal is None:
        return True
    later = ctx.slots.get(pod.ordinal, ())
    if later and later[-1].uid != pod.uid:
        return True
    return ctx.episode.statefulset.specs[-1].in_range(pod.ordinal)


def _walk_held(ctx: ProofContext, rank: int, owner: str) -> str:
    """'processReplica created web-3 and waited for it; the claim's owner is set after': what
    held the OrderedReady walk just before `rank` (the replayed walk's lowest unhealthy in-range
    pod), or where the walk sets the condemned pods' claims' owner when nothing held it."""
    spec = ctx.episode.spec
    if spec.pod_management_policy != "Parallel":
        first = ctx.index.lowest_unhealthy(spec.start_ordinal).get(rank, spec.end_ordinal)
        blocker = ctx.alive(first, rank) if first < spec.end_ordinal else None
        if blocker is not None:
            made = (
                "created {0} and waited for it" if _made_by_it(ctx, blocker) else "waited for {0}"
            )
            return f"processReplica {made.format(blocker.name)}; {owner} set after"
    return f"{owner} set there, after processReplica's pass over the in-range pods"


def _made_by_it(ctx: ProofContext, pod: PodIncarnation) -> bool:
    """True when `pod` was created after the episode's spec change (the walk it held made it)."""
    return pod.created.rank >= ctx.episode.start_rank and pod.first_observed != "list"


def _phase(claim: PvcIncarnation) -> str:
    """'Bound' or 'Lost': the claim's last recorded phase of those, '' when it had neither."""
    step = next((t for t in reversed(claim.transitions) if t.what in ("bound", "lost")), None)
    return step.what.capitalize() if step is not None else ""


def _deleted_by(ctx: ProofContext, pod: PodIncarnation) -> str:
    """' (deleted by a client)', ' (deleted by the StatefulSet controller for the update)', or ''
    when who deleted it is unknown."""
    actor = ctx.deleted_by(pod)
    if actor is None or actor.who == "unknown":
        return ""
    update = actor.who == causes.BY_CONTROLLER and ctx.controller_reason(pod) == "update"
    return f" (deleted by {actor.who}{' for the update' * update})"


def _owned_after(claim: PvcIncarnation, pod: PodIncarnation, rank: int) -> int | None:
    """The rank after `rank` at which `claim` first carried `pod`'s ownerReference, when it did
    not at `rank`."""
    owner = ("Pod", pod.uid)
    if owner in claim.owners_at(rank):
        return None
    return _first_owned(claim, owner, after=rank)


def _first_owned(claim: PvcIncarnation, owner: tuple[str, str], after: int = -1) -> int | None:
    """The first rank after `after` at which `claim` carried `owner` (kind, uid), if any."""
    return next((at for at, owners in claim.owner_history if at > after and owner in owners), None)


def _already_deleted(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """'; data-web-2 was already being deleted by a client (#2060), not by the PVC retention
    policy' (that last under whenScaled: Delete): a condemned pod's claim whose deletion began
    before the pod's, with no ownerReference then (an ownerReference fixPodClaim adds to it
    after deletes nothing)."""
    told = []
    for name, claim, rank in _claims_then(ctx, pods, deletion_rank):
        began = claim.deletion_began
        if began is None or began.rank > rank:
            continue
        actor = claim_deletion(ctx.actors, claim, _owner_gone(ctx))
        if actor is not None and actor.who == causes.BY_CLIENT:
            told.append(f"{name} was already being deleted by a client (#{began.change_id})")
    if not told:
        return ""
    policy = ", not by the PVC retention policy" * (ctx.episode.spec.when_scaled == "Delete")
    return f"; {', '.join(told)}{policy}"


def deletion_rank(pod: PodIncarnation) -> int | None:
    """The rank `pod`'s deletion began at (terminating, else deleted); None if it never did."""
    began = pod.deletion_began
    return began.rank if began is not None else None


def _moment(pod: PodIncarnation) -> int:
    """A rank at which the pod was up: first Running, else its creation."""
    running = pod.first("running")
    return (running or pod.created).rank


def _one(ctx: ProofContext, r: Recreation) -> tuple[Outcome, str, list[Evidence]]:
    old, new = r.old, r.new
    cited: list[Evidence] = []
    added = _by_new_templates(ctx, old, new)
    unexplained = set(new.claims) - set(old.claims) - set(added)
    if set(old.claims) - set(new.claims) or unexplained:
        reason = f"{new.name} mounts {_names(new.claims)}, its predecessor {_names(old.claims)}"
        created = [ctx.cite_step(new, new.created, f"{new.name} created")]
        unseen = old.first_observed == "list"  # made before the recording or window began
        unknown = old.owner_uid != new.owner_uid and ctx.life.statefulset(old.owner_uid) is None
        if (unseen or unknown) and not set(old.claims) - set(new.claims):
            # A set replaced by one with more volumeClaimTemplates explains a new claim; the
            # spec the old pod was made under is not in the recording (or was before the window).
            reason += (
                f"; the old {new.name} was created before the recording (or the window) began, "
                "under a StatefulSet spec not recorded: whether its volumeClaimTemplates lacked "
                f"{_names(sorted(unexplained))} (a set replaced by one with more templates) "
                "cannot be told"
            )
            return "inconclusive", reason, created
        return "fail", reason, created
    parts = []
    others: list[tuple[Outcome, str]] = []  # each claim not simply kept: its outcome and words
    for name in new.claims:
        if name in added:
            continue
        before = claim_at(ctx, old, name, _moment(old))
        after = claim_at(ctx, new, name, _moment(new))
        if before is None or after is None:
            missing = "old" if before is None else "new"
            cited.append(ctx.cite_step(new, new.created, f"{new.name} created"))
            return (
                "inconclusive",
                f"claim {name} of the {missing} {new.name} was not recorded",
                cited,
            )
        cited.extend(_bound(ctx, before, "before"))
        if after is not before:
            cited.extend(_bound(ctx, after, "after"))
        if before.uid != after.uid:
            others.append(_replaced(ctx, before, after, new, cited)[:2])
            continue
        lost = _lost_while_pending(ctx, new, after, cited)
        if lost is not None:
            others.append(lost[:2])
            continue
        moved = _volume_change(before)
        if moved is not None:
            first_pv, second_pv = moved
            reason = (
                f"{name} (uid {before.uid}) was bound to {_pv(before, first_pv)}, then to "
                f"{_pv(before, second_pv)} under the same claim uid ({causes.VOLUME_CHANGED})"
            )
            others.append(("fail", reason))
            continue
        parts.append(f"{name} uid {after.uid} on {_pv(after)}")
    cited.append(ctx.cite_step(new, new.created, f"{new.name} created (uid {new.uid})"))
    fresh = "".join(
        f"; {name} is new: the StatefulSet's claim template {template} is new too (the set was "
        "replaced with another volumeClaimTemplates)"
        for name, template in added.items()
    )
    # Every claim of every template is told (a pod with two templates may lose both volumes'
    # data): the worst outcome decides, and the claims kept are said beside it.
    for wanted in ("fail", "inconclusive", "not-applicable"):
        told = [reason for outcome, reason in others if outcome == wanted]
        if told:
            kept = f"; {new.name} kept " + ", ".join(parts) if parts else ""
            return wanted, "; ".join(told) + kept + fresh, cited
    if not parts:
        return "not-applicable", f"{new.name} has no claim its predecessor had" + fresh, cited
    return "pass", f"{new.name} kept " + ", ".join(parts) + fresh, cited


def _names(claims: Iterable[str]) -> str:
    """'data-web-0 and logs-web-0', 'no claim'."""
    found = list(claims)
    if not found:
        return "no claim"
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]


def _by_new_templates(
    ctx: ProofContext, old: PodIncarnation, new: PodIncarnation
) -> dict[str, str]:
    """The new pod's claims that a claim template of its StatefulSet, absent from its
    predecessor's StatefulSet, explains ({claim: template}): volumeClaimTemplates cannot change
    in place, so only a set replaced by another of the same name brings one."""
    if old.owner_uid == new.owner_uid:
        return {}
    before, after = ctx.life.statefulset(old.owner_uid), ctx.life.statefulset(new.owner_uid)
    if before is None or after is None:
        return {}
    gained = set(after.claim_templates) - set(before.claim_templates)
    return {f"{t}-{new.name}": t for t in gained if f"{t}-{new.name}" in new.claims}


def _replaced(
    ctx: ProofContext,
    before: PvcIncarnation,
    after: PvcIncarnation,
    new: PodIncarnation,
    cited: list[Evidence],
) -> tuple[Outcome, str, list[Evidence]]:
    """A new claim: expected when the old one was deleted by a client or the retention policy."""
    change = f"{before.name} is a new claim for {new.name}: uid {before.uid} → {after.uid}"
    actor = claim_deletion(ctx.actors, before, _owner_gone(ctx))
    if actor is None:
        if ctx.near_end(new.created):
            return "inconclusive", f"{change}; the recording ended before the old one went", cited
        return "fail", f"{change}, although the old claim was never deleted", cited
    gone = before.deleted or before.transitions[-1]
    cited.insert(0, ctx.cite(gone.change_id, f"{before.name} (uid {before.uid}) {actor.who}"))
    created = after.transitions[0]
    event = ctx.actors.controller_action(
        new.namespace, "create", "Claim", after.name, created.received_wall_ns
    )
    if event is not None:
        cited.append(ctx.cite(event, f"SuccessfulCreate: {after.name} (uid {after.uid})"))
        fresh = "the controller created a fresh, empty claim once the old one was gone (its "
        fresh += "SuccessfulCreate Event, createPersistentVolumeClaims)"
    else:
        fresh = "the controller creates a fresh, empty claim once the old one is gone "
        fresh += "(createPersistentVolumeClaims; no Event of it was recorded)"
    foreign = _foreign_owner(ctx, before) if actor.who == causes.BY_RETENTION_POLICY else None
    if foreign is not None:
        sts = ctx.episode.statefulset.name
        reason = (
            f"{change} ({causes.CLAIM_REPLACED}, not by {sts}'s policy): the old claim was deleted "
            f"by the garbage collector through its ownerReference to {foreign}, not one of "
            f"{sts}'s: another StatefulSet's retention policy, whose claim name "
            "(<template>-<set>-<ordinal>) is the same, so two sets shared it; and "
            f"{fresh}; the old claim's data did not follow"
        )
        return "not-applicable", reason, cited
    reason = (
        f"{change} ({causes.CLAIM_REPLACED}, expected): the old claim was deleted by {actor.who} "
        f"({actor.basis}), and {fresh}; the old claim's data did not follow"
    )
    return "not-applicable", reason, cited


def _foreign_owner(ctx: ProofContext, claim: PvcIncarnation) -> str | None:
    """'a pod (uid …)' when the ownerReference the garbage collector deleted `claim` through
    was to a pod or StatefulSet other than the episode's set and its pods; None when it was
    theirs."""
    began = claim.deletion_began
    if began is None:
        return None
    sts = ctx.episode.statefulset
    for kind, uid in claim.owners_at(began.rank):
        if kind == "Pod" and ctx.own_pod(uid) is None:
            # A pod of the set's name but another incarnation of it (replaced, orphaned) is its.
            named = ctx.life.set_pods(sts.namespace, sts.name).values()
            if not any(p.uid == uid for incs in named for p in incs):
                return f"a pod (uid {uid})"
        sets = ctx.life.statefulsets_named(sts.namespace, sts.name)
        if kind == "StatefulSet" and all(s.uid != uid for s in sets):
            return f"a StatefulSet (uid {uid})"
    return None


def _lost_while_pending(
    ctx: ProofContext, pod: PodIncarnation, claim: PvcIncarnation, cited: list[Evidence]
) -> tuple[Outcome, str, list[Evidence]] | None:
    """The claim removed while `pod` was alive and had never run: `processReplica` calls
    `createMissingPersistentVolumeClaims` for a Pending pod, so the controller must create it
    again (the e2e test "PVC should be recreated when pod is pending due to missing PVC")."""
    gone = claim.deleted
    if gone is None or not pod.alive_at(gone.rank):
        return None
    ran = pod.first("running")
    if ran is not None and ran.rank < gone.rank:
        return None
    end = pod.deleted.rank if pod.deleted is not None else None
    again = next(
        (
            c
            for c in ctx.life.claims_named(pod.namespace, claim.name)
            if c.transitions[0].rank > gone.rank and (end is None or c.transitions[0].rank < end)
        ),
        None,
    )
    actor = claim_deletion(ctx.actors, claim, _owner_gone(ctx))
    by = f" by {actor.who}" if actor is not None else ""
    cited.append(ctx.cite(gone.change_id, f"{claim.name} (uid {claim.uid}) gone"))
    if again is not None:
        cited.append(
            ctx.cite(again.transitions[0].change_id, f"{claim.name} (uid {again.uid}) created")
        )
        reason = (
            f"{claim.name} was deleted{by} while {pod.name} was Pending, and the controller "
            f"created it again (uid {claim.uid} → {again.uid}; processReplica, "
            f"createMissingPersistentVolumeClaims): {pod.name} never ran on the old claim"
        )
        return "not-applicable", reason, cited
    if ctx.near_end(gone):
        reason = f"{claim.name} was deleted while {pod.name} was Pending; the recording ended"
        return "inconclusive", reason, cited
    reason = (
        f"{claim.name} was deleted while {pod.name} was Pending and never created again, "
        "although processReplica recreates a Pending pod's missing claims "
        "(createMissingPersistentVolumeClaims)"
    )
    return "fail", reason, cited


def _volume_change(claim: PvcIncarnation) -> tuple[str, str] | None:
    """The first two different PVs one claim uid was bound to, if it moved."""
    return (claim.volumes[0], claim.volumes[1]) if len(claim.volumes) > 1 else None


def _bound(ctx: ProofContext, claim: PvcIncarnation, when: str) -> list[Evidence]:
    step = first_of(claim.transitions, "bound") or claim.transitions[0]
    note = f"{claim.name} uid {claim.uid} {step.what} {step.detail} ({when})".replace("  ", " ")
    return [ctx.cite(step.change_id, note)]


def _pv(claim: PvcIncarnation, name: str | None = None) -> str:
    """One PV as `PV name` or `PV name (uid …)`: the name and uid of the same volume."""
    volume = name or claim.volume_name
    uid = claim.volume_uids.get(volume or "")
    return f"PV {volume}" + (f" (uid {uid})" if uid else "")
