"""Scope: a StatefulSet's world is decided by names and references, object by object."""

from typing import Any

import pytest

from stswatch.record.scope import NamespaceWorld, RecordScope, StatefulSetWorld, selector_matches


def obj(name: str, *, namespace: str | None = "lab", **fields: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, **fields.pop("metadata", {})}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"metadata": metadata, **fields}


REDIS = obj(
    "redis",
    spec={
        "serviceName": "redis-headless",
        "selector": {"matchLabels": {"app": "redis"}},
        "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
    },
)


@pytest.fixture
def world() -> StatefulSetWorld:
    return StatefulSetWorld(namespace="lab", statefulset=REDIS)


def test_the_set_its_pods_claims_service_slices_and_revisions_are_in(
    world: StatefulSetWorld,
) -> None:
    assert world.accepts("StatefulSet", REDIS)
    assert world.accepts("Pod", obj("redis-3"))
    assert world.accepts("Pod", obj("adopted", metadata={"labels": {"app": "redis"}}))
    assert world.accepts("PersistentVolumeClaim", obj("data-redis-12"))
    assert world.accepts("Service", obj("redis-headless"))
    slice_labels = {"labels": {"kubernetes.io/service-name": "redis-headless"}}
    assert world.accepts("EndpointSlice", obj("redis-headless-x7k2p", metadata=slice_labels))
    owner = {"ownerReferences": [{"kind": "StatefulSet", "name": "redis"}]}
    assert world.accepts("ControllerRevision", obj("redis-5d4f8c7b9", metadata=owner))


def test_neighbours_are_out(world: StatefulSetWorld) -> None:
    assert not world.accepts("StatefulSet", obj("other"))
    assert not world.accepts("Pod", obj("other-0", metadata={"labels": {"app": "other"}}))
    assert not world.accepts("Pod", obj("redis-0", namespace="elsewhere"))
    assert not world.accepts("Pod", obj("redis-x"))
    assert not world.accepts("PersistentVolumeClaim", obj("data-other-0"))
    assert not world.accepts("Service", obj("other-headless"))
    assert not world.accepts("ControllerRevision", obj("other-1"))


def test_volumes_follow_their_claims_and_events_follow_their_objects(
    world: StatefulSetWorld,
) -> None:
    pv = obj(
        "pvc-123", namespace=None, spec={"claimRef": {"namespace": "lab", "name": "data-redis-0"}}
    )
    other_pv = obj("pvc-9", namespace=None, spec={"claimRef": {"namespace": "lab", "name": "x"}})
    assert world.accepts("PersistentVolume", pv)
    assert not world.accepts("PersistentVolume", other_pv)

    def event(kind: str, name: str) -> dict[str, Any]:
        return obj("e", involvedObject={"kind": kind, "name": name, "namespace": "lab"})

    assert world.accepts("Event", event("Pod", "redis-1"))
    assert world.accepts("Event", event("StatefulSet", "redis"))
    assert world.accepts("Event", event("PersistentVolumeClaim", "data-redis-1"))
    assert world.accepts(
        "Event", obj("e", involvedObject={"kind": "PersistentVolume", "name": "pvc-123"})
    )
    assert not world.accepts("Event", event("Pod", "other-0"))
    assert not world.accepts("Event", event("Secret", "redis"))


def test_an_edited_set_moves_its_world(world: StatefulSetWorld) -> None:
    edited = obj("redis", spec={**REDIS["spec"], "serviceName": "redis-v2"})
    assert world.accepts("StatefulSet", edited)
    assert world.accepts("Service", obj("redis-v2"))
    assert not world.accepts("Service", obj("redis-headless"))


def test_selector_expressions() -> None:
    selector = {
        "matchLabels": {"app": "redis"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["cache", "db"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    assert selector_matches(selector, {"app": "redis", "tier": "cache"})
    assert not selector_matches(selector, {"app": "redis", "tier": "web"})
    assert not selector_matches(selector, {"app": "redis", "tier": "db", "canary": "1"})


def test_namespace_world_keeps_only_our_volumes() -> None:
    world = NamespaceWorld(namespace="lab")
    ours = obj("pv1", namespace=None, spec={"claimRef": {"namespace": "lab", "name": "c"}})
    theirs = obj("pv2", namespace=None, spec={"claimRef": {"namespace": "x", "name": "c"}})
    assert world.accepts("PersistentVolume", ours)
    assert not world.accepts("PersistentVolume", theirs)
    assert NamespaceWorld(namespace=None).accepts("PersistentVolume", theirs)


def test_scope_rules() -> None:
    with pytest.raises(ValueError, match="all namespaces"):
        RecordScope(all_namespaces=True, statefulset="redis")
    with pytest.raises(ValueError, match="needs a namespace"):
        RecordScope()
    assert RecordScope(all_namespaces=True).list_namespace is None
