"""One lifecycle step and the recorded change that evidences it, shared by every lifecycle."""

from dataclasses import dataclass
from sys import intern
from typing import Any

from stswatch.reports.frozen import builder
from stswatch.reports.history import objects as o
from stswatch.reports.history.ordering import Ordering
from stswatch.reports.recording import Change


@dataclass(frozen=True, slots=True)
class Transition:
    """One lifecycle step and the recorded change that evidences it."""

    what: str
    change_id: int
    resource_version: str
    received_wall_ns: int
    rank: int
    detail: str = ""
    api_time: str | None = None  # the API's own (second-precision) timestamp for it, if any


def first_of(transitions: tuple[Transition, ...], what: str) -> Transition | None:
    """The first transition of kind `what`, if any."""
    for transition in transitions:  # a plain loop: hot, and a generator costs twice as much
        if transition.what == what:
            return transition
    return None


def deletion_began(transitions: tuple[Transition, ...]) -> Transition | None:
    """The change at which an object's deletion began: its first deletionTimestamp, else its
    DELETED change (a deletion seen only once done); None while it was never deleted."""
    for transition in transitions:
        if transition.what == "terminating" or transition.what == "deleted":
            return transition
    return None


def alive_at(transitions: tuple[Transition, ...], rank: int) -> bool:
    """True when the object existed at `rank`: first seen at or before it, not yet deleted."""
    gone = first_of(transitions, "deleted")
    return transitions[0].rank <= rank and (gone is None or gone.rank > rank)


_transition = builder(Transition)  # hot: every step of every object


def step(
    change: Change, ordering: Ordering, what: str, detail: str = "", api: Any = None
) -> Transition:
    """The transition `what` evidenced by `change`, ranked by `ordering`."""
    # Interned: kinds (a phase lowered is a new string), node names, reasons and second-precision
    # timestamps recur across many pods.
    api_time = intern(str(api)) if api else None
    change_id = change.id
    return _transition(
        intern(what),
        change_id,
        change.resource_version,
        change.received_wall_ns,
        ordering.rank[change_id],
        intern(detail),
        api_time,
    )


def meta(obj: o.Obj, key: str) -> Any:
    """A metadata field of a recorded object, or None."""
    return o.dig(obj, "metadata", key)


class PlainSteps:
    """created, terminating (deletionTimestamp first seen) and deleted of one object, fed its
    changes in order with their decoded objects (a reader of other fields decodes each once)."""

    def __init__(self, ordering: Ordering) -> None:
        self.ordering = ordering
        self.steps: list[Transition] = []
        self.terminating = False

    def see(self, change: Change, obj: o.Obj) -> None:
        """Take the object's next change."""
        if not self.steps:
            created = meta(obj, "creationTimestamp")
            self.steps.append(step(change, self.ordering, "created", change.observed, created))
        stamp = o.deletion_timestamp(obj)
        if stamp and not self.terminating:
            self.terminating = True
            self.steps.append(step(change, self.ordering, "terminating", "", stamp))
        if change.event == "DELETED":
            self.steps.append(step(change, self.ordering, "deleted"))


def plain_steps(history: list[Change], ordering: Ordering) -> list[Transition]:
    """created, terminating (deletionTimestamp first seen) and deleted, for any kind."""
    steps = PlainSteps(ordering)
    for change in history:
        steps.see(change, change.object)
    return steps.steps
