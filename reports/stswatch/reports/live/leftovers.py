"""Claims a scale-down left behind, claims held by an older pod, and retention that deletes data.

The controller never deletes claims itself: with `persistentVolumeClaimRetentionPolicy`
`whenScaled: Retain` (the default) a scaled-down ordinal's claim stays and is mounted again, with
its old data, when the set grows back; with `Delete` the garbage collector removes it through the
ownerReference the controller sets (`whenDeleted: Delete` does the same when the set is deleted).
A claim whose ownerReference names an older pod of the same name blocks that pod's creation
until the collector removes it (`PodClaimIsStale`).
https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#persistentvolumeclaim-retention
"""

from typing import Any

from stswatch.reports import causes
from stswatch.reports.history.objects import dig
from stswatch.reports.live.findings import CONTROLLER, STATEFULSET_DOCS, Finding
from stswatch.reports.live.world import World

Obj = dict[str, Any]

RETENTION_DOCS = f"{STATEFULSET_DOCS}#persistentvolumeclaim-retention"


def leftover_findings(world: World) -> list[Finding]:
    """Stale claims, claims owned by an older pod, and a deleting retention policy."""
    return [*_stale(world), *_owned_by_old_pod(world), *_retention(world)]


def _stale(world: World) -> list[Finding]:
    pods = world.pods_by_ordinal
    stale: list[tuple[int, str]] = []
    for claim in world.claims:
        parsed = world.claim_ordinal(claim)
        if parsed is None or parsed[1] in world.ordinals or parsed[1] in pods:
            continue
        stale.append((parsed[1], str(dig(claim, "metadata", "name"))))
    if not stale:
        return []
    stale.sort()
    names = [n for _, n in stale]
    ordinals = sorted({o for o, _ in stale})
    when_scaled = world.spec("persistentVolumeClaimRetentionPolicy", "whenScaled") or "Retain"
    volumes = [
        f"{n} → {dig(world.claim(n) or {}, 'spec', 'volumeName') or 'no volume'}" for n in names
    ]
    return [
        Finding(
            severity="warning",
            causes=(causes.CLAIM_STALE,),
            subject=f"StatefulSet {world.name}",
            what=f"{len(names)} claim(s) of ordinals no longer in the set: {', '.join(names)}",
            why=(
                f"replicas {world.replicas} from ordinal {world.start}: ordinals "
                f"{', '.join(map(str, ordinals))} have no pod; whenScaled {when_scaled} keeps "
                "their claims",
                "a later scale-up mounts them again with their old data",
                *volumes,
            ),
            fix=(
                f"if their data is not needed: `kubectl delete pvc -n {world.namespace} "
                f"{' '.join(names)}`",
            ),
            reference=RETENTION_DOCS,
        )
    ]


def _owned_by_old_pod(world: World) -> list[Finding]:
    pods = world.pods_by_ordinal
    found = []
    for claim in world.claims:
        parsed = world.claim_ordinal(claim)
        if parsed is None:
            continue
        pod = pods.get(parsed[1])
        name = world.pod_name(parsed[1])
        for ref in dig(claim, "metadata", "ownerReferences") or ():
            if ref.get("kind") != "Pod" or ref.get("name") != name:
                continue
            if pod is not None and dig(pod, "metadata", "uid") == ref.get("uid"):
                continue
            claim_name = str(dig(claim, "metadata", "name"))
            found.append(
                Finding(
                    severity="error" if parsed[1] in world.ordinals else "info",
                    causes=(causes.CLAIM_OWNED_BY_OLD_POD,),
                    subject=f"PersistentVolumeClaim {claim_name}",
                    what=f"claim {claim_name} is owned by an older {name} (uid "
                    f"{ref.get('uid')}): the garbage collector will delete it",
                    why=(
                        f"metadata.ownerReferences names Pod {name} uid {ref.get('uid')}; the "
                        f"current {name} is "
                        f"{dig(pod, 'metadata', 'uid') if pod else 'missing'}",
                        f"the controller will not create {name} until the claim is gone "
                        "(PodClaimIsStale)",
                    ),
                    fix=(
                        "wait for the garbage collector; if it is stuck, check the claim's "
                        "finalizers (kubernetes.io/pvc-protection holds it while a pod uses it)",
                    ),
                    reference=f"{CONTROLLER} (PodClaimIsStale)",
                )
            )
    return found


def _retention(world: World) -> list[Finding]:
    policy = world.spec("persistentVolumeClaimRetentionPolicy") or {}
    found = []
    patch = (
        f"`kubectl patch statefulset {world.name} -n {world.namespace} -p "
        '\'{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Retain",'
        '"whenScaled":"Retain"}}}\'`'
    )
    reclaim = sorted(
        {
            str(dig(v, "spec", "persistentVolumeReclaimPolicy"))
            for v in world.volumes
            if dig(v, "spec", "claimRef", "namespace") == world.namespace
            and world.claim_ordinal({"metadata": {"name": dig(v, "spec", "claimRef", "name")}})
        }
    )
    data = (
        f"their volumes' persistentVolumeReclaimPolicy is {', '.join(reclaim)}"
        if reclaim
        else "the bound volumes' reclaim policy decides whether the data goes too"
    )
    for field, when in (("whenScaled", "scale-down"), ("whenDeleted", "deletion of the set")):
        if policy.get(field) != "Delete":
            continue
        found.append(
            Finding(
                severity="warning",
                causes=(causes.RETENTION_DELETES,),
                subject=f"StatefulSet {world.name}",
                what=f"{field}: Delete — {when} deletes the claims"
                + (" of the removed ordinals" if field == "whenScaled" else ""),
                why=(f"spec.persistentVolumeClaimRetentionPolicy.{field} is Delete", data),
                fix=(f"if the data must survive {when}: {patch}",),
                reference=RETENTION_DOCS,
            )
        )
    return found
