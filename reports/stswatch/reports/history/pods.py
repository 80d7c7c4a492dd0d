"""A pod incarnation (one uid) rebuilt from its changes: created, scheduled, Ready, gone."""

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from stswatch.reports.history import objects as o
from stswatch.reports.history.ordering import Ordering
from stswatch.reports.history.pod_rules import FAILED, SUCCEEDED
from stswatch.reports.history.transition import Transition, meta, step
from stswatch.reports.recording import Change

# The few distinct sequences of transition kinds pods take, one tuple each (`PodIncarnation`);
# bounded, for a process that reads many sessions (a pod restarted n times has its own).
_WHATS: dict[tuple[str, ...], tuple[str, ...]] = {}
_WHATS_KEPT = 4096
_FINISHED = (FAILED, SUCCEEDED)
REVISION_LABEL = "controller-revision-hash"


@dataclass(frozen=True, slots=True)
class PodIncarnation:
    """One pod uid from first sight to deletion."""

    namespace: str
    name: str
    uid: str
    statefulset: str | None
    ordinal: int | None
    first_observed: str
    revision: str | None  # controller-revision-hash label at creation
    hostname: str | None
    subdomain: str | None
    node: str | None
    ips: tuple[str, ...]
    claims: tuple[str, ...]
    transitions: tuple[Transition, ...]
    owner_uid: str | None = None  # the uid of the StatefulSet incarnation that owns it
    labels: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # Its controller StatefulSet's uid (None: orphaned) from each change that set it, with that
    # change's rank, when it ever changed: released by an orphaning delete, adopted by a new set
    # of the same name (ClaimPods). Empty for a pod with one owner all its life.
    controllers: tuple[tuple[str | None, int], ...] = field(default=(), compare=False)
    # The change of each entry of `controllers` after the first ("controller", detail: the new
    # controller's uid, "" when none): when a set released or adopted it.
    control_steps: tuple[Transition, ...] = field(default=(), compare=False)
    # The scheduler's word on the pod while it was not scheduled: each change of its PodScheduled
    # False condition's message, (rank, change id, message), the newest attempt's reason (the
    # FailedScheduling Events of repeated attempts are often not recorded again).
    unschedulable: tuple[tuple[int, int, str], ...] = field(default=(), compare=False)
    # Its first DisruptionTarget True condition (rank, change id, reason, message): who is about to
    # delete it when not the StatefulSet controller (PreemptionByScheduler,
    # DeletionByTaintManager, EvictionByEvictionAPI, DeletionByPodGC, TerminationByKubelet).
    disruption: tuple[int, int, str, str] | None = field(default=None, compare=False)
    # (labels, rank) at each change of its labels after the first (a client relabelling it), in
    # order: empty for a pod whose labels never changed.
    relabels: tuple[tuple[dict[str, str], int], ...] = field(default=(), compare=False)
    # (rank, lastTransitionTime) at each change of its Ready condition's lastTransitionTime while
    # it stayed Ready (a client writing the pod's status): IsPodAvailable reads the condition as
    # it is. Empty for nearly every pod (the kubelet moves it only with the status).
    ready_since_changes: tuple[tuple[int, Any], ...] = field(default=(), compare=False)
    # Its graceful deletion cut to grace 0 while it was Running and Ready: (rank, change id) of
    # the change that lowered metadata.deletionGracePeriodSeconds to 0, and the grace period the
    # deletion began with. A kubelet's own final DELETE (grace 0) follows its status saying the
    # containers stopped; a client's force deletion does not (`stswatch.reports.proofs.
    # force_deletion`). None for a pod whose deletion never was.
    grace_cut: tuple[int, int, int] | None = field(default=None, compare=False)
    # Each transition's kind, in order: proofs ask a pod for its first this or that often, and
    # a tuple searched in C is as quick as a dict at a third of its size.
    _whats: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # The first change seen for this pod: a field, not a property (asked about a million times
    # by a verification of 10,000 pods).
    created: Transition = field(init=False, repr=False, compare=False)
    # Its first "deleted" and "terminating" transitions: asked of every pod again and again.
    _deleted: Transition | None = field(init=False, repr=False, compare=False)
    _terminating: Transition | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        whats = tuple([t.what for t in self.transitions])
        if len(_WHATS) < _WHATS_KEPT or whats in _WHATS:  # most pods take the same steps
            whats = _WHATS.setdefault(whats, whats)
        object.__setattr__(self, "_whats", whats)  # frozen: set once, here
        object.__setattr__(self, "created", self.transitions[0])
        object.__setattr__(self, "_deleted", self.first("deleted"))
        object.__setattr__(self, "_terminating", self.first("terminating"))

    def labels_at(self, rank: int) -> dict[str, str]:
        """Its labels as of `rank`."""
        return _in_force(self.labels, self.relabels, rank)

    @property
    def created_orphan(self) -> bool:
        """True when the pod was created without a controller ownerReference: by a client, not
        by the StatefulSet controller (which creates its pods owned: newStatefulSetPod), even
        if a set adopted it later (ClaimPods)."""
        return self.controller_at(self.transitions[0].rank) is None

    def revision_at(self, rank: int) -> str | None:
        """Its controller-revision-hash label as of `rank` (`revision` unless a client
        relabelled it): the revision the controller reads (getPodRevision)."""
        if not self.relabels:
            return self.revision
        return self.labels_at(rank).get(REVISION_LABEL)

    def ready_since_at(self, ready: "Transition", rank: int) -> Any:
        """Its Ready condition's lastTransitionTime just before `rank`, `ready` being its last
        turn to Ready before it: the API time that turn carried, unless a later status write
        moved it while the pod stayed Ready."""
        found = ready.api_time
        for at, since in self.ready_since_changes:
            if ready.rank < at < rank:
                found = since
        return found

    def revisions_until(self, rank: int) -> set[str | None]:
        """Every controller-revision-hash label this pod carried up to `rank` (a client may
        relabel it; the update step reads the label, `getPodRevision`, not the revision the pod
        was created at)."""
        found = {self.revision}
        found.update(labels.get(REVISION_LABEL) for labels, r in self.relabels if r <= rank)
        return found

    def ever_controlled_by(self, set_uid: str) -> bool:
        """True when the StatefulSet incarnation `set_uid` controlled this pod at some point (it
        created it, or adopted it after another set of its name released it: ClaimPods)."""
        return self.owner_uid == set_uid or any(uid == set_uid for uid, _ in self.controllers)

    def released_at(self, set_uid: str, since: int) -> int | None:
        """The rank at which StatefulSet `set_uid` stopped controlling this pod, at or after
        `since` (its controllerRef removed, as an orphaning delete does, or another set's); None
        while it still did (`since` itself when it already did not)."""
        if self.controller_at(since) != set_uid:
            return since
        return next((r for uid, r in self.controllers if r > since and uid != set_uid), None)

    def releases(self, set_uid: str) -> list[Transition]:
        """The changes at which StatefulSet `set_uid` stopped controlling this pod while it
        existed (its controllerRef removed: ClaimPods' ReleasePod, or another set's)."""
        found = []
        previous = self.controllers[0][0] if self.controllers else None
        for change in self.control_steps:
            if previous == set_uid and change.detail != set_uid:
                found.append(change)
            previous = change.detail or None
        return found

    def adopted_after(self, rank: int) -> tuple[str, int] | None:
        """The first StatefulSet uid to control this pod after `rank`, with the rank it did."""
        return next(((uid, r) for uid, r in self.controllers if r > rank and uid), None)

    def controller_at(self, rank: int) -> str | None:
        """The uid of the StatefulSet whose ownerReference controlled this pod at `rank` (None:
        orphaned then)."""
        return _in_force(self.owner_uid, self.controllers, rank)

    def first(self, what: str) -> Transition | None:
        """The first transition of kind `what`, if any."""
        whats = self._whats
        return self.transitions[whats.index(what)] if what in whats else None

    @property
    def deleted(self) -> Transition | None:
        """The DELETED change, if the pod is gone."""
        return self._deleted

    @property
    def terminating(self) -> Transition | None:
        """The first change showing a deletionTimestamp."""
        return self._terminating

    @property
    def deletion_began(self) -> Transition | None:
        """The change at which this pod's deletion began: its first deletionTimestamp, else its
        DELETED change (a deletion seen only once done); None while it was never deleted."""
        return self._terminating or self._deleted

    def finished(self, before: int | None = None) -> Transition | None:
        """The Failed or Succeeded phase this pod reached on its own: at or before the change
        at which its deletion began (a container exiting on the deletion's SIGTERM did not
        finish running), and before rank `before` when given; None when it never finished.
        `processReplica` deletes such a pod and creates it again (`isFailed`, `isSucceeded`)."""
        began = self.deletion_began
        bound = began.rank + 1 if began is not None else sys.maxsize
        return self.last_before(bound if before is None else min(bound, before), _FINISHED)

    def alive_at(self, rank: int) -> bool:
        """True when the pod object existed at `rank` (created at or before, not yet deleted)."""
        gone = self._deleted
        return self.transitions[0].rank <= rank and (gone is None or gone.rank > rank)

    def step_at(self, rank: int) -> Transition | None:
        """Its transition recorded at `rank`, if one was."""
        return next((t for t in self.transitions if t.rank == rank), None)

    def last_before(self, rank: int, kinds: Iterable[str]) -> Transition | None:
        """The latest transition of one of `kinds` strictly before `rank`."""
        wanted = set(kinds)
        found = None
        for candidate in self.transitions:
            if candidate.rank >= rank:
                break
            if candidate.what in wanted:
                found = candidate
        return found


_T = TypeVar("_T")


def _in_force(first: _T, changes: Iterable[tuple[_T, int]], rank: int) -> _T:
    """The value in force at `rank`: `first`, then each (value, since rank) of `changes` in
    order from its rank on."""
    found = first
    for value, since in changes:
        if since > rank:
            break
        found = value
    return found


class _PodState(NamedTuple):
    """What one pod change says of its lifecycle."""

    scheduled: str | None  # the node, or "?" when PodScheduled is True without one
    phase: str | None
    reason: str | None
    ip: str | None
    ready: bool | None  # None: no Ready condition
    ready_since: Any  # the Ready condition's lastTransitionTime
    terminating: str | None  # metadata.deletionTimestamp
    disrupted: tuple[str, str] | None  # a DisruptionTarget True condition's (reason, message)


_BEFORE_ANY = _PodState(None, None, None, None, False, None, None, None)
_UNSEEN = object()  # before the first change: equal to no field's value


def _pod_state(pod: o.Obj) -> _PodState:
    """What a pod change says of its lifecycle; read field by field once (hot: every pod change)."""
    metadata, spec, status = pod.get("metadata"), pod.get("spec"), pod.get("status")
    metadata = metadata if isinstance(metadata, dict) else {}
    spec = spec if isinstance(spec, dict) else {}
    status = status if isinstance(status, dict) else {}
    ready = scheduled = disrupted = None
    for cond in o.items(status.get("conditions")):
        if isinstance(cond, dict):
            kind = cond.get("type")
            if kind == "Ready" and ready is None:
                ready = cond
            elif kind == "PodScheduled" and scheduled is None:
                scheduled = cond
            elif kind == "DisruptionTarget" and cond.get("status") == "True":
                disrupted = (o.text(cond.get("reason")) or "", o.text(cond.get("message")) or "")
    node = spec.get("nodeName")
    scheduled_true = scheduled is not None and scheduled.get("status") == "True"
    return _PodState(
        o.text(node) or (scheduled_true and "?") or None,
        o.text(status.get("phase")),
        o.text(status.get("reason")),
        o.text(status.get("podIP")),
        None if ready is None else ready.get("status") == "True",
        ready.get("lastTransitionTime") if ready else None,
        o.text(metadata.get("deletionTimestamp")),
        disrupted,
    )


def _pod_steps(before: _PodState, after: _PodState) -> list[tuple[str, str, Any]]:
    steps: list[tuple[str, str, Any]] = []
    if after.scheduled and not before.scheduled:
        steps.append(("scheduled", str(after.scheduled), None))
    if after.phase and after.phase != before.phase:
        steps.append((str(after.phase).lower(), after.reason or "", None))
    if after.ip and after.ip != before.ip:
        steps.append(("ip", str(after.ip), None))
    if after.ready is not None and after.ready != before.ready:
        steps.append(("ready" if after.ready else "unready", "", after.ready_since))
    if after.terminating and not before.terminating:
        steps.append(("terminating", "", after.terminating))
    return steps


def build_pod(
    history: list[Change],
    ordering: Ordering,
    objects: Iterable[o.Obj],
    shared: dict[tuple[str, ...], tuple[str, ...]] | None = None,
) -> PodIncarnation:
    """One pod uid's incarnation from its changes, in order, and their decoded `objects`.

    `shared` gives one tuple for each list of names other pods repeat (their claims, their IPs).
    """
    first = history[0]
    objects = list(objects)
    obj = objects[0]
    steps = [step(first, ordering, "created", first.observed, meta(obj, "creationTimestamp"))]
    state = _BEFORE_ANY
    ips: list[str] = []
    controllers: list[tuple[str | None, int]] = []
    control_steps: list[Transition] = []
    unschedulable: list[tuple[int, int, str]] = []
    disruption = None
    relabels: list[tuple[dict[str, str], int]] = []
    ready_since: list[tuple[int, Any]] = []
    began_grace: int | None = None  # deletionGracePeriodSeconds when its deletion began
    grace_cut = None
    seen_labels = o.dig(obj, "metadata", "labels")
    seen_refs: object = _UNSEEN
    uid = None
    for change, decoded in zip(history, objects, strict=True):
        metadata = decoded.get("metadata")  # `o.dig` inline (hot: every pod change)
        now_labels = metadata.get("labels") if isinstance(metadata, dict) else None
        if now_labels != seen_labels:
            seen_labels = now_labels
            relabels.append((o.labels(decoded), ordering.rank[change.id]))
        message = _unschedulable(decoded) if state.scheduled is None else None
        if message and (not unschedulable or unschedulable[-1][2] != message):
            unschedulable.append((ordering.rank[change.id], change.id, message))
        refs = metadata.get("ownerReferences") if isinstance(metadata, dict) else None
        if refs != seen_refs:  # read again only when they changed (most changes keep them)
            seen_refs = refs
            controller = o.owner_statefulset(decoded)
            uid = controller[1] if controller else None
        if not controllers or controllers[-1][0] != uid:
            if controllers:
                control_steps.append(step(change, ordering, "controller", uid or ""))
            controllers.append((uid, ordering.rank[change.id]))
        after = _pod_state(decoded)
        if after.disrupted is not None and disruption is None:
            disruption = (ordering.rank[change.id], change.id, *after.disrupted)
        if after != state:
            if after.ready and state.ready and after.ready_since != state.ready_since:
                ready_since.append((ordering.rank[change.id], after.ready_since))
            for what, detail, api in _pod_steps(state, after):
                steps.append(step(change, ordering, what, detail, api))
                if what == "ip":
                    ips.append(detail)
            state = after
        if after.terminating and isinstance(metadata, dict) and began_grace != 0:
            grace = o.integer(metadata.get("deletionGracePeriodSeconds"))
            if began_grace is None:
                began_grace = grace
            elif grace == 0 and after.phase == "Running" and after.ready:
                grace_cut = (ordering.rank[change.id], change.id, began_grace)
            if grace == 0:
                began_grace = 0  # read no further: the cut, if any, is found
        if change.event == "DELETED":
            steps.append(step(change, ordering, "deleted"))
    parent = o.parse_ordinal(first.name)
    last_obj = objects[-1]
    owner, owner_uid = o.owner_statefulset(obj) or o.owner_statefulset(last_obj) or (None, None)
    held, claims, labels = tuple(ips), o.pod_claims(obj), o.labels(obj)
    if shared is not None:
        held, claims = shared.setdefault(held, held), shared.setdefault(claims, claims)
    return PodIncarnation(
        namespace=first.namespace or "",
        name=first.name,
        uid=first.uid,
        statefulset=owner,
        owner_uid=owner_uid,
        ordinal=parent[1] if parent and owner and parent[0] == owner else None,
        first_observed=first.observed,
        revision=labels.get(REVISION_LABEL),
        hostname=o.spec_str(obj, "hostname"),
        subdomain=o.spec_str(obj, "subdomain"),
        node=o.pod_node(last_obj),
        ips=held,
        claims=claims,
        transitions=tuple(steps),
        labels=labels,
        controllers=tuple(controllers) if len(controllers) > 1 else (),
        control_steps=tuple(control_steps),
        unschedulable=tuple(unschedulable),
        disruption=disruption,
        relabels=tuple(relabels),
        ready_since_changes=tuple(ready_since),
        grace_cut=grace_cut,
    )


def _unschedulable(pod: o.Obj) -> str | None:
    """The message of the pod's PodScheduled False condition, if it has one."""
    status = pod.get("status")
    if not isinstance(status, dict):
        return None
    for cond in o.items(status.get("conditions")):
        if isinstance(cond, dict) and cond.get("type") == "PodScheduled":
            if cond.get("status") == "False":
                return o.text(cond.get("message"))
            return None
    return None
