"""The order in which a recording's changes happened, and the basis that order rests on.

Kubernetes resourceVersions are etcd revisions: one counter across every kind, so when every
version in the session is numeric and every run talked to the same API server (one etcd), they
order changes exactly. Otherwise (several servers, opaque versions) only the recorder's receive
order is left. Every verdict states which basis it used; the API's second-precision timestamps are
never the only basis.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reports.recording import Change, Recording

Basis = Literal["resourceVersion", "receive"]


@dataclass(frozen=True)
class Ordering:
    """A total order over a recording's changes: `rank[change_id]`, and why it holds."""

    basis: Basis
    reason: str
    rank: dict[int, int]

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
    ranked = sorted(recording.changes, key=lambda c: (int(c.resource_version), c.id))
    where = servers[0] if servers else "one API server"
    reason = f"numeric resourceVersions from one API server ({where})"
    return Ordering("resourceVersion", reason, {c.id: i for i, c in enumerate(ranked)})


def _by_receive(recording: Recording, why: str) -> Ordering:
    rank = {c.id: i for i, c in enumerate(recording.changes)}
    return Ordering("receive", f"receive order: {why}", rank)
