"""The controller's calls an episode decided that landed after it ended.

A sync decides on the spec it read and makes its calls one after another; an admission webhook
holding a call, or the controller's client throttling itself (--kube-api-qps), lands one seconds
later, after a client changed the set again: the creation or deletion then falls in the next
episode's window. `updateStatefulSetStatus` ends every sync by writing the generation it read
(status.observedGeneration), and one set's syncs never overlap (one worker a key): a status
right after such a call that observed this episode's generation, older than the one in force
when the call landed, proves the call was this episode's decision.
"""

from bisect import bisect_left
from collections.abc import Iterable

from stswatch.reports import causes
from stswatch.reports.history.informer import SLOW_CALL_NS
from stswatch.reports.history.lifecycles import PodIncarnation, Transition
from stswatch.reports.history.statefulsets import StatusVersion
from stswatch.reports.proofs.context import ProofContext

Act = tuple[PodIncarnation, Transition, StatusVersion]
_PROMPT_NS = 1_000_000_000  # an act landing this soon after the next spec: no slow call needed


def creations(ctx: ProofContext) -> list[Act]:
    """The pods the controller created after the episode ended (within SLOW_CALL_NS) by a sync
    that read this episode's spec."""
    index, end = ctx.index, ctx.episode.end_rank
    found = []
    for at in range(bisect_left(index.created_ranks, end), len(index.created)):
        pod = index.created[at]
        if not _soon(ctx, pod.created):
            break
        if not pod.created_orphan:
            act = _decided_here(ctx, pod, pod.created)
            if act is not None:
                found.append(act)
    return found


def deletions(ctx: ProofContext, ordinals: Iterable[int]) -> list[Act]:
    """The pods at `ordinals` the controller began deleting after the episode ended (within
    SLOW_CALL_NS) by a sync that read this episode's spec."""
    found = []
    for ordinal in ordinals:
        pod = ctx.alive(ordinal, ctx.episode.end_rank - 1)
        began = pod.deletion_began if pod is not None else None
        if pod is None or began is None or began.rank < ctx.episode.end_rank:
            continue
        actor = ctx.deleted_by(pod)
        if actor is None or actor.who != causes.BY_CONTROLLER:
            continue
        act = _decided_here(ctx, pod, began)
        if act is not None and _soon(ctx, began):
            found.append(act)
    return found


def told(ctx: ProofContext, acts: list[Act], did: str) -> str:
    """'; web-3 was created 8.0 s after this episode ended (#170), in the next one's window, by
    the sync that read this spec (its status right after, #174, observed generation 2): a call
    that landed late (an admission webhook, the client's throttling)'."""
    ended = ctx.wall_at_rank(ctx.episode.end_rank)
    return "".join(
        f"; {pod.name} was {did} {(step.received_wall_ns - ended) / 1e9:.1f} s after this "
        f"episode ended (#{step.change_id}), in the next one's window, by the sync that read "
        f"this spec (its status right after, #{status.change_id}, observed generation "
        f"{status.observed_generation}): {_why_late(step.received_wall_ns - ended)}"
        for pod, step, status in acts
    )


def _why_late(after_ns: int) -> str:
    if after_ns < _PROMPT_NS:  # as soon as that: the sync began before the next spec reached it
        return (
            "a sync that read the spec before the next change reached the controller's informer "
            "cache"
        )
    return "a call that landed late (an admission webhook, the client's throttling)"


def _soon(ctx: ProofContext, step: Transition) -> bool:
    return step.received_wall_ns - ctx.wall_at_rank(ctx.episode.end_rank) <= SLOW_CALL_NS


def _decided_here(ctx: ProofContext, pod: PodIncarnation, step: Transition) -> Act | None:
    """The act, when the sync that took it read this episode's spec (`read_by_sync`)."""
    sts, spec = ctx.episode.statefulset, ctx.episode.spec
    read = sts.read_by_sync(step.rank)
    status = sts.status_after(step.rank)
    if read is None or status is None or read.generation != spec.generation:
        return None
    return pod, step, status
