"""A pod's graceful deletion cut short by a client's force deletion while the pod still ran.

A kubelet deletes its pod's API object itself, with grace 0, only once the pod's containers have
stopped and their resources are reclaimed (`canBeDeleted` in pkg/kubelet/status/status_manager.go),
right after the status update that says so (the containers terminated, Ready False). So a change
that lowers a pod's deletionGracePeriodSeconds to 0 while the pod is still Running and Ready was
a DELETE with grace 0 from someone else (`kubectl delete --grace-period=0 --force`): the object
goes without its kubelet's confirmation, the controller may create the pod of that name at once,
and the old containers may still run beside the new ones
(https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/). The controller
did right; the verdict only tells it.

kwok's fake kubelet deletes its pods with grace 0 while they are Running and Ready, stopping
nothing, so the cut is told only of a pod a kubelet recorded Events about (source component
`kubelet`; kwok's are `kwok_controller`'s), and only when the recorder's watch saw the change
itself. Otherwise the recording cannot tell, and nothing is said.
"""

from stswatch.reports import causes
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.verdict import Evidence

_AT_ONCE_NS = 10**9  # a pod created this soon after its predecessor went: "at once"


def cut_short(
    ctx: ProofContext,
    pod: PodIncarnation,
    evidence: list[Evidence],
    *,
    purpose: str,
    new: PodIncarnation | None = None,
) -> str:
    """The clause telling that `pod`'s graceful deletion was cut short by a force deletion while
    it ran, e.g. "; web-2's deletion (begun by the StatefulSet controller for the update, grace
    12 s, #874) was cut short by a client's force deletion (#880: …) while web-2 was Running and
    Ready: …", else "". `purpose` ("the update", "the scale-down") says why the controller
    deleted it; `new`, the pod created in its place, is told when the controller created it
    within the grace period the deletion began with. Adds the cut to `evidence`."""
    cut, began = pod.grace_cut, pod.deletion_began
    if cut is None or began is None or pod.uid not in ctx.actors.kubelet_pods:
        return ""
    rank, change_id, grace = cut
    if ctx.changes[change_id].observed != "watch":
        return ""
    actor = ctx.deleted_by(pod)
    by = ""
    if actor is not None and actor.who == causes.BY_CONTROLLER:
        by = f"begun by {causes.BY_CONTROLLER} for {purpose}, "
    elif actor is not None and actor.who != "unknown":
        by = f"begun by {actor.who}, "
    evidence.append(
        ctx.cite(change_id, f"{pod.name} force-deleted while Running and Ready (grace 0)")
    )
    told = (
        f"; {pod.name}'s deletion ({by}grace {grace} s, #{began.change_id}) was cut short by "
        f"{causes.BY_CLIENT}'s force deletion (#{change_id}: deletionGracePeriodSeconds 0) while "
        f"{pod.name} was Running and Ready: the API object went without its kubelet's "
        "confirmation"
    )
    cut_ns = ctx.changes[change_id].received_wall_ns
    if new is not None and not new.created_orphan and new.created.rank > rank:
        created_ns = new.created.received_wall_ns
        if created_ns < began.received_wall_ns + grace * 10**9:
            after = created_ns - cut_ns
            when = "at once" if after < _AT_ONCE_NS else f"{after / 1e9:.1f} s later"
            told += (
                f", and the controller created the new {new.name} at "
                f"#{new.created.change_id} {when}"
            )
    return f"{told}; its old containers may still have been running ({causes.FORCE_DELETE_DOCS})"
