"""`stswatch status`: a StatefulSet, its governing Service and one row per ordinal.

The lesson's `k8s-statefulset-checker` printed ready/desired replicas, the service name, and
each pod (in list order) with its IP and claims. This adds what the controller decides by
(`pkg/controller/statefulset`: the status counts of `computeReplicaStatus`, revisions,
`spec.ordinals.start`, the update strategy and the PVC retention policy), rows in ordinal order
with missing ordinals shown, and each claim with its binding.
"""

from dataclasses import dataclass
from typing import Any

from stswatch.reports.history.objects import (
    deletion_timestamp,
    dig,
    is_headless,
    labels,
    pod_ip,
    pod_node,
)
from stswatch.reports.history.objects import pod_phase as _phase
from stswatch.reports.live.pods import is_ready, last_termination, restarts
from stswatch.reports.live.world import REVISION_LABEL, World

Obj = dict[str, Any]


@dataclass(frozen=True)
class ClaimRow:
    """One claim a pod mounts (or should mount): `status` is the phase, or "missing"."""

    name: str
    status: str
    capacity: str
    storage_class: str
    access_modes: list[str]
    volume: str


@dataclass(frozen=True)
class OrdinalRow:
    """One ordinal: `pod` is None when an ordinal that should exist does not."""

    ordinal: int
    pod: str | None
    phase: str  # the pod's phase, "Terminating", or "missing"
    ready: bool
    revision: str
    ip: str
    node: str
    dns: str
    restarts: int
    last_termination: str
    age_seconds: float | None
    in_range: bool  # False: a pod outside [start, start+replicas) (being scaled down)
    claims: list[ClaimRow]


@dataclass(frozen=True)
class MissingOrdinals:
    """Ordinals `first`..`last` that should exist and have neither a pod nor a claim."""

    first: int
    last: int


@dataclass(frozen=True)
class ServiceState:
    """The governing Service: `exists`, `headless`, and how many of the set's pods it selects."""

    name: str
    exists: bool
    headless: bool
    selects: int
    pods: int


@dataclass(frozen=True)
class SetStatus:
    """Everything `stswatch status` prints, in its JSON/YAML shape."""

    namespace: str
    name: str
    desired: int
    replicas: int
    ready: int
    available: int
    current: int
    updated: int
    service: ServiceState
    pod_management_policy: str
    update_strategy: str
    partition: int | None
    max_unavailable: str | None
    current_revision: str
    update_revision: str
    min_ready_seconds: int
    retention_when_deleted: str
    retention_when_scaled: str
    ordinals_start: int
    observed_generation: int | None
    generation: int | None
    deleting: str | None  # metadata.deletionTimestamp of the set: GC removes its pods, unordered
    rows: list[OrdinalRow]  # ordinals with a pod or a claim, in ordinal order
    missing: list[MissingOrdinals]  # the other ordinals of [start, start + replicas), as ranges


def set_status(world: World) -> SetStatus:
    """The status of `world`'s StatefulSet."""
    rolling = world.spec("updateStrategy", "rollingUpdate") or {}
    retention = world.spec("persistentVolumeClaimRetentionPolicy") or {}
    max_unavailable = rolling.get("maxUnavailable")
    strategy = str(world.spec("updateStrategy", "type") or "RollingUpdate")
    return SetStatus(
        namespace=world.namespace,
        name=world.name,
        desired=world.replicas,
        replicas=_count(world, "replicas"),
        ready=_count(world, "readyReplicas"),
        available=_count(world, "availableReplicas"),
        current=_count(world, "currentReplicas"),
        updated=_count(world, "updatedReplicas"),
        service=service_state(world),
        pod_management_policy=str(world.spec("podManagementPolicy") or "OrderedReady"),
        update_strategy=strategy,
        partition=int(rolling.get("partition") or 0) if strategy == "RollingUpdate" else None,
        max_unavailable=(
            str(max_unavailable if max_unavailable is not None else 1)
            if strategy == "RollingUpdate"
            else None
        ),
        current_revision=str(world.status("currentRevision") or ""),
        update_revision=str(world.status("updateRevision") or ""),
        min_ready_seconds=int(world.spec("minReadySeconds") or 0),
        retention_when_deleted=str(retention.get("whenDeleted") or "Retain"),
        retention_when_scaled=str(retention.get("whenScaled") or "Retain"),
        ordinals_start=world.start,
        observed_generation=world.status("observedGeneration"),
        generation=dig(world.statefulset, "metadata", "generation"),
        deleting=deletion_timestamp(world.statefulset),
        rows=ordinal_rows(world),
        missing=[MissingOrdinals(first, last) for first, last in world.absent(_existing(world))],
    )


def _count(world: World, field: str) -> int:
    value = world.status(field)
    return value if isinstance(value, int) else 0


def service_state(world: World) -> ServiceState:
    """Whether the governing Service exists, is headless, and selects the set's pods."""
    pods = list(world.pods)
    service = world.service
    if service is None:
        return ServiceState(world.service_name, False, False, 0, len(pods))
    selector = dig(service, "spec", "selector") or {}
    selected = [p for p in pods if selector and selects(selector, labels(p))]
    return ServiceState(world.service_name, True, is_headless(service), len(selected), len(pods))


def selects(selector: dict[str, str], pod_labels: dict[str, str]) -> bool:
    """A Service's equality selector against a pod's labels (an empty selector selects none)."""
    return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())


def ordinal_rows(world: World) -> list[OrdinalRow]:
    """One row per ordinal with a pod (in range or not) or, in range, with a claim, in ordinal
    order; the rows follow what exists, never `spec.replicas` (see `SetStatus.missing`)."""
    by_ordinal = world.pods_by_ordinal
    return [_row(world, o, by_ordinal.get(o)) for o in sorted(_existing(world))]


def _existing(world: World) -> set[int]:
    """The ordinals with a pod, and the in-range ordinals with a claim of the set."""
    claimed = (world.claim_ordinal(c) for c in world.claims)
    in_range = {c[1] for c in claimed if c is not None and c[1] in world.ordinals}
    return {*world.pods_by_ordinal, *in_range}


def _row(world: World, ordinal: int, pod: Obj | None) -> OrdinalRow:
    name = world.pod_name(ordinal)
    claims = [_claim_row(world, world.claim_name(t, ordinal)) for t in world.templates]
    if pod is not None:
        # The pod's own volumes win: a pod mounts what its spec says.
        mounted = [
            str(dig(v, "persistentVolumeClaim", "claimName"))
            for v in dig(pod, "spec", "volumes") or ()
            if dig(v, "persistentVolumeClaim", "claimName")
        ]
        if mounted:
            claims = [_claim_row(world, claim) for claim in mounted]
    if pod is None:
        return OrdinalRow(
            ordinal, None, "missing", False, "", "", "", world.dns_name(name), 0, "", None,
            ordinal in world.ordinals, claims,
        )  # fmt: skip
    return OrdinalRow(
        ordinal=ordinal,
        pod=name,
        phase="Terminating" if deletion_timestamp(pod) else str(_phase(pod) or "Unknown"),
        ready=is_ready(pod),
        revision=labels(pod).get(REVISION_LABEL, ""),
        ip=pod_ip(pod) or "",
        node=pod_node(pod) or "",
        dns=world.dns_name(name),
        restarts=restarts(pod),
        last_termination=last_termination(pod) or "",
        age_seconds=world.age(dig(pod, "metadata", "creationTimestamp")),
        in_range=ordinal in world.ordinals,
        claims=claims,
    )


def _claim_row(world: World, name: str) -> ClaimRow:
    claim = world.claim(name)
    if claim is None:
        return ClaimRow(name, "missing", "", "", [], "")
    status = "Terminating" if deletion_timestamp(claim) else str(dig(claim, "status", "phase"))
    return ClaimRow(
        name=name,
        status=status,
        capacity=str(dig(claim, "status", "capacity", "storage") or ""),
        storage_class=str(dig(claim, "spec", "storageClassName") or ""),
        access_modes=[str(m) for m in dig(claim, "spec", "accessModes") or ()],
        volume=str(dig(claim, "spec", "volumeName") or ""),
    )
