"""Objects the lab creates in its fresh cluster: fake nodes and the default StorageClass."""

import asyncio
import time
from pathlib import Path

from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from stswatch.errors import LabError
from stswatch.lab.components import NODE_ANNOTATION, PROVISIONER_NAME

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
POLL_S = 0.25


def node_name(index: int) -> str:
    """Name of the lab's index-th fake node."""
    return f"lab-node-{index}"


def fake_node(name: str, *, pods: int = 110) -> client.V1Node:
    """A Node kwok manages (annotation kwok.x-k8s.io/node=fake) with room for `pods` pods."""
    capacity = {"cpu": "32", "memory": "256Gi", "pods": str(pods)}
    return client.V1Node(
        metadata=client.V1ObjectMeta(
            name=name,
            annotations={NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            labels={
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        ),
        status=client.V1NodeStatus(capacity=capacity, allocatable=capacity),
    )


def storage_class(name: str, *, wait_for_consumer: bool = False) -> client.V1StorageClass:
    """The default class; the lab provisioner makes its claims Bound.

    `wait_for_consumer` (labs with real nodes): the scheduler picks the node before the volume
    is made, and the volume is tied to that node, as local volumes are.
    """
    return client.V1StorageClass(
        metadata=client.V1ObjectMeta(name=name, annotations={DEFAULT_CLASS_ANNOTATION: "true"}),
        provisioner=PROVISIONER_NAME,
        reclaim_policy="Delete",
        volume_binding_mode="WaitForFirstConsumer" if wait_for_consumer else "Immediate",
    )


async def _create_ignoring_conflict(create: object, body: object) -> None:
    try:
        await create(body)  # type: ignore[operator]
    except ApiException as exc:
        if exc.status != 409:
            raise


def _ready(node: client.V1Node) -> bool:
    conditions = node.status.conditions if node.status else None
    return any(c.type == "Ready" and c.status == "True" for c in conditions or ())


async def wait_nodes_ready(core: client.CoreV1Api, *, names: list[str], wait_s: float) -> None:
    """Wait until every named node reports Ready (kwok's node-initialize stage)."""
    deadline = time.monotonic() + wait_s
    pending = set(names)
    while time.monotonic() < deadline:
        nodes = await core.list_node()
        pending = set(names) - {n.metadata.name for n in nodes.items if _ready(n)}
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
        core = client.CoreV1Api(api)
        storage = client.StorageV1Api(api)
        await _create_ignoring_conflict(
            storage.create_storage_class,
            storage_class(storage_class_name, wait_for_consumer=wait_for_consumer),
        )
        for name in names:
            await _create_ignoring_conflict(core.create_node, fake_node(name, pods=pods_per_node))
        await wait_nodes_ready(core, names=names, wait_s=wait_s)
    return names


async def wait_real_nodes_ready(kubeconfig: Path, *, names: list[str], wait_s: float) -> None:
    """Wait until the real nodes' kubelets registered them and report Ready."""
    api = await config.new_client_from_config(config_file=str(kubeconfig))
    async with api:
        try:
            await wait_nodes_ready(client.CoreV1Api(api), names=names, wait_s=wait_s)
        except LabError as exc:
            raise LabError(exc.message.replace("kwok.log", "kubelet-<node>.log")) from exc
