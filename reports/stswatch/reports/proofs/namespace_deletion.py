"""Whether a pod a client deleted went with the rest of its namespace.

Deleting a namespace makes the namespace controller delete every object in it, one kind at a
time (`deleteAllContent` in pkg/controller/namespace/deletion): the set's pods, its claims (even
under a Retain policy, which only the controller honours), its Service and the set itself go
within a second or two, and no SuccessfulDelete Event is written (the namespace refuses new
content: "unable to create new content in namespace … because it is being terminated"). Namespaces
are not recorded, so this cannot tell such a deletion from a client deleting all of them at once:
it says both.
"""

from stswatch.reports.history.lifecycles import PodIncarnation, Transition
from stswatch.reports.history.transition import deletion_began
from stswatch.reports.proofs.context import ProofContext

WITHIN_NS = 5 * 10**9  # how near the set's deletion the others' must begin (wall ns)

# (what was deleted with the set, in words; the earliest and latest deletion, wall ns)
Emptied = tuple[list[str], int, int]


def emptied(ctx: ProofContext, pod: PodIncarnation, began: Transition) -> str:
    """'; or by its namespace's deletion: the StatefulSet, the Service web-hl and 3 claims …
    were deleted too, all within 1.3 s …' when `began` (the pod's deletion) came within
    WITHIN_NS of the set's deletion, and every Service and claim of the namespace that existed
    then was deleted within WITHIN_NS of it too (at least one); else "". The namespace is read
    once per episode, whatever the number of pods asked about."""
    gone = ctx.episode.statefulset.deletion_began
    at = began.received_wall_ns
    if gone is None or abs(gone.received_wall_ns - at) > WITHIN_NS:
        return ""
    key = "namespace emptied"
    if key not in ctx.memo:
        ctx.memo[key] = _emptied(ctx, pod.namespace, gone)
    found: Emptied | None = ctx.memo[key]  # type: ignore[assignment]
    if found is None:
        return ""
    named, low, high = found
    span = (max(high, at) - min(low, at)) / 1e9
    return (
        f"; or by its namespace's deletion: {', '.join(named[:-1])} and {named[-1]} of namespace "
        f"{pod.namespace} were deleted too, all within {span:.1f} s (the namespace controller "
        "deletes every object of a namespace being deleted, with no SuccessfulDelete Event; "
        "namespaces are not recorded)"
    )


def _emptied(ctx: ProofContext, namespace: str, gone: Transition) -> Emptied | None:
    """The Services and claims of `namespace` that existed within WITHIN_NS before the set's
    deletion, when each was deleted within WITHIN_NS of it (and there was one); else None."""
    around = gone.received_wall_ns
    services, claims = [], 0
    times = [around]
    objects: list[tuple[str | None, tuple[Transition, ...]]] = [
        (s.name, s.transitions) for s in ctx.life.services if s.namespace == namespace
    ]
    objects += [(None, c.transitions) for c in ctx.life.pvcs if c.namespace == namespace]
    for name, transitions in objects:
        deleted = deletion_began(transitions)
        if transitions[0].rank > gone.rank:
            continue  # made after the set was deleted
        if deleted is not None and deleted.received_wall_ns < around - WITHIN_NS:
            continue  # gone well before
        if deleted is None or deleted.received_wall_ns > around + WITHIN_NS:
            return None  # outlived the set: not emptied with it
        times.append(deleted.received_wall_ns)
        if name is None:
            claims += 1
        else:
            services.append(name)
    if not services and not claims:
        return None
    named = ["the StatefulSet", *(f"the Service {name}" for name in services)]
    if claims:
        named.append(f"{claims} claim{'s' * (claims > 1)}")
    return named, min(times), max(times)
