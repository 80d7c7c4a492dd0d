"""`verify(recording)`: rebuild lifecycles, split episodes and decide every proof, offline."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from types import ModuleType

from stswatch.errors import NotFoundError
from stswatch.reports import causes
from stswatch.reports.history.attribution import attribution
from stswatch.reports.history.episodes import Episode, find_episodes
from stswatch.reports.history.lifecycles import Lifecycles, build_lifecycles
from stswatch.reports.history.objects import Obj
from stswatch.reports.history.pods import REVISION_LABEL
from stswatch.reports.history.replay import replay_set
from stswatch.reports.proofs import (
    claim_owners,
    deletion,
    failed_pod,
    gating,
    namespace_deletion,
    network_identity,
    ordinal_creation,
    parallel,
    recreated_without_service,
    revision_history,
    rolling_update,
    scale_down,
    status,
    storage,
)
from stswatch.reports.proofs.context import ProofContext, index_set, with_gaps
from stswatch.reports.proofs.exec_outputs import exec_marks
from stswatch.reports.proofs.latency import phase_latency
from stswatch.reports.proofs.pod_status import node_not_ready
from stswatch.reports.proofs.progress import episode_progress
from stswatch.reports.proofs.verdict import (
    EpisodeResult,
    GapRef,
    Verdict,
    VerifyResult,
    WindowRef,
)
from stswatch.reports.proofs.window import with_window
from stswatch.reports.recording import Change, ChangesById, Recording, Window, no_cyclic_gc


@dataclass(frozen=True)
class Proof:
    """One guarantee: its name, the kinds its evidence depends on, and its decision."""

    name: str
    kinds: tuple[str, ...]
    decide: Callable[[ProofContext], Verdict | None]


def _proof(module: ModuleType) -> Proof:
    """A proof module's PROOF, KINDS and decide(), checked once at import."""
    return Proof(module.PROOF, tuple(module.KINDS), module.decide)


# In the order a reader meets them in an episode.
PROOFS: tuple[Proof, ...] = tuple(
    _proof(m)
    for m in (
        ordinal_creation,
        gating,
        failed_pod,
        scale_down,
        rolling_update,
        parallel,
        recreated_without_service,
        network_identity,
        storage,
        claim_owners,
        deletion,
        status,
        revision_history,
    )
)


def verify(
    recording: Recording,
    *,
    statefulset: str | None = None,
    lifecycles: Lifecycles | None = None,
    events: Iterable[tuple[Change, Obj]] | None = None,
) -> VerifyResult:
    """Decide every proof on every episode of the recording (or of one StatefulSet).

    A caller that also draws the recording passes the `lifecycles` it built, so they are built
    once, and the `events` it decoded (`stswatch.reports.history.attribution.attribution`'s).
    """
    with no_cyclic_gc():
        life = lifecycles if lifecycles is not None else build_lifecycles(recording)
        return _verify(recording, life, statefulset=statefulset, events=events)


def _verify(
    recording: Recording,
    life: Lifecycles,
    *,
    statefulset: str | None,
    events: Iterable[tuple[Change, Obj]] | None,
) -> VerifyResult:
    names = tuple(dict.fromkeys(s.name for s in life.statefulsets))
    chosen = tuple(
        dict.fromkeys(
            s.name for s in life.statefulsets if statefulset is None or s.answers_to(statefulset)
        )
    )
    if statefulset is not None and not chosen:
        known = ", ".join(names) or "none"
        raise NotFoundError(
            f"session {recording.name!r} has no StatefulSet {statefulset!r} (recorded: {known})"
        )
    seeded = recording.window.seeded if recording.window is not None else frozenset()
    episodes = find_episodes(life, statefulset=statefulset, seeded=seeded)
    changes = ChangesById(recording.changes)
    kinds = frozenset(recording.changes.kinds.values)
    indexes = {sts.uid: index_set(life, sts) for sts in life.statefulsets}
    end_ns = recording_end(recording)
    replays = {sts.uid: replay_set(life, sts, until_ns=end_ns) for sts in life.statefulsets}
    actors = attribution(recording, events=events)
    ids_by_rank = tuple(life.ordering.ids_by_rank())
    execs = exec_marks(recording)
    recreated_in: dict[str, tuple[Episode, ...]] = {}
    for e in episodes:
        if e.recreation is not None:
            uid = e.recreation.new.uid
            recreated_in[uid] = (*recreated_in.get(uid, ()), e)
    gaps_of = (*recording.gaps, *life.silent_gaps)
    window = recording.window
    read_from_ns = window.since_ns if window is not None and window.cut_before else None
    results = []
    for index, episode in enumerate(episodes, start=1):
        uid = episode.statefulset.uid
        ctx = ProofContext(
            episode, life, changes, gaps_of, recreated_in, indexes[uid], kinds,
            replays[uid], actors, end_ns, ids_by_rank, execs=execs,
            server_version=recording.server_version, read_from_ns=read_from_ns,
        )  # fmt: skip
        result = _result(index, ctx, _decide_all(ctx, recording.window))
        if recording.window is not None and recording.window.cut_before:
            # the reading began at --since: what was under way then was so when the window began
            began = ("the recording began", "the window began")
            summary = result.summary.replace(*began)
            progress = result.progress
            if progress is not None:
                progress = replace(progress, text=progress.text.replace(*began))
            result = replace(result, summary=summary, progress=progress)
        results.append(result)
    gaps = tuple(GapRef(g.id, g.kind, g.reason, g.from_wall_ns, g.to_wall_ns) for g in gaps_of)
    return VerifyResult(
        session=recording.name,
        server_version=recording.server_version,
        basis=life.ordering.basis,
        basis_reason=life.ordering.reason,
        statefulsets=chosen,
        gaps=gaps,
        episodes=tuple(results),
        window=(
            None
            if recording.window is None
            else WindowRef(recording.window.since_ns, recording.window.until_ns)
        ),
    )


def _untimely_of(ctx: ProofContext) -> Callable[[int], bool]:
    """`_untimely` for this episode's changes; a test that asks nothing when the recording has no
    relisted change and the set no late delivery (the common case, asked of every pod phase)."""
    changes = ctx.changes
    plain = type(changes) is ChangesById and "relist" not in changes.observed_values()
    if plain and not ctx.index.late.walls:
        return _never
    return lambda change_id: _untimely(ctx, change_id)


def _never(_: int) -> bool:
    return False


def _untimely(ctx: ProofContext, change_id: int) -> bool:
    """True when the change was received later than it happened: recorded by a relist, or
    delivered late by the watch (`ProofContext.delivered_late`)."""
    return ctx.changes[change_id].observed == "relist" or ctx.delivered_late(change_id) is not None


def _who_deleted(ctx: ProofContext) -> str:
    """For a recreated pod: who deleted the old incarnation, and on what basis (for a pod not
    created again: who deleted it)."""
    recreation = ctx.episode.recreation
    pod = recreation.old if recreation is not None else ctx.episode.deleted
    if pod is None:
        return ""
    actor = ctx.deleted_by(pod)
    if actor is None:
        return ""
    if actor.who == "unknown":
        return f"; who deleted it is unknown ({actor.basis})"
    why = ""
    if actor.who == causes.BY_CONTROLLER and ctx.controller_reason(pod) == "update":
        began = pod.deletion_began
        label = pod.revision_at(began.rank) if began is not None else pod.revision
        why = (
            f", for the update: it was at revision {pod.revision}, behind the update revision at "
            "or above the partition"
        )
        sts = ctx.episode.statefulset
        read = sts.read_by_sync(began.rank) if began is not None else None
        status = sts.status_after(began.rank) if began is not None else None
        if read is not None and status is not None and status.update_revision != pod.revision:
            why = (
                f", for the update: it was at revision {pod.revision}, behind the update revision "
                f"{status.update_revision} of the spec its sync read (generation "
                f"{read.generation}: its status right after, #{status.change_id}, observed it; "
                "updateStatefulSetStatus), a spec changed since"
            )
        if label is None:
            why = (
                f", for the update: it had no {REVISION_LABEL} label, so not the update "
                "revision's, at or above the partition (the update step reads the label: "
                "getPodRevision)"
            )
        elif label != pod.revision:
            why = (
                f", for the update: its {REVISION_LABEL} label read {label} (changed after it was "
                f"created at {pod.revision}), not the update revision, at or above the partition "
                "(the update step reads the label: getPodRevision)"
            )
    began = pod.deletion_began
    node = node_not_ready(ctx, pod, began.rank) if began is not None else None
    if node is not None:  # deleted while its node was not Ready (the NoExecute taint's cause)
        why += f"; {node.told}"
    if actor.who == causes.BY_CLIENT and began is not None and pod.disruption is None:
        why += namespace_deletion.emptied(ctx, pod, began)
    return f"; deleted by {actor.who} ({actor.basis}){why}"


def recording_end(recording: Recording) -> int:
    """The last moment the recording covers (wall ns): its last change, or its last run's end
    (a window's: its end)."""
    if recording.window is not None:
        return recording.window.until_ns
    last = recording.changes[-1].received_wall_ns if recording.changes else 0
    run = recording.runs[-1] if recording.runs else None
    return max(last, run.ended_wall_ns or 0) if run is not None else last


def _decide_all(ctx: ProofContext, window: Window | None) -> tuple[Verdict, ...]:
    found = []
    for proof in PROOFS:
        verdict = with_window(ctx, with_gaps(ctx, proof.decide(ctx), kinds=proof.kinds), window)
        if verdict is not None:
            found.append(verdict)
    return tuple(found)


def _result(index: int, ctx: ProofContext, verdicts: tuple[Verdict, ...]) -> EpisodeResult:
    episode = ctx.episode
    changes, step_ids = ctx.changes, ctx.index.step_ids
    trigger = changes[episode.trigger_change_id]
    # The window's steps are in rank order: its first and last, with the trigger, bound it. Its
    # walls are read in one pass (a large set's first episode holds millions of steps).
    low, high = ctx.index.window_span(episode.start_rank, episode.end_rank)
    ends = (trigger.id, step_ids[low], step_ids[high - 1]) if high > low else (trigger.id,)
    rank = ctx.life.ordering.rank.__getitem__
    first, last = changes[min(ends, key=rank)], changes[max(ends, key=rank)]
    earliest = latest = trigger.received_wall_ns
    if high > low and type(changes) is ChangesById:  # the verify's own: off the table's column
        first_wall, last_wall = changes.wall_bounds(step_ids, low, high)
        earliest, latest = min(earliest, first_wall), max(latest, last_wall)
    else:
        for at in range(low, high):
            wall = changes[step_ids[at]].received_wall_ns
            if wall < earliest:
                earliest = wall
            elif wall > latest:
                latest = wall
    if trigger.observed == "relist":  # it happened somewhere in the gap that relist closed
        begun = [g.from_wall_ns for g in ctx.gaps if g.from_wall_ns <= trigger.received_wall_ns]
        for wall in begun[-1:]:
            earliest, latest = min(earliest, wall), max(latest, wall)
    return EpisodeResult(
        index=index,
        kind=episode.kind,
        statefulset=episode.statefulset.name,
        namespace=episode.statefulset.namespace,
        summary=episode.summary + _who_deleted(ctx),
        first_change_id=first.id,
        last_change_id=last.id,
        start_wall_ns=earliest,
        end_wall_ns=latest,
        pod_management_policy=episode.spec.pod_management_policy,
        retention_policy=episode.spec.retention_policy,
        verdicts=verdicts,
        latency=phase_latency(ctx.creations(), _untimely_of(ctx)),
        progress=episode_progress(ctx),
    )
