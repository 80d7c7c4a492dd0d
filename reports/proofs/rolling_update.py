"""Rolling update: old-revision pods replaced from the highest ordinal down to the partition.

The default update loop (MaxUnavailableStatefulSet gate off) deletes at most one pod per sync,
walking `target` from the highest index down to `partition`, and returns while the replaced pod
is unavailable; so each replacement must be Running, Ready and Available before the next lower
ordinal is deleted. Pods below the partition are never deleted for the update (STATEFULSET.md Q4).
With `maxUnavailable` > 1 the gate may allow several at once; then only the order is checked.
"""

from dataclasses import dataclass
from itertools import pairwise

from reports.lifecycle import PodIncarnation, Transition
from reports.objects import parse_time
from reports.proofs.context import ProofContext, health
from reports.proofs.scale_down import began
from reports.verdict import Evidence, Verdict

PROOF = "rolling-update"
KINDS = ("Pod", "StatefulSet")


@dataclass(frozen=True)
class Replacement:
    """One old-revision pod, when its deletion began, and the pod that replaced it."""

    old: PodIncarnation
    deletion: Transition
    new: PodIncarnation | None


def update_revision(ctx: ProofContext) -> str | None:
    """The revision the rollout moves pods to, from the first status that observed the change."""
    spec = ctx.episode.spec
    for status in ctx.episode.statefulset.statuses:
        if not ctx.episode.contains(status.rank):
            continue
        if spec.generation is None or (status.observed_generation or 0) >= spec.generation:
            return status.update_revision
    return None


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when replacements go highest ordinal first, each Ready before the next deletion."""
    spec = ctx.episode.spec
    if ctx.episode.kind != "rolling-update":
        return None
    if spec.update_strategy == "OnDelete":
        return ctx.verdict(PROOF, "not-applicable", "OnDelete: pods are replaced only by hand")
    revision = update_revision(ctx)
    replaced = _replacements(ctx, revision)
    below = _below_partition(ctx, revision)
    if below is not None:
        return below
    if not replaced:
        return ctx.verdict(
            PROOF, "not-applicable", f"no old-revision pod at or above partition {spec.partition}"
        )
    for earlier, later in pairwise(replaced):
        problem = _problem(ctx, earlier, later)
        if problem is not None:
            return ctx.verdict(PROOF, "fail", problem[0], problem[1])
    evidence = [e for r in replaced for e in _cited(ctx, r)]
    names = ", ".join(r.old.name for r in replaced)
    reason = f"replaced from the highest ordinal down to partition {spec.partition}: {names}"
    if not _one_at_a_time(ctx):
        reason += f" (maxUnavailable={spec.max_unavailable}: order checked, not one-at-a-time)"
    return ctx.verdict(PROOF, "pass", reason, evidence)


def _one_at_a_time(ctx: ProofContext) -> bool:
    return ctx.episode.spec.max_unavailable in (None, "1")


def _replacements(ctx: ProofContext, revision: str | None) -> list[Replacement]:
    spec = ctx.episode.spec
    found = []
    lowest = spec.start_ordinal + spec.partition
    for ordinal in range(lowest, spec.start_ordinal + spec.replicas):
        old = ctx.alive(ordinal, ctx.episode.start_rank)
        if old is None or (revision is not None and old.revision == revision):
            continue
        deletion = began(old)
        if deletion is None or not ctx.episode.contains(deletion.rank):
            continue
        incs = ctx.slots.get(ordinal, ())
        later = [p for p in incs if p.created.rank > deletion.rank]
        found.append(Replacement(old, deletion, later[0] if later else None))
    return sorted(found, key=lambda r: r.deletion.rank)


def _problem(
    ctx: ProofContext, earlier: Replacement, later: Replacement
) -> tuple[str, list[Evidence]] | None:
    if (later.old.ordinal or 0) > (earlier.old.ordinal or 0):
        return f"{later.old.name} was replaced after {earlier.old.name}: ordinals ascending", [
            ctx.cite_step(earlier.old, earlier.deletion, f"{earlier.old.name} deletion began"),
            ctx.cite_step(later.old, later.deletion, f"{later.old.name} deletion began after it"),
        ]
    if not _one_at_a_time(ctx):
        return None
    rank = later.deletion.rank
    new = earlier.new
    at = parse_time(later.deletion.api_time)
    minimum = ctx.episode.spec.min_ready_seconds
    state = health(new, rank, min_ready_seconds=minimum, at=at) if new else None
    if state is not None and state.ok:
        return None
    what = state.problem if state else "not yet created"
    name = new.name if new else earlier.old.name
    cited = [ctx.cite_step(later.old, later.deletion, f"{later.old.name} deletion began")]
    if new is not None and state is not None and state.step is not None:
        cited.insert(0, ctx.cite_step(new, state.step, f"new {new.name} {state.step.what}"))
    reason = f"{later.old.name} was deleted while the replacement {name} was {what}"
    return reason, cited


def _below_partition(ctx: ProofContext, revision: str | None) -> Verdict | None:
    spec = ctx.episode.spec
    if revision is None:
        return None
    for ordinal in range(spec.start_ordinal, spec.start_ordinal + spec.partition):
        for pod in ctx.slots.get(ordinal, ()):
            current = ctx.episode.statefulset.status_at(pod.created.rank)
            stale = current is not None and current.current_revision == revision
            if ctx.episode.contains(pod.created.rank) and pod.revision == revision and not stale:
                return ctx.verdict(
                    PROOF,
                    "fail",
                    f"{pod.name} is below partition {spec.partition} but came back at the "
                    f"update revision {revision}",
                    [ctx.cite_step(pod, pod.created, f"{pod.name} created at {revision}")],
                )
    return None


def _cited(ctx: ProofContext, r: Replacement) -> list[Evidence]:
    cited = [ctx.cite_step(r.old, r.deletion, f"{r.old.name} ({r.old.revision}) deletion began")]
    if r.new is not None:
        cited.append(
            ctx.cite_step(r.new, r.new.created, f"{r.new.name} ({r.new.revision}) created")
        )
        ready = r.new.first("ready")
        if ready is not None:
            cited.append(ctx.cite_step(r.new, ready, f"{r.new.name} Ready"))
    return cited
