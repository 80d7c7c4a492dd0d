"""The lab's promises to other tests: Ready nodes, holding a pod unready, restarting the
apiserver, and refusing a second `lab up` in the same directory."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from click.testing import CliRunner
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.lab.lab import LabHandle, lab_status
from stswatch.lab.stages import HOLD_ANNOTATION

pytestmark = pytest.mark.integration

WAIT_S = 120.0  # bounded; generous for a loaded CI machine (as the other lab tests)
POLL_S = 0.25


async def _until(check: Callable[[], Awaitable[bool]], *, what: str) -> None:
    """Poll an async check, bounded in count and time, until it holds."""
    for _ in range(int(WAIT_S / POLL_S)):
        if await check():
            return
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"gave up after {WAIT_S:.0f}s waiting for: {what}")


def _ready(pod: client.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())


def web_statefulset(*, hold: str) -> client.V1StatefulSet:
    """3 replicas, no volumes; the pod template names the pods kwok must hold unready."""
    return client.V1StatefulSet(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1StatefulSetSpec(
            service_name="web",
            replicas=3,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(
                    labels={"app": "web"}, annotations={HOLD_ANNOTATION: hold}
                ),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")]),
            ),
        ),
    )


async def test_nodes_are_ready(lab: LabHandle, kube_api: ApiClient) -> None:
    nodes = await client.CoreV1Api(kube_api).list_node()
    ready = sorted(n.metadata.name for n in nodes.items if _ready_node(n))
    assert ready == sorted(lab.nodes)
    assert len(ready) == 3


def _ready_node(node: client.V1Node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or ())


async def test_held_pod_halts_ordered_ready_until_released(
    kube_api: ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_api)
    await client.AppsV1Api(kube_api).create_namespaced_stateful_set(
        namespace, web_statefulset(hold="web-1")
    )

    async def pods() -> dict[str, client.V1Pod]:
        listed = await core.list_namespaced_pod(namespace)
        return {p.metadata.name: p for p in listed.items}

    async def web1_running_unready() -> bool:
        pod = (await pods()).get("web-1")
        return pod is not None and pod.status.phase == "Running" and not _ready(pod)

    await _until(web1_running_unready, what="web-1 Running, not Ready")
    await asyncio.sleep(3)  # OrderedReady: the controller must not create web-2 meanwhile
    current = await pods()
    assert sorted(current) == ["web-0", "web-1"]
    assert _ready(current["web-0"])
    assert not _ready(current["web-1"])

    await core.patch_namespaced_pod(
        "web-1", namespace, {"metadata": {"annotations": {HOLD_ANNOTATION: None}}}
    )

    async def all_ready() -> bool:
        current = await pods()
        return sorted(current) == ["web-0", "web-1", "web-2"] and all(map(_ready, current.values()))

    await _until(all_ready, what="web-0..2 Ready after release")

    await core.patch_namespaced_pod(
        "web-0", namespace, {"metadata": {"annotations": {HOLD_ANNOTATION: "true"}}}
    )

    async def web0_unready() -> bool:
        return not _ready((await pods())["web-0"])

    await _until(web0_unready, what="web-0 unready after hold on the live pod")


async def test_restart_apiserver_keeps_the_cluster_working(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    old_pid = lab.state.process("kube-apiserver").pid
    await lab.restart_apiserver()
    assert lab.state.process("kube-apiserver").pid != old_pid
    status = lab_status(lab.directory)
    assert status is not None
    assert all(status.alive.values())

    core = client.CoreV1Api(kube_api)
    claim = client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="after-restart"),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1VolumeResourceRequirements(requests={"storage": "1Gi"}),
        ),
    )
    await core.create_namespaced_persistent_volume_claim(namespace, claim)

    async def bound() -> bool:
        read = await core.read_namespaced_persistent_volume_claim("after-restart", namespace)
        return bool(read.status.phase == "Bound")

    # The default StorageClass applies, and the provisioner and PV binder survived the restart.
    await _until(bound, what="PVC Bound after apiserver restart")


def test_second_lab_up_in_the_same_directory_is_refused(lab: LabHandle) -> None:
    before = lab_status(lab.directory)
    result = CliRunner().invoke(main, ["lab", "up", "--dir", str(lab.directory)])
    assert result.exit_code == ExitCode.LAB
    assert "already running" in result.output
    after = lab_status(lab.directory)
    assert after == before
    assert after is not None
    assert after.running


async def test_compacting_etcd_makes_old_resource_versions_gone(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_api)
    first = await core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="a"))
    )
    old = first.metadata.resource_version
    await core.create_namespaced_config_map(
        namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="b"))
    )
    compacted = await lab.compact_etcd()
    assert compacted > int(old)
    # The apiserver's watch cache still holds recent history; a restart drops it, so the old
    # resourceVersion must now come from etcd, where it is compacted away.
    await lab.restart_apiserver()
    with pytest.raises(ApiException) as gone:
        await core.list_namespaced_config_map(
            namespace, resource_version=old, resource_version_match="Exact"
        )
    assert gone.value.status == 410
