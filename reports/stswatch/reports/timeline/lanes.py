"""Lanes from lifecycles: each pod ordinal and each claim as segments of states over time.

A lane holds every incarnation of one name, so a deleted and recreated `redis-0` shows as two
runs of segments in the same row, the second starting where the controller recreated it.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from stswatch.reports.frozen import builder
from stswatch.reports.history.lifecycles import PodIncarnation, PvcIncarnation, Transition
from stswatch.reports.timeline.model import Lane, Segment, State

Clock = Callable[[int], float]  # received_wall_ns -> seconds from the session's start


_States = Callable[[Sequence[Transition]], list[tuple[Transition, State, str]]]
Moments = Mapping[tuple[str, str], tuple[tuple[float, int], ...]]  # (lane kind, name) -> moments


@dataclass(frozen=True)
class LaneBuilder:
    """Turns incarnations into lanes, on one clock, up to the recording's end."""

    clock: Clock
    end: float
    moments: Moments  # every recorded change of each lane's objects: (t, change id)

    def pods(self, name: str, ordinal: int | None, pods: Sequence[PodIncarnation]) -> Lane:
        """One ordinal's lane: the segments of all its incarnations, oldest first."""
        histories = [(pod.uid, pod.transitions) for pod in pods]
        return self._lane("pod", name, ordinal, histories, _pod_states)

    def claims(self, name: str, claims: Sequence[PvcIncarnation]) -> Lane:
        """One claim's lane: Pending, then Bound to its PV, until deleted."""
        histories = [(pvc.uid, pvc.transitions) for pvc in claims]
        return self._lane("pvc", name, None, histories, _pvc_states)

    def _lane(
        self,
        kind: str,
        name: str,
        ordinal: int | None,
        histories: Sequence[tuple[str, tuple[Transition, ...]]],
        states: _States,
    ) -> Lane:
        segments: list[Segment] = []
        for uid, steps in histories:
            segments += _segments(steps, uid, states, clock=self.clock, end=self.end)
        moments = self.moments.get((kind, name), ())
        return new_lane(
            f"{kind}/{name}", kind, name, ordinal, tuple(segments), moments, (), len(histories)
        )


def _pod_states(steps: Sequence[Transition]) -> list[tuple[Transition, State, str]]:
    """Each step with the pod's state after it and what that state says more (its node, or
    how it finished): what the transitions so far say, in one pass (a call per step to keep
    the pod's flags cost as much as the rest of the lane)."""
    scheduled, phase, ready, terminating = "", "", False, False
    found = []
    for step in steps:
        what = step.what
        if what == "scheduled":
            scheduled = step.detail
        elif what in _PHASES:
            phase = what
        elif what == "ready" or what == "unready":
            ready = what == "ready"
        elif what == "terminating":
            terminating = True
        if terminating:
            found.append((step, State.TERMINATING, ""))
        elif phase == "succeeded" or phase == "failed":
            found.append((step, State.FINISHED, phase.capitalize()))
        elif phase == "running":
            found.append((step, State.READY if ready else State.RUNNING, scheduled))
        elif scheduled:
            found.append((step, State.SCHEDULED, scheduled))
        else:
            found.append((step, State.PENDING, ""))
    return found


_PHASES = frozenset(("pending", "running", "succeeded", "failed", "unknown"))


def _pvc_states(steps: Sequence[Transition]) -> list[tuple[Transition, State, str]]:
    state, note = State.CLAIM_PENDING, ""
    found = []
    for step in steps:
        if step.what == "bound":
            state, note = State.BOUND, step.detail
        elif step.what == "lost":
            state, note = State.CLAIM_LOST, step.detail
        elif step.what == "terminating":
            state = State.TERMINATING
        found.append((step, state, note))
    return found


def _segments(
    steps: Sequence[Transition],
    uid: str,
    states: _States,
    *,
    clock: Clock,
    end: float,
) -> list[Segment]:
    """Collapse transitions into segments: one per run of the same (state, note)."""
    gone = next((s for s in steps if s.what == "deleted"), None)
    live = [s for s in steps if s.what != "deleted"] if gone is not None else steps
    # Several transitions often share one change (a pod listed already Running and Ready):
    # only the state after the last of them is drawn, from the first of them.
    by_change: dict[int, tuple[Transition, State, str]] = {}
    for found in states(live):
        change_id = found[0].change_id
        held = by_change.get(change_id)
        by_change[change_id] = found if held is None else (held[0], found[1], found[2])
    # Each run of one (state, note) from its first change; each run ends where the next begins
    # (the last where the object was deleted, else it is open until the recording's end).
    runs: list[tuple[State, str, float, int]] = []
    last_state, last_note = None, None
    for step, state, note in by_change.values():
        if state == last_state and note == last_note:
            continue
        last_state, last_note = state, note
        runs.append((state, note, clock(step.received_wall_ns), step.change_id))
    ends = [run[2] for run in runs[1:]]
    if runs and gone is not None:
        ends.append(clock(gone.received_wall_ns))
    segments = [
        _segment(state, start, stop if stop > start else start, change_id, uid, note, False)
        for (state, note, start, change_id), stop in zip(runs, ends, strict=False)
    ]
    if len(ends) < len(runs):
        state, note, start, change_id = runs[-1]
        segments.append(_segment(state, start, end, change_id, uid, note, True))
    return segments


_segment = builder(Segment)  # every field, in order (hot: 100,000 segments at 10,000 pods)
new_lane = builder(Lane)  # every field, in order (20,000 lanes at 10,000 pods, twice)
