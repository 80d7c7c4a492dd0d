"""Claims that are not Bound, and why: class, default class, provisioner, first consumer, PVs.

The rules follow the PV controller and its docs: a claim with no `storageClassName` gets the
default class at admission (and, since v1.28, retroactively; KEP-3333); a class with
`volumeBindingMode: WaitForFirstConsumer` provisions or binds only once a pod using the claim is
scheduled; `kubernetes.io/no-provisioner` classes bind only pre-created PVs whose class, capacity,
access modes and volume mode fit (`pkg/controller/volume/persistentvolume`, `findMatchingVolume`);
other classes wait for their (external) provisioner, which the PV controller announces with the
`ExternalProvisioning` Event. https://kubernetes.io/docs/concepts/storage/persistent-volumes/
"""

import json
from typing import Any

from stswatch.reports import causes
from stswatch.reports.history.objects import (
    condition_true,
    deletion_timestamp,
    dig,
    pod_condition,
    pod_phase,
)
from stswatch.reports.live.findings import (
    CONTROLLER,
    SCHEDULING_EVENTS,
    Finding,
    Severity,
    events_evidence,
)
from stswatch.reports.live.world import World

Obj = dict[str, Any]

STORAGE_DOCS = "https://kubernetes.io/docs/concepts/storage/persistent-volumes/"
CLASS_DOCS = "https://kubernetes.io/docs/concepts/storage/storage-classes/"
NO_PROVISIONER = "kubernetes.io/no-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PROVISIONING_GRACE_S = 15.0  # a dynamic claim Pending longer than this has no provisioner acting
_UNITS = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}


def quantity(value: object) -> float | None:
    """A resource quantity (`1Gi`, `500M`, `1e3`) in bytes; None when it does not parse."""
    text = str(value or "").strip()
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * _UNITS[suffix]
            except ValueError:
                return None
    try:
        return float(text) if text else None
    except ValueError:
        return None


def claim_findings(world: World) -> list[Finding]:
    """One finding per claim of an in-range ordinal that is missing (pod Pending) or not Bound."""
    found: list[Finding] = []
    pods = world.pods_by_ordinal
    # The ordinals that have a pod or a claim: the work follows what exists, not spec.replicas.
    claimed = (world.claim_ordinal(c) for c in world.claims)
    existing = {*pods, *(c[1] for c in claimed if c is not None)}
    for ordinal in sorted(o for o in existing if o in world.ordinals):
        pod = pods.get(ordinal)
        for template in world.templates:
            name = world.claim_name(template, ordinal)
            claim = world.claim(name)
            if claim is None:
                if pod is not None and pod_phase(pod) == "Pending":
                    found.append(_missing(world, name, pod))
                continue
            if deletion_timestamp(claim) or dig(claim, "status", "phase") == "Bound":
                continue  # a claim being deleted is the terminating check's
            found.append(_not_bound(world, claim, pod))
    return found


def _missing(world: World, name: str, pod: Obj) -> Finding:
    pod_name = str(dig(pod, "metadata", "name"))
    return Finding(
        severity="error",
        causes=(causes.CLAIM_NOT_BOUND, causes.CLAIM_MISSING),
        subject=f"PersistentVolumeClaim {name}",
        what=f"pod {pod_name} is Pending: its claim {name} does not exist",
        why=(
            f"pod {pod_name} mounts claim {name}; GET persistentvolumeclaims/{name}: not found",
            *events_evidence(world, "Pod", pod_name, reasons=SCHEDULING_EVENTS),
        ),
        fix=(
            "the StatefulSet controller recreates a missing claim of a Pending pod "
            "(createMissingPersistentVolumeClaims); if it does not, check the controller "
            "manager's log and the namespace's ResourceQuota",
        ),
        reference=f"{STORAGE_DOCS} ; {CONTROLLER} (createMissingPersistentVolumeClaims)",
    )


def _not_bound(world: World, claim: Obj, pod: Obj | None) -> Finding:
    name = str(dig(claim, "metadata", "name"))
    phase = str(dig(claim, "status", "phase") or "Pending")
    pod_name = str(dig(pod, "metadata", "name")) if pod is not None else None
    held = f"pod {pod_name} is {pod_phase(pod) or 'not started'}" if pod else "no pod yet"
    detail, why, fix, severity = _diagnose(world, claim, pod)
    facts = [
        f"claim {name}: status.phase {phase}, spec.storageClassName "
        f"{_shown(dig(claim, 'spec', 'storageClassName'))}, requests "
        f"{dig(claim, 'spec', 'resources', 'requests', 'storage')}, accessModes "
        f"{dig(claim, 'spec', 'accessModes')}",
        *why,
        *events_evidence(world, "PersistentVolumeClaim", name),
    ]
    if pod_name is not None:
        facts.extend(events_evidence(world, "Pod", pod_name, limit=1, reasons=SCHEDULING_EVENTS))
    return Finding(
        severity=severity,
        causes=tuple(dict.fromkeys((causes.CLAIM_NOT_BOUND, detail))),
        subject=f"PersistentVolumeClaim {name}",
        what=f"claim {name} is {phase} ({detail}); {held}",
        why=tuple(facts),
        fix=tuple(fix),
        reference=CLASS_DOCS if detail != causes.NO_MATCHING_VOLUME else STORAGE_DOCS,
    )


def _refusal(world: World, resource: str) -> str:
    return next((u for u in world.unreadable if u.split()[1:2] == [resource]), "refused")


def _shown(value: object) -> str:
    return "(unset)" if value is None else json.dumps(value)


Diagnosis = tuple[str, list[str], list[str], Severity]  # cause, evidence, fixes, severity


def _diagnose(world: World, claim: Obj, pod: Obj | None) -> Diagnosis:
    ns, set_name = world.namespace, world.name
    class_name = dig(claim, "spec", "storageClassName")
    recreate = (
        "volumeClaimTemplates cannot be changed in place: `kubectl delete statefulset "
        f"{set_name} -n {ns} --cascade=orphan`, fix spec.volumeClaimTemplates, apply it again, "
        f"then `kubectl delete pvc {dig(claim, 'metadata', 'name')} -n {ns}` and its Pending pod "
        "so the controller recreates both"
    )
    if not world.readable("storageclasses"):
        return (
            causes.CLAIM_NOT_BOUND,
            [
                f"StorageClasses could not be listed ({_refusal(world, 'storageclasses')}): the "
                "class, its provisioner and binding mode were not checked"
            ],
            [
                f"`kubectl describe pvc -n {ns} {dig(claim, 'metadata', 'name')}` with a reader "
                "allowed to list storageclasses and persistentvolumes"
            ],
            "error",
        )
    if class_name is None:
        defaults = world.default_storage_classes()
        if not defaults:
            classes = [str(dig(c, "metadata", "name")) for c in world.storage_classes]
            return (
                causes.NO_DEFAULT_STORAGE_CLASS,
                [
                    "the claim names no class and no StorageClass is annotated "
                    "storageclass.kubernetes.io/is-default-class=true "
                    f"(classes: {', '.join(classes) or 'none'})"
                ],
                [
                    "mark a class default: `kubectl patch storageclass CLASS -p "
                    '\'{"metadata":{"annotations":{"storageclass.kubernetes.io/is-default-class":'
                    '"true"}}}\'` (the PV controller then assigns it to this claim, KEP-3333)',
                    f"or set storageClassName in the template: {recreate}",
                ],
                "error",
            )
        class_name = dig(defaults[0], "metadata", "name")
    if class_name == "":
        return _static(world, claim, "")
    storage_class = world.storage_class(str(class_name))
    if storage_class is None:
        classes = [str(dig(c, "metadata", "name")) for c in world.storage_classes]
        return (
            causes.NO_STORAGE_CLASS,
            [
                f'StorageClass "{class_name}" does not exist '
                f"(classes: {', '.join(classes) or 'none'})"
            ],
            [
                f"create StorageClass {class_name}, or use an existing class: {recreate}",
            ],
            "error",
        )
    if storage_class.get("provisioner") == NO_PROVISIONER:
        return _static(world, claim, str(class_name))
    waiting = _first_consumer(world, claim, pod, storage_class)
    if waiting is not None:
        return waiting
    return _dynamic(world, claim, storage_class)


def _first_consumer(
    world: World, claim: Obj, pod: Obj | None, storage_class: Obj
) -> Diagnosis | None:
    if storage_class.get("volumeBindingMode") != "WaitForFirstConsumer":
        return None
    annotations = dig(claim, "metadata", "annotations") or {}
    if annotations.get(SELECTED_NODE):
        return None  # scheduled: now it is the provisioner's turn
    class_name = dig(storage_class, "metadata", "name")
    if pod is None:
        return (
            causes.WAITING_FOR_CONSUMER,
            [
                f"StorageClass {class_name} has volumeBindingMode WaitForFirstConsumer; no pod "
                "uses the claim yet"
            ],
            ["nothing to do: the claim binds once its pod is created and scheduled"],
            "info",
        )
    scheduled = pod_condition(pod, "PodScheduled") or {}
    pod_name = dig(pod, "metadata", "name")
    if scheduled.get("status") == "False":
        return (
            causes.WAITING_FOR_CONSUMER,
            [
                f"StorageClass {class_name} has volumeBindingMode WaitForFirstConsumer: the "
                "claim binds only once its pod is scheduled",
                f"pod {pod_name}: PodScheduled False ({scheduled.get('reason')}: "
                f"{scheduled.get('message')})",
            ],
            [
                f"make pod {pod_name} schedulable (node resources, nodeSelector, affinity, "
                "taints and tolerations, the class's allowedTopologies): "
                f"`kubectl describe pod {pod_name} -n {world.namespace}`",
            ],
            "error",
        )
    return (
        causes.WAITING_FOR_CONSUMER,
        [
            f"StorageClass {class_name} is WaitForFirstConsumer and pod {pod_name} is not "
            "scheduled yet"
        ],
        ["wait for the scheduler"],
        "info",
    )


def _dynamic(world: World, claim: Obj, storage_class: Obj) -> Diagnosis:
    name = str(dig(claim, "metadata", "name"))
    provisioner = str(storage_class.get("provisioner"))
    class_name = dig(storage_class, "metadata", "name")
    events = world.events_about("PersistentVolumeClaim", name)
    failed = [e for e in events if e.get("reason") == "ProvisioningFailed"]
    if failed:
        return (
            causes.PROVISIONING_FAILED,
            [f"provisioner {provisioner} reported: {failed[-1].get('message')}"],
            [
                f"fix what the provisioner says; its log is the next place to read "
                f"(`kubectl get pods -A | grep -i {provisioner.split('/')[-1]}`)"
            ],
            "error",
        )
    age = world.age(dig(claim, "metadata", "creationTimestamp")) or 0.0
    acting = any(e.get("reason") == "Provisioning" for e in events)
    if age < PROVISIONING_GRACE_S:
        return (
            causes.NO_PROVISIONER,
            [f"the claim is {age:.0f} s old; provisioner {provisioner} may still be working"],
            ["wait a few seconds and run doctor again"],
            "info",
        )
    said = "started but never finished" if acting else "has not acted on it (no Provisioning Event)"
    return (
        causes.NO_PROVISIONER,
        [
            f"StorageClass {class_name} names provisioner {provisioner}, which {said} in "
            f"{age:.0f} s; no PersistentVolume was created for the claim",
        ],
        [
            f"run or repair the provisioner {provisioner} (its CSI driver or external "
            "provisioner Deployment; `kubectl get csidrivers`, `kubectl get pods -A`), or use a "
            "class whose provisioner runs",
        ],
        "error",
    )


def _static(world: World, claim: Obj, class_name: str) -> Diagnosis:
    request = dig(claim, "spec", "resources", "requests", "storage")
    wanted_modes = set(dig(claim, "spec", "accessModes") or ())
    mode = dig(claim, "spec", "volumeMode") or "Filesystem"
    candidates = [
        v
        for v in world.volumes
        if (dig(v, "spec", "storageClassName") or "") == class_name
        and dig(v, "status", "phase") == "Available"
        and not dig(v, "spec", "claimRef")
    ]
    shown = f'"{class_name}"' if class_name else '"" (no class)'
    if not world.readable("persistentvolumes"):
        return (
            causes.NO_MATCHING_VOLUME,
            [
                f"class {shown} binds only pre-created PersistentVolumes, which could not be "
                f"listed ({_refusal(world, 'persistentvolumes')})"
            ],
            [
                f"check for an Available PV of class {shown}, capacity ≥ {request}, accessModes "
                f"⊇ {sorted(wanted_modes)}"
            ],
            "error",
        )
    if not candidates:
        return (
            causes.NO_MATCHING_VOLUME,
            [
                f"no Available PersistentVolume of class {shown}: a static class binds only "
                "pre-created volumes"
            ],
            [
                f"create a PersistentVolume with storageClassName {shown}, capacity ≥ {request}, "
                f"accessModes ⊇ {sorted(wanted_modes)}"
            ],
            "error",
        )
    needed = quantity(request) or 0.0
    misfits = []
    for volume in candidates:
        capacity = dig(volume, "spec", "capacity", "storage")
        modes = set(dig(volume, "spec", "accessModes") or ())
        problems = []
        if (quantity(capacity) or 0.0) < needed:
            problems.append(f"capacity {capacity} < {request}")
        if not wanted_modes <= modes:
            problems.append(f"accessModes {sorted(modes)} lack {sorted(wanted_modes - modes)}")
        if (dig(volume, "spec", "volumeMode") or "Filesystem") != mode:
            problems.append(f"volumeMode {dig(volume, 'spec', 'volumeMode')} ≠ {mode}")
        if not problems:
            return (
                causes.NO_MATCHING_VOLUME,
                [
                    f"PV {dig(volume, 'metadata', 'name')} fits; the PV controller binds it on "
                    "its next pass"
                ],
                ["wait a few seconds and run doctor again"],
                "info",
            )
        misfits.append(f"PV {dig(volume, 'metadata', 'name')}: {'; '.join(problems)}")
    return (
        causes.VOLUME_MISMATCH,
        [f"Available PVs of class {shown} do not fit the claim:", *misfits],
        [
            f"create a PV with capacity ≥ {request} and accessModes ⊇ {sorted(wanted_modes)}, "
            "or lower the template's request"
        ],
        "error",
    )


def unschedulable_findings(world: World) -> list[Finding]:
    """Pending pods the scheduler cannot place, when their claims are not the reason."""
    found = []
    for pod in world.pods:
        name = str(dig(pod, "metadata", "name"))
        scheduled = pod_condition(pod, "PodScheduled") or {}
        if pod_phase(pod) != "Pending" or scheduled.get("status") != "False":
            continue
        if deletion_timestamp(pod) or condition_true(pod, "PodScheduled"):
            continue
        ordinal = world.ordinal_of(pod)
        unbound = ordinal is not None and any(
            dig(world.claim(world.claim_name(t, ordinal)) or {}, "status", "phase") != "Bound"
            for t in world.templates
        )
        if unbound:
            continue  # the claim finding explains it
        found.append(
            Finding(
                severity="error",
                causes=(causes.NOT_RUNNING, causes.UNSCHEDULABLE),
                subject=f"pod {name}",
                what=f"pod {name} is Pending: the scheduler cannot place it",
                why=(
                    f"PodScheduled False ({scheduled.get('reason')}: {scheduled.get('message')})",
                    *events_evidence(world, "Pod", name, reasons=SCHEDULING_EVENTS),
                ),
                fix=(
                    f"`kubectl describe pod {name} -n {world.namespace}`: free or add node "
                    "capacity, or relax nodeSelector, affinity, taints and tolerations",
                ),
                reference="https://kubernetes.io/docs/concepts/scheduling-eviction/",
            )
        )
    return found
