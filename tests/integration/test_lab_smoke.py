"""Smoke test of the lab against the real StatefulSet controller: the lesson's redis example.

A real watch on the namespace's pods proves OrderedReady: redis-N+1 is created only after
redis-N is Running and Ready, scale-down removes the highest ordinal first, and the headless
Service's EndpointSlice carries each pod's hostname (what cluster DNS would answer).
"""

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client import ApiClient

from stswatch.lab.lab import LabHandle

pytestmark = pytest.mark.integration

APP = "redis"
SERVICE = "redis-headless"
WAIT_S = 120.0  # bounded; generous for a loaded CI machine (as the other lab tests)
WATCH_REQUESTS = 5


@dataclass(frozen=True)
class PodEvent:
    """One watch event on a pod, reduced to what the assertions read."""

    type: str
    name: str
    phase: str | None
    ready: bool


def _ready(pod: Any) -> bool:
    conditions = pod.status.conditions if pod.status else None
    return any(c.type == "Ready" and c.status == "True" for c in conditions or ())


@dataclass
class PodWatch:
    """Pod events of one namespace as a real watch delivers them, in order."""

    events: list[PodEvent] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def index(self, predicate: Callable[[PodEvent], bool]) -> int:
        """Position of the earliest event matching `predicate` (-1 if none)."""
        return next((i for i, e in enumerate(self.events) if predicate(e)), -1)

    def order(self, predicate: Callable[[PodEvent], bool]) -> list[str]:
        """Pod names in the order each first matched `predicate`."""
        names: list[str] = []
        for event in self.events:
            if predicate(event) and event.name not in names:
                names.append(event.name)
        return names

    async def until(self, predicate: Callable[["PodWatch"], bool], *, what: str) -> None:
        """Wait (bounded) until `predicate(self)` holds."""
        async with asyncio.timeout(WAIT_S):
            while not predicate(self):
                self.changed.clear()
                await self.changed.wait()
        assert predicate(self), what

    async def run(self, core: client.CoreV1Api, *, namespace: str, resource_version: str) -> None:
        """Feed events from bounded watch requests, each resuming at the last one's
        resourceVersion (a request the server ends at its timeout is not the end of the test)."""
        for _ in range(WATCH_REQUESTS):
            async with watch.Watch() as stream:
                async for event in stream.stream(
                    core.list_namespaced_pod,
                    namespace=namespace,
                    label_selector=f"app={APP}",
                    resource_version=resource_version,
                    timeout_seconds=int(WAIT_S * 4),
                ):
                    pod = event["object"]
                    resource_version = pod.metadata.resource_version
                    self.events.append(
                        PodEvent(
                            type=event["type"],
                            name=pod.metadata.name,
                            phase=pod.status.phase if pod.status else None,
                            ready=_ready(pod),
                        )
                    )
                    self.changed.set()


@asynccontextmanager
async def watching_pods(core: client.CoreV1Api, *, namespace: str) -> AsyncIterator[PodWatch]:
    """Start a pod watch from "now" (a list's resourceVersion); cancel it on exit."""
    listed = await core.list_namespaced_pod(namespace, label_selector=f"app={APP}")
    pods = PodWatch()
    task = asyncio.create_task(
        pods.run(core, namespace=namespace, resource_version=listed.metadata.resource_version)
    )
    try:
        yield pods
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def headless_service() -> client.V1Service:
    return client.V1Service(
        metadata=client.V1ObjectMeta(name=SERVICE, labels={"app": APP}),
        spec=client.V1ServiceSpec(
            cluster_ip="None",
            selector={"app": APP},
            ports=[client.V1ServicePort(name="redis", port=6379)],
        ),
    )


def redis_statefulset(*, storage_class: str) -> client.V1StatefulSet:
    return client.V1StatefulSet(
        metadata=client.V1ObjectMeta(name=APP),
        spec=client.V1StatefulSetSpec(
            service_name=SERVICE,
            replicas=3,
            selector=client.V1LabelSelector(match_labels={"app": APP}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": APP}),
                spec=client.V1PodSpec(
                    containers=[
                        client.V1Container(
                            name="redis",
                            image="redis:6.2-alpine",
                            ports=[client.V1ContainerPort(container_port=6379, name="redis")],
                            volume_mounts=[client.V1VolumeMount(name="data", mount_path="/data")],
                        )
                    ]
                ),
            ),
            volume_claim_templates=[
                client.V1PersistentVolumeClaim(
                    metadata=client.V1ObjectMeta(name="data"),
                    spec=client.V1PersistentVolumeClaimSpec(
                        access_modes=["ReadWriteOnce"],
                        storage_class_name=storage_class,
                        resources=client.V1VolumeResourceRequirements(requests={"storage": "1Gi"}),
                    ),
                )
            ],
        ),
    )


def running_ready(event: PodEvent) -> bool:
    return event.type != "DELETED" and event.phase == "Running" and event.ready


def all_ready(names: list[str]) -> Callable[[PodWatch], bool]:
    return lambda pods: set(names) <= set(pods.order(running_ready))


async def wait_endpoint_hostnames(
    discovery: client.DiscoveryV1Api, *, namespace: str, hostnames: set[str]
) -> list[Any]:
    """Poll (bounded) the Service's EndpointSlices until ready endpoints carry `hostnames`."""
    async with asyncio.timeout(WAIT_S):
        while True:
            slices = await discovery.list_namespaced_endpoint_slice(
                namespace, label_selector=f"kubernetes.io/service-name={SERVICE}"
            )
            endpoints = [e for s in slices.items for e in s.endpoints or ()]
            ready = {e.hostname for e in endpoints if e.conditions and e.conditions.ready}
            if ready == hostnames:
                return endpoints
            await asyncio.sleep(0.25)


async def test_redis_statefulset_ordered_ready_storage_dns_and_scale_down(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(kube_api)
    apps = client.AppsV1Api(kube_api)
    names = [f"{APP}-{i}" for i in range(3)]

    async with watching_pods(core, namespace=namespace) as pods:
        await core.create_namespaced_service(namespace, headless_service())
        await apps.create_namespaced_stateful_set(
            namespace, redis_statefulset(storage_class=lab.storage_class)
        )
        await pods.until(all_ready(names), what="redis-0..2 Running and Ready")

        assert pods.order(running_ready) == names
        assert pods.order(lambda e: e.type == "ADDED") == names
        for earlier, later in itertools.pairwise(names):
            # One watch delivers events in resourceVersion order: list position is causal order.
            ready_at = pods.index(lambda e, n=earlier: e.name == n and running_ready(e))
            added_at = pods.index(lambda e, n=later: e.name == n and e.type == "ADDED")
            assert ready_at < added_at, f"{later} created before {earlier} was Ready"

        claims = await core.list_namespaced_persistent_volume_claim(namespace)
        bound = {c.metadata.name: c.status.phase for c in claims.items}
        assert bound == {f"data-{name}": "Bound" for name in names}

        endpoints = await wait_endpoint_hostnames(
            client.DiscoveryV1Api(kube_api), namespace=namespace, hostnames=set(names)
        )
        listed = await core.list_namespaced_pod(namespace, label_selector=f"app={APP}")
        pod_ips = {p.metadata.name: p.status.pod_ip for p in listed.items}
        for endpoint in endpoints:
            assert endpoint.addresses == [pod_ips[endpoint.hostname]]
            assert endpoint.target_ref.name == endpoint.hostname

        scaled = [f"{APP}-{i}" for i in range(5)]
        await apps.patch_namespaced_stateful_set_scale(APP, namespace, {"spec": {"replicas": 5}})
        await pods.until(all_ready(scaled), what="redis-3 and redis-4 Running and Ready")
        assert pods.order(running_ready) == scaled

        await apps.patch_namespaced_stateful_set_scale(APP, namespace, {"spec": {"replicas": 3}})
        deleted = lambda e: e.type == "DELETED"  # noqa: E731
        await pods.until(lambda p: len(p.order(deleted)) == 2, what="redis-4, redis-3 deleted")
        assert pods.order(deleted) == [f"{APP}-4", f"{APP}-3"]
        assert all(pods.index(lambda e, n=n: e.name == n and deleted(e)) == -1 for n in names)
