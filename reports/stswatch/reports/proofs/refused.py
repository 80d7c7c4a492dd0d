"""Holds made by refused API calls: the controller's next step was to create, delete or update one
pod, and the API server refused that call on every sync (a ResourceQuota, an admission webhook
or policy, an immutable field), so the walk stood still at that pod.

The replay decides what the controller may do next from the objects alone; it cannot see a call
refused. The controller says so in a Warning Event on the StatefulSet for each refused call
(FailedCreate, FailedDelete, FailedUpdate: `StatefulPodControl` records them, and
processReplica / processCondemned return the error, so the sync goes no further). A pod named by
such Events for `NOTABLE_S` or more is a hold of its own: from the first refused call until the
call went through (the pod created, its deletion begun, or its next recorded change for an
update), or the episode's end.
"""

from dataclasses import dataclass

from stswatch.reports.history.attribution import POD_CALLED
from stswatch.reports.history.lifecycles import PodIncarnation, Transition
from stswatch.reports.history.objects import parse_ordinal
from stswatch.reports.proofs.context import NOTABLE_S, ProofContext
from stswatch.reports.proofs.holds import first_line
from stswatch.reports.proofs.verdict import Hold

# The call each Warning reason names, and the hold's cause word for it.
_CALLS = {
    "FailedCreate": "creation refused",
    "FailedDelete": "deletion refused",
    "FailedUpdate": "update refused",
}
REFUSED = frozenset(_CALLS.values())  # the causes of the holds refused calls made


@dataclass(frozen=True)
class _Refusals:
    """The refused calls of one kind on one pod name: (wall ns, change id, message) each."""

    pod: str
    reason: str
    calls: tuple[tuple[int, int, str], ...]


def refused_holds(ctx: ProofContext, since_ns: int, until_ns: int) -> tuple[Hold, ...]:
    """The holds refused calls made in [since_ns, until_ns] (wall ns), by their start: one per
    pod and kind of call whose refusals spanned `NOTABLE_S` or more before the call went through
    (or the window ended). O(the set's Warning Events in the window)."""
    sts = ctx.episode.statefulset
    found: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for wall_ns, change_id, reason, message in ctx.actors.controller_failures(
        sts.namespace, sts.name, since_ns, until_ns
    ):
        named = POD_CALLED.search(message)
        if reason in _CALLS and named is not None:
            found.setdefault((named.group(1), reason), []).append((wall_ns, change_id, message))
    holds = []
    for (pod, reason), calls in found.items():
        hold = _hold(ctx, _Refusals(pod, reason, tuple(calls)), until_ns)
        if hold is not None:
            holds.append(hold)
    return tuple(sorted(holds, key=lambda h: h.from_wall_ns))


def _hold(ctx: ProofContext, refused: _Refusals, until_ns: int) -> Hold | None:
    first_ns, first_id, _ = refused.calls[0]
    went = _went_through(ctx, refused, first_ns)
    end_ns = went[1].received_wall_ns if went is not None else None
    if end_ns is not None and end_ns > until_ns:
        end_ns, went = None, None
    seconds = ((end_ns if end_ns is not None else until_ns) - first_ns) / 1e9
    if seconds < NOTABLE_S:
        return None
    message = refused.calls[0][2]  # the refusal's cause (later ones may only follow from it)
    last_id = refused.calls[-1][1]
    times = f"{len(refused.calls)} time{'s' * (len(refused.calls) > 1)}"
    said = f'{refused.reason} recorded {times} ("{first_line(message)}")'
    evidence = [ctx.cite(first_id, f"{refused.pod}: {refused.reason}")]
    if last_id != first_id:
        evidence.append(ctx.cite(last_id, f"{refused.pod}: {refused.reason} again"))
    released_by = ""
    if went is not None:
        pod, step = went
        done = _DONE.get(refused.reason) or _UPDATED.get(step.what, "changed")
        released_by = f"{pod.name} {done}"
        evidence.append(ctx.cite_step(pod, step, released_by))
        after = (step.received_wall_ns - refused.calls[-1][0]) / 1e9
        if after >= NOTABLE_S:
            released_by += f", {after:.1f} s after the last refusal recorded"
    return Hold(
        pod=refused.pod,
        cause=_CALLS[refused.reason],
        detail=_CALLS[refused.reason],
        from_wall_ns=first_ns,
        to_wall_ns=end_ns,
        seconds=seconds,
        released_by=released_by,
        evidence=tuple(evidence),
        begun_by=said,
    )


_DONE = {"FailedCreate": "created", "FailedDelete": "deletion began"}
# What went through after a refused update: the pod's next recorded change.
_UPDATED = {"terminating": "deletion began", "deleted": "gone", "created": "created again"}


def _went_through(
    ctx: ProofContext, refused: _Refusals, since_ns: int
) -> tuple[PodIncarnation, Transition] | None:
    """The pod's change that shows the refused call went through after `since_ns`: the pod of
    that name created (FailedCreate), its deletion begun (FailedDelete), its next recorded change
    after the last refusal (FailedUpdate: an update the API server took, or a client's delete)."""
    last_ns = refused.calls[-1][0]
    parsed = parse_ordinal(refused.pod)
    for pod in ctx.slots.get(parsed[1], ()) if parsed is not None else ():
        if pod.name != refused.pod:
            continue
        if refused.reason == "FailedCreate":
            if pod.created.received_wall_ns > since_ns:
                return pod, pod.created
        elif refused.reason == "FailedDelete":
            began = pod.deletion_began
            if began is not None and began.received_wall_ns > since_ns:
                return pod, began
        else:
            later = next((t for t in pod.transitions if t.received_wall_ns > last_ns), None)
            if later is not None:
                return pod, later
    return None
