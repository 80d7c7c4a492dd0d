"""Build a `Timeline` from a recording, its lifecycles and (when available) its verification.

This is the adapter from the proofs' model (`stswatch.reports.history.lifecycles`,
`stswatch.reports.proofs.verdict`) to the view
model the renderers draw; it decides nothing about correctness itself.
"""

from collections.abc import Iterable
from typing import Any

from stswatch.errors import NotFoundError
from stswatch.reports.frozen import builder
from stswatch.reports.history import objects as o
from stswatch.reports.history.lifecycles import (
    Lifecycles,
    PodIncarnation,
    PvcIncarnation,
    StatefulSetIncarnation,
)
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.recording import Change, Mark, Recording
from stswatch.reports.timeline.changes import ChangeDiffs, Diffed, change_views
from stswatch.reports.timeline.lanes import Clock, LaneBuilder, new_lane
from stswatch.reports.timeline.model import (
    Band,
    EventMarker,
    Lane,
    MarkLine,
    Series,
    Step,
    Timeline,
)
from stswatch.reports.timeline.verdicts import episode_bands, latencies, set_episodes, verdict_views


def _clock(start_wall_ns: int) -> Clock:
    """Seconds from `start_wall_ns`: a plain function, called for half a million changes at
    10,000 pods (an object's `__call__` costs half as much again)."""

    def clock(wall_ns: int) -> float:
        # Tenths of a millisecond are plenty; integer division is much faster than round().
        # A window's state, recorded before it opens, is drawn at its start (a comparison, not a
        # call of max).
        since = wall_ns - start_wall_ns
        return (since if since > 0 else 0) // 100_000 / 10_000

    return clock


def build_timeline(
    recording: Recording,
    *,
    lifecycles: Lifecycles,
    result: VerifyResult | None,
    statefulset: str | None = None,
    gathered: ChangeDiffs | None = None,
) -> Timeline:
    """The timeline of one StatefulSet of the session (the only one, or the one named); its
    changes' diffs are those `gathered` while the lifecycles were built, when given."""
    window = recording.window
    start_wall_ns = recording.created_wall_ns if window is None else window.since_ns
    clock = _clock(start_wall_ns)
    duration = _duration(recording, clock)
    chosen, notes = _choose_statefulset(recording, lifecycles, statefulset)
    namespace, set_name = chosen if chosen else (None, None)
    build = LaneBuilder(clock, duration, _moments_by_name(recording, clock))
    lanes = _pod_lanes(lifecycles, chosen, build) + _pvc_lanes(lifecycles, chosen, build)
    sets = lifecycles.statefulsets_named(*chosen) if chosen else ()
    diffs, event_objects = _diffed(recording, gathered)
    events = _event_markers(event_objects, clock)
    lanes = [_with_events(lane, events.get((lane.kind, lane.name), ())) for lane in lanes]
    lane_of = {cid: lane.key for lane in lanes for _, cid in lane.moments}
    episodes = set_episodes(result, set_name)
    return Timeline(
        session=recording.name,
        statefulset=set_name,
        namespace=namespace,
        policy=sets[-1].specs[-1].pod_management_policy if sets else None,
        retention_policy=sets[-1].specs[-1].retention_policy if sets else None,
        server_version=recording.server_version,
        start_wall_ns=start_wall_ns,
        duration=duration,
        lanes=tuple(lanes),
        series=_series(sets, clock),
        statefulset_events=events.get(("statefulset", set_name or ""), ()),
        episodes=episode_bands(episodes, clock),
        # The recorder's gaps, and the silent ones the lifecycles found (rows missing that no
        # gap record tells): both are stretches whose changes may be missing.
        gaps=tuple(
            Band(f"gap: {g.reason}", clock(g.from_wall_ns), clock(g.to_wall_ns), g.reason, g.kind)
            for g in (*recording.gaps, *lifecycles.silent_gaps)
        ),
        marks=tuple(_mark_line(m, clock) for m in recording.marks),
        verdicts=None if result is None else verdict_views(episodes, clock),
        latencies=latencies(episodes),
        changes=change_views(
            diffs, start_wall_ns=start_wall_ns, lanes=lane_of, table=recording.changes
        ),
        notes=tuple(notes),
        ordering=lifecycles.ordering.reason,
    )


def _diffed(
    recording: Recording, gathered: ChangeDiffs | None
) -> tuple[list[Diffed], list[tuple[Change, dict[str, Any]]]]:
    """Every change diffed and the Events' objects (but DELETED ones), in the recording's order:
    as `gathered`, else from one decoding of the session now."""
    found = None if gathered is None else gathered.of(recording.changes)
    if found is not None:
        return found
    now = ChangeDiffs()
    for change, obj in recording.decoded():
        now(change, obj)
    return now.diffed(), now.events()


def _mark_line(mark: Mark, clock: Clock) -> MarkLine:
    detail = mark.detail if isinstance(mark.detail, dict) else {}
    step = detail.get("step")
    phase = detail.get("phase")
    # A scenario marks its own begin and end without a step number; say which one it is.
    whole_scenario = step is None and phase in ("begin", "end")
    return MarkLine(
        t=clock(mark.received_wall_ns),
        label=f"{mark.label} ({phase})" if whole_scenario else mark.label,
        number="" if step is None else str(step),
        note=str(detail.get("note") or ""),
    )


def _duration(recording: Recording, clock: Clock) -> float:
    if recording.window is not None:
        return max(1.0, clock(recording.window.until_ns))
    ends = [c.received_wall_ns for c in recording.changes[-1:]]
    ends += [r.ended_wall_ns for r in recording.runs if r.ended_wall_ns]
    ends += [m.received_wall_ns for m in recording.marks]
    ends += [g.to_wall_ns for g in recording.gaps]
    return max([1.0, *(clock(ns) for ns in ends)])


def _choose_statefulset(
    recording: Recording, lifecycles: Lifecycles, wanted: str | None
) -> tuple[tuple[str, str] | None, list[str]]:
    known = sorted(
        {(s.namespace, s.name) for s in lifecycles.statefulsets} | set(lifecycles.pods_by_set)
    )
    wanted = wanted or recording.scope.get("statefulset")
    if wanted:
        found = [k for k in known if wanted in (k[1], f"{k[0]}/{k[1]}")]
        if not found:
            names = ", ".join(f"{ns}/{name}" for ns, name in known) or "none"
            raise NotFoundError(
                f"session {recording.name!r} has no StatefulSet {wanted!r} (it has: {names})"
            )
        return found[0], []
    if not known:
        return None, ["No StatefulSet was recorded in this session: showing every pod."]
    notes = []
    if len(known) > 1:
        names = ", ".join(f"{ns}/{name}" for ns, name in known)
        notes.append(
            f"This session recorded {len(known)} StatefulSets ({names}); this report shows "
            f"{known[0][0]}/{known[0][1]} (choose another with --statefulset)."
        )
    return known[0], notes


def _moments_by_name(
    recording: Recording, clock: Clock
) -> dict[tuple[str, str], tuple[tuple[float, int], ...]]:
    found: dict[tuple[str, str], list[tuple[float, int]]] = {}
    lane_kinds = {"Pod": "pod", "PersistentVolumeClaim": "pvc"}
    table = recording.changes  # read column by column: no Change built for each of them
    for kind, name, wall_ns, change_id in zip(
        table.kinds, table.names, table.walls, table.ids, strict=True
    ):
        lane = lane_kinds.get(kind)
        if lane:
            found.setdefault((lane, name), []).append((clock(wall_ns), change_id))
    return {key: tuple(sorted(value)) for key, value in found.items()}


def _pod_lanes(
    lifecycles: Lifecycles, chosen: tuple[str, str] | None, build: LaneBuilder
) -> list[Lane]:
    """A lane per ordinal of the chosen set (per pod name when no set was recorded)."""
    if chosen is not None:
        slots = sorted(lifecycles.set_pods(*chosen).items())
        return [build.pods(f"{chosen[1]}-{ordinal}", ordinal, pods) for ordinal, pods in slots]
    by_name: dict[str, list[PodIncarnation]] = {}
    for pod in lifecycles.pods:
        by_name.setdefault(pod.name, []).append(pod)
    return [build.pods(name, None, pods) for name, pods in sorted(by_name.items())]


def _pvc_lanes(
    lifecycles: Lifecycles, chosen: tuple[str, str] | None, build: LaneBuilder
) -> list[Lane]:
    """The claims the drawn pods mount, and any claim named after the set's templates."""
    if chosen is None:
        claimed = {claim for pod in lifecycles.pods for claim in pod.claims}
    else:
        slots = lifecycles.set_pods(*chosen).values()
        claimed = {claim for pods in slots for pod in pods for claim in pod.claims}
        templates = {t for s in lifecycles.statefulsets_named(*chosen) for t in s.claim_templates}
        claimed |= {
            p.name
            for p in lifecycles.pvcs
            if p.namespace == chosen[0] and _template_claim(p.name, chosen[1], templates)
        }
    by_name: dict[str, list[PvcIncarnation]] = {}
    for pvc in lifecycles.pvcs:
        if pvc.name in claimed:
            by_name.setdefault(pvc.name, []).append(pvc)
    ordered = sorted(by_name.items(), key=lambda item: _claim_sort_key(item[0]))
    return [build.claims(name, pvcs) for name, pvcs in ordered]


def _template_claim(claim: str, set_name: str, templates: set[str]) -> bool:
    parsed = o.parse_ordinal(claim)
    return parsed is not None and any(parsed[0] == f"{t}-{set_name}" for t in templates)


def _claim_sort_key(name: str) -> tuple[str, int]:
    parsed = o.parse_ordinal(name)
    return (parsed[0], parsed[1]) if parsed else (name, -1)


def _event_markers(
    events: Iterable[tuple[Change, dict[str, Any]]], clock: Clock
) -> dict[tuple[str, str], tuple[EventMarker, ...]]:
    """Event occurrences (each ADDED or count bump: `events` holds the Events' changes other than
    DELETED, with their objects), keyed by the (lane kind, name) they are on."""
    kinds = {"Pod": "pod", "PersistentVolumeClaim": "pvc", "StatefulSet": "statefulset"}
    found: dict[tuple[str, str], list[EventMarker]] = {}
    for change, obj in events:  # 56,000 at 10,000 pods: the marker is built inline
        about = obj.get("involvedObject") or obj.get("regarding") or {}
        object_kind = str(about.get("kind"))
        kind = kinds.get(object_kind)
        if kind is None:
            continue
        object_name = str(about.get("name"))
        table, at = change.row()  # its moment and id from the columns: one call, not two
        marker = _event_marker(
            clock(table.walls[at]),
            table.ids[at],
            str(obj.get("reason") or ""),
            str(obj.get("message") or obj.get("note") or ""),
            str(obj.get("type") or "Normal"),
            object_kind,
            object_name,
        )
        found.setdefault((kind, object_name), []).append(marker)
    return {key: tuple(value) for key, value in found.items()}


_event_marker = builder(EventMarker)  # every field, in order (hot: 56,000 at 10,000 pods)


def _with_events(lane: Lane, events: tuple[EventMarker, ...]) -> Lane:
    if not events:
        return lane
    moments = tuple(sorted(lane.moments + tuple((e.t, e.change_id) for e in events)))
    return new_lane(
        lane.key, lane.kind, lane.name, lane.ordinal, lane.segments, moments, events,
        lane.incarnations,
    )  # fmt: skip


def _series(sets: tuple[StatefulSetIncarnation, ...], clock: Clock) -> tuple[Series, ...]:
    desired: list[Step] = []
    replicas: list[Step] = []
    ready: list[Step] = []
    for sts in sets:
        desired += [_step(clock(s.received_wall_ns), s.replicas, s.change_id) for s in sts.specs]
        for status in sts.statuses:
            t = clock(status.received_wall_ns)
            replicas.append(_step(t, status.replicas or 0, status.change_id))
            ready.append(_step(t, status.ready_replicas or 0, status.change_id))
        gone = next((s for s in sts.transitions if s.what == "deleted"), None)
        if gone is not None:
            for steps in (desired, replicas, ready):
                steps.append(_step(clock(gone.received_wall_ns), 0, gone.change_id))
    return tuple(
        Series(name, _dedupe(steps))
        for name, steps in (
            ("spec.replicas", desired),
            ("status.replicas", replicas),
            ("status.readyReplicas", ready),
        )
    )


_step = builder(Step)  # every field, in order (hot: a step per status at 10,000 pods)


def _dedupe(steps: list[Step]) -> tuple[Step, ...]:
    kept: list[Step] = []
    for step in steps:
        if not kept or kept[-1].value != step.value:
            kept.append(step)
    return tuple(kept)
