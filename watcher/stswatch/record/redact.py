"""Redaction applied to every object before it is stored: what a recording must never keep.

`metadata.managedFields` is bulky server bookkeeping and the last-applied annotation repeats the
whole manifest (with any secret values a user pasted into it); container `env` values often carry
credentials, so each literal `value` becomes a marker unless the user asks to keep them.
Secrets themselves are never watched (see `kinds.py`).
"""

from typing import Any

ENV_MARKER = "<redacted by stswatch>"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def redact(obj: dict[str, Any], *, kind: str, keep_env: bool) -> dict[str, Any]:
    """Strip `obj` in place of what a recording must not keep, and return it."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
    if not keep_env:
        pod_spec = _pod_spec(obj, kind=kind)
        if pod_spec is not None:
            _redact_env(pod_spec)
    return obj


def _pod_spec(obj: dict[str, Any], *, kind: str) -> dict[str, Any] | None:
    """The pod spec an object carries: its own (Pod), its template's, or a revision's."""
    if kind == "Pod":
        path: tuple[str, ...] = ("spec",)
    elif kind == "StatefulSet":
        path = ("spec", "template", "spec")
    elif kind == "ControllerRevision":
        # A StatefulSet revision's `data` is a patch holding the pod template.
        path = ("data", "spec", "template", "spec")
    else:
        return None
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _redact_env(pod_spec: dict[str, Any]) -> None:
    for list_name in _CONTAINER_LISTS:
        containers = pod_spec.get(list_name)
        if not isinstance(containers, list):
            continue
        for container in containers:
            env = container.get("env") if isinstance(container, dict) else None
            if not isinstance(env, list):
                continue
            for var in env:
                # `valueFrom` only names a Secret/ConfigMap key; a literal `value` is the secret.
                if isinstance(var, dict) and "value" in var:
                    var["value"] = ENV_MARKER
