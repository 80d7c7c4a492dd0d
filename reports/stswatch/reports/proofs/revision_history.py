"""ControllerRevisions kept within `revisionHistoryLimit`, once an update episode settled.

At the end of every sync `truncateHistory` (pkg/controller/statefulset/stateful_set_control.go)
marks live the revisions that `status.currentRevision`, `status.updateRevision` or any pod's
`controller-revision-hash` names, and deletes the oldest of the others until at most
`spec.revisionHistoryLimit` (default 10) remain. The live ones are never counted against the
limit: during a phased rollout both revisions, and the pods' own, stay.
"""

from stswatch.reports.history.episodes import UPDATE_KINDS
from stswatch.reports.history.revisions import RevisionIncarnation
from stswatch.reports.proofs.context import NOT_RECORDED, ProofContext
from stswatch.reports.proofs.verdict import Evidence, Verdict

PROOF = "revision-history"
KINDS = ("ControllerRevision", "StatefulSet", "Pod")


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when at most revisionHistoryLimit non-live revisions were left once the set stood
    still after the update settled."""
    episode = ctx.episode
    if episode.kind not in UPDATE_KINDS:
        return None
    settled = ctx.settled()
    if settled is None:
        return None
    if "ControllerRevision" not in ctx.kinds:
        reason = f"ControllerRevisions were {NOT_RECORDED} in this session"
        return ctx.verdict(PROOF, "inconclusive", reason)
    sts = episode.statefulset
    horizon, still_s, cut = ctx.stood_still(settled)
    at = horizon - 1
    spec = sts.spec_at(at)
    status = sts.status_at(at)
    live = {status.current_revision, status.update_revision} if status is not None else set()
    pods = ctx.index.alive_at(at)
    live |= {p.revision for p in pods}
    revisions = ctx.life.revisions_of(sts)
    alive = [r for r in revisions if r.alive_at(at)]
    history = sorted((r for r in alive if r.name not in live), key=lambda r: r.revision)
    deleted = [
        r
        for r in revisions
        if r.deleted is not None and episode.start_rank <= r.deleted.rank < horizon
    ]
    cited = [ctx.cite(settled.change_id, f"{settled.what}: every pod as the spec asks (settled)")]
    cited += [ctx.cite(r.deleted.change_id, f"{r.name} deleted") for r in deleted if r.deleted]
    limit = spec.revision_history_limit
    if len(history) <= limit:
        kept = ", ".join(_named(r, at) for r in history) or "none"
        anew = _made_anew(revisions, alive, episode.start_rank)
        why_named = [(r, _named_at_deletion(ctx, r)) for r in deleted]
        named_live = [(r, why) for r, why in why_named if why]
        gone = ", ".join(_named(r) for r, why in why_named if not why)
        named = ", ".join(_named(r, at) for r in alive if r.name in live)
        reason = (
            f"live: {named or 'none recorded'}; "
            f"kept as history: {kept} ({len(history)} of revisionHistoryLimit {limit})"
            + (f"; deleted: {gone}" if gone else "")
            + " (truncateHistory)"
            + "".join(
                f"; {_named(r)} deleted while {why}: not by truncateHistory, which never "
                "deletes a revision the status or a pod names"
                for r, why in named_live
            )
            + anew
            + _adopted_and_collided(ctx, revisions, horizon, cited)
        )
        return ctx.verdict(PROOF, "pass", reason, cited)
    extra = ", ".join(_named(r, at) for r in history)
    wrong = (
        f"{len(history)} ControllerRevisions that no pod or status names were kept ({extra}), "
        f"over revisionHistoryLimit {limit}"
    )
    if cut is not None:
        reason = f"{cut}, before the controller's next sync could truncate the history ({wrong})"
        return ctx.verdict(PROOF, "inconclusive", reason, cited)
    reason = (
        f"{wrong}, {still_s:.1f} s after the pods settled with nothing changing: truncateHistory "
        "deletes the oldest of them at the end of every sync"
    )
    return ctx.verdict(PROOF, "fail", reason, cited)


def _named_at_deletion(ctx: ProofContext, revision: RevisionIncarnation) -> str:
    """'status.currentRevision named it' or 'web-1 carried it' when something named the
    revision as its deletion began (truncateHistory marks those live); '' otherwise."""
    if revision.deleted is None:
        return ""
    rank = revision.deleted.rank
    status = ctx.episode.statefulset.status_at(rank - 1)
    if status is not None:
        for field, value in (
            ("currentRevision", status.current_revision),
            ("updateRevision", status.update_revision),
        ):
            if value == revision.name:
                return f"status.{field} named it"
    holders = sorted(
        (p for p in ctx.index.alive_at(rank) if p.revision_at(rank) == revision.name),
        key=lambda p: p.ordinal or 0,
    )
    if holders:
        return f"{', '.join(p.name for p in holders)} carried it"
    return ""


def _made_anew(
    revisions: tuple[RevisionIncarnation, ...], alive: list[RevisionIncarnation], start: int
) -> str:
    """A revision of the episode whose name an earlier, truncated one had: the template went back
    to it, but the old object was gone, so the controller made a new one."""
    notes = []
    for revision in alive:
        if revision.created.rank < start:
            continue
        earlier = [
            r for r in revisions if r.name == revision.name and r.uid != revision.uid and r.deleted
        ]
        if earlier:
            notes.append(
                f"{revision.name} was made anew as revision {revision.revision}: the template "
                f"went back to it after truncateHistory had deleted it (revision "
                f"{earlier[-1].revision})"
            )
    return "; " + "; ".join(notes) if notes else ""


def _adopted_and_collided(
    ctx: ProofContext,
    revisions: tuple[RevisionIncarnation, ...],
    horizon: int,
    cited: list[Evidence],
) -> str:
    """'; web-695d6f6c (revision 7) was a client's ControllerRevision …, adopted by the set …;
    status.collisionCount rose to 1 …' when, in the episode, the set adopted a revision a client
    created with no owner (ClaimControllerRevisions adopts an orphan its selector matches) or the
    controller found the new template's revision name taken by one with other data and hashed
    it again with status.collisionCount (controller_history.go, CreateControllerRevision)."""
    episode = ctx.episode
    start = episode.start_rank
    notes = []
    for revision in revisions:
        adopted = revision.adopted
        if adopted is None or not start <= adopted.rank < horizon:
            continue
        first = revision.created
        if first.detail in ("list", "relist"):  # seen first by a list: orphaned, or a client's
            whose = f"had no owner when first listed (#{first.change_id})"
        else:  # the controller creates its revisions owned (NewControllerRevision)
            whose = f"was created with no owner (#{first.change_id}): a client's"
        cited.append(ctx.cite(first.change_id, f"{revision.name}: no owner"))
        cited.append(ctx.cite(adopted.change_id, f"{revision.name} adopted by the set"))
        notes.append(
            f"{_named(revision, horizon - 1)} {whose}; the set adopted it (#{adopted.change_id}: "
            "ClaimControllerRevisions adopts an orphan its selector matches), so it counts in "
            "the set's history"
        )
    sts = episode.statefulset
    before = sts.status_at(start - 1)
    was = (before.collision_count if before is not None else None) or 0
    for status in sts.statuses:
        if not start <= status.rank < horizon or (status.collision_count or 0) <= was:
            continue
        cited.append(ctx.cite(status.change_id, f"status.collisionCount {status.collision_count}"))
        notes.append(
            f"status.collisionCount rose from {was} to {status.collision_count} "
            f"(#{status.change_id}): the name the new template hashes to was taken by a "
            "revision with other data, so the controller hashed it again with the count "
            f"(CreateControllerRevision), naming it {status.update_revision}"
        )
        break
    return "; " + "; ".join(notes) if notes else ""


def _named(revision: RevisionIncarnation, at: int | None = None) -> str:
    """Its name and `revision`, as of `at` when given (a rollback bumps the number later)."""
    number = revision.revision if at is None else revision.revision_at(at)
    return f"{revision.name} (revision {number})"
