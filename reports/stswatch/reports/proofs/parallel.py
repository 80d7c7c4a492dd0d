"""Parallel, described: what the burst policy did, since it promises no order (`allowsBurst`).

With `podManagementPolicy: Parallel` the controller creates every missing pod and deletes every
condemned pod in `slowStartBatch` batches, never waiting on readiness or termination. This proof
measures instead of judging: burst width (pods created before the first became Ready), time to
all Ready, and how many condemned pods were terminating at once.
"""

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs import landed_late
from stswatch.reports.proofs.context import NOTABLE_S, ProofContext
from stswatch.reports.proofs.finalizers import kept_note, waited_for_predecessors
from stswatch.reports.proofs.force_deletion import cut_short
from stswatch.reports.proofs.holds import hold_clause, slow_to_ready
from stswatch.reports.proofs.progress import episode_progress
from stswatch.reports.proofs.refused import REFUSED
from stswatch.reports.proofs.scale_down import (
    already_deleting,
    condemned,
    late_created,
    ready_count_note,
)
from stswatch.reports.proofs.unseen_deletion import already_deleting as deleted_unseen
from stswatch.reports.proofs.unseen_deletion import listed_terminating, none_begun
from stswatch.reports.proofs.verdict import Evidence, Verdict

PROOF = "parallel-described"
KINDS = ("Pod", "StatefulSet")


def decide(ctx: ProofContext) -> Verdict | None:
    """Describe a Parallel scale-up or scale-down."""
    episode = ctx.episode
    if episode.spec.pod_management_policy != "Parallel":
        return None
    if episode.kind == "scale-up":
        return _scale_up(ctx)
    if episode.kind == "scale-down":
        return _scale_down(ctx)
    return None


def _seconds(ctx: ProofContext, wall_ns: int) -> float:
    start = ctx.changes[ctx.episode.trigger_change_id].received_wall_ns
    return (wall_ns - start) / 1e9


def _scale_up(ctx: ProofContext) -> Verdict:
    # A condemned pod the scale-up took back is created here too; an update's recreation is not.
    pods = ctx.scale_creations()
    if not pods:
        late = landed_late.told(ctx, landed_late.creations(ctx), "created")
        return ctx.verdict(PROOF, "not-applicable", "no pod was created in this episode" + late)
    # A pod turning Ready once its deletion began (a real kubelet keeps probing a Terminating
    # pod), or after the episode, is not the scale-up's.
    end = ctx.episode.end_rank
    readies = [
        (p, r)
        for p in pods
        if (r := p.first("ready")) is not None
        and r.rank < end
        and (p.terminating is None or r.rank < p.terminating.rank)
    ]
    first_ready = min((r.rank for _, r in readies), default=None)
    burst = [p for p in pods if first_ready is None or p.created.rank < first_ready]
    evidence = [ctx.cite_step(p, p.created, f"{p.name} created") for p in pods]
    reason = f"burst width {len(burst)} ({len(burst)} of {len(pods)} created before any was Ready)"
    if readies:
        first = min(readies, key=lambda pr: pr[1].rank)
        last = max(readies, key=lambda pr: pr[1].rank)
        evidence.append(ctx.cite_step(first[0], first[1], f"{first[0].name} Ready first"))
        if last[0] is not first[0]:  # by pod (each is once in `readies`), not by the pair
            evidence.append(ctx.cite_step(last[0], last[1], f"{last[0].name} Ready last"))
    if len(readies) == len(pods):
        took = _seconds(ctx, max(r.received_wall_ns for _, r in readies))
        reason += f"; all Ready {took:.2f}s after the scale-up" + _slowest(ctx, readies, evidence)
    else:
        reason += f"; {len(readies)} of {len(pods)} became Ready within the episode"
        gone = [p.name for p in pods if p not in {q for q, _ in readies} and p.terminating]
        if gone:
            reason += f" ({', '.join(gone)} deleted before Ready)"
    reason += waited_for_predecessors(ctx, evidence) + _refused(ctx, evidence)
    return ctx.verdict(PROOF, "pass", reason + "; gating not applicable", evidence)


def _slowest(
    ctx: ProofContext,
    readies: list[tuple[PodIncarnation, Transition]],
    evidence: list[Evidence],
) -> str:
    """', web-1 last, 15.8 s after it was created: init container init in the kubelet's
    CrashLoopBackOff, …': why the last pod to turn Ready took a notable time, when its recording
    says (no hold tells it: under Parallel nothing waits on it)."""
    pod, ready = max(readies, key=lambda pr: pr[1].rank)
    took = (ready.received_wall_ns - pod.created.received_wall_ns) / 1e9
    if took < NOTABLE_S:
        return ""
    why, cited = slow_to_ready(ctx, pod, ready)
    if not why:
        return ""
    evidence += cited
    return f", {pod.name} last, {took:.1f} s after it was created: {why}"


def _scale_down(ctx: ProofContext) -> Verdict:
    start = ctx.episode.start_rank
    condemned_pods = condemned(ctx)
    # Terminating when a list found them inside the episode: when their deletion began is unseen.
    unseen = [p for p in condemned_pods if listed_terminating(p) and p.created.rank >= start]
    listed = {p.uid for p in unseen}
    pods = sorted(
        (
            p
            for p in condemned_pods
            if (b := p.deletion_began) is not None and b.rank >= start and p.uid not in listed
        ),
        key=lambda p: (p.deletion_began or p.created).rank,
    )
    already, already_cited = already_deleting(ctx, condemned_pods)
    already += deleted_unseen(ctx, unseen)
    if not pods:
        none = none_begun(ctx, unseen) or "no condemned pod was deleted in this episode"
        return ctx.verdict(PROOF, "not-applicable", none + already, already_cited)
    widest = _concurrency(pods)
    evidence: list[Evidence] = []
    for pod in pods:
        evidence.extend(
            ctx.cite_step(pod, s) for s in (pod.deletion_began, pod.deleted) if s is not None
        )
    plural = "s" * (len(pods) != 1)
    reason = f"{len(pods)} condemned pod{plural}, up to {widest} terminating at once"
    gone = [p.deleted for p in pods if p.deleted is not None]
    if len(gone) == len(pods):
        took = _seconds(ctx, max(g.received_wall_ns for g in gone))
        reason += f"; all gone {took:.2f}s after the scale-down"
    for pod in pods:
        reason += kept_note(ctx, pod, evidence)
        reason += cut_short(ctx, pod, evidence, purpose="the scale-down")
    reason += _ready_counted(ctx, pods) + already + late_created(ctx, condemned_pods)
    reason += _refused(ctx, evidence)
    return ctx.verdict(PROOF, "pass", reason, evidence + already_cited)


def _refused(ctx: ProofContext, evidence: list[Evidence]) -> str:
    """'; held at web-4 (creation refused: FailedCreate recorded 12 times (…)) for 16.3 s, until
    web-4 created': the burst is the controller's, but a refused call (a quota, an admission
    policy) narrows it, and slowStartBatch stops at a batch with an error."""
    told = [h for h in episode_progress(ctx).holds if h.cause in REFUSED]
    for hold in told:
        evidence.extend(hold.evidence)
    return "".join(f"; {hold_clause(hold)}" for hold in told)


def _ready_counted(ctx: ProofContext, pods: list[PodIncarnation]) -> str:
    """The kubernetes#86209 note for the first condemned pod that stood Terminating a notable
    time while status counted it Ready (under Parallel nothing waits on it, so no hold tells
    it; the moments every deleted pod is counted before its kubelet stops it are not told)."""
    for pod in pods:
        start = pod.deletion_began
        if start is None or start.what != "terminating":
            continue
        end = pod.deleted.received_wall_ns if pod.deleted is not None else None
        stood = (end if end is not None else ctx.recording_end_ns) - start.received_wall_ns
        if stood < NOTABLE_S * 1e9:
            continue
        note = ready_count_note(ctx, start.received_wall_ns, end)
        if note:
            return note
    return ""


def _concurrency(pods: list[PodIncarnation]) -> int:
    """Most pods between deletion begun and gone at one moment."""
    moments: list[tuple[int, int]] = []
    for pod in pods:
        start = pod.deletion_began
        if start is not None:
            moments.append((start.rank, 1))
            moments.append(((pod.deleted.rank if pod.deleted else 1 << 62) + 1, -1))
    widest = current = 0
    for _, delta in sorted(moments):
        current += delta
        widest = max(widest, current)
    return widest
