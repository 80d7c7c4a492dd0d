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
from stswatch.reports.history.transition import alive_at, deletion_began
from stswatch.reports.proofs.context import ProofContext

WITHIN_NS = 5 * 10**9  # how near the pod's deletion the others' must begin (wall ns)


def emptied(ctx: ProofContext, pod: PodIncarnation, began: Transition) -> str:
    """'; or by its namespace's deletion: the StatefulSet, the Service web-hl and 3 claims …
    were deleted too, all within 1.3 s …' when, within WITHIN_NS of `began` (the pod's deletion),
    the set was deleted and so was every Service and claim of the namespace alive then (at least
    one); else ""."""
    sts = ctx.episode.statefulset
    gone = sts.deletion_began
    at = began.received_wall_ns
    if gone is None or abs(gone.received_wall_ns - at) > WITHIN_NS:
        return ""
    services = [
        s
        for s in ctx.life.services
        if s.namespace == pod.namespace and alive_at(s.transitions, began.rank)
    ]
    claims = [c for c in ctx.life.pvcs if c.namespace == pod.namespace and c.alive_at(began.rank)]
    if not services and not claims:
        return ""
    times = [gone.received_wall_ns, at]
    for transitions in [s.transitions for s in services] + [c.transitions for c in claims]:
        deleted = deletion_began(transitions)
        if deleted is None or abs(deleted.received_wall_ns - at) > WITHIN_NS:
            return ""
        times.append(deleted.received_wall_ns)
    named = ["the StatefulSet"]
    named += [f"the Service {s.name}" for s in services]
    if claims:
        named.append(f"{len(claims)} claim{'s' * (len(claims) > 1)}")
    return (
        f"; or by its namespace's deletion: {', '.join(named[:-1])} and {named[-1]} of namespace "
        f"{pod.namespace} were deleted too, all within {(max(times) - min(times)) / 1e9:.1f} s "
        "(the namespace controller deletes every object of a namespace being deleted, with no "
        "SuccessfulDelete Event; namespaces are not recorded)"
    )
