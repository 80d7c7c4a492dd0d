"""The order in which a recording's changes happened, and the basis that order rests on.

Kubernetes resourceVersions are etcd revisions: one counter across every kind, so when every
version in the session is numeric and every run talked to the same API server (one etcd), they
order changes exactly. Otherwise (several servers, opaque versions) only the recorder's receive
order is left. Every verdict states which basis it used; the API's second-precision timestamps are
never the only basis.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from stswatch.reports.recording import Change, Gap, Recording

Basis = Literal["resourceVersion", "receive"]


@dataclass(frozen=True)
class Ordering:
    """A total order over a recording's changes: `rank[change_id]`, and why it holds."""

    basis: Basis
    reason: str
    rank: dict[int, int]
    # A change seen by the relist that closed a gap happened at an unknown moment inside it:
    # `floor[change_id]` is the earliest rank it may really have (just after the gap began).
    floor: dict[int, int] = field(default_factory=dict)

    def earliest(self, change_id: int) -> int:
        """The earliest rank at which the change may really have happened."""
        return self.floor.get(change_id, self.rank[change_id])

    def key(self, change: Change) -> int:
        """Sort key of a change under this ordering."""
        return self.rank[change.id]

    def before(self, first: Change, second: Change) -> bool:
        """True when `first` happened strictly before `second`."""
        return self.rank[first.id] < self.rank[second.id]

    def sort(self, changes: Iterable[Change]) -> list[Change]:
        """The changes in this ordering."""
        return sorted(changes, key=self.key)


def decide_ordering(recording: Recording) -> Ordering:
    """Choose the basis for this recording and rank every change by it."""
    servers = sorted({run.server_url for run in recording.runs})
    numeric = all(c.resource_version.isdigit() for c in recording.changes)
    if len(servers) > 1:
        return _by_receive(recording, f"runs talked to {len(servers)} API servers")
    if not numeric:
        return _by_receive(recording, "some resourceVersions are not numeric")
    # (version, id) pairs sort without a key function: ids are unique, so no tie is left.
    ranked = sorted([(int(c.resource_version), c.id) for c in recording.changes])
    where = servers[0] if servers else "one API server"
    reason = f"numeric resourceVersions from one API server ({where})"
    versions = [version for version, _ in ranked]
    floor = {}
    for change, gap in _relisted(recording):
        if gap.from_resource_version and gap.from_resource_version.isdigit():
            floor[change.id] = bisect_right(versions, int(gap.from_resource_version))
    rank = {change_id: i for i, (_, change_id) in enumerate(ranked)}
    return Ordering("resourceVersion", reason, rank, floor)


def _by_receive(recording: Recording, why: str) -> Ordering:
    rank = {c.id: i for i, c in enumerate(recording.changes)}
    received = [c.received_wall_ns for c in recording.changes]
    floor = {c.id: bisect_left(received, g.from_wall_ns) for c, g in _relisted(recording)}
    return Ordering("receive", f"receive order: {why}", rank, floor)


def _relisted(recording: Recording) -> Iterator[tuple[Change, Gap]]:
    """Each change seen by a relist, with the gap of its kind that relist closed.

    That is the latest gap of the same run and kind that began before the change was received.
    """
    by_kind: dict[tuple[int, str], list[Gap]] = {}
    for each in recording.gaps:
        by_kind.setdefault((each.run_id, each.kind), []).append(each)
    for change in recording.changes:
        if change.observed != "relist":
            continue
        begun = [
            g
            for g in by_kind.get((change.run_id, change.kind), ())
            if g.from_wall_ns <= change.received_wall_ns
        ]
        gap = max(begun, key=lambda g: g.from_wall_ns, default=None)
        if gap is not None:
            yield change, gap
