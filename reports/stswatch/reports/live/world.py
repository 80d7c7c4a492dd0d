"""One StatefulSet and everything it lives by, as fetched from the API server at one moment.

Shapes are the API's JSON (camelCase). Only `statefulset` is required; every list may be empty
(a reader may be refused a kind, or it does not exist). Ordinals and claim names follow the
StatefulSet controller (`pkg/controller/statefulset/stateful_set_utils.go`: `getStartOrdinal`,
`getPodName`, `getPersistentVolumeClaimName`, `podInOrdinalRange`).
"""

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from stswatch.reports.history.objects import dig, parse_ordinal, parse_time
from stswatch.set_objects import Obj, SetObjects

CLUSTER_DOMAIN = "cluster.local"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
REVISION_LABEL = "controller-revision-hash"


class World(SetObjects):
    """What one read of the cluster saw (`stswatch.set_objects.SetObjects`, its one shape), with
    the controller's rules over it."""

    @classmethod
    def of(cls, objects: SetObjects) -> "World":
        """The World of what the live reader (`stswatch.set_reader.read_objects`) returned."""
        return cls(**{f.name: getattr(objects, f.name) for f in fields(SetObjects)})

    # The set.
    @property
    def name(self) -> str:
        """metadata.name of the StatefulSet."""
        return str(dig(self.statefulset, "metadata", "name"))

    def spec(self, *path: str) -> Any:
        """A field under the set's spec."""
        return dig(self.statefulset, "spec", *path)

    def status(self, *path: str) -> Any:
        """A field under the set's status."""
        return dig(self.statefulset, "status", *path)

    @property
    def replicas(self) -> int:
        """spec.replicas (defaults to 1)."""
        value = self.spec("replicas")
        return value if isinstance(value, int) else 1

    @property
    def start(self) -> int:
        """spec.ordinals.start (`getStartOrdinal`, 0 when unset)."""
        value = self.spec("ordinals", "start")
        return value if isinstance(value, int) else 0

    @property
    def ordinals(self) -> range:
        """The ordinals that should exist: [start, start + replicas)."""
        return range(self.start, self.start + self.replicas)

    def absent(self, present: Iterable[int]) -> list[tuple[int, int]]:
        """The ordinals of `ordinals` not in `present`, as (first, last) ranges, in order.

        The work follows what exists, not `spec.replicas` (the API accepts 2147483647).
        """
        ranges: list[tuple[int, int]] = []
        wanted = self.ordinals
        following = wanted.start
        for ordinal in sorted({o for o in present if o in wanted}):
            if ordinal > following:
                ranges.append((following, ordinal - 1))
            following = ordinal + 1
        if following < wanted.stop:
            ranges.append((following, wanted.stop - 1))
        return ranges

    def pod_names(self, ranges: list[tuple[int, int]]) -> str:
        """`redis-1, redis-4..redis-99` for ordinal ranges."""
        return ", ".join(
            self.pod_name(first) if first == last else f"{self.pod_name(first)}..{last}"
            for first, last in ranges
        )

    @property
    def ordered_ready(self) -> bool:
        """True unless podManagementPolicy is Parallel (`allowsBurst`)."""
        return bool(self.spec("podManagementPolicy") != "Parallel")

    @property
    def service_name(self) -> str:
        """spec.serviceName ("" when unset)."""
        return str(self.spec("serviceName") or "")

    @property
    def templates(self) -> tuple[str, ...]:
        """Names of the volumeClaimTemplates."""
        return tuple(
            str(dig(t, "metadata", "name")) for t in self.spec("volumeClaimTemplates") or ()
        )

    def template(self, name: str) -> Obj:
        """The volumeClaimTemplate called `name` ({} when there is none)."""
        for t in self.spec("volumeClaimTemplates") or ():
            if dig(t, "metadata", "name") == name:
                return dict(t)
        return {}

    def claim_name(self, template: str, ordinal: int) -> str:
        """`<template>-<set>-<ordinal>` (`getPersistentVolumeClaimName`)."""
        return f"{template}-{self.name}-{ordinal}"

    def pod_name(self, ordinal: int) -> str:
        """`<set>-<ordinal>` (`getPodName`)."""
        return f"{self.name}-{ordinal}"

    def dns_name(self, pod: str) -> str:
        """The per-pod A record the governing headless Service gives: pod.svc.ns.svc.<domain>."""
        if not self.service_name:
            return ""
        return f"{pod}.{self.service_name}.{self.namespace}.svc.{CLUSTER_DOMAIN}"

    # Pods and claims.
    def ordinal_of(self, obj: Obj) -> int | None:
        """The ordinal of a pod of this set, from its name (`getParentNameAndOrdinal`)."""
        parsed = parse_ordinal(str(dig(obj, "metadata", "name")))
        return parsed[1] if parsed is not None and parsed[0] == self.name else None

    @property
    def pods_by_ordinal(self) -> dict[int, Obj]:
        """The set's pods by ordinal (pods whose name does not parse are left out)."""
        found: dict[int, Obj] = {}
        for pod in self.pods:
            ordinal = self.ordinal_of(pod)
            if ordinal is not None:
                found[ordinal] = pod
        return found

    def claim(self, name: str) -> Obj | None:
        """The namespace's claim called `name`."""
        for claim in self.claims:
            if dig(claim, "metadata", "name") == name:
                return claim
        return None

    def claim_ordinal(self, claim: Obj) -> tuple[str, int] | None:
        """(template, ordinal) when `claim` is named as one of this set's claims."""
        name = str(dig(claim, "metadata", "name"))
        for template in self.templates:
            prefix = f"{template}-{self.name}-"
            rest = name.removeprefix(prefix)
            if rest != name and rest.isdigit():
                return template, int(rest)
        return None

    def volume(self, name: str) -> Obj | None:
        """The PV called `name`."""
        for volume in self.volumes:
            if dig(volume, "metadata", "name") == name:
                return volume
        return None

    def storage_class(self, name: str) -> Obj | None:
        """The StorageClass called `name`."""
        for sc in self.storage_classes:
            if dig(sc, "metadata", "name") == name:
                return sc
        return None

    def default_storage_classes(self) -> list[Obj]:
        """Classes annotated default (`storageclass.kubernetes.io/is-default-class: "true"`)."""
        return [
            sc
            for sc in self.storage_classes
            if (dig(sc, "metadata", "annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
        ]

    def readable(self, resource: str) -> bool:
        """Whether the reader was allowed to list `resource` (e.g. "storageclasses")."""
        return not any(u.split()[1] == resource for u in self.unreadable if " " in u)

    def node_exists(self, name: str) -> bool:
        """Whether a Node called `name` exists (True when nodes could not be listed)."""
        if not self.nodes_known:
            return True
        return any(dig(n, "metadata", "name") == name for n in self.nodes)

    def events_about(self, kind: str, name: str, *, uid: str | None = None) -> list[Obj]:
        """Events whose involvedObject is `kind`/`name` (and `uid`, when both say), oldest first.

        The uid keeps an earlier pod of the same name (a StatefulSet reuses names) out.
        """
        found = [
            e
            for e in self.events
            if dig(e, "involvedObject", "kind") == kind
            and dig(e, "involvedObject", "name") == name
            and (uid is None or dig(e, "involvedObject", "uid") in (None, "", uid))
        ]
        return sorted(found, key=event_time)

    def age(self, timestamp: object) -> float | None:
        """Seconds from an API timestamp to `now`."""
        at = parse_time(timestamp)
        return None if at is None else max(0.0, self.now - at)


def event_time(event: Obj) -> float:
    """When an Event last happened (lastTimestamp, eventTime, then creation), epoch seconds."""
    for key in ("lastTimestamp", "eventTime", "firstTimestamp"):
        at = parse_time(event.get(key))
        if at is not None:
            return at
    return parse_time(dig(event, "metadata", "creationTimestamp")) or 0.0


def describe_event(event: Obj) -> str:
    """`Warning ProvisioningFailed (x3): message`, as `kubectl describe` lists Events."""
    count = event.get("count") or dig(event, "series", "count") or 1
    times = f" (x{count})" if isinstance(count, int) and count > 1 else ""
    message = " ".join(str(event.get("message") or "").split())
    return f"Event {event.get('type', 'Normal')} {event.get('reason', '')}{times}: {message}"


def human_age(seconds: float | None) -> str:
    """`kubectl`-style short age: 45s, 3m12s, 2h5m, 4d3h."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 120:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60}s" if s < 600 else f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60}m"
    return f"{s // 86400}d{(s % 86400) // 3600}h"
