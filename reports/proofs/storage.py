"""Stable storage: a recreated pod mounts the same PVC (same uid) bound to the same PV.

`CreateStatefulPod` looks each claim `<template>-<set>-<ordinal>` up first and reuses it when it
exists and is not being deleted; only a missing claim is created afresh (STATEFULSET.md Q7). A new
claim uid across a recreation means the data did not follow the identity.
"""

from reports.episodes import Recreation
from reports.lifecycle import PodIncarnation, PvcIncarnation
from reports.proofs.context import ProofContext
from reports.proofs.network_identity import RECREATING
from reports.transition import first_of
from reports.verdict import Evidence, Outcome, Verdict

PROOF = "stable-storage"
KINDS = ("Pod", "PersistentVolumeClaim")


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when every recreated pod's claims are the same objects, bound to the same volumes."""
    if ctx.episode.kind not in RECREATING:
        return None
    recreations = ctx.recreations_in_window()
    if not recreations:
        return None
    if not ctx.episode.statefulset.claim_templates:
        return ctx.verdict(PROOF, "not-applicable", "the StatefulSet has no volumeClaimTemplates")
    return ctx.per_recreation(PROOF, recreations, lambda r: _one(ctx, r))


def claim_at(ctx: ProofContext, pod: PodIncarnation, name: str, rank: int) -> PvcIncarnation | None:
    """The claim called `name` in the pod's namespace that existed at `rank`."""
    return next(
        (
            c
            for c in ctx.life.pvcs
            if c.namespace == pod.namespace and c.name == name and c.alive_at(rank)
        ),
        None,
    )


def _moment(pod: PodIncarnation) -> int:
    """A rank at which the pod was up: first Running, else its creation."""
    running = pod.first("running")
    return (running or pod.created).rank


def _one(ctx: ProofContext, r: Recreation) -> tuple[Outcome, str, list[Evidence]]:
    old, new = r.old, r.new
    cited: list[Evidence] = []
    if set(old.claims) != set(new.claims):
        reason = f"{new.name} mounts {list(new.claims)}, its predecessor {list(old.claims)}"
        return "fail", reason, [ctx.cite_step(new, new.created, f"{new.name} created")]
    parts = []
    for name in new.claims:
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
            reason = f"{name} is a new claim for {new.name}: uid {before.uid} → {after.uid}"
            return "fail", reason, cited
        if (before.volume_name, before.volume_uid) != (after.volume_name, after.volume_uid):
            reason = f"{name} was bound to {_pv(before)}, then to {_pv(after)}"
            return "fail", reason, cited
        parts.append(f"{name} uid {after.uid} on {_pv(after)}")
    cited.append(ctx.cite_step(new, new.created, f"{new.name} created (uid {new.uid})"))
    return "pass", f"{new.name} kept " + ", ".join(parts), cited


def _bound(ctx: ProofContext, claim: PvcIncarnation, when: str) -> list[Evidence]:
    step = first_of(claim.transitions, "bound") or claim.transitions[0]
    note = f"{claim.name} uid {claim.uid} {step.what} {step.detail} ({when})".replace("  ", " ")
    return [ctx.cite(step.change_id, note)]


def _pv(claim: PvcIncarnation) -> str:
    """The bound PV as `name` or `name (uid …)` when its uid was recorded."""
    if claim.volume_uid is None:
        return str(claim.volume_name)
    return f"{claim.volume_name} (uid {claim.volume_uid})"
