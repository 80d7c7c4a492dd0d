"""Which revision the controller gives a pod it creates (`newVersionedStatefulSetPod`).

Under `RollingUpdate`, an ordinal below `spec.ordinals.start + partition` is created from
`status.currentRevision`, every other one from `status.updateRevision`; under `OnDelete` (no
`rollingUpdate` block) every new pod takes the update revision (pkg/controller/statefulset,
stateful_set_utils.go). The revisions are those of the sync that created the pod: the last
status recorded before the creation, or the status that sync wrote just after it.

Upstream behaves surprisingly in one place this tells: scaling to 0 makes `completeRollingUpdate`
promote `currentRevision` to the update revision (0 of 0 pods updated counts as complete), so
pods below the partition come back at the new revision (kubernetes#121534).
"""

from bisect import bisect_right
from dataclasses import dataclass, replace

from stswatch.reports.history.informer import CACHE_LAG_NS, SLOW_CALL_NS
from stswatch.reports.history.lifecycles import PodIncarnation, StatefulSetIncarnation
from stswatch.reports.history.statefulsets import SpecVersion, StatusVersion
from stswatch.reports.proofs.verdict import Outcome


@dataclass(frozen=True)
class CreatedAt:
    """A created pod's revision against the one the controller gives its ordinal."""

    pod: PodIncarnation
    field: str  # "currentRevision" or "updateRevision"
    allowed: frozenset[str]  # the field's value before the creation and just after it
    promoted: StatusVersion | None  # below the partition at the update revision: #121534's
    # When not ok: the spec in force up to SLOW_CALL_NS before the creation landed that gives
    # the pod's ordinal its revision (a CREATE decided under it and held), else None.
    slow: SpecVersion | None = None

    @property
    def ok(self) -> bool:
        """Whether the pod carries a revision its ordinal may be created at."""
        return self.pod.revision in self.allowed


def created_at(sts: StatefulSetIncarnation, pod: PodIncarnation) -> CreatedAt | None:
    """Judge `pod`'s controller-revision-hash at creation; None when nothing can be judged (no
    revision label, no ordinal, no status recorded around the creation)."""
    if pod.revision is None or pod.ordinal is None:
        return None
    rank = pod.created.rank
    statuses = [s for s in (sts.status_at(rank), sts.status_after(rank)) if s is not None]
    specs = [sts.spec_at(rank)]
    read = sts.read_by_sync(rank)
    previous = read or sts.spec_at(specs[0].rank - 1)
    lag = pod.created.received_wall_ns - specs[0].received_wall_ns
    if (
        previous is not specs[0]
        and (lag <= CACHE_LAG_NS or read is not None)
        and not _seen(sts, specs[0], rank)
        and previous.in_range(pod.ordinal)  # a sync on it would not create the pod at all
    ):
        specs.append(previous)  # the creating sync may have read the set before this change
    sides = {
        spec.update_strategy == "RollingUpdate"
        and pod.ordinal < spec.start_ordinal + spec.partition
        for spec in specs
    }
    values = {
        s.current_revision if below else s.update_revision for s in statuses for below in sides
    }
    allowed = frozenset(v for v in values if v is not None)
    if not allowed:
        return None
    promoted = None
    if any(pod.revision == s.update_revision for s in statuses):
        promoted = _promotion(sts, rank, pod.revision)
        if promoted is not None and True not in sides and not _rolled_out(sts, promoted):
            promoted = None  # at or above the partition the update revision is expected
    field = " or ".join(sorted("currentRevision" if b else "updateRevision" for b in sides))
    found = CreatedAt(pod, field, allowed, promoted)
    if found.ok or read is not None:  # the status after it names the spec its sync read
        return found
    return replace(found, slow=_slow_call(sts, pod, statuses))


def _slow_call(
    sts: StatefulSetIncarnation, pod: PodIncarnation, statuses: list[StatusVersion]
) -> SpecVersion | None:
    """The latest spec in force within SLOW_CALL_NS before `pod`'s creation landed under which
    newVersionedStatefulSetPod gives its ordinal the revision it carries (`statuses`' values)."""
    rank, landed = pod.created.rank, pod.created.received_wall_ns
    # The creating sync began after the last status before the creation was written (one set's
    # syncs never overlap), so it read at least that status's observedGeneration.
    before = sts.status_at(rank)
    least = before.observed_generation if before is not None else None
    for spec in sts.specs_before(rank):
        if landed - spec.received_wall_ns > SLOW_CALL_NS:
            break
        if least is not None and spec.generation is not None and spec.generation < least:
            break
        if pod.ordinal is None or not spec.in_range(pod.ordinal):
            continue
        below = spec.update_strategy == "RollingUpdate" and pod.ordinal < (
            spec.start_ordinal + spec.partition
        )
        given = {s.current_revision if below else s.update_revision for s in statuses}
        if pod.revision in given:
            return spec
    return None


def outcome(found: CreatedAt) -> Outcome:
    """'fail' for a pod created at a revision its ordinal is not given; 'inconclusive' when a
    spec in force up to SLOW_CALL_NS before its creation landed gives it (`refused` says so)."""
    return "inconclusive" if found.slow is not None else "fail"


def _seen(sts: StatefulSetIncarnation, spec: SpecVersion, rank: int) -> bool:
    """Whether a sync had read `spec` before `rank`: a status recorded between them reports its
    generation as observedGeneration (`updateStatefulSetStatus` writes the generation the sync
    read, and the informer never goes back to an older one)."""
    status = sts.status_at(rank)
    return (
        status is not None
        and status.rank >= spec.rank
        and spec.generation is not None
        and status.observed_generation is not None
        and status.observed_generation >= spec.generation
    )


def refused(found: CreatedAt, partition: int) -> str:
    """The one wording of a pod created at a revision its ordinal is not given."""
    sides = {"currentRevision": "below", "updateRevision": "at or above"}
    where = sides.get(found.field, "beside a just changed")
    pod = found.pod
    slow = ""
    if found.slow is not None:
        ago = (pod.created.received_wall_ns - found.slow.received_wall_ns) / 1e9
        slow = (
            f"; yet under the spec in force {ago:.1f} s before its creation landed (#"
            f"{found.slow.change_id}, partition {found.slow.partition}) it is given "
            f"{pod.revision}: a CREATE an admission webhook or the client's throttling held lands "
            "that late, and as no status recorded after it names the spec its sync read, the "
            "recording cannot tell which spec the controller acted on"
        )
    return (
        f"{pod.name} was created at revision {pod.revision}, but newVersionedStatefulSetPod gives "
        f"ordinal {pod.ordinal} ({where} partition {partition}) the {found.field} "
        f"{' or '.join(sorted(found.allowed))}{slow}"
    )


def _promotion(
    sts: StatefulSetIncarnation, rank: int, revision: str | None
) -> StatusVersion | None:
    """The status at which currentRevision last became `revision` before `rank`, when that was a
    promotion from another revision at 0 replicas (kubernetes#121534); else None."""
    i = bisect_right(sts.statuses, rank, key=lambda s: s.rank)
    changes = sts.current_revision_changes
    for at in reversed(changes[: bisect_right(changes, i - 1)]):
        earlier, later = sts.statuses[at - 1], sts.statuses[at]
        if later.current_revision == revision:
            at_zero = earlier.current_revision is not None and later.replicas == 0
            return later if at_zero else None
    return None


def _rolled_out(sts: StatefulSetIncarnation, promoted: StatusVersion) -> bool:
    """Whether a rollout to `promoted`'s revision was under way (a status with pods, naming it
    the update revision) before status.currentRevision was promoted to it at 0 replicas."""
    return any(
        s.rank < promoted.rank and s.update_revision == promoted.current_revision and s.replicas
        for s in sts.statuses
    )


def clause(found: list[CreatedAt]) -> str:
    """The pass reason's words on revisions: what was checked, and #121534 where it shows."""
    if not found:
        return ""
    text = "; each at the revision newVersionedStatefulSetPod gives its ordinal"
    promoted = [c for c in found if c.promoted is not None]
    if not promoted:
        return text
    below = [c for c in promoted if "currentRevision" in c.field]
    names = ", ".join(c.pod.name for c in below or promoted)
    if not below:
        return (
            f"{text}: {names} came at {promoted[0].pod.revision}, the revision of a rollout "
            "that had not finished when status.currentRevision was promoted to it at 0 "
            "replicas (completeRollingUpdate counts 0 of 0 pods updated as a finished rollout; "
            "kubernetes#121534)"
        )
    return (
        f"{text}: {names}, below the partition, came back at the update revision "
        f"{promoted[0].pod.revision}, to which status.currentRevision was promoted when the set "
        "had 0 replicas (completeRollingUpdate counts 0 of 0 pods updated as a finished rollout; "
        "kubernetes#121534)"
    )
