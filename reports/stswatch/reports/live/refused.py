"""A set whose controller's calls the API server refuses: a quota, an admission webhook or
policy, a pod update a pod's spec does not allow.

`StatefulPodControl` records a Warning Event on the StatefulSet for each refused call
(FailedCreate, FailedDelete, FailedUpdate), and `processReplica` / `processCondemned` return the
error: the sync goes no further, so nothing the refused call was for happens (the pods above a
refused creation, the condemned pods below a refused deletion) until the call goes through.
The pods and the status alone look like a set that is merely behind.
(`pkg/controller/statefulset/stateful_pod_control.go`: `CreateStatefulPod`, `DeleteStatefulPod`,
`UpdateStatefulPod`; `stateful_set_control.go`: `processReplica`, `processCondemned`.)
"""

from stswatch.reports import causes
from stswatch.reports.history.attribution import POD_CALLED
from stswatch.reports.live.findings import Finding
from stswatch.reports.live.world import World, describe_event, event_time, human_age
from stswatch.set_objects import Obj

RECENT_S = 600.0  # a refusal last seen longer ago than this is history, not the set's state
_FIXES = {
    "FailedCreate": (
        "read the refusal: a ResourceQuota (kubectl describe resourcequota -n {ns}), an "
        "admission webhook or policy, a LimitRange; fix it, and the controller creates {pod} on "
        "its next sync"
    ),
    "FailedDelete": (
        "read the refusal: an admission webhook or policy denying DELETE of {pod}; lift it, and "
        "the controller deletes {pod} on its next sync"
    ),
    "FailedUpdate": (
        "read the refusal: a pod's spec cannot change in place, so when the set's "
        "volumeClaimTemplates name a volume {pod} lacks (the set re-created with another "
        "template), delete {pod} (kubectl delete pod -n {ns} {pod}) and the controller creates "
        "it with every claim"
    ),
}


def refused_findings(world: World) -> list[Finding]:
    """One error per pod whose create, delete or update the API server refused recently while
    the set is not at its spec (the latest such Event of each pod and reason)."""
    if _at_spec(world):
        return []
    latest: dict[tuple[str, str], Obj] = {}
    for event in world.events_about("StatefulSet", world.name):
        reason = str(event.get("reason") or "")
        named = POD_CALLED.search(str(event.get("message") or ""))
        recent = world.now - event_time(event) <= RECENT_S
        if reason in _FIXES and named is not None and event.get("type") == "Warning" and recent:
            latest[(named.group(1), reason)] = event
    found = []
    for (pod, reason), event in latest.items():
        word = {"FailedCreate": "creation", "FailedDelete": "deletion"}.get(reason, "update")
        found.append(
            Finding(
                severity="error",
                causes=(causes.CALL_REFUSED,),
                subject=f"pod {pod}",
                what=(
                    f"the controller's {word} of {pod} is refused by the API server, "
                    f"{human_age(world.now - event_time(event))} ago last: its sync stops there, "
                    "so the set does not reach its spec"
                ),
                why=(describe_event(event),),
                fix=(_FIXES[reason].format(ns=world.namespace, pod=pod),),
                reference="pkg/controller/statefulset/stateful_pod_control.go "
                "(CreateStatefulPod, DeleteStatefulPod, UpdateStatefulPod); processReplica",
            )
        )
    return found


def _at_spec(world: World) -> bool:
    """Every wanted pod Ready at the update revision, and no other pod of the set left."""
    # A count the API omits is 0 (omitempty); one that is not a number counts as 0 too.
    ready, count = (
        value if isinstance(value := world.status(field), int) else 0
        for field in ("readyReplicas", "replicas")
    )
    same = world.status("updateRevision") == world.status("currentRevision")
    return ready == count == world.replicas and same
