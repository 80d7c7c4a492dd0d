"""A finding of `stswatch doctor`: what is wrong, why (the evidence), how to fix it, its source."""

from dataclasses import dataclass
from typing import Literal

from stswatch.reports.live.world import World, describe_event

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

STATEFULSET_DOCS = "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/"
CONTROLLER = "pkg/controller/statefulset/stateful_set_control.go"


@dataclass(frozen=True)
class Finding:
    """One thing `stswatch doctor` found.

    `causes` are words from `stswatch.reports.causes` (the first is the headline, the rest the
    detail);
    `subject` names the object (`pod redis-2`, `PersistentVolumeClaim data-redis-2`); `why` lists
    the evidence (fields, conditions, Events); `fix` lists commands or fields to change;
    `reference` is the upstream source (a Kubernetes doc URL or controller function).
    """

    severity: Severity
    causes: tuple[str, ...]
    subject: str
    what: str
    why: tuple[str, ...]
    fix: tuple[str, ...]
    reference: str


def events_evidence(
    world: World,
    kind: str,
    name: str,
    *,
    limit: int = 3,
    reasons: frozenset[str] | None = None,
    uid: str | None = None,
) -> list[str]:
    """The latest Events about one object (of these `reasons`), Warnings first, as evidence."""
    events = [
        e
        for e in world.events_about(kind, name, uid=uid)
        if reasons is None or e.get("reason") in reasons
    ]
    warnings = [e for e in events if e.get("type") == "Warning"]
    chosen = (warnings or events)[-limit:]
    return [describe_event(e) for e in chosen]


# Event reasons that bear on each kind of finding (kubelet, scheduler and PV controller reasons).
CONTAINER_EVENTS = frozenset(
    ("BackOff", "Failed", "Unhealthy", "Killing", "FailedPostStartHook", "FailedPreStopHook")
)
SCHEDULING_EVENTS = frozenset(("FailedScheduling", "FailedAttachVolume", "FailedMount"))
TERMINATION_EVENTS = frozenset(("Killing", "FailedKillPod", "NodeNotReady", "TaintManagerEviction"))


def ordered(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then info; stable within a severity."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])
