"""The lab's volume provisioner: one hostPath PersistentVolume per claim of the lab StorageClass.

Run as a lab process (`python -m stswatch.lab.provisioner`). For each Pending claim of our class
it creates a PV pre-bound to the claim (claimRef with the claim's uid); kube-controller-manager's
PV binder then binds both, as it does for any external provisioner. Released PVs of our class are
deleted (reclaimPolicy Delete) and so is their data directory. With a WaitForFirstConsumer class
(labs with real nodes) a claim is provisioned only once the scheduler picked a node for it
(annotation volume.kubernetes.io/selected-node), and its PV gets node affinity to that node:
local-volume semantics. A list, then a watch from the list's resourceVersion, through the one
API client (`stswatch.kube.verbs`, plain JSON); on any error or expiry the loop lists again
after a short backoff, so an apiserver restart is survived.
"""

import argparse
import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

from kubernetes_asyncio import config
from kubernetes_asyncio.client import ApiClient

from stswatch.errors import StswatchError
from stswatch.kube import verbs
from stswatch.kube.api import ConflictError
from stswatch.lab.components import PROVISIONER_NAME

SELECTED_NODE = "volume.kubernetes.io/selected-node"
WAIT_FOR_CONSUMER = "WaitForFirstConsumer"
WATCH_SECONDS = 60
RETRY_SECONDS = 1.0
_CLAIMS = "/api/v1/persistentvolumeclaims"
_VOLUMES = "/api/v1/persistentvolumes"
_STORAGE_CLASSES = "/apis/storage.k8s.io/v1/storageclasses"

log = logging.getLogger("stswatch.lab.provisioner")

Obj = dict[str, Any]


def volume_for_claim(claim: Obj, *, storage_class: str, volumes: Path) -> Obj:
    """The PV serving `claim`: same size and access modes, pre-bound by claimRef."""
    meta, spec = claim["metadata"], claim.get("spec") or {}
    name = f"pvc-{meta['uid']}"
    node = (meta.get("annotations") or {}).get(SELECTED_NODE)
    volume_spec: Obj = {
        "capacity": {"storage": spec["resources"]["requests"]["storage"]},
        "accessModes": spec.get("accessModes"),
        "persistentVolumeReclaimPolicy": "Delete",
        "storageClassName": storage_class,
        "volumeMode": spec.get("volumeMode") or "Filesystem",
        "hostPath": {"path": str(volumes / name)},
        "claimRef": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "namespace": meta.get("namespace"),
            "name": meta.get("name"),
            "uid": meta["uid"],
        },
    }
    if node:
        term = {
            "matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
            ]
        }
        volume_spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [term]}}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {
            "name": name,
            "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER_NAME},
        },
        "spec": volume_spec,
    }


async def provision(api: ApiClient, *, claim: Obj, storage_class: str, volumes: Path) -> None:
    """Create the claim's PV unless the claim is bound, not ours, or already has one."""
    meta, spec = claim.get("metadata") or {}, claim.get("spec") or {}
    if spec.get("storageClassName") != storage_class or spec.get("volumeName"):
        return
    if meta.get("deletionTimestamp") or (claim.get("status") or {}).get("phase") != "Pending":
        return
    selected = SELECTED_NODE in (meta.get("annotations") or {})
    if not selected and await _binding_mode(api, storage_class) == WAIT_FOR_CONSUMER:
        return  # the scheduler picks the node first
    volume = volume_for_claim(claim, storage_class=storage_class, volumes=volumes)
    _data_directory(Path(volume["spec"]["hostPath"]["path"]))
    name = volume["metadata"]["name"]
    try:
        await verbs.create(api, _VOLUMES, what=f"persistentvolumes/{name}", body=volume)
    except ConflictError:
        return
    log.info("provisioned %s for %s/%s", name, *_claim_key(claim))


def _data_directory(path: Path) -> None:
    """The volume's directory, writable by any uid, as local-path-provisioner makes it (its setup
    script's `mkdir -m 0777`): a hostPath volume gets no fsGroup ownership change (Kubernetes docs,
    "Configure a Security Context for a Pod"), and a non-root pod must still write its claim."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)


_binding_modes: dict[str, str] = {}


async def _binding_mode(api: ApiClient, storage_class: str) -> str:
    """The class's volumeBindingMode (immutable, so asked once it exists)."""
    if storage_class not in _binding_modes:
        found = await verbs.get_or_none(
            api, f"{_STORAGE_CLASSES}/{storage_class}", what=f"storageclasses/{storage_class}"
        )
        if found is None:
            return "Immediate"
        _binding_modes[storage_class] = str(found.get("volumeBindingMode") or "Immediate")
    return _binding_modes[storage_class]


def _claim_key(claim: Obj) -> tuple[str, str]:
    meta = claim.get("metadata") or {}
    return str(meta.get("namespace")), str(meta.get("name"))


async def reclaim(api: ApiClient, *, storage_class: str, volumes: Path) -> None:
    """Delete our Released volumes (their claims are gone) and their data directories."""
    for volume in await verbs.list_all(api, _VOLUMES, what="persistentvolumes"):
        spec, name = volume.get("spec") or {}, volume["metadata"]["name"]
        phase = (volume.get("status") or {}).get("phase")
        if spec.get("storageClassName") == storage_class and phase == "Released":
            if await verbs.delete(api, f"{_VOLUMES}/{name}", what=f"persistentvolumes/{name}"):
                log.info("deleted released %s", name)
            data = volumes / name
            if (spec.get("hostPath") or {}).get("path") == str(data):
                await asyncio.to_thread(shutil.rmtree, data, ignore_errors=True)


async def sync_once(api: ApiClient, *, storage_class: str, volumes: Path) -> str:
    """List every claim, provision what is missing, reclaim; return the list's resourceVersion."""
    claims = await verbs.list_all(api, _CLAIMS, what="persistentvolumeclaims")
    for claim in claims:
        await provision(api, claim=claim, storage_class=storage_class, volumes=volumes)
    await reclaim(api, storage_class=storage_class, volumes=volumes)
    return claims.resource_version


async def watch_claims(
    api: ApiClient, *, storage_class: str, volumes: Path, resource_version: str
) -> None:
    """React to claim events for one watch request (bounded by WATCH_SECONDS)."""
    async for kind, claim in verbs.watch(
        api,
        _CLAIMS,
        what="persistentvolumeclaims",
        params=(("resourceVersion", resource_version),),
        seconds=WATCH_SECONDS,
    ):
        if kind in ("ADDED", "MODIFIED"):
            await provision(api, claim=claim, storage_class=storage_class, volumes=volumes)
        elif kind == "DELETED":
            await reclaim(api, storage_class=storage_class, volumes=volumes)


async def run(*, kubeconfig: Path, storage_class: str, volumes: Path) -> None:
    """Provision forever: list, watch, and start over after any error."""
    api = await config.new_client_from_config(config_file=str(kubeconfig))
    async with api:
        while True:
            try:
                version = await sync_once(api, storage_class=storage_class, volumes=volumes)
                await watch_claims(
                    api, storage_class=storage_class, volumes=volumes, resource_version=version
                )
            except (StswatchError, OSError) as exc:  # refused, unanswered, expired, disk full
                log.warning("provisioner loop restarts after: %s", exc)
                await asyncio.sleep(RETRY_SECONDS)
            except Exception:  # anything else: log it whole and list again
                log.exception("provisioner loop restarts after an unexpected error")
                await asyncio.sleep(RETRY_SECONDS)


def main() -> None:
    """`python -m stswatch.lab.provisioner --kubeconfig K --storage-class C --volumes DIR`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kubeconfig", type=Path, required=True)
    parser.add_argument("--storage-class", required=True)
    parser.add_argument("--volumes", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    log.info("provisioning class %s into %s", args.storage_class, args.volumes)
    asyncio.run(
        run(kubeconfig=args.kubeconfig, storage_class=args.storage_class, volumes=args.volumes)
    )


if __name__ == "__main__":
    main()
