"""`rollingUpdate.maxUnavailable`: how many in-range pods an update may leave unavailable at once.

With the MaxUnavailableStatefulSet feature gate on (KEP-961; alpha and off by default up to 1.34),
`updateStatefulSetAfterInvariantEstablished` (pkg/controller/statefulset/stateful_set_control.go)
counts the in-range pods that are not healthy (missing, not Running and Ready, or terminating),
and deletes old-revision pods from the highest ordinal down only while that count stays below
maxUnavailable: after each of its deletions, at most maxUnavailable in-range pods are
unavailable. The field is an int or a percentage of spec.replicas, rounded down, at least 1
(`getStatefulSetMaxUnavailable`).

With the gate off in kube-controller-manager the field is ignored and the update goes one pod at
a time, each replacement healthy before the next deletion, as without it. Which one ran is read
from the recording: two of the controller's update deletions overlapping (the next one began
before the previous replacement was healthy) show the gate on. Without such an overlap the
rollout is judged one pod at a time, and whether it could have gone faster is said.

Health here is the lenient `isHealthy` (Running, Ready, not terminating) without minReadySeconds,
so that fewer pods count as unavailable than any controller version counts: an over-budget
deletion found with it is over budget under every version.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from stswatch.reports.history.lifecycles import PodIncarnation, Transition
from stswatch.reports.history.pod_rules import max_unavailable
from stswatch.reports.proofs.context import (
    HeldCall,
    Problem,
    ProofContext,
    health,
    held_call,
    held_call_told,
    unseen_by_cache,
)


class Replaced(Protocol):
    """One of the controller's update deletions (rolling_update.Replacement)."""

    @property
    def old(self) -> PodIncarnation: ...

    @property
    def deletion(self) -> Transition: ...

    @property
    def new(self) -> PodIncarnation | None: ...


@dataclass(frozen=True, slots=True)
class Unavailable:
    """An in-range ordinal counted as unavailable when a deletion began."""

    name: str
    problem: str
    pod: PodIncarnation | None
    step: Transition | None
    own: bool = False  # condemned or created by one of the update's earlier deletions
    # When it turned unhealthy after the last pod turned healthy, up to SLOW_CALL_NS before: a
    # sync may have counted it healthy and its DELETE been held that long (`held_call`); the
    # change after which it turned ('web-2 was Ready'), else "".
    held: str = ""


@dataclass(frozen=True, slots=True)
class Reading:
    """What the update's deletions did with the budget.

    `overlapped`: the controller had two update deletions under way at once (the gate is on).
    `over`: the first deletion after which more than `limit` in-range pods were unavailable, with
    the others it found unavailable. `limited`: deletions at which pods other than the condemned
    one already used the budget (each with their names), so the update could not go wider.
    `room`: a deletion, not the last, after which the budget had room for the next one.
    `held`: the first deletion over the budget only with pods a held DELETE may not have
    counted (`Unavailable.held`).
    """

    limit: int
    overlapped: bool
    over: tuple[Replaced, tuple[Unavailable, ...]] | None
    limited: tuple[tuple[Replaced, tuple[Unavailable, ...]], ...]
    widest: int
    room: bool
    held: tuple[Replaced, tuple[Unavailable, ...]] | None = None


def read(ctx: ProofContext, replaced: Sequence[Replaced]) -> Reading:
    """Count, at each of the controller's update deletions (in rank order), the other in-range
    ordinals that were unavailable just before it. O(deletions x replicas x log transitions)."""
    spec = ctx.episode.spec
    limit = max_unavailable(spec.max_unavailable, spec.replicas)
    overlapped = False
    over: tuple[Replaced, tuple[Unavailable, ...]] | None = None
    limited: list[tuple[Replaced, tuple[Unavailable, ...]]] = []
    widest = 0
    room = False
    held: tuple[Replaced, tuple[Unavailable, ...]] | None = None
    for i, r in enumerate(replaced):
        others = _unavailable_others(ctx, r, replaced[:i])
        widest = max(widest, len(others) + 1)
        if any(u.own for u in others):
            overlapped = True
        if len(others) + 1 > limit and over is None:
            if sum(1 for u in others if not u.held) + 1 > limit:
                over = (r, others)
            else:  # over only with pods a held DELETE's sync may have counted healthy
                held = held or (r, others)
        elif len(others) + 1 >= limit and not all(u.own for u in others):
            limited.append((r, others))
        elif i < len(replaced) - 1 and len(others) + 1 < limit:
            room = True
    return Reading(limit, overlapped, over, tuple(limited), widest, room, held)


def _condemned_or_made_by(u: Unavailable, earlier: Sequence[Replaced]) -> bool:
    """`u` is a pod an earlier update deletion condemned or created, or its missing ordinal."""
    if u.pod is None:
        return any(r.old.name == u.name for r in earlier)
    return any(u.pod.uid in (r.old.uid, r.new.uid if r.new else None) for r in earlier)


def _unavailable_others(
    ctx: ProofContext, r: Replaced, earlier: Sequence[Replaced]
) -> tuple[Unavailable, ...]:
    """The in-range ordinals other than the condemned one that the controller counted as not
    healthy when `r`'s deletion began: missing, not Running and Ready, or terminating. A pod
    that turned unhealthy just before, after the last pod turned healthy, may not have been in
    the cache yet (`unseen_by_cache`) and is not counted, unless the controller's own earlier
    update deletion made it so (it counts those deletions itself, `deletedPods`)."""
    spec = ctx.episode.spec
    rank = r.deletion.rank
    in_range = range(spec.start_ordinal, spec.end_ordinal)
    alive = {o: ctx.alive(o, rank) for o in in_range}
    healthy_steps = [
        step.rank
        for pod in alive.values()
        if pod is not None
        for step in (pod.last_before(rank, ("ready",)),)
        if step is not None
    ]
    enabled_at = max([ctx.episode.start_rank, *healthy_steps])
    found = []
    for ordinal, pod in alive.items():
        if ordinal == r.old.ordinal:
            continue
        if pod is None:
            missing = Unavailable(
                f"{ctx.episode.statefulset.name}-{ordinal}", "missing", None, None
            )
            found.append(replace(missing, own=_condemned_or_made_by(missing, earlier)))
            continue
        state = health(pod, rank, min_ready_seconds=0, at=None)
        if state.ok:
            continue
        here = Unavailable(pod.name, state.problem, pod, state.step)
        here = replace(here, own=_condemned_or_made_by(here, earlier))
        if not here.own and unseen_by_cache(
            pod, state, enabled_at=enabled_at, decision=r.deletion, min_ready_seconds=0
        ):
            continue
        if not here.own and held_call(
            pod, state, enabled_at=enabled_at, decision=r.deletion, min_ready_seconds=0
        ):
            here = replace(here, held=_last_healthy(alive, enabled_at))
        found.append(here)
    return tuple(found)


def _last_healthy(alive: dict[int, PodIncarnation | None], enabled_at: int) -> str:
    """'web-2 was Ready' (the in-range pod that turned Ready at `enabled_at`), else 'the update
    began'."""
    for pod in alive.values():
        step = pod.step_at(enabled_at) if pod is not None else None
        if pod is not None and step is not None and step.what == "ready":
            return f"{pod.name} was Ready"
    return "the update began"


def over_budget(ctx: ProofContext, reading: Reading) -> Problem:
    """The failure when the gate is shown on and a deletion left more than maxUnavailable
    in-range pods unavailable; a held call (inconclusive) when it did only with pods a held
    DELETE's sync may have counted healthy."""
    if not reading.overlapped:
        return None
    if reading.over is None:
        return _held_over(ctx, reading)
    r, others = reading.over
    listed = ", ".join(f"{u.name} ({u.problem})" for u in others)
    reason = (
        f"{r.old.name} was deleted for the update while {listed} "
        f"{'was' if len(others) == 1 else 'were'} unavailable: with maxUnavailable="
        f"{ctx.episode.spec.max_unavailable} the controller deletes only while fewer than "
        f"{reading.limit} in-range pods are unavailable, so at most {reading.limit} are at once "
        "(updateStatefulSetAfterInvariantEstablished)"
    )
    cited = [
        ctx.cite_step(u.pod, u.step, f"{u.name} {u.problem}")
        for u in others
        if u.pod is not None and u.step is not None
    ]
    cited.append(ctx.cite_step(r.old, r.deletion, f"{r.old.name} deletion began"))
    return reason, cited


def _held_over(ctx: ProofContext, reading: Reading) -> HeldCall | None:
    """The inconclusive verdict's reason for `reading.held`: the failure it would have been and
    the first pod a held DELETE's sync may have counted healthy."""
    if reading.held is None:
        return None
    over = replace(reading, over=reading.held, held=None)
    failed = over_budget(ctx, over)
    r, others = reading.held
    first = next((u for u in others if u.held and u.pod is not None), None)
    if not isinstance(failed, tuple) or first is None or first.pod is None:
        return None
    reason, cited = failed
    state = health(first.pod, r.deletion.rank, min_ready_seconds=0, at=None)
    told = held_call_told(
        reason, call="DELETE", decision=r.deletion, pod=first.pod, state=state,
        enabled=first.held,
    )  # fmt: skip
    return HeldCall(told, cited)


def told(ctx: ProofContext, reading: Reading) -> str:
    """The clause the pass adds: how wide the update went against its maxUnavailable."""
    spec = ctx.episode.spec
    setting = f"maxUnavailable={spec.max_unavailable}"
    held = _held_by(reading)
    if reading.overlapped:
        budget = f" (a budget of {reading.limit} of {spec.replicas} pods)"
        widest, others = _at_once(ctx, reading.widest)
        clause = f"{setting}{budget}: at most {widest} were unavailable at once{others}"
        if held:
            clause += f"; {held} counted against it"
        return clause + " (updateStatefulSetAfterInvariantEstablished)"
    if reading.room:
        return (
            f"{setting}, yet one pod at a time, each replacement healthy before the next "
            "deletion: as when the MaxUnavailableStatefulSet feature gate is off in "
            "kube-controller-manager, which then ignores the field (KEP-961)"
        )
    if held:
        return f"{setting}, one pod at a time: {held} used the rest of it"
    return setting


def _at_once(ctx: ProofContext, widest: int) -> tuple[int, str]:
    """The most in-range pods unavailable at one moment of the episode (missing, or not
    `isHealthy`), whatever made them so, and when that exceeds `widest` (counted at the
    controller's update deletions) which they were: ' (web-4 terminating, web-3 terminating,
    web-1 not Running (failed), at #3913)'. A pod that finishes running (Failed, Succeeded) or
    that a client deletes counts too, though not the update's doing. O(pod steps in the window
    x a pod's steps + replicas)."""
    spec, episode, index = ctx.episode.spec, ctx.episode, ctx.index
    in_range = range(spec.start_ordinal, spec.end_ordinal)

    def problem(ordinal: int, rank: int) -> str | None:
        pod = ctx.alive(ordinal, rank)
        if pod is None:
            return "missing"
        state = health(pod, rank, min_ready_seconds=0, at=None)
        return None if state.ok else state.problem

    down = {o: why for o in in_range if (why := problem(o, episode.start_rank)) is not None}
    most, at, moment = len(down), None, dict(down)
    first, last = index.window_span(episode.start_rank, episode.end_rank)
    for i in range(first, last):
        pod = ctx.own_pod(ctx.changes[index.step_ids[i]].uid)
        ordinal = pod.ordinal if pod is not None else None
        if ordinal is None or ordinal not in in_range:
            continue
        why = problem(ordinal, index.step_ranks[i] + 1)
        if why is None:
            down.pop(ordinal, None)
        else:
            down[ordinal] = why
        if len(down) > most:
            most, at, moment = len(down), index.step_ids[i], dict(down)
    if most <= widest or at is None:
        return widest, ""
    name = ctx.episode.statefulset.name
    listed = ", ".join(f"{name}-{o} {why}" for o, why in sorted(moment.items(), reverse=True))
    return most, f" ({listed}, at #{at})"


def _held_by(reading: Reading) -> str:
    names: dict[str, None] = {}
    for _r, others in reading.limited:
        for u in others:
            if not u.own:
                names.setdefault(f"{u.name} ({u.problem})")
    return ", ".join(names)
