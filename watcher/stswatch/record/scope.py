"""What a recording covers: a namespace, all of them, or one StatefulSet and everything it lives by.

The API server filters by namespace; the rest is decided here, per object, because a
StatefulSet's world is defined by names and references (its ordinal pods, its claim templates,
its governing Service) that no single label or field selector expresses.
"""

import re
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class RecordScope:
    """The user's choice: one namespace, every namespace, and optionally one StatefulSet."""

    namespace: str | None = None
    all_namespaces: bool = False
    statefulset: str | None = None

    def __post_init__(self) -> None:
        if self.all_namespaces and (self.namespace is not None or self.statefulset is not None):
            raise ValueError("all namespaces cannot be combined with a namespace or StatefulSet")
        if not self.all_namespaces and self.namespace is None:
            raise ValueError("a scope needs a namespace, or all namespaces")

    @property
    def list_namespace(self) -> str | None:
        """The namespace the API server should filter by (None: all of them)."""
        return None if self.all_namespaces else self.namespace

    def as_json(self) -> dict[str, Any]:
        """The scope as stored in the session row."""
        return {
            "namespace": self.namespace,
            "all_namespaces": self.all_namespaces,
            "statefulset": self.statefulset,
        }


class Membership(Protocol):
    """Decides, object by object, whether a change belongs in the recording."""

    def accepts(self, kind: str, obj: dict[str, Any]) -> bool:
        """Whether this object of this kind is in scope."""
        ...


class NamespaceWorld:
    """Everything the server sends for the namespace, and the volumes its claims are bound to."""

    def __init__(self, *, namespace: str | None) -> None:
        self._namespace = namespace

    def accepts(self, kind: str, obj: dict[str, Any]) -> bool:
        """PersistentVolumes are cluster-wide: keep those claimed from our namespace."""
        if kind != "PersistentVolume" or self._namespace is None:
            return True
        return bool(_get(obj, "spec", "claimRef", "namespace") == self._namespace)


class StatefulSetWorld:
    """One StatefulSet and what it lives by: pods, claims, volumes, Service, slices, revisions.

    The set's selector, claim templates and governing Service are read from the set itself,
    at the start and again from every change of it, so a recording follows an edited set.
    """

    def __init__(self, *, namespace: str, statefulset: dict[str, Any]) -> None:
        self._namespace = namespace
        self._name = str(_get(statefulset, "metadata", "name"))
        self._volumes: set[str] = set()
        self._learn(statefulset)

    def accepts(self, kind: str, obj: dict[str, Any]) -> bool:
        """Whether `obj` is the set, or one of the objects it lives by."""
        if kind == "PersistentVolume":
            claim = _get(obj, "spec", "claimRef") or {}
            mine = claim.get("namespace") == self._namespace and self._is_claim(claim.get("name"))
            if mine:
                self._volumes.add(str(_get(obj, "metadata", "name")))
            return bool(mine)
        if _get(obj, "metadata", "namespace") != self._namespace:
            return False
        if kind == "Event":
            return self._is_about_us(_get(obj, "involvedObject") or {})
        if kind == "StatefulSet" and _get(obj, "metadata", "name") == self._name:
            self._learn(obj)
            return True
        return self._is_ours(kind, obj)

    def _learn(self, statefulset: dict[str, Any]) -> None:
        spec = statefulset.get("spec") or {}
        self._selector: dict[str, Any] = spec.get("selector") or {}
        self._service = spec.get("serviceName") or ""
        templates = [
            re.escape(str(_get(t, "metadata", "name")))
            for t in spec.get("volumeClaimTemplates") or []
        ]
        name = re.escape(self._name)
        self._pod_name = re.compile(rf"^{name}-\d+$")
        self._claim_name = (
            re.compile(rf"^({'|'.join(templates)})-{name}-\d+$") if templates else None
        )

    def _is_ours(self, kind: str, obj: dict[str, Any]) -> bool:
        name = _get(obj, "metadata", "name")
        labels = _get(obj, "metadata", "labels") or {}
        if kind == "Pod":
            return (
                bool(self._pod_name.match(str(name))) or self._owned(obj) or self._selects(labels)
            )
        if kind == "PersistentVolumeClaim":
            return self._is_claim(name) or self._owned(obj)
        if kind == "Service":
            return bool(self._service) and name == self._service
        if kind == "EndpointSlice":
            return bool(self._service) and labels.get("kubernetes.io/service-name") == self._service
        if kind == "ControllerRevision":
            return self._owned(obj) or self._selects(labels)
        return False

    def _is_about_us(self, involved: dict[str, Any]) -> bool:
        """Events name their object by kind and name; match by name, the object may be gone."""
        kind, name = involved.get("kind"), str(involved.get("name"))
        if kind == "PersistentVolume":
            return name in self._volumes
        if involved.get("namespace") != self._namespace:
            return False
        by_name = {
            "StatefulSet": name == self._name,
            "Pod": bool(self._pod_name.match(name)),
            "PersistentVolumeClaim": self._is_claim(name),
            "Service": bool(self._service) and name == self._service,
            "EndpointSlice": bool(self._service) and name.startswith(f"{self._service}-"),
            "ControllerRevision": name.startswith(f"{self._name}-"),
        }
        return by_name.get(str(kind), False)

    def _is_claim(self, name: object) -> bool:
        return self._claim_name is not None and bool(self._claim_name.match(str(name)))

    def _owned(self, obj: dict[str, Any]) -> bool:
        owners = _get(obj, "metadata", "ownerReferences") or []
        return any(o.get("kind") == "StatefulSet" and o.get("name") == self._name for o in owners)

    def _selects(self, labels: dict[str, str]) -> bool:
        return bool(self._selector) and selector_matches(self._selector, labels)


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A metav1.LabelSelector against labels (matchLabels and matchExpressions, ANDed)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        present = key in labels
        matched = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(operator, False)
        if not matched:
            return False
    return True


def _get(obj: dict[str, Any], *path: str) -> Any:
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node
