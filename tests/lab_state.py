"""What the lab looked like when an integration test failed: attached to the failure's report.

A test that times out waiting on the cluster says only "TimeoutError"; on a loaded CI machine
the lab's logs are gone with its temporary folder. This reads, synchronously and bounded (a few
GETs of at most GET_TIMEOUT_S each, the tail of each component log), what a person would look at:
which lab processes still run, the nodes' readiness and taints, the namespace's pods (phase,
node, conditions), claims, Events, and the component log lines that name the namespace.
"""

import json
import ssl
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stswatch.lab.lab import LabHandle, lab_status

GET_TIMEOUT_S = 5.0
LOG_TAIL_BYTES = 2_000_000
LOG_LINES = 15
EVENTS = 40


def describe(lab: LabHandle, namespace: str) -> str:
    """A plain-text account of the lab and `namespace` now; never raises."""
    parts: list[str] = []
    for title, part in (
        ("lab processes", lambda: _processes(lab)),
        ("nodes", lambda: _nodes(lab)),
        (f"pods in {namespace}", lambda: _pods(lab, namespace)),
        (f"claims in {namespace}", lambda: _claims(lab, namespace)),
        (f"events in {namespace}", lambda: _events(lab, namespace)),
        ("component logs naming the namespace", lambda: _logs(lab, namespace)),
    ):
        try:
            body = "\n".join(part())
        except Exception as exc:  # a diagnosis must never hide the failure it explains
            body = f"(could not read: {type(exc).__name__}: {exc})"
        parts.append(f"--- {title}\n{body}")
    return "\n".join(parts)


def _get(lab: LabHandle, path: str) -> Any:
    pki = lab.directory / "pki"
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    with urllib.request.urlopen(
        f"{lab.api_server_url}{path}", context=context, timeout=GET_TIMEOUT_S
    ) as response:
        return json.load(response)


def _processes(lab: LabHandle) -> Iterator[str]:
    status = lab_status(lab.directory)
    if status is None:
        yield "no lab state file"
        return
    for name, alive in status.alive.items():
        yield f"{name}: {'running' if alive else 'NOT RUNNING'}"


def _nodes(lab: LabHandle) -> Iterator[str]:
    leases = {
        item["metadata"]["name"]: (item.get("spec") or {}).get("renewTime")
        for item in _get(lab, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases")[
            "items"
        ]
    }
    for node in _get(lab, "/api/v1/nodes")["items"]:
        name = node["metadata"]["name"]
        ready = [c for c in node["status"].get("conditions", ()) if c["type"] == "Ready"]
        taints = [f"{t['key']}:{t['effect']}" for t in node["spec"].get("taints", ())]
        yield (
            f"{name}: Ready={ready[0]['status'] if ready else '?'} taints={taints} "
            f"unschedulable={node['spec'].get('unschedulable', False)} "
            f"lease renewed {leases.get(name)}"
        )


def _pods(lab: LabHandle, namespace: str) -> Iterator[str]:
    for pod in _get(lab, f"/api/v1/namespaces/{namespace}/pods")["items"]:
        meta, spec, status = pod["metadata"], pod["spec"], pod.get("status") or {}
        yield (
            f"{meta['name']} uid {meta['uid'][:8]} created {meta.get('creationTimestamp')} "
            f"deleting {meta.get('deletionTimestamp')} node {spec.get('nodeName')} "
            f"phase {status.get('phase')}"
        )
        for condition in status.get("conditions", ()):
            yield (
                f"    {condition['type']}={condition['status']} "
                f"at {condition.get('lastTransitionTime')} {condition.get('reason') or ''} "
                f"{condition.get('message') or ''}".rstrip()
            )


def _claims(lab: LabHandle, namespace: str) -> Iterator[str]:
    for claim in _get(lab, f"/api/v1/namespaces/{namespace}/persistentvolumeclaims")["items"]:
        meta = claim["metadata"]
        yield (
            f"{meta['name']} created {meta.get('creationTimestamp')} "
            f"phase {(claim.get('status') or {}).get('phase')} "
            f"volume {(claim.get('spec') or {}).get('volumeName')}"
        )


def _events(lab: LabHandle, namespace: str) -> Iterator[str]:
    events = _get(lab, f"/api/v1/namespaces/{namespace}/events")["items"]

    def when(event: dict[str, Any]) -> str:
        return str(event.get("lastTimestamp") or event.get("eventTime") or "")

    for event in sorted(events, key=when)[-EVENTS:]:
        involved = event.get("involvedObject") or {}
        yield (
            f"{when(event)} {event.get('type')} {event.get('reason')} "
            f"{involved.get('kind')}/{involved.get('name')} x{event.get('count') or 1}: "
            f"{event.get('message') or ''}"
        )


def _logs(lab: LabHandle, namespace: str) -> Iterator[str]:
    status = lab_status(lab.directory)
    names = list(status.alive) if status is not None else []
    for name in names:
        try:
            path = lab.log(name)
        except Exception:
            continue
        lines = [line for line in _tail(path) if namespace in line]
        yield f"{name} ({path.name}): {len(lines)} line(s) name it; the last {LOG_LINES}:"
        yield from (f"    {line[:400]}" for line in lines[-LOG_LINES:])


def _tail(path: Path) -> list[str]:
    with path.open("rb") as log:
        log.seek(0, 2)
        size = log.tell()
        log.seek(max(0, size - LOG_TAIL_BYTES))
        return log.read().decode("utf-8", "replace").splitlines()
