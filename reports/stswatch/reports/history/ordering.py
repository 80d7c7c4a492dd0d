"""The order in which a recording's changes happened, and the basis that order rests on.

Kubernetes resourceVersions are etcd revisions: one counter across every kind, so when every
version in the session is numeric and every run talked to the same API server (one etcd), they
order changes exactly. Otherwise (several servers, opaque versions) only the recorder's receive
order is left. Every verdict states which basis it used; the API's second-precision timestamps are
never the only basis.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import lt
from typing import Literal

from stswatch.reports.recording import Change, ChangeTable, Gap, Recording

Basis = Literal["resourceVersion", "receive"]


class RankById(Mapping[int, int]):
    """Each change's rank by its id: a list at each id's offset from the first, not a dict of
    millions of entries (a session's ids are mostly consecutive; a sparse set of ids, such as a
    window's, is held as a dict). Iterated in rank order."""

    _ABSENT = -1

    def __init__(self, ids: Sequence[int], ranks: Sequence[int]) -> None:
        self._ids = ids  # the recording's own: ids_by_rank hands out these ints, not copies
        self._count = len(ids)
        self._first = min(ids) if ids else 0
        span = max(ids) - self._first + 1 if ids else 0
        self._by_offset: list[int] = []
        self._sparse: dict[int, int] = {}
        if span <= 2 * len(ids):
            by_offset = ranks if span == len(ids) and _ascending(ids) else None
            if by_offset is None:
                by_offset = [self._ABSENT] * span
                for change_id, rank in zip(ids, ranks, strict=True):
                    by_offset[change_id - self._first] = rank
            self._by_offset = by_offset if isinstance(by_offset, list) else list(by_offset)
        else:
            self._sparse = dict(zip(ids, ranks, strict=True))

    def __getitem__(self, change_id: int) -> int:
        at = change_id - self._first
        if at >= 0:
            try:
                rank = self._by_offset[at]
            except IndexError:
                rank = self._ABSENT
            if rank != self._ABSENT:
                return rank
        return self._sparse[change_id]  # KeyError when it is not there either

    def positions_by_rank(self, ids: Sequence[int]) -> list[int]:
        """The positions in `ids` (each ranked here), in rank order."""
        ranks: Sequence[int]
        if ids is self._ids and len(self._by_offset) == len(ids) and self._count == len(ids):
            ranks = self._by_offset  # built from these ids, consecutive: rank by position
        else:
            ranks = [self[change_id] for change_id in ids]
        order = [0] * len(ranks)
        for at, rank in enumerate(ranks):
            order[rank] = at
        return order

    def ids_by_rank(self) -> list[int]:
        """Every change id, in rank order."""
        ids = [0] * self._count
        by_offset, first = self._by_offset, self._first
        if len(by_offset) == self._count == len(self._ids):  # every id of the span: no lookup
            for change_id in self._ids:
                ids[by_offset[change_id - first]] = change_id
            return ids
        for change_id in self._ids:
            ids[self[change_id]] = change_id
        return ids

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids_by_rank())

    def __len__(self) -> int:
        return self._count


def _ascending(ids: Sequence[int]) -> bool:
    return all(map(lt, ids, islice(ids, 1, None)))


@dataclass(frozen=True)
class Ordering:
    """A total order over a recording's changes: `rank[change_id]`, and why it holds."""

    basis: Basis
    reason: str
    rank: Mapping[int, int]
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

    def positions(self, table: ChangeTable) -> list[int]:
        """The positions of a table's changes (every one ranked here), in this ordering."""
        if isinstance(self.rank, RankById) and len(self.rank) == len(table):
            return self.rank.positions_by_rank(table.ids)
        ids = table.ids
        return sorted(range(len(ids)), key=lambda at: self.rank[ids[at]])

    def ids_by_rank(self) -> list[int]:
        """Every change id, in this ordering."""
        if isinstance(self.rank, RankById):
            return self.rank.ids_by_rank()
        return sorted(self.rank, key=self.rank.__getitem__)


def decide_ordering(recording: Recording) -> Ordering:
    """Choose the basis for this recording and rank every change by it."""
    table = recording.changes
    servers = sorted({run.server_url for run in recording.runs})
    numeric = all(version.isdigit() for version in table.versions)
    if len(servers) > 1:
        return _by_receive(recording, f"runs talked to {len(servers)} API servers")
    if not numeric:
        return _by_receive(recording, "some resourceVersions are not numeric")
    # By (version, id): no tie is left, since ids are unique. The table is in id order as every
    # reader loads it, so a stable sort of its positions by version alone is that order.
    ids = table.ids
    versions, ranks = _ranked(ids, [int(version) for version in table.versions])
    where = servers[0] if servers else "one API server"
    reason = f"numeric resourceVersions from one API server ({where})"
    floor = {}
    for change, gap in _relisted(recording):
        if gap.from_resource_version and gap.from_resource_version.isdigit():
            floor[change.id] = bisect_right(versions, int(gap.from_resource_version))
    return Ordering("resourceVersion", reason, RankById(ids, ranks), floor)


def _ranked(ids: Sequence[int], numbers: list[int]) -> tuple[list[int], list[int]]:
    """The versions in rank order, and each position's rank, ranked by (version, id)."""
    if _ascending(ids):
        order = sorted(range(len(ids)), key=numbers.__getitem__)
    else:
        order = sorted(range(len(ids)), key=lambda at: (numbers[at], ids[at]))
    ranks = [0] * len(order)
    for rank, at in enumerate(order):
        ranks[at] = rank
    return [numbers[at] for at in order], ranks


def _by_receive(recording: Recording, why: str) -> Ordering:
    ids = recording.changes.ids
    received = recording.changes.walls
    floor = {c.id: bisect_left(received, g.from_wall_ns) for c, g in _relisted(recording)}
    return Ordering("receive", f"receive order: {why}", RankById(ids, range(len(ids))), floor)


def _relisted(recording: Recording) -> Iterator[tuple[Change, Gap]]:
    """Each change seen by a relist, with the gap of its kind that relist closed.

    That is the latest gap of the same run and kind that began before the change was received.
    """
    by_kind: dict[tuple[int, str], list[Gap]] = {}
    for each in recording.gaps:
        by_kind.setdefault((each.run_id, each.kind), []).append(each)
    table = recording.changes
    for at, observed in enumerate(table.observed):
        if observed != "relist":
            continue
        change = table[at]
        begun = [
            g
            for g in by_kind.get((change.run_id, change.kind), ())
            if g.from_wall_ns <= change.received_wall_ns
        ]
        gap = max(begun, key=lambda g: g.from_wall_ns, default=None)
        if gap is not None:
            yield change, gap
