"""Ordinal creation: under OrderedReady a scale-up creates its pods in ascending ordinal order,
each at the revision the controller gives its ordinal.

`runForAll(replicas, processReplica, monotonic=true)` walks the replicas by ascending index and
creates at most one missing pod per sync (`processReplica`); the revision comes from
`newVersionedStatefulSetPod` (`stswatch.reports.proofs.revision`).
"""

from itertools import pairwise

from stswatch.reports.proofs import revision
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
    judged = [c for p in pods if (c := revision.created_at(episode.statefulset, p)) is not None]
    wrong = next((c for c in judged if not c.ok), None)
    if wrong is not None:
        pod = wrong.pod
        expected = " or ".join(sorted(wrong.allowed))
        return ctx.verdict(
            PROOF,
            "fail",
            f"{pod.name} was created at revision {pod.revision}, but newVersionedStatefulSetPod "
            f"gives ordinal {pod.ordinal} the {wrong.field} {expected}",
            [ctx.cite_step(pod, pod.created, f"{pod.name} created at {pod.revision}")],
        )
    names = ", ".join(p.name for p in pods)
    evidence = [ctx.cite_step(p, p.created, f"{p.name} created") for p in pods]
    for c in judged:
        if c.promoted is not None:
            evidence.append(
                ctx.cite(c.promoted.change_id, "currentRevision promoted at 0 replicas")
            )
            break
    reason = f"created in ascending ordinal order: {names}" + revision.clause(judged)
    return ctx.verdict(PROOF, "pass", reason, evidence)
