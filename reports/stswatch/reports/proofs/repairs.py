"""What `processReplica` repairs before it goes past a pod, and what it cannot.

For every in-range pod it walks past (under OrderedReady a Running, Ready and Available one;
under Parallel any), `processReplica` checks `identityMatches` and `storageMatches` and, when
either is false, calls `UpdateStatefulPod` before it goes on
(pkg/controller/statefulset/stateful_set_control.go). A statefulset.kubernetes.io/pod-name label
a client removed is put back at once (`updateIdentity`); a pod without a volume for one of the
set's claim templates cannot be repaired (the API server refuses every change of a pod's volumes):
the update fails on every sync and `runForAll` stops there. Either way no pod above it is created
while it stays so (under Parallel, none in a later slowStartBatch batch). The rules are
`pod_rules.identity_matches` and `pod_rules.missing_claims`.
"""

from collections.abc import Callable

from stswatch.reports.history.informer import CACHE_LAG_NS
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.pod_rules import POD_NAME_LABEL, identity_matches, missing_claims
from stswatch.reports.proofs import burst
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.verdict import Evidence

Problem = tuple[str, list[Evidence]]
# The rank from which a pod stood unrepaired without a break up to a rank (None: it did not then).
Since = Callable[[ProofContext, PodIncarnation, int], int | None]
# The failure of a pod created past a lower one unrepaired since a rank.
Told = Callable[[ProofContext, PodIncarnation, PodIncarnation, int], Problem]


def created_past(ctx: ProofContext, pods: list[PodIncarnation]) -> Problem | None:
    """The first of `pods` created above a lower in-range pod of the set that stood unrepaired
    longer than the informer cache's lag: one without its claims' volumes, or one whose pod-name
    label a client removed or changed. O(creations x such pods), and there are none nearly
    always."""
    checks: tuple[tuple[tuple[PodIncarnation, ...], Since, Told], ...] = (
        (ctx.index.unmounted, _unmounted_since, _unmounted_told),
        (ctx.index.unlabelled, _unlabelled_since, _unlabelled_told),
    )
    for candidates, since, told in checks:
        if candidates:
            found = _first_past(ctx, pods, candidates, since, told)
            if found is not None:
                return found
    return None


def _first_past(
    ctx: ProofContext,
    pods: list[PodIncarnation],
    candidates: tuple[PodIncarnation, ...],
    since: Since,
    told: Told,
) -> Problem | None:
    sts = ctx.episode.statefulset
    parallel = ctx.episode.spec.pod_management_policy == "Parallel"
    for pod in pods:
        rank = pod.created.rank
        spec = sts.spec_at(rank)
        if pod.ordinal is None or not spec.in_range(pod.ordinal):
            continue
        for lower in candidates:
            o = lower.ordinal
            if o is None or o >= pod.ordinal or not spec.in_range(o) or not lower.alive_at(rank):
                continue
            if parallel and burst.batch(o - spec.start_ordinal) >= burst.batch(
                pod.ordinal - spec.start_ordinal
            ):
                continue
            began = since(ctx, lower, rank)
            lag = pod.created.received_wall_ns - CACHE_LAG_NS
            if began is None or ctx.wall_at_rank(began) > lag:
                continue
            return told(ctx, pod, lower, began)
    return None


def _unmounted_since(ctx: ProofContext, pod: PodIncarnation, rank: int) -> int | None:
    """From when the set held `pod` (without its claims' volumes: they never change)."""
    if pod.finished(rank) is not None:
        return None  # deleted to be created again (processReplica), never updated
    return _held_since(pod, ctx.episode.statefulset.uid, rank)


def _unmounted_told(
    ctx: ProofContext, pod: PodIncarnation, lower: PodIncarnation, held: int
) -> Problem:
    sts = ctx.episode.statefulset
    missing = missing_claims(
        lower.claims, templates=sts.claim_templates, set_name=sts.name, ordinal=lower.ordinal or 0
    )
    reason = (
        f"{pod.name} was created while {lower.name}, below it, did not mount its claim "
        f"{', '.join(missing)} (storageMatches): processReplica's UpdateStatefulPod of "
        f"{lower.name} is refused on every sync (a pod's volumes cannot change) and "
        "runForAll goes no further, so no pod above it is created"
    )
    since = "created" if held == lower.created.rank else "adopted by the set (ClaimPods)"
    cited = [
        ctx.cite(ctx.ids_by_rank[held], f"{lower.name} {since}, without {missing[0]}"),
        ctx.cite_step(pod, pod.created, f"{pod.name} created"),
    ]
    return reason, cited


def _unlabelled_since(ctx: ProofContext, pod: PodIncarnation, rank: int) -> int | None:
    """The rank from which `pod`'s labels failed `identity_matches` without a break up to
    `rank`; None when they matched at `rank`, or when the set did not hold it then or its
    deletion had begun."""
    began = pod.deletion_began
    if pod.controller_at(rank) != ctx.episode.statefulset.uid or (
        began is not None and began.rank < rank
    ):
        return None
    since = None if identity_matches(pod.name, pod.labels) else pod.created.rank
    for labels, at in pod.relabels:
        if at > rank:
            break
        if identity_matches(pod.name, labels):
            since = None
        elif since is None:
            since = at
    return since


def _unlabelled_told(
    ctx: ProofContext, pod: PodIncarnation, lower: PodIncarnation, lost: int
) -> Problem:
    seconds = (pod.created.received_wall_ns - ctx.wall_at_rank(lost)) / 1e9
    change = ctx.ids_by_rank[lost]
    reason = (
        f"{pod.name} was created while {lower.name}, below it, had been without its "
        f"{POD_NAME_LABEL} label for {seconds:.1f} s (since #{change}): processReplica "
        f"restores it (identityMatches, UpdateStatefulPod) before it goes past "
        f"{lower.name}, so no pod above it is created while the label is wrong"
    )
    cited = [
        ctx.cite(change, f"{lower.name} without its {POD_NAME_LABEL} label"),
        ctx.cite_step(pod, pod.created, f"{pod.name} created"),
    ]
    return reason, cited


def _held_since(pod: PodIncarnation, set_uid: str, rank: int) -> int | None:
    """The rank from which StatefulSet `set_uid` controlled `pod` without a break up to `rank`
    (its creation, or its adoption: ClaimPods); None when it did not control it at `rank`."""
    since = pod.created.rank if pod.owner_uid == set_uid else None
    for uid, at in pod.controllers:
        if at > rank:
            break
        if uid != set_uid:
            since = None
        elif since is None:
            since = at
    return since
