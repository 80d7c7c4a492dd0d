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
from stswatch.reports.proofs.context import ProofContext, health, unseen_by_cache
from stswatch.reports.proofs.verdict import Evidence


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


@dataclass(frozen=True, slots=True)
class Reading:
    """What the update's deletions did with the budget.

    `overlapped`: the controller had two update deletions under way at once (the gate is on).
    `over`: the first deletion after which more than `limit` in-range pods were unavailable, with
    the others it found unavailable. `limited`: deletions at which pods other than the condemned
    one already used the budget (each with their names), so the update could not go wider.
    `room`: a deletion, not the last, after which the budget had room for the next one.
    """

    limit: int
    overlapped: bool
    over: tuple[Replaced, tuple[Unavailable, ...]] | None
    limited: tuple[tuple[Replaced, tuple[Unavailable, ...]], ...]
    widest: int
    room: bool


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
    for i, r in enumerate(replaced):
        others = _unavailable_others(ctx, r, replaced[:i])
        widest = max(widest, len(others) + 1)
        if any(u.own for u in others):
            overlapped = True
        if len(others) + 1 > limit and over is None:
            over = (r, others)
        elif len(others) + 1 >= limit and not all(u.own for u in others):
            limited.append((r, others))
        elif i < len(replaced) - 1 and len(others) + 1 < limit:
            room = True
    return Reading(limit, overlapped, over, tuple(limited), widest, room)


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
        found.append(here)
    return tuple(found)


def over_budget(ctx: ProofContext, reading: Reading) -> tuple[str, list[Evidence]] | None:
    """The failure when the gate is shown on and a deletion left more than maxUnavailable
    in-range pods unavailable."""
    if reading.over is None or not reading.overlapped:
        return None
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
