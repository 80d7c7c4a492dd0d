"""`stswatch doctor`: every check over one read of the cluster, and its text and JSON output.

Checks (each a pure function `World -> list[Finding]`): claims not Bound and unschedulable pods
(`storage`), the governing Service (`service`), containers (`containers`), a set that does not
progress (`progress`), the controller's calls the API server refuses (`refused`), claims left
over and deleting retention (`leftovers`), and deletions that do not finish (`terminating`).
"""

from collections.abc import Callable
from dataclasses import asdict

import orjson

from stswatch import safe_text
from stswatch.reports import causes
from stswatch.reports.live.containers import container_findings
from stswatch.reports.live.findings import Finding, ordered
from stswatch.reports.live.leftovers import leftover_findings
from stswatch.reports.live.progress import progress_findings
from stswatch.reports.live.refused import refused_findings
from stswatch.reports.live.service import service_findings
from stswatch.reports.live.storage import claim_findings, unschedulable_findings
from stswatch.reports.live.terminating import terminating_findings
from stswatch.reports.live.world import World
from stswatch.safe_text import json_text

CHECKS: tuple[Callable[[World], list[Finding]], ...] = (
    claim_findings,
    unschedulable_findings,
    service_findings,
    container_findings,
    progress_findings,
    refused_findings,
    terminating_findings,
    leftover_findings,
)


def diagnose(world: World) -> list[Finding]:
    """Every finding about `world`'s StatefulSet, errors first.

    A pod's bare "not Ready" warning is dropped when another finding about the same pod (a
    crash loop, say) already explains it.
    """
    found = [finding for check in CHECKS for finding in check(world)]
    explained = {f.subject for f in found if f.causes != (causes.NOT_READY,)}
    return ordered(
        [f for f in found if not (f.causes == (causes.NOT_READY,) and f.subject in explained)]
    )


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding is an error (doctor then exits 1)."""
    return any(f.severity == "error" for f in findings)


def render_text(world: World, findings: list[Finding]) -> str:
    """For a terminal: a headline, then each finding's what, why, fix and source, each line
    through `safe_text` (cluster text shown escaped)."""
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    head = f"StatefulSet {world.namespace}/{world.name}: "
    refused = [f"not checked: {u} was refused" for u in world.unreadable]
    if not findings:
        return safe_text.lines([head + "healthy, no findings", *refused])
    said = [f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items() if n]
    verdict = "unhealthy" if counts["error"] else "healthy"
    lines = [f"{head}{verdict}, {', '.join(said)}", *refused]
    for finding in findings:
        lines.append("")
        lines.append(f"{finding.severity.upper()} [{' / '.join(finding.causes)}] {finding.subject}")
        lines.append(f"  what: {finding.what}")
        lines.extend(f"  why:  {line}" for line in finding.why)
        lines.extend(f"  fix:  {line}" for line in finding.fix)
        lines.append(f"  see:  {finding.reference}")
    # Each line is one field: an Event message cannot forge a line or drive the terminal.
    return safe_text.lines(lines)


def render_json(world: World, findings: list[Finding]) -> str:
    """For tools: the set, `healthy`, and every finding's fields."""
    document = {
        "namespace": world.namespace,
        "statefulset": world.name,
        "healthy": not has_errors(findings),
        "errors": sum(f.severity == "error" for f in findings),
        "not_checked": list(world.unreadable),
        "findings": [asdict(f) for f in findings],
    }
    return json_text(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()) + "\n"
