"""What a proof sees of one episode; how proofs cite changes and read a pod's health."""

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from operator import itemgetter

from stswatch.reports import causes
from stswatch.reports.history.attribution import Actor, Attribution, pod_deletion
from stswatch.reports.history.episodes import UPDATE_KINDS, Episode, Recreation
from stswatch.reports.history.first_unhealthy import lowest_unhealthy
from stswatch.reports.history.informer import CACHE_LAG_NS, SLOW_CALL_NS
from stswatch.reports.history.lifecycles import (
    SILENT_GAP,
    Lifecycles,
    PodIncarnation,
    StatefulSetIncarnation,
    Transition,
)
from stswatch.reports.history.objects import deletion_timestamp, dig, parse_time
from stswatch.reports.history.pod_rules import (
    PHASES,
    PodState,
    halts_walk,
    identity_matches,
    missing_claims,
)
from stswatch.reports.history.replay import Decision, Replay
from stswatch.reports.history.statefulsets import SpecVersion
from stswatch.reports.proofs.delivery import LateCreation, LateDeliveries, late_deliveries
from stswatch.reports.proofs.exec_outputs import ExecMark
from stswatch.reports.proofs.verdict import Evidence, GapRef, Outcome, Verdict, evidence
from stswatch.reports.recording import Change, ChangesById, Gap


@dataclass(frozen=True)
class SetIndex:
    """One StatefulSet's pods indexed once for all its episodes: creations and steps by rank."""

    slots: dict[int, tuple[PodIncarnation, ...]]  # the set's own pods per ordinal
    created: tuple[PodIncarnation, ...]  # created (not listed) pods, by creation rank
    created_ranks: tuple[int, ...]
    step_ranks: tuple[int, ...]  # the rank of every pod and status step, in order
    step_ids: tuple[int, ...]  # the change id of each of those steps (two tuples: no pairs)
    recreations: tuple[Recreation, ...] = ()  # (old, new) at one ordinal, by the new one's rank
    recreation_ranks: tuple[int, ...] = ()
    walk_ranks: tuple[int, ...] = ()  # every pod's creation and deletion (began, gone) rank
    walks: dict[int, dict[int, int]] = field(default_factory=dict)
    pod_ranks: tuple[int, ...] = ()  # the rank of every step of the set's pods, sorted
    # Per ordinal, its incarnations' creation ranks when their lifetimes follow one another
    # (each gone before the next is created), so the one alive at a rank is found by bisection;
    # absent for an ordinal whose lifetimes overlap (a deletion the recording missed), which is
    # searched in full.
    successive: dict[int, tuple[int, ...]] = field(default_factory=dict)
    set_uid: str = ""  # the StatefulSet incarnation's uid (a pod it released is missing to it)
    by_uid: dict[str, PodIncarnation] = field(default_factory=dict)  # the set's own pods
    # The set's pods that do not mount a claim of its volumeClaimTemplates (`missing_claims`):
    # pods an earlier set of its name made and this one adopted; none, nearly always.
    unmounted: tuple[PodIncarnation, ...] = ()
    # The set's pods a client relabelled so that `identity_matches` was false for a while.
    unlabelled: tuple[PodIncarnation, ...] = ()

    @cached_property
    def deletions(self) -> tuple[tuple[int, ...], tuple[PodIncarnation, ...]]:
        """The set's pods whose deletion began, by that rank: (ranks, pods), two columns."""
        began = sorted(
            ((step.rank, pod) for incs in self.slots.values() for pod in incs
             if (step := pod.deletion_began) is not None),
            key=itemgetter(0),
        )  # fmt: skip
        return tuple(r for r, _ in began), tuple(p for _, p in began)

    @cached_property
    def late(self) -> LateDeliveries:
        """The set's pod creations the watch delivered late (`late_deliveries`)."""
        return late_deliveries(self.created)

    def lowest_unhealthy(self, start: int) -> dict[int, int]:
        """The replayed walk's lowest unhealthy ordinal just before every pod's creation and
        deletion (terminating, deleted) rank, from `start` (one sweep per start, cached)."""
        if start not in self.walks:
            self.walks[start] = lowest_unhealthy(
                self.slots, start=start, ranks=self.walk_ranks, set_uid=self.set_uid
            )
        return self.walks[start]

    def alive(self, ordinal: int, rank: int) -> PodIncarnation | None:
        """The first incarnation at `ordinal` that existed at `rank` (O(log n) a call)."""
        incs = self.slots.get(ordinal, ())
        starts = self.successive.get(ordinal)
        if starts is None:
            return next((p for p in incs if p.alive_at(rank)), None)
        at = bisect_right(starts, rank) - 1
        return incs[at] if at >= 0 and incs[at].alive_at(rank) else None

    def alive_at(self, rank: int) -> list[PodIncarnation]:
        """Every pod of the set that existed at `rank`, by ordinal as `slots` lists them (the
        cost grows with the ordinals, not with how often each was recreated)."""
        found = []
        for ordinal, incs in self.slots.items():
            if ordinal in self.successive:
                if (pod := self.alive(ordinal, rank)) is not None:
                    found.append(pod)
            else:
                found.extend(p for p in incs if p.alive_at(rank))
        return found

    def position(self, pod: PodIncarnation) -> int:
        """`pod`'s index among its ordinal's incarnations (0 when it is not there)."""
        incs = self.slots.get(pod.ordinal, ()) if pod.ordinal is not None else ()
        starts = self.successive.get(pod.ordinal) if pod.ordinal is not None else None
        if starts is not None:
            at = bisect_left(starts, pod.created.rank)
            return at if at < len(incs) and incs[at] is pod else 0
        return next((i for i, p in enumerate(incs) if p is pod), 0)

    def recreations_between(self, start: int, end: int) -> tuple[Recreation, ...]:
        """The recreations whose new incarnation was created at a rank in [start, end)."""
        first = bisect_left(self.recreation_ranks, start)
        return self.recreations[first : bisect_left(self.recreation_ranks, end)]

    def window_span(self, start: int, end: int) -> tuple[int, int]:
        """Where the steps with start <= rank < end lie in `step_ids`: [first, last)."""
        return bisect_left(self.step_ranks, start), bisect_left(self.step_ranks, end)


def index_set(life: Lifecycles, sts: StatefulSetIncarnation) -> SetIndex:
    """Index a StatefulSet's pods for its episodes."""
    slots = life.pods_of(sts)
    pods = [p for incs in slots.values() for p in incs]
    created = sorted((p for p in pods if p.first_observed != "list"), key=lambda p: p.created.rank)
    steps = sorted(
        [(t.rank, t.change_id) for p in pods for t in p.transitions]
        + [(s.rank, s.change_id) for s in sts.statuses]
    )
    everyone = life.set_pods(sts.namespace, sts.name)  # earlier sets so named: their pods too
    own = {p.uid for p in pods}
    recreations = sorted(
        (
            Recreation(old, new)
            for ordinal in slots
            for old, new in pairwise(everyone.get(ordinal, ()))
            if new.uid in own
        ),
        key=lambda r: r.new.created.rank,
    )
    ends = (t for p in pods for t in (p.terminating, p.deleted) if t is not None)
    return SetIndex(
        slots,
        tuple(created),
        tuple(p.created.rank for p in created),
        tuple(rank for rank, _ in steps),
        tuple(change_id for _, change_id in steps),
        tuple(recreations),
        tuple(r.new.created.rank for r in recreations),
        tuple(sorted({p.created.rank for p in pods} | {t.rank for t in ends})),
        pod_ranks=tuple(sorted(t.rank for p in pods for t in p.transitions)),
        successive={
            ordinal: tuple(p.created.rank for p in incs)
            for ordinal, incs in slots.items()
            if all(_before(a, b) for a, b in pairwise(incs))
        },
        set_uid=sts.uid,
        by_uid={p.uid: p for p in pods},
        unmounted=tuple(
            p
            for p in pods
            if p.ordinal is not None
            and missing_claims(
                p.claims, templates=sts.claim_templates, set_name=sts.name, ordinal=p.ordinal
            )
        ),
        unlabelled=tuple(
            p for p in pods if any(not identity_matches(p.name, ls) for ls, _ in p.relabels)
        ),
    )


def _spec_rank(spec: SpecVersion) -> int:
    return spec.rank


def _created_rank(pod: PodIncarnation) -> int:
    return pod.created.rank


def _before(a: PodIncarnation, b: PodIncarnation) -> bool:
    """True when `a` was gone before `b` was created (their lifetimes do not overlap)."""
    return (
        a.deleted is not None
        and a.deleted.rank <= b.created.rank
        and a.created.rank < b.created.rank
    )


# Evidence that follows a change by a controller (an EndpointSlice update, a status write) may
# arrive this long after it; a recording that ends sooner cannot show its absence.
SETTLE_S = 5.0
# A hold (and a pod kept Terminating) is told when it lasted this long beyond minReadySeconds
# (s); shorter waits are a pod starting as usual, not a halt.
NOTABLE_S = 3.0


# The phrases an inconclusive reason uses for each kind of missing evidence (Verdict.missing).
RECORDING_ENDED = "the recording ended"
NOT_RECORDED = "not recorded"
CHANGED_AGAIN = "the set changed again"
# ... and for a reason that gives two readings of what was recorded (a call that landed long
# after the controller decided it; a spec from before the recording began).
CANNOT_TELL = "the recording cannot tell"
CANNOT_BE_TOLD = "cannot be told"


def missing_of(reason: str) -> str:
    """Verdict.missing for an inconclusive reason: recording-end, changed-again, cannot-tell or
    not-recorded."""
    if RECORDING_ENDED in reason:
        return "recording-end"
    if CHANGED_AGAIN in reason:
        return "changed-again"
    return "cannot-tell" if CANNOT_TELL in reason or CANNOT_BE_TOLD in reason else "not-recorded"


@dataclass(frozen=True)
class ProofContext:
    """One episode, the lifecycles around it, and the recording's changes and gaps."""

    episode: Episode
    life: Lifecycles
    changes: Mapping[int, Change]
    gaps: tuple[Gap, ...]
    recreated_in: Mapping[str, tuple[Episode, ...]]  # new pod uid -> pod-recreated episodes
    index: SetIndex
    kinds: frozenset[str]  # the kinds the recording holds any change of
    replay: Replay  # the controller replay of the episode's StatefulSet
    actors: Attribution  # who acted, from the controller's Events and the scenario's marks
    recording_end_ns: int  # the last moment the recording covers (wall ns)
    ids_by_rank: tuple[int, ...] = ()  # change id at each rank
    memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    execs: tuple[ExecMark, ...] = ()  # the scenario's exec outputs, cited beside the changes
    server_version: str = ""  # the API server's gitVersion, e.g. v1.34.4
    read_from_ns: int | None = None  # a window's --since (wall ns); None: the recording's start

    def wall_at_rank(self, rank: int) -> int:
        """The receive time of the change at `rank`, or the recording's end past the last."""
        if 0 <= rank < len(self.ids_by_rank):
            return self.changes[self.ids_by_rank[rank]].received_wall_ns
        return self.recording_end_ns

    def delivered_late(self, change_id: int) -> LateCreation | None:
        """The late-delivered creation (`delivery.late_deliveries`) whose burst brought the
        change `change_id` to the recorder, or None when it came in time."""
        late = self.index.late
        return late.near(self.changes[change_id].received_wall_ns) if late.walls else None

    def requested_at(self, step: Transition) -> float | None:
        """When the delete `step` records began on the API's clock (s since the epoch): the API
        server sets deletionTimestamp to the request's time plus the grace period
        (deletionGracePeriodSeconds), so less that; None without a deletionTimestamp."""
        obj = self.changes[step.change_id].object
        stamp = parse_time(deletion_timestamp(obj))
        grace = dig(obj, "metadata", "deletionGracePeriodSeconds")
        if stamp is None:
            return None
        return stamp - (grace if isinstance(grace, int | float) else 0)

    def min_ready_at(self, rank: int) -> int:
        """spec.minReadySeconds in force at `rank` (a client may change it mid-episode; the
        controller reads it on every sync)."""
        spec = self.episode.spec
        if rank <= spec.rank:
            return spec.min_ready_seconds
        return self.episode.statefulset.spec_at(rank).min_ready_seconds

    def min_ready_changes(self) -> tuple[tuple[int, int], ...]:
        """(change id, value) of each spec in the window that changed minReadySeconds."""
        sts, episode = self.episode.statefulset, self.episode
        found, value = [], episode.spec.min_ready_seconds
        specs = sts.specs  # in rank order: only the window's are read
        first = bisect_right(specs, episode.spec.rank, key=_spec_rank)
        for spec in specs[first : bisect_left(specs, episode.end_rank, key=_spec_rank)]:
            if spec.min_ready_seconds != value:
                value = spec.min_ready_seconds
                found.append((spec.change_id, value))
        return tuple(found)

    def near_end(self, step: Transition) -> bool:
        """True when the recording ends (or is live) within SETTLE_S after `step`."""
        return self.recording_end_ns - step.received_wall_ns < SETTLE_S * 1e9

    @property
    def set_gone(self) -> Transition | None:
        """When the episode's StatefulSet began to be deleted, if it was."""
        return self.episode.statefulset.deletion_began

    def deleted_by(self, pod: PodIncarnation) -> Actor | None:
        """Who deleted `pod` (None when it was not deleted):
        `stswatch.reports.history.attribution.pod_deletion`. A pod of another incarnation of
        the set (one holding the name of this one's) is judged against its own set's deletion.
        Asked once per pod and episode (several proofs and notes ask of the same pod)."""
        key = f"deleted_by {pod.uid}"
        if key not in self.memo:
            self.memo[key] = self._deleted_by(pod)
        return self.memo[key]  # type: ignore[return-value]

    def _deleted_by(self, pod: PodIncarnation) -> Actor | None:
        sts = self.episode.statefulset
        following = self._next_of_name(pod)
        next_began = following.deletion_began if following is not None else None
        if pod.owner_uid not in (None, sts.uid) and not pod.ever_controlled_by(sts.uid):
            owner = self.life.statefulset(pod.owner_uid)
            if owner is not None:
                gone = owner.collected_from()
                return pod_deletion(self.actors, pod, set_gone=gone, next_began=next_began)
        return pod_deletion(self.actors, pod, set_gone=sts.collected_from(), next_began=next_began)

    def _next_of_name(self, pod: PodIncarnation) -> PodIncarnation | None:
        """The pod of the same name created after `pod` (its set's next at the ordinal)."""
        if pod.statefulset is None or pod.ordinal is None:
            return None
        incs = self.life.set_pods(pod.namespace, pod.statefulset).get(pod.ordinal, ())
        at = bisect_right(incs, pod.created.rank, key=_created_rank)  # oldest first
        return incs[at] if at < len(incs) else None

    def slow_call_reason(self, old: PodIncarnation) -> str:
        """`controller_reason` under a spec that was in force up to SLOW_CALL_NS before the
        deletion landed, when none within the cache's lag gives one: a DELETE decided then and
        held by an admission webhook (or the client's throttling) lands that late; "" if none."""
        if self.controller_reason(old):
            return ""
        return self.controller_reason(old, lag_ns=SLOW_CALL_NS)

    def slow_call_told(self, old: PodIncarnation, slow: str) -> str:
        """'; yet under a spec in force up to 30 s before it landed web-1 was …': why a deletion
        with no reason under the specs of the cache's lag is inconclusive, not failed."""
        why = {
            "condemned": "out of range (condemned: processCondemned)",
            "update": "behind the update revision at or above the partition (the update step)",
        }.get(slow, slow)
        return (
            f"; yet under a spec in force up to {SLOW_CALL_NS // 10**9} s before its deletion "
            f"landed, {old.name} was {why}: a DELETE an admission webhook or the client's "
            "throttling held lands that late (a webhook's timeoutSeconds is up to 30 s), so the "
            "recording cannot tell which spec the controller acted on"
        )

    def read_by_sync_note(self, step: Transition, call: str) -> str:
        """'; web-3's CREATE was decided by a sync that read generation 2 (ordinals.start 0,
        replicas 4, partition 0: its status right after, #4385, …) and landed after #4380
        changed the spec: a slow call (…)', when the status right after `step` names an older
        spec than the one in force (`read_by_sync`), else ""."""
        sts = self.episode.statefulset
        read = sts.read_by_sync(step.rank)
        status = sts.status_after(step.rank)
        if read is None or status is None:
            return ""
        newer = sts.spec_at(step.rank)
        return (
            f"; {call} was decided by a sync that read generation {read.generation} "
            f"(ordinals.start {read.start_ordinal}, replicas {read.replicas}, partition "
            f"{read.partition}: its status right after, #{status.change_id}, observed it; "
            f"updateStatefulSetStatus) and landed after #{newer.change_id} changed the spec: a "
            "slow call (an admission webhook, the client's throttling)"
        )

    def controller_reason(self, old: PodIncarnation, lag_ns: int = CACHE_LAG_NS) -> str:
        """Why the StatefulSet controller deleted `old` (it did: its SuccessfulDelete Event), of
        its three reasons: "finished" (Failed or Succeeded: processReplica), "condemned" (out of
        range: processCondemned), "update" (behind the update revision at or above the partition:
        the update step); "" for none of them. The spec and status within the informer cache's
        lag before the deletion are read too: a sync may have acted on one a moment old."""
        began = old.deletion_began
        if began is None or old.ordinal is None:
            return ""
        if old.finished() is not None:
            return "finished"
        sts = self.episode.statefulset
        specs = sts.specs_seen(began.rank, began.received_wall_ns, lag_ns)
        for spec in specs:
            if not spec.in_range(old.ordinal):
                return "condemned"
        for spec in specs:
            if spec.update_strategy == "RollingUpdate" and old.ordinal >= (
                spec.start_ordinal + spec.partition
            ):
                around = (sts.status_at(began.rank), sts.status_after(began.rank))
                labels = old.revisions_until(began.rank)
                if any(
                    s is not None
                    and s.update_revision is not None
                    and labels != {s.update_revision}
                    for s in around
                ):
                    return "update"
        return ""

    def update_revision(self) -> str | None:
        """The revision a rollout moves pods to: the first status in the window that observed it."""
        spec = self.episode.spec
        for status in self.episode.statefulset.statuses:
            if not self.episode.contains(status.rank):
                continue
            if spec.generation is None or (status.observed_generation or 0) >= spec.generation:
                return status.update_revision
        return None

    def outdated_at(self, rank: int) -> tuple[str, str, str] | None:
        """(pod names, their revision, the update revision) of pods at or above the partition
        still at an old revision at `rank`, highest ordinal first; None when none are or no
        rollout is under way."""
        spec = self.episode.spec
        if self.episode.kind not in UPDATE_KINDS:
            return None
        target = self.update_revision()
        if target is None:
            return None
        lowest = spec.start_ordinal + spec.partition
        stale = [
            pod
            for ordinal in sorted(self.slots, reverse=True)
            if ordinal >= lowest
            and ordinal < spec.end_ordinal
            and (pod := self.alive(ordinal, rank)) is not None
            and pod.revision_at(rank) not in (None, target)
        ]
        if not stale:
            return None
        revisions = ", ".join(dict.fromkeys(str(p.revision_at(rank)) for p in stale))
        return ", ".join(p.name for p in stale), revisions, target

    def settled(self) -> Transition | None:
        """The step from which the controller replay's decision stayed "settled" (the spec met)
        to the episode's end; None when the episode ended unsettled."""
        replay, start, end = self.replay, self.episode.start_rank, self.episode.end_rank
        last = replay.span(start, end)[-1:]  # a large set's window holds many decisions
        if last and replay.decided[last[0]].state == "settled":
            return replay.steps[last[0]]
        return self._settled_until_released(list(replay.between(start, end)))

    def _settled_until_released(
        self, decisions: list[tuple[Transition, Decision]]
    ) -> Transition | None:
        """The step the spec was met from when, after it, the set only waited for the name of a
        pod it released (relabelled out of the selector: ClaimPods' ReleasePod): what it owned
        had settled, and the release is no step of its own toward the spec."""
        last = next(
            (i for i in range(len(decisions) - 1, -1, -1) if decisions[i][1].state == "settled"),
            None,
        )
        if last is None:
            return None
        uid = self.episode.statefulset.uid
        for _, decision in decisions[last + 1 :]:
            pod = decision.pod
            if (
                decision.cause != causes.NAME_TAKEN
                or pod is None
                or not pod.ever_controlled_by(uid)
            ):
                return None
        return decisions[last][0]

    def still_until(self, rank: int) -> tuple[int, str]:
        """The first rank after `rank` at which a pod of the set, its spec or the set itself
        changed ("change"), or the recording's end ("end"): how long the set stood still."""
        sts = self.episode.statefulset
        ranks = self.index.pod_ranks
        found = [ranks[i]] if (i := bisect_right(ranks, rank)) < len(ranks) else []
        found += [s.rank for s in sts.specs if s.rank > rank][:1]
        found += [t.rank for t in sts.transitions if t.rank > rank and t.what != "created"][:1]
        if found:
            return min(found), "change"
        return len(self.ids_by_rank), "end"

    def stood_still(self, settled: Transition) -> tuple[int, float, str | None]:
        """After the settled step: the rank at which the set changed again (or the recording's
        end), how long it stood still (s), and, when that was under SETTLE_S, why a settle-time
        judgment cannot fail (the lead of its inconclusive reason); else None."""
        horizon, why = self.still_until(settled.rank)
        still_s = (self.wall_at_rank(horizon) - settled.received_wall_ns) / 1e9
        if still_s >= SETTLE_S:
            return horizon, still_s, None
        if why == "end":
            return horizon, still_s, f"{RECORDING_ENDED} {still_s:.1f} s after the pods settled"
        return horizon, still_s, f"{CHANGED_AGAIN} {still_s:.1f} s after its pods settled"

    @property
    def basis(self) -> str:
        """The ordering basis every verdict states."""
        return self.life.ordering.basis

    def own_pod(self, uid: str) -> PodIncarnation | None:
        """The set's own pod of this uid (None for another object or another set's pod)."""
        return self.index.by_uid.get(uid)

    def later_lower_ready(
        self, pod: PodIncarnation, after: int
    ) -> tuple[PodIncarnation, Transition] | None:
        """The last turn to Ready, between rank `after` and `pod`'s creation, of a pod below its
        predecessor that still stood at the creation: the pod processReplica waited on last
        when it was not the predecessor (the walk goes up from the lowest ordinal and returns
        at the first one not Running and Ready), as when a client deleted a lower pod too.
        O(steps of the set's pods in that span)."""
        ranks = self.index.pod_ranks
        found = None
        below = (pod.ordinal or 0) - 1
        for i in range(bisect_right(ranks, after), bisect_left(ranks, pod.created.rank)):
            rank = ranks[i]
            other = self.own_pod(self.changes[self.ids_by_rank[rank]].uid)
            if other is None or other.ordinal is None or other.ordinal >= below:
                continue
            if self.alive(other.ordinal, pod.created.rank) != other:
                continue
            step = other.step_at(rank)
            found = (other, step) if step is not None and step.what == "ready" else found
        return found

    @property
    def slots(self) -> dict[int, tuple[PodIncarnation, ...]]:
        """The episode's StatefulSet pods per ordinal."""
        return self.index.slots

    def cite(self, change_id: int, note: str) -> Evidence:
        """Evidence naming one recorded change."""
        changes = self.changes
        if type(changes) is ChangesById:  # the verify's own: the fields read off the columns
            return evidence(*changes.cited(change_id), note)
        c = changes[change_id]
        return Evidence(c.id, c.resource_version, c.received_wall_ns, c.kind, c.name, c.event, note)

    def cite_step(self, pod: PodIncarnation, step: Transition, note: str = "") -> Evidence:
        """Evidence for one pod transition, noted '<pod> <what>' unless a note is given."""
        return self.cite(step.change_id, note or f"{pod.name} {step.what}")

    def per_recreation(
        self,
        proof: str,
        recreations: list[Recreation],
        one: Callable[[Recreation], tuple[Outcome, str, list[Evidence]]],
    ) -> Verdict:
        """`one` decided for every recreation: a fail if any failed, else inconclusive if any
        was, else not-applicable if any was, else pass; the reason tells every recreation of
        that outcome (one not passing never hides another after it)."""
        decided = [one(recreation) for recreation in recreations]
        for wanted in ("fail", "inconclusive", "not-applicable", "pass"):
            told = [(reason, cited) for outcome, reason, cited in decided if outcome == wanted]
            if told:
                if wanted == "not-applicable":
                    # The recreations it held for are told too, not hidden behind the others.
                    told += [
                        (reason, cited) for outcome, reason, cited in decided if outcome == "pass"
                    ]
                reason = "; ".join(reason for reason, _ in told)
                return self.verdict(proof, wanted, reason, [e for _, c in told for e in c])
        return self.verdict(proof, "pass", "")

    def verdict(
        self, proof: str, outcome: Outcome, reason: str, evidence: Iterable[Evidence] = ()
    ) -> Verdict:
        """A verdict stating this context's basis (and, if inconclusive, what is missing)."""
        missing = missing_of(reason) if outcome == "inconclusive" else None
        return Verdict(proof, outcome, reason, self.basis, tuple(evidence), missing=missing)

    def created_in_window(self) -> list[PodIncarnation]:
        """Pods of the StatefulSet first created (not listed) inside the episode's window."""
        ranks = self.index.created_ranks
        first = bisect_left(ranks, self.episode.start_rank)
        last = bisect_left(ranks, self.episode.end_rank)
        return list(self.index.created[first:last])

    def new_pods(self) -> list[PodIncarnation]:
        """Pods this episode brought into being: created in the window, not replacing one in it."""
        found = []
        for pod in self.created_in_window():
            if self.claimed(pod):
                continue
            previous = self.previous(pod)
            if (
                previous is not None
                and (previous.deleted or pod.created).rank >= self.episode.start_rank
            ):
                continue
            found.append(pod)
        return found

    def creations(self) -> list[PodIncarnation]:
        """Every pod creation this episode owns: new pods and the new halves of recreations,
        not a pod created without a controller ownerReference (a client's: the controller
        creates its pods owned, newStatefulSetPod), even when the set adopted it later (found
        once an episode: several proofs ask; each gets its own list)."""
        if "creations" not in self.memo:
            pods = {p.uid: p for p in self.new_pods()}
            pods.update((r.new.uid, r.new) for r in self.recreations_in_window())
            ours = (p for p in pods.values() if not p.created_orphan)
            self.memo["creations"] = sorted(ours, key=lambda p: p.created.rank)
        found: list[PodIncarnation] = self.memo["creations"]  # type: ignore[assignment]
        return list(found)

    def scale_creations(self) -> list[PodIncarnation]:
        """`creations` less the pods created again after the controller deleted them for an
        update (`controller_reason` "update"): a template change in the scale's own patch runs
        its update step in the same window, and those recreations are the rollout's."""
        found = []
        for pod in self.creations():
            old = self.previous(pod)
            if old is not None and old.deleted is not None and pod.created.rank > old.deleted.rank:
                actor = self.deleted_by(old)
                by_controller = actor is not None and actor.who == causes.BY_CONTROLLER
                if by_controller and self.controller_reason(old) == "update":
                    continue
            found.append(pod)
        return found

    def previous(self, pod: PodIncarnation) -> PodIncarnation | None:
        """The incarnation before `pod` at its ordinal."""
        incs = self.slots.get(pod.ordinal, ()) if pod.ordinal is not None else ()
        index = self.index.position(pod)
        return incs[index - 1] if index > 0 else None

    def recreations_in_window(self) -> list[Recreation]:
        """(old, new) incarnations at one ordinal whose new one was created in the window.

        The old one may belong to an earlier StatefulSet of the same name (a replaced set's pods
        come back with the same names and claims).
        """
        if self.episode.recreation is not None:
            return [self.episode.recreation]
        inside = self.index.recreations_between(self.episode.start_rank, self.episode.end_rank)
        return [r for r in inside if not self.claimed(r.new)]

    def claimed(self, pod: PodIncarnation) -> bool:
        """True when another (pod-recreated) episode owns this pod's creation."""
        return any(e is not self.episode for e in self.recreated_in.get(pod.uid, ()))

    def alive(self, ordinal: int, rank: int) -> PodIncarnation | None:
        """The incarnation at `ordinal` that existed at `rank`, if any."""
        return self.index.alive(ordinal, rank)

    def gone_before(self, ordinal: int, rank: int) -> tuple[PodIncarnation, "Health"] | None:
        """For an ordinal with no pod at `rank`: its last incarnation created before, told as
        terminating from its deletion's start (what `held_call` asks of a pod a client deleted
        while a call was held); None when it never had one or its deletion is unknown."""
        incs = self.slots.get(ordinal, ())
        at = bisect_left(incs, rank, key=_created_rank)
        gone = incs[at - 1] if at else None
        began = gone.deletion_began if gone is not None else None
        if gone is None or began is None or began.rank >= rank:
            return None
        return gone, Health(False, "terminating", began)


@dataclass(frozen=True)
class Health:
    """Why a pod is or is not Running, Ready and Available at one moment (controller's words)."""

    ok: bool
    problem: str
    step: Transition | None  # the transition that put the pod in this state


def health(pod: PodIncarnation, rank: int, *, min_ready_seconds: int, at: float | None) -> Health:
    """`processReplica`'s stop (`pod_rules.halts_walk`: terminating, `isRunningAndReady`,
    `isRunningAndAvailable`) for `pod` just before `rank`.

    Availability is judged on the API's own clock: the Ready condition's lastTransitionTime plus
    minReadySeconds against `at` (the successor's creationTimestamp), as the controller does. When
    either is unknown the pod is taken as Available, and the problem says so.
    """
    terminating = pod.last_before(rank, ("terminating",))
    phase = pod.last_before(rank, PHASES)
    ready = pod.last_before(rank, ("ready", "unready"))
    is_ready = ready is not None and ready.what == "ready"
    since = None
    if ready is not None and is_ready and min_ready_seconds > 0:
        since = parse_time(pod.ready_since_at(ready, rank))
    known = since is not None and at is not None
    view = PodState(phase.what if phase else None, is_ready, since, terminating is not None)
    cause = halts_walk(view, min_ready_seconds=min_ready_seconds if known else 0, now=at or 0.0)
    if cause == causes.TERMINATING:
        return Health(False, "terminating", terminating)
    if cause == causes.NOT_RUNNING:
        what = phase.what if phase else "no phase"
        return Health(False, f"not Running ({what})", phase or pod.created)
    if cause == causes.NOT_READY:
        return Health(False, "not Ready", ready or phase)
    if cause == causes.NOT_AVAILABLE and since is not None and at is not None:
        held = at - since
        return Health(
            False,
            f"Ready {held:.0f}s < minReadySeconds={min_ready_seconds} (not Available)",
            ready,
        )
    if min_ready_seconds > 0 and not known:
        return Health(True, "Available unknown (no API timestamps)", ready)
    return Health(True, "", ready)


def unseen_by_cache(
    pod: PodIncarnation,
    state: Health,
    *,
    enabled_at: int,
    decision: Transition,
    min_ready_seconds: int,
    lag_ns: int = CACHE_LAG_NS,
) -> bool:
    """Whether the controller may have made `decision` on a cache in which `pod` was still healthy.

    The controller decides on its informer cache, not on the API (`updateStatefulSet` reads pods
    through the pod lister). One informer delivers a kind's changes in resourceVersion order, so a
    cache that shows the pod change ranked `enabled_at` (the condemned pod gone before this
    deletion, the predecessor Ready before this creation) also shows every earlier one. When
    `pod` was healthy until `state.step`, ranked after that change and at most `lag_ns`
    (received wall clock, ns; CACHE_LAG_NS) before the decision, the cache may not have had the
    step yet: acting on the healthy pod is the controller being right, not a broken guarantee.
    With SLOW_CALL_NS: the call may have been decided then and landed late (an admission webhook
    holding it).
    """
    step = state.step
    if state.ok or step is None or step.rank <= enabled_at:
        return False
    if not 0 <= decision.received_wall_ns - step.received_wall_ns <= lag_ns:
        return False
    return health(pod, step.rank, min_ready_seconds=min_ready_seconds, at=None).ok


def held_call(
    pod: PodIncarnation,
    state: Health,
    *,
    enabled_at: int,
    decision: Transition,
    min_ready_seconds: int,
) -> bool:
    """Whether the controller may have decided `decision` while `pod` was healthy, its call
    landing up to SLOW_CALL_NS later: an admission webhook holds a CREATE or DELETE up to its
    timeoutSeconds (at most 30 s), the client's throttling for seconds on a busy cluster, and the
    sync acts on what it read before the call (`unseen_by_cache` with that lag)."""
    return unseen_by_cache(
        pod,
        state,
        enabled_at=enabled_at,
        decision=decision,
        min_ready_seconds=min_ready_seconds,
        lag_ns=SLOW_CALL_NS,
    )


@dataclass(frozen=True)
class HeldCall:
    """A decision that fails judged at its call's landing but may have been made while the pod
    it needed healthy was (`held_call`): inconclusive, never failed."""

    reason: str
    evidence: list[Evidence]


def held_call_told(
    fail: str, *, call: str, decision: Transition, pod: PodIncarnation, state: Health, enabled: str
) -> str:
    """'would have been fail: web-4 deletion began while in-range web-0 was not Ready; web-0
    turned not Ready 7.8 s before, after the scale-down began: a DELETE decided while it was
    healthy and held that long (…) lands so, and the recording cannot tell when it was
    decided': the one way a held call (`held_call`) is told, `call` CREATE or DELETE."""
    turned = state.step.received_wall_ns if state.step is not None else decision.received_wall_ns
    since = (decision.received_wall_ns - turned) / 1e9
    what = "began terminating" if state.problem == "terminating" else f"turned {state.problem}"
    return (
        f"would have been fail: {fail}; {pod.name} {what} {since:.1f} s before, after {enabled}: "
        f"a {call} decided while it was healthy and held that long (an admission webhook's "
        "timeoutSeconds is up to 30 s, or the client's throttling) lands so, and the recording "
        "cannot tell when it was decided"
    )


Problem = tuple[str, list[Evidence]] | HeldCall | None


def judged(ctx: "ProofContext", proof: str, problems: Iterable[Problem]) -> Verdict | None:
    """The fail of the first plain problem, else the inconclusive verdict of the first held
    call, else None: a held call never hides a failure after it."""
    held: HeldCall | None = None
    for problem in problems:
        if isinstance(problem, HeldCall):
            held = held or problem
        elif problem is not None:
            return ctx.verdict(proof, "fail", problem[0], problem[1])
    return None if held is None else ctx.verdict(proof, "inconclusive", held.reason, held.evidence)


def race_note(
    what: str, decision: Transition, pod: PodIncarnation, state: Health, enabled: str
) -> str:
    """'web-3 deletion began 0.100 s after web-0 turned not Ready, after web-4 was gone: the
    controller's informer cache may not have shown it yet' (`unseen_by_cache` said so)."""
    turned = state.step.received_wall_ns if state.step is not None else decision.received_wall_ns
    after = (decision.received_wall_ns - turned) / 1e9
    return (
        f"{what} {after:.3f} s after {pod.name} turned {state.problem}, after {enabled}: the "
        "controller's informer cache may not have shown it yet"
    )


def overlapping_gap(ctx: ProofContext, verdict: Verdict, *, kinds: Iterable[str]) -> GapRef | None:
    """The first recorded gap of one of `kinds` overlapping the verdict's evidence window."""
    trigger = ctx.changes[ctx.episode.trigger_change_id].received_wall_ns
    times = [e.received_wall_ns for e in verdict.evidence] + [trigger]
    start, stop = min(times), max(times)
    wanted = set(kinds)
    for gap in ctx.gaps:
        if gap.kind in wanted and gap.from_wall_ns <= stop and gap.to_wall_ns >= start:
            return GapRef(gap.id, gap.kind, gap.reason, gap.from_wall_ns, gap.to_wall_ns)
    return None


# How a continuous recorder's retention names the history it deleted (stswatch.record.flight).
RETENTION = "retention:"
# The reason of a gap no record tells (`stswatch.reports.history.lifecycles` finds it).
SILENT = SILENT_GAP


def with_gaps(
    ctx: ProofContext, verdict: Verdict | None, *, kinds: Iterable[str]
) -> Verdict | None:
    """The verdict, or an inconclusive one naming the gap its evidence window overlaps."""
    if verdict is None or verdict.outcome == "not-applicable":
        return verdict
    gap = overlapping_gap(ctx, verdict, kinds=kinds)
    if gap is None:
        return verdict
    relisted = any(ctx.changes[e.change_id].observed == "relist" for e in verdict.evidence)
    how = (
        " by changes a relist recorded (in the list's order at the relist's time, not the order "
        "or time they happened)"
        if relisted and verdict.outcome in ("fail", "pass")
        else ""
    )
    reason = (
        f"{gap.kind} changes may be missing (gap #{gap.gap_id}, {gap.reason}) inside the evidence "
        f"window; would have been {verdict.outcome}{how}: {verdict.reason}"
    )
    return Verdict(
        verdict.proof,
        "inconclusive",
        reason,
        verdict.basis,
        verdict.evidence,
        gap,
        _gap_cause(gap.reason),
        verdict.marks,
    )


def _gap_cause(reason: str) -> str:
    """The `missing` word of a gap's reason: retention, a silent gap, or a recorded one."""
    if reason.startswith(RETENTION):
        return "retention"
    return "silent" if reason.startswith(SILENT) else "gap"
