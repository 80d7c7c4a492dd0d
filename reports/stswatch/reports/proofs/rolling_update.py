"""Rolling update: old-revision pods replaced from the highest ordinal down to the partition.

The default update loop (MaxUnavailableStatefulSet gate off) deletes at most one pod per sync,
walking `target` from the highest index down to `partition`, and returns while the replaced pod
is unavailable; so each replacement must be Running, Ready and Available before the next lower
ordinal is deleted. Pods below the partition are never deleted for the update
(`updateStatefulSet` in pkg/controller/statefulset/stateful_set_control.go). With
`maxUnavailable` > 1 the MaxUnavailableStatefulSet gate may allow several at once; then the order
and the budget are checked (`stswatch.reports.proofs.unavailable_budget`).

Only the controller's deletions are its replacements: a pod deleted by a client (told by the
controller's SuccessfulDelete Events, `stswatch.reports.history.attribution`) is reported as such,
and a rollout
that moved on only because a client deleted the pod holding it is the "forced rollback" of
https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#forced-rollback.
"""

from bisect import bisect_left
from dataclasses import dataclass
from heapq import heappop, heappush
from itertools import pairwise

from stswatch.reports import causes
from stswatch.reports.history.attribution import SPAM_FILTER, Actor
from stswatch.reports.history.episodes import UPDATE_KINDS
from stswatch.reports.history.informer import CACHE_LAG_NS
from stswatch.reports.history.lifecycles import PodIncarnation, Transition
from stswatch.reports.history.objects import parse_ordinal, parse_time
from stswatch.reports.history.pod_rules import max_unavailable
from stswatch.reports.history.pods import REVISION_LABEL
from stswatch.reports.history.statefulsets import SpecVersion, StatusVersion
from stswatch.reports.proofs import identity, landed_late, unavailable_budget
from stswatch.reports.proofs import revision as revisions
from stswatch.reports.proofs.context import (
    HeldCall,
    Problem,
    ProofContext,
    health,
    held_call,
    held_call_told,
    judged,
)
from stswatch.reports.proofs.continuation import Continuation, went_on
from stswatch.reports.proofs.force_deletion import cut_short
from stswatch.reports.proofs.progress import episode_progress
from stswatch.reports.proofs.scale_down import ready_count_note
from stswatch.reports.proofs.unseen_deletion import already_deleting as deleted_unseen
from stswatch.reports.proofs.unseen_deletion import listed_terminating
from stswatch.reports.proofs.unseen_deletion import reading as reading_began
from stswatch.reports.proofs.verdict import Evidence, Hold, Progress, Verdict

PROOF = "rolling-update"
KINDS = ("Pod", "StatefulSet")


@dataclass(frozen=True)
class Replacement:
    """One old-revision pod, when its deletion began, and the pod that replaced it."""

    old: PodIncarnation
    deletion: Transition
    new: PodIncarnation | None
    # the pod created in its place after the episode, at another revision than the update's:
    # the next spec's (a revert, a newer template), not this update's replacement
    elsewhere: PodIncarnation | None = None


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when the controller's replacements go highest ordinal first, each Ready before the
    next deletion; say whether the rollout completed, where it halted and who else acted."""
    spec = ctx.episode.spec
    if ctx.episode.kind not in UPDATE_KINDS:
        return None
    progress = episode_progress(ctx)
    revision = ctx.update_revision()
    replaced = _replacements(ctx, revision)
    # Terminating when a list found them inside the episode: deleted before the reading began,
    # when and by whom unseen (this update step, maybe): told, never judged as its deletion.
    unseen = [r.old for r in replaced if listed_terminating(r.old)]
    replaced = [r for r in replaced if not listed_terminating(r.old)]
    by_client = [r for r in replaced if _deleted_by(ctx, r.old) not in _CONTROLLER_OR_UNKNOWN]
    finished = [r for r in replaced if r not in by_client and _finished(r) is not None]
    replaced = [r for r in replaced if r not in by_client and r not in finished]
    story = _story(ctx, progress, by_client) + "".join(_finished_told(ctx, r) for r in finished)
    story = deleted_unseen(ctx, unseen) + story
    if spec.update_strategy == "OnDelete":
        by_controller = [
            r
            for r in replaced
            if _deleted_by(ctx, r.old) == causes.BY_CONTROLLER and not ctx.controller_reason(r.old)
        ]
        if by_controller:
            r = by_controller[0]
            reason = (
                f"the StatefulSet controller deleted {r.old.name} under OnDelete though it had "
                "not finished running: with OnDelete it deletes no pod for an update (only a "
                "Failed or Succeeded one, processReplica, or a condemned one)"
            )
            return ctx.verdict(PROOF, "fail", reason, _cited(ctx, r))
        wrong = _wrong_revision(ctx, ctx.created_in_window())
        if wrong is not None:  # the pods it creates again are judged as under RollingUpdate
            return wrong
        reason = "OnDelete: the controller replaces no pod for the update; pods take the update "
        reason += "revision only when deleted" + story
        return ctx.verdict(PROOF, "not-applicable", reason, _client_cited(ctx, by_client))
    created = ctx.created_in_window()
    wrong = _wrong_revision(ctx, created) or _updated_deleted(ctx, created) or _below(ctx)
    if wrong is not None:
        return wrong
    if not replaced:
        reason = f"the controller replaced no pod at or above partition {spec.partition}"
        if unseen:
            reason = (
                f"no deletion of a pod at or above partition {spec.partition} began after "
                f"{reading_began(ctx)} began"
            )
        first = spec.start_ordinal + spec.partition
        late = landed_late.deletions(ctx, range(first, spec.start_ordinal + spec.replicas))
        told = landed_late.told(ctx, late, "deleted")
        reason += ("" if told in story else told) + _decided_before(ctx) + story
        cited = _client_cited(ctx, by_client)
        if unseen:
            went = _went_on_unseen(ctx, progress)
            if isinstance(went, Verdict):
                return went
            cited += went
        return ctx.verdict(PROOF, "not-applicable", reason, cited)
    reading = unavailable_budget.read(ctx, replaced) if _widened(ctx) else None
    one_at_a_time = reading is None or not reading.overlapped
    problems = _in_order(ctx, replaced, one_at_a_time=one_at_a_time)
    problems.append(_left_behind(ctx, replaced, revision, created) if one_at_a_time else None)
    problems.append(_before_condemned_gone(ctx, replaced))
    problems.append(None if reading is not None else _while_unhealthy(ctx, replaced))
    problems.append(_while_above_unavailable(ctx, replaced, revision) if one_at_a_time else None)
    after, later = _carried(ctx, progress)
    if after is not None:
        problems += _in_order(ctx, later, one_at_a_time=one_at_a_time)
        problems.append(_before_condemned_gone(ctx, later))
    if reading is not None:
        problems.append(unavailable_budget.over_budget(ctx, reading))
    failed = judged(ctx, PROOF, problems)
    if failed is not None:
        return failed
    evidence = [e for r in replaced for e in _cited(ctx, r)] + _client_cited(ctx, by_client)
    evidence += [e for h in progress.holds for e in h.evidence]
    if after is not None:
        evidence += after.evidence
    lowest = min(r.old.ordinal or 0 for r in replaced)
    reached = lowest <= spec.start_ordinal + spec.partition or progress.state == "completed"
    came_back = [r.old.name for r in replaced if r.new is not None]
    not_back = [r.old.name for r in replaced if r.new is None]
    reason = "the controller " + ("replaced" if came_back else "deleted for the update")
    reason += " from the highest ordinal down"
    reason += (
        f" to partition {spec.partition}"
        if reached
        else f" (partition {spec.partition} not reached)"
    )
    reason += f": {', '.join(came_back or not_back)}"
    if came_back and not_back:  # deleted for it, not (yet) created again at its revision
        reason += f", then deleted {', '.join(not_back)} for the update"
    reason += "".join(_replaced_again(ctx, r, evidence) for r in replaced)
    reason += _came_back_elsewhere(ctx, replaced, revision, evidence)
    reason += _inherited(ctx, revision, evidence)
    reason += "".join(
        cut_short(ctx, r.old, evidence, purpose="the update", new=r.new) for r in replaced
    )
    if reading is not None:
        reason += f" ({unavailable_budget.told(ctx, reading)})"
    reason += next(
        (
            note
            for h in progress.holds
            if h.cause == causes.TERMINATING
            and (note := ready_count_note(ctx, h.from_wall_ns, h.to_wall_ns))
        ),
        "",
    )
    return ctx.verdict(PROOF, "pass", reason + _unattributed(ctx, replaced) + story, evidence)


def _came_back_elsewhere(
    ctx: ProofContext, replaced: list[Replacement], revision: str | None, evidence: list[Evidence]
) -> str:
    """'; web-2 came back only after this episode, created at web-858d558b86 (#734), the
    revision the next spec gives it: no pod reached this update's web-67b45c9d7f in it' for the
    pods deleted for this update whose place a later spec filled (a revert, a newer template
    while the deleted pod was still terminating)."""
    told = []
    gone = ctx.set_gone
    for r in replaced:
        new = r.elsewhere
        if new is None and r.new is None and gone is not None and gone.rank > r.deletion.rank:
            told.append(
                f"{r.old.name} was not created again: the StatefulSet's deletion began "
                f"(#{gone.change_id}) while it terminated"
            )
            continue
        if new is None:
            continue
        evidence.append(ctx.cite_step(new, new.created, f"{new.name} ({new.revision}) created"))
        told.append(
            f"{new.name} came back only after this episode, created at {new.revision} "
            f"(#{new.created.change_id}), the revision the next spec gives it"
        )
    if not told:
        return ""
    reached = any(r.new is not None and r.new.revision == revision for r in replaced)
    none = "" if reached else f": no pod reached this update's {revision} in it"
    return "; " + "; ".join(told) + none


def _inherited(ctx: ProofContext, revision: str | None, evidence: list[Evidence]) -> str:
    """'; web-2, deleted for the earlier update (#1569) and still terminating when this one
    began, was created at this update's revision (#1583)' for each pod the episode created at
    its revision in the place of one the controller deleted before it began."""
    if revision is None:
        return ""
    told = []
    for pod in ctx.created_in_window():
        if pod.revision != revision or pod.ordinal is None:
            continue
        incs = ctx.slots.get(pod.ordinal, ())
        at = ctx.index.position(pod)
        old = incs[at - 1] if at > 0 and incs[at] is pod else None
        began = old.deletion_began if old is not None else None
        if old is None or began is None or began.rank >= ctx.episode.start_rank:
            continue
        if _deleted_by(ctx, old) != causes.BY_CONTROLLER or ctx.controller_reason(old) != "update":
            continue
        evidence.append(ctx.cite_step(old, began, f"{old.name} ({old.revision}) deletion began"))
        evidence.append(ctx.cite_step(pod, pod.created, f"{pod.name} ({pod.revision}) created"))
        told.append(
            f"{pod.name}, deleted for an earlier update (#{began.change_id}) before this one "
            f"began, was created at this update's revision (#{pod.created.change_id})"
        )
    return "".join(f"; {t}" for t in told)


def _replaced_again(ctx: ProofContext, r: "Replacement", evidence: list[Evidence]) -> str:
    """' (web-2 replaced again: a client rewrote the new web-2's controller-revision-hash label
    to web-tampered …)': the update walk compares the label (getPodRevision), not the revision
    the pod was created at, so a fresh pod relabelled away from the update revision is deleted
    and created again. Adds the relabel and that deletion to `evidence`."""
    new = r.new
    deletion = new.deletion_began if new is not None else None
    if new is None or deletion is None or not ctx.episode.contains(deletion.rank):
        return ""
    label = new.revision_at(deletion.rank)
    if label == new.revision or _deleted_by(ctx, new) != causes.BY_CONTROLLER:
        return ""
    relabel = next(
        (rank for labels, rank in new.relabels if labels.get(REVISION_LABEL) == label), None
    )
    if relabel is not None:
        evidence.append(ctx.cite(ctx.ids_by_rank[relabel], f"{new.name} relabelled {label}"))
    evidence.append(ctx.cite_step(new, deletion, f"{new.name} deleted again"))
    return (
        f" ({new.name} replaced again: its controller-revision-hash label was rewritten to "
        f"{label} after it was created at {new.revision}, and the update walk replaces a pod "
        "whose label is not the update revision, getPodRevision)"
    )


_CONTROLLER_OR_UNKNOWN = (causes.BY_CONTROLLER, "unknown")


def _dropped(actor: Actor | None) -> bool:
    return actor is not None and actor.who == "unknown" and SPAM_FILTER in actor.basis


def _unattributed(ctx: ProofContext, replaced: list["Replacement"]) -> str:
    """'; who deleted web-7, web-6 is not recorded (<basis>): ...' for deletions whose Events
    the controller's event recorder dropped (a recording without Events says so elsewhere)."""
    unknown = [r for r in replaced if _dropped(ctx.deleted_by(r.old))]
    if not unknown:
        return ""
    actor = ctx.deleted_by(unknown[0].old)
    names = (
        ", ".join(r.old.name for r in unknown)
        if len(unknown) <= 6
        else f"{len(unknown)} of them ({unknown[0].old.name} to {unknown[-1].old.name})"
    )
    basis = f" ({actor.basis})" if actor is not None else ""
    return f"; who deleted {names} is not recorded{basis}: read as the controller's by their order"


def _deleted_by(ctx: ProofContext, pod: PodIncarnation) -> str:
    actor = ctx.deleted_by(pod)
    return actor.who if actor is not None else "unknown"


def _restored(ctx: ProofContext) -> list[str]:
    """'web-3 deleted by a client and created again at revision X, the currentRevision
    newVersionedStatefulSetPod gives it below partition 4 (it had been at Y)': a pod below the
    partition that someone other than the rollout deleted comes back at currentRevision, though
    it had been updated (the e2e "Restoring Pods to the correct revision when they are deleted")."""
    spec = ctx.episode.spec
    if spec.update_strategy != "RollingUpdate":
        return []
    told = []
    for r in ctx.recreations_in_window():
        old, new = r.old, r.new
        below = spec.start_ordinal + spec.partition
        if new.ordinal is None or new.ordinal >= below or old.revision == new.revision:
            continue
        actor = ctx.deleted_by(old)
        if actor is None or actor.who in _CONTROLLER_OR_UNKNOWN:
            continue
        found = revisions.created_at(ctx.episode.statefulset, new)
        if found is None or not found.ok or found.field != "currentRevision":
            continue
        told.append(
            f"{old.name} deleted by {actor.who} and created again at revision {new.revision}, the "
            f"currentRevision newVersionedStatefulSetPod gives it below partition {spec.partition} "
            f"(it had been at {old.revision})"
        )
    return told


def _story(ctx: ProofContext, progress: Progress, by_client: list["Replacement"]) -> str:
    """The rollout's progress, the forced rollback and the client's deletions, as clauses."""
    # The docs' forced rollback: a pod that never turns Running and Ready, deleted by hand. A
    # terminating pod (a finalizer, a grace period) is waited for, never rolled back.
    # Without the template reverted, a client deleting the held pod is no rollback.
    forced = [
        h
        for h in progress.holds
        if (h.released_by.endswith(causes.DELETED_BY_CLIENT) or h.again)
        and h.cause != causes.TERMINATING
    ]
    parts = [progress.headline or progress.text if forced else progress.text]
    for hold in forced:
        docs = " (the forced rollback of the StatefulSet docs)" if _reverted(ctx, hold) else ""
        if hold.to_wall_ns is None:
            # Still held when the episode ended: the client's delete moved nothing on.
            parts.append(
                f"the controller stood still for {_stood(ctx, hold):.1f} s held at {hold.pod} "
                f"({hold.cause}) until {hold.pod} was {causes.DELETED_BY_CLIENT}{docs}, and the "
                f"rollout stayed halted at the {hold.pod} created in its place"
            )
            continue
        parts.append(
            f"the rollout moved on only after {hold.pod} was {causes.DELETED_BY_CLIENT}{docs}: "
            f"the controller stood still for {_stood(ctx, hold):.1f} s held at {hold.pod} "
            f"({hold.cause})"
        )
    for r in by_client:
        if not any(h.pod == r.old.name for h in forced):
            parts.append(
                f"{r.old.name} was deleted by {_deleted_by(ctx, r.old)}, not by the controller"
            )
    parts += _restored(ctx)
    return "; " + "; ".join(parts)


def _stood(ctx: ProofContext, hold: Hold) -> float:
    """Seconds the controller stood still at the held pod: until a client first deleted it (a
    hold that went on at the pod created in its place, `Hold.again`, lasted longer)."""
    parsed = parse_ordinal(hold.pod)
    if not hold.again or parsed is None:
        return hold.seconds
    for pod in ctx.slots.get(parsed[1], ()):
        began = pod.deletion_began
        if began is not None and began.received_wall_ns >= hold.from_wall_ns:
            return max(0.0, (began.received_wall_ns - hold.from_wall_ns) / 1e9)
    return hold.seconds


def _reverted(ctx: ProofContext, hold: Hold) -> bool:
    """The template went back to an earlier one in this episode before the hold ended: the docs'
    forced rollback reverts the template, then deletes the pod the rollout is stuck on."""
    sts = ctx.episode.statefulset
    end = hold.to_wall_ns if hold.to_wall_ns is not None else ctx.recording_end_ns
    return any(
        sts.reverted_at(spec.rank) is not None
        for spec in sts.specs
        if spec.rank >= ctx.episode.start_rank and spec.received_wall_ns <= end
    )


def _client_cited(ctx: ProofContext, by_client: list["Replacement"]) -> list[Evidence]:
    return [
        ctx.cite_step(r.old, r.deletion, f"{r.old.name} deleted by {_deleted_by(ctx, r.old)}")
        for r in by_client
    ]


def _widened(ctx: ProofContext) -> bool:
    """maxUnavailable lets more than one pod be unavailable at once (if the gate is on)."""
    spec = ctx.episode.spec
    return max_unavailable(spec.max_unavailable, spec.replicas) > 1


def _replacements(ctx: ProofContext, revision: str | None) -> list[Replacement]:
    """The old-revision pods at or above the partition whose deletion began in the episode: those
    alive at its start, and those created in it at another revision than the update's (a
    creation decided before the template changed, its CREATE landing after: the update step
    replaces it like any other)."""
    spec = ctx.episode.spec
    found = []
    lowest = spec.start_ordinal + spec.partition
    for ordinal in range(lowest, spec.end_ordinal):
        incs = ctx.slots.get(ordinal, ())
        at_start = ctx.alive(ordinal, ctx.episode.start_rank)
        olds = [at_start] if at_start is not None else []
        if revision is not None:  # incarnations are oldest first: those created in the window
            low = bisect_left(incs, ctx.episode.start_rank, key=_created_rank)
            high = bisect_left(incs, ctx.episode.end_rank, key=_created_rank)
            olds += [
                p
                for p in incs[low:high]
                if p is not at_start and p.revision is not None and p.revision != revision
            ]
        for old in olds:
            if revision is not None and old.revision == revision:
                continue
            deletion = old.deletion_began
            if deletion is None or not ctx.episode.contains(deletion.rank):
                continue
            later = [p for p in incs if p.created.rank > deletion.rank]
            new = later[0] if later else None
            if (
                new is not None
                and revision is not None
                and new.revision != revision
                and new.created.rank >= ctx.episode.end_rank
            ):
                found.append(Replacement(old, deletion, None, elsewhere=new))
            else:
                found.append(Replacement(old, deletion, new))
    return sorted(found, key=lambda r: r.deletion.rank)


def _went_on_unseen(ctx: ProofContext, progress: Progress) -> Verdict | list[Evidence]:
    """For a rollout whose only victims in the episode a list found terminating: its steps after
    a change cut it, judged in order among themselves as the pass path judges them (a failure's
    verdict), else their evidence."""
    after, later = _carried(ctx, progress)
    if after is None:
        return []
    failed = judged(ctx, PROOF, _in_order(ctx, later, one_at_a_time=not _widened(ctx)))
    return failed if failed is not None else list(after.evidence)


def _carried(
    ctx: ProofContext, progress: Progress
) -> tuple[Continuation | None, list[Replacement]]:
    """The rollout's replacements after a change cut its episode (`went_on`), as Replacements;
    (None, []) when it was not cut. They obey the same order among themselves (the range changed
    between: the one before the cut may be condemned)."""
    after = went_on(ctx) if progress.state == "superseded" else None
    if after is None:
        return None, []
    return after, [Replacement(old, began, new) for old, began, new in after.steps]


def _in_order(
    ctx: ProofContext, replaced: list[Replacement], *, one_at_a_time: bool
) -> list[Problem]:
    """`_problem` for each replacement and the next one."""
    return [
        _problem(ctx, earlier, later, one_at_a_time=one_at_a_time)
        for earlier, later in pairwise(replaced)
    ]


def _created_rank(pod: PodIncarnation) -> int:
    return pod.created.rank


def _below(ctx: ProofContext) -> Verdict | None:
    """A pod below the partition (of every spec a sync may have read) that the StatefulSet
    controller deleted in the episode with none of its reasons: the update step walks only
    `target >= updateMin` (the partition), so it never deletes one for the update."""
    spec = ctx.episode.spec
    for ordinal in range(spec.start_ordinal, spec.start_ordinal + spec.partition):
        old = ctx.alive(ordinal, ctx.episode.start_rank)
        deletion = old.deletion_began if old is not None else None
        if old is None or deletion is None or not ctx.episode.contains(deletion.rank):
            continue
        if _deleted_by(ctx, old) != causes.BY_CONTROLLER or ctx.controller_reason(old):
            continue
        reason = (
            f"the StatefulSet controller deleted {old.name} below partition {spec.partition} "
            "with none of its reasons (not Failed or Succeeded, not condemned): the update step "
            "walks only the ordinals at or above the partition (updateStatefulSet)"
        )
        cited = [ctx.cite_step(old, deletion, f"{old.name} deletion began")]
        slow = ctx.slow_call_reason(old)
        if slow:
            return ctx.verdict(PROOF, "inconclusive", reason + ctx.slow_call_told(old, slow), cited)
        return ctx.verdict(PROOF, "fail", reason, cited)
    return None


def _decided_before(ctx: ProofContext) -> str:
    """'; web-1's DELETE was decided by a sync that read generation 2 (…)' for each pod below
    the partition the controller deleted in the episode under the spec its sync read
    (`ProofContext.read_by_sync_note`)."""
    spec = ctx.episode.spec
    told = ""
    for ordinal in range(spec.start_ordinal, spec.start_ordinal + spec.partition):
        old = ctx.alive(ordinal, ctx.episode.start_rank)
        deletion = old.deletion_began if old is not None else None
        if old is None or deletion is None or not ctx.episode.contains(deletion.rank):
            continue
        if _deleted_by(ctx, old) == causes.BY_CONTROLLER:
            told += ctx.read_by_sync_note(deletion, f"{old.name}'s DELETE")
    return told


def _finished(r: Replacement) -> Transition | None:
    """The pod's Failed or Succeeded phase before its deletion began, if it had one: then the
    controller deleted it as processReplica deletes any pod that finished running (to create it
    again), at any point of a rollout, not as the update walk's step."""
    return r.old.finished()


def _finished_told(ctx: ProofContext, r: Replacement) -> str:
    """'; web-0 ended Failed and was deleted by the StatefulSet controller and created again at
    revision X (processReplica replaces a pod that finished running; not an update step)'."""
    ended = _finished(r)
    phase = ended.what.capitalize() if ended is not None else "finished"
    who = _deleted_by(ctx, r.old)
    who = "" if who == "unknown" else f" by {who}"
    again = f" and created again at revision {r.new.revision}" if r.new is not None else ""
    return (
        f"; {r.old.name} ended {phase} and was deleted{who}{again} (processReplica replaces a pod "
        "that finished running: not an update step)"
    )


def _problem(
    ctx: ProofContext, earlier: Replacement, later: Replacement, *, one_at_a_time: bool
) -> Problem:
    if (later.old.ordinal or 0) > (earlier.old.ordinal or 0):
        return f"{later.old.name} was replaced after {earlier.old.name}: ordinals ascending", [
            ctx.cite_step(earlier.old, earlier.deletion, f"{earlier.old.name} deletion began"),
            ctx.cite_step(later.old, later.deletion, f"{later.old.name} deletion began after it"),
        ]
    if not one_at_a_time:
        return None
    rank = later.deletion.rank
    ordinal = earlier.old.ordinal
    read = ctx.episode.statefulset.spec_read(later.deletion.rank)
    if ordinal is not None and read is not None and not read.in_range(ordinal):
        return None  # condemned by then (a scale-down): the update walk waits on no pod there
    new = earlier.new
    gone = new.deleted if new is not None else None
    if new is not None and new.ordinal is not None and gone is not None and gone.rank <= rank:
        # Gone since (a client deleted the replacement): the walk waits on the pod at its
        # ordinal now, created again by processReplica.
        new = ctx.alive(new.ordinal, rank) or new
    minimum = ctx.min_ready_at(rank)
    # Availability is judged when the DELETE was made: a terminating step's deletionTimestamp
    # lies the grace period after it.
    at = (ctx.requested_at(later.deletion) if minimum else None) or parse_time(
        later.deletion.api_time
    )
    state = health(new, rank, min_ready_seconds=minimum, at=at) if new else None
    if state is not None and state.ok:
        return None
    what = state.problem if state else "not yet created"
    name = new.name if new else earlier.old.name
    cited = [ctx.cite_step(later.old, later.deletion, f"{later.old.name} deletion began")]
    if new is not None and state is not None and state.step is not None:
        cited.insert(0, ctx.cite_step(new, state.step, f"new {new.name} {state.step.what}"))
    reason = f"{later.old.name} was deleted while the replacement {name} was {what}"
    ready = new.last_before(rank, ("ready",)) if new is not None else None
    if new is None or state is None or ready is None:
        return reason, cited
    if not held_call(
        new, state, enabled_at=ready.rank, decision=later.deletion, min_ready_seconds=minimum
    ):
        return reason, cited
    told = held_call_told(
        reason, call="DELETE", decision=later.deletion, pod=new, state=state,
        enabled=f"{new.name} was Ready",
    )  # fmt: skip
    return HeldCall(told, cited)


def _while_unhealthy(ctx: ProofContext, replaced: list[Replacement]) -> Problem:
    """Under OrderedReady a deletion for the update while an in-range pod (the deleted one
    included) was missing or not Running and Ready: processReplica's walk returns at the first
    such pod (`if !isHealthy(replicas[i]) && monotonic`) before the update step is reached (the
    forced rollback of the StatefulSet docs, kubernetes#67250). A pod that turned unhealthy
    within the informer cache's lag before the deletion may not have been seen; one that turned
    so after the previous replacement was Ready and up to SLOW_CALL_NS before, a DELETE held that
    long (`held_call`): inconclusive when no other deletion fails."""
    spec = ctx.episode.spec
    if spec.pod_management_policy != "OrderedReady":
        return None
    lowest = ctx.index.lowest_unhealthy(spec.start_ordinal)
    held: HeldCall | None = None
    for i, r in enumerate(replaced):
        if _deleted_by(ctx, r.old) != causes.BY_CONTROLLER:
            continue
        rank = r.deletion.rank
        first = lowest.get(rank, spec.end_ordinal)
        if first >= spec.end_ordinal:
            continue
        blocker = ctx.alive(first, rank)
        state = health(blocker, rank, min_ready_seconds=0, at=None) if blocker else None
        step = state.step if state is not None else None
        if (
            step is not None
            and blocker is not None
            and r.deletion.received_wall_ns - step.received_wall_ns <= CACHE_LAG_NS
            and (
                health(blocker, step.rank, min_ready_seconds=0, at=None).ok
                or first > (r.old.ordinal or 0)  # judged by _while_above_unavailable
            )
        ):
            # Its turn from Running and Ready may not have reached the controller's cache yet; a
            # pod never healthy since it was created (the ordinal missing before) stops the walk
            # either way.
            continue
        name = f"{ctx.episode.statefulset.name}-{first}"
        what = state.problem if state is not None else "missing"
        cited = [ctx.cite_step(r.old, r.deletion, f"{r.old.name} deletion began")]
        if blocker is not None and step is not None:
            cited.insert(0, ctx.cite_step(blocker, step, f"{name} {what}"))
        reason = (
            f"the StatefulSet controller deleted {r.old.name} for the update while {name} was "
            f"{what}: under OrderedReady processReplica stops at the first pod not Running and "
            "Ready before any update step (the forced rollback of the StatefulSet docs, "
            "kubernetes#67250)"
        )
        enabled = _enabled(ctx, replaced[i - 1] if i else None, rank)
        if blocker is None and (gone := ctx.gone_before(first, rank)) is not None:
            blocker, state = gone  # deleted since: the sync may have read it there
            if state.step is not None:
                cited.insert(0, ctx.cite_step(blocker, state.step, f"{name} deletion began"))
        if (
            blocker is None
            or state is None
            or not held_call(
                blocker, state, enabled_at=enabled[0], decision=r.deletion, min_ready_seconds=0
            )
        ):
            return reason, cited
        told = held_call_told(
            reason, call="DELETE", decision=r.deletion, pod=blocker, state=state,
            enabled=enabled[1],
        )  # fmt: skip
        held = held or HeldCall(told, cited)
    return held


def _enabled(ctx: ProofContext, earlier: Replacement | None, rank: int) -> tuple[int, str]:
    """The change a cache must have shown for the update step to delete at `rank`: the
    earlier replacement's last turn to Ready before it (the step waits for it), else the
    episode's start."""
    start = ctx.episode.start_rank, "the update began"
    new = earlier.new if earlier is not None else None
    ready = new.last_before(rank, ("ready",)) if new is not None else None
    if new is None or ready is None or ready.rank < start[0]:
        return start
    return ready.rank, f"{new.name} was Ready"


def _while_above_unavailable(
    ctx: ProofContext, replaced: list[Replacement], target: str | None
) -> Problem:
    """A deletion for the update while an in-range pod above it was missing or unavailable,
    whoever made it so (a client's deletion, not only the controller's replacements): the update
    step walks `target` from the highest index down and returns at the first pod it does not
    replace that `isUnavailable` (`pod_rules.halts_walk`; "waiting for Pod to update"), under
    either policy. A pod the walk could have passed (at the update revision, Running and Ready,
    not terminating) within the informer cache's lag before the deletion may still have looked
    so: not held against it; one that turned unavailable (or began terminating) after it was
    Ready and up to SLOW_CALL_NS before, a DELETE held that long (`held_call`): inconclusive
    when no other deletion fails.

    Each ordinal is asked once: above the first replacement every in-range ordinal, above each
    later one those up to the one replaced before it (which `_problem` asks too, with
    minReadySeconds): O(pods) for the episode.
    """
    if target is None:
        return None
    spec = ctx.episode.spec
    top = spec.end_ordinal
    held: HeldCall | None = None
    for r in replaced:
        if _deleted_by(ctx, r.old) != causes.BY_CONTROLLER or r.old.ordinal is None:
            continue
        rank = r.deletion.rank
        for ordinal in range(r.old.ordinal + 1, top):
            pod = ctx.alive(ordinal, rank)
            state = health(pod, rank, min_ready_seconds=0, at=None) if pod else None
            ok = pod is not None and state is not None and state.ok
            if ok and pod is not None and pod.revision_at(rank) == target:
                continue
            if _seen_passable(ctx, ordinal, r.deletion, target):
                continue
            name = f"{ctx.episode.statefulset.name}-{ordinal}"
            what = state.problem if state is not None else "missing"
            if ok and pod is not None:
                what = f"at revision {pod.revision_at(rank)}"
            cited = [ctx.cite_step(r.old, r.deletion, f"{r.old.name} deletion began")]
            if pod is not None and state is not None and state.step is not None:
                cited.insert(0, ctx.cite_step(pod, state.step, f"{name} {state.step.what}"))
            what += _created_again(ctx, pod)
            reason = (
                f"{r.old.name} was deleted for the update while {name}, above it, was {what}: "
                "the update step walks from the highest ordinal down and waits at a pod that is "
                "unavailable (isUnavailable, updateStatefulSet), whoever deleted it"
            )
            told = None if ok else _held_above(ctx, ordinal, r.deletion, reason)
            if told is None:
                return reason, cited
            held = held or HeldCall(told, cited)
        top = r.old.ordinal + 1
    return held


def _held_above(ctx: ProofContext, ordinal: int, deletion: Transition, fail: str) -> str | None:
    """The held-call reason (`held_call_told`) when the pod at `ordinal` above an update
    deletion was Ready, and there, after the update began and up to SLOW_CALL_NS before the
    deletion landed; else None."""
    rank = deletion.rank
    pod = ctx.alive(ordinal, rank)
    if pod is not None:
        state = health(pod, rank, min_ready_seconds=0, at=None)
    elif (gone := ctx.gone_before(ordinal, rank)) is not None:
        pod, state = gone
    else:
        return None
    ready = pod.last_before(state.step.rank if state.step else rank, ("ready",))
    start = ctx.episode.start_rank
    enabled = (
        (ready.rank, f"{pod.name} was Ready")
        if ready and ready.rank >= start
        else (start, "the update began")
    )
    if not held_call(pod, state, enabled_at=enabled[0], decision=deletion, min_ready_seconds=0):
        return None
    return held_call_told(
        fail, call="DELETE", decision=deletion, pod=pod, state=state, enabled=enabled[1]
    )


def _created_again(ctx: ProofContext, pod: PodIncarnation | None) -> str:
    """' (created again after a client deleted it)' for a pod created in the episode in place of
    one someone other than the controller deleted; else ""."""
    if pod is None or pod.created.rank < ctx.episode.start_rank:
        return ""
    old = ctx.previous(pod)
    actor = ctx.deleted_by(old) if old is not None else None
    if actor is None or not actor.other:
        return ""
    return f" (created again after {actor.who} deleted it)"


def _seen_passable(ctx: ProofContext, ordinal: int, deletion: Transition, target: str) -> bool:
    """Whether the pod at `ordinal` was, at some moment within CACHE_LAG_NS before `deletion`
    (and in the episode), at the update revision `target`, Running and Ready and not
    terminating: a cache a moment old may have shown it so. O(its steps in that span)."""
    since = deletion.received_wall_ns - CACHE_LAG_NS
    start = ctx.episode.start_rank
    for pod in ctx.slots.get(ordinal, ()):
        if pod.created.rank >= deletion.rank or (
            pod.deleted is not None and pod.deleted.rank < start
        ):
            continue
        for step in pod.transitions:
            if step.rank >= deletion.rank:
                break
            if step.rank < start or step.received_wall_ns < since or step.what == "created":
                continue
            before = health(pod, step.rank, min_ready_seconds=0, at=None)
            if before.ok and pod.revision_at(step.rank - 1) == target:
                return True
    return False


def _before_condemned_gone(
    ctx: ProofContext, replaced: list[Replacement]
) -> tuple[str, list[Evidence]] | None:
    """Under OrderedReady an update deletion while a condemned pod of the set is still there:
    processCondemned runs before the update step and, monotonic, returns while it deletes or
    waits for a condemned pod ("waiting for Pod to Terminate prior to scale down"), so the update
    step is reached only once every condemned pod is gone. A spec within the informer cache's lag
    before the deletion that kept the pod in range excuses it (a sync may have read that one)."""
    if ctx.episode.spec.pod_management_policy != "OrderedReady":
        return None
    sts = ctx.episode.statefulset
    for r in replaced:
        if _deleted_by(ctx, r.old) != causes.BY_CONTROLLER:
            continue
        rank = r.deletion.rank
        specs = sts.specs_seen(rank, r.deletion.received_wall_ns)
        for pod in ctx.index.alive_at(rank):
            if pod.ordinal is None or any(
                spec.in_range(pod.ordinal) and _range_filled(ctx, spec, rank) for spec in specs
            ):
                continue
            gone = pod.deleted
            cited = [ctx.cite_step(r.old, r.deletion, f"{r.old.name} deletion began")]
            if gone is not None:
                cited.append(ctx.cite_step(pod, gone, f"condemned {pod.name} gone"))
            reason = (
                f"{r.old.name} was deleted for the update while the condemned {pod.name} was "
                "still there: under OrderedReady processCondemned waits for every condemned pod "
                "to go before updateStatefulSet reaches the update step"
            )
            return reason, cited
    return None


def _range_filled(ctx: ProofContext, spec: SpecVersion, rank: int) -> bool:
    """Whether every ordinal `spec` asks for had a pod at `rank`: only then can a sync reading
    that spec reach the update step under OrderedReady (processReplica creates a missing ordinal
    first and returns). Read only for a condemned pod found alive: no walk in the common case."""
    ordinals = range(spec.start_ordinal, spec.start_ordinal + spec.replicas)
    return all(ctx.alive(ordinal, rank) is not None for ordinal in ordinals)


def _wrong_revision(ctx: ProofContext, created: list[PodIncarnation]) -> Verdict | None:
    """A pod created in the window at a revision newVersionedStatefulSetPod does not give its
    ordinal (`stswatch.reports.proofs.revision`): below the partition currentRevision, else
    updateRevision; or without its ordinal's identity (`stswatch.reports.proofs.identity`)."""
    unlike = identity.first_refused(ctx, PROOF, created)
    if unlike is not None:
        return unlike
    for pod in created:
        found = revisions.created_at(ctx.episode.statefulset, pod)
        if found is None or found.ok:
            continue
        partition = ctx.episode.statefulset.spec_at(pod.created.rank).partition
        cited = [ctx.cite_step(pod, pod.created, f"{pod.name} created at {pod.revision}")]
        reason = revisions.refused(found, partition)
        return ctx.verdict(PROOF, revisions.outcome(found), reason, cited)
    return None


def _updated_deleted(ctx: ProofContext, created: list[PodIncarnation]) -> Verdict | None:
    """A pod already at the update revision whose deletion the controller began in the window,
    though it was in range and neither Failed nor Succeeded: the update walk deletes only pods
    with `getPodRevision(pod) != updateRevision.Name` (updateStatefulSet; the e2e suite's
    assertUpdateInvariants), and processReplica only terminal ones. A pod whose
    controller-revision-hash label ever read another revision before its deletion is not judged
    here: the walk reads the label, and which one its cache held is not recorded."""
    sts = ctx.episode.statefulset
    updates = {s.update_revision for s in sts.statuses if s.update_revision}
    at_start = (ctx.alive(o, ctx.episode.start_rank) for o in ctx.slots)
    for pod in {p.uid: p for p in (*at_start, *created) if p is not None}.values():
        if pod.revision not in updates or pod.ordinal is None:
            continue  # at no update revision ever: a replacement the walk may make
        deletion = pod.deletion_began
        if deletion is None or not ctx.episode.contains(deletion.rank):
            continue
        spec = sts.spec_at(deletion.rank)
        around = (sts.status_at(deletion.rank), sts.status_after(deletion.rank))
        status = next((s for s in around if _read(s, spec.generation)), None)
        target = status.update_revision if status is not None else None
        in_range = spec.in_range(pod.ordinal)
        if target is None or pod.revisions_until(deletion.rank) != {target} or not in_range:
            continue  # a label a client rewrote is what the walk reads (getPodRevision)
        if pod.finished() is not None:
            continue  # processReplica deletes a Failed or Succeeded pod to recreate it
        if _deleted_by(ctx, pod) != causes.BY_CONTROLLER:
            continue
        reason = (
            f"the controller deleted {pod.name}, already at the update revision {target}: the "
            "update walk deletes only pods not at updateRevision (updateStatefulSet; "
            "assertUpdateInvariants)"
        )
        cited = [ctx.cite_step(pod, deletion, f"{pod.name} ({pod.revision}) deletion began")]
        return ctx.verdict(PROOF, "fail", reason, cited)
    return None


def _read(status: StatusVersion | None, generation: int | None) -> bool:
    """Whether `status` was written by a sync that had read the spec of `generation` (so its
    updateRevision is the one the deleting sync had: the last status before the deletion, or
    the one that sync wrote just after it)."""
    if status is None or generation is None or status.observed_generation is None:
        return False
    return status.observed_generation == generation


def _left_behind(
    ctx: ProofContext,
    replaced: list["Replacement"],
    target: str | None,
    created: list[PodIncarnation],
) -> tuple[str, list[Evidence]] | None:
    """A replacement while an in-range ordinal above it was still at an old revision: the update
    walks `target` from the highest index down and replaces that one first (updateStatefulSet).

    One sweep over the replacements (in rank order) with the stale pods in a heap by ordinal:
    O((pods + replacements) log pods) for the episode.
    """
    if target is None or not replaced:
        return None
    spec = ctx.episode.spec
    in_range = range(spec.start_ordinal, spec.end_ordinal)
    at_start = (ctx.alive(o, ctx.episode.start_rank) for o in in_range)
    pods = {p.uid: p for p in (*at_start, *created) if p is not None}
    stale = sorted(
        (p for p in pods.values() if p.revision not in (None, target) and p.ordinal in in_range),
        key=lambda p: p.created.rank,
    )
    heap: list[tuple[int, int, PodIncarnation]] = []  # (-ordinal, end rank, pod)
    i = 0
    for r in replaced:
        rank = r.deletion.rank
        while i < len(stale) and stale[i].created.rank <= rank:
            pod = stale[i]
            heappush(heap, (-(pod.ordinal or 0), _stale_until(pod, target), pod))
            i += 1
        while heap and heap[0][1] <= rank:
            heappop(heap)  # terminating or gone by now
        if not heap or -heap[0][0] <= (r.old.ordinal or 0):
            continue
        above = heap[0][2]
        reason = (
            f"{r.old.name} was replaced while {above.name}, above it, was still at revision "
            f"{above.revision}: the update walks from the highest ordinal down and replaces "
            f"{above.name} first (updateStatefulSet)"
        )
        return reason, [
            ctx.cite_step(above, above.created, f"{above.name} created at {above.revision}"),
            ctx.cite_step(r.old, r.deletion, f"{r.old.name} deletion began"),
        ]
    return None


def _stale_until(pod: PodIncarnation, target: str) -> int:
    """The first rank at which the pod no longer stands in the walk's way: just after its
    termination began, its removal, or a client relabelling it to the update revision (the
    walk reads the controller-revision-hash label: getPodRevision)."""
    ends = [t.rank + 1 for t in (pod.terminating,) if t is not None]
    ends += [t.rank for t in (pod.deleted,) if t is not None]
    ends += [r for labels, r in pod.relabels if labels.get(REVISION_LABEL) == target][:1]
    return min(ends, default=1 << 62)


def _cited(ctx: ProofContext, r: Replacement) -> list[Evidence]:
    cited = [ctx.cite_step(r.old, r.deletion, f"{r.old.name} ({r.old.revision}) deletion began")]
    if r.new is not None:
        cited.append(
            ctx.cite_step(r.new, r.new.created, f"{r.new.name} ({r.new.revision}) created")
        )
        ready = r.new.first("ready")
        if ready is not None:
            cited.append(ctx.cite_step(r.new, ready, f"{r.new.name} Ready"))
    return cited
