"""Sentences every renderer shares: why a verdict is inconclusive, and what held an episode.

`verify`'s text and JUnit, the text timeline and the HTML report say these things the same way,
so they are worded once here. A verdict is inconclusive for one of nine causes (its `missing`):

- "gap": its evidence window overlaps a recorded gap of a kind it depends on (`Verdict.gap`);
- "retention": that gap is history a continuous recorder's retention deleted (its reason begins
  `retention:`; docs/flight.md), so the evidence is gone for good;
- "silent": that gap was found, not recorded: rows are missing with no gap record (a pod's
  DELETED never recorded, proved by the next pod of its name; its reason begins
  `rows missing without a gap record`);
- "recording-end": the recording ended, or is still live, within the settle window after the
  change, so the evidence could still arrive;
- "not-recorded": the kind of object it needs was never recorded in this session;
- "cannot-tell": what was recorded allows two readings and its reason gives both (a call that
  landed seconds after the controller decided it, a spec from before the recording began);
- "changed-again": a settle-time judgment (status, claim owners) whose set changed again before
  the controller's next sync could write what is judged;
- "window": only a window of the session was read (`--since/--until`) and the verdict's episode
  or evidence lies partly outside it (`stswatch.reports.proofs.window`);
- "live": shown by `stswatch serve` while a recorder still writes the session and the verdict's
  episode is under way (`stswatch.reports.serve.live`).
"""

from collections.abc import Iterable

from stswatch.reports.proofs.holds import hold_clause
from stswatch.reports.proofs.verdict import Hold, Verdict

# One line per cause, for the page-level explanation (only the causes present are listed).
CAUSES: dict[str, str] = {
    "gap": "a recorded gap: the recorder lost its watch for a while, so changes of a kind the "
    "verdict depends on may be missing from that stretch",
    "retention": "retention: the gap is history the continuous recorder deleted (--retain, "
    "--max-size: docs/flight.md), so changes the verdict depends on are gone",
    "silent": "a silent gap: rows are missing that no gap record tells (a pod's DELETED was never "
    "recorded, though the next pod of its name proves it gone: a namespace holds one pod of a "
    "name)",
    "recording-end": "the end of the recording: it ended (or is still live) within the settle "
    "window after the change, so the evidence could still have arrived",
    "not-recorded": "never recorded: this session holds no change of the kind the verdict needs",
    "cannot-tell": "the recording cannot tell: what it holds allows two readings, and the "
    "verdict's reason gives both (an API call may land seconds after the controller decided it: "
    "an admission webhook, its client's throttling)",
    "changed-again": "the set changed again too soon: its pods or spec changed within the settle "
    "window after the pods settled, before the controller's next sync could write what is judged",
    "window": "the window read (--since/--until): the episode began before it, ran past its end, "
    "or its evidence lies partly outside it",
    "live": "live: the session is still being recorded and the episode is under way (or ended "
    "within the settle window), so it is decided when it completes (`stswatch serve`)",
    "unknown": "the evidence it needs is missing from the recording",
}
INCONCLUSIVE_LEAD = (
    "inconclusive is not counted as a failure (exit 0) but must not be read as a pass; "
    "here the evidence is missing because of"
)


def missing_cause(verdict: Verdict) -> str:
    """Why an inconclusive verdict lacks evidence: a key of `CAUSES`."""
    if verdict.missing in CAUSES:
        return verdict.missing
    return "gap" if verdict.gap is not None else "unknown"


def why_inconclusive(verdict: Verdict) -> str:
    """One sentence naming this verdict's cause (and its gap), for beside its reason."""
    cause = missing_cause(verdict)
    if cause == "silent" and verdict.gap is not None:
        gap = verdict.gap
        return f"inconclusive: its evidence window overlaps silent gap #{gap.gap_id} ({gap.reason})"
    if cause in ("gap", "retention") and verdict.gap is not None:
        gap = verdict.gap
        return (
            f"inconclusive: its evidence window overlaps recorded gap #{gap.gap_id} "
            f"({gap.kind} changes may be missing: {gap.reason})"
        )
    return f"inconclusive: {CAUSES[cause]}"


def present_causes(causes: Iterable[str]) -> tuple[str, ...]:
    """The sentences of the causes present (keys of `CAUSES`), each once, in a fixed order."""
    present = set(causes)
    return tuple(text for key, text in CAUSES.items() if key in present)


def inconclusive_note(causes: Iterable[str]) -> tuple[str, ...]:
    """The page-level explanation as text: a lead line, then a line per cause present."""
    texts = present_causes(causes)
    return (INCONCLUSIVE_LEAD, *(f"- {text}" for text in texts)) if texts else ()


def hold_text(hold: Hold) -> str:
    """What held an episode, without its clock times: the verdicts' wording, and its detail."""
    end = ", still held when the episode ended" if hold.to_wall_ns is None else ""
    detail = f" [{hold.detail}]" if hold.detail and hold.detail != hold.cause else ""
    return f"{hold_clause(hold)}{end}{detail}"
