"""The result types of `stswatch verify`: verdicts, their evidence, episodes and latency.

The model, for readers of these types (CLI renderers, timeline, HTML):

- `VerifyResult` is one session's verification: the ordering `basis` (and why), the recorded
  `gaps`, and one `EpisodeResult` per episode (`stswatch.reports.history.episodes`), in order.
- An `EpisodeResult` names what happened (`kind`: scale-up, scale-down, rolling-update,
  ondelete-update, pod-recreated, pod-deleted (in range, not created again in the recording),
  service-deleted, service-recreated, statefulset-replaced, statefulset-deleted), to which
  StatefulSet,
  its window (first and last change id), the `verdicts` decided on it and its `latency`.
- A `Verdict` is one proof (`proof`: ordinal-creation, ordered-ready-gating,
  reverse-order-scale-down, rolling-update, stable-network-identity, stable-storage,
  parallel-described, homework-1) with an `outcome`: pass, fail, not-applicable, or inconclusive
  (its evidence window overlaps a recorded gap of a kind it depends on, and `gap` names it; or
  the evidence it needs was never recorded, e.g. no EndpointSlice changes at all). It has a
  one-line `reason`, the ordering `basis`, and `evidence`: the exact changes that decide it;
  `marks` cites scenario marks beside them (what a command in a pod printed).
- `to_dict()` on each gives plain JSON-ready data (orjson can dump it directly).
"""

from dataclasses import asdict, dataclass
from typing import Any, Literal

from stswatch.reports.frozen import builder

Outcome = Literal["pass", "fail", "not-applicable", "inconclusive"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "not-applicable", "inconclusive")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One recorded change cited by a verdict, with a short note on what it shows."""

    change_id: int
    resource_version: str
    received_wall_ns: int
    kind: str
    name: str
    event: str
    note: str


# `Evidence(...)` of every field, in order (hot: every change a verdict cites).
evidence = builder(Evidence)


@dataclass(frozen=True)
class MarkRef:
    """One scenario mark a verdict cites beside its changes: what a command in a pod printed.

    A mark is not a change of the cluster (it is the scenario's own record, table `mark`), so it
    is cited apart, by mark id, receive time and scenario step.
    """

    mark_id: int
    received_wall_ns: int
    step: int | None
    label: str
    note: str


@dataclass(frozen=True)
class GapRef:
    """A recorded gap a verdict's window overlaps."""

    gap_id: int
    kind: str
    reason: str
    from_wall_ns: int
    to_wall_ns: int


@dataclass(frozen=True)
class WindowRef:
    """The stretch of the session a verification read (`--since`/`--until`), wall ns."""

    since_wall_ns: int
    until_wall_ns: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """One proof's decision on one episode, with the changes that decide it."""

    proof: str
    outcome: Outcome
    reason: str
    basis: str
    evidence: tuple[Evidence, ...] = ()
    gap: GapRef | None = None
    # For an inconclusive verdict, why its evidence is missing: "gap" (a recorded gap, `gap`
    # names it; "retention" when that gap is history retention deleted; "silent" when it is rows
    # missing that no gap record tells), "recording-end" (the
    # recording ended, or is still live, within the settle window after the change, so the
    # evidence could still arrive), "not-recorded" (the kind was never recorded in this
    # session), "cannot-tell" (what was recorded allows two readings, its reason gives both),
    # "changed-again" (a settle-time judgment whose set changed again before the
    # controller's next sync) or "window" (only a window of the session was read and the
    # verdict's episode or evidence lies partly outside it).
    missing: str | None = None
    # Scenario marks cited beside the changes: an exec step's output (the value read back, a DNS
    # answer). Evidence, never what decides the outcome.
    marks: tuple[MarkRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class PhaseLatency:
    """Percentiles of one lifecycle phase over an episode's new pods, in milliseconds."""

    phase: str  # e.g. "created→scheduled"
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class Hold:
    """A stretch in which the controller could take no step toward the spec because of one pod.

    `cause` is a word from `stswatch.reports.causes` (not Running, not Ready, not Available,
    terminating,
    missing, claim terminating); `to_wall_ns` is None when the hold had not ended when the episode
    did. Times are the recorder's wall clock (ns since the Unix epoch).
    """

    pod: str
    cause: str
    detail: str  # e.g. "Running, not Ready" or "terminating (condemned)"
    from_wall_ns: int
    to_wall_ns: int | None
    seconds: float
    released_by: str  # what ended it, e.g. "web-2 Ready", "web-2 deleted by a client", ""
    evidence: tuple[Evidence, ...] = ()
    finalizers: tuple[str, ...] = ()  # what kept a terminating pod: metadata.finalizers
    # what began its cause: who deleted a terminating pod ("deleted by a client"), what kept a
    # pod not Ready when its recording says ("container app in the kubelet's CrashLoopBackOff, …")
    begun_by: str = ""
    meanwhile: str = ""  # pods recreated while it lasted, e.g. "web-0 deleted by a client and …"
    unscheduled: str = ""  # the scheduler's FailedScheduling message for the held pod, if any
    scheduled_after_s: float | None = None  # when, into the hold, the scheduler bound the pod
    # what made room, when no node had any: "bound to lab-node-0 6 ms after web-9 there was gone"
    freed: str = ""
    phases: str = ""  # its causes in turn with their times, when it had more than one
    # when a client deleted the held pod and the wait went on at the pod created in its place:
    # "web-1 deleted by a client after 5.6 s and created again; the new web-1 held it 1.5 s more"
    again: str = ""
    # when a step the hold stops landed inside it (a call decided before the hold, landing late):
    # the hold is counted from that step, and this says so
    counted_from: str = ""


@dataclass(frozen=True)
class Progress:
    """Whether an episode reached its spec within its window, and where it stood if not.

    `state`: "completed" (the spec was met inside the window), "halted" (held by a pod when the
    window ended), "progressing" (still moving when the window ended), "superseded" (a later
    spec change began before this one was met; `text` says where it stood), or "instant"
    (nothing to wait for, e.g. a Service episode).
    """

    state: str
    text: str
    holds: tuple[Hold, ...] = ()
    headline: str = ""  # `text` without its holds, for verdicts that tell the holds themselves


@dataclass(frozen=True)
class EpisodeResult:
    """One episode of the session and the verdicts decided on it."""

    index: int
    kind: str
    statefulset: str
    namespace: str
    summary: str
    first_change_id: int
    last_change_id: int
    start_wall_ns: int
    end_wall_ns: int
    pod_management_policy: str
    verdicts: tuple[Verdict, ...]
    latency: tuple[PhaseLatency, ...]
    progress: Progress | None = None
    # persistentVolumeClaimRetentionPolicy in force, e.g. "whenScaled=Retain, whenDeleted=Retain"
    retention_policy: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class VerifyResult:
    """A whole session's verification."""

    session: str
    server_version: str
    basis: str
    basis_reason: str
    statefulsets: tuple[str, ...]
    gaps: tuple[GapRef, ...]
    episodes: tuple[EpisodeResult, ...]
    window: WindowRef | None = None  # None: the whole session was read

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Every verdict of every episode, in episode order."""
        return tuple(v for e in self.episodes for v in e.verdicts)

    def count(self, outcome: Outcome) -> int:
        """How many verdicts have `outcome`."""
        return sum(1 for v in self.verdicts if v.outcome == outcome)

    @property
    def failed(self) -> bool:
        """True when at least one verdict failed."""
        return self.count("fail") > 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, with outcome totals."""
        data = asdict(self)
        data["totals"] = {outcome: self.count(outcome) for outcome in OUTCOMES}
        return data
