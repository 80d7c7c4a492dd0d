"""The lab's kwok deletes a terminating pod by its uid, never a successor of the same name.

kwok's pod-delete stage used to delete by name: a delete job still queued when the controller
had already created the successor (more likely on a loaded machine) killed the successor, and a
recording showed a phantom second recreation. The lab's API server audits pod deletes; every
delete kwok sends must carry the pod's uid as a precondition.
"""

import orjson
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient
from record_support import create_lesson, delete_pod_and_wait, scale, until

from stswatch.lab.lab import LabHandle

pytestmark = pytest.mark.integration


def _kwok_deletes(lab: LabHandle, *, namespace: str) -> list[dict[str, object]]:
    audit = lab.directory / "logs" / "pod-deletes.audit.jsonl"
    events = [orjson.loads(line) for line in audit.read_bytes().splitlines() if line]
    return [
        e
        for e in events
        if e.get("stage") == "ResponseComplete"
        and e["objectRef"].get("namespace") == namespace
        and str(e.get("userAgent", "")).startswith("kwok")
    ]


async def test_kwok_deletes_each_pod_by_its_uid(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await create_lesson(kube_api, namespace=namespace, storage_class=lab.storage_class)
    await scale(kube_api, namespace=namespace, replicas=2)
    core = client.CoreV1Api(kube_api)
    uids = {
        p.metadata.name: p.metadata.uid for p in (await core.list_namespaced_pod(namespace)).items
    }
    await delete_pod_and_wait(kube_api, namespace=namespace, name="redis-1")
    await scale(kube_api, namespace=namespace, replicas=0)

    async def audited() -> bool:
        return len(_kwok_deletes(lab, namespace=namespace)) >= 3

    await until(audited, what="kwok's three pod deletes in the audit log")
    deletes = _kwok_deletes(lab, namespace=namespace)
    pinned = [
        ((e.get("requestObject") or {}).get("preconditions") or {}).get("uid") for e in deletes
    ]
    assert None not in pinned, deletes
    assert uids["redis-1"] in pinned
    assert uids["redis-0"] in pinned
    # A stale delete (sent for a pod already gone) is refused, never applied to a successor.
    for event in deletes:
        assert event["responseStatus"]["code"] in (200, 404, 409), event
