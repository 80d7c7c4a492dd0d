"""Lifecycles rebuilt from a recording: pod incarnations, PVCs, StatefulSets, Services, DNS.

The model, for readers of these types (proofs, timeline, HTML):

- `Lifecycles` is built by `build_lifecycles(recording)`. It holds an `Ordering` (the basis and a
  rank per change id) and, each sorted by that order:
  - `pods`: one `PodIncarnation` per pod uid (a deleted and recreated `web-1` is two incarnations
    with the same name). `pods_by_set[(namespace, statefulset)][ordinal]` lists a StatefulSet's
    incarnations per ordinal, oldest first.
  - `pvcs`: one `PvcIncarnation` per claim uid, with the PV it is bound to (name and uid).
  - `statefulsets`: one `StatefulSetIncarnation` per StatefulSet uid (a policy change means
    delete and create, so a new incarnation), with every spec version (`SpecVersion`) and status
    version (`StatusVersion`); `services`: one `ServiceIncarnation` per Service uid.
  - `dns`: every `DnsObservation`, one per (EndpointSlice change, endpoint with a hostname): what
    CoreDNS would serve as `<hostname>.<service>.<namespace>.svc.cluster.local`.
- Every step is a `Transition` naming the change that evidences it (`change_id`,
  `resource_version`, `received_wall_ns`) and its `rank` in the ordering. Pod transition kinds:
  created, scheduled, pending, running, succeeded, failed, ip, ready, unready, terminating,
  deleted. PVC: created, bound (detail = PV name), lost, terminating, deleted. Service and
  StatefulSet: created, terminating, deleted.
- Pod types live in `stswatch.reports.history.pods`, StatefulSet types in
`stswatch.reports.history.statefulsets`,
  `Transition` in `stswatch.reports.history.transition`; all are re-exported here, the one module
  to import.
- "created" is the first change seen for the uid; `first_observed` says whether that was the
  initial list (the object already existed), a watch event (a real creation) or a relist after a
  gap (created at an unknown moment inside the gap).
"""

from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from operator import itemgetter
from sys import intern
from typing import Any

from stswatch.reports.frozen import builder
from stswatch.reports.history import objects as o
from stswatch.reports.history.ordering import Ordering, decide_ordering
from stswatch.reports.history.pods import PodIncarnation, build_pod
from stswatch.reports.history.revisions import RevisionIncarnation, build_revision
from stswatch.reports.history.statefulsets import (
    SpecVersion,
    StatefulSetIncarnation,
    StatusVersion,
    build_statefulset,
)
from stswatch.reports.history.transition import (
    PlainSteps,
    Transition,
    alive_at,
    deletion_began,
    first_of,
    plain_steps,
    step,
)
from stswatch.reports.recording import Change, ChangeTable, Gap, Recording

__all__ = [
    "SILENT_GAP",
    "DnsObservation",
    "Lifecycles",
    "ObjectSeen",
    "PodIncarnation",
    "PvcIncarnation",
    "ServiceIncarnation",
    "SpecVersion",
    "StatefulSetIncarnation",
    "StatusVersion",
    "Transition",
    "build_lifecycles",
]


@dataclass(frozen=True)
class PvcIncarnation:
    """One PersistentVolumeClaim uid: created, bound to a PV, deleted."""

    namespace: str
    name: str
    uid: str
    volume_name: str | None  # the PV it was last bound to
    first_observed: str
    transitions: tuple[Transition, ...]
    volume_uid: str | None = None  # that PV's uid, when PersistentVolumes were recorded
    owner_kinds: tuple[str, ...] = ()  # kinds of its ownerReferences when last seen
    volumes: tuple[str, ...] = ()  # every PV name it was bound to, in order
    volume_uids: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # Its ownerReferences as (kind, uid) pairs from each change that changed them, with that
    # change's rank: the controller sets and clears them per persistentVolumeClaimRetentionPolicy.
    owner_history: tuple[tuple[int, tuple[tuple[str, str], ...]], ...] = field(
        default=(), repr=False, compare=False
    )

    def owners_at(self, rank: int) -> tuple[tuple[str, str], ...]:
        """The claim's ownerReferences, (kind, uid) pairs, as last recorded at or before `rank`."""
        i = bisect_right(self.owner_history, rank, key=itemgetter(0))
        return self.owner_history[i - 1][1] if i else ()

    @property
    def deleted(self) -> Transition | None:
        """The DELETED change, if the claim is gone."""
        return first_of(self.transitions, "deleted")

    @property
    def deletion_began(self) -> Transition | None:
        """The change at which the claim's deletion began (`transition.deletion_began`)."""
        return deletion_began(self.transitions)

    def alive_at(self, rank: int) -> bool:
        """True when the claim existed at `rank`."""
        return alive_at(self.transitions, rank)


@dataclass(frozen=True)
class ServiceIncarnation:
    """One Service uid: created, deleted."""

    namespace: str
    name: str
    uid: str
    headless: bool
    first_observed: str
    transitions: tuple[Transition, ...]
    cluster_ip: str | None = None
    selector: dict[str, str] = field(default_factory=dict, compare=False)
    publish_not_ready: bool = False  # spec.publishNotReadyAddresses
    # (rank, change id, selector) at each change of spec.selector after the first, in order.
    reselected: tuple[tuple[int, int, dict[str, str]], ...] = field(default=(), compare=False)
    # spec.externalName of a Service of type ExternalName (a DNS alias), else None.
    external_name: str | None = None

    def selector_at(self, rank: int) -> tuple[dict[str, str], int | None]:
        """spec.selector in force at `rank`, and the change id that set it (None: the first)."""
        found: tuple[dict[str, str], int | None] = (self.selector, None)
        for at, change_id, selector in self.reselected:
            if at > rank:
                break
            found = (selector, change_id)
        return found

    @property
    def first_deleted(self) -> Transition | None:
        """The DELETED change, if the Service is gone."""
        return first_of(self.transitions, "deleted")

    def alive_at(self, rank: int) -> bool:
        """True when the Service existed at `rank`."""
        return alive_at(self.transitions, rank)


@dataclass(frozen=True, slots=True)
class DnsObservation:
    """An EndpointSlice endpoint with a hostname: a per-pod DNS record as CoreDNS would serve it."""

    namespace: str
    service: str
    hostname: str
    addresses: tuple[str, ...]
    ready: bool
    target_uid: str | None
    slice_name: str
    change_id: int
    resource_version: str
    received_wall_ns: int
    rank: int
    present: bool  # False when this change removed the slice (DELETED)
    serving: bool | None = None  # conditions.serving: the pod was Ready (None: not recorded)

    @property
    def fqdn(self) -> str:
        """`<hostname>.<service>.<namespace>.svc.cluster.local`."""
        return f"{self.hostname}.{self.service}.{self.namespace}.svc.cluster.local"


SetKey = tuple[str, str]  # (namespace, StatefulSet name)


@dataclass(frozen=True)
class Lifecycles:
    """Everything rebuilt from one recording, ordered by `ordering`."""

    ordering: Ordering
    pods: tuple[PodIncarnation, ...]
    pvcs: tuple[PvcIncarnation, ...]
    statefulsets: tuple[StatefulSetIncarnation, ...]
    services: tuple[ServiceIncarnation, ...]
    dns: tuple[DnsObservation, ...]
    pods_by_set: dict[SetKey, dict[int, tuple[PodIncarnation, ...]]] = field(repr=False)
    dns_by_name: dict[tuple[str, str, str], tuple[DnsObservation, ...]] = field(repr=False)
    pvcs_by_name: dict[tuple[str, str], tuple[PvcIncarnation, ...]] = field(repr=False)
    statefulsets_by_uid: dict[str, StatefulSetIncarnation] = field(repr=False)
    statefulsets_by_name: dict[SetKey, tuple[StatefulSetIncarnation, ...]] = field(repr=False)

    def statefulset(self, uid: str | None) -> StatefulSetIncarnation | None:
        """The StatefulSet incarnation with this uid, if it was recorded."""
        return self.statefulsets_by_uid.get(uid or "")

    def statefulsets_named(self, namespace: str, name: str) -> tuple[StatefulSetIncarnation, ...]:
        """Every incarnation of the StatefulSet `namespace/name`, in order."""
        return self.statefulsets_by_name.get((namespace, name), ())

    # ControllerRevisions per owning StatefulSet uid, oldest first.
    revisions_by_owner: dict[str, tuple[RevisionIncarnation, ...]] = field(
        default_factory=dict, repr=False
    )
    # Windows where Pod rows are missing though no gap was recorded (`_close_ghosts`).
    silent_gaps: tuple[Gap, ...] = ()

    def revisions_of(self, sts: "StatefulSetIncarnation") -> tuple[RevisionIncarnation, ...]:
        """The ControllerRevisions one StatefulSet incarnation owned, oldest first."""
        return self.revisions_by_owner.get(sts.uid, ())

    def claims_named(self, namespace: str, name: str) -> tuple[PvcIncarnation, ...]:
        """Every incarnation of the claim `namespace/name`, in order."""
        return self.pvcs_by_name.get((namespace, name), ())

    def claim_at(self, namespace: str, name: str, rank: int) -> PvcIncarnation | None:
        """The claim `namespace/name` that existed at `rank`. A name is one claim's at a time;
        two that look alive at once are an older one whose deletion a relist recorded late (at
        the list's resourceVersion, after the newer one's creation): the newer is the one."""
        found = None
        for claim in self.claims_named(namespace, name):  # in order of creation
            if claim.alive_at(rank):
                found = claim
        return found

    def dns_records(
        self, namespace: str, service: str, hostname: str
    ) -> tuple[DnsObservation, ...]:
        """Every observation of `<hostname>.<service>.<namespace>`, in order."""
        return self.dns_by_name.get((namespace, service, hostname), ())

    def set_pods(self, namespace: str, name: str) -> dict[int, tuple[PodIncarnation, ...]]:
        """The pod incarnations per ordinal of every StatefulSet so named, oldest first."""
        return self.pods_by_set.get((namespace, name), {})

    def pods_of(self, sts: "StatefulSetIncarnation") -> dict[int, tuple[PodIncarnation, ...]]:
        """The pods one StatefulSet incarnation owned (not those of an earlier set so named)."""
        slots = {
            ordinal: tuple(p for p in pods if p.owner_uid is None or p.ever_controlled_by(sts.uid))
            for ordinal, pods in self.set_pods(sts.namespace, sts.name).items()
        }
        return {ordinal: pods for ordinal, pods in slots.items() if pods}


class _Histories(Mapping[tuple[str, str], list[Change]]):
    """Each object's changes by (kind, uid), in rank order: held as table positions, the views
    built for one object at a time (a view for every change at once is a large set's peak)."""

    def __init__(self, table: ChangeTable) -> None:
        self.table = table
        self.positions: dict[tuple[str, str], list[int]] = {}

    def __getitem__(self, key: tuple[str, str]) -> list[Change]:
        return self.table.views(self.positions[key])

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.positions)

    def __len__(self) -> int:
        return len(self.positions)


# Handed each change with its decoded object while lifecycles are built (`build_lifecycles`'s
# `seen`): each object's changes come in the order recorded, objects interleaved. A reader that
# needs every object (the timeline's diffs, when a report is drawn) shares this one decoding.
ObjectSeen = Callable[[Change, o.Obj], None]


def build_lifecycles(recording: Recording, *, seen: ObjectSeen | None = None) -> Lifecycles:
    """Rebuild every lifecycle in the recording, handing every change's object to `seen`."""
    ordering = decide_ordering(recording)
    by_uid = _Histories(recording.changes)
    table = recording.changes
    kinds, codes, uids = table.kinds.values, table.kinds.codes, table.uids
    for at in ordering.positions(table):  # read from the table's columns: a view only kept
        by_uid.positions.setdefault((kinds[codes[at]], uids[at]), []).append(at)
    volumes = _volumes_by_claim(recording.decoded("PersistentVolume"))
    built: dict[tuple[str, str], object] = {}
    # One tuple for each list of names or addresses the objects repeat (a name's incarnations
    # mount the same claims; each slice change lists its endpoints' addresses again).
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}
    # Each object's changes are decoded, folded into its incarnation and dropped (read back from
    # the store one object at a time when the recording left them there).
    for key, history in recording.by_object(by_uid):
        kind = key[0]
        objects = _decoded(recording.objects_of(history), history, by_uid.positions[key], seen)
        if kind == "Pod":
            built[key] = build_pod(history, ordering, objects, shared)
        elif kind == "PersistentVolumeClaim":
            built[key] = _pvc(history, ordering, volumes, objects)
        elif kind == "StatefulSet":
            built[key] = build_statefulset(history, ordering, objects)
        elif kind == "Service":
            built[key] = _service(history, ordering)
        elif kind == "EndpointSlice":
            built[key] = _dns(history, ordering, shared)
        elif kind == "ControllerRevision":
            built[key] = build_revision(history, ordering)
        if seen is not None:
            deque(objects, maxlen=0)  # the rest of a kind read above from its changes
    pods: list[PodIncarnation] = []
    pvcs: list[PvcIncarnation] = []
    sets: list[StatefulSetIncarnation] = []
    services: list[ServiceIncarnation] = []
    dns: list[DnsObservation] = []
    revisions: dict[str, list[RevisionIncarnation]] = {}
    for key in by_uid:  # in the order each object first appears
        one = built.get(key)
        if isinstance(one, PodIncarnation):
            pods.append(one)
        elif isinstance(one, PvcIncarnation):
            pvcs.append(one)
        elif isinstance(one, StatefulSetIncarnation):
            sets.append(one)
        elif isinstance(one, ServiceIncarnation):
            services.append(one)
        elif isinstance(one, RevisionIncarnation):
            for owner in one.owners or ((one.owner_uid,) if one.owner_uid else ()):
                revisions.setdefault(owner, []).append(one)
        elif isinstance(one, list):
            dns.extend(one)
    dns.sort(key=lambda d: d.rank)
    last_rows = {
        uid: table[at[-1]] for (kind, uid), at in by_uid.positions.items() if kind == "Pod"
    }
    pods, silent = _close_ghosts(pods, last_rows, recording.gaps)
    return Lifecycles(
        ordering=ordering,
        pods=tuple(pods),
        pvcs=tuple(pvcs),
        statefulsets=tuple(sets),
        services=tuple(services),
        dns=tuple(dns),
        pods_by_set=_group_pods(pods),
        dns_by_name=_group_dns(dns),
        pvcs_by_name=_group_pvcs(pvcs),
        statefulsets_by_uid={s.uid: s for s in sets},
        statefulsets_by_name=_group_sets(sets),
        revisions_by_owner={
            uid: tuple(sorted(found, key=lambda r: r.created.rank))
            for uid, found in revisions.items()
        },
        silent_gaps=silent,
    )


def _decoded(
    decoding: Iterator[o.Obj], history: list[Change], positions: list[int], seen: ObjectSeen | None
) -> Iterator[o.Obj]:
    """The objects of one object's changes (`history`, in rank order; `positions`, theirs in the
    table), each decoded once (by `decoding`) as it is asked for and handed to `seen` in the
    order recorded."""
    if seen is None:
        return decoding
    return _handed(decoding, history, positions, seen)


def _handed(
    decoding: Iterator[o.Obj], history: list[Change], positions: list[int], seen: ObjectSeen
) -> Iterator[o.Obj]:
    if all(a < b for a, b in pairwise(positions)):  # rank order is the order recorded
        for change, obj in zip(history, decoding, strict=True):
            seen(change, obj)
            yield obj
        return
    objects = list(decoding)
    for at in sorted(range(len(history)), key=positions.__getitem__):
        seen(history[at], objects[at])
    yield from objects


# How a silent gap's reason begins (the proofs tell it from a recorded gap by it).
SILENT_GAP = "rows missing without a gap record"


def _close_ghosts(
    pods: list[PodIncarnation], last_rows: dict[str, Change], recorded: Sequence[Gap]
) -> tuple[list[PodIncarnation], tuple[Gap, ...]]:
    """Pods whose DELETED was never recorded, closed where the next pod of their name appears.

    A namespace never holds two pods of one name, so the next incarnation's first row proves the
    earlier one gone by then. The earlier one ends there ("deleted", detail "not recorded"), and
    unless a recorded Pod gap already covers it, the stretch from its last row to that first row
    is a silent gap: rows are missing that no gap record tells.
    """
    latest: dict[tuple[str, str], int] = {}
    closed: dict[int, PodIncarnation] = {}
    silent: list[Gap] = []
    next_id = max((g.id for g in recorded), default=0) + 1
    pod_gaps = [(g.from_wall_ns, g.to_wall_ns) for g in recorded if g.kind == "Pod"]
    for i, pod in enumerate(pods):
        key = (pod.namespace, pod.name)
        before = latest.get(key)
        latest[key] = i
        if before is None:
            continue
        old = closed.get(before, pods[before])
        if old.deleted is not None or old.created.rank >= pod.created.rank:
            continue
        seen = pod.created
        end = Transition(
            "deleted",
            seen.change_id,
            seen.resource_version,
            seen.received_wall_ns,
            seen.rank,
            "not recorded",
        )
        closed[before] = replace(old, transitions=(*old.transitions, end))
        last = last_rows[old.uid]
        if any(a <= seen.received_wall_ns and b >= last.received_wall_ns for a, b in pod_gaps):
            continue
        reason = (
            f"{SILENT_GAP}: {old.name} (uid {old.uid[:6]}) has no DELETED, "
            f"but the next {pod.name} appears at #{seen.change_id} (a namespace holds one pod of "
            "a name)"
        )
        silent.append(
            Gap(
                next_id,
                last.run_id,
                "Pod",
                reason,
                last.resource_version,
                seen.resource_version,
                last.received_wall_ns,
                seen.received_wall_ns,
            )
        )
        next_id += 1
    return [closed.get(i, p) for i, p in enumerate(pods)], tuple(silent)


def _group_sets(
    sets: list[StatefulSetIncarnation],
) -> dict[SetKey, tuple[StatefulSetIncarnation, ...]]:
    grouped: dict[SetKey, list[StatefulSetIncarnation]] = {}
    for sts in sets:
        grouped.setdefault((sts.namespace, sts.name), []).append(sts)
    return {key: tuple(incs) for key, incs in grouped.items()}


def _group_pvcs(pvcs: list[PvcIncarnation]) -> dict[tuple[str, str], tuple[PvcIncarnation, ...]]:
    grouped: dict[tuple[str, str], list[PvcIncarnation]] = {}
    for claim in pvcs:
        grouped.setdefault((claim.namespace, claim.name), []).append(claim)
    return {key: tuple(claims) for key, claims in grouped.items()}


def _group_dns(dns: list[DnsObservation]) -> dict[tuple[str, str, str], tuple[DnsObservation, ...]]:
    grouped: dict[tuple[str, str, str], list[DnsObservation]] = {}
    for record in dns:
        grouped.setdefault((record.namespace, record.service, record.hostname), []).append(record)
    return {key: tuple(records) for key, records in grouped.items()}


def _group_pods(
    pods: Sequence[PodIncarnation],
) -> dict[SetKey, dict[int, tuple[PodIncarnation, ...]]]:
    grouped: dict[SetKey, dict[int, list[PodIncarnation]]] = {}
    for pod in pods:
        if pod.statefulset is not None and pod.ordinal is not None:
            slots = grouped.setdefault((pod.namespace, pod.statefulset), {})
            slots.setdefault(pod.ordinal, []).append(pod)
    return {
        key: {ordinal: tuple(incs) for ordinal, incs in sorted(slots.items())}
        for key, slots in grouped.items()
    }


def _volumes_by_claim(volumes: Iterable[tuple[Change, o.Obj]]) -> dict[str, dict[str, str]]:
    """PersistentVolume uid per PV name, per bound claim uid (the PV's spec.claimRef names it)."""
    found: dict[str, dict[str, str]] = {}
    for change, obj in volumes:
        claim = o.dig(obj, "spec", "claimRef", "uid")
        if claim:
            found.setdefault(str(claim), {})[change.name] = change.uid
    return found


def _pvc(
    history: list[Change],
    ordering: Ordering,
    volumes_by_claim: dict[str, dict[str, str]],
    objects: Iterable[o.Obj],
) -> PvcIncarnation:
    plain = PlainSteps(ordering)
    steps: list[Transition] = []
    bound_to: str | None = None
    phase: str | None = None
    volumes: list[str] = []
    owners: list[tuple[int, tuple[tuple[str, str], ...]]] = []
    obj: o.Obj = {}
    for change, obj in zip(history, objects, strict=True):
        plain.see(change, obj)
        refs = o.owners(obj)
        if not owners or owners[-1][1] != refs:
            owners.append((ordering.rank[change.id], refs))
        now = o.status_str(obj, "phase")
        volume = o.spec_str(obj, "volumeName")
        if now != phase and now in ("Bound", "Lost"):
            steps.append(step(change, ordering, now.lower(), volume or ""))
        elif now == "Bound" and volume and volumes and volume != volumes[-1]:
            steps.append(step(change, ordering, "bound", volume))
        phase = now
        bound_to = volume or bound_to
        if volume and (not volumes or volumes[-1] != volume):
            volumes.append(volume)
    steps = plain.steps + steps
    steps.sort(key=lambda s: (s.rank, s.what == "deleted"))
    first = history[0]
    return PvcIncarnation(
        first.namespace or "",
        first.name,
        first.uid,
        bound_to,
        first.observed,
        tuple(steps),
        volumes_by_claim.get(first.uid, {}).get(bound_to or ""),
        o.owner_kinds(obj),  # as the claim was last seen
        tuple(volumes),
        volumes_by_claim.get(first.uid, {}),
        tuple(owners),
    )


def _service(history: list[Change], ordering: Ordering) -> ServiceIncarnation:
    first = history[0]
    obj = first.object
    selector = o.dig(obj, "spec", "selector")
    reselected = []
    seen = selector
    for change in history[1:]:
        now = o.dig(change.object, "spec", "selector")
        if now != seen:
            seen = now
            labels = {str(k): str(v) for k, v in now.items()} if isinstance(now, dict) else {}
            reselected.append((ordering.rank[change.id], change.id, labels))
    return ServiceIncarnation(
        first.namespace or "",
        first.name,
        first.uid,
        o.is_headless(obj),
        first.observed,
        tuple(plain_steps(history, ordering)),
        o.spec_str(obj, "clusterIP"),
        {str(k): str(v) for k, v in selector.items()} if isinstance(selector, dict) else {},
        o.dig(obj, "spec", "publishNotReadyAddresses") is True,
        tuple(reselected),
        _external_name(obj),
    )


def _external_name(obj: o.Obj) -> str | None:
    """spec.externalName of a Service of type ExternalName, else None."""
    if o.dig(obj, "spec", "type") != "ExternalName":
        return None
    return o.spec_str(obj, "externalName") or ""


def _interned(value: Any) -> Any:
    """`value`, one copy of it when it is a string (a pod's uid recurs in every slice change)."""
    return intern(value) if isinstance(value, str) else value


_dns_observation = builder(DnsObservation)  # hot: every endpoint of every slice change


def _dns(
    history: list[Change],
    ordering: Ordering,
    shared: dict[tuple[str, ...], tuple[str, ...]] | None = None,
) -> list[DnsObservation]:
    found: list[DnsObservation] = []
    for change in history:
        obj = change.object
        service = o.slice_service(obj)
        if service is None:
            continue
        endpoints = [e for e in o.slice_endpoints(obj) if e.get("hostname")]
        if not endpoints:
            continue
        # The change's own fields once for all its endpoints (each read is a column lookup).
        namespace, service = change.namespace or "", intern(service)
        slice_name, change_id, version = change.name, change.id, change.resource_version
        wall, rank, present = change.received_wall_ns, ordering.rank[change_id], change.event
        for endpoint in endpoints:
            addresses = tuple(intern(str(a)) for a in endpoint.get("addresses") or ())
            if shared is not None:
                addresses = shared.setdefault(addresses, addresses)
            conditions = endpoint.get("conditions") or {}
            serving = conditions.get("serving")
            found.append(
                _dns_observation(  # every field, in order
                    namespace,
                    service,
                    intern(str(endpoint["hostname"])),
                    addresses,
                    conditions.get("ready") is not False,
                    _interned((endpoint.get("targetRef") or {}).get("uid")),
                    slice_name,
                    change_id,
                    version,
                    wall,
                    rank,
                    present != "DELETED",
                    serving if isinstance(serving, bool) else None,
                )
            )
    return found
