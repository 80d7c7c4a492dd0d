"""A session split into what happened to each StatefulSet: the episodes every verdict belongs to.

Spec-driven episodes follow each other per StatefulSet incarnation and each lasts until the next
one starts (or the recording ends): `scale-up` a→b (also a StatefulSet created while recording:
0→b), `scale-down` b→a, `rolling-update` (template or partition change under RollingUpdate),
`ondelete-update` (a template change under OnDelete: pods take it only when deleted). Over them
lie `pod-recreated` (a pod deleted and created again outside an update, including a pod that ended
Failed or Succeeded), `service-deleted` / `service-recreated` (the governing headless Service),
`statefulset-replaced` (the same name deleted and created again, usually to change
podManagementPolicy, which is immutable) and `statefulset-deleted` (the set itself deleted: the
garbage collector removes its pods, in no order).
"""

from bisect import bisect_right, insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from stswatch.reports.history.informer import CACHE_LAG_NS
from stswatch.reports.history.lifecycles import (
    Lifecycles,
    PodIncarnation,
    ServiceIncarnation,
    SpecVersion,
    StatefulSetIncarnation,
    StatusVersion,
)
from stswatch.reports.history.ordering import Ordering
from stswatch.reports.history.revisions import RevisionIncarnation
from stswatch.reports.history.transition import Transition

SPEC_KINDS = ("scale-up", "scale-down", "rolling-update", "ondelete-update")
UPDATE_KINDS = ("rolling-update", "ondelete-update")


@dataclass(frozen=True, slots=True)
class Recreation:
    """A pod incarnation and the one that replaced it at the same ordinal."""

    old: PodIncarnation
    new: PodIncarnation


@dataclass(frozen=True, slots=True)
class UnderWay:
    """What a set's first list showed under way: an episode of `kind` under `spec`, from
    `before` pods (`status`: the one that shows a rolling update). `begin`: the rank it begins
    at when not its spec's own (a window's start, under a spec changed before it)."""

    kind: str
    spec: SpecVersion
    before: int
    status: StatusVersion | None = None
    begin: int | None = None


@dataclass(frozen=True)
class Episode:
    """One thing that happened to one StatefulSet, over a window of ranks [start_rank, end_rank)."""

    kind: str
    statefulset: StatefulSetIncarnation
    spec: SpecVersion  # the spec in force during the episode
    start_rank: int
    end_rank: int
    trigger_change_id: int
    summary: str
    from_replicas: int | None = None
    to_replicas: int | None = None
    recreation: Recreation | None = None
    service: ServiceIncarnation | None = None
    # A scale-up a template change overtook without touching replicas: the rank that change's
    # episode began at (this one outlasts it until its new pods were Ready), else None.
    outlasts: int | None = None
    # Already under way when the recording began (its start is not recorded): a rolling update
    # or a scale-up the initial list caught midway.
    under_way: bool = False
    # A "pod-deleted" episode's pod: in range, deleted, and not created again in the recording.
    deleted: PodIncarnation | None = None

    def contains(self, rank: int) -> bool:
        """True when `rank` falls inside the episode's window."""
        return self.start_rank <= rank < self.end_rank


def find_episodes(
    life: Lifecycles, *, statefulset: str | None = None, seeded: frozenset[int] = frozenset()
) -> tuple[Episode, ...]:
    """Every episode of every StatefulSet (or of the one named), in order of their start.

    `seeded`: for a window's recording, the ids of the changes that rebuilt its state at the
    window's start (`stswatch.reports.recording.Window.seeded`).
    """
    end = len(life.ordering.rank)
    # A window opens just after the last change that rebuilt its state.
    opened = max((life.ordering.rank[i] + 1 for i in seeded), default=None)
    found: list[Episode] = []
    for sts in life.statefulsets:
        if statefulset is not None and not sts.answers_to(statefulset):
            continue
        adopted = _adopted_at_creation(life, sts) or _adopted_before(life, sts, seeded)
        spec_episodes = _spec_episodes(
            sts,
            ordering=life.ordering,
            end=end,
            adopted=adopted,
            under_way=_listed_under_way(life, sts, seeded=seeded, opened=opened),
            reused=_reused_revision(life, sts, windowed=bool(seeded)) if adopted else None,
        )
        found.extend(_outlasting(life, sts, spec_episodes))
        found.extend(_recreations(life, sts, spec_episodes, end=end))
        found.extend(_unreplaced(life, sts, spec_episodes, end=end))
        found.extend(_service_episodes(life, sts, end=end))
        found.extend(_replacement(life, sts))
        found.extend(_deletion(life, sts, end=end, opened=opened))
    found.sort(key=lambda e: (e.start_rank, _precedence(e.kind)))
    return tuple(found)


def _precedence(kind: str) -> int:
    """At one rank: the replacement first, then what the spec asked, then the rest."""
    if kind == "statefulset-replaced":
        return 0
    return 1 if kind in SPEC_KINDS else 2


def _reused_revision(
    life: Lifecycles, sts: StatefulSetIncarnation, *, windowed: bool = False
) -> RevisionIncarnation | None:
    """The ControllerRevision a new set took as its first update revision when it is one the
    set adopted (an earlier set's, left by an orphaning delete: `adoptOrphanRevisions`): its
    template was that one's, so the controller reused it (`getStatefulSetRevisions`). In a
    window (`windowed`) the revision is listed at its last change before it, after the set's
    creation: older than the set by its creationTimestamp."""
    update = next((v.update_revision for v in sts.statuses if v.update_revision), None)
    born = sts.transitions[0]

    def older(created: Transition) -> bool:
        if created.rank < born.rank:
            return True
        at, then = created.api_time, born.api_time
        return windowed and at is not None and then is not None and at < then

    return next((r for r in life.revisions_of(sts) if r.name == update and older(r.created)), None)


def _adopted_at_creation(life: Lifecycles, sts: StatefulSetIncarnation) -> list[PodIncarnation]:
    """The pods a set created while recording found and adopted (ClaimPods): made by another
    set of its name that was deleted with its pods orphaned, alive when this one appeared."""
    if sts.first_observed == "list":
        return []
    born = sts.specs[0].rank
    return [
        p
        for p in life.pods
        if p.namespace == sts.namespace
        and p.owner_uid != sts.uid
        and p.created.rank < born
        and p.alive_at(born)
        and p.ever_controlled_by(sts.uid)
    ]


def _adopted_before(
    life: Lifecycles, sts: StatefulSetIncarnation, seeded: frozenset[int]
) -> list[PodIncarnation]:
    """For a set created before a window began (its creation brought in as the change that set
    its spec, `stswatch.reports.window_reader`), the pods the window's start lists under it
    when one of them is older than the set (its creationTimestamp before the set's): the set
    adopted pods when it was created (ClaimPods), whose own rows lie before the window. What
    its first episode works on from the window's start are the pods then listed."""
    born = sts.transitions[0]
    if sts.first_observed == "list" or born.change_id not in seeded or born.api_time is None:
        return []
    listed = [
        p
        for p in life.pods
        if p.namespace == sts.namespace
        and p.first_observed == "list"
        and p.created.change_id in seeded
        and p.ever_controlled_by(sts.uid)
    ]
    created = [p.created.api_time for p in listed]
    return listed if any(at is not None and at < born.api_time for at in created) else []


def _listed_under_way(
    life: Lifecycles, sts: StatefulSetIncarnation, *, seeded: frozenset[int], opened: int | None
) -> list[UnderWay]:
    """What a set the recording found already there (first seen in the initial list) showed
    under way then, read against its first spec and status.

    A window whose start found the set still working on a spec changed before it brings the
    set's previous generation first, only so that the change reads as one
    (`stswatch.reports.window_reader`); the pods it lists are those at the window's start (each at
    its last change, which may come after the spec change). What they show is read against the
    spec then in force and begins at the window's start: the older spec would invent an episode,
    and its span, before the change, holds none of the pods listed after it."""
    if sts.first_observed != "list":
        return []
    if opened is not None and sts.deletion_began is not None and sts.deletion_began.rank < opened:
        # Deleted before the window (the deletion bumps metadata.generation and changes no spec
        # field): updateStatefulSet only writes its status, and its pods go with it (the set's
        # deletion episode), none by its spec.
        return []
    later = [spec for spec in sts.specs[1:] if spec.change_id in seeded]
    if not later or opened is None:
        return _shown(life, sts, sts.specs[0], sts.statuses[0] if sts.statuses else None)
    if opened >= len(life.ordering.rank):
        return []  # nothing recorded in the window to tell it by
    now = _shown(life, sts, later[-1], sts.status_at(opened))
    return [replace(u, begin=opened) for u in now]


def _shown(
    life: Lifecycles, sts: StatefulSetIncarnation, spec: SpecVersion, status: StatusVersion | None
) -> list[UnderWay]:
    """The episodes the listed pods show under way under `spec` and `status`."""
    found = []
    if (listed := _listed(life, sts, spec, status)) is not None:
        found.append(UnderWay("scale-up", spec, listed))
    if (condemned := _condemned_listed(life, sts, spec)) is not None:
        found.append(UnderWay("scale-down", spec, condemned))
    if (under_way := _under_way(life, sts, spec, status)) is not None:
        found.append(UnderWay("rolling-update", spec, spec.replicas, under_way))
    return found


def _under_way(
    life: Lifecycles, sts: StatefulSetIncarnation, first: SpecVersion, status: StatusVersion | None
) -> StatusVersion | None:
    """The `status` of a set listed under the spec `first` when it shows a rolling update under
    way: RollingUpdate, currentRevision ≠ updateRevision, and a pod listed in range at or above
    the partition still at another revision than updateRevision (updateStatefulSet has not
    reached it yet). A phased rollout that reached its partition keeps currentRevision too, but
    leaves no such pod."""
    if status is None:
        return None
    current, update = status.current_revision, status.update_revision
    if first.update_strategy != "RollingUpdate" or not current or not update or current == update:
        return None
    lowest = first.start_ordinal + first.partition
    for pods in life.pods_of(sts).values():
        pod = pods[0]
        if pod.first_observed != "list" or pod.ordinal is None or pod.revision is None:
            continue
        if lowest <= pod.ordinal < first.end_ordinal and pod.revision != update:
            return status
    return None


def _listed(
    life: Lifecycles, sts: StatefulSetIncarnation, first: SpecVersion, status: StatusVersion | None
) -> int | None:
    """For a set listed under the spec `first` with fewer pods than its replicas, the count of
    its pods in the initial list when they are the lowest ordinals (start, start+1, …): a
    scale-up under way (the monotonic walk creates the missing ones from the lowest up). None
    otherwise, and when none was listed (nothing shows the set's pods were recorded)."""
    if status is None:
        return None
    if status.replicas is None or status.replicas >= first.replicas:
        return None
    listed = sorted(
        pods[0].ordinal
        for pods in life.pods_of(sts).values()
        if pods[0].first_observed == "list" and pods[0].ordinal is not None
    )
    if listed != list(range(first.start_ordinal, first.start_ordinal + len(listed))):
        return None
    return len(listed) if 0 < len(listed) < first.replicas else None


def _condemned_listed(
    life: Lifecycles, sts: StatefulSetIncarnation, first: SpecVersion
) -> int | None:
    """For a set listed under the spec `first` with pods of the initial list outside its range
    (condemned: a scale-down under way, processCondemned deleting them from the highest
    ordinal), the count of its pods listed; None otherwise."""
    listed = [
        pods[0].ordinal
        for pods in life.pods_of(sts).values()
        if pods[0].first_observed == "list" and pods[0].ordinal is not None
    ]
    return len(listed) if any(not first.in_range(o) for o in listed) else None


def _spec_episodes(
    sts: StatefulSetIncarnation,
    *,
    ordering: Ordering,
    end: int,
    adopted: list[PodIncarnation] | None = None,
    under_way: list[UnderWay] | None = None,
    reused: RevisionIncarnation | None = None,
) -> list[Episode]:
    """The spec's episodes; a set created over pods it adopts starts from those pods: it scales
    them up or down to its replicas, and updates those at another template's revision. A set
    found mid-rollout, mid-scale-up or with pods out of its range starts with what it showed
    `under_way`; each of those stops no other episode."""
    starts: list[tuple[SpecVersion, str, int, int]] = []
    first = sts.specs[0]
    if sts.first_observed != "list" and adopted:
        # The pods it adopted against its range [ordinals.start, start + replicas): those
        # missing are created (a scale-up), those outside it condemned (a scale-down); a start
        # ordinal other than the earlier set's gives both, as moving a live set's start does.
        have = len(adopted)
        ordinals = {p.ordinal for p in adopted if p.ordinal is not None}
        if any(o not in ordinals for o in range(first.start_ordinal, first.end_ordinal)):
            starts.append((first, "scale-up", have, first.replicas))
        if any(not first.in_range(o) for o in ordinals):
            starts.append((first, "scale-down", have, first.replicas))
        update = next((v.update_revision for v in sts.statuses if v.update_revision), None)
        if update is not None and any(p.revision not in (None, update) for p in adopted):
            kind = "ondelete-update" if first.update_strategy == "OnDelete" else "rolling-update"
            starts.append((first, kind, first.replicas, first.replicas))
    elif sts.first_observed != "list" and first.replicas > 0:
        starts.append((first, "scale-up", 0, first.replicas))
    for spec in sts.specs[1:]:
        previous = sts.spec_at(spec.rank - 1)
        if "start_ordinal" in spec.changed:
            # The range moves: new ordinals are created, those outside it condemned.
            starts.append((spec, "scale-up", previous.replicas, spec.replicas))
            starts.append((spec, "scale-down", previous.replicas, spec.replicas))
        elif "replicas" in spec.changed:
            kind = "scale-up" if spec.replicas > previous.replicas else "scale-down"
            starts.append((spec, kind, previous.replicas, spec.replicas))
        if {"template_hash", "partition", "update_strategy"} & set(spec.changed):
            # A switch from OnDelete to RollingUpdate is an update of its own: the controller
            # now replaces what OnDelete left behind, and promotes currentRevision when none is.
            kind = "ondelete-update" if spec.update_strategy == "OnDelete" else "rolling-update"
            starts.append((spec, kind, spec.replicas, spec.replicas))
    # What a spec changed before a window began is under way in that change's own episode, when
    # it began one of that kind.
    own = {(spec.change_id, kind) for spec, kind, _, _ in starts}
    mids = [u for u in under_way or () if u.begin is None or (u.spec.change_id, u.kind) not in own]
    starts[:0] = [(u.spec, u.kind, u.before, u.spec.replicas) for u in mids]
    began = sts.deletion_began
    gone = began.rank if began is not None else end
    episodes = []
    # A spec change seen only by a relist happened somewhere in the gap: start there.
    begins = [ordering.earliest(s[0].change_id) for s in starts]
    for i, found in enumerate(mids):
        if found.begin is not None:  # under a spec changed before a window: at its start
            begins[i] = found.begin
    # Each episode stops at the earliest later start after its own (one sorted pass from the end).
    following: list[int] = []
    seen: list[int] = []
    for i in reversed(range(len(begins))):
        at = bisect_right(seen, begins[i])
        following.append(seen[at] if at < len(seen) else end)
        if i >= len(mids):
            insort(seen, begins[i])
    following.reverse()
    for i, (spec, kind, before, after) in enumerate(starts):
        stop = min(following[i], gone, end)
        what = _spec_summary(sts, spec, kind, before, after)
        if adopted and spec is first and sts.first_observed != "list":
            what = _adopting_summary(sts, spec, kind, before, after, reused)
        if i < len(mids):
            what = _under_way_summary(sts, mids[i], after)
        what += _unseen_specs(sts, spec, begins[i], ordering.rank[spec.change_id])
        episode = Episode(kind, sts, spec, begins[i], stop, spec.change_id, what, before, after)
        episodes.append(replace(episode, under_way=True) if i < len(mids) else episode)
    return episodes


def _under_way_summary(sts: StatefulSetIncarnation, found: UnderWay, after: int) -> str:
    """The summary of an episode the first list showed under way."""
    spec, before, status = found.spec, found.before, found.status
    if found.kind == "scale-up":
        return (
            f"{sts.name}: scale-up {before}→{after} under way when the recording began "
            f"({spec.pod_management_policy})"
        )
    if found.kind == "scale-down":
        return (
            f"{sts.name}: scale-down {before}→{after} under way when the recording began "
            f"({spec.pod_management_policy}: pods outside the range at the first list)"
        )
    update, current = (status.update_revision, status.current_revision) if status else (None, None)
    return (
        f"{sts.name}: rolling update under way when the recording began (updateRevision "
        f"{update} ≠ currentRevision {current} at the first list, partition {spec.partition})"
    )


def _unseen_specs(sts: StatefulSetIncarnation, spec: SpecVersion, begin: int, rank: int) -> str:
    """' (seen by the relist after a recorder gap: generation 3 → 5, so 2 spec changes were
    made unseen, and this episode is what they made together)': a spec change a relist recorded
    whose generation rose by more than one (metadata.generation grows by one a spec change)."""
    if begin == rank:  # not moved back into a gap: the watch saw it
        return ""
    at = sts.specs.index(spec)
    previous = sts.specs[at - 1] if at > 0 else None
    if previous is None or previous.generation is None or spec.generation is None:
        return ""
    made = spec.generation - previous.generation
    if made <= 1:
        return ""
    return (
        f" (seen by the relist after a recorder gap: generation {previous.generation} → "
        f"{spec.generation}, so {made} spec changes were made unseen, and this episode is what "
        "they made together)"
    )


def _outlasting(
    life: Lifecycles, sts: StatefulSetIncarnation, episodes: list[Episode]
) -> list[Episode]:
    """`episodes` with each scale-up that a template change overtook (replicas as they were)
    running on until its new ordinals were Ready: the controller's walk (processReplica, then the
    update's deletions) still creates them first, in order, at the update revision
    (newVersionedStatefulSetPod), so the scale-up was not superseded. One under way when a window
    began, beside an update begun before it, lasts until then too, not until the next change."""
    out = list(episodes)
    pods = life.pods_of(sts)
    for i, (episode, after) in enumerate(pairwise(episodes)):
        if episode.kind != "scale-up" or after.kind not in UPDATE_KINDS:
            continue
        spec = after.spec
        if "replicas" in spec.changed or "start_ordinal" in spec.changed:
            continue
        if spec.replicas != episode.to_replicas or episode.from_replicas is None:
            continue
        # The next episode that changed more than the template bounds the wait.
        bound = episodes[i + 2].start_rank if i + 2 < len(episodes) else None
        first = spec.start_ordinal + episode.from_replicas
        ready = []
        for ordinal in range(first, spec.end_ordinal):
            made = [p for p in pods.get(ordinal, ()) if p.created.rank >= episode.start_rank]
            step = made[0].first("ready") if made else None
            if step is None or (bound is not None and step.rank >= bound):
                break
            ready.append(step.rank)
        else:
            within = episode.under_way and after.start_rank < episode.start_rank
            if ready and (max(ready) >= episode.end_rank or within):
                out[i] = replace(episode, end_rank=max(ready) + 1, outlasts=after.start_rank)
    return out


def _rolled_back_to(sts: StatefulSetIncarnation, spec: SpecVersion) -> str | None:
    """A template change back to an earlier template: the revision that template had ("revision
    web-6cb5fc568c"), else "an earlier template". The controller reuses that ControllerRevision
    (bumping its `revision` number) rather than making a new one (`getStatefulSetRevisions`)."""
    then = sts.reverted_at(spec.rank)
    if then is None:
        return None
    later = sts.specs.index(then) + 1
    until = sts.specs[later].rank if later < len(sts.specs) else spec.rank
    for status in sts.statuses_between(then.rank, until):
        observed = then.generation is None or (status.observed_generation or 0) >= then.generation
        if observed and status.update_revision:
            return f"revision {status.update_revision}"
    return "an earlier template"


def _adopting_summary(
    sts: StatefulSetIncarnation,
    spec: SpecVersion,
    kind: str,
    before: int,
    after: int,
    reused: RevisionIncarnation | None = None,
) -> str:
    """A new set's first episode over the pods it adopted (ClaimPods); `reused`: the adopted
    ControllerRevision it took as its update revision, if it did."""
    if kind in UPDATE_KINDS:
        how = "OnDelete update" if kind == "ondelete-update" else "rolling update"
        if reused is not None:
            then, now = reused.revision_at(sts.transitions[0].rank), reused.revision
            bumped = f", its revision number {then}→{now}" if then != now else ""
            return (
                f"{sts.name}: {how} of the pods it adopted to revision {reused.name} (an "
                f"earlier set's ControllerRevision it adopted and reused for its template"
                f"{bumped}: getStatefulSetRevisions; partition {spec.partition})"
            )
        return (
            f"{sts.name}: {how} of the pods it adopted (their revision is another template's, "
            f"partition {spec.partition})"
        )
    if before == after:  # as many pods as replicas, at other ordinals than its range
        side = "new ordinals" if kind == "scale-up" else "condemned ordinals"
        return (
            f"{sts.name}: {kind} of {side} around the {before} pods it adopted (ordinals.start "
            f"{spec.start_ordinal}, replicas {after}, {spec.pod_management_policy})"
        )
    return (
        f"{sts.name}: {kind} {before}→{after} of the pods it adopted ({spec.pod_management_policy})"
    )


def _spec_summary(
    sts: StatefulSetIncarnation, spec: SpecVersion, kind: str, before: int, after: int
) -> str:
    if kind == "ondelete-update":
        back = _rolled_back_to(sts, spec) if "template_hash" in spec.changed else None
        what = f"rollback to {back}" if back is not None else "template changed"
        return (
            f"{sts.name}: OnDelete update ({what}): pods take the update revision only when deleted"
        )
    if kind == "rolling-update" and not {"template_hash", "partition"} & set(spec.changed):
        return (
            f"{sts.name}: rolling update (update strategy changed to RollingUpdate, partition "
            f"{spec.partition})"
        )
    if kind == "rolling-update":
        what = "template" if "template_hash" in spec.changed else "partition"
        if what == "template" and (back := _rolled_back_to(sts, spec)) is not None:
            return f"{sts.name}: rolling update (rollback to {back}, partition {spec.partition})"
        return f"{sts.name}: rolling update ({what} changed, partition {spec.partition})"
    if "start_ordinal" in spec.changed:
        previous = sts.spec_at(spec.rank - 1)
        side = "new ordinals" if kind == "scale-up" else "condemned ordinals"
        return (
            f"{sts.name}: {kind} of {side}, ordinals.start {previous.start_ordinal}→"
            f"{spec.start_ordinal}, replicas {before}→{after} ({spec.pod_management_policy})"
        )
    return f"{sts.name}: {kind} {before}→{after} ({spec.pod_management_policy})"


def _recreations(
    life: Lifecycles, sts: StatefulSetIncarnation, spec_episodes: list[Episode], *, end: int
) -> list[Episode]:
    """Pods deleted and created again at the same ordinal, except rolling-update replacements."""
    found = []
    for incarnations in life.pods_of(sts).values():
        for old, new in pairwise(incarnations):
            if not _belongs(new, sts, life.ordering) or _is_rollout(old, new, spec_episodes):
                continue
            if _is_scale_up(old, new, sts):
                continue
            start = old.deletion_began or new.created
            spec = sts.spec_at(start.rank)
            begin = life.ordering.earliest(start.change_id)
            what = f"{new.name} {_ended(old)}deleted and recreated (uid {old.uid} → {new.uid})"
            found.append(
                Episode(
                    "pod-recreated",
                    sts,
                    spec,
                    begin,
                    _settled(new, end),
                    start.change_id,
                    what,
                    recreation=Recreation(old, new),
                )
            )
    return found


def _unreplaced(
    life: Lifecycles, sts: StatefulSetIncarnation, spec_episodes: list[Episode], *, end: int
) -> list[Episode]:
    """In-range pods deleted and never created again in the recording (the controller creates
    the missing ordinal only when its walk reaches it: under OrderedReady, once every lower pod
    is Running and Ready), except those a spec episode deleted (a rollout's pod not yet back)
    and those the set's own deletion took."""
    found = []
    began = sts.deletion_began
    gone = began.rank if began is not None else end
    for ordinal, incarnations in life.pods_of(sts).items():
        last = incarnations[-1]
        start = last.deletion_began
        if start is None or start.rank >= gone or not _belongs(last, sts, life.ordering):
            continue
        spec = sts.spec_at(start.rank)
        if not spec.in_range(ordinal):
            continue  # condemned: a scale-down's
        if any(e.kind in UPDATE_KINDS and e.contains(start.rank) for e in spec_episodes):
            continue  # the rollout's replacement, told by its episode
        what = (
            f"{last.name} {_ended(last)}deleted, not created again in the recording "
            f"(uid {last.uid})"
        )
        begin = life.ordering.earliest(start.change_id)
        episode = Episode("pod-deleted", sts, spec, begin, end, start.change_id, what)
        found.append(replace(episode, deleted=last))
    return found


def _ended(pod: PodIncarnation) -> str:
    """'ended Failed (Evicted), ' when the pod reached a terminal phase before its deletion."""
    step = pod.finished()
    if step is None:
        return ""
    reason = f" ({step.detail})" if step.detail else ""
    return f"ended {step.what.capitalize()}{reason}, "


def _belongs(pod: PodIncarnation, sts: StatefulSetIncarnation, ordering: Ordering) -> bool:
    first = ordering.earliest(sts.transitions[0].change_id)
    gone = next((t.rank for t in sts.transitions if t.what == "deleted"), None)
    return pod.created.rank >= first and (gone is None or pod.created.rank <= gone)


def _is_rollout(old: PodIncarnation, new: PodIncarnation, spec_episodes: list[Episode]) -> bool:
    """The new pod replaced the old one for an update: another revision, inside an update
    episode, and the old one had not finished running (processReplica deletes and recreates a
    Failed or Succeeded pod at any time, at the revision newVersionedStatefulSetPod gives it:
    a recreation of its own, even mid-rollout or under OnDelete)."""
    if _ended(old):
        return False
    return old.revision != new.revision and any(
        e.kind in UPDATE_KINDS and e.contains(new.created.rank) for e in spec_episodes
    )


def _is_scale_up(old: PodIncarnation, new: PodIncarnation, sts: StatefulSetIncarnation) -> bool:
    """True when the old pod went away in a scale-down and the new one came with a scale-up: its
    ordinal was out of the set's range (`[ordinals.start, start + replicas)`) when its deletion
    began or when it was gone, so it was condemned, and the range took it back later (a
    scale-up overtaking the scale-down, or `ordinals.start` moved away and back). The deleting
    sync may have read the set before a change recorded up to CACHE_LAG_NS earlier."""
    if old.ordinal is None or old.deleted is None:
        return False
    for step in (old.terminating, old.deleted):
        if step is None:
            continue
        spec = sts.spec_at(step.rank)
        seen = [spec]
        lag = step.received_wall_ns - spec.received_wall_ns
        if lag <= CACHE_LAG_NS and old.created.rank < spec.rank:  # it stood under the spec before
            seen.append(sts.spec_at(spec.rank - 1))
        if any(not s.in_range(old.ordinal) for s in seen):
            return True
    return False


def _settled(pod: PodIncarnation, end: int) -> int:
    """The rank just after the pod first became Ready (or the end of the recording)."""
    ready = pod.first("ready")
    return ready.rank + 1 if ready else end


def _service_episodes(life: Lifecycles, sts: StatefulSetIncarnation, *, end: int) -> list[Episode]:
    found = []
    services = [
        s
        for s in life.services
        if s.namespace == sts.namespace and s.name == sts.specs[0].service_name
    ]
    for i, svc in enumerate(services):
        created, deleted = svc.transitions[0], svc.first_deleted
        if i > 0 and created.rank >= sts.transitions[0].rank:
            what = f"Service {svc.name} recreated (uid {svc.uid})"
            found.append(_service_episode("service-recreated", sts, svc, created, end, what))
        if deleted is not None and deleted.rank >= sts.transitions[0].rank:
            later = [s.transitions[0].rank for s in services[i + 1 :]]
            stop = min([*later, end])
            what = f"Service {svc.name} deleted"
            found.append(_service_episode("service-deleted", sts, svc, deleted, stop, what))
    return found


def _service_episode(
    kind: str,
    sts: StatefulSetIncarnation,
    svc: ServiceIncarnation,
    start: Transition,
    stop: int,
    what: str,
) -> Episode:
    """An episode the Service's `start` transition triggers, under the spec then in force."""
    spec = sts.spec_at(start.rank)
    return Episode(kind, sts, spec, start.rank, stop, start.change_id, what, service=svc)


def _replacement(life: Lifecycles, sts: StatefulSetIncarnation) -> list[Episode]:
    same = life.statefulsets_named(sts.namespace, sts.name)
    index = same.index(sts)
    if index == 0:
        return []
    before = same[index - 1]
    old, new = before.specs[-1], sts.specs[0]
    what = f"{sts.name} replaced (uid {before.uid} → {sts.uid})"
    if old.pod_management_policy != new.pod_management_policy:
        what += f": podManagementPolicy {old.pod_management_policy} → {new.pod_management_policy}"
    start = sts.transitions[0]
    return [
        Episode("statefulset-replaced", sts, new, start.rank, start.rank + 1, start.change_id, what)
    ]


def _deletion(
    life: Lifecycles, sts: StatefulSetIncarnation, *, end: int, opened: int | None
) -> list[Episode]:
    """The StatefulSet itself deleted: from its deletion until its last pod is gone. `opened`:
    the rank a window's reading opens at (None: a whole recording)."""
    gone = sts.deletion_began
    if gone is None:
        return []
    pods = deleted_with(life.pods_of(sts), gone)
    last = [p.deleted.rank for p in pods if p.deleted is not None]
    stop = max(last) + 1 if len(last) == len(pods) and last else end
    what = f"{sts.name} deleted with {len(pods)} pod{'s' * (len(pods) != 1)}"
    if opened is not None and gone.rank < opened:
        # Those gone before the window are not in its state: count only what it shows.
        were = "its pod was" if len(pods) == 1 else f"{len(pods)} of its pods were"
        there = f"; {were} there when the window began" if pods else ""
        what = f"{sts.name} deleted (its deletion began before the window{there})"
    spec = sts.spec_at(gone.rank)
    start = life.ordering.earliest(gone.change_id)
    return [Episode("statefulset-deleted", sts, spec, start, stop, gone.change_id, what)]


def deleted_with(
    slots: Mapping[int, Sequence[PodIncarnation]], gone: Transition
) -> list[PodIncarnation]:
    """The set's pods (`slots`: its incarnations per ordinal) its deletion, begun at `gone`,
    takes: those alive then, and those a list found after it. A list (the recording's first, or
    the state rebuilt at a window's start) ranks each pod at its own last change, which may come
    after the set's deletion began; the pod was there when the reading began, and goes with the
    set."""
    return [
        p
        for incs in slots.values()
        for p in incs
        if p.alive_at(gone.rank) or (p.first_observed == "list" and p.created.rank > gone.rank)
    ]
