"""What a recorded Kubernetes object (the redacted JSON dict of a `Change`) says, field by field.

Objects arrive as the API server's JSON (camelCase keys). Every accessor tolerates a missing
field, because a recording may come from any server version and redaction may drop fields.
"""

import re
from datetime import datetime
from sys import intern
from typing import Any

# The controller parses ordinals with this pattern (getParentNameAndOrdinal).
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")

Obj = dict[str, Any]


def dig(obj: Obj, *path: str) -> Any:
    """The value at `path` in nested dicts, or None."""
    node: Any = obj
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def mapping(value: Any) -> Obj:
    """`value` when it is a JSON object, else an empty one (a field may be missing or malformed)."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    """A field's value as a string; None when it is missing or empty.

    Interned, as `string` is: names, nodes, revisions and timestamps recur across the changes
    and pods whose lifecycles keep them, and one copy each is what a 100,000-pod session fits in.
    """
    return intern(str(value)) if value else None


def string(value: Any) -> str | None:
    """A field's value as a string; None only when it is missing."""
    return intern(str(value)) if value is not None else None


def items(value: Any) -> list[Any]:
    """A field's value when it is a list, else an empty one (a hostile `true` is no list)."""
    return value if isinstance(value, list) else []


def integer(value: Any) -> int | None:
    """A field's value when it is an integer, else None."""
    return value if isinstance(value, int) else None


def _text(obj: Obj, *path: str) -> str | None:
    """The field at `path` as a string; None when it is missing or empty."""
    return text(dig(obj, *path))


def _integer(obj: Obj, *path: str) -> int | None:
    """The field at `path` when it is an integer, else None."""
    return integer(dig(obj, *path))


def parse_ordinal(name: str) -> tuple[str, int] | None:
    """`(parent, ordinal)` from a pod name, as the StatefulSet controller parses it."""
    match = _ORDINAL.match(name)
    return (match[1], int(match[2])) if match else None


def parse_time(value: object) -> float | None:
    """Seconds since the epoch of an RFC 3339 API timestamp (second precision), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def owner_statefulset(obj: Obj) -> tuple[str, str] | None:
    """(name, uid) of the StatefulSet that controls this object, from its ownerReferences
    (interned: every pod of a set names it)."""
    for ref in items(dig(obj, "metadata", "ownerReferences")):
        if isinstance(ref, dict) and ref.get("kind") == "StatefulSet":
            return intern(str(ref.get("name"))), intern(str(ref.get("uid")))
    return None


def owner_kinds(obj: Obj) -> tuple[str, ...]:
    """The kinds of the object's ownerReferences, in order."""
    refs = items(dig(obj, "metadata", "ownerReferences"))
    return tuple(str(r.get("kind")) for r in refs if isinstance(r, dict))


def owners(obj: Obj) -> tuple[tuple[str, str], ...]:
    """The object's ownerReferences as (kind, uid) pairs, in order (none when not a list)."""
    refs = items(dig(obj, "metadata", "ownerReferences"))
    return tuple((str(r.get("kind")), str(r.get("uid"))) for r in refs if isinstance(r, dict))


def labels(obj: Obj) -> dict[str, str]:
    """The object's labels (keys and string values interned: a pod's lifecycle keeps them, and
    most recur across the pods of a set)."""
    found = dig(obj, "metadata", "labels")
    if not isinstance(found, dict):
        return {}
    return {intern(k): intern(v) if type(v) is str else v for k, v in found.items()}


def deletion_timestamp(obj: Obj) -> str | None:
    """metadata.deletionTimestamp, set when a graceful delete began."""
    return _text(obj, "metadata", "deletionTimestamp")


def pod_reason(pod: Obj) -> str | None:
    """status.reason (e.g. Evicted, NodeShutdown), set with a terminal phase."""
    return _text(pod, "status", "reason")


def pod_phase(pod: Obj) -> str | None:
    """status.phase (Pending, Running, Succeeded, Failed, Unknown)."""
    return _text(pod, "status", "phase")


def pod_condition(pod: Obj, kind: str) -> Obj | None:
    """The status condition of type `kind`, if the pod has one."""
    for cond in items(dig(pod, "status", "conditions")):
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def condition_true(pod: Obj, kind: str) -> bool:
    """True when condition `kind` has status "True"."""
    cond = pod_condition(pod, kind)
    return cond is not None and cond.get("status") == "True"


def pod_node(pod: Obj) -> str | None:
    """spec.nodeName, set when the scheduler bound the pod."""
    return _text(pod, "spec", "nodeName")


def pod_ip(pod: Obj) -> str | None:
    """status.podIP."""
    return _text(pod, "status", "podIP")


def pod_claims(pod: Obj) -> tuple[str, ...]:
    """Names of the PVCs the pod mounts, in volume order."""
    names = []
    for volume in items(dig(pod, "spec", "volumes")):
        claim = dig(volume, "persistentVolumeClaim", "claimName")
        if claim:
            names.append(intern(str(claim)))
    return tuple(names)


def spec_str(obj: Obj, *path: str) -> str | None:
    """A string field under `spec`, or None."""
    return string(dig(obj, "spec", *path))


def status_str(obj: Obj, *path: str) -> str | None:
    """A string field under `status`, or None."""
    return string(dig(obj, "status", *path))


def spec_int(obj: Obj, *path: str) -> int | None:
    """An integer field under `spec`, or None."""
    return _integer(obj, "spec", *path)


def status_int(obj: Obj, *path: str) -> int | None:
    """An integer field under `status`, or None."""
    return _integer(obj, "status", *path)


def generation(obj: Obj) -> int | None:
    """metadata.generation."""
    return _integer(obj, "metadata", "generation")


def slice_service(obj: Obj) -> str | None:
    """The Service an EndpointSlice belongs to (label kubernetes.io/service-name)."""
    return labels(obj).get("kubernetes.io/service-name")


def slice_endpoints(obj: Obj) -> list[Obj]:
    """The endpoints of an EndpointSlice."""
    found = obj.get("endpoints")
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def is_headless(service: Obj) -> bool:
    """True for a headless Service (clusterIP None)."""
    return spec_str(service, "clusterIP") == "None"


def parse_server_version(text: str) -> tuple[int, int]:
    """(major, minor) of a gitVersion like v1.34.4; (0, 0) when unreadable."""
    parts = text.lstrip("v").split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()))
    except (IndexError, ValueError):
        return (0, 0)
