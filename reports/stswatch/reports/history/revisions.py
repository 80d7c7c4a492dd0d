"""A ControllerRevision incarnation (one uid): which StatefulSet owns it, its revision number,
when it was created and deleted.

`truncateHistory` (pkg/controller/statefulset/stateful_set_control.go) deletes the oldest
revisions that no pod, `status.currentRevision` nor `status.updateRevision` names, down to
`spec.revisionHistoryLimit`, at the end of every sync; a template reverted to an earlier one
reuses that revision's object and bumps its `revision` (history.NewControllerRevision,
`createControllerRevision`).
"""

from dataclasses import dataclass

from stswatch.reports.history import objects as o
from stswatch.reports.history.ordering import Ordering
from stswatch.reports.history.transition import Transition, meta, step
from stswatch.reports.recording import Change


@dataclass(frozen=True)
class RevisionIncarnation:
    """One ControllerRevision uid from first sight to deletion."""

    namespace: str
    name: str
    uid: str
    owner_uid: str | None  # the StatefulSet its controller ownerReference names
    revision: int  # its `revision` as last seen (bumped when a rollback reuses it)
    created: Transition
    deleted: Transition | None
    # Every StatefulSet uid whose controller ownerReference it carried, in order: one set that
    # created it, then any that adopted it after an orphaning delete (ClaimControllerRevisions).
    owners: tuple[str, ...] = ()
    # (rank, `revision`) at each change of its number, oldest first (a rollback bumps it).
    numbers: tuple[tuple[int, int], ...] = ()
    # The change at which a revision first seen with no controller ownerReference (a client's:
    # the controller creates its revisions owned) carried one: a set's ClaimControllerRevisions
    # adopted it, its selector matching the revision's labels. None when it never was.
    adopted: Transition | None = None

    def alive_at(self, rank: int) -> bool:
        """True when the revision existed at `rank`."""
        gone = self.deleted
        return self.created.rank <= rank and (gone is None or gone.rank > rank)

    def revision_at(self, rank: int) -> int:
        """Its `revision` as of `rank` (the first one seen before it was created)."""
        found = self.numbers[0][1] if self.numbers else self.revision
        for at, number in self.numbers:
            if at > rank:
                break
            found = number
        return found


def build_revision(history: list[Change], ordering: Ordering) -> RevisionIncarnation:
    """One ControllerRevision uid's incarnation from its changes, in order."""
    first, last = history[0], history[-1]
    obj = last.object
    owner = o.owner_statefulset(obj) or o.owner_statefulset(first.object)
    number = o.integer(obj.get("revision"))
    deleted = step(last, ordering, "deleted") if last.event == "DELETED" else None
    owners: list[str] = []
    numbers: list[tuple[int, int]] = []
    adopted: Transition | None = None
    orphan = o.owner_statefulset(first.object) is None
    for change in history:
        each = change.object
        controller = o.owner_statefulset(each)
        if controller is not None and controller[1] not in owners:
            owners.append(controller[1])
            if orphan and adopted is None:
                adopted = step(change, ordering, "adopted")
        value = o.integer(each.get("revision"))
        if value is not None and (not numbers or numbers[-1][1] != value):
            numbers.append((ordering.rank[change.id], value))
    return RevisionIncarnation(
        namespace=first.namespace or "",
        name=first.name,
        uid=first.uid,
        owner_uid=owner[1] if owner else None,
        revision=number if number is not None else 0,
        created=step(
            first, ordering, "created", first.observed, meta(first.object, "creationTimestamp")
        ),
        deleted=deleted,
        owners=tuple(owners),
        numbers=tuple(numbers),
        adopted=adopted,
    )
