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
- "created" is the first change seen for the uid; `first_observed` says whether that was the
  initial list (the object already existed), a watch event (a real creation) or a relist after a
  gap (created at an unknown moment inside the gap).
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson

from reports import objects as o
from reports.ordering import Ordering, decide_ordering
from reports.recording import Change, Recording

POD_KINDS = ("Pod",)


@dataclass(frozen=True)
class Transition:
    """One lifecycle step and the recorded change that evidences it."""

    what: str
    change_id: int
    resource_version: str
    received_wall_ns: int
    rank: int
    detail: str = ""
    api_time: str | None = None  # the API's own (second-precision) timestamp for it, if any


@dataclass(frozen=True)
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

    def first(self, what: str) -> Transition | None:
        """The first transition of kind `what`, if any."""
        return next((t for t in self.transitions if t.what == what), None)

    @property
    def created(self) -> Transition:
        """The first change seen for this pod."""
        return self.transitions[0]

    @cached_property
    def deleted(self) -> Transition | None:
        """The DELETED change, if the pod is gone."""
        return self.first("deleted")

    @cached_property
    def terminating(self) -> Transition | None:
        """The first change showing a deletionTimestamp."""
        return self.first("terminating")

    def alive_at(self, rank: int) -> bool:
        """True when the pod object existed at `rank` (created at or before, not yet deleted)."""
        gone = self.deleted
        return self.created.rank <= rank and (gone is None or gone.rank > rank)

    def last_before(self, rank: int, kinds: Iterable[str]) -> Transition | None:
        """The latest transition of one of `kinds` strictly before `rank`."""
        wanted = set(kinds)
        found = None
        for step in self.transitions:
            if step.rank >= rank:
                break
            if step.what in wanted:
                found = step
        return found


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

    def alive_at(self, rank: int) -> bool:
        """True when the claim existed at `rank`."""
        gone = next((t for t in self.transitions if t.what == "deleted"), None)
        return self.transitions[0].rank <= rank and (gone is None or gone.rank > rank)


@dataclass(frozen=True)
class SpecVersion:
    """A StatefulSet spec as of one change; `changed` names the fields that differ from before."""

    change_id: int
    resource_version: str
    received_wall_ns: int
    rank: int
    generation: int | None
    replicas: int
    pod_management_policy: str
    update_strategy: str
    partition: int
    max_unavailable: str | None
    min_ready_seconds: int
    service_name: str | None
    start_ordinal: int
    template_hash: str
    changed: tuple[str, ...]


@dataclass(frozen=True)
class StatusVersion:
    """A StatefulSet status as of one change."""

    change_id: int
    resource_version: str
    received_wall_ns: int
    rank: int
    observed_generation: int | None
    replicas: int | None
    ready_replicas: int | None
    available_replicas: int | None
    current_replicas: int | None
    updated_replicas: int | None
    current_revision: str | None
    update_revision: str | None


@dataclass(frozen=True)
class StatefulSetIncarnation:
    """One StatefulSet uid with its spec and status histories."""

    namespace: str
    name: str
    uid: str
    first_observed: str
    claim_templates: tuple[str, ...]
    specs: tuple[SpecVersion, ...]
    statuses: tuple[StatusVersion, ...]
    transitions: tuple[Transition, ...]

    def spec_at(self, rank: int) -> SpecVersion:
        """The spec in force at `rank` (the first spec if `rank` precedes it)."""
        current = self.specs[0]
        for spec in self.specs:
            if spec.rank > rank:
                break
            current = spec
        return current

    def status_at(self, rank: int) -> StatusVersion | None:
        """The last status recorded at or before `rank`."""
        current = None
        for status in self.statuses:
            if status.rank > rank:
                break
            current = status
        return current


@dataclass(frozen=True)
class ServiceIncarnation:
    """One Service uid: created, deleted."""

    namespace: str
    name: str
    uid: str
    headless: bool
    first_observed: str
    transitions: tuple[Transition, ...]

    @property
    def first_deleted(self) -> Transition | None:
        """The DELETED change, if the Service is gone."""
        return next((t for t in self.transitions if t.what == "deleted"), None)

    def alive_at(self, rank: int) -> bool:
        """True when the Service existed at `rank`."""
        gone = next((t for t in self.transitions if t.what == "deleted"), None)
        return self.transitions[0].rank <= rank and (gone is None or gone.rank > rank)


@dataclass(frozen=True)
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
            ordinal: tuple(p for p in pods if p.owner_uid in (None, sts.uid))
            for ordinal, pods in self.set_pods(sts.namespace, sts.name).items()
        }
        return {ordinal: pods for ordinal, pods in slots.items() if pods}


def build_lifecycles(recording: Recording) -> Lifecycles:
    """Rebuild every lifecycle in the recording."""
    ordering = decide_ordering(recording)
    by_uid: dict[tuple[str, str], list[Change]] = {}
    for change in ordering.sort(recording.changes):
        by_uid.setdefault((change.kind, change.uid), []).append(change)
    pods, pvcs, sets, services, dns = [], [], [], [], []
    volumes = _volumes_by_claim(recording.changes)
    for (kind, _), history in by_uid.items():
        if kind == "Pod":
            pods.append(_pod(history, ordering))
        elif kind == "PersistentVolumeClaim":
            pvcs.append(_pvc(history, ordering, volumes))
        elif kind == "StatefulSet":
            sets.append(_statefulset(history, ordering))
        elif kind == "Service":
            services.append(_service(history, ordering))
        elif kind == "EndpointSlice":
            dns.extend(_dns(history, ordering))
    dns.sort(key=lambda d: d.rank)
    return Lifecycles(
        ordering=ordering,
        pods=tuple(pods),
        pvcs=tuple(pvcs),
        statefulsets=tuple(sets),
        services=tuple(services),
        dns=tuple(dns),
        pods_by_set=_group_pods(pods),
        dns_by_name=_group_dns(dns),
    )


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


def _step(
    change: Change, ordering: Ordering, what: str, detail: str = "", api: Any = None
) -> Transition:
    api_time = str(api) if api else None
    return Transition(
        what,
        change.id,
        change.resource_version,
        change.received_wall_ns,
        ordering.rank[change.id],
        detail,
        api_time,
    )


def _pod_state(pod: o.Obj) -> dict[str, Any]:
    ready = o.pod_condition(pod, "Ready")
    return {
        "scheduled": o.pod_node(pod) or (o.condition_true(pod, "PodScheduled") and "?") or None,
        "phase": o.pod_phase(pod),
        "ip": o.pod_ip(pod),
        "ready": None if ready is None else ready.get("status") == "True",
        "ready_since": ready.get("lastTransitionTime") if ready else None,
        "terminating": o.deletion_timestamp(pod),
    }


def _pod_steps(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, Any]]:
    steps: list[tuple[str, str, Any]] = []
    if after["scheduled"] and not before["scheduled"]:
        steps.append(("scheduled", str(after["scheduled"]), None))
    if after["phase"] and after["phase"] != before["phase"]:
        steps.append((str(after["phase"]).lower(), "", None))
    if after["ip"] and after["ip"] != before["ip"]:
        steps.append(("ip", str(after["ip"]), None))
    if after["ready"] is not None and after["ready"] != before["ready"]:
        steps.append(("ready" if after["ready"] else "unready", "", after["ready_since"]))
    if after["terminating"] and not before["terminating"]:
        steps.append(("terminating", "", after["terminating"]))
    return steps


def _pod(history: list[Change], ordering: Ordering) -> PodIncarnation:
    first, last = history[0], history[-1]
    obj = first.object
    steps = [_step(first, ordering, "created", first.observed, _meta(obj, "creationTimestamp"))]
    state: dict[str, Any] = {
        "scheduled": None,
        "phase": None,
        "ip": None,
        "ready": False,
        "ready_since": None,
        "terminating": None,
    }
    ips: list[str] = []
    for change in history:
        after = _pod_state(change.object)
        for what, detail, api in _pod_steps(state, after):
            steps.append(_step(change, ordering, what, detail, api))
            if what == "ip":
                ips.append(detail)
        state = after
        if change.event == "DELETED":
            steps.append(_step(change, ordering, "deleted"))
    parent = o.parse_ordinal(first.name)
    owner, owner_uid = o.owner_statefulset(obj) or o.owner_statefulset(last.object) or (None, None)
    return PodIncarnation(
        namespace=first.namespace or "",
        name=first.name,
        uid=first.uid,
        statefulset=owner,
        owner_uid=owner_uid,
        ordinal=parent[1] if parent and owner and parent[0] == owner else None,
        first_observed=first.observed,
        revision=o.labels(obj).get("controller-revision-hash"),
        hostname=o.spec_str(obj, "hostname"),
        subdomain=o.spec_str(obj, "subdomain"),
        node=o.pod_node(last.object),
        ips=tuple(ips),
        claims=o.pod_claims(obj),
        transitions=tuple(steps),
    )


def _meta(obj: o.Obj, key: str) -> Any:
    meta = obj.get("metadata")
    return meta.get(key) if isinstance(meta, dict) else None


def _plain_steps(history: list[Change], ordering: Ordering) -> list[Transition]:
    first = history[0]
    steps = [
        _step(first, ordering, "created", first.observed, _meta(first.object, "creationTimestamp"))
    ]
    terminating = False
    for change in history:
        stamp = o.deletion_timestamp(change.object)
        if stamp and not terminating:
            terminating = True
            steps.append(_step(change, ordering, "terminating", "", stamp))
        if change.event == "DELETED":
            steps.append(_step(change, ordering, "deleted"))
    return steps


def _volumes_by_claim(changes: Iterable[Change]) -> dict[str, str]:
    """PersistentVolume uid per bound claim uid (the PV's spec.claimRef names its claim)."""
    found = {}
    for change in changes:
        if change.kind == "PersistentVolume":
            claim = o.dig(change.object, "spec", "claimRef", "uid")
            if claim:
                found[str(claim)] = change.uid
    return found


def _pvc(history: list[Change], ordering: Ordering, volumes: dict[str, str]) -> PvcIncarnation:
    steps = _plain_steps(history, ordering)
    bound_to: str | None = None
    phase: str | None = None
    for change in history:
        now = o.status_str(change.object, "phase")
        volume = o.spec_str(change.object, "volumeName")
        if now != phase and now in ("Bound", "Lost"):
            steps.append(_step(change, ordering, now.lower(), volume or ""))
        phase = now
        bound_to = volume or bound_to
    steps.sort(key=lambda s: (s.rank, s.what == "deleted"))
    first = history[0]
    return PvcIncarnation(
        first.namespace or "",
        first.name,
        first.uid,
        bound_to,
        first.observed,
        tuple(steps),
        volumes.get(first.uid),
    )


def _service(history: list[Change], ordering: Ordering) -> ServiceIncarnation:
    first = history[0]
    return ServiceIncarnation(
        first.namespace or "",
        first.name,
        first.uid,
        o.is_headless(first.object),
        first.observed,
        tuple(_plain_steps(history, ordering)),
    )


def _spec(change: Change, ordering: Ordering, previous: SpecVersion | None) -> SpecVersion:
    obj = change.object
    template = orjson.dumps(o.dig(obj, "spec", "template"), option=orjson.OPT_SORT_KEYS)
    spec = SpecVersion(
        change_id=change.id,
        resource_version=change.resource_version,
        received_wall_ns=change.received_wall_ns,
        rank=ordering.rank[change.id],
        generation=o.generation(obj),
        replicas=_default(o.spec_int(obj, "replicas"), 1),
        pod_management_policy=o.spec_str(obj, "podManagementPolicy") or "OrderedReady",
        update_strategy=o.spec_str(obj, "updateStrategy", "type") or "RollingUpdate",
        partition=o.spec_int(obj, "updateStrategy", "rollingUpdate", "partition") or 0,
        max_unavailable=o.spec_str(obj, "updateStrategy", "rollingUpdate", "maxUnavailable"),
        min_ready_seconds=o.spec_int(obj, "minReadySeconds") or 0,
        service_name=o.spec_str(obj, "serviceName"),
        start_ordinal=o.spec_int(obj, "ordinals", "start") or 0,
        template_hash=hashlib.sha256(template).hexdigest()[:10],
        changed=(),
    )
    return spec if previous is None else _with_changed(spec, previous)


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


_SPEC_FIELDS = (
    "replicas",
    "pod_management_policy",
    "update_strategy",
    "partition",
    "max_unavailable",
    "min_ready_seconds",
    "service_name",
    "start_ordinal",
    "template_hash",
)


def _with_changed(spec: SpecVersion, previous: SpecVersion) -> SpecVersion:
    changed = tuple(f for f in _SPEC_FIELDS if getattr(spec, f) != getattr(previous, f))
    return SpecVersion(**{**spec.__dict__, "changed": changed})


def _status(change: Change, ordering: Ordering) -> StatusVersion:
    obj = change.object
    return StatusVersion(
        change_id=change.id,
        resource_version=change.resource_version,
        received_wall_ns=change.received_wall_ns,
        rank=ordering.rank[change.id],
        observed_generation=o.status_int(obj, "observedGeneration"),
        replicas=o.status_int(obj, "replicas"),
        ready_replicas=o.status_int(obj, "readyReplicas"),
        available_replicas=o.status_int(obj, "availableReplicas"),
        current_replicas=o.status_int(obj, "currentReplicas"),
        updated_replicas=o.status_int(obj, "updatedReplicas"),
        current_revision=o.status_str(obj, "currentRevision"),
        update_revision=o.status_str(obj, "updateRevision"),
    )


def _statefulset(history: list[Change], ordering: Ordering) -> StatefulSetIncarnation:
    specs: list[SpecVersion] = []
    statuses: list[StatusVersion] = []
    seen_spec: object = None
    seen_status: object = None
    for change in history:
        # Most changes are status writes: skip the spec when its JSON is unchanged, and back.
        if change.object.get("spec") != seen_spec:
            seen_spec = change.object.get("spec")
            spec = _spec(change, ordering, specs[-1] if specs else None)
            if not specs or spec.changed:
                specs.append(spec)
        if change.object.get("status") != seen_status:
            seen_status = change.object.get("status")
            status = _status(change, ordering)
            if not statuses or _status_key(status) != _status_key(statuses[-1]):
                statuses.append(status)
    first = history[0]
    templates = o.dig(first.object, "spec", "volumeClaimTemplates") or ()
    claim_templates = tuple(str(o.dig(t, "metadata", "name")) for t in templates)
    return StatefulSetIncarnation(
        first.namespace or "",
        first.name,
        first.uid,
        first.observed,
        claim_templates,
        tuple(specs),
        tuple(statuses),
        tuple(_plain_steps(history, ordering)),
    )


def _status_key(status: StatusVersion) -> tuple[Any, ...]:
    return tuple(status.__dict__.values())[4:]


def _dns(history: list[Change], ordering: Ordering) -> list[DnsObservation]:
    found: list[DnsObservation] = []
    for change in history:
        service = o.slice_service(change.object)
        if service is None:
            continue
        for endpoint in o.slice_endpoints(change.object):
            hostname = endpoint.get("hostname")
            if not hostname:
                continue
            conditions = endpoint.get("conditions") or {}
            found.append(
                DnsObservation(
                    namespace=change.namespace or "",
                    service=service,
                    hostname=str(hostname),
                    addresses=tuple(str(a) for a in endpoint.get("addresses") or ()),
                    ready=conditions.get("ready") is not False,
                    target_uid=(endpoint.get("targetRef") or {}).get("uid"),
                    slice_name=change.name,
                    change_id=change.id,
                    resource_version=change.resource_version,
                    received_wall_ns=change.received_wall_ns,
                    rank=ordering.rank[change.id],
                    present=change.event != "DELETED",
                )
            )
    return found
