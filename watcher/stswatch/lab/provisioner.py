"""The lab's volume provisioner: one hostPath PersistentVolume per claim of the lab StorageClass.

Run as a lab process (`python -m stswatch.lab.provisioner`). For each Pending claim of our class
it creates a PV pre-bound to the claim (claimRef with the claim's uid); kube-controller-manager's
PV binder then binds both, as it does for any external provisioner. Released PVs of our class are
deleted (reclaimPolicy Delete) and so is their data directory. With a WaitForFirstConsumer class
(labs with real nodes) a claim is provisioned only once the scheduler picked a node for it
(annotation volume.kubernetes.io/selected-node), and its PV gets node affinity to that node:
local-volume semantics. A list, then a watch from the list's resourceVersion; on any
error or expiry the loop lists again after a short backoff, so an apiserver restart is survived.
"""

import argparse
import asyncio
import logging
import shutil
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.client.exceptions import ApiException

from stswatch.lab.components import PROVISIONER_NAME

SELECTED_NODE = "volume.kubernetes.io/selected-node"
WAIT_FOR_CONSUMER = "WaitForFirstConsumer"
WATCH_SECONDS = 60
RETRY_SECONDS = 1.0

log = logging.getLogger("stswatch.lab.provisioner")


def volume_for_claim(claim: Any, *, storage_class: str, volumes: Path) -> client.V1PersistentVolume:
    """The PV serving `claim`: same size and access modes, pre-bound by claimRef."""
    meta = claim.metadata
    name = f"pvc-{meta.uid}"
    node = (meta.annotations or {}).get(SELECTED_NODE)
    affinity = None
    if node:
        term = client.V1NodeSelectorTerm(
            match_expressions=[
                client.V1NodeSelectorRequirement(
                    key="kubernetes.io/hostname", operator="In", values=[node]
                )
            ]
        )
        affinity = client.V1VolumeNodeAffinity(
            required=client.V1NodeSelector(node_selector_terms=[term])
        )
    return client.V1PersistentVolume(
        metadata=client.V1ObjectMeta(
            name=name, annotations={"pv.kubernetes.io/provisioned-by": PROVISIONER_NAME}
        ),
        spec=client.V1PersistentVolumeSpec(
            capacity={"storage": claim.spec.resources.requests["storage"]},
            access_modes=claim.spec.access_modes,
            persistent_volume_reclaim_policy="Delete",
            storage_class_name=storage_class,
            volume_mode=claim.spec.volume_mode or "Filesystem",
            host_path=client.V1HostPathVolumeSource(path=str(volumes / name)),
            node_affinity=affinity,
            claim_ref=client.V1ObjectReference(
                api_version="v1",
                kind="PersistentVolumeClaim",
                namespace=meta.namespace,
                name=meta.name,
                uid=meta.uid,
            ),
        ),
    )


async def provision(
    core: client.CoreV1Api, *, claim: Any, storage_class: str, volumes: Path
) -> None:
    """Create the claim's PV unless the claim is bound, not ours, or already has one."""
    if claim.spec.storage_class_name != storage_class or claim.spec.volume_name:
        return
    if claim.metadata.deletion_timestamp is not None or claim.status.phase != "Pending":
        return
    selected = SELECTED_NODE in (claim.metadata.annotations or {})
    if not selected and await _binding_mode(core, storage_class) == WAIT_FOR_CONSUMER:
        return  # the scheduler picks the node first
    volume = volume_for_claim(claim, storage_class=storage_class, volumes=volumes)
    _data_directory(Path(volume.spec.host_path.path))
    try:
        await core.create_persistent_volume(volume)
    except ApiException as exc:
        if exc.status != 409:
            raise
        return
    log.info("provisioned %s for %s/%s", volume.metadata.name, *_claim_key(claim))


def _data_directory(path: Path) -> None:
    """The volume's directory, writable by any uid, as local-path-provisioner makes it (its setup
    script's `mkdir -m 0777`): a hostPath volume gets no fsGroup ownership change (Kubernetes docs,
    "Configure a Security Context for a Pod"), and a non-root pod must still write its claim."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)


_binding_modes: dict[str, str] = {}


async def _binding_mode(core: client.CoreV1Api, storage_class: str) -> str:
    """The class's volumeBindingMode (immutable, so asked once it exists)."""
    if storage_class not in _binding_modes:
        try:
            storage = client.StorageV1Api(core.api_client)  # type: ignore[attr-defined]
            found = await storage.read_storage_class(storage_class)
        except ApiException as exc:
            if exc.status == 404:
                return "Immediate"
            raise
        _binding_modes[storage_class] = found.volume_binding_mode or "Immediate"
    return _binding_modes[storage_class]


def _claim_key(claim: Any) -> tuple[str, str]:
    return claim.metadata.namespace, claim.metadata.name


async def reclaim(core: client.CoreV1Api, *, storage_class: str, volumes: Path) -> None:
    """Delete our Released volumes (their claims are gone) and their data directories."""
    found = await core.list_persistent_volume()
    for volume in found.items:
        if volume.spec.storage_class_name == storage_class and volume.status.phase == "Released":
            try:
                await core.delete_persistent_volume(volume.metadata.name)
                log.info("deleted released %s", volume.metadata.name)
            except ApiException as exc:
                if exc.status != 404:
                    raise
            data = volumes / volume.metadata.name
            if volume.spec.host_path and volume.spec.host_path.path == str(data):
                await asyncio.to_thread(shutil.rmtree, data, ignore_errors=True)


async def sync_once(core: client.CoreV1Api, *, storage_class: str, volumes: Path) -> str:
    """List every claim, provision what is missing, reclaim; return the list's resourceVersion."""
    claims = await core.list_persistent_volume_claim_for_all_namespaces()
    for claim in claims.items:
        await provision(core, claim=claim, storage_class=storage_class, volumes=volumes)
    await reclaim(core, storage_class=storage_class, volumes=volumes)
    return str(claims.metadata.resource_version)


async def watch_claims(
    core: client.CoreV1Api, *, storage_class: str, volumes: Path, resource_version: str
) -> None:
    """React to claim events for one watch request (bounded by WATCH_SECONDS)."""
    async with watch.Watch() as stream:
        async for event in stream.stream(
            core.list_persistent_volume_claim_for_all_namespaces,
            resource_version=resource_version,
            timeout_seconds=WATCH_SECONDS,
        ):
            if event["type"] in ("ADDED", "MODIFIED"):
                await provision(
                    core, claim=event["object"], storage_class=storage_class, volumes=volumes
                )
            elif event["type"] == "DELETED":
                await reclaim(core, storage_class=storage_class, volumes=volumes)


async def run(*, kubeconfig: Path, storage_class: str, volumes: Path) -> None:
    """Provision forever: list, watch, and start over after any error."""
    api = await config.new_client_from_config(config_file=str(kubeconfig))
    async with api:
        core = client.CoreV1Api(api)
        while True:
            try:
                version = await sync_once(core, storage_class=storage_class, volumes=volumes)
                await watch_claims(
                    core, storage_class=storage_class, volumes=volumes, resource_version=version
                )
            except (TimeoutError, ApiException, OSError) as exc:
                log.warning("provisioner loop restarts after: %s", exc)
                await asyncio.sleep(RETRY_SECONDS)
            except Exception:  # an aiohttp error mid-stream: log it and list again
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
