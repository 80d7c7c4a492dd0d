"""Finalizers on a terminating pod: which kept it, who removed each, and how that is told.

The StatefulSet controller sets no finalizer on a pod; the garbage collector sets and removes
only its own (`orphan`, `foregroundDeletion`); any other is removed by the client or controller
that owns it. A pod whose deletion began stays Terminating until its finalizers are gone
(Kubernetes docs, "Finalizers").
"""

import re
from dataclasses import dataclass

from stswatch.reports import causes
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs.context import NOTABLE_S, ProofContext
from stswatch.reports.proofs.verdict import Evidence

# The finalizers the garbage collector itself sets and removes (`orphanDependents`,
# `foregroundDeletion` in pkg/controller/garbagecollector); any other is removed by the client or
# controller that owns it, never by the StatefulSet controller, which sets none on a pod.
_GC_FINALIZERS = frozenset({"orphan", "foregroundDeletion"})
# How long before a pod's DELETED event a scenario step that removes its finalizer may be marked
# (the step's mark is written before its API call).
_MARK_BEFORE_NS = 10 * 10**9
# A scenario step that says it removes a finalizer ("a client removes the finalizer from web-1");
# a step that only names one ("web-1 Terminating (finalizer)", a sleep) does not.
_REMOVES = re.compile(r"\bremov\w*\b.*\bfinalizers?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Removal:
    """One finalizer taken off a pod: which, by whom, at which change."""

    finalizer: str
    who: str
    change_id: int

    @property
    def told(self) -> str:
        return f"the finalizer {self.finalizer} removed by {self.who}"


def finalizers_removed(
    ctx: ProofContext, pod: PodIncarnation, start: int, end: int
) -> tuple[Removal, ...]:
    """Each finalizer taken off `pod` by its changes ranked in (start, end], in order."""
    ids = ctx.ids_by_rank
    removals = []
    held: tuple[str, ...] | None = None
    for rank in range(max(start, 0), min(end, len(ids) - 1) + 1):
        change = ctx.changes[ids[rank]]
        if change.uid != pod.uid:
            continue
        now = _finalizers_of(change.object)
        if held is not None:
            for name in held:
                if name not in now:
                    who = (
                        causes.BY_GARBAGE_COLLECTOR if name in _GC_FINALIZERS else causes.BY_CLIENT
                    )
                    removals.append(Removal(name, who, change.id))
        held = now
    return tuple(removals)


def kept_note(ctx: ProofContext, pod: PodIncarnation, evidence: list[Evidence]) -> str:
    """'; web-3 stood Terminating 10.6 s, kept by the finalizers a, b, until they were removed by
    a client': the burst deletes every condemned pod at once and waits for none, but a finalizer
    keeps its pod (and the scale-down) from finishing until it is removed."""
    start = pod.deletion_began
    if start is None or start.what != "terminating":
        return ""
    kept = finalizers_kept(ctx, start)
    end = pod.deleted.rank if pod.deleted is not None else ctx.episode.end_rank
    end_ns = pod.deleted.received_wall_ns if pod.deleted is not None else ctx.recording_end_ns
    seconds = (end_ns - start.received_wall_ns) / 1e9
    if not kept or seconds < NOTABLE_S:
        return ""
    removals = finalizers_removed(ctx, pod, start.rank, end)
    evidence += [ctx.cite(r.change_id, f"{pod.name}: {r.told}") for r in removals]
    plural = "s" * (len(kept) > 1)
    note = f"; {pod.name} stood Terminating {seconds:.1f} s, kept by the finalizer{plural} "
    note += ", ".join(kept)
    if pod.deleted is None:
        return note + " (still there when the recording ended)"
    gone = {r.finalizer for r in removals}
    whos = {r.who for r in removals}
    if gone == set(kept) and len(whos) == 1:
        return note + f" until {whos.pop()} removed {'them' if plural else 'it'}"
    last = removed_unrecorded(ctx, pod, pod.deleted, kept)
    if last is not None and not gone:
        evidence.append(ctx.cite(pod.deleted.change_id, f"{pod.name} DELETED: {last.listed}"))
        return note + f" until {last.who} removed {'them' if plural else 'it'} ({last.detail})"
    told = f" until {removed_clause(gone, removals)}" if gone else ""
    return note + told + (f", {last.told}" if last is not None and gone else "")


@dataclass(frozen=True)
class LastRemoval:
    """The finalizers a pod's DELETED event still lists: taken off by the update that deleted it,
    which the recording does not hold (the API server removes a pod in the update that takes
    off its last finalizer; the watch's DELETED carries the object as it was stored before)."""

    finalizers: tuple[str, ...]
    who: str  # a client (a scenario step says so), the garbage collector, or an unrecorded update
    detail: str
    change_id: int

    @property
    def listed(self) -> str:
        plural = "s" * (len(self.finalizers) > 1)
        return f"still lists the finalizer{plural} {', '.join(self.finalizers)}"

    @property
    def told(self) -> str:
        plural = "s" * (len(self.finalizers) > 1)
        names = ", ".join(self.finalizers)
        return f"the finalizer{plural} {names} removed by {self.who} ({self.detail})"


def removed_unrecorded(
    ctx: ProofContext, pod: PodIncarnation, deleted: Transition | None, kept: tuple[str, ...]
) -> LastRemoval | None:
    """Who took off the finalizers of `kept` that the pod's DELETED event (`deleted`) still
    lists: the client of a scenario step that says it removes a finalizer of the pod, marked
    shortly before, the garbage collector for its own, else an unrecorded update; never guessed
    further. None when none is still listed, or when the DELETED was made up by a relist (the
    pod went during a gap: its last object is the one before the gap)."""
    if not kept or deleted is None or deleted.what != "deleted":
        return None
    change = ctx.changes[deleted.change_id]
    if change.observed == "relist":
        return None
    still = tuple(f for f in _finalizers_of(change.object) if f in kept)
    if not still:
        return None
    detail = (
        f"its DELETED event #{change.id} still lists "
        f"{'them' if len(still) > 1 else 'it'}: the update that took off the last finalizer "
        "deleted the pod and is not recorded"
    )
    if all(f in _GC_FINALIZERS for f in still):
        return LastRemoval(still, causes.BY_GARBAGE_COLLECTOR, detail, change.id)
    wall = change.received_wall_ns
    named = ctx.actors.marks_naming(pod.name, wall - _MARK_BEFORE_NS, wall)
    label = next((text for text in named if _REMOVES.search(text) is not None), None)
    if label is None:
        return LastRemoval(still, "an unrecorded update", detail, change.id)
    return LastRemoval(
        still, causes.BY_CLIENT, f"{detail}; scenario step {label.strip()!r}", change.id
    )


def removed_clause(gone: "set[str] | tuple[str, ...]", removals: tuple[Removal, ...]) -> str:
    """'the finalizers a, b removed by a client' (who from `removals`; unnamed when unseen)."""
    names = sorted(gone)
    by = {r.finalizer: r.who for r in removals}
    whos = {by.get(n, "") for n in names}
    plural = "s" * (len(names) > 1)
    if len(whos) == 1:
        who = whos.pop()
        return f"the finalizer{plural} {', '.join(names)} removed" + (f" by {who}" if who else "")
    parts = [n + (f" by {by[n]}" if n in by else "") for n in names]
    return f"the finalizers {', '.join(parts)} removed"


def finalizers_kept(ctx: ProofContext, step: Transition) -> tuple[str, ...]:
    """The finalizers on the pod at `step` (what keeps a terminating pod): metadata.finalizers
    of the object the step's change recorded."""
    return _finalizers_of(ctx.changes[step.change_id].object)


def _finalizers_of(obj: object) -> tuple[str, ...]:
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    found = metadata.get("finalizers") if isinstance(metadata, dict) else None
    if not isinstance(found, list):
        return ()
    return tuple(f for f in found if isinstance(f, str))


def waited_for_predecessors(ctx: ProofContext, evidence: list[Evidence]) -> str:
    """'; web-2 could be created only once the old web-2 was gone, 6.7 s after the scale-up;
    web-2 stood Terminating 14.9 s, kept by the finalizer …': a pod the episode created whose
    predecessor at its ordinal was already Terminating when the episode began. Under either
    policy the controller creates a pod only once its name is free (the old object gone from the
    API server), so the wait is the predecessor's, told with what kept it."""
    start = ctx.episode.start_rank
    start_ns = ctx.changes[ctx.episode.trigger_change_id].received_wall_ns
    told = ""
    for pod in ctx.scale_creations():
        old = ctx.previous(pod)
        began = old.deletion_began if old is not None else None
        if old is None or old.deleted is None or began is None or began.rank >= start:
            continue  # none, or one the episode itself deleted (an update's, a client's)
        if old.deleted.rank < start:
            continue
        waited = (old.deleted.received_wall_ns - start_ns) / 1e9
        if waited < NOTABLE_S:
            continue
        evidence.append(ctx.cite_step(old, old.deleted, f"the old {old.name} gone"))
        told += (
            f"; {pod.name} could be created only once the old {old.name} was gone, "
            f"{waited:.1f} s after the episode began"
        )
        told += kept_note(ctx, old, evidence)
    return told
