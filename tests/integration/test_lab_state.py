"""The account of the lab attached to a failed integration test (tests/lab_state.py)."""

import asyncio

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient
from lab_state import describe

from stswatch.lab.lab import LabHandle

pytestmark = pytest.mark.integration


async def test_describe_names_the_namespace_pods_claims_and_the_lab_processes(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_api)
    await core.create_namespaced_persistent_volume_claim(
        namespace,
        client.V1PersistentVolumeClaim(
            metadata=client.V1ObjectMeta(name="data-probe"),
            spec=client.V1PersistentVolumeClaimSpec(
                access_modes=["ReadWriteOnce"],
                resources=client.V1VolumeResourceRequirements(requests={"storage": "1Gi"}),
            ),
        ),
    )
    await core.create_namespaced_pod(
        namespace,
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="probe"),
            spec=client.V1PodSpec(
                containers=[client.V1Container(name="c", image="busybox")],
                node_selector={"no-such-label": "x"},  # never scheduled: a FailedScheduling
            ),
        ),
    )
    text = ""
    async with asyncio.timeout(60):
        while "FailedScheduling" not in text:
            await asyncio.sleep(0.5)
            text = await asyncio.to_thread(describe, lab, namespace)
    told = (
        "kwok: running",
        "kube-controller-manager: running",
        f"{lab.nodes[0]}: Ready=True taints=[]",
        "probe uid",
        "phase Pending",
        "PodScheduled=False",
        "Unschedulable",
        "data-probe created",
        "Pod/probe",
    )
    assert [t for t in told if t not in text] == [], text
    assert "could not read" not in text


def test_describe_tells_what_it_could_not_read(lab: LabHandle) -> None:
    text = describe(lab, "no/such namespace")
    assert "--- pods in no/such namespace\n(could not read:" in text
    assert "kwok: running" in text
