"""Where an OrderedReady scale-up's walk stopped: the held pod no successor was created behind.

`processReplica` (monotonic) returns at the first in-range pod that is not Running and Ready, so
while such a pod sits below a missing ordinal nothing above it is created (the e2e "halt" case,
STATEFULSET.md Q1 and Q11). This finds that pod at the start and at the end of an episode.
"""

from reports.lifecycle import PodIncarnation, Transition
from reports.proofs.context import Health, ProofContext, health
from reports.verdict import Evidence


def blocker(ctx: ProofContext, rank: int) -> tuple[PodIncarnation, Health, int] | None:
    """The lowest existing unhealthy pod below a missing ordinal at `rank`, and how many miss."""
    spec = ctx.episode.spec
    in_range = range(spec.start_ordinal, spec.start_ordinal + spec.replicas)
    missing = [o for o in in_range if ctx.alive(o, rank) is None]
    for ordinal in in_range:
        if not missing or ordinal > missing[-1]:
            return None
        pod = ctx.alive(ordinal, rank)
        if pod is None:
            continue
        state = health(pod, rank, min_ready_seconds=spec.min_ready_seconds, at=None)
        if not state.ok:
            return pod, state, len(missing)
    return None


def held(ctx: ProofContext) -> tuple[str, list[Evidence]] | None:
    """The held pod of this episode, as a reason clause and its evidence; None if never held."""
    episode = ctx.episode
    at_end = blocker(ctx, episode.end_rank)
    if at_end is not None:
        pod, state, missing = at_end
        step = state.step or pod.created
        reason = (
            f"halted at {pod.name} ({state.problem}): no successor created while it was unready "
            f"({missing} of {episode.spec.replicas} pods missing)"
        )
        return reason, [ctx.cite_step(pod, step, f"{pod.name} {step.what}: {state.problem} (held)")]
    at_start = blocker(ctx, episode.start_rank + 1)
    if at_start is None:
        return None
    pod, state, _ = at_start
    step = state.step or pod.created
    evidence = [ctx.cite_step(pod, step, f"{pod.name} {step.what}: {state.problem} (held)")]
    release = _release(pod, episode.start_rank)
    reason = f"held at {pod.name} ({state.problem}) when the scale-up began"
    if release is not None:
        evidence.append(ctx.cite_step(pod, release, f"{pod.name} Ready again (released)"))
        after = [p for p in ctx.new_pods() if (p.ordinal or 0) > (pod.ordinal or 0)]
        if after:
            first = after[0]
            evidence.append(ctx.cite_step(first, first.created, f"{first.name} created after"))
            waited = (
                release.received_wall_ns - ctx.changes[episode.trigger_change_id].received_wall_ns
            ) / 1e9
            reason += (
                f"; no successor created until it was Ready again {waited:.1f}s later, "
                f"then {first.name}"
            )
    return reason, evidence


def _release(pod: PodIncarnation, rank: int) -> Transition | None:
    return next((t for t in pod.transitions if t.rank > rank and t.what == "ready"), None)
