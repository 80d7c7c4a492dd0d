"""The pods a StatefulSet's deletion released rather than removed (propagationPolicy Orphan: the
garbage collector's `orphanDependents` takes the set's controllerRef off each), read by the
deletion verdict and by the progress of the episode."""

from dataclasses import dataclass

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.proofs.context import ProofContext


@dataclass(frozen=True)
class Orphan:
    """When a pod stopped being the deleted set's: the rank, and the change that showed it (None
    when it already was not the set's when the deletion ended)."""

    rank: int
    change_id: int | None


def orphaned(ctx: ProofContext, pods: list[PodIncarnation]) -> dict[PodIncarnation, Orphan]:
    """The pods the deletion released rather than removed (propagationPolicy Orphan: the garbage
    collector takes the set's controllerRef off each pod, `orphanDependents`), each with the
    rank and change that released it. A pod deleted while it still named the set is not among
    them."""
    gone = ctx.set_gone
    if gone is None:
        return {}
    uid = ctx.episode.statefulset.uid
    found: dict[PodIncarnation, Orphan] = {}
    for pod in pods:
        rank = pod.released_at(uid, gone.rank)
        began = pod.deletion_began
        if rank is not None and (began is None or rank <= began.rank):
            ids = ctx.ids_by_rank
            found[pod] = Orphan(
                rank, ids[rank] if 0 <= rank < len(ids) and rank > gone.rank else None
            )
    return found
