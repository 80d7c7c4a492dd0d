"""The timeline view model: what a report draws, in seconds from the session's start.

Every drawn thing (a segment, a step, an Event marker) names the change id that evidences it,
so a reader can click from a picture to the recorded object. The model is plain frozen data:
the HTML, JSON and text renderers all read the same `Timeline`. The records a large session
draws by the ten or hundred thousand (lanes, segments, Event markers, steps, evidence links)
have slots, and their builders build them through `stswatch.reports.frozen.builder`.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, overload

import orjson

from stswatch.safe_text import json_bytes


class State(StrEnum):
    """What a pod incarnation or a claim is doing during a segment of its lane."""

    PENDING = "pending"  # created, not yet bound to a node
    SCHEDULED = "scheduled"  # bound to a node, containers not running
    RUNNING = "running"  # Running, not Ready
    READY = "ready"  # Running and Ready
    TERMINATING = "terminating"  # deletionTimestamp set, object not gone yet
    FINISHED = "finished"  # Failed or Succeeded
    CLAIM_PENDING = "claim-pending"
    BOUND = "bound"
    CLAIM_LOST = "claim-lost"


STATE_LABELS: dict[State, str] = {
    State.PENDING: "Pending",
    State.SCHEDULED: "scheduled",
    State.RUNNING: "Running, not Ready",
    State.READY: "Ready",
    State.TERMINATING: "Terminating",
    State.FINISHED: "Failed/Succeeded",
    State.CLAIM_PENDING: "claim Pending",
    State.BOUND: "claim Bound",
    State.CLAIM_LOST: "claim Lost",
}


@dataclass(frozen=True, slots=True)
class Segment:
    """One state of one incarnation, from the change that showed it to the next one."""

    state: State
    start: float
    end: float
    change_id: int
    uid: str
    note: str = ""  # node, PV name, container reason: whatever the state says more
    open_end: bool = False  # still in this state when the recording ended


@dataclass(frozen=True, slots=True)
class EventMarker:
    """A Kubernetes Event drawn on the lane (or series) of the object it is about."""

    t: float
    change_id: int
    reason: str
    message: str
    type: str  # Normal | Warning
    object_kind: str
    object_name: str

    @property
    def title(self) -> str:
        """The Event in a sentence: type, reason, object, moment and message (its tooltip)."""
        return (
            f"Event {self.type} {self.reason} on {self.object_kind} {self.object_name}"
            f" at {self.t:.2f}s: {self.message}"
        )


@dataclass(frozen=True, slots=True)
class Lane:
    """One pod ordinal or one PVC: every incarnation of that name, left to right."""

    key: str  # "pod/redis-0", "pvc/data-redis-0": unique in a timeline
    kind: str  # "pod" | "pvc"
    name: str
    ordinal: int | None
    segments: tuple[Segment, ...]
    moments: tuple[tuple[float, int], ...]  # (t, change id) of every change drawn here
    events: tuple[EventMarker, ...] = ()
    incarnations: int = 1


@dataclass(frozen=True, slots=True)
class Step:
    """A step of a StatefulSet count: `value` from `t` on, as shown by `change_id`."""

    t: float
    value: int
    change_id: int


@dataclass(frozen=True)
class Series:
    """A StatefulSet count over time (spec.replicas, status.readyReplicas, ...)."""

    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class HeldStretch:
    """Part of an episode in which one pod held the controller: it could take no step."""

    pod: str
    cause: str  # a word of `stswatch.reports.causes`: not Ready, terminating, ...
    start: float
    end: float  # the episode's end when the hold had not ended by then
    open_end: bool
    text: str  # pod, cause, how long and what released it, in one sentence
    change_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Band:
    """A named span across all lanes: a scaling episode, a gap (recorded or silent)."""

    name: str
    start: float
    end: float
    detail: str = ""
    kind: str = ""  # for gaps: which kind may be missing changes
    index: int = 0  # for episodes: the episode's number, as verdicts cite it ("#2 scale-up")
    state: str = ""  # for episodes: completed, halted, progressing, superseded, instant
    progress: str = ""  # for episodes: whether it completed and where it stands
    holds: tuple[HeldStretch, ...] = ()

    @property
    def label(self) -> str:
        """The name with the episode's number, when it has one."""
        return f"#{self.index} {self.name}" if self.index else self.name


@dataclass(frozen=True)
class MarkLine:
    """A labelled moment (a scenario step beginning or ending, a user's note)."""

    t: float
    label: str
    number: str = ""  # the scenario step number, if the mark is a step's
    note: str = ""  # what the step saw (a wait's outcome), if it said


@dataclass(frozen=True, slots=True)
class EvidenceLink:
    """One moment a verdict cites."""

    change_id: int
    t: float
    label: str


class EvidenceLinks(Sequence[EvidenceLink]):
    """The moments a verdict cites, each an `EvidenceLink` made when asked from what was cited
    (`cited`, through `link`), their change ids made at once (`change_ids`). A 10,000-pod
    session's verdicts cite 124,000 changes: the HTML report reads every change id and shows
    the first few links; the JSON writes them all (`timeline_json`)."""

    __slots__ = ("_cited", "_link", "change_ids")

    def __init__(
        self, cited: Sequence[Any], link: Callable[[Any], EvidenceLink], change_ids: Sequence[int]
    ) -> None:
        if len(change_ids) != len(cited):
            raise ValueError("a change id for each thing cited")
        self._cited, self._link, self.change_ids = cited, link, change_ids

    def __len__(self) -> int:
        return len(self._cited)

    @overload
    def __getitem__(self, at: int) -> EvidenceLink: ...

    @overload
    def __getitem__(self, at: slice) -> tuple[EvidenceLink, ...]: ...

    def __getitem__(self, at: int | slice) -> EvidenceLink | tuple[EvidenceLink, ...]:
        if isinstance(at, slice):
            return tuple(map(self._link, self._cited[at]))
        return self._link(self._cited[at])

    def __iter__(self) -> Iterator[EvidenceLink]:
        return map(self._link, self._cited)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvidenceLinks | tuple):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # as the tuple it stands for, but not hashed


@dataclass(frozen=True)
class MarkCite:
    """One scenario mark a verdict cites (what a command in a pod printed), at its moment."""

    mark_id: int
    t: float
    label: str


@dataclass(frozen=True)
class VerdictView:
    """A verdict as the report shows it."""

    name: str
    outcome: str  # pass | fail | n-a | inconclusive (n-a: the proof does not apply)
    reason: str
    evidence: EvidenceLinks
    missing: str = (
        ""  # for inconclusive: the cause, a key of `stswatch.reports.proofs.explain.CAUSES`
    )
    why: str = ""  # for inconclusive: that cause in a sentence, naming the gap if it is one
    marks: tuple[MarkCite, ...] = ()  # scenario marks cited beside the changes


@dataclass(frozen=True)
class Quantiles:
    """How long one lifecycle phase took in one episode, in seconds, over its new pods."""

    episode: str
    phase: str
    count: int
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True)
class ChangeView:
    """A recorded change as the inspector shows it: its diff from the object's previous one."""

    id: int
    t: float
    kind: str
    namespace: str | None
    name: str
    uid: str
    event: str
    resource_version: str
    observed: str
    lane: str | None
    previous_id: int | None
    # (op, path, old, new) with op "+", "-" or "~"; or the whole object when there is no previous
    diff: tuple[tuple[str, str, Any, Any], ...] | None
    object: dict[str, Any] | None


class ChangeViews(Sequence[ChangeView]):
    """Every change as the inspector shows it, held as one column a field (`ChangeView`'s field
    names): a `ChangeView` is built when asked. A 10,000-pod report embeds 200,000 changes, and
    the HTML reads them column by column (`stswatch.reports.timeline.html.change_columns`); a
    frozen record built for each took longer than reading its fields."""

    __slots__ = tuple(f.name for f in fields(ChangeView))

    def __init__(self, **columns: Sequence[Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, columns[name])
        lengths = {len(column) for column in columns.values()}
        if len(columns) != len(self.__slots__) or len(lengths) > 1:
            raise ValueError("a ChangeView's every field, each column of one length")

    @classmethod
    def of(cls, views: Iterable[ChangeView]) -> "ChangeViews":
        """The columns of `views`."""
        views = tuple(views)
        return cls(**{name: [getattr(v, name) for v in views] for name in cls.__slots__})

    def column(self, name: str) -> Sequence[Any]:
        """The values of one of `ChangeView`'s fields, in order."""
        found: Sequence[Any] = getattr(self, name)
        return found

    def __len__(self) -> int:
        return len(self.column("id"))

    @overload
    def __getitem__(self, at: int) -> ChangeView: ...

    @overload
    def __getitem__(self, at: slice) -> tuple[ChangeView, ...]: ...

    def __getitem__(self, at: int | slice) -> ChangeView | tuple[ChangeView, ...]:
        if isinstance(at, slice):
            return tuple(self[i] for i in range(*at.indices(len(self))))
        return ChangeView(*(getattr(self, name)[at] for name in self.__slots__))

    def __iter__(self) -> Iterator[ChangeView]:
        columns = (getattr(self, name) for name in self.__slots__)
        return (ChangeView(*row) for row in zip(*columns, strict=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChangeViews | tuple):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # holds the changes' objects (dicts)


@dataclass(frozen=True)
class Timeline:
    """One session (or one StatefulSet of it), ready to draw."""

    session: str
    statefulset: str | None
    namespace: str | None
    policy: str | None
    server_version: str
    start_wall_ns: int
    duration: float
    lanes: tuple[Lane, ...]
    series: tuple[Series, ...]
    statefulset_events: tuple[EventMarker, ...]
    episodes: tuple[Band, ...]
    gaps: tuple[Band, ...]
    marks: tuple[MarkLine, ...]
    verdicts: tuple[VerdictView, ...] | None  # None: verdicts could not be computed
    latencies: tuple[Quantiles, ...]
    changes: ChangeViews
    notes: tuple[str, ...] = ()  # what the report could not show, said plainly
    ordering: str = ""  # what the order of the changes rests on (resourceVersion or receive)
    retention_policy: str | None = None  # persistentVolumeClaimRetentionPolicy, last spec's

    @property
    def inconclusive_missing(self) -> tuple[str, ...]:
        """The cause of each inconclusive verdict (keys of
        `stswatch.reports.proofs.explain.CAUSES`)."""
        return tuple(v.missing for v in self.verdicts or () if v.outcome == "inconclusive")

    def series_named(self, name: str) -> Series | None:
        """The count series called `name`, if the timeline has one."""
        return next((s for s in self.series if s.name == name), None)


def timeline_json(timeline: Timeline) -> bytes:
    """The timeline as JSON: exactly what the HTML report draws, for other tools to read."""
    return json_bytes(
        orjson.dumps(
            {"format": "stswatch-timeline", "version": 1, "timeline": timeline},
            default=_listed,
            option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS,
        )
    )


def _listed(value: object) -> list[ChangeView] | list[EvidenceLink]:
    """`ChangeViews` and `EvidenceLinks` as orjson writes a tuple of their records (it knows no
    other sequence)."""
    if isinstance(value, ChangeViews):
        return list(value)
    if isinstance(value, EvidenceLinks):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
