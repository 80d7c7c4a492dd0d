"""Claim ownerReferences per `persistentVolumeClaimRetentionPolicy`, once an episode settled.

The controller never deletes a claim itself: it sets ownerReferences and the garbage collector
deletes what they name (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention,
KEP-1847). `isClaimOwnerUpToDate` (pkg/controller/statefulset/stateful_set_utils.go) is the
table; for the claim of a pod inside the ordinal range it asks:

| whenScaled / whenDeleted | ownerReference on an in-range pod's claim |
|---|---|
| Retain / Retain, Delete / Retain | none |
| Retain / Delete, Delete / Delete | the StatefulSet, never the pod |

The controller fixes a claim that differs on its next sync of that pod (`processReplica`,
`UpdateStatefulPod` when `ClaimsMatchRetentionPolicy` is false). A claim that another controller
owns, or whose reference names an older StatefulSet or pod of the same name ("stale"), it leaves
alone, and so does this judgment. Under whenScaled: Delete a condemned pod's claim must name the
pod before the controller deletes it (`fixPodClaim`); what the garbage collector then removed is
told by the scale-down and `stable-storage`. The policy is applied from Kubernetes 1.27 (beta, on
by default).
"""

from stswatch.reports import causes
from stswatch.reports.history.episodes import SPEC_KINDS
from stswatch.reports.history.lifecycles import PodIncarnation, PvcIncarnation
from stswatch.reports.history.objects import parse_server_version
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.scale_down import condemned
from stswatch.reports.proofs.storage import RETENTION_FROM
from stswatch.reports.proofs.verdict import Evidence, Verdict

PROOF = "claim-owner-references"
KINDS = ("Pod", "PersistentVolumeClaim", "StatefulSet")

Owners = tuple[tuple[str, str], ...]


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when every in-range pod's claim carries the references the policy asks for."""
    episode = ctx.episode
    sts = episode.statefulset
    if episode.kind not in SPEC_KINDS or not sts.claim_templates:
        return None
    if parse_server_version(ctx.server_version) >= RETENTION_FROM and episode.kind == "scale-down":
        unowned = _condemned_unowned(ctx)
        if unowned is not None:
            return ctx.verdict(PROOF, "fail", unowned[0], unowned[1])
    settled = ctx.settled()
    if settled is None:
        return None
    spec = sts.spec_at(settled.rank)
    policy = f"whenScaled={spec.when_scaled}, whenDeleted={spec.when_deleted}"
    if parse_server_version(ctx.server_version) < RETENTION_FROM:
        reason = (
            f"the server is {ctx.server_version}: persistentVolumeClaimRetentionPolicy is applied "
            "from Kubernetes 1.27 (StatefulSetAutoDeletePVC, KEP-1847)"
        )
        return ctx.verdict(PROOF, "not-applicable", reason)
    horizon, still_s, cut = ctx.stood_still(settled)
    want_set = spec.when_deleted == "Delete"
    judged: list[PvcIncarnation] = []
    alone: list[tuple[PvcIncarnation, str]] = []
    wrong: list[tuple[PvcIncarnation, str]] = []
    for ordinal in range(spec.start_ordinal, spec.end_ordinal):
        pod = ctx.alive(ordinal, settled.rank)
        if pod is None:
            continue
        for claim in _claims(ctx, pod, settled.rank):
            owners = claim.owners_at(horizon - 1)
            other = _other_owner(owners, sts.uid, pod)
            if other is not None:
                alone.append((claim, other))
                continue
            judged.append(claim)
            problem = _problem(owners, sts.uid, pod, want_set=want_set)
            if problem:
                wrong.append((claim, problem))
    if not judged:
        return None
    cited = [ctx.cite(settled.change_id, f"{settled.what}: every pod as the spec asks (settled)")]
    if not wrong:
        names = ", ".join(c.name for c in judged)
        owner = "the StatefulSet only" if want_set else "no owner"
        reason = (
            f"{names}: {owner}, as {policy} asks for an in-range pod's claim (isClaimOwnerUpToDate)"
        )
        reason += "".join(
            f"; {claim.name} left as it is: its ownerReference names {other}, which the "
            "controller does not override (hasStaleOwnerRef, hasUnexpectedController: the "
            "retention policy is not applied to it)"
            for claim, other in alone
        )
        return ctx.verdict(PROOF, "pass", reason, cited + _last(ctx, judged, horizon))
    claim, problem = wrong[0]
    cited += _last(ctx, [c for c, _ in wrong], horizon)
    if cut is not None:
        reason = f"{cut}, before the controller's next sync could fix {claim.name} ({problem})"
        return ctx.verdict(PROOF, "inconclusive", reason, cited)
    consequence = (
        "the garbage collector would delete it with its pod"
        if "Pod" in problem
        else "the garbage collector would keep it when the StatefulSet is deleted"
        if want_set
        else "the garbage collector would delete it with the StatefulSet"
    )
    reason = (
        f"{claim.name} {problem} {still_s:.1f} s after the pods settled, although {policy} asks "
        f"for {'the StatefulSet only' if want_set else 'no owner'} on an in-range pod's claim "
        f"(isClaimOwnerUpToDate; processReplica fixes it on the next sync): {consequence}"
    )
    return ctx.verdict(PROOF, "fail", reason, cited)


def _condemned_unowned(ctx: ProofContext) -> tuple[str, list[Evidence]] | None:
    """Under whenScaled: Delete, a condemned pod the StatefulSet controller deleted while one of
    its claims had no ownerReference to it: the controller first makes the pod the claim's owner
    (`fixPodClaim`, updateClaimOwnerRefForSetAndPod) and deletes the pod only once that update
    succeeded. Every spec within the informer cache's lag before the deletion must have asked
    for Delete (a sync may have read one a moment old); claims another owner holds are left
    alone, as the controller leaves them."""
    sts = ctx.episode.statefulset
    for pod in condemned(ctx):
        began = pod.deletion_began
        if began is None or not ctx.episode.start_rank <= began.rank < ctx.episode.end_rank:
            continue  # deleted before the scale-down condemned it: not its deletion
        actor = ctx.deleted_by(pod)
        if actor is None or actor.who != causes.BY_CONTROLLER:
            continue
        specs = sts.specs_seen(began.rank, began.received_wall_ns)
        if any(spec.when_scaled != "Delete" for spec in specs):
            continue
        read = sts.spec_read(began.rank)
        if pod.ordinal is None or any(
            spec.in_range(pod.ordinal) for spec in ((read,) if read is not None else specs)
        ):
            continue  # the spec its sync read, or may have read, kept it in range: an update's
        for claim in _claims(ctx, pod, began.rank):
            owners = claim.owners_at(began.rank)
            if ("Pod", pod.uid) in owners or _other_owner(owners, sts.uid, pod) is not None:
                continue
            cited = [
                ctx.cite_step(pod, began, f"{pod.name} deletion began"),
                *_last(ctx, [claim], began.rank + 1),
            ]
            reason = (
                f"the StatefulSet controller deleted the condemned {pod.name} while its claim "
                f"{claim.name} had no ownerReference to it, although whenScaled: Delete: the "
                "controller makes the pod the claim's owner first and deletes the pod only once "
                "that succeeded (fixPodClaim, updateClaimOwnerRefForSetAndPod)"
            )
            return reason, cited
    return None


def _claims(ctx: ProofContext, pod: PodIncarnation, rank: int) -> list[PvcIncarnation]:
    """The pod's claims from the set's templates (`<template>-<pod>`) that existed at `rank`."""
    found = []
    for template in ctx.episode.statefulset.claim_templates:
        claim = ctx.life.claim_at(pod.namespace, f"{template}-{pod.name}", rank)
        if claim is not None:
            found.append(claim)
    return found


def _other_owner(owners: Owners, set_uid: str, pod: PodIncarnation) -> str | None:
    """The owner that makes the controller leave a claim alone (hasStaleOwnerRef,
    hasUnexpectedController): 'a Service', another StatefulSet, an older pod; None when the
    claim's references are the set's and the pod's only."""
    for kind, uid in owners:
        if kind == "StatefulSet" and uid != set_uid:
            return "another StatefulSet (or an older one of its name)"
        if kind == "Pod" and uid != pod.uid:
            return f"a pod other than {pod.name} (an older one of its name)"
        if kind not in ("StatefulSet", "Pod"):
            return f"a {kind}"
    return None


def _problem(owners: Owners, set_uid: str, pod: PodIncarnation, *, want_set: bool) -> str:
    has_set = ("StatefulSet", set_uid) in owners
    has_pod = ("Pod", pod.uid) in owners
    if has_pod:
        return f"had an ownerReference to Pod {pod.name}"
    if want_set and not has_set:
        return "had no ownerReference to the StatefulSet"
    if not want_set and has_set:
        return "had an ownerReference to the StatefulSet"
    return ""


def _last(ctx: ProofContext, claims: list[PvcIncarnation], horizon: int) -> list[Evidence]:
    """For each claim, the change that gave it the references judged (its last before `horizon`
    that changed them), when that was inside the episode: a claim unchanged since before it was
    recorded as it is (a gap before the episode hides nothing a relist would not have shown)."""
    cited = []
    for claim in claims:
        ranks = [rank for rank, _ in claim.owner_history if rank < horizon]
        if ranks and ctx.episode.start_rank <= ranks[-1] < len(ctx.ids_by_rank):
            cited.append(ctx.cite(ctx.ids_by_rank[ranks[-1]], f"{claim.name} ownerReferences"))
    return cited
