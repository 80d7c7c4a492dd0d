"""Who acted: the StatefulSet controller, the garbage collector, the retention policy or a client.

The recording holds the controller's own Events: `StatefulPodControl` records `SuccessfulCreate`
("create Pod web-2 in StatefulSet web successful", "create Claim data-web-2 Pod web-2 in
StatefulSet web success") and `SuccessfulDelete` ("delete Pod web-2 in StatefulSet web
successful") on the StatefulSet for every pod and claim it creates or deletes
(`pkg/controller/statefulset/stateful_pod_control.go`). The controller never deletes a claim: a
claim goes with `persistentVolumeClaimRetentionPolicy` through an ownerReference the garbage
collector acts on (`Pod` for whenScaled=Delete, `StatefulSet` for whenDeleted=Delete). A deletion
without such an Event, while Events were recorded, was made by a client (kubectl, an operator, a
scenario step); a scenario mark of an action at that moment names the step. A pod that others
delete is marked first with a DisruptionTarget condition naming them (KEP-3329: the scheduler's
preemption, the taint eviction controller, the Eviction API, the pod garbage collector, the
kubelet), which is read before any guess. Every `Actor` states the basis of its attribution.
client-go's event correlator rate-limits Events about one object (`EventSourceObjectSpamFilter`
in `tools/record/events_cache.go`: 25 from one source, then one every 5 minutes), so on a busy set
the controller's Events stop being recorded; a deletion without an Event while that filter had
no room left is "unknown", never a client's. Without recorded Events at all the actor is
"unknown" too, never guessed.
"""

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from statistics import median

from stswatch.reports import causes
from stswatch.reports.history import objects as o
from stswatch.reports.history.lifecycles import PodIncarnation, PvcIncarnation
from stswatch.reports.history.transition import Transition
from stswatch.reports.recording import Change, Recording

# The controller records its Event right after the API call returns: the recorder receives it a
# little before or after the pod's change. Wide enough for a loaded machine, narrow enough not to
# reach the same pod's next deletion by the controller (a rollout seconds later).
_BEFORE_NS = 2 * 10**9
_AFTER_NS = 5 * 10**9
_MARK_BEFORE_NS = 10 * 10**9
# client-go's EventSourceObjectSpamFilter: burst 25, one token every 5 minutes (qps 1/300).
SPAM_FILTER = "EventSourceObjectSpamFilter"
_SPAM_BURST = 25
_SPAM_REFILL_NS = 300 * 10**9
# The pod a call names in StatefulPodControl's Event messages ('create Pod web-1 in StatefulSet
# web failed …': pkg/controller/statefulset/stateful_pod_control.go).
POD_CALLED = re.compile(r"\bPod (\S+) in StatefulSet\b")
_MESSAGE = re.compile(
    r"(?:\(combined from similar events\): )?(create|delete) (Pod|Claim) (\S+) "
    r"(?:Pod \S+ )?in StatefulSet (\S+) success"
)


@dataclass(frozen=True)
class Actor:
    """Who made one change, how we know (`basis`), and the change ids that show it."""

    who: str  # a stswatch.reports.causes BY_* word, or "unknown"
    basis: str
    evidence: tuple[int, ...] = ()

    @property
    def client(self) -> bool:
        """True when a client (not a controller of the cluster) made the change."""
        return self.who == causes.BY_CLIENT

    @property
    def other(self) -> bool:
        """True when someone other than the StatefulSet controller made the change (known)."""
        return self.who not in (causes.BY_CONTROLLER, "unknown")


@dataclass(frozen=True)
class Attribution:
    """The controller's Events and the scenario's marks of one recording, indexed by object."""

    events_recorded: bool
    event_gaps: tuple[tuple[int, int], ...]
    # (namespace, verb, kind, name) -> sorted (wall ns, change id) of each occurrence
    actions: dict[tuple[str, str, str, str], list[tuple[int, int]]] = field(repr=False)
    marks: tuple[tuple[int, str], ...] = ()
    # (namespace, set name) -> sorted (wall ns, change id, reason, message) of each Warning the
    # controller recorded on the set (FailedCreate, FailedUpdate, FailedDelete, ...)
    failures: dict[tuple[str, str], list[tuple[int, int, str, str]]] = field(
        default_factory=dict, repr=False
    )
    # pod uid -> sorted (wall ns, change id, message) of the scheduler's FailedScheduling Events
    unscheduled: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict, repr=False)
    # (namespace, set name) -> sorted wall ns of each Event the statefulset controller recorded
    # about the set (a count bump of an aggregated Event included: each passed the spam filter)
    emitted: dict[tuple[str, str], list[int]] = field(default_factory=dict, repr=False)
    # pod uid -> sorted (wall ns, change id) of the node lifecycle controller's NodeNotReady
    # Events on the pod ("Node is not ready": `MarkPodsNotReady` set its Ready condition False)
    node_not_ready: dict[str, list[tuple[int, int]]] = field(default_factory=dict, repr=False)
    # (namespace, claim name) -> sorted (wall ns, change id, message) of the ProvisioningFailed
    # Events on the claim (the persistentvolume controller's, or an external provisioner's)
    provisioning: dict[tuple[str, str], list[tuple[int, int, str]]] = field(
        default_factory=dict, repr=False
    )
    # pod uid -> sorted (wall ns, change id, container, message) of the kubelet's Unhealthy
    # Events on the pod that say a readiness probe failed ("Readiness probe failed: <output>")
    probe_failed: dict[str, list[tuple[int, int, str, str]]] = field(
        default_factory=dict, repr=False
    )
    # The uids of the pods a kubelet recorded Events about (source component "kubelet": Pulled,
    # Started, Killing, ...): pods on a real node, not kwok's (its Events are kwok_controller's)
    kubelet_pods: frozenset[str] = field(default=frozenset(), repr=False)
    # (namespace, set name) -> the spam filter's tokens after each emitted Event (a cache)
    _buckets: dict[tuple[str, str], list[float]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def events_dropped(self, namespace: str, name: str, at_ns: int) -> int | None:
        """How many of the controller's Events about set `name` were recorded before `at_ns`
        when they had used up client-go's spam filter then (`EventSourceObjectSpamFilter`: a
        token bucket of 25 for one source and object, refilled one every 300 s), else None.
        One bisection: the bucket after each Event is computed once per set."""
        walls = self.emitted.get((namespace, name), ())
        count = bisect_left(walls, at_ns)
        if count == 0:
            return None
        tokens = self._tokens_after(namespace, name)[count - 1]
        tokens = min(_SPAM_BURST, tokens + (at_ns - walls[count - 1]) / _SPAM_REFILL_NS)
        return count if tokens < 1 else None

    def _tokens_after(self, namespace: str, name: str) -> list[float]:
        """The spam filter's tokens left right after each of the set's recorded Events."""
        key = (namespace, name)
        found = self._buckets.get(key)
        if found is None:
            found, tokens, last = [], float(_SPAM_BURST), None
            for wall in self.emitted.get(key, ()):
                if last is not None:
                    tokens = min(_SPAM_BURST, tokens + (wall - last) / _SPAM_REFILL_NS)
                tokens, last = max(tokens - 1, 0.0), wall
                found.append(tokens)
            self._buckets[key] = found
        return found

    def failed_scheduling(
        self, pod_uid: str, since_ns: int, until_ns: int
    ) -> list[tuple[int, int, str]]:
        """The scheduler's FailedScheduling Events on the pod recorded in [since, until]."""
        found = self.unscheduled.get(pod_uid, [])
        first = bisect_left(found, (since_ns, -1, ""))
        last = bisect_left(found, (until_ns + 1, -1, ""))
        return found[first:last]

    def node_not_ready_near(self, pod_uid: str, at_ns: int) -> int | None:
        """The change id of a NodeNotReady Event on the pod recorded around `at_ns` (the node
        lifecycle controller records it right after its status update), if any."""
        found = self.node_not_ready.get(pod_uid, [])
        i = bisect_left(found, (at_ns - _BEFORE_NS, -1))
        if i < len(found) and found[i][0] <= at_ns + _AFTER_NS:
            return found[i][1]
        return None

    def provisioning_failed(
        self, namespace: str, claim: str, since_ns: int, until_ns: int
    ) -> list[tuple[int, int, str]]:
        """The ProvisioningFailed Events on claim `claim` recorded in [since, until]."""
        found = self.provisioning.get((namespace, claim), [])
        first = bisect_left(found, (since_ns, -1, ""))
        return found[first : bisect_left(found, (until_ns + 1, -1, ""))]

    def readiness_failed(
        self, pod_uid: str, since_ns: int, until_ns: int
    ) -> list[tuple[int, int, str, str]]:
        """The kubelet's Unhealthy Events on the pod saying a readiness probe failed, recorded in
        [since, until]."""
        found = self.probe_failed.get(pod_uid, [])
        first = bisect_left(found, (since_ns, -1, "", ""))
        return found[first : bisect_left(found, (until_ns + 1, -1, "", ""))]

    def controller_failures(
        self, namespace: str, name: str, since_ns: int, until_ns: int
    ) -> list[tuple[int, int, str, str]]:
        """The controller's Warning Events on StatefulSet `name` recorded in [since, until]."""
        found = self.failures.get((namespace, name), [])
        first = bisect_left(found, (since_ns, -1, "", ""))
        last = bisect_left(found, (until_ns + 1, -1, "", ""))
        return found[first:last]

    def controller_action(
        self,
        namespace: str,
        verb: str,
        kind: str,
        name: str,
        at_ns: int,
        since_ns: int = 0,
        until_ns: int | None = None,
    ) -> int | None:
        """The change id of the controller's Event for this action near `at_ns`, if any, not
        recorded before `since_ns` (an Event seen before the object was is about an earlier
        object of its name: Events name it, not its uid) nor after `until_ns` (nearer the same
        action on a later object of its name)."""
        found = self.actions.get((namespace, verb, kind, name), [])
        i = bisect_left(found, (max(at_ns - _BEFORE_NS, since_ns), -1))
        last = at_ns + _AFTER_NS if until_ns is None else min(at_ns + _AFTER_NS, until_ns)
        if i < len(found) and found[i][0] <= last:
            return found[i][1]
        return None

    def controller_actions(
        self, namespace: str, verb: str, kind: str, name: str, since_ns: int, until_ns: int
    ) -> list[tuple[int, int]]:
        """(wall ns, change id) of each of the controller's Events for this action recorded in
        [since, until] (an Event seen again with a higher count is another occurrence)."""
        found = self.actions.get((namespace, verb, kind, name), [])
        first = bisect_left(found, (since_ns, -1))
        return found[first : bisect_left(found, (until_ns + 1, -1))]

    def mark_near(self, at_ns: int, name: str) -> str | None:
        """The label of a scenario mark naming `name` around `at_ns`, a deletion step first. The
        name must stand as a whole word: `web-1` is not named by "delete … data-web-1"."""
        # The mark nearest the change first: a step's mark precedes its call, an exec step's
        # follows it (marked once its output is known).
        near = [
            label
            for _, label in sorted(
                self._marks_naming(name, at_ns - _MARK_BEFORE_NS, at_ns + _BEFORE_NS),
                key=lambda mark: abs(mark[0] - at_ns),
            )
        ]
        deleting = [label for label in near if "delete" in label.lower()]
        acting = [label for label in near if not label.lower().startswith("wait")]
        found = deleting or acting  # a wait step deletes nothing
        return found[0] if found else None

    def marks_naming(self, name: str, since_ns: int, until_ns: int) -> list[str]:
        """The labels of the scenario marks in [since_ns, until_ns] (wall ns) that name `name`
        as a whole word (`web-1` is not named by "delete … data-web-1"), the latest first."""
        return [label for _, label in self._marks_naming(name, since_ns, until_ns)]

    def _marks_naming(self, name: str, since_ns: int, until_ns: int) -> list[tuple[int, str]]:
        within = [
            (wall, label) for wall, label in reversed(self.marks) if since_ns <= wall <= until_ns
        ]
        if not within:  # most asks: no mark near, and a pattern per name outgrows re's cache
            return []
        named = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])")
        return [(wall, label) for wall, label in within if named.search(label)]

    def unseen(self, at_ns: int) -> bool:
        """True when Events may be missing around `at_ns` (not recorded, or a gap)."""
        if not self.events_recorded:
            return True
        return any(a - _AFTER_NS <= at_ns <= b + _AFTER_NS for a, b in self.event_gaps)


def attribution(
    recording: Recording, *, events: Iterable[tuple[Change, o.Obj]] | None = None
) -> Attribution:
    """Index the controller's Events and the scenario's marks of `recording`; `events` are its
    Events' changes but DELETED ones with their objects, in its order, when already decoded."""
    actions: dict[tuple[str, str, str, str], list[tuple[int, int]]] = {}
    failures: dict[tuple[str, str], list[tuple[int, int, str, str]]] = {}
    pending: dict[str, list[tuple[int, int, str]]] = {}
    emitted: dict[tuple[str, str], list[int]] = {}
    node_not_ready: dict[str, list[tuple[int, int]]] = {}
    provisioning: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    probe_failed: dict[str, list[tuple[int, int, str, str]]] = {}
    kubelet_pods: set[str] = set()
    recorded = "Event" in recording.changes.kinds.values  # each kind recorded, once
    if events is None:
        events = recording.decoded("Event", deleted=False)
    stamped: list[tuple[tuple[str, str, str, str], int, int, float | None]] = []
    for change, obj in events:
        parsed = _action(change, obj)
        if parsed is not None:
            stamped.append((parsed, change.received_wall_ns, change.id, _stamp(obj)))
        unscheduled = _unscheduled(change, obj)
        if unscheduled is not None:
            uid, message = unscheduled
            pending.setdefault(uid, []).append((change.received_wall_ns, change.id, message))
        marked = _node_not_ready(obj) if obj.get("reason") == "NodeNotReady" else None
        if marked:
            node_not_ready.setdefault(marked, []).append((change.received_wall_ns, change.id))
        claim = _not_provisioned(change, obj) if obj.get("reason") == "ProvisioningFailed" else None
        if claim is not None:
            key, message = claim
            provisioning.setdefault(key, []).append((change.received_wall_ns, change.id, message))
        probe = _readiness_failed(obj) if obj.get("reason") == "Unhealthy" else None
        if probe is not None:
            uid, container, message = probe
            probe_failed.setdefault(uid, []).append(
                (change.received_wall_ns, change.id, container, message)
            )
        reported = _kubelet_pod(obj)
        if reported:
            kubelet_pods.add(reported)
        about = _about_set(change, obj)
        if about is not None:
            emitted.setdefault(about, []).append(change.received_wall_ns)
        failed = _failure(change, obj)
        if failed is not None:
            key, reason, message = failed
            failures.setdefault(key, []).append(
                (change.received_wall_ns, change.id, reason, message)
            )
    for parsed, wall, change_id in _recorded_at(stamped):
        actions.setdefault(parsed, []).append((wall, change_id))
    for found in actions.values():
        found.sort()
    for warnings in failures.values():
        warnings.sort()
    for waits in pending.values():
        waits.sort()
    for walls in emitted.values():
        walls.sort()
    for notes in node_not_ready.values():
        notes.sort()
    for provisions in provisioning.values():
        provisions.sort()
    for probes in probe_failed.values():
        probes.sort()
    gaps = tuple((g.from_wall_ns, g.to_wall_ns) for g in recording.gaps if g.kind == "Event")
    marks = tuple(
        (m.received_wall_ns, f"{m.label} {m.detail.get('target', '')}") for m in recording.marks
    )
    return Attribution(
        recorded,
        gaps,
        actions,
        marks,
        failures,
        pending,
        emitted,
        node_not_ready,
        provisioning,
        probe_failed=probe_failed,
        kubelet_pods=frozenset(kubelet_pods),
    )


def _stamp(obj: o.Obj) -> float | None:
    """When the Event's source recorded its latest occurrence (s since the epoch, second
    precision for lastTimestamp): lastTimestamp, else eventTime; None if neither."""
    return o.parse_time(obj.get("lastTimestamp")) or o.parse_time(obj.get("eventTime"))


def _recorded_at(
    stamped: list[tuple[tuple[str, str, str, str], int, int, float | None]],
) -> list[tuple[tuple[str, str, str, str], int, int]]:
    """Each controller Event's (action, wall ns, change id), its wall the receive time unless the
    Event was written late: a controller whose client throttles itself (--kube-api-qps) records
    an Event at once (its lastTimestamp) and writes it seconds later. An Event received more
    than a second past its stamp plus the session's usual lag (the median over its Events: the
    clocks' skew and the stamp's cut to the second) is put back to that bound, so it stays with
    the action it reports."""
    lags = [wall - stamp * 1e9 for _, wall, _, stamp in stamped if stamp is not None]
    if not lags:
        return [(parsed, wall, change_id) for parsed, wall, change_id, _ in stamped]
    usual = median(lags)
    found = []
    for parsed, wall, change_id, stamp in stamped:
        if stamp is not None:
            wall = min(wall, int(stamp * 1e9 + usual) + 10**9)
        found.append((parsed, wall, change_id))
    return found


def _action(change: Change, obj: o.Obj) -> tuple[str, str, str, str] | None:
    """(namespace, verb, kind, name) of a statefulset-controller Event, from its message."""
    if o.dig(obj, "involvedObject", "kind") != "StatefulSet":
        return None
    match = _MESSAGE.match(str(obj.get("message") or ""))
    if match is None:
        return None
    return (change.namespace or "", match[1], match[2], match[3])


def _unscheduled(change: Change, obj: o.Obj) -> tuple[str, str] | None:
    """(pod uid, message) of a scheduler's FailedScheduling Event."""
    if obj.get("reason") != "FailedScheduling" or o.dig(obj, "involvedObject", "kind") != "Pod":
        return None
    uid = o.text(o.dig(obj, "involvedObject", "uid"))
    return (uid, o.text(obj.get("message")) or "") if uid else None


def _node_not_ready(obj: o.Obj) -> str | None:
    """The pod uid of the node lifecycle controller's NodeNotReady Event (`MarkPodsNotReady` in
    `pkg/controller/util/node`), else None."""
    if o.dig(obj, "involvedObject", "kind") != "Pod":
        return None
    source = o.dig(obj, "source", "component") or obj.get("reportingComponent")
    return o.text(o.dig(obj, "involvedObject", "uid")) if source == "node-controller" else None


def _kubelet_pod(obj: o.Obj) -> str | None:
    """The pod uid of an Event a kubelet recorded about its pod, else None."""
    source = o.dig(obj, "source", "component") or obj.get("reportingComponent")
    if source != "kubelet" or o.dig(obj, "involvedObject", "kind") != "Pod":
        return None
    return o.text(o.dig(obj, "involvedObject", "uid"))


# The kubelet's Unhealthy message for a readiness probe that ran and failed (`prober.go`: "%s
# probe failed: %s" with the probe's output); "Readiness probe errored" is a probe that could not
# run (its container gone), not a failing one.
_READINESS_FAILED = "Readiness probe failed:"
_CONTAINER = re.compile(r"spec\.(?:initContainers|containers)\{([^}]*)\}")


def _readiness_failed(obj: o.Obj) -> tuple[str, str, str] | None:
    """(pod uid, container, probe output) of the kubelet's Unhealthy Event saying a readiness
    probe failed, else None."""
    message = o.text(obj.get("message")) or ""
    if not message.startswith(_READINESS_FAILED) or o.dig(obj, "involvedObject", "kind") != "Pod":
        return None
    uid = o.text(o.dig(obj, "involvedObject", "uid"))
    named = _CONTAINER.fullmatch(o.text(o.dig(obj, "involvedObject", "fieldPath")) or "")
    output = message[len(_READINESS_FAILED) :].strip()
    return (uid, named[1] if named else "", output) if uid else None


def _not_provisioned(change: Change, obj: o.Obj) -> tuple[tuple[str, str], str] | None:
    """((namespace, claim), message) of a ProvisioningFailed Event on a claim."""
    if o.dig(obj, "involvedObject", "kind") != "PersistentVolumeClaim":
        return None
    claim = o.text(o.dig(obj, "involvedObject", "name"))
    return ((change.namespace or "", claim), o.text(obj.get("message")) or "") if claim else None


def _about_set(change: Change, obj: o.Obj) -> tuple[str, str] | None:
    """(namespace, set) of an Event the statefulset controller recorded about a StatefulSet."""
    if o.dig(obj, "involvedObject", "kind") != "StatefulSet":
        return None
    source = o.dig(obj, "source", "component") or obj.get("reportingComponent")
    if source != "statefulset-controller":
        return None
    return change.namespace or "", o.text(o.dig(obj, "involvedObject", "name")) or ""


def _failure(change: Change, obj: o.Obj) -> tuple[tuple[str, str], str, str] | None:
    """((namespace, set), reason, message) of a statefulset-controller Warning on a set."""
    about = _about_set(change, obj) if obj.get("type") == "Warning" else None
    if about is None:
        return None
    reason = o.text(obj.get("reason")) or "Warning"
    return about, reason, o.text(obj.get("message")) or ""


def pod_deletion(
    at: Attribution,
    pod: PodIncarnation,
    *,
    set_gone: Transition | None,
    next_began: Transition | None = None,
) -> Actor | None:
    """Who deleted `pod` (None when it was never deleted in the recording). `next_began`: when
    the deletion of the next pod of its name began, if one was deleted: a SuccessfulDelete
    Event nearer that deletion than this one is that pod's (Events name a pod, not its uid)."""
    began = pod.deletion_began
    if began is None:
        return None
    owner = pod.controller_at(set_gone.rank) if set_gone is not None else None
    # Orphaned first (propagationPolicy Orphan) or adopted since: no longer the set's dependent.
    dependent = owner is not None and pod.controller_at(began.rank) == owner
    if set_gone is not None and set_gone.rank <= began.rank and dependent:
        basis = "its StatefulSet was deleted first (the pod is its dependent, ownerReference)"
        return Actor(causes.BY_GARBAGE_COLLECTOR, basis)
    # An Event seen before the pod was is about an earlier pod of its name; not so when both
    # came in the first list (their receive times are the list's, in no order between kinds).
    listed = pod.first_observed == "list"
    at_ns = began.received_wall_ns
    until_ns = (at_ns + next_began.received_wall_ns) // 2 if next_began is not None else None
    event = at.controller_action(
        pod.namespace, "delete", "Pod", pod.name, at_ns,
        since_ns=0 if listed else pod.created.received_wall_ns, until_ns=until_ns,
    )  # fmt: skip
    if event is not None:
        return Actor(causes.BY_CONTROLLER, "its SuccessfulDelete Event", (event,))
    disrupted = _disruptor(pod, began)
    if disrupted is not None:
        return disrupted
    dropped = (
        at.events_dropped(pod.namespace, pod.statefulset, began.received_wall_ns)
        if pod.statefulset is not None
        else None
    )
    if dropped is not None:
        basis = (
            f"no SuccessfulDelete Event, but the controller's Events about {pod.statefulset} were "
            f"being dropped then ({dropped} recorded before it: client-go's {SPAM_FILTER} lets "
            "one source record 25 Events about one object, then one every 5 minutes)"
        )
        return Actor("unknown", basis)
    if listed and began.rank <= pod.created.rank:
        # Terminating when first listed: its deletion, and any Event of it older than those
        # the list brought (Events expire; a window reads none from before it), came earlier.
        return Actor("unknown", "its deletion began before it was first recorded")
    return _not_the_controller(at, pod.name, began, "SuccessfulDelete")


# DisruptionTarget reasons (k8s.io/api/core/v1 PodReasonPreemptionByScheduler, ...) and who acts.
_DISRUPTORS = {
    "PreemptionByScheduler": causes.BY_SCHEDULER,
    "DeletionByTaintManager": causes.BY_TAINT_EVICTION,
    "EvictionByEvictionAPI": causes.BY_CLIENT,
    "DeletionByPodGC": causes.BY_POD_GC,
    "TerminationByKubelet": causes.BY_KUBELET,
}


def _disruptor(pod: PodIncarnation, began: Transition) -> Actor | None:
    """Who the pod's DisruptionTarget condition, set before its deletion began, names."""
    if pod.disruption is None or pod.disruption[0] > began.rank:
        return None
    _, change_id, reason, message = pod.disruption
    who = _DISRUPTORS.get(reason)
    if who is None:
        return None
    said = f": {message}" if message else ""
    basis = f"its DisruptionTarget condition, reason {reason}{said}"
    if reason == "EvictionByEvictionAPI":  # the API server's message says "Eviction API" too
        basis = f"through the Eviction API: {basis}"
    return Actor(who, basis, (change_id,))


def claim_deletion(
    at: Attribution,
    claim: PvcIncarnation,
    owner_gone: Callable[[str, str], int | None] | None = None,
) -> Actor | None:
    """Who deleted `claim`: the retention policy's garbage collection, or a client.

    The garbage collector deletes a claim only through an ownerReference it carried when its
    deletion began, and only once that owner was being deleted or gone (`owner_gone(kind, uid)`:
    the rank it began to go, `NEVER` when it did not, None for an owner not recorded, which is
    trusted): one the
    StatefulSet controller added after (fixPodClaim on a claim already being deleted), or one
    whose owner was still there, deleted nothing."""
    began = claim.deletion_began
    if began is None:
        return None
    kinds = {
        kind
        for kind, uid in claim.owners_at(began.rank)
        if owner_gone is None or _gone_by(owner_gone(kind, uid), began.rank)
    }
    if kinds:
        policy = "whenScaled: Delete" if "Pod" in kinds else "whenDeleted: Delete"
        owner = "Pod" if "Pod" in kinds else "StatefulSet"
        basis = (
            f"its {owner} ownerReference, set by the StatefulSet controller for "
            f"persistentVolumeClaimRetentionPolicy {policy}"
        )
        return Actor(causes.BY_RETENTION_POLICY, basis)
    return _not_the_controller(at, claim.name, began, "", claims=True)


# `owner_gone`'s answer for an owner recorded that never began to go.
NEVER = 1 << 62


def _gone_by(gone: int | None, rank: int) -> bool:
    return gone is None or gone <= rank


def _not_the_controller(
    at: Attribution, name: str, step: Transition, reason: str, *, claims: bool = False
) -> Actor:
    label = at.mark_near(step.received_wall_ns, name)
    step_note = f"; scenario step {label.strip()!r}" if label else ""
    if claims:
        basis = "the StatefulSet controller never deletes claims and no ownerReference made it go"
        return Actor(causes.BY_CLIENT, basis + step_note)
    if at.unseen(step.received_wall_ns):
        if label:
            return Actor(causes.BY_CLIENT, f"no Events recorded{step_note}")
        return Actor("unknown", "Events were not recorded around this change")
    basis = f"no {reason} Event from the statefulset controller for it (Events recorded)"
    return Actor(causes.BY_CLIENT, basis + step_note)
