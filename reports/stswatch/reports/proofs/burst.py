"""The one order Parallel keeps: `runForAll(pods, fn, monotonic=false)` runs
`slowStartBatch(1, len(pods), fn)`, goroutine batches of 1, 2, 4, … (at most `MaxBatchSize`,
500) over the slice in index order. A batch starts only once every call of the batch before it
returned, and none starts after a batch with an error. The replicas slice holds one slot per
ordinal in range, by index (ordinal - spec.ordinals.start), so within one sync a missing pod of an
earlier batch is created before any pod of a later one; within a batch there is no order.

Upstream: pkg/controller/statefulset/stateful_set_control.go (`runForAll`, `processReplica`) and
pkg/controller/statefulset/stateful_set_utils.go (`slowStartBatch`).
"""

from bisect import bisect_left

from stswatch.reports.history.informer import CACHE_LAG_NS
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.verdict import Evidence

MAX_BATCH = 500  # MaxBatchSize in stateful_set_utils.go
WORDS = "in slowStartBatch batches of 1, 2, 4, … in ordinal order, with no order within a batch"


def batch(index: int) -> int:
    """The slowStartBatch batch (0 first) that runs slice index `index` (>= 0)."""
    size, first, number = 1, 0, 0
    while index >= first + size:
        first += size
        size = min(2 * size, MAX_BATCH)
        number += 1
    return number


def created_out_of_batch(
    ctx: ProofContext, pods: list[PodIncarnation]
) -> tuple[str, list[Evidence]] | None:
    """The first of the episode's creations that a Parallel sync could not have made: a pod
    created while a lower ordinal of an earlier batch, in range, had had no pod for longer than
    the informer cache's lag (so every sync saw it missing and had to create it first) and was
    created only after it. None when every creation fits the batches.

    Not judged (no sync order can be told): a spec whose ordinals.start changed within the
    episode (the indices moved), a PVC retention policy deleting claims (`processReplica` skips,
    without an error, a pod whose claim is stale: `PodClaimIsStale`)."""
    episode = ctx.episode
    sts = episode.statefulset
    first = bisect_left(sts.specs, episode.start_rank, key=lambda v: v.rank)
    last = bisect_left(sts.specs, episode.end_rank, key=lambda v: v.rank)
    specs = [sts.spec_at(episode.start_rank), *sts.specs[first:last]]
    if len({s.start_ordinal for s in specs}) != 1:
        return None
    if any("Delete" in (s.when_scaled, s.when_deleted) for s in specs):
        return None
    start = specs[0].start_ordinal
    latest: dict[int, PodIncarnation] = {}  # batch -> the latest of its pods created so far
    for pod in sorted(pods, key=lambda p: p.created.rank):
        if pod.ordinal is None or pod.ordinal < start:
            continue
        own = batch(pod.ordinal - start)
        later = [(b, p) for b, p in latest.items() if b > own]
        if later:
            other, before = max(later, key=lambda pair: pair[1].created.rank)
            if _missing(ctx, pod, before):
                return _told(ctx, pod, before, own, other)
        latest[own] = pod
    return None


def _missing(ctx: ProofContext, pod: PodIncarnation, before: PodIncarnation) -> bool:
    """True when every sync that could have created `before` saw `pod`'s ordinal in range and
    without a pod: no pod of that name alive when `before` was created, the last one gone longer
    than the informer cache's lag before."""
    at = before.created
    sts = ctx.episode.statefulset
    if pod.ordinal is None or not all(
        s.in_range(pod.ordinal) for s in sts.specs_seen(at.rank, at.received_wall_ns)
    ):
        return False
    for other in ctx.life.set_pods(pod.namespace, sts.name).get(pod.ordinal, ()):
        if other is pod or other.created.rank > at.rank:
            continue
        gone = other.deleted
        if gone is None or gone.rank > at.rank:
            return False  # alive then: the sync had a pod at this ordinal
        if gone.received_wall_ns > at.received_wall_ns - CACHE_LAG_NS:
            return False  # gone too recently: a sync may still have held it
    return True


def _told(
    ctx: ProofContext, pod: PodIncarnation, before: PodIncarnation, own: int, later: int
) -> tuple[str, list[Evidence]]:
    reason = (
        f"{before.name} was created before {pod.name}, though {pod.name} was missing and in "
        f"range: Parallel creates {WORDS} (runForAll, slowStartBatch), and {pod.name} is in "
        f"batch {own + 1}, {before.name} in batch {later + 1}, so the sync that created "
        f"{before.name} had created {pod.name} first"
    )
    return reason, [
        ctx.cite_step(before, before.created, f"{before.name} created"),
        ctx.cite_step(pod, pod.created, f"{pod.name} created after it"),
    ]
