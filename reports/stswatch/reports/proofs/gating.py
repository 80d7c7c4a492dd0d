"""OrderedReady gating: no pod is created while any lower ordinal is not Running and Ready.

`processReplica` (monotonic) stops the ascending walk at the first pod that is terminating, not
Running+Ready, or (minReadySeconds > 0) not yet Available, so a pod at index i is only created when
every in-range pod below it is healthy (`updateStatefulSet`, pkg/controller/statefulset). Missing
pods *below* an unhealthy one are still recreated; pods above it are left alone (the "halt" of
the e2e tests). Where the walk was held, for how long and until what is read from the
controller replay (`stswatch.reports.proofs.progress`), never guessed from the episode's two ends.
"""

from stswatch.reports import causes
from stswatch.reports.history.episodes import UPDATE_KINDS
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.objects import parse_ordinal, parse_time
from stswatch.reports.proofs import landed_late
from stswatch.reports.proofs.context import (
    Health,
    ProofContext,
    health,
    held_call,
    held_call_told,
    race_note,
    unseen_by_cache,
)
from stswatch.reports.proofs.holds import hold_clause
from stswatch.reports.proofs.progress import episode_progress
from stswatch.reports.proofs.scale_down import ready_count_note
from stswatch.reports.proofs.verdict import Evidence, Hold, Verdict

PROOF = "ordered-ready-gating"
KINDS = ("Pod", "StatefulSet")
_EPISODES = ("scale-up", "rolling-update", "ondelete-update", "pod-recreated")
CITED = 5  # violations cited in a verdict


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when every creation found each lower ordinal Running, Ready (and Available)."""
    if ctx.episode.kind not in _EPISODES:
        return None
    created = ctx.creations()
    # At most CITED violations a pod: no more are cited, and a burst of Parallel creations
    # would otherwise compare every pod with every lower one.
    raced: list[str] = []
    slow: list[tuple[str, list[Evidence]]] = []
    suspects = _suspects(ctx, created)
    per_pod, unready = [], []  # unready: the creations above an unready pod, held ones too
    for pod in suspects:
        held = len(slow)
        found = _violations(ctx, pod, raced, slow)
        if found or len(slow) > held:
            unready.append(found or slow[held:])
        if found:
            per_pod.append(found)
    violations = [v for found in per_pod for v in found]
    if ctx.episode.spec.pod_management_policy == "Parallel":
        reason = "Parallel: the controller does not gate creation on readiness (allowsBurst)"
        if unready:
            n = len(unready)
            reason += f"; {n} creation{'s' * (n > 1)} happened while a lower ordinal was unready"
        cited = [e for found in unready[:CITED] for e in found[0][1]]
        return ctx.verdict(PROOF, "not-applicable", reason, cited)
    if violations:
        first = violations[0]
        return ctx.verdict(
            PROOF,
            "fail",
            first[0],
            [e for _, evidence in violations[:CITED] for e in evidence],
        )
    if slow:
        # Each was right for a cache of up to SLOW_CALL_NS before it landed (`held_call`).
        reason = "; ".join(why for why, _ in slow[:CITED])
        return ctx.verdict(PROOF, "inconclusive", reason, [e for _, c in slow[:CITED] for e in c])
    holds = episode_progress(ctx).holds
    if not created and not holds:
        late = landed_late.told(ctx, landed_late.creations(ctx), "created")
        return ctx.verdict(PROOF, "not-applicable", "no pod was created in this episode" + late)
    # Each creation's gate is looked for since the one before it: O(the window's pod steps).
    since = [ctx.episode.start_rank, *(p.created.rank for p in created)][: len(created)]
    paired = zip(created, since, strict=True)
    evidence = [e for pod, after in paired for e in _pass_evidence(ctx, pod, after)]
    reason = _pass_reason(ctx, created) + "".join(f"; {note}" for note in raced[:CITED])
    for i, hold in enumerate(holds):
        # A hold another began inside of (a lower pod a client deleted, waited on first) did not
        # lead to the next creation: that one's release did.
        ended = hold.to_wall_ns
        overlapped = ended is not None and any(h.from_wall_ns < ended for h in holds[i + 1 :])
        clause = hold_clause(hold) if overlapped else _hold_clause(ctx, hold, created)
        reason += f"; {clause}"
        evidence.extend(hold.evidence)
    # A rollout's own verdict tells it (rolling-update): here, the scale-ups and recreations.
    told_by_rollout = ctx.episode.kind in UPDATE_KINDS
    reason += next(
        (
            note
            for h in holds
            if h.cause == causes.TERMINATING
            and not told_by_rollout
            and (note := ready_count_note(ctx, h.from_wall_ns, h.to_wall_ns))
        ),
        "",
    )
    return ctx.verdict(PROOF, "pass", reason, evidence)


def _hold_clause(ctx: ProofContext, hold: Hold, created: list[PodIncarnation]) -> str:
    """'held at web-2 (not Ready) for 6.1 s, until web-2 Ready, then web-3 created'; a halt
    says 'no successor created' only when an in-range ordinal above the held pod was missing."""
    clause = hold_clause(hold)
    if hold.to_wall_ns is None:
        return clause + (": no successor created" if _successor_missing(ctx, hold) else "")
    after = [p for p in created if p.created.received_wall_ns >= hold.to_wall_ns]
    if not after:
        return clause
    # What came next may be another pod than the episode's next creation: a held pod a client
    # deleted is created again first (a pod-recreated episode's), and the hold goes on.
    end = after[0].created.rank
    between = [
        p
        for incs in ctx.slots.values()
        for p in incs
        if p.created.received_wall_ns >= hold.to_wall_ns and p.created.rank < end
    ]
    if between:
        first = min(between, key=lambda p: p.created.rank)
        again = " again" if first.name == hold.pod else ""
        return clause + f", then {first.name} created{again}"
    if f"then {after[0].name} created" in hold.released_by:
        return clause  # released at the creation (the requeue after minReadySeconds)
    return clause + f", then {after[0].name} created"


def _successor_missing(ctx: ProofContext, hold: Hold) -> bool:
    """Whether an in-range ordinal above the held pod was missing when the episode ended."""
    parsed = parse_ordinal(hold.pod)
    spec = ctx.episode.spec
    end = ctx.episode.end_rank - 1
    above = range((parsed[1] if parsed else -1) + 1, spec.end_ordinal)
    return any(ctx.alive(ordinal, end) is None for ordinal in above)


def _pass_reason(ctx: ProofContext, created: list[PodIncarnation]) -> str:
    available = ctx.episode.spec.min_ready_seconds
    changed = ctx.min_ready_changes()
    if changed:
        # minReadySeconds changed in the window: each creation judged with the value then.
        then = "".join(f", then {value}s from #{change_id}" for change_id, value in changed)
        gate = f"Running and Ready and Available ({available}s{then})"
    else:
        gate = "Running and Ready" + (f" and Available ({available}s)" if available else "")
    if not created:
        return "no pod was created"
    count = f"{len(created)} creation" + ("s" if len(created) > 1 else "")
    return f"{count}, each after every lower ordinal was {gate}"


def _suspects(ctx: ProofContext, created: list[PodIncarnation]) -> list[PodIncarnation]:
    """Creations the replayed walk says came above an unhealthy ordinal (all, with minReady)."""
    if ctx.episode.spec.min_ready_seconds > 0 or ctx.min_ready_changes():
        return created  # Available depends on API timestamps: check each pair
    lowest = ctx.index.lowest_unhealthy(ctx.episode.spec.start_ordinal)
    return [p for p in created if p.ordinal is not None and lowest[p.created.rank] < p.ordinal]


def _violations(
    ctx: ProofContext,
    pod: PodIncarnation,
    raced: list[str],
    slow: list[tuple[str, list[Evidence]]],
) -> list[tuple[str, list[Evidence]]]:
    """The lower ordinals `pod`'s creation found unhealthy, at most CITED. One that turned
    unhealthy after the creation's enabling change (its predecessor Ready, else the episode's
    start) and just before it may not have been in the controller's cache (`unseen_by_cache`):
    told in `raced`, not held against the controller."""
    if pod.ordinal is None:
        return []
    rank = pod.created.rank
    enabled_at, enabled = _enabled(ctx, pod)
    at = parse_time(pod.created.api_time)
    start = ctx.episode.spec.start_ordinal
    found: list[tuple[str, list[Evidence]]] = []
    created = ctx.cite_step(pod, pod.created, f"{pod.name} created")
    # The minReadySeconds of the spec the creating sync read, when the status it wrote right
    # after says it read one older than the spec in force when the CREATE landed.
    read = ctx.episode.statefulset.read_by_sync(rank)
    minimum = read.min_ready_seconds if read is not None else ctx.min_ready_at(rank)
    for ordinal in range(start, pod.ordinal):
        if len(found) >= CITED:
            break
        lower = ctx.alive(ordinal, rank)
        if lower is None:
            held, missing = _missing(ctx, pod, ordinal, (enabled_at, enabled), created)
            (slow if held else found).append(missing)
            continue
        uid = ctx.episode.statefulset.uid
        released = [t for t in lower.releases(uid) if t.rank < rank]
        if released and lower.controller_at(rank) != uid:
            # No longer the set's (not adopted back): its ordinal is missing to the controller.
            gone = released[-1].change_id
            why = (
                f"{pod.name} was created while {lower.name} was not the set's (released at "
                f"#{gone}) and not yet created again"
            )
            cited = ctx.cite(gone, f"{lower.name} released by the set")
            found.append((why, [cited, created]))
            continue
        state = health(lower, rank, min_ready_seconds=minimum, at=at)
        if unseen_by_cache(
            lower, state, enabled_at=enabled_at, decision=pod.created, min_ready_seconds=minimum
        ):
            raced.append(race_note(f"{pod.name} was created", pod.created, lower, state, enabled))
            continue
        if not state.ok:
            step = state.step or lower.created
            since = (pod.created.received_wall_ns - step.received_wall_ns) / 1e9
            # How long before: a few ms can be the controller's informer cache lagging a flap.
            note = f"{lower.name} {step.what}: {state.problem}, {since:.3f}s before"
            cause = ctx.cite_step(lower, step, note)
            reason = f"{pod.name} was created while {lower.name} was {state.problem}"
            if held_call(
                lower, state, enabled_at=enabled_at, decision=pod.created,
                min_ready_seconds=minimum,
            ):  # fmt: skip
                told = held_call_told(
                    reason, call="CREATE", decision=pod.created, pod=lower, state=state,
                    enabled=enabled,
                )  # fmt: skip
                slow.append((told, [cause, created]))
                continue
            found.append((reason, [cause, created]))
    return found


def _missing(
    ctx: ProofContext,
    pod: PodIncarnation,
    ordinal: int,
    enabled: tuple[int, str],
    created: Evidence,
) -> tuple[bool, tuple[str, list[Evidence]]]:
    """'web-3 was created while web-1 did not exist', and whether its CREATE may have been
    decided while web-1 was there and healthy and held since (`held_call`): the reason then
    says so."""
    rank = pod.created.rank
    reason = f"{pod.name} was created while {ctx.episode.statefulset.name}-{ordinal} did not exist"
    gone = ctx.gone_before(ordinal, rank)
    if gone is None:
        return False, (reason, [created])
    previous, state = gone
    minimum = ctx.min_ready_at(rank)
    if not held_call(
        previous, state, enabled_at=enabled[0], decision=pod.created, min_ready_seconds=minimum
    ):
        return False, (reason, [created])
    began = state.step or previous.created
    cause = ctx.cite_step(previous, began, f"{previous.name} deletion began")
    told = held_call_told(
        reason, call="CREATE", decision=pod.created, pod=previous, state=state, enabled=enabled[1]
    )
    return True, (told, [cause, created])


def _enabled(ctx: ProofContext, pod: PodIncarnation) -> tuple[int, str]:
    """The change a cache must have shown for the controller to create `pod`: its predecessor's
    last turn to Ready before it (processReplica walks up from the lowest ordinal), else the
    episode's start; for a pod other than the one a pod-recreated episode recreates, the spec
    in force (that episode began with a deletion the creating sync need not have seen)."""
    episode = ctx.episode
    start, began = episode.start_rank, "the episode began"
    recreated = episode.recreation is not None and episode.recreation.new is pod
    if episode.kind == "pod-recreated" and not recreated and episode.spec.rank < start:
        start = episode.spec.rank
        began = f"the spec in force was set (#{episode.spec.change_id})"
    if pod.ordinal is None or pod.ordinal <= episode.spec.start_ordinal:
        return start, began
    predecessor = ctx.alive(pod.ordinal - 1, pod.created.rank)
    ready = predecessor.last_before(pod.created.rank, ("ready",)) if predecessor else None
    if predecessor is None or ready is None or ready.rank < start:
        return start, began
    return ready.rank, f"{predecessor.name} was Ready"


def _health(ctx: ProofContext, pod: PodIncarnation, rank: int, at: float | None) -> Health:
    return health(pod, rank, min_ready_seconds=ctx.min_ready_at(rank), at=at)


def _pass_evidence(ctx: ProofContext, pod: PodIncarnation, since: int) -> list[Evidence]:
    evidence = []
    if pod.ordinal is not None and pod.ordinal > ctx.episode.spec.start_ordinal:
        predecessor = ctx.alive(pod.ordinal - 1, pod.created.rank)
        ready = predecessor.last_before(pod.created.rank, ("ready",)) if predecessor else None
        if predecessor is not None and ready is not None:
            gate = ctx.later_lower_ready(pod, max(ready.rank, since))
            predecessor, ready = gate if gate is not None else (predecessor, ready)
            evidence.append(ctx.cite_step(predecessor, ready, f"{predecessor.name} Ready"))
    evidence.append(ctx.cite_step(pod, pod.created, f"{pod.name} created"))
    return evidence
