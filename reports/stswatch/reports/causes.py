"""One vocabulary of causes, shared by `verify` (recorded history) and `doctor` (a live cluster).

A verdict about a recording and a finding about a live cluster that speak of the same thing use
the same words, so each cause is named once here and imported where it is said. The words follow
the StatefulSet controller (`pkg/controller/statefulset`: `isRunningAndReady`,
`isRunningAndAvailable`, `isTerminating`, `processCondemned`) and the Kubernetes docs
(https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/).
"""

from typing import Final

# Why a pod holds an OrderedReady walk (`processReplica` returns at the first such pod).
NOT_RUNNING: Final = "not Running"
NOT_READY: Final = "not Ready"
NOT_AVAILABLE: Final = "not Available"  # Ready for less than minReadySeconds
TERMINATING: Final = "terminating"
MISSING: Final = "missing"
STARTING: Final = "starting"  # a pod the controller just created, not yet Running
CLAIM_TERMINATING: Final = "claim terminating"  # its claim is being deleted: no pod until gone
# Its name is held by a pod the set does not own (released, another set's, not adoptable): the
# create is refused (AlreadyExists) until that pod is gone.
NAME_TAKEN: Final = "name taken"

# How a pod's life ended without a client's or the controller's deletion.
ENDED_FAILED: Final = "ended Failed"
ENDED_SUCCEEDED: Final = "ended Succeeded"

# Who deleted (or created) an object.
BY_CONTROLLER: Final = "the StatefulSet controller"
BY_CLIENT: Final = "a client"
BY_GARBAGE_COLLECTOR: Final = "the garbage collector"
BY_RETENTION_POLICY: Final = "the PVC retention policy"
# Who else deletes a pod, each marking it first with a DisruptionTarget condition (KEP-3329).
BY_SCHEDULER: Final = "the scheduler, preempting it"
BY_TAINT_EVICTION: Final = "the taint eviction controller"
BY_POD_GC: Final = "the pod garbage collector"
BY_KUBELET: Final = "the kubelet"
DELETED_BY_CLIENT: Final = f"deleted by {BY_CLIENT}"
DELETED_BY_CONTROLLER: Final = f"deleted by {BY_CONTROLLER}"
DELETED_BY_GARBAGE_COLLECTOR: Final = f"deleted by {BY_GARBAGE_COLLECTOR}"
DELETED_BY_RETENTION_POLICY: Final = f"deleted by {BY_RETENTION_POLICY}"

# Storage.
CLAIM_NOT_BOUND: Final = "claim not bound"
CLAIM_REPLACED: Final = "claim replaced"
VOLUME_CHANGED: Final = "bound volume changed"
NO_STORAGE_CLASS: Final = "no such StorageClass"
NO_DEFAULT_STORAGE_CLASS: Final = "no default StorageClass"
NO_PROVISIONER: Final = "no provisioner acting"
WAITING_FOR_CONSUMER: Final = "waiting for first consumer"
NO_MATCHING_VOLUME: Final = "no matching PersistentVolume"
VOLUME_MISMATCH: Final = "capacity or access-mode mismatch"
PROVISIONING_FAILED: Final = "provisioning failed"
CLAIM_MISSING: Final = "claim missing"
CLAIM_STALE: Final = "stale claim"
CLAIM_OWNED_BY_OLD_POD: Final = "claim owned by an older pod"
RETENTION_DELETES: Final = "retention policy deletes claims"

# The governing Service and DNS.
SERVICE_MISSING: Final = "Service missing"
SERVICE_NEVER_EXISTED: Final = "Service never existed"
SERVICE_NOT_HEADLESS: Final = "Service not headless"
SERVICE_SELECTS_NO_POD: Final = "Service selects none of the set's pods"
NO_DNS_RECORD_NOT_READY: Final = "no DNS record: the pod was never Ready"
NO_SERVICE_NAME: Final = "no governing Service named"
NO_DNS_RECORD: Final = "no DNS record"
SERVICE_SELECTS_SOME_PODS: Final = "Service selects only some of the set's pods"

# Containers.
CRASH_LOOP: Final = "CrashLoopBackOff"
CONTAINER_WAITING: Final = "container waiting"
CONTAINER_TERMINATED: Final = "container terminated"
CONTAINER_RESTARTED: Final = "container restarted"

# A live set that does not progress (`processReplica` / `processCondemned` stop at one pod).
UNSCHEDULABLE: Final = "unschedulable"
SCALE_UP_STUCK: Final = "scale-up stuck"
SCALE_DOWN_STUCK: Final = "scale-down stuck"
ROLLOUT_STUCK: Final = "rollout stuck"
STUCK_TERMINATING: Final = "stuck terminating"
CALL_REFUSED: Final = "controller's call refused"
NODE_GONE: Final = "node gone"

# What the docs say of a pod deleted without its kubelet's confirmation (told by verify and doctor)
FORCE_DELETE_DOCS: Final = (
    "https://kubernetes.io/docs/tasks/run-application/force-delete-stateful-set-pod/"
)
