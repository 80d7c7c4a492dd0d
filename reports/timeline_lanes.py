"""Lanes from lifecycles: each pod ordinal and each claim as segments of states over time.

A lane holds every incarnation of one name, so a deleted and recreated `redis-0` shows as two
runs of segments in the same row, the second starting where the controller recreated it.
"""

from collections.abc import Callable, Sequence

from reports.lifecycle import PodIncarnation, PvcIncarnation, Transition
from reports.timeline import Lane, Segment, State

Clock = Callable[[int], float]  # received_wall_ns -> seconds from the session's start


def pod_lane(
    name: str,
    ordinal: int | None,
    incarnations: Sequence[PodIncarnation],
    *,
    clock: Clock,
    end: float,
    moments: tuple[tuple[float, int], ...],
) -> Lane:
    """One ordinal's lane: the segments of all its incarnations, oldest first."""
    segments: list[Segment] = []
    for pod in incarnations:
        segments.extend(_segments(pod.transitions, pod.uid, _pod_states, clock=clock, end=end))
    return Lane(
        key=f"pod/{name}",
        kind="pod",
        name=name,
        ordinal=ordinal,
        segments=tuple(segments),
        moments=moments,
        incarnations=len(incarnations),
    )


def pvc_lane(
    name: str,
    incarnations: Sequence[PvcIncarnation],
    *,
    clock: Clock,
    end: float,
    moments: tuple[tuple[float, int], ...],
) -> Lane:
    """One claim's lane: Pending, then Bound to its PV, until deleted."""
    segments: list[Segment] = []
    for pvc in incarnations:
        segments.extend(_segments(pvc.transitions, pvc.uid, _pvc_states, clock=clock, end=end))
    return Lane(
        key=f"pvc/{name}",
        kind="pvc",
        name=name,
        ordinal=None,
        segments=tuple(segments),
        moments=moments,
        incarnations=len(incarnations),
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
    states: Callable[[Sequence[Transition]], list[tuple[Transition, State, str]]],
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
    segments: list[Segment] = []
    for step, state, note in by_change.values():
        t = clock(step.received_wall_ns)
        if segments and (segments[-1].state, segments[-1].note) == (state, note):
            continue
        if segments:
            segments[-1] = _ended(segments[-1], t)
        segments.append(Segment(state, t, end, step.change_id, uid, note, open_end=True))
    if segments and gone is not None:
        segments[-1] = _ended(segments[-1], clock(gone.received_wall_ns))
    return segments


def _ended(segment: Segment, t: float) -> Segment:
    return Segment(
        segment.state,
        segment.start,
        max(t, segment.start),
        segment.change_id,
        segment.uid,
        segment.note,
        open_end=False,
    )
