"""A set that does not progress: an OrderedReady scale-up, scale-down or rollout held by one pod.

`processReplica` walks the in-range pods in ascending ordinal order on every sync and, unless the
policy is Parallel (`allowsBurst`), stops at the first pod that is terminating, not Running and
Ready, or not yet Available (minReadySeconds). Nothing above it is created, no condemned pod is
deleted and no rolling-update deletion happens until it recovers. The rolling update itself (any
policy) replaces pods from the highest ordinal down to the partition and waits for each new pod to
be Available. A rollout whose new revision never becomes Ready needs the documented "forced
rollback": revert the template, then delete the pods already at the bad revision.
(`pkg/controller/statefulset/stateful_set_control.go`: `processReplica`, `processCondemned`,
`updateStatefulSet`; https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#forced-rollback)
"""

from dataclasses import dataclass
from typing import Any

from stswatch.reports import causes
from stswatch.reports.history.objects import deletion_timestamp, dig, labels
from stswatch.reports.history.pod_rules import max_unavailable
from stswatch.reports.live.findings import CONTROLLER, STATEFULSET_DOCS, Finding, events_evidence
from stswatch.reports.live.pods import Blocker, blocker
from stswatch.reports.live.world import REVISION_LABEL, World, human_age

Obj = dict[str, Any]

FORCED_ROLLBACK_DOCS = f"{STATEFULSET_DOCS}#forced-rollback"
STUCK_AFTER_S = 30.0  # a pod holding the set for less than this is progress, not a fault


def progress_findings(world: World) -> list[Finding]:
    """The pod holding the set, what it holds, and unready pods that hold nothing."""
    min_ready = int(world.spec("minReadySeconds") or 0)
    pods = world.pods_by_ordinal
    held_at: int | None = None
    found: list[Finding] = []
    blocked: Blocker | None = None
    if world.ordered_ready:
        for ordinal in world.ordinals:
            pod = pods.get(ordinal)
            if pod is None:
                break  # the controller creates it on its next sync
            why = blocker(pod, min_ready_seconds=min_ready, now=world.now)
            if why is not None:
                held_at, blocked = ordinal, why
                break
    rollout, rolling_at = _rollout(world, pods, min_ready)
    if held_at is not None and blocked is not None:
        stuck = _held(world, held_at, blocked)
        if stuck is not None:
            found.append(stuck)
    covered: set[int | None] = {held_at} if found else set()
    if rollout is not None and not any(f.subject == rollout.subject for f in found):
        found.append(rollout)
        covered.add(rolling_at)
    found.extend(_unready(world, pods, covered, min_ready))
    return found


def _since(world: World, why: Blocker) -> str:
    if not why.since:
        return ""
    return f" since {why.since} ({human_age(world.age(why.since))} ago)"


def _held(world: World, ordinal: int, why: Blocker) -> Finding | None:
    """What an OrderedReady walk stopped at `ordinal` keeps from happening; None if nothing."""
    pods = world.pods_by_ordinal
    name = world.pod_name(ordinal)
    missing = [(first, last) for first, last in world.absent(pods) if last > ordinal]
    condemned = sorted((o for o in pods if o not in world.ordinals), reverse=True)
    update, current = world.status("updateRevision"), world.status("currentRevision")
    pod_revision = labels(pods[ordinal]).get(REVISION_LABEL)
    stale = _not_updated(world, pods)
    held: list[str] = []
    cause = None
    if missing:
        held.append(f"not created: {world.pod_names(missing)}")
        cause = causes.SCALE_UP_STUCK
    if condemned:
        held.append(f"not deleted: {', '.join(world.pod_name(o) for o in condemned)}")
        cause = cause or causes.SCALE_DOWN_STUCK
    if stale:
        held.append(f"not updated to revision {update}: {', '.join(stale)}")
        cause = cause or causes.ROLLOUT_STUCK
    if cause is None:
        return None
    bad_revision = bool(update) and pod_revision == update and update != current
    fix = _fixes(world, name, why, bad_revision=bad_revision)
    if _recent(world, why):
        return _in_progress(world, cause, name, why, held, _probe_failed(world, ordinal, why))
    return Finding(
        severity="error",
        causes=(cause, why.cause),
        subject=f"StatefulSet {world.name}",
        what=f"OrderedReady {cause.split()[0]} held by {name} ({why.cause}{_since(world, why)})",
        why=(
            f"podManagementPolicy OrderedReady: processReplica stops at the first pod that is "
            f"not Running, Ready and Available; {name}: {why.detail}",
            *_probe_failed(world, ordinal, why),
            *(f"held: {h}" for h in held),
            f"{name} is at revision {pod_revision or '?'} (current {current}, update {update})",
        ),
        fix=tuple(fix),
        reference=FORCED_ROLLBACK_DOCS if bad_revision else f"{CONTROLLER} (processReplica)",
    )


def _probe_failed(world: World, ordinal: int, why: Blocker) -> tuple[str, ...]:
    """The kubelet's last Unhealthy Event on a pod held not Ready (its readiness probe failing:
    "Readiness probe failed: <output>"); the pod's status does not say why it is not ready."""
    if why.cause != causes.NOT_READY:
        return ()
    pod = world.pods_by_ordinal[ordinal]
    uid = dig(pod, "metadata", "uid")
    name = world.pod_name(ordinal)
    told = events_evidence(world, "Pod", name, limit=1, reasons=_UNHEALTHY, uid=uid)
    return tuple(t for t in told if "probe failed" in t)


_UNHEALTHY = frozenset(("Unhealthy",))


def _recent(world: World, why: Blocker) -> bool:
    """Whether the pod has held the set for less than STUCK_AFTER_S (still progressing).

    Not Available is always progress: it lasts at most minReadySeconds after Ready. So is a
    Failed or Succeeded pod: the controller deletes it and creates it again (processReplica).
    """
    if why.cause == causes.NOT_AVAILABLE or why.replaced:
        return True
    age = world.age(why.since) if why.since else None
    return age is not None and age < STUCK_AFTER_S


def _in_progress(
    world: World, cause: str, name: str, why: Blocker, held: list[str], seen: tuple[str, ...] = ()
) -> Finding:
    return Finding(
        severity="info",
        causes=(why.cause,),
        subject=f"StatefulSet {world.name}",
        what=f"{cause.split()[0]} in progress: waiting for {name} ({why.cause}"
        f"{_since(world, why)})",
        why=(f"{name}: {why.detail}", *seen, *(f"waiting: {h}" for h in held)),
        fix=(f"nothing yet; run doctor again if it lasts more than {STUCK_AFTER_S:.0f} s",),
        reference=f"{CONTROLLER} (processReplica)",
    )


def _fixes(world: World, name: str, why: Blocker, *, bad_revision: bool) -> list[str]:
    ns = world.namespace
    if bad_revision:
        revision = world.status("updateRevision")
        at_bad = [
            str(p["metadata"]["name"])
            for p in world.pods
            if labels(p).get(REVISION_LABEL) == revision and not deletion_timestamp(p)
        ]
        return [
            f"forced rollback: revert the template (`kubectl rollout undo statefulset/"
            f"{world.name} -n {ns}`, or apply the fixed template), then delete the pods "
            f"already at revision {revision}: `kubectl delete pod -n {ns} {' '.join(at_bad)}`; "
            "the controller does not replace them by itself while they are not Ready",
        ]
    if why.cause == causes.TERMINATING:
        return [f"see the terminating finding for {name}: the walk waits until it is gone"]
    return [
        f"make {name} Running and Ready (its container and claim findings say why it is not; "
        f"`kubectl describe pod -n {ns} {name}`)",
        "or, if ordering is not needed, use podManagementPolicy: Parallel (immutable: "
        f"recreate the set with `kubectl delete statefulset {world.name} -n {ns} "
        "--cascade=orphan`)",
    ]


def _not_updated(world: World, pods: dict[int, Obj]) -> list[str]:
    """Pods at or above the partition not yet at the update revision (rolling updates only)."""
    update = world.status("updateRevision")
    if not update or world.spec("updateStrategy", "type") == "OnDelete":
        return []
    partition = int(world.spec("updateStrategy", "rollingUpdate", "partition") or 0)
    return [
        world.pod_name(o)
        for o in sorted(pods, reverse=True)
        if o in world.ordinals
        and o - world.start >= partition
        and labels(pods[o]).get(REVISION_LABEL) != update
    ]


def _rollout(
    world: World, pods: dict[int, Obj], min_ready: int
) -> tuple[Finding | None, int | None]:
    """A rolling update waiting on a new-revision pod that is not Available (any policy)."""
    update, current = world.status("updateRevision"), world.status("currentRevision")
    stale = _not_updated(world, pods)
    if not update or update == current or not stale:
        return None, None
    for ordinal in sorted(pods, reverse=True):
        pod = pods[ordinal]
        if ordinal not in world.ordinals or labels(pod).get(REVISION_LABEL) != update:
            continue
        why = blocker(pod, min_ready_seconds=min_ready, now=world.now)
        if why is None or why.cause == causes.TERMINATING:
            continue
        name = world.pod_name(ordinal)
        budget = _budget(world, pods, min_ready, update)
        if budget is not None and budget.room and budget.shown_on:
            return _going_on(world, name, why, update, stale, budget), ordinal
        if _recent(world, why):
            held = [f"not updated to revision {update}: {', '.join(stale)}"]
            held += budget.told if budget is not None else ()
            seen = _probe_failed(world, ordinal, why)
            return _in_progress(world, causes.ROLLOUT_STUCK, name, why, held, seen), ordinal
        waits = "the rolling update waits for each replaced pod to be Available before the next"
        if budget is not None:
            waits = (
                "without the MaxUnavailableStatefulSet feature gate (KEP-961) the rolling update "
                "ignores maxUnavailable and waits for each replaced pod to be Available before "
                "the next"
            )
        finding = Finding(
            severity="error",
            causes=(causes.ROLLOUT_STUCK, why.cause),
            subject=f"StatefulSet {world.name}",
            what=f"rollout to revision {update} held by {name} ({why.cause}"
            f"{_since(world, why)}): forced rollback needed if the new template is broken",
            why=(
                f"{waits}; {name} (revision {update}): {why.detail}",
                *_probe_failed(world, ordinal, why),
                f"held: not updated to revision {update}: {', '.join(stale)}",
                *(budget.told if budget is not None else ()),
                f"currentRevision {current}, updateRevision {update}",
            ),
            fix=tuple(_fixes(world, name, why, bad_revision=True)),
            reference=FORCED_ROLLBACK_DOCS,
        )
        return finding, ordinal
    return None, None


def _going_on(
    world: World, name: str, why: Blocker, update: str, stale: list[str], budget: "_Budget"
) -> Finding:
    """A rollout the maxUnavailable budget lets go on past an unavailable new pod."""
    return Finding(
        severity="info",
        causes=(why.cause,),
        subject=f"StatefulSet {world.name}",
        what=f"rollout to revision {update} in progress: maxUnavailable lets it go on while "
        f"{name} is {why.cause}{_since(world, why)}",
        why=(
            f"{name}: {why.detail}",
            f"not updated to revision {update} yet: {', '.join(stale)}",
            *budget.told,
        ),
        fix=(
            "nothing yet: the update deletes the next old-revision pod on its next sync; if the "
            "new revision never becomes Ready, a forced rollback is needed before the budget is "
            "used up",
        ),
        reference=f"{CONTROLLER} (updateStatefulSetAfterInvariantEstablished)",
    )


@dataclass(frozen=True)
class _Budget:
    """rollingUpdate.maxUnavailable above 1 over the in-range pods: `room` when fewer than that
    many are unavailable (with the gate on the update would delete another old-revision pod),
    `shown_on` when the update has more than one of its pods unavailable at once (it deleted
    the next before the previous replacement was Available: the gate is on), and the lines that
    say so."""

    room: bool
    shown_on: bool
    told: tuple[str, ...]


def _budget(world: World, pods: dict[int, Obj], min_ready: int, update: str) -> _Budget | None:
    """What maxUnavailable means for this rollout, when it is above 1; None otherwise.

    `updateStatefulSetAfterInvariantEstablished` (MaxUnavailableStatefulSet gate on) counts the
    in-range pods that are unavailable and deletes old-revision pods from the highest ordinal
    down while fewer than maxUnavailable are; with the gate off the field is ignored.
    """
    raw = world.spec("updateStrategy", "rollingUpdate", "maxUnavailable")
    limit = max_unavailable(raw, world.replicas) if raw is not None else 1
    if limit <= 1:
        return None
    down = [
        o
        for o in world.ordinals
        if blocker(pods.get(o), min_ready_seconds=min_ready, now=world.now) is not None
    ]
    by_update = [
        o
        for o in down
        if o in pods
        and (labels(pods[o]).get(REVISION_LABEL) == update or deletion_timestamp(pods[o]))
    ]
    names = ", ".join(world.pod_name(o) for o in down) or "none"
    room = len(down) < limit
    shown_on = len(by_update) > 1
    told = [f"maxUnavailable={raw} ({limit} pods): {len(down)} in-range unavailable ({names})"]
    if not room:
        told.append("the budget is used up: the update waits whether or not the gate is on")
    elif shown_on:
        told.append(
            f"the update has {len(by_update)} of its pods unavailable at once, so the "
            "MaxUnavailableStatefulSet gate is on: it deletes the next old-revision pod while "
            f"fewer than {limit} in-range pods are unavailable"
        )
    else:
        told.append(
            "maxUnavailable is honoured only with the MaxUnavailableStatefulSet feature gate on "
            "in kube-controller-manager (KEP-961): with it on, the update deletes the next "
            f"old-revision pod while fewer than {limit} in-range pods are unavailable; the pods "
            "show one replacement at a time, as with it off"
        )
    return _Budget(room, shown_on, tuple(told))


def _unready(
    world: World, pods: dict[int, Obj], covered: set[int | None], min_ready: int
) -> list[Finding]:
    """Running pods that are not Ready and hold nothing (Parallel, or nothing left to do)."""
    found = []
    for ordinal in sorted(pods):
        pod = pods[ordinal]
        if ordinal in covered:
            continue
        why = blocker(pod, min_ready_seconds=min_ready, now=world.now)
        if why is None or why.cause != causes.NOT_READY:
            continue
        name = world.pod_name(ordinal)
        found.append(
            Finding(
                severity="warning",
                causes=(why.cause,),
                subject=f"pod {name}",
                what=f"{name} is Running but {why.cause}{_since(world, why)}",
                why=(why.detail, *_probe_failed(world, ordinal, why)),
                fix=(f"`kubectl describe pod -n {world.namespace} {name}` (readiness probe)",),
                reference=f"{CONTROLLER} (isRunningAndReady)",
            )
        )
    return found
