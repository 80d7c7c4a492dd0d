"""A StatefulSet incarnation (one uid) rebuilt from its changes: every spec and status version."""

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from stswatch.reports.frozen import builder
from stswatch.reports.history import objects as o
from stswatch.reports.history.informer import CACHE_LAG_NS
from stswatch.reports.history.ordering import Ordering
from stswatch.reports.history.transition import PlainSteps, Transition, deletion_began, first_of
from stswatch.reports.recording import Change

FOREGROUND = "foregroundDeletion"  # the finalizer of a foreground (cascading) deletion
# How many specs back an acting sync's read spec is looked for (a call an admission webhook
# holds up to its 30 s timeout outlives a few spec changes, not many).
_LOOK_BACK = 8


@dataclass(frozen=True, slots=True)
class SpecVersion:
    """A StatefulSet spec as of one change; `changed` names the fields that differ from before."""

    change_id: int
    resource_version: str
    received_wall_ns: int
    rank: int
    generation: int | None
    replicas: int
    pod_management_policy: str
    update_strategy: str
    partition: int
    max_unavailable: str | None
    min_ready_seconds: int
    service_name: str | None
    start_ordinal: int
    template_hash: str
    changed: tuple[str, ...]
    # persistentVolumeClaimRetentionPolicy (Retain when unset, the API default)
    when_scaled: str = "Retain"
    when_deleted: str = "Retain"
    revision_history_limit: int = 10  # the API default

    @property
    def end_ordinal(self) -> int:
        """One past the highest ordinal in range: spec.ordinals.start + spec.replicas."""
        return self.start_ordinal + self.replicas

    def in_range(self, ordinal: int) -> bool:
        """Whether `ordinal` is in [spec.ordinals.start, start + spec.replicas): the pods the
        controller keeps (getStatefulSetMaxOrdinal's range); the others are condemned."""
        return self.start_ordinal <= ordinal < self.start_ordinal + self.replicas

    @property
    def retention_policy(self) -> str:
        """`whenScaled=<policy>, whenDeleted=<policy>` as the report header shows it."""
        return f"whenScaled={self.when_scaled}, whenDeleted={self.when_deleted}"


@dataclass(frozen=True, slots=True)
class StatusVersion:
    """A StatefulSet status as of one change."""

    change_id: int
    resource_version: str
    received_wall_ns: int
    rank: int
    observed_generation: int | None
    replicas: int | None
    ready_replicas: int | None
    available_replicas: int | None
    current_replicas: int | None
    updated_replicas: int | None
    current_revision: str | None
    update_revision: str | None
    # status.collisionCount: how often a new template's revision name was taken by a revision
    # with other data, so the controller hashed it again (CreateControllerRevision)
    collision_count: int | None


@dataclass(frozen=True)
class StatefulSetIncarnation:
    """One StatefulSet uid with its spec and status histories."""

    namespace: str
    name: str
    uid: str
    first_observed: str
    claim_templates: tuple[str, ...]
    specs: tuple[SpecVersion, ...]
    statuses: tuple[StatusVersion, ...]
    transitions: tuple[Transition, ...]
    # spec.selector.matchLabels (immutable once the set exists); None when the selector has
    # matchExpressions, which this does not evaluate.
    selector: dict[str, str] | None = field(default=None, compare=False)
    # metadata.finalizers on the change where its deletionTimestamp first showed.
    finalizers_at_deletion: tuple[str, ...] = field(default=(), compare=False)
    # The indices into `statuses` at which status.currentRevision differs from the status before
    # (the promotions proofs look for). Fields set once when built, not `cached_property`s: a
    # build compiled with mypyc reads such a property as a plain one, again at every read.
    current_revision_changes: tuple[int, ...] = field(init=False, repr=False, compare=False)
    # The specs' receive times in order, and each one's index in `specs` (receive times need not
    # follow ranks exactly: one bisection finds those of a window).
    _specs_by_wall: tuple[list[int], list[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        statuses = self.statuses
        changes = tuple(
            i
            for i in range(1, len(statuses))
            if statuses[i].current_revision != statuses[i - 1].current_revision
        )
        pairs = sorted((v.received_wall_ns, i) for i, v in enumerate(self.specs))
        object.__setattr__(self, "current_revision_changes", changes)  # frozen: set once, here
        object.__setattr__(self, "_specs_by_wall", ([w for w, _ in pairs], [i for _, i in pairs]))

    def answers_to(self, wanted: str) -> bool:
        """True when `wanted` names this set: NAME, or NAMESPACE/NAME (as `--statefulset`)."""
        namespace, _, name = wanted.rpartition("/")
        return name == self.name and namespace in ("", self.namespace)

    @property
    def deletion_began(self) -> Transition | None:
        """The change at which the set's deletion began (`transition.deletion_began`)."""
        return deletion_began(self.transitions)

    def collected_from(self) -> Transition | None:
        """When the garbage collector may begin deleting the set's dependents (its pods, and
        claims it owns): at its deletionTimestamp under foreground deletion (the
        foregroundDeletion finalizer), else once the set is gone (background deletion; a set
        another finalizer holds keeps its pods until then). None while it was never deleted.
        Upstream: pkg/controller/garbagecollector (attemptToDeleteItem)."""
        began = first_of(self.transitions, "terminating")
        if began is not None and FOREGROUND in self.finalizers_at_deletion:
            return began
        return first_of(self.transitions, "deleted")

    def spec_at(self, rank: int) -> SpecVersion:
        """The spec in force at `rank` (the first spec if `rank` precedes it)."""
        i = bisect_right(self.specs, rank, key=lambda s: s.rank)
        return self.specs[max(i - 1, 0)]

    def specs_seen(self, rank: int, wall_ns: int, lag_ns: int = CACHE_LAG_NS) -> list[SpecVersion]:
        """The specs a sync acting at `rank` (received at `wall_ns`) may have read: the one in
        force then, every one received within `lag_ns` before (the informer cache's lag,
        CACHE_LAG_NS: a sync a moment old could still hold it), and the one the status right
        after names as read (`read_by_sync`: a call held longer)."""
        since = wall_ns - lag_ns
        walls, order = self._specs_by_wall
        found = sorted(order[bisect_left(walls, since) : bisect_right(walls, wall_ns)])
        specs = [self.spec_at(rank)] + [self.specs[i] for i in found]
        read = self.read_by_sync(rank)
        return specs if read is None or read in specs else [*specs, read]

    def specs_before(self, rank: int) -> Iterator[SpecVersion]:
        """The specs recorded before `rank`, newest first, at most _LOOK_BACK of them: a call an
        admission webhook holds (up to its 30 s timeout) outlives a few spec changes, not many."""
        at = bisect_left(self.specs, rank, key=_spec_rank)
        return reversed(self.specs[max(0, at - _LOOK_BACK) : at])

    def read_by_sync(self, rank: int) -> SpecVersion | None:
        """The earlier spec the sync that acted at `rank` (created or deleted a pod) read, when
        the first status recorded after it observed a generation older than the spec in force
        at `rank`, else None. Syncs of one set never overlap (one worker a key), and
        `updateStatefulSetStatus` ends each with the generation it read: a status of an older
        generation right after the action was written by the sync that took it, whose call an
        admission webhook or the client's throttling held past the spec's change."""
        spec = self.spec_at(rank)
        after = self.status_after(rank)
        if after is None or after.observed_generation is None or spec.generation is None:
            return None
        if after.observed_generation >= spec.generation:
            return None
        # Specs are in rank order and generations only grow: walk back from `spec` to the one read.
        for older in self.specs_before(spec.rank):
            if older.generation is not None and older.generation <= after.observed_generation:
                return older if older.generation == after.observed_generation else None
        return None

    def spec_read(self, rank: int) -> SpecVersion | None:
        """The spec the sync that acted at `rank` read, when the first status recorded after it
        says so (`updateStatefulSetStatus` writes the generation its sync read): an older spec
        (`read_by_sync`), or the one in force when that status observed its generation; None
        when the recording cannot tell."""
        older = self.read_by_sync(rank)
        if older is not None:
            return older
        spec, status = self.spec_at(rank), self.status_after(rank)
        observed = status is not None and status.observed_generation == spec.generation
        return spec if observed and spec.generation is not None else None

    def status_at(self, rank: int) -> StatusVersion | None:
        """The last status recorded at or before `rank`."""
        i = bisect_right(self.statuses, rank, key=lambda s: s.rank)
        return self.statuses[i - 1] if i else None

    def status_after(self, rank: int) -> StatusVersion | None:
        """The first status recorded after `rank`."""
        i = bisect_right(self.statuses, rank, key=lambda s: s.rank)
        return self.statuses[i] if i < len(self.statuses) else None

    def reverted_at(self, rank: int) -> SpecVersion | None:
        """If the spec in force at `rank` changed the template back to an earlier one, the latest
        earlier spec with that template, else None: a rollback, for which the controller reuses
        that template's ControllerRevision rather than making a new one
        (`getStatefulSetRevisions`)."""
        i = bisect_right(self.specs, rank, key=lambda s: s.rank) - 1
        if i <= 0 or "template_hash" not in self.specs[i].changed:
            return None
        template = self.specs[i].template_hash
        earlier = [v for v in self.specs[:i] if v.template_hash == template]
        return earlier[-1] if earlier else None

    def statuses_between(self, start_rank: int, end_rank: int) -> tuple[StatusVersion, ...]:
        """The statuses recorded at or after `start_rank` and before `end_rank`, in order."""
        first = bisect_left(self.statuses, start_rank, key=lambda s: s.rank)
        last = bisect_left(self.statuses, end_rank, lo=first, key=lambda s: s.rank)
        return self.statuses[first:last]


def _spec(
    change: Change, obj: o.Obj, ordering: Ordering, previous: SpecVersion | None
) -> SpecVersion:
    template = orjson.dumps(o.dig(obj, "spec", "template"), option=orjson.OPT_SORT_KEYS)
    spec = SpecVersion(
        change_id=change.id,
        resource_version=change.resource_version,
        received_wall_ns=change.received_wall_ns,
        rank=ordering.rank[change.id],
        generation=o.generation(obj),
        replicas=_default(o.spec_int(obj, "replicas"), 1),
        pod_management_policy=o.spec_str(obj, "podManagementPolicy") or "OrderedReady",
        update_strategy=o.spec_str(obj, "updateStrategy", "type") or "RollingUpdate",
        partition=o.spec_int(obj, "updateStrategy", "rollingUpdate", "partition") or 0,
        max_unavailable=o.spec_str(obj, "updateStrategy", "rollingUpdate", "maxUnavailable"),
        min_ready_seconds=o.spec_int(obj, "minReadySeconds") or 0,
        service_name=o.spec_str(obj, "serviceName"),
        start_ordinal=o.spec_int(obj, "ordinals", "start") or 0,
        template_hash=hashlib.sha256(template).hexdigest()[:10],
        changed=(),
        when_scaled=o.spec_str(obj, "persistentVolumeClaimRetentionPolicy", "whenScaled")
        or "Retain",
        when_deleted=o.spec_str(obj, "persistentVolumeClaimRetentionPolicy", "whenDeleted")
        or "Retain",
        revision_history_limit=_default(o.spec_int(obj, "revisionHistoryLimit"), 10),
    )
    return spec if previous is None else _with_changed(spec, previous)


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


_SPEC_FIELDS = (
    "replicas",
    "pod_management_policy",
    "update_strategy",
    "partition",
    "max_unavailable",
    "min_ready_seconds",
    "service_name",
    "start_ordinal",
    "template_hash",
    "when_scaled",
    "when_deleted",
    "revision_history_limit",
)


def _with_changed(spec: SpecVersion, previous: SpecVersion) -> SpecVersion:
    changed = tuple(f for f in _SPEC_FIELDS if getattr(spec, f) != getattr(previous, f))
    return replace(spec, changed=changed)


def _status_fields(status: object, counts: dict[int, int]) -> tuple[Any, ...]:
    """A status as StatusVersion holds it, after the four fields saying where it was seen (its
    counts shared through `counts`: one int object for each value a set's statuses repeat)."""
    status = o.mapping(status)
    fields: list[Any] = []
    for key in _COUNTS:
        n = status.get(key)
        fields.append(counts.setdefault(n, n) if type(n) is int else o.integer(n))
    fields.append(o.string(status.get("currentRevision")))
    fields.append(o.string(status.get("updateRevision")))
    fields.append(o.integer(status.get("collisionCount")))
    return tuple(fields)


_COUNTS = (
    "observedGeneration",
    "replicas",
    "readyReplicas",
    "availableReplicas",
    "currentReplicas",
    "updatedReplicas",
)


_status_version = builder(StatusVersion)  # hot: a large set writes a status per pod change


def build_statefulset(
    history: list[Change], ordering: Ordering, objects: Iterable[o.Obj]
) -> StatefulSetIncarnation:
    """One StatefulSet uid's spec and status histories from its changes, in order, and their
    decoded `objects`."""
    specs: list[SpecVersion] = []
    statuses: list[StatusVersion] = []
    seen_spec: object = None
    seen_status: object = None
    status_fields: tuple[Any, ...] | None = None
    counts: dict[int, int] = {}
    plain = PlainSteps(ordering)
    first_obj: o.Obj | None = None
    finalizers: tuple[str, ...] = ()
    for change, obj in zip(history, objects, strict=True):
        first_obj = first_obj if first_obj is not None else obj
        terminating = plain.terminating
        plain.see(change, obj)
        if plain.terminating and not terminating:
            finalizers = tuple(str(f) for f in o.items(o.dig(obj, "metadata", "finalizers")))
        # Most changes are status writes: skip the spec when its JSON is unchanged, and back.
        if obj.get("spec") != seen_spec:
            seen_spec = obj.get("spec")
            spec = _spec(change, obj, ordering, specs[-1] if specs else None)
            if not specs or spec.changed:
                specs.append(spec)
        if obj.get("status") != seen_status:
            seen_status = obj.get("status")
            fields = _status_fields(seen_status, counts)
            if fields != status_fields:  # a new version only when a field it holds changed
                status_fields = fields
                rank = ordering.rank[change.id]
                where = (change.id, change.resource_version, change.received_wall_ns, rank)
                statuses.append(_status_version(*where, *fields))
    first = history[0]
    templates = o.dig(first_obj or {}, "spec", "volumeClaimTemplates") or ()
    claim_templates = tuple(str(o.dig(t, "metadata", "name")) for t in templates)
    return StatefulSetIncarnation(
        first.namespace or "",
        first.name,
        first.uid,
        first.observed,
        claim_templates,
        tuple(specs),
        tuple(statuses),
        tuple(plain.steps),
        _selector(first_obj or {}),
        finalizers,
    )


def _selector(obj: o.Obj) -> dict[str, str] | None:
    """spec.selector.matchLabels, or None when matchExpressions narrow it too."""
    selector = o.dig(obj, "spec", "selector")
    if not isinstance(selector, dict) or selector.get("matchExpressions"):
        return None
    labels = selector.get("matchLabels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _spec_rank(spec: SpecVersion) -> int:
    return spec.rank
