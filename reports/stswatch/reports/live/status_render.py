"""`stswatch status` output: a table for people, JSON and YAML (the `SetStatus` fields)."""

from dataclasses import asdict
from typing import Any

import orjson
import yaml

from stswatch import safe_text
from stswatch.reports.live.status import ClaimRow, MissingOrdinals, OrdinalRow, SetStatus
from stswatch.reports.live.world import human_age

# kubectl's short names for access modes (`kubectl get pvc`).
_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def status_dict(status: SetStatus) -> dict[str, Any]:
    """The status as plain data (what `--output json|yaml` prints)."""
    return asdict(status)


def render_json(status: SetStatus) -> str:
    """Indented JSON."""
    return (
        safe_text.json_text(orjson.dumps(status_dict(status), option=orjson.OPT_INDENT_2).decode())
        + "\n"
    )


def render_json_line(status: SetStatus) -> str:
    """JSON on one line (`status --watch -o json`: one document per line)."""
    return safe_text.json_text(orjson.dumps(status_dict(status)).decode()) + "\n"


def render_yaml(status: SetStatus) -> str:
    """YAML in field order."""
    return yaml.safe_dump(status_dict(status), sort_keys=False)


def render_table(status: SetStatus) -> str:
    """The set's summary, then one line per ordinal with its claims below it; every line
    through `safe_text` (cluster text shown escaped, JSON and YAML stay exact)."""
    deleting = f" (being deleted since {status.deleting})" if status.deleting else ""
    lines = [f"StatefulSet {status.namespace}/{status.name}{deleting}", *_summary(status), ""]
    lines.extend(_table(status.rows, status.missing))
    return safe_text.lines(lines)


def _summary(s: SetStatus) -> list[str]:
    service = s.service
    if not service.name:
        said = "none (spec.serviceName is empty: pods get no DNS records)"
    elif not service.exists:
        said = f"{service.name}: MISSING (pods get no DNS records)"
    else:
        kind = "headless" if service.headless else "NOT headless (has a clusterIP)"
        said = f"{service.name}: {kind}, selects {service.selects}/{service.pods} pods"
    update = s.update_strategy
    if s.partition is not None:
        update += f" (partition {s.partition}, maxUnavailable {s.max_unavailable})"
    revisions = (
        f"current {s.current_revision or '-'} = update"
        if s.current_revision == s.update_revision
        else f"current {s.current_revision or '-'}, update {s.update_revision or '-'}"
    )
    observed = ""
    if s.generation is not None and s.observed_generation != s.generation:
        observed = f" (generation {s.generation} not yet observed: {s.observed_generation})"
    last = s.ordinals_start + s.desired - 1
    span = f"{s.ordinals_start}..{last}" if s.desired > 0 else "none"
    return [
        f"  replicas         {s.ready}/{s.desired} ready, {s.available} available, "
        f"{s.current} current, {s.updated} updated, {s.replicas} created{observed}",
        f"  service          {said}",
        f"  policy           {s.pod_management_policy}",
        f"  update strategy  {update}",
        f"  revisions        {revisions}",
        f"  minReadySeconds  {s.min_ready_seconds}",
        f"  PVC retention    whenDeleted {s.retention_when_deleted}, "
        f"whenScaled {s.retention_when_scaled}",
        f"  ordinals         start {s.ordinals_start} ({span})",
    ]


_HEADER = ("ORD", "POD", "PHASE", "READY", "REVISION", "IP", "NODE", "RESTARTS", "LAST-EXIT",
           "AGE", "DNS")  # fmt: skip


def _cells(row: OrdinalRow) -> tuple[str, ...]:
    if row.pod is None:
        return (str(row.ordinal), "-", "missing", "-", "-", "-", "-", "-", "-", "-", row.dns or "-")
    phase = row.phase if row.in_range else f"{row.phase} (out of range)"
    return (
        str(row.ordinal),
        row.pod,
        phase,
        "yes" if row.ready else "no",
        row.revision or "-",
        row.ip or "-",
        row.node or "-",
        str(row.restarts),
        row.last_termination or "-",
        human_age(row.age_seconds),
        row.dns or "-",
    )


def _claim_line(claim: ClaimRow) -> str:
    modes = ",".join(_MODES.get(m, m) for m in claim.access_modes) or "-"
    return (
        f"    claim {claim.name}: {claim.status}, {claim.capacity or '-'}, "
        f"class {claim.storage_class or '-'}, {modes}, volume {claim.volume or '-'}"
    )


def _table(rows: list[OrdinalRow], missing: list[MissingOrdinals]) -> list[str]:
    if not rows and not missing:
        return ["no ordinals (0 replicas, no pods)"]
    # Rows and missing ranges in ordinal order: one line per range, however many replicas.
    shown: list[tuple[int, tuple[str, ...], list[ClaimRow]]] = [
        (row.ordinal, _cells(row), row.claims) for row in rows
    ]
    shown.extend((m.first, _missing_cells(m), []) for m in missing)
    shown.sort(key=lambda item: item[0])
    # Escaped before measuring: a cell's width is what the terminal shows.
    cells = [_HEADER, *(tuple(map(safe_text.field, values)) for _, values, _ in shown)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(_HEADER) - 1)]

    def line(values: tuple[str, ...]) -> str:
        padded = [v.ljust(w) for v, w in zip(values[:-1], widths, strict=True)]
        return "  ".join([*padded, values[-1]]).rstrip()

    lines = [line(_HEADER)]
    for (_, _, claims), values in zip(shown, cells[1:], strict=True):
        lines.append(line(values))
        lines.extend(_claim_line(c) for c in claims)
    return lines


def _missing_cells(missing: MissingOrdinals) -> tuple[str, ...]:
    """A missing ordinal's row, or one row for a range of them (`3..99`, `missing ×97`)."""
    if missing.first == missing.last:
        return (str(missing.first), "-", "missing", *("-",) * 8)
    count = missing.last - missing.first + 1
    return (f"{missing.first}..{missing.last}", "-", f"missing ×{count}", *("-",) * 8)
