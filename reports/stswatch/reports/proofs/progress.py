"""Whether an episode reached its spec within its window, and every notable hold inside it.

Read from the controller replay (`stswatch.reports.history.replay`): the episode completed when the
replayed
decision became "spec met" inside the episode's window; otherwise it stands where the last
decision in the window left it (held at a pod, still progressing, or superseded by the next
episode). The holds themselves are `stswatch.reports.proofs.holds`.
"""

from bisect import bisect_left, bisect_right

from stswatch.reports import causes
from stswatch.reports.history.attribution import POD_CALLED
from stswatch.reports.history.episodes import Recreation, deleted_with
from stswatch.reports.history.replay import Decision
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs import landed_late
from stswatch.reports.proofs.context import NOTABLE_S, ProofContext, health
from stswatch.reports.proofs.continuation import scale_down_went_on_told, went_on
from stswatch.reports.proofs.finalizers import kept_note, waited_for_predecessors
from stswatch.reports.proofs.holds import (
    episode_holds,
    first_line,
    gone_late,
    holds_clause,
    start_ns,
)
from stswatch.reports.proofs.orphans import orphaned
from stswatch.reports.proofs.refused import REFUSED, refused_holds
from stswatch.reports.proofs.verdict import Hold, Progress

_INSTANT = ("service-deleted", "service-recreated", "statefulset-replaced")
_WAIT_TOLD_S = 1.0  # a recreation's wait at a lower pod told from this long


def episode_progress(ctx: ProofContext) -> Progress:
    """The episode's progress line and notable holds (computed once per episode)."""
    found = ctx.memo.get("progress")
    if not isinstance(found, Progress):
        found = ctx.memo["progress"] = _progress(ctx)
    return found


def _progress(ctx: ProofContext) -> Progress:
    episode = ctx.episode
    if episode.kind in _INSTANT:
        return Progress("instant", "nothing to wait for" + _adopted(ctx))
    if episode.kind == "statefulset-deleted":
        return _deletion_progress(ctx)
    if episode.kind == "ondelete-update":
        return _ondelete_progress(ctx)
    end = episode.end_rank
    window_end_ns = _window_end_ns(ctx)
    refused = refused_holds(ctx, start_ns(ctx), window_end_ns)
    holds = episode_holds(ctx, window_end_ns)
    if refused:
        holds = tuple(sorted(holds + refused, key=lambda h: h.from_wall_ns))
    settled = _settled(ctx)
    recreation = episode.recreation
    if recreation is not None and (ready := recreation.new.first("ready")) is not None:
        settled = ready.received_wall_ns  # the episode's window ends there by construction
    outlasts = ""
    if settled is None and episode.outlasts is not None:
        # Its last new pod turned Ready at the window's last rank (`find_episodes`).
        settled = ctx.wall_at_rank(end - 1)
        change = ctx.changes[ctx.ids_by_rank[episode.outlasts]]
        outlasts = (
            f" (its pods created while the template change #{change.id} was rolling out: that "
            "change left replicas as they were, and the controller creates missing ordinals "
            "before it replaces any)"
        )
    condemned = ""
    if settled is None and episode.kind == "scale-down":
        gone = _condemned_gone(ctx)
        if gone is not None:
            # The scale-down's own work is done; what the walk still waits on is another
            # episode's (a rollout the scale-down cut, going on in the smaller range).
            settled, names, _ = gone
            rest = _stands(ctx, ctx.replay.at(end - 1), ())
            condemned = f" (its condemned pods gone: {names}); the set then stood: {rest}"
    elif settled is not None and episode.kind == "scale-down" and not holds:
        gone = _condemned_gone(ctx)
        if gone is not None and settled - gone[0] >= NOTABLE_S * 1e9:
            # Its condemned pods went long before the set settled: what it then waited on (an
            # in-range pod not Ready, say) is not the scale-down's work.
            more = (settled - gone[0]) / 1e9
            waiting = _unhealthy_in_range(ctx, gone[2], settled)
            rest = waiting or _stands(ctx, ctx.replay.at(gone[2]), ())
            # pods created or deleted meanwhile (a rollout the scale-down cut, going on): the
            # set did not stand, whatever it waited on at first
            ranks = ctx.index.walk_ranks
            moved = bisect_right(ranks, gone[2]) < bisect_left(ranks, end)
            how = "stood" if waiting and not moved else "went on"
            settled, names = gone[0], gone[1]
            condemned = (
                f" (its condemned pods gone: {names}); the set then {how} {more:.1f} s more "
                f"before it settled: {rest}"
            )
    if settled is not None:
        # A hold that began after the spec was met is not this episode's (a later deletion's).
        holds = tuple(h for h in holds if h.from_wall_ns < settled)
        took = (settled - start_ns(ctx)) / 1e9
        text = f"completed within the episode in {took:.1f} s"
        text = (_in_gap(ctx, settled) or text) + outlasts + condemned
        after_last = (settled - ctx.wall_at_rank(end - 1)) / 1e9
        if after_last >= 1.0 and episode.statefulset.spec_at(end - 1).min_ready_seconds:
            # Available is a moment, not a recorded change: the header's span ends earlier.
            text += (
                f", {after_last:.1f} s after its last recorded change (when its last pod became "
                "Available, minReadySeconds after Ready: a moment, not a change)"
            )
        if episode.under_way:
            # from when the reading began: the recording's first list, or a window's --since
            began = ctx.read_from_ns if ctx.read_from_ns is not None else start_ns(ctx)
            took = (settled - began) / 1e9
            text = f"completed {took:.1f} s after the recording began (it began earlier, unseen)"
        # The calls that failed until it completed: a later one is another episode's.
        text += _early(ctx, settled) + _failures(ctx, min(settled, window_end_ns), refused)
        text += _stood_still(ctx, holds, settled)
        if recreation is not None and not holds:
            # No hold told the wait for the old pod to go (under Parallel nothing else waits on
            # it): its name is free, and the new pod created, only once it is gone.
            text += kept_note(ctx, recreation.old, []) + gone_late(ctx, recreation.old)
            text += _waited_below(ctx, recreation)
        elif episode.kind == "scale-up" and not holds:
            text += waited_for_predecessors(ctx, [])
        return Progress("completed", text + holds_clause(holds), holds, text)
    last = ctx.replay.at(end - 1)
    if end < len(ctx.life.ordering.rank):
        state, ended = "superseded", "the next episode began"
    else:
        halted = holds and holds[-1].to_wall_ns is None
        halted = halted or (last is not None and last.cause == causes.CLAIM_STALE)
        state, ended = ("halted" if halted else "progressing"), "the recording ended"
    stands = _stands(ctx, last, holds)
    failed = _failures(ctx, window_end_ns, refused)
    still_refused = any(h.to_wall_ns is None for h in refused)
    if failed and last is not None and last.state == "act" and not still_refused:
        # The replay's next step is what the rules allow; the controller's own Events say it
        # could not take it (a refused pod update, a quota, an admission webhook).
        stands = "the controller could not take its next step"
    text = f"did not complete within the episode ({ended}): {stands}{failed}"
    if state == "superseded" and (after := went_on(ctx)) is not None:
        text += after.text
    elif state == "superseded":
        text += scale_down_went_on_told(ctx)
    return Progress(state, text + holds_clause(holds, skip_last=True), holds, text)


def _unhealthy_in_range(ctx: ProofContext, rank: int, settled_ns: int) -> str:
    """'web-0 not Ready': the in-range pods not Running and Ready just after `rank`; ', then not
    Available (minReadySeconds=4)' for one that turned Ready before the set settled at
    `settled_ns` (wall ns) under minReadySeconds: the walk waits for availability too."""
    spec = ctx.episode.statefulset.spec_at(rank)
    minimum = ctx.min_ready_at(rank)
    found = []
    for pod in sorted(ctx.index.alive_at(rank), key=lambda p: p.ordinal or 0):
        if pod.ordinal is None or not spec.in_range(pod.ordinal):
            continue
        state = health(pod, rank + 1, min_ready_seconds=0, at=None)
        if state.ok:
            continue
        told = f"{pod.name} {state.problem}"
        ready = next(
            (t for t in pod.transitions if t.what == "ready" and t.rank > rank),
            None,
        )
        if minimum and ready is not None and ready.received_wall_ns < settled_ns:
            told += f", then not Available (minReadySeconds={minimum})"
        found.append(told)
    return f"waiting: {', '.join(found)}" if found else ""


def _condemned_gone(ctx: ProofContext) -> tuple[int, str, int] | None:
    """When (wall ns) the last pod the scale-down condemned was gone, their names, and that
    change's rank, when all were gone inside the window (their ordinals out of the range at its
    end); None otherwise."""
    episode = ctx.episode
    spec = ctx.episode.statefulset.spec_at(episode.end_rank - 1)
    out = [
        pod
        for pod in ctx.index.alive_at(episode.start_rank)
        if pod.ordinal is not None and not spec.in_range(pod.ordinal)
    ]
    if not out or any(p.deleted is None or p.deleted.rank >= episode.end_rank for p in out):
        return None
    final = max((p.deleted for p in out if p.deleted is not None), key=lambda t: t.rank)
    down = sorted(out, key=lambda p: -(p.ordinal or 0))
    if len(down) > 6:
        names = f"{len(down)} pods, {down[0].name} to {down[-1].name}"
    else:
        names = ", ".join(p.name for p in down)
    return final.received_wall_ns, names, final.rank


def _early(ctx: ProofContext, settled_ns: int) -> str:
    """Where status called a rollout done before its last pod was Available (minReadySeconds):
    '; status marked the rollout complete 3.2 s before the last pod was Available …'."""
    episode = ctx.episode
    minimum = ctx.min_ready_at(episode.end_rank - 1)
    if episode.kind != "rolling-update" or minimum <= 0:
        return ""
    for status in episode.statefulset.statuses_between(episode.start_rank, episode.end_rank):
        if status.received_wall_ns < start_ns(ctx):
            continue
        if status.received_wall_ns >= settled_ns:
            return ""
        observed = (status.observed_generation or 0) >= (episode.spec.generation or 0)
        done = observed and status.current_revision is not None
        done = done and status.current_revision == status.update_revision
        if done and status.updated_replicas == episode.spec.replicas:
            ahead = (settled_ns - status.received_wall_ns) / 1e9
            return (
                f"; status marked it complete (currentRevision = updateRevision) {ahead:.1f} s "
                f"before the last pod was Available for minReadySeconds="
                f"{minimum} (upstream behaviour, kubernetes#136831)"
            )
    return ""


def _failures(ctx: ProofContext, window_end_ns: int, told: tuple[Hold, ...] = ()) -> str:
    """'; the controller's calls failed: FailedUpdate 15 times ("update Pod web-0 …")', from the
    Warning Events the controller recorded on the set in the window (its API calls refused),
    but those a hold of `told` (`refused_holds`) already tells."""
    sts = ctx.episode.statefulset
    found = ctx.actors.controller_failures(sts.namespace, sts.name, start_ns(ctx), window_end_ns)
    held = {(h.pod, h.begun_by.split(" ", 1)[0]) for h in told}
    found = [
        f for f in found if not ((m := POD_CALLED.search(f[3])) and (m.group(1), f[2]) in held)
    ]
    recreation, deleted = ctx.episode.recreation, ctx.episode.deleted
    own = recreation.new.name if recreation is not None else deleted.name if deleted else None
    if own is not None:  # an episode of one pod tells the failed calls on that pod (or on none)
        found = [f for f in found if (m := POD_CALLED.search(f[3])) is None or m.group(1) == own]
    if not found:
        return ""
    by_reason: dict[str, list[str]] = {}
    for _, _, reason, message in found:
        by_reason.setdefault(reason, []).append(message)
    failed: list[str] = []
    warned: list[str] = []
    for reason, messages in by_reason.items():
        line = first_line(messages[-1])
        times = f"{len(messages)} time{'s' * (len(messages) > 1)}"
        # A Failed* reason is a call the API server refused; another Warning (the retention
        # policy's ConflictingController, say) is what the controller saw, not a call it made.
        (failed if reason.startswith("Failed") else warned).append(
            f'{reason} recorded {times} ("{line}")'
        )
    said = "; the controller's calls failed: " + "; ".join(failed) if failed else ""
    return said + ("; the controller warned: " + "; ".join(warned) if warned else "")


def _adopted(ctx: ProofContext) -> str:
    """'; web-0, web-1 adopted ...' when the episode's set took over pods it did not create."""
    if ctx.episode.kind != "statefulset-replaced":
        return ""
    sts = ctx.episode.statefulset
    taken = [
        p.name
        for incs in ctx.slots.values()
        for p in incs
        if p.owner_uid != sts.uid and p.ever_controlled_by(sts.uid)
    ]
    born = sts.transitions[0].rank
    kept = [r.name for r in ctx.life.revisions_of(sts) if r.created.rank < born]
    plural = len(kept) > 1
    revisions = (
        f"; so {'were' if plural else 'was'} the ControllerRevision{'s' * plural} "
        f"{', '.join(kept)} the earlier set left (adoptOrphanRevisions)"
        if kept
        else ""
    )
    if not taken:
        return revisions
    return (
        f"; {', '.join(taken)} adopted by the new StatefulSet (their controllerRef now names it: "
        f"ClaimPods), not created{revisions}"
    )


def _deletion_progress(ctx: ProofContext) -> Progress:
    gone = ctx.set_gone
    start = gone.rank if gone is not None else ctx.episode.start_rank
    alive = deleted_with(ctx.slots, gone) if gone is not None else ctx.index.alive_at(start)
    released = orphaned(ctx, alive)
    pods = [p for p in alive if p not in released]
    if released and not pods and gone is not None and not ctx.near_end(gone):
        names = ", ".join(p.name for p in released)
        if all(p.deleted is None for p in released):
            return Progress(
                "completed", f"completed: {names} left running, orphaned (none deleted)"
            )
        return Progress("completed", f"completed: {names} orphaned (none deleted by the deletion)")
    left = [p.name for p in pods if p.deleted is None]
    removed = any(p.deletion_began for p in pods)
    if left and not removed and gone is not None and not ctx.near_end(gone):
        # As the deletion verdict reads it: nothing went, so the pods were orphaned.
        text = f"completed: {', '.join(left)} left running, orphaned (none deleted)"
        return Progress("completed", text)
    if left:
        return Progress("progressing", f"{', '.join(left)} still present when the recording ended")
    last = max((p.deleted.received_wall_ns for p in pods if p.deleted), default=start_ns(ctx))
    took = (last - start_ns(ctx)) / 1e9
    if len(pods) == 1:
        return Progress("completed", f"completed: {pods[0].name} gone {took:.1f} s after")
    return Progress("completed", f"completed: all {len(pods)} pods gone {took:.1f} s after")


def _ondelete_progress(ctx: ProofContext) -> Progress:
    """OnDelete: the controller replaces nothing; pods take the update when deleted by hand."""
    if ctx.update_revision() is None:
        # No status in the window observed the new template: which revision is the update's is
        # not known yet, so nothing can be said complete.
        generation = ctx.episode.spec.generation
        seen = f" (no status with observedGeneration {generation})" if generation else ""
        text = (
            "did not complete within the episode: the controller had not yet observed the new "
            f"template when it ended{seen}"
        )
        return Progress("progressing", text)
    # The pods a client deleted are created again by processReplica, and its walk waits as
    # under RollingUpdate: those holds are this episode's.
    holds = episode_holds(ctx, _window_end_ns(ctx))
    outdated = ctx.outdated_at(ctx.episode.end_rank - 1)
    if outdated is None:
        text = "completed: every pod is at the update revision"
        last = ctx.episode.statefulset.status_at(ctx.episode.end_rank - 1)
        if last is not None and last.current_revision != last.update_revision:
            text += (
                f"; status.currentRevision still names {last.current_revision}: under OnDelete "
                "the controller does not promote it (upstream behaviour, kubernetes#73492)"
            )
        return Progress("completed", text + holds_clause(holds), holds, text)
    names, revision, target = outdated
    text = (
        f"did not complete within the episode: {names} still at revision {revision} (update "
        f"revision {target}); under OnDelete they change only when deleted"
    )
    return Progress("progressing", text + holds_clause(holds), holds, text)


def _waited_below(ctx: ProofContext, recreation: Recreation) -> str:
    """'; held at web-0 (not Ready) for 1.5 s, until web-0 Ready, then web-2 created': under
    OrderedReady the new pod's name was free, but processReplica returned at a lower pod not
    Running and Ready (a client deleted it too) until it was Ready. Told from a second on: a
    recreation waits on nothing else, so a wait shorter than a hold's NOTABLE_S still shows."""
    old, new = recreation.old, recreation.new
    if ctx.episode.spec.pod_management_policy != "OrderedReady" or old.deleted is None:
        return ""
    gate = ctx.later_lower_ready(new, old.deleted.rank)
    if gate is None:
        return ""
    pod, ready = gate
    seconds = (ready.received_wall_ns - old.deleted.received_wall_ns) / 1e9
    if seconds < _WAIT_TOLD_S:
        return ""
    return (
        f"; held at {pod.name} (not Ready) for {seconds:.1f} s, until {pod.name} Ready, then "
        f"{new.name} created"
    )


def _stood_still(ctx: ProofContext, holds: tuple[Hold, ...], until_ns: int) -> str:
    """'; the controller took its next step (create web-3) only 8.2 s after the rules allowed
    it, …': a spec change whose first step the controller did not take for NOTABLE_S or more,
    with nothing recorded to hold it (no hold, a refused call say). A spec change is queued for a
    sync at once, not after a backoff (the informer's update handler), so its syncs came late (a
    controller-manager stopped or restarting, a leader election, a busy work queue) or the call
    that took the step was slow (an admission webhook, the client's throttling); `_slow_call`
    tells the second when the recording shows it. A later step is left to the holds, whose
    clauses tell the requeue after minReadySeconds or the backoff after an AlreadyExists."""
    start = ctx.episode.start_rank
    first: Transition | None = None
    pending: Decision | None = None
    told = ""
    for step, decision in ctx.replay.between(start, ctx.episode.end_rank + 1):
        if pending is not None and decision.state == "act" and decision.what == pending.what:
            continue  # the same next step, still not taken
        if pending is not None and first is not None:
            waited = (min(step.received_wall_ns, until_ns) - first.received_wall_ns) / 1e9
            at = first.received_wall_ns
            overlaps = any(
                h.from_wall_ns <= step.received_wall_ns and (h.to_wall_ns or until_ns) >= at
                for h in holds
            )
            if waited >= NOTABLE_S and first.what == "spec" and not overlaps:
                change = ctx.changes[step.change_id]
                told = (
                    f"; the controller took its next step ({pending.what}) only {waited:.1f} s "
                    f"after the rules allowed it (#{first.change_id} to #{change.id}), with "
                    "nothing recorded to hold it: "
                ) + (
                    _slow_call(ctx, first, step)
                    or "its syncs came late (a controller-manager stopped or restarting, a "
                    "leader election, a busy work queue) or its API call was slow (an admission "
                    "webhook, the client's throttling): the recording cannot tell which"
                )
                break
        pending, first = (decision, step) if decision.state == "act" else (None, None)
    return told


def _in_gap(ctx: ProofContext, settled_ns: int) -> str:
    """'completed while the recorder was down (gap #3, recorder down): how long it took was not
    recorded': an episode a relist recorded whose spec was met by the same relist (its start
    and its end are both somewhere in the gap); "" otherwise."""
    trigger = ctx.changes[ctx.episode.trigger_change_id]
    if trigger.observed != "relist":
        return ""
    # The relist that closes a recorder's gaps lists each kind in turn, within about a second.
    closed = [
        g for g in ctx.gaps if g.from_wall_ns <= trigger.received_wall_ns <= g.to_wall_ns + 10**9
    ]
    if not closed or settled_ns > max(g.to_wall_ns for g in closed) + 10**9:
        return ""
    gap = next((g for g in closed if g.kind == "StatefulSet"), closed[0])
    return (
        f"completed while the recorder was down (gap #{gap.id}, {gap.reason}): how long it took "
        "was not recorded"
    )


def _slow_call(ctx: ProofContext, allowed: Transition, taken: Transition) -> str:
    """'its sync came in time and its API call landed late (…): the sync that took it read
    generation 2 (its status right after, #174), which a change replaced 0.3 s after the rules
    allowed the step (#169)': the status right after the step observed a generation the set had
    left before the step landed, so the sync that took it began before that, and the call took
    the rest (`updateStatefulSetStatus` ends every sync with the generation it read; one set's
    syncs never overlap). "" when the status does not show it."""
    sts = ctx.episode.statefulset
    status = sts.status_after(taken.rank)
    read = status.observed_generation if status is not None else None
    if status is None or read is None:
        return ""
    newer = next(
        (s for s in sts.specs if s.generation is not None and s.generation > read),
        None,
    )
    if newer is None or not (allowed.rank <= newer.rank < taken.rank):
        return ""
    began = (newer.received_wall_ns - allowed.received_wall_ns) / 1e9
    return (
        "its sync came in time and its API call landed late (an admission webhook, the "
        f"client's throttling): the sync that took it read generation {read} (its status right "
        f"after, #{status.change_id}), which a change replaced {began:.1f} s after the rules "
        f"allowed the step (#{newer.change_id})"
    )


def _observed_late(ctx: ProofContext, last: Decision) -> str:
    """'the controller had observed it: web-2 was deleted 0.0 s after this episode ended …, by
    the sync that read this spec …' when no status in the window observed the spec, yet a call
    that landed just after it was decided by a sync that read it (`landed_late`): a spec the
    next one replaced within the informer's lag, or a call held past it; "" otherwise."""
    if last.state != "waiting" or "not yet observed" not in last.what:
        return ""
    told = landed_late.told(ctx, landed_late.creations(ctx), "created")
    told += landed_late.told(ctx, landed_late.deletions(ctx, sorted(ctx.index.slots)), "deleted")
    return f"the controller had observed it{told}" if told else ""


def _acted_unobserved(ctx: ProofContext, last: Decision) -> str:
    """' (no status of generation 2 was recorded, yet it created web-3, web-4 under it: its
    status updates were refused or failing)': the controller acted on a spec no recorded status
    observed (it writes no Event when a status update fails)."""
    if last.state != "waiting" or "not yet observed" not in last.what:
        return ""
    pods = ctx.creations()
    created = [p.name for p in pods]
    if not pods:
        return ""
    quiet = (_window_end_ns(ctx) - pods[-1].created.received_wall_ns) / 1e9
    if quiet < NOTABLE_S:
        return ""  # a status may still have been on its way
    generation = ctx.episode.spec.generation
    return (
        f" (no status of generation {generation} was recorded, yet it created "
        f"{', '.join(created)} under it: its status updates were refused or failing)"
    )


def _window_end_ns(ctx: ProofContext) -> int:
    """When the episode's window closed: the next episode's first change, or the recording's end."""
    return ctx.wall_at_rank(ctx.episode.end_rank)


def _settled(ctx: ProofContext) -> int | None:
    """When (wall ns) the spec was met inside the window, or already was at its start."""
    start, end = ctx.episode.start_rank, ctx.episode.end_rank
    begun = start_ns(ctx)
    for step, decision in ctx.replay.between(start, end + 1):
        # A synthetic "available" step shares the rank of the change seen after it: it belongs
        # to the episode by its time, not its rank.
        inside = step.rank < end or step.what == "available"
        if decision.state == "settled" and step.received_wall_ns >= begun and inside:
            return step.received_wall_ns
    before = ctx.replay.at(start)
    if before is not None and before.state == "settled" and not any(ctx.replay.between(start, end)):
        return start_ns(ctx)
    return None


def _stands(ctx: ProofContext, last: Decision | None, holds: tuple[Hold, ...]) -> str:
    """Where the set stood when the window ended."""
    open_hold = holds[-1] if holds and holds[-1].to_wall_ns is None else None
    if open_hold is not None:
        detail = open_hold.detail + (f"; {open_hold.unscheduled}" if open_hold.unscheduled else "")
        if open_hold.cause in (causes.NOT_READY, causes.STARTING) and open_hold.begun_by:
            # what kept it not Ready (a crash loop, its node, its probe) or from starting
            detail += f"; {open_hold.begun_by}"
        elif open_hold.cause in REFUSED:
            detail += f": {open_hold.begun_by}"  # the Warning Events of the refused call
        what = (
            f"halted at {open_hold.pod} ({detail}) for {open_hold.seconds:.1f} s within the episode"
        )
    elif last is None:
        what = "nothing recorded"
    elif last.state == "held" and last.cause == causes.CLAIM_STALE and last.ordinal is not None:
        what = f"halted at {ctx.episode.statefulset.name}-{last.ordinal}: {last.what}"
    elif last.state == "held":
        what = f"waiting: {last.what}"
    elif last.state == "act":
        what = f"progressing, next step: {last.what}"
    else:
        what = _observed_late(ctx, last) or last.what + _acted_unobserved(ctx, last)
    outdated = ctx.outdated_at(ctx.episode.end_rank - 1)
    if outdated:
        names, revision, target = outdated
        what += f"; {names} still at revision {revision} (update revision {target})"
    return what
