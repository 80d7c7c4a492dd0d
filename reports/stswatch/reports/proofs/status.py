"""The StatefulSet's status against its pods, once an episode's pods have settled.

Every sync of `updateStatefulSet` (pkg/controller/statefulset/stateful_set_control.go) ends by
writing a status that `computeReplicaStatus` counts from the pods the controller owns:

- `replicas`: pods created (any phase, terminating ones included);
- `readyReplicas`: pods Running and Ready (`isRunningAndReady`; a Terminating pod still Ready is
  counted: upstream behaviour, kubernetes#86209), `availableReplicas` those also Ready for
  `minReadySeconds`;
- `currentReplicas` / `updatedReplicas`: pods not terminating whose `controller-revision-hash`
  label names `status.currentRevision` / `status.updateRevision`;

and `completeRollingUpdate` promotes `currentRevision` to `updateRevision` (and currentReplicas to
updatedReplicas) under RollingUpdate once every counted pod is updated and Ready; under OnDelete
it never does (kubernetes#73492). The e2e suite waits for exactly these counts
(`WaitForStatusReadyReplicas`, `WaitForStatusReplicas`, `WaitForRollingUpdate`).

The judgment: when the controller replay says an episode's spec was met ("settled"), the last
status recorded before the set's pods or spec changed again must count those pods. A status the
controller had `SETTLE_S` to write and did not is a failure; a set that changed again sooner, or a
recording that ended sooner, leaves it inconclusive. A pod the controller released meanwhile
(relabelled out of the selector: `ClaimPods` releases it, `ReleasePod` removes its
ownerReference) is no longer the set's and is not counted; the status then had from the release
on to count without it.
"""

from dataclasses import dataclass

from stswatch.reports.history import objects as o
from stswatch.reports.history.episodes import SPEC_KINDS
from stswatch.reports.history.lifecycles import PodIncarnation, StatusVersion, Transition
from stswatch.reports.proofs.context import CHANGED_AGAIN, SETTLE_S, ProofContext
from stswatch.reports.proofs.verdict import Verdict

PROOF = "status-matches-pods"
KINDS = ("Pod", "StatefulSet")
_PHASES = ("pending", "running", "failed", "succeeded", "unknown")


@dataclass(frozen=True)
class Counts:
    """What `computeReplicaStatus` (+ `completeRollingUpdate`) gives for the pods at one rank."""

    replicas: int
    ready_replicas: int
    available_replicas: int | None  # None: minReadySeconds > 0, not judged
    current_replicas: int
    updated_replicas: int
    current_revision: str | None
    terminating_ready: tuple[str, ...]  # Terminating pods counted Ready (kubernetes#86209)


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when the status after the pods settled counts them as the controller does."""
    episode = ctx.episode
    if episode.kind not in SPEC_KINDS:
        return None
    settled = ctx.settled()
    if settled is None:
        return None  # the spec was never met in the episode: nothing settled to count
    horizon, still_s, cut = ctx.stood_still(settled)
    sts = episode.statefulset
    status = sts.status_at(horizon - 1)
    if status is None:
        return None
    # The pods the set owned until it changed again: one released since the pods settled (its
    # controllerRef removed: ClaimPods' ReleasePod) is no longer the set's, nor counted. The
    # release is a change of the set's pods: the status had until the set changed again to
    # count without it.
    last = horizon - 1
    pods = _pods_at(ctx, last)
    released = _released(ctx, settled.rank, last)
    want = _counts(ctx, pods, status, settled)
    wrong = _disagreements(ctx, status, want)
    cited = [
        ctx.cite(settled.change_id, f"{settled.what}: every pod as the spec asks (settled)"),
        ctx.cite(status.change_id, "status"),
    ]
    cited += [ctx.cite(ctx.ids_by_rank[rank], f"{pod.name} released") for pod, rank in released]
    note = _released_note(ctx, released, status)
    if not wrong:
        return ctx.verdict(
            PROOF, "pass", _agrees(ctx, status, want) + note + _surprise(ctx, status), cited
        )
    disagreement = "; ".join(wrong) + note
    if cut is not None:
        reason = f"{cut}, before a status counting them was recorded ({disagreement})"
        return ctx.verdict(PROOF, "inconclusive", reason, cited)
    if released:
        since = max(rank for _, rank in released)
        still_s = (ctx.wall_at_rank(horizon) - ctx.wall_at_rank(since)) / 1e9
        if still_s < SETTLE_S:
            reason = (
                f"{CHANGED_AGAIN} {still_s:.1f} s after the release, before a status counting "
                f"the pods it still owned was recorded ({disagreement})"
            )
            return ctx.verdict(PROOF, "inconclusive", reason, cited)
        since_what = "the release"
    else:
        since_what = "the pods settled"
    reason = (
        f"{disagreement}, {still_s:.1f} s after {since_what} with nothing changing: "
        "computeReplicaStatus counts every owned pod on each sync and updateStatefulSet writes "
        "the result"
    )
    return ctx.verdict(PROOF, "fail", reason, cited)


def _pods_at(ctx: ProofContext, rank: int) -> list[PodIncarnation]:
    """The set's pods that existed at `rank` and that it controlled then."""
    uid = ctx.episode.statefulset.uid
    return [p for p in ctx.index.alive_at(rank) if p.controller_at(rank) == uid]


def _released(ctx: ProofContext, settled: int, rank: int) -> list[tuple[PodIncarnation, int]]:
    """The set's pods it controlled when they settled and no longer did at `rank` although they
    still existed (released: ownerReference removed), each with the rank it was released at."""
    uid = ctx.episode.statefulset.uid
    found = []
    for pod in ctx.index.alive_at(rank):
        if pod.controller_at(settled) == uid and pod.controller_at(rank) != uid:
            at = pod.released_at(uid, settled)
            if at is not None:
                found.append((pod, at))
    return found


def _released_note(
    ctx: ProofContext, released: list[tuple[PodIncarnation, int]], status: StatusVersion
) -> str:
    """Why the released pods are not counted: who released each, as far as the recording says."""
    if not released:
        return ""
    selector = o.dig(ctx.changes[status.change_id].object, "spec", "selector", "matchLabels")
    told = []
    for pod, rank in released:
        change = ctx.changes[ctx.ids_by_rank[rank]]
        labels = o.dig(change.object, "metadata", "labels")
        outside = (
            isinstance(selector, dict)
            and isinstance(labels, dict)
            and any(labels.get(k) != v for k, v in selector.items())
        )
        if outside:
            told.append(
                f"{pod.name} released by the controller at #{change.id}: its labels no longer "
                "match the selector, so ClaimPods releases it (ReleasePod removes its "
                "ownerReference)"
            )
            continue
        told.append(f"{pod.name} no longer owned by the set from #{change.id}")
    return (
        f"; not counted: {'; '.join(told)}; computeReplicaStatus counts only the pods the set owns"
    )


def _counts(
    ctx: ProofContext, pods: list[PodIncarnation], status: StatusVersion, settled: Transition
) -> Counts:
    spec = ctx.episode.statefulset.spec_at(settled.rank)
    after = settled.rank + 1
    replicas = ready = current = updated = 0
    terminating_ready = []
    for pod in pods:
        phase = pod.last_before(after, _PHASES)
        terminating = pod.last_before(after, ("terminating",)) is not None
        readiness = pod.last_before(after, ("ready", "unready"))
        replicas += phase is not None  # isCreated: a phase is set
        running = phase is not None and phase.what == "running"
        if running and readiness is not None and readiness.what == "ready":
            ready += 1
            if terminating:
                terminating_ready.append(pod.name)
        if phase is not None and not terminating:
            revision = pod.revision_at(after)  # the label, as getPodRevision reads it
            current += revision == status.current_revision
            updated += revision == status.update_revision
    revision = status.current_revision
    complete = updated == ready == replicas == spec.replicas  # against spec.replicas, as upstream
    if spec.update_strategy == "RollingUpdate" and complete:
        revision, current = status.update_revision, updated  # completeRollingUpdate
    return Counts(
        replicas,
        ready,
        ready if not spec.min_ready_seconds else None,
        current,
        updated,
        revision,
        tuple(terminating_ready),
    )


def _disagreements(ctx: ProofContext, status: StatusVersion, want: Counts) -> list[str]:
    spec = ctx.episode.statefulset.spec_at(status.rank)
    wrong = []
    if (
        spec.generation is not None
        and status.observed_generation is not None
        and status.observed_generation < spec.generation
    ):
        wrong.append(
            f"status.observedGeneration {status.observed_generation} < generation {spec.generation}"
        )
    pairs = (
        ("replicas", status.replicas, want.replicas, "pods created"),
        ("readyReplicas", status.ready_replicas, want.ready_replicas, "pods Running and Ready"),
        (
            "availableReplicas",
            status.available_replicas,
            want.available_replicas,
            "pods Running and Ready (minReadySeconds 0)",
        ),
        (
            "currentReplicas",
            status.current_replicas,
            want.current_replicas,
            "pods at currentRevision",
        ),
        (
            "updatedReplicas",
            status.updated_replicas,
            want.updated_replicas,
            "pods at updateRevision",
        ),
    )
    for field, told, counted, what in pairs:
        if counted is not None and (told or 0) != counted:
            wrong.append(f"status.{field} {told or 0} while {counted} {what}")
    if want.current_revision != status.current_revision:
        wrong.append(
            f"status.currentRevision {status.current_revision} while every pod is at "
            f"updateRevision {status.update_revision} and Ready: completeRollingUpdate promotes it"
        )
    return wrong


def _surprise(ctx: ProofContext, status: StatusVersion) -> str:
    """Where upstream's revision bookkeeping surprises a reader, why (with its issue)."""
    spec = ctx.episode.statefulset.spec_at(status.rank)
    if status.current_revision != status.update_revision:
        if spec.update_strategy == "OnDelete" and status.updated_replicas == status.replicas:
            return (
                "; under OnDelete the controller does not promote currentRevision even with every "
                "pod at updateRevision (upstream behaviour, kubernetes#73492)"
            )
        if spec.partition > 0:
            return (
                f"; currentRevision stays until every pod is updated: partition {spec.partition} "
                "keeps the ordinals below it at currentRevision"
            )
        return ""
    before = ctx.episode.statefulset.status_at(ctx.episode.start_rank)
    promoted = (
        not status.replicas
        and before is not None
        and before.current_revision != before.update_revision
        and status.current_revision == status.update_revision
    )
    if promoted and spec.partition == 0 and before is not None:
        return (
            f"; with 0 replicas the unfinished rollout counts as complete: currentRevision was "
            f"promoted from {before.current_revision} to {status.update_revision} "
            "(completeRollingUpdate counts 0 of 0 pods updated as a finished rollout; "
            "kubernetes#121534), so that revision is now the set's current one"
        )
    if promoted and spec.partition > 0:
        return (
            f"; with 0 replicas the rollout counts as complete, so currentRevision was promoted to "
            f"{status.update_revision} although partition is {spec.partition}: pods below the "
            "partition will come back at the new revision (completeRollingUpdate; "
            "kubernetes#121534)"
        )
    return ""


def _agrees(ctx: ProofContext, status: StatusVersion, want: Counts) -> str:
    available = (
        f", availableReplicas {want.available_replicas}"
        if want.available_replicas is not None
        else ""
    )
    revisions = (
        f"currentRevision = updateRevision {status.update_revision}"
        if status.current_revision == status.update_revision
        else f"currentRevision {status.current_revision}, updateRevision {status.update_revision}"
    )
    told = (
        f"status counts the settled pods as computeReplicaStatus does: replicas {want.replicas}, "
        f"readyReplicas {want.ready_replicas}{available}, currentReplicas "
        f"{want.current_replicas}, updatedReplicas {want.updated_replicas}, {revisions}"
    )
    if want.terminating_ready:
        names = ", ".join(want.terminating_ready)
        told += (
            f"; readyReplicas counts the Terminating but still Ready {names} "
            "(upstream behaviour, kubernetes#86209)"
        )
    return told
