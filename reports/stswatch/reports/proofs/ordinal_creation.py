"""Ordinal creation: under OrderedReady a scale-up creates its pods in ascending ordinal order.

`runForAll(replicas, processReplica, monotonic=true)` walks the replicas by ascending index and
creates at most one missing pod per sync (`processReplica`).
"""

from itertools import pairwise

from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.verdict import Verdict

PROOF = "ordinal-creation"
KINDS = ("Pod", "StatefulSet")


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when the scale-up's creations come in strictly ascending ordinals."""
    episode = ctx.episode
    if episode.kind != "scale-up":
        return None
    if episode.spec.pod_management_policy == "Parallel":
        return ctx.verdict(
            PROOF, "not-applicable", "Parallel: pods are created in bursts, in no guaranteed order"
        )
    pods = ctx.new_pods()
    if not pods:
        return ctx.verdict(PROOF, "not-applicable", "no pod was created in this episode")
    for first, second in pairwise(pods):
        if (second.ordinal or 0) <= (first.ordinal or 0):
            return ctx.verdict(
                PROOF,
                "fail",
                f"{second.name} was created after {first.name}: ordinals out of order",
                [
                    ctx.cite_step(first, first.created, f"{first.name} created"),
                    ctx.cite_step(second, second.created, f"{second.name} created after it"),
                ],
            )
    names = ", ".join(p.name for p in pods)
    return ctx.verdict(
        PROOF,
        "pass",
        f"created in ascending ordinal order: {names}",
        [ctx.cite_step(p, p.created, f"{p.name} created") for p in pods],
    )
