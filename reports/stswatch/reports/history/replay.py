"""The StatefulSet controller's next step, replayed over a recording change by change.

At every recorded step of one StatefulSet incarnation (a pod, claim, spec or status change, in
the ordering's rank order) the model answers what `updateStatefulSet` in
`pkg/controller/statefulset/stateful_set_control.go` may do next with the state then recorded:

- phase 1, `processReplica` over the in-range ordinals, ascending: create a missing pod (unless
  its claim is still being deleted: `createPersistentVolumeClaims` refuses "pvc ... is being
  deleted"), delete a Failed or Succeeded pod, and under OrderedReady (monotonic) stop at the
  first pod that is terminating, not Running, not Ready or not Available;
- phase 3, `processCondemned` over the pods outside the range, highest ordinal first: under
  OrderedReady wait for a terminating one to be gone, and delete an unhealthy one only when it is
  the `firstUnavailablePod`;
- phase 4 (RollingUpdate only; OnDelete returns before it), highest ordinal down to the
  partition: delete a pod not at the update revision, wait on an unhealthy one.

Its answer is a `Decision`: the spec is met ("settled"), the controller may act ("act"), it waits
on one pod ("held": that pod and why, in the words of `stswatch.reports.causes`), or it waits with
nothing
to blame ("waiting": e.g. Parallel pods still starting, or a status that has not yet observed a
new spec). Consecutive decisions held on one pod incarnation form a `Stretch`. The model keeps
lazily cleaned heaps, so a replay is linear-logarithmic in the set's steps.
"""

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from operator import itemgetter
from typing import Any

from stswatch.reports import causes
from stswatch.reports.frozen import builder
from stswatch.reports.history.lifecycles import (
    Lifecycles,
    PodIncarnation,
    PvcIncarnation,
    SpecVersion,
    StatefulSetIncarnation,
    StatusVersion,
)
from stswatch.reports.history.pod_rules import (
    PHASES,
    halts_walk,
    is_terminal,
    is_terminating,
    max_unavailable,
)
from stswatch.reports.history.transition import Transition, first_of

_NS = 10**9  # the recording's clock: receive times in wall ns
_NEVER = 1 << 62  # a wall time after every recording


@dataclass(frozen=True, slots=True)
class Decision:
    """What the controller may do next at one rank, or what holds it."""

    state: str  # settled | act | held | waiting | set-deleting
    what: str  # one line, e.g. "create web-3" or "web-2 Running, not Ready"
    pod: PodIncarnation | None = None  # the pod it waits on (held) or acts on (act), if any
    cause: str = ""  # for held: a word from stswatch.reports.causes
    ordinal: int | None = None


@dataclass(frozen=True, slots=True)
class Stretch:
    """Consecutive held decisions on one pod incarnation: [start, end) in ranks and wall time."""

    pod: PodIncarnation
    cause: str  # the cause that held longest
    detail: str
    start: Transition  # the step at which the hold began
    end: Transition | None  # the step that released it; None when it never was
    # The causes in the order they came (not Ready, then not Available), and the wall ns held for
    # each: two columns, the causes' tuple shared by every stretch with the same causes.
    spent_causes: tuple[str, ...] = ()
    spent_ns: tuple[int, ...] = ()

    @property
    def spent(self) -> tuple[tuple[str, int], ...]:
        """Wall ns held for each cause, in the order the causes came."""
        return tuple(zip(self.spent_causes, self.spent_ns, strict=True))


@dataclass(frozen=True)
class Replay:
    """One StatefulSet incarnation's decisions, each from the rank it was first taken.

    The decisions and the steps that took them are two columns: a (step, decision) pair for each
    of a large set's million decisions would cost nearly as much as the decisions.
    """

    steps: tuple[Transition, ...]  # the step at which each decision was first taken
    decided: tuple[Decision, ...]
    stretches: tuple[Stretch, ...]

    ranks: tuple[int, ...] = ()
    stretch_starts: tuple[int, ...] = ()
    stretch_ends: tuple[int, ...] = ()

    @property
    def decisions(self) -> tuple[tuple[Transition, Decision], ...]:
        """Each decision with the step that first took it."""
        return tuple(zip(self.steps, self.decided, strict=True))

    def overlapping(self, start: int, end: int) -> tuple[Stretch, ...]:
        """The stretches overlapping ranks [start, end). One hold is open at a time, so the
        stretches are ordered by their start and by their end alike."""
        first = bisect_right(self.stretch_ends, start)
        last = bisect_left(self.stretch_starts, end)
        return self.stretches[first:last]

    def at(self, rank: int) -> Decision | None:
        """The decision in force just after `rank` (None before the first step)."""
        i = bisect_right(self.ranks, rank)
        return self.decided[i - 1] if i > 0 else None

    def span(self, start: int, end: int) -> range:
        """Where the decisions first taken at ranks in [start, end) lie in `steps` and
        `decided`."""
        return range(bisect_left(self.ranks, start), bisect_left(self.ranks, end))

    def between(self, start: int, end: int) -> Iterator[tuple[Transition, Decision]]:
        """The decisions first taken at ranks in [start, end), read in place: a window's can be
        most of a large set's, and a reader often stops at the first it wants."""
        at = self.span(start, end)
        return zip(map(self.steps.__getitem__, at), map(self.decided.__getitem__, at), strict=True)


@dataclass(slots=True)
class _Pod:
    """One pod as the replay's walk sees it: a `PodView` on the recording's clock (ns).

    Its Ready time is the Ready change's receive time, not the lastTransitionTime the controller
    counts minReadySeconds from (cut to the second, and earlier by the watch's delay): with
    minReadySeconds the replay may find a pod Available up to about a second later than the
    controller did. The proofs' `health` reads the API's clock for that reason.
    """

    pod: PodIncarnation
    phase: str | None = None
    ready: bool = False
    ready_since: int = 0  # receive time (wall ns) of its last Ready change
    terminating: bool = False
    held: "tuple[tuple[object, ...], Decision] | None" = None  # the last held decision on it

    def healthy(self, now_ns: int, min_ready_seconds: int) -> bool:
        """`processReplica` walks on past it (`pod_rules.halts_walk` is None)."""
        return (
            halts_walk(self, min_ready_seconds=min_ready_seconds, now=now_ns, per_second=_NS)
            is None
        )

    def problem(self, now_ns: int, min_ready_seconds: int) -> tuple[str, str] | None:
        """(cause, detail) when `processReplica` would stop at it, else None."""
        cause = halts_walk(self, min_ready_seconds=min_ready_seconds, now=now_ns, per_second=_NS)
        if cause is None:
            return None
        if cause == causes.NOT_RUNNING:
            shown = (self.phase or "no phase").capitalize()
            return cause, f"{self.pod.name} {causes.NOT_RUNNING} ({shown})"
        if cause == causes.NOT_READY:
            return cause, f"{self.pod.name} Running, {causes.NOT_READY}"
        if cause == causes.NOT_AVAILABLE:
            return (
                cause,
                f"{self.pod.name} Ready for less than minReadySeconds={min_ready_seconds} "
                f"({causes.NOT_AVAILABLE})",
            )
        return cause, f"{self.pod.name} {cause}"


@dataclass
class _Heap:
    """A min-heap of ordinals cleaned lazily against a membership test (negate for a max)."""

    sign: int
    items: list[int] = field(default_factory=list)

    def push(self, ordinal: int) -> None:
        heapq.heappush(self.items, self.sign * ordinal)

    def top(self, member: "set[int]") -> int | None:
        while self.items and self.sign * self.items[0] not in member:
            heapq.heappop(self.items)
        return self.sign * self.items[0] if self.items else None


@dataclass
class _State:
    """The recorded state the controller would see, kept with heaps for its walk."""

    sts: StatefulSetIncarnation
    claims: dict[int, list[PvcIncarnation]]
    pods: dict[int, _Pod] = field(default_factory=dict)
    bad: set[int] = field(default_factory=set)  # in-range ordinals missing or unhealthy
    old: set[int] = field(default_factory=set)  # in-range ordinals >= partition not updated
    out: set[int] = field(default_factory=set)  # condemned ordinals with a pod
    absent: set[int] = field(default_factory=set)  # in-range ordinals without a pod
    out_bad: set[int] = field(default_factory=set)  # condemned ordinals with an unhealthy pod
    low_bad: _Heap = field(default_factory=lambda: _Heap(1))
    low_absent: _Heap = field(default_factory=lambda: _Heap(1))
    low_out_bad: _Heap = field(default_factory=lambda: _Heap(1))
    high_old: _Heap = field(default_factory=lambda: _Heap(-1))
    high_bad: _Heap = field(default_factory=lambda: _Heap(-1))
    high_out: _Heap = field(default_factory=lambda: _Heap(-1))
    first: int = 0
    last: int = -1  # in-range ordinals: first..last
    partition: int = 0
    min_ready: int = 0
    revision: str | None = None
    now_ns: int = 0
    set_deleting: bool = False
    set_gone: Transition | None = None  # the set's DELETED step, once recorded
    monotonic: bool = True
    observed: bool = True  # a status has observed the spec's generation
    # Pods named like one of the set's that it does not own (released by it, another set's, an
    # orphan it did not adopt), per ordinal, while they exist: the name is taken.
    holders: dict[int, _Pod] = field(default_factory=dict)
    rank: int = 0  # the rank of the step being replayed
    # What the last decision read beside the state: the rank (`timed`), the clock up to a
    # moment at which its answer may change (`until_ns`).
    timed: bool = False
    until_ns: int = _NEVER
    # No spec of the set asks for minReadySeconds: health reads no clock, and every ordinal's
    # membership is recomputed whenever what it is computed from changes.
    timeless: bool = False
    # An ordinal whose pod the controller did not create because its claim was stale (owned by
    # a pod gone since: PodClaimIsStale) at its last sync, with that claim: processReplica
    # returns without an error, so nothing requeues the set, and the controller has no claim
    # event handler. It syncs again only when the set or one of its pods changes.
    stale: "tuple[int, PvcIncarnation] | None" = None
    born: int = 0  # the rank the set was created at: no name is held from it before
    # rollingUpdate.maxUnavailable as a count when the spec carries it: the API server keeps the
    # field only with the MaxUnavailableStatefulSet gate on, and the update step is then
    # updateStatefulSetAfterInvariantEstablished's budget, not the one-pod walk. None: no field.
    max_unavailable: int | None = None
    # One int object for each ordinal the decisions name: the heaps' arithmetic makes a new one
    # at every step, and a large set keeps a million decisions.
    ordinals: dict[int, int] = field(default_factory=dict)

    def ordinal(self, ordinal: int) -> int:
        """The one int object for `ordinal`, for a decision to keep."""
        return self.ordinals.setdefault(ordinal, ordinal)

    def reindex(self, first: int, replicas: int, partition: int, revision: str | None) -> None:
        self.first, self.last = first, first + replicas - 1
        self.partition, self.revision = first + partition, revision
        self.bad, self.old, self.out = set(), set(), set()
        self.absent, self.out_bad = set(), set()
        for heap in (
            self.low_bad, self.high_old, self.high_bad, self.high_out, self.low_absent,
            self.low_out_bad,
        ):  # fmt: skip
            heap.items.clear()
        for ordinal in range(self.first, self.last + 1):
            self.touch(ordinal)
        for ordinal in list(self.pods):
            self.touch(ordinal)

    def touch(self, ordinal: int) -> None:
        """Recompute one ordinal's membership after its pod changed."""
        slot = self.pods.get(ordinal)
        in_range = self.first <= ordinal <= self.last
        # Hot (every pod step): `_Pod.healthy` and `_member` inline for the in-range ordinals.
        unhealthy = slot is None or (
            halts_walk(slot, min_ready_seconds=self.min_ready, now=self.now_ns, per_second=_NS)
            is not None
        )
        if in_range:
            bad = self.bad
            if not unhealthy:
                bad.discard(ordinal)
            elif ordinal not in bad:
                bad.add(ordinal)
                self.low_bad.push(ordinal)
                self.high_bad.push(ordinal)
            old = self.old
            if slot is None or ordinal < self.partition or self.revision is None:
                old.discard(ordinal)  # not outdated: below the partition or no revision
            elif (revision := slot.pod.revision_at(self.rank)) is None or revision == self.revision:
                old.discard(ordinal)  # the label the update step reads (getPodRevision)
            elif ordinal not in old:
                old.add(ordinal)
                self.high_old.push(ordinal)
            absent = self.absent
            if slot is not None:
                absent.discard(ordinal)
            elif ordinal not in absent:
                absent.add(ordinal)
                self.low_absent.push(ordinal)
            self.out.discard(ordinal)
            self.out_bad.discard(ordinal)
        else:
            self.bad.discard(ordinal)
            self.old.discard(ordinal)
            self.absent.discard(ordinal)
            _member(self.out, ordinal, slot is not None, self.high_out)
            _member(self.out_bad, ordinal, slot is not None and unhealthy, self.low_out_bad)

    def claim_terminating(self, ordinal: int) -> PvcIncarnation | None:
        """A claim of `ordinal` that is being deleted (the controller cannot create the pod)."""
        now = self.now_ns
        for claim in self.claims.get(ordinal, ()):
            stamp = first_of(claim.transitions, "terminating")
            gone = first_of(claim.transitions, "deleted")
            # The answer holds until the clock reaches the next of these moments.
            for moment in (stamp, gone):
                if moment is not None and now < moment.received_wall_ns < self.until_ns:
                    self.until_ns = moment.received_wall_ns
            began = stamp is not None and stamp.received_wall_ns <= now
            if began and (gone is None or gone.received_wall_ns > now):
                return claim
        return None


def _member(members: set[int], ordinal: int, wanted: bool, *heaps: _Heap) -> None:
    """Put `ordinal` in `members` (and its heaps) when wanted, else take it out.

    A member already has its entry in each heap (entries leave a heap only once not members), so
    only a new member is pushed: a pod's every step no longer adds a duplicate entry.
    """
    if wanted:
        if ordinal not in members:
            members.add(ordinal)
            for heap in heaps:
                heap.push(ordinal)
    else:
        members.discard(ordinal)


def replay_set(life: Lifecycles, sts: StatefulSetIncarnation, *, until_ns: int = 0) -> Replay:
    """Replay the controller's decision over every step of one StatefulSet incarnation.

    `until_ns` is when the recording ends (wall ns): a hold still open then lasted until it.
    """
    steps = _steps(life, sts)
    state = _State(sts, _claims(life, sts), born=sts.transitions[0].rank)
    taken: list[Transition] = []
    decisions: list[Decision] = []
    stretches: list[Stretch] = []
    holding: list[_Open] = []
    key = None
    spec: SpecVersion = sts.specs[0]
    status: StatusVersion | None = None
    resync = True  # the spec or status in force changed: only then can _resync change the state
    # One string for each sentence kept: a name's later incarnations repeat its earlier ones'.
    said: dict[str, str] = {}
    # Without minReadySeconds the walk's decision is a function of the state alone, unless it
    # read the rank (a name held: `timed`), the clock (a claim being deleted: until the moment
    # its answer may change) or a stale claim waits for a sync. A step that changes nothing the
    # walk reads (a claim's step, a pod scheduled or given its IP, a status write with the same
    # observed generation and update revision) then cannot change the decision: not taken again.
    timeless = state.timeless = not any(v.min_ready_seconds for v in sts.specs)
    steady = False  # the decision in force holds until the state changes
    step: Any  # a Transition, or a version (`Step`): the payload tells which
    for _, _, step, payload in steps:
        if step.received_wall_ns > state.now_ns:
            state.now_ns = step.received_wall_ns
        state.rank = step.rank
        if payload is not None and state.stale is not None:
            _wake(state)  # a change of the set or of a pod: the controller syncs the set again
        changed = True
        if type(payload) is tuple:  # a pod's step: the most common, tested first
            if len(payload) == 2:
                changed = _apply(state, payload[0], payload[1], step)
            else:
                changed = _apply_holder(state, payload[0], payload[1], step)
        elif isinstance(payload, SpecVersion):
            spec, resync = payload, True
        elif isinstance(payload, StatusVersion):
            # `_resync` reads a status's observedGeneration and updateRevision alone: a write
            # that keeps both (most: the counts) is taken without it.
            if (
                status is None
                or payload.observed_generation != status.observed_generation
                or payload.update_revision != status.update_revision
            ):
                resync = True
            else:
                changed = False
            status = payload
        elif payload is None:  # a claim's step: the walk reads claims only through the clock
            changed = False
        elif payload == "set" and step.what in ("terminating", "deleted"):
            state.set_deleting = True
            state.set_gone = step if step.what == "deleted" else None
        if resync:
            changed = _resync(state, spec, status)
            resync = False
        if steady and not changed and state.now_ns < state.until_ns:
            continue
        state.timed, state.until_ns = False, _NEVER
        decision = _decide(state)
        steady = timeless and not state.timed and state.stale is None
        if (decision.state, decision.what) != key:
            key = (decision.state, decision.what)
            if said.setdefault(decision.what, decision.what) is not decision.what:
                decision = _decision(  # `replace`, without its field walk (hot)
                    decision.state, said[decision.what], decision.pod, decision.cause,
                    decision.ordinal,
                )  # fmt: skip
            # A spec's or status's step is made a Transition only when it took a decision.
            at = step if isinstance(step, Transition) else _version_step(step)
            taken.append(at)
            decisions.append(decision)
            _track(holding, stretches, at, decision)
    if holding:
        stretches.append(holding.pop().close(None, max(until_ns, state.now_ns)))
    return Replay(
        tuple(taken),
        tuple(decisions),
        tuple(stretches),
        tuple(s.rank for s in taken),
        tuple(s.start.rank for s in stretches),
        tuple(s.end.rank if s.end is not None else 1 << 62 for s in stretches),
    )


# (rank, source, step, payload): a spec's or status's step is the version itself (it has the
# rank and the receive time the walk reads), made a Transition only when it takes a decision.
Step = tuple[int, int, Transition | SpecVersion | StatusVersion, object]
# A step's sort key, its rank: steps of one rank keep the order they were gathered in (the set's
# own first), as sorting by (rank, source) would.
_RANK = itemgetter(0)


def _steps(life: Lifecycles, sts: StatefulSetIncarnation) -> list[Step]:
    """Every step of the set in rank order: its pods', claims', specs', statuses' and its own.

    With minReadySeconds, a pod becomes Available without any recorded change: a synthetic
    "available" step at Ready + minReadySeconds, placed before the first change seen after that
    moment, lets the walk move on then (it cites the Ready change).
    """
    # Gathered source by source (the set's own, then its pods', then its claims'), so a stable
    # sort by rank alone puts them in (rank, source) order: no key tuple for each step. A pod's
    # steps share one payload.
    steps: list[Step] = [(v.rank, 0, v, v) for v in sts.specs]
    steps += [(v.rank, 0, v, v) for v in sts.statuses]
    steps += [(t.rank, 0, t, "set") for t in sts.transitions if t.what != "created"]
    own = life.pods_of(sts)
    for ordinal, incs in own.items():
        for pod in incs:
            payload: tuple[Any, ...] = (ordinal, pod)
            steps += [(t.rank, 1, t, payload) for t in pod.transitions]
            released = pod.releases(sts.uid)
            if released:
                # Released, and adopted back if ClaimPods took it again (its controllerRef).
                again = [t for t in pod.control_steps if t.detail == sts.uid]
                payload = (ordinal, pod, "")
                steps += [(t.rank, 1, t, payload) for t in (*released, *again)]
    owned = {pod.uid for incs in own.values() for pod in incs}
    for ordinal, incs in life.set_pods(sts.namespace, sts.name).items():
        for pod in incs:
            if pod.uid not in owned:
                payload = (ordinal, pod, "")
                steps += [(t.rank, 1, t, payload) for t in pod.transitions]
    for claims_of in _claims(life, sts).values():
        for claim in claims_of:
            steps += [(t.rank, 2, t, None) for t in claim.transitions]
    steps.sort(key=_RANK)
    if any(v.min_ready_seconds for v in sts.specs):
        steps = _with_available(steps, sts)
    return steps


def _with_available(steps: list[Step], sts: StatefulSetIncarnation) -> list[Step]:
    # Receive times follow the ranks only roughly: search their running maximum.
    walls = list(accumulate((s[2].received_wall_ns for s in steps), max))
    extra: list[Step] = []
    for rank, _, step, payload in steps:
        if not isinstance(payload, tuple) or not isinstance(step, Transition):
            continue
        if step.what != "ready":
            continue
        delay = sts.spec_at(rank).min_ready_seconds
        if delay:
            at = step.received_wall_ns + delay * 10**9
            later = bisect_left(walls, at)
            place = steps[later][0] if later < len(steps) else steps[-1][0] + 1
            available = Transition(
                "available", step.change_id, step.resource_version, at, place, step.detail
            )
            extra.append((place, -1, available, payload))
    extra += steps  # before the steps of their rank, as their source (-1) sorts them
    extra.sort(key=_RANK)
    return extra


def _version_step(version: SpecVersion | StatusVersion) -> Transition:
    what = "spec" if isinstance(version, SpecVersion) else "status"
    return Transition(
        what, version.change_id, version.resource_version, version.received_wall_ns, version.rank
    )


def _claims(life: Lifecycles, sts: StatefulSetIncarnation) -> dict[int, list[PvcIncarnation]]:
    """The set's claims per ordinal: `<template>-<set>-<ordinal>` (getPersistentVolumeClaimName)."""
    found: dict[int, list[PvcIncarnation]] = {}
    prefixes = tuple(f"{t}-{sts.name}-" for t in sts.claim_templates)
    for claim in life.pvcs:
        if claim.namespace != sts.namespace:
            continue
        for prefix in prefixes:
            rest = claim.name[len(prefix) :]
            if claim.name.startswith(prefix) and rest.isdigit():
                found.setdefault(int(rest), []).append(claim)
    return found


def _apply(state: _State, ordinal: int, pod: PodIncarnation, step: Transition) -> bool:
    """Take one step of a pod of the set; False when it changed nothing the walk reads but the
    Ready time (read only with minReadySeconds)."""
    slot = state.pods.get(ordinal)
    what = step.what
    changed = True
    if what == "created":
        state.pods[ordinal] = _Pod(pod)
    elif slot is None or slot.pod is not pod:
        if ordinal in state.holders:  # a pod the set released: it holds the name until gone
            return _apply_holder(state, ordinal, pod, step)
        return False
    elif what == "deleted":
        del state.pods[ordinal]
    elif what in PHASES:
        changed = slot.phase != what
        slot.phase = what
    elif what == "ready" or what == "unready":
        ready = what == "ready"
        changed = slot.ready != ready
        slot.ready = ready
        slot.ready_since = step.received_wall_ns
    elif what == "terminating":
        changed = not slot.terminating
        slot.terminating = True
    else:  # scheduled, ip: nothing the walk reads; "available": the clock moved on
        changed = what == "available"
    if changed or not state.timeless:  # else its membership, read off the same fields, holds
        state.touch(ordinal)  # "available": minReadySeconds elapsed, membership recomputed
    return changed


def _wake(state: _State) -> None:
    """A sync of the set: a stale claim gone by now no longer stops the pod's creation."""
    assert state.stale is not None
    gone = first_of(state.stale[1].transitions, "deleted")
    if gone is not None and gone.received_wall_ns <= state.now_ns:
        state.stale = None


def _apply_holder(state: _State, ordinal: int, pod: PodIncarnation, step: Transition) -> bool:
    """A step of a pod named like the set's that the set does not own (or released at it);
    False when it changed nothing the walk reads."""
    if step.what == "controller" and step.detail == state.sts.uid:  # ClaimPods adopted it back
        held = state.holders.get(ordinal)
        if held is None or held.pod is not pod:
            return False
        del state.holders[ordinal]
        state.pods[ordinal] = held
        state.touch(ordinal)
        return True
    if step.what == "controller":  # the set released its own pod: the name stays taken
        slot = state.pods.get(ordinal)
        if slot is not None and slot.pod is pod:
            del state.pods[ordinal]
            state.holders[ordinal] = slot
            state.touch(ordinal)
            return True
        return False
    slot = state.holders.get(ordinal)
    if step.what == "created":
        state.holders[ordinal] = _Pod(pod)
    elif slot is None or slot.pod is not pod:
        return False
    elif step.what == "deleted":
        del state.holders[ordinal]
    elif step.what == "terminating":
        slot.terminating = True
    else:
        return False
    return True


def _name_taken(state: _State, ordinal: int) -> Decision | None:
    """`CreateStatefulPod` refused (AlreadyExists): a pod the set does not own holds the name."""
    holder = state.holders.get(ordinal)
    if holder is None:
        return None
    state.timed = True
    if state.rank < state.born:
        return None
    pod = holder.pod
    uid = state.sts.uid
    released = next((c for c in pod.releases(uid) if c.rank <= state.rank), None)
    if released is not None:
        whose = f"the set released at #{released.change_id} (ReleasePod removed its ownerReference)"
    elif (owner := pod.controller_at(state.rank)) is None:
        whose = "an orphan the set did not adopt" + _not_adopted(state, pod)
    else:
        whose = f"of the earlier StatefulSet {state.sts.name} (uid {owner})"
    what = f"{causes.NAME_TAKEN} by the pod {pod.name}, {whose}"
    return Decision("held", what, pod, causes.NAME_TAKEN, state.ordinal(ordinal))


def _not_adopted(state: _State, pod: PodIncarnation) -> str:
    """Why `ClaimPods` left the orphan alone, when the recording shows it: its labels do not
    match the set's selector, or it was being deleted (`ClaimObject` adopts neither)."""
    selector = state.sts.selector
    labels = pod.labels_at(state.rank)
    wrong = sorted(k for k, v in (selector or {}).items() if labels.get(k) != v)
    if selector is not None and wrong:
        shown = ", ".join(f"{k}={labels[k]}" if k in labels else f"no {k}" for k in wrong)
        wanted = ", ".join(f"{k}={v}" for k, v in sorted(selector.items()))
        its = f"label {shown} does" if len(wrong) == 1 else f"labels {shown} do"
        return (
            f": its {its} not match the selector {wanted} (ClaimPods adopts only the pods the "
            "selector matches)"
        )
    begun = pod.terminating
    if begun is not None and begun.rank <= state.rank:
        return ": it was being deleted (ClaimPods adopts no pod with a deletionTimestamp)"
    return ""


def _resync(state: _State, spec: SpecVersion, status: StatusVersion | None) -> bool:
    """Take the spec and the update revision in force; reindex when the range or target moved.
    False when nothing the walk reads changed.

    Until a status has observed the spec's generation the update revision is unknown
    (`state.observed` False): the controller has not acted on that spec yet.
    """
    was = (state.observed, state.min_ready, state.monotonic, state.max_unavailable)
    state.observed = (
        spec.generation is None
        or status is None
        or status.observed_generation is None
        or status.observed_generation >= spec.generation
    )
    revision = status.update_revision if status is not None and state.observed else state.revision
    partition = spec.partition if spec.update_strategy == "RollingUpdate" else spec.replicas
    shape = (spec.start_ordinal, spec.replicas, partition, revision)
    now = (state.first, state.last - state.first + 1, state.partition - state.first, state.revision)
    state.min_ready = spec.min_ready_seconds
    state.monotonic = spec.pod_management_policy != "Parallel"
    gated = spec.max_unavailable is not None and spec.update_strategy == "RollingUpdate"
    state.max_unavailable = max_unavailable(spec.max_unavailable, spec.replicas) if gated else None
    if shape != now:
        state.reindex(spec.start_ordinal, spec.replicas, partition, revision)
        return True
    return was != (state.observed, state.min_ready, state.monotonic, state.max_unavailable)


def _decide(state: _State) -> Decision:
    """`updateStatefulSet`'s next step for the recorded state."""
    if state.set_deleting:
        gone = state.set_gone
        if gone is not None:  # removed outright (no deletionTimestamp seen): not "being deleted"
            what = f"the StatefulSet was deleted (#{gone.change_id}): no pod is managed"
            return Decision("set-deleting", what)
        return Decision("set-deleting", "the StatefulSet is being deleted: no pod is managed")
    replica = _phase1(state, state.monotonic)
    if replica is not None:
        return replica
    condemned = _phase3(state, state.monotonic)
    if condemned is not None:
        return condemned
    return _phase4(state)


_decision = builder(Decision)  # every field, in order (hot: a held walk's every step)


def _held(state: _State, ordinal: int) -> Decision:
    slot = state.pods[ordinal]
    # The decision is rebuilt (its sentence composed) only when what it depends on changed.
    # `_Pod.healthy` inline (hot: every step the walk is held).
    available = (
        halts_walk(slot, min_ready_seconds=state.min_ready, now=state.now_ns, per_second=_NS)
        is None
    )
    key = (slot.terminating, slot.phase, slot.ready, state.min_ready, available, ordinal)
    if slot.held is None or slot.held[0] != key:
        problem = slot.problem(state.now_ns, state.min_ready) or ("", "")
        held = _decision("held", problem[1], slot.pod, problem[0], state.ordinal(ordinal))
        slot.held = key, held
    return slot.held[1]


def _phase1(state: _State, monotonic: bool) -> Decision | None:
    low = state.low_bad.top(state.bad)
    slot = None
    # `_Pod.healthy` inline (hot: every step of the replay)
    while low is not None and (slot := state.pods.get(low)) is not None:
        if (
            halts_walk(slot, min_ready_seconds=state.min_ready, now=state.now_ns, per_second=_NS)
            is not None
        ):
            break
        state.touch(low)  # became Available since its last step (minReadySeconds elapsed)
        low = state.low_bad.top(state.bad)
    if low is None:
        return None
    if slot is None:
        name = f"{state.sts.name}-{low}"
        claim = state.claim_terminating(low)
        if claim is not None:
            state.timed = True  # its owners as of the rank
            if any(kind == "Pod" for kind, _ in claim.owners_at(state.rank)):
                state.stale = (low, claim)
            what = f"{name} cannot be created: its claim {claim.name} is being deleted"
            return Decision("held", what, None, causes.CLAIM_TERMINATING, low)
        if state.stale is not None and state.stale[0] == low:
            what = (
                f"{name} not created: at the controller's last sync its claim "
                f"{state.stale[1].name} was stale (still owned by the deleted {name}: "
                "PodClaimIsStale), and processReplica returned without an error or a requeue; "
                "the controller does not watch claims, so it syncs again only when the set or "
                "one of its pods changes"
            )
            return Decision("held", what, None, causes.CLAIM_STALE, state.ordinal(low))
        return _name_taken(state, low) or Decision(
            "act", f"create {name}", None, "", state.ordinal(low)
        )
    if is_terminal(slot) and not is_terminating(slot):
        name = f"{state.sts.name}-{low}"
        what = f"delete {name} ({str(slot.phase).capitalize()})"
        return Decision("act", what, slot.pod, "", state.ordinal(low))
    if monotonic:
        return _held(state, low)
    missing = state.low_absent.top(state.absent)
    if missing is not None:
        taken = _name_taken(state, missing)
        return taken or Decision(
            "act", f"create {state.sts.name}-{missing}", None, "", state.ordinal(missing)
        )
    return None


def _phase3(state: _State, monotonic: bool) -> Decision | None:
    high = state.high_out.top(state.out)
    if high is None:
        return None
    slot = state.pods[high]
    if slot.terminating:
        if monotonic:
            return _held(state, high)
        return Decision("waiting", f"condemned pods terminating, {slot.pod.name} first")
    # processCondemned deletes an unhealthy condemned pod only when it is the
    # firstUnavailablePod (the lowest unavailable one): otherwise it waits on it.
    unhealthy = monotonic and not slot.healthy(state.now_ns, state.min_ready)
    if unhealthy and _first_unavailable(state) != high:
        return _held(state, high)
    return Decision("act", f"delete {slot.pod.name} (condemned)", slot.pod, "", state.ordinal(high))


def _first_unavailable(state: _State) -> int | None:
    """The lowest condemned ordinal whose pod is not Running, Ready and Available now."""
    low = state.low_out_bad.top(state.out_bad)
    while low is not None and state.pods[low].healthy(state.now_ns, state.min_ready):
        state.touch(low)  # became Available since its last step (minReadySeconds elapsed)
        low = state.low_out_bad.top(state.out_bad)
    return low


def _phase4(state: _State) -> Decision:
    if not state.observed:
        return Decision("waiting", "the controller has not yet observed the new spec")
    if state.max_unavailable is not None:
        return _budget_step(state, state.max_unavailable)
    old = state.high_old.top(state.old)
    bad = state.high_bad.top(state.bad)
    # The update walk, from the highest ordinal down, waits on an unhealthy pod above the next
    # one to replace, and on that one itself when it is already terminating (it deletes an old
    # pod only when it is not terminating; `isHealthy` is false for a terminating one).
    if (
        bad is not None
        and old is not None
        and bad >= state.partition
        and (bad > old or (bad == old and state.pods[old].terminating))
    ):
        return _held(state, bad) if bad in state.pods else Decision("waiting", "pods starting")
    if old is not None and not state.pods[old].terminating:
        pod = state.pods[old].pod
        return Decision("act", f"replace {pod.name}", pod, "", state.ordinal(old))
    if state.bad:
        return Decision("waiting", "pods not yet Running and Ready")
    return Decision("settled", "spec met")


def _budget_step(state: _State, budget: int) -> Decision:
    """`updateStatefulSetAfterInvariantEstablished` (MaxUnavailableStatefulSet): the in-range
    pods not Running and Available are counted, below the partition too; while they use up
    maxUnavailable no pod is deleted, else the highest old-revision pods not terminating are,
    several in one sync, down to the partition. No wait on one ordinal: the budget alone."""
    old = state.high_old.top(state.old)
    if old is None:
        if state.bad:
            return Decision("waiting", "pods not yet Running and Ready")
        return Decision("settled", "spec met")
    if len(state.bad) >= budget:
        top = state.high_bad.top(state.bad)
        count = len(state.bad)
        if count <= 6:
            names = ", ".join(f"{state.sts.name}-{o}" for o in sorted(state.bad, reverse=True))
        else:  # a large set: no sort of every unavailable ordinal at every step
            names = f"{state.sts.name}-{top} and {count - 1} more"
        what = (
            f"{count} pod{'s' * (count != 1)} unavailable ({names}) >= maxUnavailable {budget}: "
            "no pod is replaced (updateStatefulSetAfterInvariantEstablished)"
        )
        slot = state.pods.get(top) if top is not None else None
        if slot is None or top is None:
            return Decision("waiting", what)
        cause = (slot.problem(state.now_ns, state.min_ready) or (causes.NOT_READY, ""))[0]
        return Decision("held", what, slot.pod, cause, state.ordinal(top))
    # The first old-revision pod not terminating, from the highest down (those terminating are
    # unavailable, so fewer than the budget: the walk down is short).
    for ordinal in range(old, state.partition - 1, -1):
        found = state.pods.get(ordinal)
        if ordinal in state.old and found is not None and not found.terminating:
            pod = found.pod
            return Decision("act", f"replace {pod.name}", pod, "", state.ordinal(ordinal))
    return Decision("waiting", "old-revision pods terminating")


# The few distinct sequences of causes a stretch is held for, one tuple each.
_CAUSES_HELD: dict[tuple[str, ...], tuple[str, ...]] = {}


@dataclass
class _Open:
    """The held stretch being extended: its first step, its pod and time spent per cause."""

    start: Transition
    decision: Decision
    since_ns: int
    spent: dict[str, int] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    def switch(self, decision: Decision, now_ns: int) -> None:
        cause = self.decision.cause
        self.spent[cause] = self.spent.get(cause, 0) + now_ns - self.since_ns
        self.details[cause] = self.decision.what
        self.decision, self.since_ns = decision, now_ns

    def close(self, end: Transition | None, now_ns: int) -> Stretch:
        self.switch(self.decision, now_ns)
        cause = max(self.spent, key=lambda c: self.spent[c])
        pod = self.decision.pod
        assert pod is not None
        held = tuple(self.spent)
        causes_held = _CAUSES_HELD.setdefault(held, held)
        spent = tuple(self.spent.values())
        return Stretch(pod, cause, self.details[cause], self.start, end, causes_held, spent)


def _track(
    holding: list[_Open],
    stretches: list[Stretch],
    step: Transition,
    decision: Decision,
) -> None:
    """Extend, close or open the held stretch for this decision."""
    now = step.received_wall_ns
    held = decision.state == "held" and decision.pod is not None
    if holding and held and holding[0].decision.pod is decision.pod:
        holding[0].switch(decision, now)
        return
    if holding:
        stretches.append(holding.pop().close(step, now))
    if held:
        holding.append(_Open(step, decision, now))
