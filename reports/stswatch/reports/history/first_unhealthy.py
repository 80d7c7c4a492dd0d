"""The controller's ascending walk replayed over a recording in one sweep.

For each queried moment it answers: which is the lowest in-range ordinal that was missing,
terminating, or not Running and Ready (`isHealthy`, `stswatch.reports.history.pod_rules`) just
before it? `processReplica` stops at that ordinal
(`processReplica`), so no pod above it may be created then. One pass over the StatefulSet's pod
transitions in rank order, with a lazily cleaned heap, keeps this linear-logarithmic for
thousand-pod sessions instead of checking every lower ordinal for every creation.
"""

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.pod_rules import PHASES, RUNNING, is_healthy


@dataclass(slots=True)
class _Slot:
    """A pod as the sweep sees it: a `PodView` without a Ready time (no minReadySeconds here)."""

    phase: str | None = None
    ready: bool = False
    terminating: bool = False
    ready_since: None = None

    @property
    def healthy(self) -> bool:
        return is_healthy(self)


@dataclass
class _Walk:
    start: int
    slots: dict[int, _Slot] = field(default_factory=dict)
    ever: set[int] = field(default_factory=set)
    unhealthy: list[int] = field(default_factory=list)
    never_created: int = 0

    def apply(self, ordinal: int, what: str) -> None:
        if what == "created":
            self.slots[ordinal] = _Slot()
            self.ever.add(ordinal)
        elif what == "deleted":
            self.slots.pop(ordinal, None)
        elif ordinal in self.slots:
            slot = self.slots[ordinal]
            if what in PHASES:
                slot.phase = what
            elif what in ("ready", "unready"):
                slot.ready = what == "ready"
            elif what == "terminating":
                slot.terminating = True
        slot_now = self.slots.get(ordinal)
        # `_Slot.healthy` inline (hot: every step of every pod of the set)
        if ordinal >= self.start and (
            slot_now is None
            or slot_now.phase != RUNNING
            or not slot_now.ready
            or slot_now.terminating
        ):
            heapq.heappush(self.unhealthy, ordinal)

    def lowest(self) -> int:
        heap = self.unhealthy
        slots = self.slots
        while heap and (slot := slots.get(heap[0])) is not None and slot.healthy:
            heapq.heappop(heap)
        while self.never_created in self.ever:
            self.never_created += 1
        return min(heap[0], self.never_created) if heap else self.never_created


def lowest_unhealthy(
    slots: Mapping[int, Sequence[PodIncarnation]],
    *,
    start: int,
    ranks: Iterable[int],
    set_uid: str | None = None,
) -> dict[int, int]:
    """For each rank: the lowest ordinal ≥ start that was not healthy just before it. A pod
    the set `set_uid` released (`PodIncarnation.releases`) is missing to it from then on."""
    steps = sorted(
        [(t.rank, ordinal, t.what) for ordinal, pods in slots.items() for pod in pods
         for t in pod.transitions]
        + [(t.rank, ordinal, "deleted") for ordinal, pods in slots.items() for pod in pods
           if set_uid is not None and pod.control_steps for t in pod.releases(set_uid)]
        + [(rank, ordinal, what) for ordinal, pods in slots.items() for pod in pods
           if set_uid is not None and pod.control_steps
           for rank, what in _adopted_again(pod, set_uid)]
    )  # fmt: skip
    walk = _Walk(start=start, never_created=start)
    answers: dict[int, int] = {}
    i = 0
    for rank in sorted(set(ranks)):
        while i < len(steps) and steps[i][0] < rank:
            walk.apply(steps[i][1], steps[i][2])
            i += 1
        answers[rank] = walk.lowest()
    return answers


def _adopted_again(pod: PodIncarnation, set_uid: str) -> list[tuple[int, str]]:
    """The steps that put a pod the set released back as it then stood, at each change where
    ClaimPods adopted it again: "created" (sorted first at its rank), its phase, its readiness
    and whether it was terminating."""
    if not pod.releases(set_uid):
        return []
    found: list[tuple[int, str]] = []
    for change in pod.control_steps:
        if change.detail != set_uid:
            continue
        rank = change.rank
        found.append((rank, "created"))
        for kinds in (PHASES, ("ready", "unready")):
            step = pod.last_before(rank + 1, kinds)
            if step is not None:
                found.append((rank, step.what))
        if pod.terminating is not None and pod.terminating.rank <= rank:
            found.append((rank, "terminating"))
    return found
