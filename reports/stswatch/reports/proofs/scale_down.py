"""Reverse-order scale-down: condemned pods go from the highest ordinal down, one at a time.

`processCondemned` (monotonic) deletes only the highest condemned pod, then on every sync sees it
terminating and waits "for Pod to Terminate prior to scale down" until the object is gone from the
API (the e2e test checks `watch.Deleted`, not deletionTimestamp). Only the controller's deletions
count: a condemned pod deleted by a client (no SuccessfulDelete Event,
`stswatch.reports.history.attribution`) is
reported, not judged. Holds (an in-range pod unhealthy, an unhealthy condemned pod that is not the
`firstUnavailablePod`) come from the controller replay. Unhealthy is `pod_rules.halts_walk`'s:
terminating, not Running and Ready, or with minReadySeconds not yet Available (`IsPodAvailable`,
judged at the delete request's time on the API's clock).
"""

from heapq import heappop, heappush
from itertools import pairwise

from stswatch.reports import causes
from stswatch.reports.history.informer import CACHE_LAG_NS
from stswatch.reports.history.lifecycles import PodIncarnation, Transition
from stswatch.reports.proofs import landed_late
from stswatch.reports.proofs.context import (
    Health,
    HeldCall,
    Problem,
    ProofContext,
    health,
    held_call,
    held_call_told,
    judged,
    race_note,
    unseen_by_cache,
)
from stswatch.reports.proofs.continuation import cut_by, scale_down_went_on
from stswatch.reports.proofs.force_deletion import cut_short
from stswatch.reports.proofs.holds import hold_clause
from stswatch.reports.proofs.progress import episode_progress
from stswatch.reports.proofs.storage import (
    claims_kept_terminating,
    claims_of_scaled_down,
    claims_owned_terminating,
)
from stswatch.reports.proofs.unseen_deletion import already_deleting as deleted_unseen
from stswatch.reports.proofs.unseen_deletion import listed_terminating, none_begun
from stswatch.reports.proofs.verdict import Evidence, Hold, Verdict

PROOF = "reverse-order-scale-down"
KINDS = ("Pod", "StatefulSet")


def condemned(ctx: ProofContext) -> list[PodIncarnation]:
    """Pods alive when the scale-down began whose ordinal fell outside the new range, those a
    list found outside it inside the episode, and those the controller created outside it
    during the episode: a CREATE decided for the earlier replicas that landed after the
    scale-down (a throttled or webhook-held call), condemned on arrival.

    A list (the recording's first, or the state rebuilt at a window's start) ranks each pod at
    its own last change before the reading began, which may come after the scale-down's spec
    change: the pod was there when the reading began."""
    spec = ctx.episode.spec
    end = spec.end_ordinal
    at = ctx.episode.start_rank
    alive = [ctx.alive(o, at) for o in ctx.slots if o >= end or o < spec.start_ordinal]
    pods = [p for p in alive if p is not None]
    pods += [
        p
        for incs in ctx.slots.values()
        for p in incs
        if p.first_observed == "list"
        and p.ordinal is not None
        and not spec.in_range(p.ordinal)
        and p.created.rank > at
        and ctx.episode.contains(p.created.rank)
    ]
    late = [
        p
        for p in ctx.created_in_window()
        if p.ordinal is not None
        and not spec.in_range(p.ordinal)
        and not p.created_orphan
        and p.uid not in {q.uid for q in pods}
    ]
    return pods + late


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when each condemned pod's deletion starts only after the next higher one is gone."""
    if ctx.episode.kind != "scale-down":
        return None
    pods = condemned(ctx)
    # Terminating when a list found them inside the episode: deleted before the reading began.
    unseen = [p for p in pods if listed_terminating(p) and not _before(ctx, p)]
    listed = {p.uid for p in unseen}
    if ctx.episode.spec.pod_management_policy == "Parallel":
        already, cited = already_deleting(ctx, pods)
        reason = (
            "Parallel: condemned pods are deleted in bursts, highest ordinal first in "
            "slowStartBatch batches of 1, 2, 4, …, none waiting for another to terminate"
        )
        reason += already + deleted_unseen(ctx, unseen)
        reason += claims_of_scaled_down(ctx, [p for p in pods if p.uid not in listed])
        reason += _claims_terminating(ctx, pods)
        return ctx.verdict(PROOF, "not-applicable", reason, cited)
    steps = [
        (p, step)
        for p in pods
        if (step := p.deletion_began) and p.uid not in listed and _ours(ctx, p, step)
    ]
    steps.sort(key=lambda pair: pair[1].rank)
    by_client = [(p, s) for p, s in steps if _by_client(ctx, p)]
    client_uids = {p.uid for p, _ in by_client}
    steps = [pair for pair in steps if pair[0].uid not in client_uids]
    deleted = [p for p, _ in steps]
    client_note = "".join(f"; {p.name} was deleted by {_who(ctx, p)}" for p, _ in by_client)
    already, already_cited = already_deleting(ctx, pods)
    client_note += already + deleted_unseen(ctx, unseen) + late_created(ctx, pods)
    holds = episode_progress(ctx).holds
    if not deleted:
        reason = (
            none_begun(ctx, unseen) or "the controller deleted no condemned pod in this episode"
        )
        reason += client_note
        reason += _claims_terminating(ctx, pods)
        reason += landed_late.told(
            ctx, landed_late.deletions(ctx, _condemned_ordinals(ctx)), "deleted"
        )
        hold_note = "".join(f"; {_hold_clause(h, [])}" for h in holds)
        return ctx.verdict(PROOF, "not-applicable", reason + hold_note, already_cited)
    problems: list[Problem] = [
        _out_of_order(ctx, higher, lower) for higher, lower in pairwise(steps)
    ]
    raced: list[tuple[Deletion, str]] = []
    problems.append(unhealthy_deletion(ctx, steps, pods, raced))
    problems.append(_below_a_condemned(ctx, steps, pods))
    hold_note = "".join(
        f"; {_hold_clause(h, [d for d, _ in raced])}{_ready_count_note(ctx, h)}" for h in holds
    )
    failed = judged(ctx, PROOF, problems)
    if failed is not None:
        return failed
    evidence = [e for pod in deleted for e in _cited(ctx, pod)]
    evidence += [ctx.cite_step(p, p.deleted) for p in unseen if p.deleted is not None]
    evidence += [e for h in holds for e in h.evidence]
    names = ", ".join(p.name for p in deleted)
    reason = f"deleted from the highest ordinal down, each after the previous was gone: {names}"
    deleted_uids = {p.uid for p in deleted}
    left = [
        p.name
        for p in pods
        if p.uid not in deleted_uids
        and p.uid not in client_uids
        and not _before(ctx, p)
        and p.uid not in listed
    ]
    overtaken = any(not ctx.episode.contains(s.rank) for _, s in steps)
    if left and overtaken:
        reason += f" ({', '.join(left)} kept: the scale-down was overtaken)"
    elif left:
        reason += f" (still present at the end: {', '.join(left)})"
    race_note = "".join(f"; {note}" for _, note in raced)
    after = [(p, s) for p, s in steps if not ctx.episode.contains(s.rank)]
    went = [(p, s) for p, s in after if scale_down_went_on(ctx, p, s)]
    stale = "".join(_stale_note(ctx, p, s) for p, s in after if (p, s) not in went)
    stale += _went_on_note(ctx, went)
    reason += client_note + hold_note + race_note + stale
    reason += "".join(cut_short(ctx, p, evidence, purpose="the scale-down") for p in deleted)
    reason += claims_of_scaled_down(ctx, [p for p, _ in steps]) + _claims_terminating(ctx, pods)
    return ctx.verdict(PROOF, "pass", reason, evidence + already_cited)


def late_created(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """'; web-3 created 8.0 s after the scale-down began, condemned on arrival: a CREATE the
    controller decided for the earlier replicas landed late (a throttled or webhook-held call)'
    for the condemned pods `condemned` found created inside the episode."""
    start = ctx.changes[ctx.episode.trigger_change_id].received_wall_ns
    late = [
        p
        for p in pods
        if ctx.episode.contains(p.created.rank)
        and p.created.received_wall_ns >= start
        and p.first_observed != "list"
    ]
    if not late:
        return ""
    last = max((p.created.received_wall_ns - start) / 1e9 for p in late)
    more = f" and {len(late) - 6} more" if len(late) > 6 else ""
    names = ", ".join(p.name for p in late[:6]) + more
    if len(late) == 1:
        return (
            f"; {names} was created {last:.1f} s after the scale-down began, condemned on "
            "arrival: a CREATE the controller decided for the earlier replicas landed late (a "
            "throttled or webhook-held call)"
        )
    return (
        f"; {names} were created after the scale-down began (up to {last:.1f} s after), "
        "condemned on arrival: CREATEs the controller decided for the earlier replicas landed "
        "late (throttled or webhook-held calls)"
    )


def already_deleting(ctx: ProofContext, pods: list[PodIncarnation]) -> tuple[str, list[Evidence]]:
    """'; web-2 was already being deleted by a client when the scale-down began' for each
    condemned pod whose deletion began before the episode: no deletion of the scale-down's own
    (`processCondemned` skips a terminating pod)."""
    told, cited = "", []
    for pod in pods:
        if _before(ctx, pod) and (began := pod.deletion_began) is not None:
            when = "recording" if ctx.episode.under_way else "scale-down"
            who = _who(ctx, pod)
            by = f" by {who}" if who != "unknown" else ""
            told += f"; {pod.name} was already being deleted{by} when the {when} began, so it "
            told += "needed no deletion of its own"
            cited.append(ctx.cite_step(pod, began, f"{pod.name} deletion began"))
    return told, cited


def _claims_terminating(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """`claims_owned_terminating` and `claims_kept_terminating` of the condemned pods whose
    deletion was not this scale-down's: already under way when it began, or a client's."""
    theirs = [p for p in pods if _before(ctx, p) or (p.deletion_began and _by_client(ctx, p))]
    return claims_owned_terminating(ctx, theirs) + claims_kept_terminating(ctx, theirs)


def _before(ctx: ProofContext, pod: PodIncarnation) -> bool:
    """True when the pod's deletion began before the episode did."""
    began = pod.deletion_began
    return began is not None and began.rank < ctx.episode.start_rank


def _ours(ctx: ProofContext, pod: PodIncarnation, step: Transition) -> bool:
    """The deletion belongs to this scale-down: inside its window, or just after a spec change
    that overtook it and took the pod back into range, made by the controller on a cache that
    did not show that change yet (`updateStatefulSet` reads the set and its pods from informer
    caches, CACHE_LAG_NS)."""
    if ctx.episode.contains(step.rank):
        return True
    if step.rank < ctx.episode.end_rank:
        return False
    sts = ctx.episode.statefulset
    later = sts.spec_at(step.rank)
    if pod.ordinal is None:
        return False
    if later.rank != ctx.episode.end_rank:
        return not later.in_range(pod.ordinal) and scale_down_went_on(ctx, pod, step)

    if not later.in_range(pod.ordinal):
        # condemned by the later spec too: when that spec kept this one's range (a template or
        # partition change cut the episode), the scale-down went on in the next episode's window
        return scale_down_went_on(ctx, pod, step)
    if abs(step.received_wall_ns - later.received_wall_ns) > CACHE_LAG_NS:
        return False
    actor = ctx.deleted_by(pod)
    return actor is not None and actor.who == causes.BY_CONTROLLER


def _went_on_note(ctx: ProofContext, pairs: list[tuple[PodIncarnation, Transition]]) -> str:
    """'; after the template change (#480) the scale-down went on in the next episode's window:
    web-3 (deletion #486, gone #492), web-2 (…) (processCondemned runs on every sync, before any
    update step)'."""
    if not pairs:
        return ""
    told = []
    for pod, step in pairs:
        gone = f", gone #{pod.deleted.change_id}" if pod.deleted is not None else ""
        told.append(f"{pod.name} (deletion #{step.change_id}{gone})")
    return (
        f"; after {cut_by(ctx)} the scale-down went on in the next episode's window: "
        f"{', '.join(told)} (processCondemned runs on every sync, before any update step)"
    )


def _stale_note(ctx: ProofContext, pod: PodIncarnation, step: Transition) -> str:
    """'web-3's deletion (resourceVersion 11362) was written just after replicas changed to 4
    (11361), which takes it back: the controller (its SuccessfulDelete Event) acted on its
    informer cache, which did not show that change yet'."""
    later = ctx.episode.statefulset.spec_at(step.rank)
    return (
        f"; {pod.name}'s deletion (resourceVersion {step.resource_version}) was written just "
        f"after replicas changed to {later.replicas} ({later.resource_version}), which takes it "
        "back: the controller (its SuccessfulDelete Event) acted on its informer cache, which "
        "did not show that change yet"
    )


def _by_client(ctx: ProofContext, pod: PodIncarnation) -> bool:
    """Deleted by a client or another of the cluster's controllers, not the StatefulSet's."""
    actor = ctx.deleted_by(pod)
    return actor is not None and actor.other


def _who(ctx: ProofContext, pod: PodIncarnation) -> str:
    actor = ctx.deleted_by(pod)
    return actor.who if actor is not None else "unknown"


def _hold_clause(hold: Hold, raced: list["Deletion"]) -> str:
    """'held at web-0 (not Ready) for 8.8 s, until web-0 Ready (no condemned pod deleted
    meanwhile)'; a deletion inside the hold that raced the cache (`unseen_by_cache`) is named
    instead of denied."""
    inside = [
        p.name
        for p, step in raced
        if hold.from_wall_ns <= step.received_wall_ns
        and (hold.to_wall_ns is None or step.received_wall_ns < hold.to_wall_ns)
    ]
    but = f" but {', '.join(inside)}, whose deletion raced the hold" if inside else ""
    return f"{hold_clause(hold)} (no condemned pod deleted meanwhile{but})"


def _ready_count_note(ctx: ProofContext, hold: Hold) -> str:
    """Where status.readyReplicas counted the held terminating pod, say so: the controller counts
    a Terminating pod that is still Ready (kubernetes#86209), so status and pods disagree."""
    if hold.cause != causes.TERMINATING:
        return ""
    return ready_count_note(ctx, hold.from_wall_ns, hold.to_wall_ns)


def ready_count_note(ctx: ProofContext, from_ns: int, to_ns: int | None) -> str:
    """'; status.readyReplicas was 3 at #9883, counting the Terminating but still Ready web-2
    (upstream behaviour, kubernetes#86209)': the first status written in [from_ns, to_ns) (wall
    ns; None: open) whose readyReplicas exceeds the healthy pods by Terminating Ready ones."""
    sts = ctx.episode.statefulset
    for status in sts.statuses_between(ctx.episode.start_rank, ctx.episode.end_rank):
        if status.ready_replicas is None:
            continue
        inside = from_ns <= status.received_wall_ns
        if not inside or (to_ns is not None and status.received_wall_ns >= to_ns):
            continue
        alive = ctx.index.alive_at(status.rank)
        healthy = sum(1 for p in alive if _health(ctx, p, status.rank + 1).ok)
        counted = [
            p.name
            for p in alive
            if p.terminating is not None
            and p.terminating.rank <= status.rank
            and (ready := p.last_before(status.rank + 1, ("ready", "unready"))) is not None
            and ready.what == "ready"
        ]
        if status.ready_replicas > healthy and counted:
            return (
                f"; status.readyReplicas was {status.ready_replicas} at #{status.change_id}, "
                "counting the "
                f"Terminating but still Ready {', '.join(counted)} (upstream behaviour, "
                "kubernetes#86209)"
            )
    return ""


def _condemned_ordinals(ctx: ProofContext) -> range:
    """The ordinals the scale-down condemned: from its new replicas up to its old ones."""
    episode = ctx.episode
    start = episode.spec.start_ordinal
    low = episode.to_replicas if episode.to_replicas is not None else 0
    high = episode.from_replicas if episode.from_replicas is not None else low
    return range(start + low, start + high)


def unhealthy_deletion(
    ctx: ProofContext,
    steps: list["Deletion"],
    pods: list[PodIncarnation],
    raced: list[tuple["Deletion", str]],
) -> Problem:
    """A deletion the controller would not make: an in-range pod unhealthy, or a condemned pod
    deleted while unhealthy although it was not the firstUnavailablePod (processCondemned).

    A pod that turned unhealthy after the deletion's enabling change (the previous condemned pod
    gone, else the scale-down's start) and just before the deletion may not have been in the
    controller's cache yet (`unseen_by_cache`): not held against it, but told in `raced`; one
    that turned so up to SLOW_CALL_NS before it, a DELETE held that long (`held_call`): told
    as such, inconclusive, when no other deletion fails.
    """
    held: HeldCall | None = None
    spec = ctx.episode.spec
    end = spec.end_ordinal
    lowest = ctx.index.lowest_unhealthy(spec.start_ordinal)  # at every deletion's rank
    enabled = ctx.episode.start_rank, "the scale-down began"
    for pod, step in steps:
        cited = [ctx.cite_step(pod, step, f"{pod.name} deletion began")]
        at = ctx.requested_at(step) if spec.min_ready_seconds > 0 else None
        first = lowest[step.rank]
        if first >= end and at is not None:
            # isRunningAndAvailable as well (processReplica stops at a pod not yet Ready for
            # minReadySeconds, so processCondemned is not reached): the walk's sweep reads
            # isHealthy only, so ask each in-range pod on the API's clock.
            first = next(
                (o for o in range(spec.start_ordinal, end) if _unavailable(ctx, o, step, at)), end
            )
        if first < end:
            name = f"{ctx.episode.statefulset.name}-{first}"
            blocker = ctx.alive(first, step.rank)
            state = _health(ctx, blocker, step.rank, at) if blocker else None
            if blocker and state and _unseen(ctx, blocker, state, enabled, (pod, step), raced):
                enabled = _gone(pod, enabled)
                continue
            if blocker is not None and state is not None and state.step is not None:
                cited.insert(0, ctx.cite_step(blocker, state.step, f"{name} {state.problem}"))
            what = state.problem if state else "missing"
            fail = f"{pod.name} deletion began while in-range {name} was {what}"
            if blocker is None and (gone := ctx.gone_before(first, step.rank)) is not None:
                blocker, state = gone  # deleted since: the sync may have read it there
                if state.step is not None:
                    cited.insert(0, ctx.cite_step(blocker, state.step, f"{name} deletion began"))
            if blocker is None or state is None or not _held(ctx, blocker, state, enabled, step):
                return fail, cited
            told = held_call_told(
                fail, call="DELETE", decision=step, pod=blocker, state=state, enabled=enabled[1]
            )
            held = held or HeldCall(told, cited)
            enabled = _gone(pod, enabled)
            continue
        own = _health(ctx, pod, step.rank, at)
        if own.ok or _unseen(ctx, pod, own, enabled, (pod, step), raced):
            enabled = _gone(pod, enabled)
            continue
        lower = [
            q
            for q in pods
            if (q.ordinal or 0) < (pod.ordinal or 0)
            and q.alive_at(step.rank)
            and not _seen_healthy(ctx, q, _health(ctx, q, step.rank, at), enabled[0], step)
        ]
        if lower:
            return (
                f"{pod.name} was deleted while {own.problem}, but it was not the "
                f"firstUnavailablePod ({lower[0].name} was unavailable too)",
                cited,
            )
        enabled = _gone(pod, enabled)
    return held


def _held(
    ctx: ProofContext,
    pod: PodIncarnation,
    state: Health,
    enabled: tuple[int, str],
    decision: Transition,
) -> bool:
    """Whether the DELETE at `decision` may have been decided while `pod` was healthy and held
    (`held_call`)."""
    minimum = ctx.min_ready_at(decision.rank)
    return held_call(
        pod, state, enabled_at=enabled[0], decision=decision, min_ready_seconds=minimum
    )


def _seen_healthy(
    ctx: ProofContext, pod: PodIncarnation, state: Health, enabled_at: int, decision: Transition
) -> bool:
    """Healthy, or unhealthy only since a change the controller's cache may not have had."""
    minimum = ctx.min_ready_at(decision.rank)
    return state.ok or unseen_by_cache(
        pod, state, enabled_at=enabled_at, decision=decision, min_ready_seconds=minimum
    )


def _unseen(
    ctx: ProofContext,
    unhealthy: PodIncarnation,
    state: Health,
    enabled: tuple[int, str],
    deletion: "Deletion",
    raced: list[tuple["Deletion", str]],
) -> bool:
    """Whether the deletion raced `unhealthy`'s turn to unhealthy; if so, say so in `raced`."""
    pod, decision = deletion
    if state.ok:
        return True  # healthy at the deletion (the walk's sweep saw it otherwise): no race
    if state.step is None or not _seen_healthy(ctx, unhealthy, state, enabled[0], decision):
        return False
    note = race_note(f"{pod.name} deletion began", decision, unhealthy, state, enabled[1])
    raced.append((deletion, note))
    return True


def _gone(pod: PodIncarnation, enabled: tuple[int, str]) -> tuple[int, str]:
    """The next deletion's enabling change: this pod's removal, when it was seen."""
    if pod.deleted is None:
        return enabled
    return pod.deleted.rank, f"{pod.name} was gone"


def _health(ctx: ProofContext, pod: PodIncarnation, rank: int, at: float | None = None) -> Health:
    """`pod_rules.halts_walk` for `pod` just before `rank`; Available judged at `at` (the API's
    clock), or taken as Available when `at` is None."""
    return health(pod, rank, min_ready_seconds=ctx.min_ready_at(rank), at=at)


def _unavailable(ctx: ProofContext, ordinal: int, step: Transition, at: float) -> bool:
    pod = ctx.alive(ordinal, step.rank)
    return pod is not None and not _health(ctx, pod, step.rank, at).ok


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


def _below_a_condemned(
    ctx: ProofContext, steps: list[Deletion], pods: list[PodIncarnation]
) -> tuple[str, list[Evidence]] | None:
    """A controller deletion while a higher condemned pod of the set still existed, whoever
    began deleting that one and when (an earlier episode, a client): `processCondemned`
    (monotonic) walks the condemned pods from the highest ordinal down (`descendingOrdinal`) and
    returns at the first, deleting it or waiting on it ("waiting for Pod to Terminate prior to
    scale down"), so a lower one is deleted only once every higher one is gone. A higher pod
    created in the episode (a CREATE that landed late, condemned on arrival) or within the
    informer cache's lag before the deletion is not held against it: the sync may not have seen
    it.

    One sweep over the deletions in rank order with the condemned pods in a heap by ordinal:
    O((pods + deletions) log pods) for the episode.
    """
    uid = ctx.episode.statefulset.uid
    waiting = sorted(pods, key=lambda p: p.created.rank)
    heap: list[tuple[int, int, PodIncarnation]] = []  # (-ordinal, rank it stops counting, pod)
    i = 0
    for pod, step in steps:
        while i < len(waiting) and waiting[i].created.rank < step.rank:
            higher = waiting[i]
            gone = higher.deleted.rank if higher.deleted is not None else 1 << 62
            released = higher.released_at(uid, higher.created.rank)
            until = min(gone, released if released is not None else 1 << 62)
            heappush(heap, (-(higher.ordinal or 0), until, higher))
            i += 1
        while heap and heap[0][1] <= step.rank:
            heappop(heap)  # gone (or no longer the set's) by now
        if not heap or -heap[0][0] <= (pod.ordinal or 0):
            continue
        higher = heap[0][2]
        if _fresh(ctx, higher, step):
            continue
        began = higher.deletion_began
        still = f"still Terminating (since #{began.change_id})" if began else "still there"
        reason = (
            f"{pod.name} began terminating while the higher condemned {higher.name} was {still}: "
            "under OrderedReady processCondemned stops at the highest condemned pod that exists "
            "(deleting it, or waiting for it to terminate), so a lower one is deleted only once "
            "every higher one is gone"
        )
        cited = [ctx.cite_step(pod, step, f"{pod.name} terminating while {higher.name} was there")]
        if began is not None:
            cited.insert(0, ctx.cite_step(higher, began, f"{higher.name} terminating"))
        if higher.deleted is not None:
            cited.append(ctx.cite_step(higher, higher.deleted, f"{higher.name} gone only now"))
        return reason, cited
    return None


def _fresh(ctx: ProofContext, higher: PodIncarnation, step: Transition) -> bool:
    """`higher` was created in the episode, or within CACHE_LAG_NS before `step`, and the
    controller had not already deleted it before `step` (a pod it deleted, it had seen)."""
    created = higher.created
    began = higher.deletion_began
    if began is not None and began.rank < step.rank:
        actor = ctx.deleted_by(higher)
        if actor is not None and actor.who == causes.BY_CONTROLLER:
            return False
    if created.rank >= ctx.episode.start_rank:
        return True
    return step.received_wall_ns - created.received_wall_ns <= CACHE_LAG_NS


def _cited(ctx: ProofContext, pod: PodIncarnation) -> list[Evidence]:
    steps = [s for s in (pod.terminating, pod.deleted) if s is not None]
    return [ctx.cite_step(pod, s) for s in dict.fromkeys(steps)]
