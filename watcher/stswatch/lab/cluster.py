"""Objects the lab creates in its fresh cluster: fake nodes and the default StorageClass.

Through the one API client (`stswatch.kube.verbs`), on plain JSON objects.
"""

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from kubernetes_asyncio import config
from kubernetes_asyncio.client import ApiClient

from stswatch.errors import LabError
from stswatch.kube import verbs
from stswatch.kube.api import ConflictError
from stswatch.lab.components import NODE_ANNOTATION, PROVISIONER_NAME

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
POLL_S = 0.25
_NODES = "/api/v1/nodes"
_STORAGE_CLASSES = "/apis/storage.k8s.io/v1/storageclasses"


def node_name(index: int) -> str:
    """Name of the lab's index-th fake node."""
    return f"lab-node-{index}"


def fake_node(name: str, *, pods: int = 110) -> dict[str, Any]:
    """A Node kwok manages (annotation kwok.x-k8s.io/node=fake) with room for `pods` pods."""
    capacity = {"cpu": "32", "memory": "256Gi", "pods": str(pods)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "status": {"capacity": capacity, "allocatable": capacity},
    }


def storage_class(name: str, *, wait_for_consumer: bool = False) -> dict[str, Any]:
    """The default class; the lab provisioner makes its claims Bound.

    `wait_for_consumer` (labs with real nodes): the scheduler picks the node before the volume
    is made, and the volume is tied to that node, as local volumes are.
    """
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": PROVISIONER_NAME,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer" if wait_for_consumer else "Immediate",
    }


async def _create_ignoring_conflict(
    api: ApiClient, path: str, body: dict[str, Any], *, resource: str
) -> None:
    """Create `body` at `path`; one that already exists (a lab started again) is kept."""
    with contextlib.suppress(ConflictError):
        await verbs.create(api, path, what=f"{resource}/{body['metadata']['name']}", body=body)


def _ready(node: dict[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


async def wait_nodes_ready(api: ApiClient, *, names: list[str], wait_s: float) -> None:
    """Wait until every named node reports Ready (kwok's node-initialize stage)."""
    deadline = time.monotonic() + wait_s
    pending = set(names)
    while time.monotonic() < deadline:
        nodes = await verbs.list_all(api, _NODES, what="nodes")
        pending = set(names) - {n["metadata"]["name"] for n in nodes if _ready(n)}
        if not pending:
            return
        await asyncio.sleep(POLL_S)
    late = ", ".join(sorted(pending))
    raise LabError(f"nodes not Ready after {wait_s:.0f}s: {late} (see logs/kwok.log)")


async def populate(
    *,
    kubeconfig: Path,
    nodes: int,
    storage_class_name: str,
    wait_s: float,
    pods_per_node: int = 110,
    wait_for_consumer: bool = False,
) -> list[str]:
    """Create the fake nodes and the StorageClass, then wait for the nodes to be Ready."""
    names = [node_name(i) for i in range(nodes)]
    api = await config.new_client_from_config(config_file=str(kubeconfig))
    async with api:
        await _create_ignoring_conflict(
            api,
            _STORAGE_CLASSES,
            storage_class(storage_class_name, wait_for_consumer=wait_for_consumer),
            resource="storageclasses",
        )
        for name in names:
            node = fake_node(name, pods=pods_per_node)
            await _create_ignoring_conflict(api, _NODES, node, resource="nodes")
        await wait_nodes_ready(api, names=names, wait_s=wait_s)
    return names


async def wait_real_nodes_ready(kubeconfig: Path, *, names: list[str], wait_s: float) -> None:
    """Wait until the real nodes' kubelets registered them and report Ready."""
    api = await config.new_client_from_config(config_file=str(kubeconfig))
    async with api:
        try:
            await wait_nodes_ready(api, names=names, wait_s=wait_s)
        except LabError as exc:
            raise LabError(exc.message.replace("kwok.log", "kubelet-<node>.log")) from exc
