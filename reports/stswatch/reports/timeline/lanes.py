"""Lanes from lifecycles: each pod ordinal and each claim as segments of states over time.

A lane holds every incarnation of one name, so a deleted and recreated `redis-0` shows as two
runs of segments in the same row, the second starting where the controller recreated it.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

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
        return Lane(
            key=f"{kind}/{name}",
            kind=kind,
            name=name,
            ordinal=ordinal,
            segments=tuple(
                segment
                for uid, steps in histories
                for segment in _segments(steps, uid, states, clock=self.clock, end=self.end)
            ),
            moments=self.moments.get((kind, name), ()),
            incarnations=len(histories),
        )


class _PodFlags:
    """What the transitions so far say about one pod."""

    def __init__(self) -> None:
        self.scheduled = ""
        self.phase = ""
        self.ready = False
        self.terminating = False

    def apply(self, step: Transition) -> None:
        if step.what == "scheduled":
            self.scheduled = step.detail
        elif step.what in ("pending", "running", "succeeded", "failed", "unknown"):
            self.phase = step.what
        elif step.what in ("ready", "unready"):
            self.ready = step.what == "ready"
        elif step.what == "terminating":
            self.terminating = True

    def state(self) -> tuple[State, str]:
        if self.terminating:
            return State.TERMINATING, ""
        if self.phase in ("succeeded", "failed"):
            return State.FINISHED, self.phase.capitalize()
        if self.phase == "running":
            return (State.READY if self.ready else State.RUNNING), self.scheduled
        if self.scheduled:
            return State.SCHEDULED, self.scheduled
        return State.PENDING, ""


def _pod_states(steps: Sequence[Transition]) -> list[tuple[Transition, State, str]]:
    flags = _PodFlags()
    found = []
    for step in steps:
        flags.apply(step)
        found.append((step, *flags.state()))
    return found


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
    live = [s for s in steps if s.what != "deleted"]
    # Several transitions often share one change (a pod listed already Running and Ready):
    # only the state after the last of them is drawn.
    by_change: dict[int, tuple[Transition, State, str]] = {}
    for step, state, note in states(live):
        first = by_change.get(step.change_id, (step, state, note))[0]
        by_change[step.change_id] = (first, state, note)
    # Each run of one (state, note) from its first change; each run ends where the next begins
    # (the last where the object was deleted, else it is open until the recording's end).
    runs: list[tuple[State, str, float, int]] = []
    for step, state, note in by_change.values():
        if runs and runs[-1][0] == state and runs[-1][1] == note:
            continue
        runs.append((state, note, clock(step.received_wall_ns), step.change_id))
    ends = [run[2] for run in runs[1:]]
    if runs and gone is not None:
        ends.append(clock(gone.received_wall_ns))
    segments = [
        Segment(state, start, max(stop, start), change_id, uid, note, open_end=False)
        for (state, note, start, change_id), stop in zip(runs, ends, strict=False)
    ]
    if len(ends) < len(runs):
        state, note, start, change_id = runs[-1]
        segments.append(Segment(state, start, end, change_id, uid, note, open_end=True))
    return segments
