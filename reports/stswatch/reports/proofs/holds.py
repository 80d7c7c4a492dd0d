"""The holds of an episode: where the controller replay waited on one pod, for how long, why,
and what released it, told as one clause each.

A hold is told when it lasted at least `NOTABLE_S` seconds beyond minReadySeconds; shorter
waits are a pod starting as usual, not a halt. Stretches of the replay cut only by another pod's
coming and going, or by a client deleting the held pod (processReplica creates it again and the
walk waits on it as before), are joined back into one hold.
"""

from bisect import bisect_left, bisect_right
from dataclasses import replace
from datetime import UTC, datetime

from stswatch.reports import causes
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.objects import parse_ordinal, parse_time
from stswatch.reports.history.replay import Decision, Stretch
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs.context import NOTABLE_S, ProofContext
from stswatch.reports.proofs.finalizers import (
    Removal,
    finalizers_kept,
    finalizers_removed,
    removed_clause,
    removed_unrecorded,
)
from stswatch.reports.proofs.pod_status import (
    NodeNotReady,
    node_not_ready,
    not_pulled,
    readiness_failed,
    restarts,
)
from stswatch.reports.proofs.verdict import Evidence, Hold

_PART_NS = 1_000_000_000  # a cause told within a hold when it lasted this long (wall ns)
# A terminating pod still there this long after its grace period, on a node not known to be not
# Ready, is told as such: a kubelet's own stopping and final delete take a few seconds.
_OVERRUN_S = 5.0
_STATES = (
    "created",
    "pending",
    "running",
    "failed",
    "succeeded",
    "ready",
    "unready",
    "terminating",
)


def start_ns(ctx: ProofContext) -> int:
    """When the episode began (wall ns): its trigger change's receive time."""
    return ctx.changes[ctx.episode.trigger_change_id].received_wall_ns


def episode_holds(ctx: ProofContext, window_end_ns: int) -> tuple[Hold, ...]:
    """The episode's notable holds in order: the replay's stretches overlapping its window,
    joined where a client's deletion only cut them (`_joined`), each clipped to the window. A
    recreation episode tells the new pod's own wait; the episode it cut tells the whole hold."""
    episode = ctx.episode
    stretches = ctx.replay.overlapping(episode.start_rank, episode.end_rank + 1)
    joined = _joined(ctx, stretches, across=episode.recreation is None)
    if episode.recreation is not None:
        old = episode.recreation.old
        joined = [(_until_gone(ctx, s, old), meanwhile, before) for s, meanwhile, before in joined]
    return tuple(
        h
        for s, meanwhile, before in joined
        if (h := _hold(ctx, s, window_end_ns, meanwhile, before)) is not None
    )


def _until_gone(ctx: ProofContext, held: Stretch, old: PodIncarnation) -> Stretch:
    """A wait on a recreation's old pod while it was Terminating lasts until that pod is gone,
    whatever else changed meanwhile: no pod of its name can be created before (the walk may stop
    waiting on it earlier, when a spec change takes it out of the update, as raising the
    partition does, but its recreation still waits)."""
    end = held.end
    if held.pod.uid != old.uid or held.cause != causes.TERMINATING or end is None:
        return held
    gone = old.deleted
    if gone is None or end.rank >= gone.rank or ctx.changes[end.change_id].uid == old.uid:
        return held
    return replace(held, end=gone, spent_causes=(), spent_ns=())


def _joined(
    ctx: ProofContext, stretches: tuple[Stretch, ...], *, across: bool = True
) -> list[tuple[Stretch, tuple[PodIncarnation, ...], tuple[Stretch, ...]]]:
    """Stretches with one cause at one pod, cut in two only by another pod's coming and going
    (a client deleted a lower pod, the controller recreated it and waited for it to start),
    joined back into one hold; with each, the pods recreated in such interludes.

    A hold ended by a client deleting the held pod goes on at the pod the controller creates in
    its place (processReplica creates the missing ordinal and the walk waits on it as before):
    the new incarnation's wait is joined to it, and the earlier incarnations' stretches are
    returned with it (the joined stretch names the last incarnation)."""
    joined: list[tuple[Stretch, tuple[PodIncarnation, ...], tuple[Stretch, ...]]] = []
    i = 0
    while i < len(stretches):
        whole: Stretch = stretches[i]
        meanwhile: tuple[PodIncarnation, ...] = ()
        before: tuple[Stretch, ...] = ()
        j = i + 1
        while j < len(stretches):
            cut = whole.end
            cutter = ctx.changes[cut.change_id].uid if cut is not None else whole.pod.uid
            again = across and cut is not None and cutter == whole.pod.uid
            if again and _again(ctx, whole, stretches[j]):
                first = before[0] if before else whole
                before += (replace(whole, start=first.start) if before else whole,)
                later = stretches[j]
                whole = Stretch(later.pod, first.cause, first.detail, first.start, later.end, ())
                j += 1
                continue
            if cut is None or cutter == whole.pod.uid:
                break  # released by the held pod itself
            # Skip the interlude: the pod whose change cut the hold, and pods created after it.
            k = j
            while k < len(stretches) and stretches[k].pod.uid != whole.pod.uid:
                pod = stretches[k].pod
                if pod.uid != cutter and pod.created.rank < cut.rank:
                    break
                k += 1
            if k == len(stretches) or stretches[k].pod.uid != whole.pod.uid:
                # The walk stopped at the lower pod a client deleted (processReplica creates it
                # again and waits on it first), while the held pod stayed as it was: the hold
                # goes on until the held pod itself changed; the lower pod's wait is its own.
                went_on = _went_on(ctx, whole, cut)
                if went_on is not None:
                    meanwhile += _recreated_between(ctx, cut.rank, went_on.rank + 1, cutter)
                    whole = replace(whole, end=went_on, spent_causes=(), spent_ns=())
                break
            later = stretches[k]
            if later.cause != whole.cause:
                break
            meanwhile += _recreated_between(ctx, cut.rank, later.start.rank + 1)
            whole = Stretch(whole.pod, whole.cause, whole.detail, whole.start, later.end)
            j = k + 1
        joined.append((whole, meanwhile, before))
        i = j
    return joined


def _again(ctx: ProofContext, held: Stretch, later: Stretch) -> bool:
    """`held` ended when a client deleted its pod and `later` is the wait at the pod created in
    its place (the same name, created at or after that deletion)."""
    end = held.end
    if end is None or end.what not in ("terminating", "deleted") or held.cause == causes.NAME_TAKEN:
        return False  # a pod holding the set's name is not the set's: no wait goes on at it
    pod = later.pod
    if pod.name != held.pod.name or pod.uid == held.pod.uid or pod.created.rank < end.rank:
        return False
    began = held.pod.terminating or end
    if began.rank <= held.start.rank:
        return False  # a hold on a pod already being deleted: its removal released it
    actor = ctx.deleted_by(held.pod)
    return actor is not None and actor.who == causes.BY_CLIENT


# The pod states a hold's cause is read from: the cited change shows the cause when it is one.
_SHOWS = {
    causes.NOT_READY: ("running", "unready"),
    causes.NOT_AVAILABLE: ("ready",),
    causes.TERMINATING: ("terminating",),
    causes.NOT_RUNNING: ("created", "pending", "failed", "succeeded"),
    causes.STARTING: ("created", "pending"),
}
_WORDS = {"created": "created", "pending": "Pending", "running": "Running", "ready": "Ready"}


def _held_note(pod: PodIncarnation, state: Transition, stretch: Stretch) -> str:
    """The note on the change a hold began at: the hold's longest cause when that change shows
    it, else what the change does show (a pod just created, held later as not Ready)."""
    if state.what in _SHOWS.get(stretch.cause, (state.what,)):
        return f"held at {pod.name}: {stretch.detail}"
    shown = _WORDS.get(state.what, state.what.replace("unready", "not Ready"))
    return f"hold at {pod.name} began: {pod.name} {shown}"


def _recreated_between(
    ctx: ProofContext, start: int, end: int, deleted: str | None = None
) -> tuple[PodIncarnation, ...]:
    """The set's pods created in ranks [start, end) (only those named as the pod of uid
    `deleted`, when given)."""
    ranks = ctx.index.created_ranks
    first, last = bisect_left(ranks, start), bisect_left(ranks, end)
    found = tuple(ctx.index.created[first:last])
    if deleted is None:
        return found
    gone = ctx.own_pod(deleted)
    return tuple(p for p in found if gone is not None and p.name == gone.name)


# What ends a hold on a pod not Running or not Ready: the pod's own next change of these kinds.
_ENDS = {
    causes.NOT_READY: ("ready", "terminating", "deleted", "failed", "succeeded"),
    causes.NOT_RUNNING: ("running", "ready", "terminating", "deleted", "failed", "succeeded"),
}


def _went_on(ctx: ProofContext, held: Stretch, cut: Transition) -> Transition | None:
    """When `held` was cut by a client's deletion of a lower pod of the set (`cut`), the held
    pod's own change that really ended its wait (web-2 Ready), if it came later; None when the
    cut is anything else."""
    ends = _ENDS.get(held.cause)
    change = ctx.changes[cut.change_id]
    if ends is None or change.kind != "Pod" or cut.what not in ("terminating", "deleted"):
        return None
    lower = ctx.own_pod(change.uid)
    pod = held.pod
    if lower is None or lower.ordinal is None or pod.ordinal is None:
        return None
    if lower.ordinal >= pod.ordinal:
        return None
    actor = ctx.deleted_by(lower)
    if actor is None or actor.who != causes.BY_CLIENT:
        return None
    return next((t for t in pod.transitions if t.rank > cut.rank and t.what in ends), None)


def _meanwhile(ctx: ProofContext, pods: tuple[PodIncarnation, ...]) -> str:
    """'web-0 deleted by a client and recreated at revision web-abc'; 'web-3 created at revision
    web-abc' for a pod that had no predecessor (a new ordinal)."""
    parts = []
    for pod in pods:
        previous = ctx.previous(pod)
        at = f" at revision {pod.revision}" if pod.revision else ""
        if previous is None:
            parts.append(f"{pod.name} created{at}")
            continue
        actor = ctx.deleted_by(previous)
        by = f" by {actor.who}" if actor is not None and actor.who != "unknown" else ""
        parts.append(f"{pod.name} deleted{by} and recreated{at}")
    return "; ".join(parts)


def _hold(
    ctx: ProofContext,
    stretch: Stretch,
    window_end_ns: int,
    meanwhile: tuple[PodIncarnation, ...] = (),
    before: tuple[Stretch, ...] = (),
) -> Hold | None:
    """The stretch as a Hold clipped to the episode window, when it is notable there; `before`:
    the stretches of the held pod's earlier incarnations a client deleted (`_joined`)."""
    start, end = ctx.episode.start_rank, ctx.episode.end_rank
    if stretch.start.rank >= end or (stretch.end is not None and stretch.end.rank <= start):
        return None
    from_ns = max(stretch.start.received_wall_ns, start_ns(ctx))
    # A synthetic "available" step shares the rank of the change seen after it: its time decides.
    released = stretch.end
    if released is not None and released.rank >= end:
        late = released.what != "available" or released.received_wall_ns > window_end_ns
        released = None if late else released
    to_ns = released.received_wall_ns if released is not None else window_end_ns
    acted = _acted(ctx, released) if released is not None else None
    if acted is not None and acted.rank < end:
        to_ns = acted.received_wall_ns  # the controller's requeue after minReadySeconds
    seconds = max(0.0, (to_ns - from_ns) / 1e9)
    if seconds < NOTABLE_S + ctx.episode.spec.min_ready_seconds:
        return None  # a pod starting (and staying Ready minReadySeconds) as usual
    landed = _landed_past(ctx, stretch, released.rank if released is not None else end)
    counted_from = ""
    if landed is not None:
        act, step = landed
        into = (step.received_wall_ns - from_ns) / 1e9
        from_ns = max(from_ns, step.received_wall_ns)
        seconds = max(0.0, (to_ns - from_ns) / 1e9)
        did = "creation" if step is act.created else "deletion by the controller"
        counted_from = (
            f"counted from {act.name}'s {did} (#{step.change_id}), which landed {into:.1f} s "
            f"after {stretch.pod.name} was found {stretch.cause}: a step the hold stops under "
            "OrderedReady (processReplica), so decided before it, its call landing late (an "
            "admission webhook, the client's throttling)"
        )
        if seconds < NOTABLE_S + ctx.episode.spec.min_ready_seconds:
            return None
    last = stretch.pod  # the incarnation that released it
    if before:
        stretch = replace(stretch, pod=before[0].pod)
    pod = stretch.pod
    state = pod.last_before(stretch.start.rank + 1, _STATES) or pod.created
    # A pod whose deletion began inside the hold: Terminating from then on. When the window
    # opened on it so, that is what held it here; else the hold tells its causes in turn.
    began = pod.terminating
    turned = began is not None and state.what != "terminating" and began.rank > stretch.start.rank
    whole = from_ns == stretch.start.received_wall_ns and released is stretch.end
    told = before[0] if before else stretch
    min_ready = ctx.min_ready_at((told.end or told.start).rank)
    phases = _phases(told, min_ready) if whole or before else ""
    evidence = [ctx.cite(state.change_id, _held_note(pod, state, stretch))]
    evidence += _node_cited(ctx, pod, state, evidence)
    unready = ""
    told_parts = [cause for cause, _ in _parts(told)] if phases else [stretch.cause]
    if causes.NOT_READY in told_parts:  # told: what kept it not Ready, when its recording says
        unready, cited = _unready(ctx, pod, told, released, end)
        evidence += [e for e in cited if e not in evidence]
        phases = _phases(told, min_ready, unready=unready) if phases else ""
    if turned and began is not None and not before and began.rank <= start:
        state = began
        evidence.append(ctx.cite(state.change_id, _held_note(pod, state, stretch)))
    deleting = state if state.what == "terminating" else None
    if turned and phases and _parts(before[0] if before else stretch)[-1][0] == causes.TERMINATING:
        deleting = began
    kept = finalizers_kept(ctx, deleting) if deleting is not None else ()
    removals: tuple[Removal, ...] = ()
    if kept and deleting is not None:
        gone = pod.deleted.rank if pod.deleted is not None else end
        upto = gone if before else (released.rank if released is not None else end)
        removals = finalizers_removed(ctx, pod, deleting.rank, upto)
        evidence += [ctx.cite(r.change_id, f"{pod.name}: {r.told}") for r in removals]
    actor = ctx.deleted_by(pod) if deleting is not None else None
    begun = f"deleted by {actor.who}" if actor is not None and actor.who != "unknown" else ""
    if deleting is None and not phases and stretch.cause == causes.NOT_READY:
        begun = unready  # what kept it not Ready, when its recording says
    if deleting is not None and deleting is began and phases:
        evidence.append(ctx.cite(began.change_id, f"{pod.name} terminating: {begun or 'deleted'}"))
    by = ""
    if released is not None:
        ends = kept if deleting is not None and not before else None
        by = _released_by(ctx, last, released, ends, removals, cause=stretch.cause)
        by += _recorded_late(ctx, released) or _released_in_gap(ctx, released, from_ns)
        if stretch.cause == causes.NAME_TAKEN:
            by += _backoff(ctx, pod, released, evidence)
    if acted is not None and acted.rank < end and released is not None:
        gap = (acted.received_wall_ns - released.received_wall_ns) / 1e9
        change = ctx.changes[acted.change_id]
        did = "created" if acted.what == "created" else "deleted by the StatefulSet controller"
        by = (
            f"{last.name} Available, then {change.name} {did} {gap:.1f} s later (at the "
            "controller's requeue after minReadySeconds: enqueueSSAfter)"
        )
        evidence.append(ctx.cite(acted.change_id, f"{change.name} {did}"))
    evidence += _again_cited(ctx, before, last)
    if landed is not None:
        act, step = landed
        evidence.append(ctx.cite(step.change_id, f"{act.name}: the hold is counted from here"))
    spanned = (*(b.pod for b in before), last) if before else (pod,)
    starting = _cause(stretch) in (causes.STARTING, causes.NOT_RUNNING)
    unscheduled = _unscheduled(ctx, spanned, from_ns, to_ns, evidence) if starting else ""
    if _cause(stretch) == causes.STARTING and not begun:  # why it did not start, when it says
        begun, cited = _not_started(ctx, pod, told, released, end)
        evidence += cited
    bound = _bound(spanned, from_ns, to_ns)
    freed = _freed(ctx, last, bound, unscheduled, from_ns, evidence) if bound is not None else ""
    if bound is not None:
        evidence.append(ctx.cite_step(last, bound, f"{last.name} scheduled"))
    if released is not None:
        evidence.append(ctx.cite(released.change_id, f"released: {by}"))
    if deleting is not None and not kept and seconds >= NOTABLE_S:
        begun += _grace(ctx, pod, deleting, to_ns, evidence, named=unready)
    return Hold(
        pod=pod.name,
        cause=_cause(stretch),
        phases=phases,
        detail=stretch.detail,
        from_wall_ns=from_ns,
        to_wall_ns=to_ns if released is not None else None,
        seconds=seconds,
        released_by=by,
        evidence=tuple(evidence),
        finalizers=kept,
        begun_by=begun,
        meanwhile=_meanwhile(ctx, meanwhile),
        again=_again_told(before, from_ns, last, released, removals),
        counted_from=counted_from,
        unscheduled=unscheduled,
        scheduled_after_s=None if bound is None else (bound.received_wall_ns - from_ns) / 1e9,
        freed=freed,
    )


# The causes at which processReplica stops its ascending walk (isRunningAndReady,
# isRunningAndAvailable, isTerminating; a pod just created is not yet Running).
_STOPS_THE_WALK = (
    causes.NOT_RUNNING,
    causes.NOT_READY,
    causes.NOT_AVAILABLE,
    causes.TERMINATING,
    causes.STARTING,
)


def _landed_past(
    ctx: ProofContext, stretch: Stretch, until: int
) -> tuple[PodIncarnation, Transition] | None:
    """The last step the controller took past the held pod while the hold lasted (ranks
    (start, until)): under OrderedReady processReplica stops at the held pod, so a creation above
    it, or a deletion by the controller of a pod above it, landing meanwhile was decided before
    the hold began and its API call landed late. The hold is counted from it. None under
    Parallel (its walk does not stop at an unhealthy pod), or when no such step landed."""
    held = stretch.pod
    if ctx.episode.spec.pod_management_policy != "OrderedReady" or held.ordinal is None:
        return None
    if stretch.cause not in _STOPS_THE_WALK:
        return None  # a name taken, a claim terminating, a refused call: told as they are
    start, index = stretch.start.rank, ctx.index
    found: tuple[PodIncarnation, Transition] | None = None
    for at in range(bisect_right(index.created_ranks, start), len(index.created)):
        pod = index.created[at]
        if pod.created.rank >= until:
            break
        if pod.ordinal is not None and pod.ordinal > held.ordinal and not pod.created_orphan:
            found = (pod, pod.created)
    ranks, deleted = index.deletions
    for at in range(bisect_right(ranks, start), bisect_left(ranks, until)):
        pod = deleted[at]
        began = pod.deletion_began
        if pod.ordinal is None or pod.ordinal <= held.ordinal or began is None:
            continue
        if found is not None and began.rank <= found[1].rank:
            continue
        actor = ctx.deleted_by(pod)
        if actor is not None and actor.who == causes.BY_CONTROLLER:
            found = (pod, began)
    return found


def _grace(
    ctx: ProofContext,
    pod: PodIncarnation,
    deleting: Transition,
    to_ns: int,
    evidence: list[Evidence],
    *,
    named: str = "",
) -> str:
    """', in its grace period of 30 s': a terminating pod no finalizer keeps stays until its
    kubelet has stopped its containers, at most its deletionGracePeriodSeconds (then SIGKILL).
    Deleted while its node was not Ready, it stays past that until the kubelet there confirms:
    ', its node 127.0.0.3 not Ready (NodeNotReady, …), kept 13.6 s past its grace period of 3 s'
    (the node lifecycle controller's Event cited; the node not named again when `named`, the
    hold's not-Ready words, already did)."""
    obj = ctx.changes[deleting.change_id].object
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    grace = metadata.get("deletionGracePeriodSeconds") if isinstance(metadata, dict) else None
    if not isinstance(grace, int) or isinstance(grace, bool) or grace <= 0:
        return ""
    period = f"its grace period of {grace} s (deletionGracePeriodSeconds)"
    past = (to_ns - deleting.received_wall_ns) / 1e9 - grace
    node = node_not_ready(ctx, pod, deleting.rank) if past >= _PART_NS / 1e9 else None
    gone = pod.deleted
    gone_ns = gone.received_wall_ns if gone is not None else to_ns
    overrun = (gone_ns - deleting.received_wall_ns) / 1e9 - grace
    unseen = any(
        g.from_wall_ns <= gone_ns and g.to_wall_ns >= deleting.received_wall_ns for g in ctx.gaps
    )  # a recorder gap hides when it went: the hold says so
    if node is None and overrun >= _OVERRUN_S and not unseen:  # the kubelet removes it
        return (
            f", kept {overrun:.1f} s past {period}: only the kubelet on its node removes it, "
            "once its containers stopped, and nothing recorded says why it had not"
        )
    if node is None:
        return f", in {period}"
    evidence += _node_event(ctx, pod, node, evidence)
    told = "" if named == node.told else f", {node.told}"  # `named`: told in its not-Ready part
    return f"{told}, kept {past:.1f} s past {period}"


def gone_late(ctx: ProofContext, old: PodIncarnation) -> str:
    """'; the old web-1 stood terminating 16.4 s before it was gone (#258 to #270): deleted by
    the taint eviction controller, its node 127.0.0.3 not Ready (NodeNotReady, …), kept 13.4 s
    past its grace period of 3 s (deletionGracePeriodSeconds) (cited: #253)': a recreation's old
    pod no hold told (under Parallel the walk waits on no pod; only its own ordinal waits for its
    name), kept past its grace period because its node was not Ready; '' for any other."""
    began, gone = old.deletion_began, old.deleted
    if began is None or gone is None or began.what != "terminating":
        return ""
    seconds = (gone.received_wall_ns - began.received_wall_ns) / 1e9
    if seconds < NOTABLE_S or finalizers_kept(ctx, began):
        return ""  # a finalizer's wait is kept_note's
    cited: list[Evidence] = []
    past = _grace(ctx, old, began, gone.received_wall_ns, cited)
    if not cited:
        return ""  # its node not named: nothing the episode does not tell already
    actor = ctx.deleted_by(old)
    by = f"deleted by {actor.who}" if actor is not None and actor.who != "unknown" else "deleted"
    ids = ", ".join(f"#{e.change_id}" for e in cited)
    return (
        f"; the old {old.name} stood terminating {seconds:.1f} s before it was gone "
        f"(#{began.change_id} to #{gone.change_id}): {by}{past} (cited: {ids})"
    )


def _node_cited(
    ctx: ProofContext, pod: PodIncarnation, state: Transition, evidence: list[Evidence]
) -> list[Evidence]:
    """When the hold began at the pod's change to not Ready the node lifecycle controller made
    (its node not Ready): that in the hold's first note, and the controller's Event cited."""
    node = node_not_ready(ctx, pod, state.rank) if state.what == "unready" else None
    if node is None or node.unready.change_id != state.change_id:
        return []
    first = evidence[0]
    evidence[0] = replace(first, note=f"{first.note}, {node.told}")
    return _node_event(ctx, pod, node, evidence)


def _node_event(
    ctx: ProofContext, pod: PodIncarnation, node: NodeNotReady, evidence: list[Evidence]
) -> list[Evidence]:
    """The NodeNotReady Event on `pod` (else its change the node lifecycle controller made),
    cited once."""
    if any(e.change_id == node.change_id for e in evidence):
        return []
    return [ctx.cite(node.change_id, node.note(pod.name))]


def _unready(
    ctx: ProofContext,
    pod: PodIncarnation,
    told: Stretch,
    released: Transition | None,
    end: int,
) -> tuple[str, list[Evidence]]:
    """What kept the held pod not Ready, when its recording says (a container in
    CrashLoopBackOff or restarted, else its node not Ready), with the change that shows it; ('',
    []) else."""
    ids = ctx.ids_by_rank
    last_id = released.change_id if released is not None else ids[min(end, len(ids)) - 1]
    restarted = restarts(ctx, pod, told.start.change_id, max(last_id, told.start.change_id))
    if restarted is not None:
        return restarted.told, [ctx.cite(restarted.change_id, f"{pod.name}: {restarted.note}")]
    rank = (released.rank if released is not None else end) - 1
    began = pod.terminating
    node = node_not_ready(ctx, pod, min(rank, began.rank - 1) if began is not None else rank)
    if node is not None:
        return node.told, _node_event(ctx, pod, node, [])
    until = began.received_wall_ns if began is not None else ctx.wall_at_rank(rank)
    # The kubelet records the Event as the probe fails, before its status update turns the pod
    # not Ready: the first may be received just before the hold began.
    since = told.start.received_wall_ns - _PART_NS
    probe = readiness_failed(ctx, pod, since, until)
    if probe is None:
        return "", []
    return probe.told, [ctx.cite(probe.change_id, probe.note(pod.name))]


def _not_started(
    ctx: ProofContext, pod: PodIncarnation, held: Stretch, released: Transition | None, end: int
) -> tuple[str, list[Evidence]]:
    """Why the held pod, just created, did not start, when its recording says: a container's
    image not pulled, else an init container failing (restarted, or in CrashLoopBackOff), with
    the change that shows it; ('', []) else."""
    ids = ctx.ids_by_rank
    last_id = released.change_id if released is not None else ids[min(end, len(ids)) - 1]
    first_id, last_id = held.start.change_id, max(last_id, held.start.change_id)
    pulled = not_pulled(ctx, pod, first_id, last_id)
    if pulled is not None:
        return pulled.told, [ctx.cite(pulled.change_id, f"{pod.name}: {pulled.note}")]
    restarted = restarts(ctx, pod, first_id, last_id)
    if restarted is None or not restarted.init:
        return "", []
    return restarted.told, [ctx.cite(restarted.change_id, f"{pod.name}: {restarted.note}")]


def slow_to_ready(
    ctx: ProofContext, pod: PodIncarnation, ready: Transition
) -> tuple[str, list[Evidence]]:
    """Why `pod` turned Ready only at `ready` when nothing waited on it (a Parallel burst's pod),
    when its recording says: a container's image not pulled, a container restarted or in
    CrashLoopBackOff, else its readiness probe failing; with the change that shows it."""
    first_id, last_id = pod.created.change_id, ready.change_id
    pulled = not_pulled(ctx, pod, first_id, last_id)
    if pulled is not None:
        return pulled.told, [ctx.cite(pulled.change_id, f"{pod.name}: {pulled.note}")]
    restarted = restarts(ctx, pod, first_id, last_id)
    if restarted is not None:
        return restarted.told, [ctx.cite(restarted.change_id, f"{pod.name}: {restarted.note}")]
    probe = readiness_failed(ctx, pod, pod.created.received_wall_ns, ready.received_wall_ns)
    if probe is None:
        return "", []
    return probe.told, [ctx.cite(probe.change_id, probe.note(pod.name))]


def _bound(pods: tuple[PodIncarnation, ...], from_ns: int, to_ns: int) -> Transition | None:
    """When the scheduler bound the held pod, when it did within the hold after saying no node
    could take it: the wait to be scheduled ends there, not at Ready. `pods`: the held name's
    incarnations the hold spans, oldest first; a client may have deleted an unschedulable one,
    and the one created in its place was bound at once."""
    if not any(p.unschedulable for p in pods):
        return None
    bound = pods[-1].first("scheduled")
    if bound is None or not from_ns < bound.received_wall_ns < to_ns:
        return None
    return bound


# The scheduler's words for a node without room (NodeResourcesFit: "Insufficient cpu", "Too many
# pods"): only then can another pod's leaving have made room.
_NO_ROOM = ("Insufficient ", "Too many pods")
# A pod gone from the node this long (wall ns) before the binding is told as what made room.
_FREED_NS = 5_000_000_000


def _freed(
    ctx: ProofContext,
    pod: PodIncarnation,
    bound: Transition,
    unscheduled: str,
    from_ns: int,
    evidence: list[Evidence],
) -> str:
    """'bound to lab-node-0 6 ms after web-9 there was gone (deleted by a client)': when no node
    had room (the scheduler's reason), the last pod recorded on the node the held pod was bound
    to that went away inside the hold, shortly before the binding (cited). Told as what came
    before, as the recording shows it; the scheduler's own cache is not recorded."""
    node = bound.detail
    if not node or node == "?" or not any(word in unscheduled for word in _NO_ROOM):
        return ""
    left = None
    for other in ctx.life.pods:
        gone = other.deleted
        if other is pod or gone is None or other.node != node:
            continue
        wall = gone.received_wall_ns
        inside = from_ns < wall <= bound.received_wall_ns <= wall + _FREED_NS
        if inside and (left is None or wall > left[1].received_wall_ns):
            left = (other, gone)
    if left is None:
        return ""
    other, gone = left
    after_ms = (bound.received_wall_ns - gone.received_wall_ns) / 1e6
    after = f"{after_ms / 1000:.1f} s" if after_ms >= 1000 else f"{after_ms:.0f} ms"
    after = after if after_ms >= 1 else "under 1 ms"
    actor = ctx.deleted_by(other)
    by = f", deleted by {actor.who}" if actor is not None and actor.who != "unknown" else ""
    evidence.append(ctx.cite(gone.change_id, f"{other.name} gone from {node}{by}"))
    return f"bound to {node} {after} after {other.name} there was gone{by}"


# The requeue after minReadySeconds is told when the controller's next step came this much (wall
# ns) after the held pod was Available.
_REQUEUE_NS = 1_000_000_000


def _acted(ctx: ProofContext, released: Transition) -> Transition | None:
    """After a hold released by its pod turning Available (a synthetic step, minReadySeconds):
    the controller's step the replay then allowed (a deletion or creation) when it came at least
    `_REQUEUE_NS` later; the controller only looks again when its requeue (`enqueueSSAfter`
    minReadySeconds, in `sync`) fires."""
    if released.what != "available":
        return None
    acting: Decision | None = None
    for step, decision in ctx.replay.between(released.rank, len(ctx.ids_by_rank)):
        if step.received_wall_ns < released.received_wall_ns:
            continue
        if acting is None:
            if step is not released and step.what != "available":
                return None
            if decision.state != "act":
                return None
            acting = decision
            continue
        if (decision.state, decision.what) == (acting.state, acting.what):
            continue
        change = ctx.changes[step.change_id]
        if change.kind != "Pod" or step.what not in ("created", "terminating"):
            return None
        if acting.what.split()[1:2] != [change.name]:  # "delete web-3 (condemned)"
            return None
        late = step.received_wall_ns - released.received_wall_ns >= _REQUEUE_NS
        return step if late else None
    return None


def _backoff(
    ctx: ProofContext, holder: PodIncarnation, freed: Transition, evidence: list[Evidence]
) -> str:
    """'; web-1 created 13.8 s after its name was free': `CreateStatefulPod` returns the
    AlreadyExists error (no Event), so the set was requeued with the workqueue's rate-limited
    backoff and created the pod only at a later sync."""
    parsed = parse_ordinal(holder.name)
    incs = ctx.slots.get(parsed[1], ()) if parsed is not None else ()
    later = [p for p in incs if p.uid != holder.uid and p.created.rank >= freed.rank]
    if not later:
        return ""
    new = later[0]
    took = (new.created.received_wall_ns - freed.received_wall_ns) / 1e9
    evidence.append(ctx.cite_step(new, new.created, f"{new.name} created"))
    return (
        f"; {new.name} created {took:.1f} s after its name was free (CreateStatefulPod's "
        "AlreadyExists error requeued the set with rate-limited backoff)"
    )


def _again_cited(
    ctx: ProofContext, before: tuple[Stretch, ...], last: PodIncarnation
) -> list[Evidence]:
    """Each client deletion that cut the hold, and the pod created in the deleted one's place."""
    if not before:
        return []
    cited = []
    news = [b.pod for b in before[1:]] + [last]
    for b, new in zip(before, news, strict=True):
        if b.end is not None:
            cited.append(ctx.cite(b.end.change_id, f"{b.pod.name} {causes.DELETED_BY_CLIENT}"))
        cited.append(ctx.cite_step(new, new.created, f"{new.name} created again"))
    return cited


def _again_told(
    before: tuple[Stretch, ...],
    from_ns: int,
    last: PodIncarnation,
    released: Transition | None,
    removals: tuple[Removal, ...] = (),
) -> str:
    """'web-1 deleted by a client after 5.6 s and created again; the new web-1 held it 1.5 s
    more' (the wait goes on at the pod the controller created in the deleted one's place);
    'web-1 deleted by a client after 5.0 s, gone 6.8 s later once a client removed the finalizer
    example.com/hold, and created again' when a finalizer (`removals`: the first pod's) kept it."""
    if not before:
        return ""
    told = []
    since = from_ns
    for n, b in enumerate(before):
        if b.end is None:  # pragma: no cover - a joined stretch ended
            continue
        began = b.pod.terminating or b.end
        took = max(0.0, (began.received_wall_ns - since) / 1e9)
        kept = ""
        if n == 0 and removals:
            names = ", ".join(sorted({r.finalizer for r in removals}))
            whos = sorted({r.who for r in removals})
            plural = "s" * (len({r.finalizer for r in removals}) > 1)
            later = (b.end.received_wall_ns - began.received_wall_ns) / 1e9
            kept = (
                f", gone {later:.1f} s later once {' and '.join(whos)} removed the "
                f"finalizer{plural} {names},"
            )
        told.append(
            f"{b.pod.name} {causes.DELETED_BY_CLIENT} after {took:.1f} s{kept} and created again"
        )
        since = b.end.received_wall_ns
    more = ""
    if released is not None:
        more = (
            f"; the new {last.name} held it {(released.received_wall_ns - since) / 1e9:.1f} s more"
        )
    return ", then ".join(told) + more


def _unscheduled(
    ctx: ProofContext,
    pods: tuple[PodIncarnation, ...],
    from_ns: int,
    to_ns: int,
    evidence: list[Evidence],
) -> str:
    """Why no node took the held pod: of the scheduler's words while the hold lasted (its
    FailedScheduling Events and the pod's PodScheduled False condition), the reason that held
    the longest, each holding until the scheduler said something else (cited in `evidence`).
    The latest word alone can be a moment's race (a claim deleted and recreated at once), and an
    older Event's reason may have stopped holding since (a claim bound). `pods`: the held
    name's incarnations the hold spans (a client deleted the earlier ones), oldest first."""
    said = [
        (wall, change_id, message, "FailedScheduling")
        for pod in pods
        for wall, change_id, message in ctx.actors.failed_scheduling(pod.uid, from_ns, to_ns)
    ]
    said += [
        (wall, change_id, message, "Unschedulable")
        for pod in pods
        for rank, change_id, message in pod.unschedulable
        if (wall := ctx.wall_at_rank(rank)) <= to_ns
    ]  # fmt: skip
    if not said:
        return ""
    said.sort(key=lambda w: (w[0], w[1]))
    held: dict[str, int] = {}
    first: dict[str, tuple[int, str]] = {}
    for (wall, change_id, message, source), after in zip(said, [*said[1:], None], strict=True):
        line = first_line(message)
        end = after[0] if after is not None else max(to_ns, wall)
        held[line] = held.get(line, 0) + max(end - max(wall, from_ns), 0)
        if line not in first or (source == "FailedScheduling" != first[line][1]):
            first[line] = (change_id, source)  # the scheduler's own Event cited before the pod
    line = max(held, key=lambda k: (held[k], -list(held).index(k)))
    change_id, source = first[line]
    name = pods[0].name
    note = f"PodScheduled False: {name}" if source == "Unschedulable" else f"{source}: {name}"
    evidence.append(ctx.cite(change_id, note))
    unbound = _not_provisioned(ctx, pods, to_ns, evidence) if _UNBOUND in line else ""
    return f"{source}: {line}{unbound}"


# The scheduler's VolumeBinding plugin, for a pod whose claim (binding Immediate) is not bound.
_UNBOUND = "unbound immediate PersistentVolumeClaims"


def _not_provisioned(
    ctx: ProofContext, pods: tuple[PodIncarnation, ...], to_ns: int, evidence: list[Evidence]
) -> str:
    """'; its claim data-web-1 not bound: ProvisioningFailed: storageclass … not found': why the
    claims the scheduler waits for did not bind, when their provisioning failed (the last
    ProvisioningFailed Event on each since the held pod was created, cited)."""
    pod = pods[-1]
    since = pods[0].created.received_wall_ns - _CLAIM_BEFORE_NS
    told = []
    for claim in pod.claims:
        failed = ctx.actors.provisioning_failed(pod.namespace, claim, since, to_ns)
        if failed:
            _, change_id, message = failed[-1]
            evidence.append(ctx.cite(change_id, f"ProvisioningFailed: {claim}"))
            told.append(f"its claim {claim} not bound: ProvisioningFailed: {first_line(message)}")
    return "".join(f"; {t}" for t in told)


# The controller creates a pod's missing claims just before the pod (createPersistentVolumeClaims):
# their provisioning's Events may be recorded this long (wall ns) before the pod.
_CLAIM_BEFORE_NS = 2 * 10**9


def first_line(message: str) -> str:
    """An Event message's first line, cut at 160 characters (a FailedUpdate carries a diff)."""
    line = message.splitlines()[0] if message else ""
    return line if len(line) <= 160 else line[:159] + "…"


def _cause(stretch: Stretch) -> str:
    """The stretch's cause; 'starting' for a pod created inside it that never ran before."""
    pod = stretch.pod
    fresh = pod.created.rank >= stretch.start.rank
    if stretch.cause == causes.NOT_RUNNING and fresh:
        return causes.STARTING
    return stretch.cause


def _recorded_late(ctx: ProofContext, released: Transition) -> str:
    """' (its Ready condition's lastTransitionTime reads 19:40:53Z, 10.2 s before this change was
    recorded, by the relist that closed a recorder gap)': a turn to Ready a relist recorded, or
    one the watch delivered late (`ProofContext.delivered_late`: ' …, delivered late: web-4's
    creation came in the same burst, 7.7 s after its creationTimestamp'), ended the hold earlier
    than its recorded time says; the hold is measured on the recording's clock, and this tells
    by how much it may be too long. A turn the watch delivered with nothing to show the delivery
    late is not told so: a kubelet may stamp its status seconds before it writes it."""
    if released.what != "ready":
        return ""
    relisted = ctx.changes[released.change_id].observed == "relist"
    burst = None if relisted else ctx.delivered_late(released.change_id)
    since = parse_time(released.api_time)
    if since is None or not (relisted or burst):
        return ""
    # lastTransitionTime is cut to the second: up to a second earlier than the turn itself.
    late = released.received_wall_ns / 1e9 - (since + 1.0)
    if late <= 0:
        return ""
    when = datetime.fromtimestamp(since, UTC).isoformat().replace("+00:00", "Z")
    how = "by the relist that closed a recorder gap"
    if burst is not None:
        how = (
            f"delivered late by the watch: {burst.pod.name}'s creation came in the same burst, "
            f"{burst.late_ns / 1e9:.1f} s after its creationTimestamp"
        )
    return (
        f" (its Ready condition's lastTransitionTime reads {when}, {late + 1.0:.1f} s before "
        f"this change was recorded, {how})"
    )


def _released_in_gap(ctx: ProofContext, released: Transition, from_ns: int) -> str:
    """' (web-2 was gone when the recorder came back: the gap from 23:24:33.95 to 23:24:42.19
    hides when, so the hold lasted 4.0 to 12.3 s)': a release a relist recorded, with no time
    of its own in the object (a removal, a deletion): it happened somewhere in the gap."""
    change = ctx.changes[released.change_id]
    if change.observed != "relist":
        return ""
    gap = next(
        (g for g in ctx.gaps if g.from_wall_ns <= released.received_wall_ns <= g.to_wall_ns + 1),
        None,
    )
    if gap is None or gap.from_wall_ns < from_ns:
        return ""
    least = (gap.from_wall_ns - from_ns) / 1e9
    most = (released.received_wall_ns - from_ns) / 1e9
    what = {"deleted": "gone", "ready": "Ready"}.get(released.what, released.what)
    return (
        f" ({change.name} was {what} when the recorder came back: the gap from "
        f"{_clock(gap.from_wall_ns)} to {_clock(gap.to_wall_ns)} hides when, so the hold lasted "
        f"{least:.1f} to {most:.1f} s)"
    )


def _clock(wall_ns: int) -> str:
    """'23:24:33.95': a receive time of the day, UTC, to the hundredth of a second."""
    return datetime.fromtimestamp(wall_ns / 1e9, UTC).strftime("%H:%M:%S.%f")[:11]


def _released_by(
    ctx: ProofContext,
    pod: PodIncarnation,
    step: Transition,
    kept: tuple[str, ...] | None = None,
    removals: tuple[Removal, ...] = (),
    *,
    cause: str = "",
) -> str:
    """What the releasing change was, in a user's words.

    A hold on a terminating pod (`kept`: its finalizers then) is released by the pod's removal,
    not by the deletion that began its termination: 'web-2 gone', or with finalizers 'the
    finalizer example.com/hold removed by a client and web-2 gone' (the API server removes the
    object once its finalizers are gone; who removed each: `finalizers_removed`). Any other hold
    ended by a deletion names who deleted.
    """
    change = ctx.changes[step.change_id]
    if change.kind == "Pod" and change.uid == pod.uid:
        if step.what == "deleted" and kept is not None:
            gone = set(kept) - set(finalizers_kept(ctx, step))
            last = removed_unrecorded(ctx, pod, step, kept)
            clauses = [removed_clause(gone, removals)] if gone else []
            clauses += [last.told] if last is not None else []
            return " and ".join([*clauses, f"{pod.name} gone"])
        if step.what in ("terminating", "deleted"):
            actor = ctx.deleted_by(pod)
            who = f" by {actor.who}" if actor is not None and actor.who != "unknown" else ""
            return f"{pod.name} deleted{who}"
        return f"{pod.name} {_word(step.what)}"
    if change.kind == "Pod" and cause == causes.NOT_AVAILABLE:
        # The held pod turned Available (minReadySeconds) between two recorded changes; the
        # next one recorded is the controller's next step, the deletion of another pod.
        other = ctx.own_pod(change.uid)
        began = other.terminating if other is not None else None
        if other is not None and began is not None and began.change_id == change.id:
            actor = ctx.deleted_by(other)
            who = f" by {actor.who}" if actor is not None and actor.who != "unknown" else ""
            return f"{pod.name} Available, then {other.name} deleted{who}"
    if change.kind == "StatefulSet":
        return f"StatefulSet {change.name} changed"
    if change.kind == "Pod":
        told = _lower_turned(ctx, pod, step)
        if told:
            return told
    return f"{change.kind} {change.name} {change.event.lower()}"


def _lower_turned(ctx: ProofContext, pod: PodIncarnation, step: Transition) -> str:
    """'web-0 Failed, a lower ordinal the walk stops at first': another pod of the set whose
    change released the hold by turning unhealthy (under OrderedReady, below the held one:
    processReplica walks up from the lowest ordinal and stops at the first pod not Running and
    Ready); a pod that finished running is deleted first under either policy."""
    uid = ctx.changes[step.change_id].uid
    other = ctx.own_pod(uid)
    if other is None or other.ordinal is None or pod.ordinal is None:
        return ""
    what = next((t.what for t in other.transitions if t.change_id == step.change_id), None)
    if what not in _TURNED:
        return ""
    if ctx.episode.spec.pod_management_policy == "Parallel":
        # No walk stops at a lower pod (phase 1 never blocks), but a pod that finished running
        # is deleted to be created again (processReplica).
        return f"{other.name} {_TURNED[what]}" if what in ("failed", "succeeded") else ""
    if other.ordinal >= pod.ordinal:
        return ""
    return f"{other.name} {_TURNED[what]}, a lower ordinal the walk stops at first"


_TURNED = {"failed": "Failed", "succeeded": "Succeeded", "unready": "not Ready"}


def _word(what: str) -> str:
    return {"ready": "Ready", "unready": "not Ready", "running": "Running"}.get(what, what)


def _parts(stretch: Stretch) -> list[tuple[str, float]]:
    """The stretch's causes in turn that lasted a notable time, with their seconds."""
    return [(cause, ns / 1e9) for cause, ns in stretch.spent if ns >= _PART_NS]


def _phases(stretch: Stretch, min_ready_seconds: int, *, unready: str = "") -> str:
    """'not Ready 6.6 s, then not Available 4.0 s (minReadySeconds=4)' when a hold was partly a
    Ready pod's wait for minReadySeconds, each cause lasting a notable time; '' otherwise.
    `unready`: what kept the pod not Ready, told after that cause's time."""
    parts = _parts(stretch)
    # Told only where a Ready pod still held it for minReadySeconds, or where the held pod's
    # deletion began inside the hold (not Ready, then terminating): a pod starting, then not
    # Ready, is one ordinary hold and keeps its one cause.
    if len(parts) < 2:
        return ""
    told = ", then ".join(
        f"{cause} {seconds:.1f} s"
        + (f" ({unready})" if unready and cause == causes.NOT_READY else "")
        for cause, seconds in parts
    )
    if any(cause == causes.NOT_AVAILABLE for cause, _ in parts):
        return told + f" (minReadySeconds={min_ready_seconds})"
    return told if parts[-1][0] == causes.TERMINATING else ""


def hold_clause(hold: Hold) -> str:
    """'held at web-2 (not Ready) for 6.1 s, until web-2 Ready', the one wording of a hold.

    A pod the controller had just created and that was not yet Running is starting, not
    halting: 'waited 2.5 s for web-0 to start'.
    """
    took = f"{hold.seconds:.1f} s"
    until = f", until {hold.released_by}" if hold.released_by else ""
    aside = f" (meanwhile {hold.meanwhile})" if hold.meanwhile else ""
    aside += f" ({hold.again})" if hold.again else ""
    aside += f" ({hold.counted_from})" if hold.counted_from else ""
    if hold.cause == causes.STARTING:
        why = f" ({hold.begun_by})" if hold.begun_by else ""  # why it did not start
        if hold.unscheduled and hold.scheduled_after_s is not None:
            rest = hold.seconds - hold.scheduled_after_s
            freed = f"; {hold.freed}" if hold.freed else ""
            return (
                f"waited {hold.scheduled_after_s:.1f} s for {hold.pod} to be scheduled "
                f"({hold.unscheduled}{freed}), then {rest:.1f} s to start{why}{aside}{until}"
            )
        if hold.unscheduled:
            return (
                f"waited {took} for {hold.pod} to be scheduled ({hold.unscheduled}){aside}{until}"
            )
        return f"waited {took} for {hold.pod} to start{why}{aside}{until}"
    told = hold.detail if hold.cause == causes.NAME_TAKEN else hold.phases or hold.cause
    cause = told + (f": {hold.begun_by}" if hold.begun_by else "")
    cause += f": {hold.unscheduled}" if hold.unscheduled else ""
    if hold.finalizers:
        plural = "s" * (len(hold.finalizers) > 1)
        cause += f", kept by the finalizer{plural} {', '.join(hold.finalizers)}"
    if hold.to_wall_ns is None:
        return f"halted at {hold.pod} ({cause}) for {took}{aside}"
    return f"held at {hold.pod} ({cause}) for {took}{aside}{until}"


def holds_clause(holds: tuple[Hold, ...], *, skip_last: bool = False) -> str:
    shown = holds[:-1] if skip_last and holds and holds[-1].to_wall_ns is None else holds
    parts = []
    for h in shown[:4]:
        stood = (
            " (the controller stood still meanwhile)"
            if causes.DELETED_BY_CLIENT in h.released_by
            else ""
        )
        parts.append(hold_clause(h) + stood)
    more = f" and {len(shown) - 4} more holds" if len(shown) > 4 else ""
    return ("; " + "; ".join(parts) + more) if parts else ""
