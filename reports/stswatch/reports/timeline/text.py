"""A compact text timeline for a terminal: one row per lane, one character per time slice."""

from collections.abc import Iterable
from itertools import pairwise

from stswatch.reports.proofs.explain import inconclusive_note
from stswatch.reports.timeline.labels import label_rows
from stswatch.reports.timeline.layout import Scale
from stswatch.reports.timeline.model import Band, Lane, State, Timeline
from stswatch.safe_text import plain

_CHARS = {
    State.PENDING: ".",
    State.SCHEDULED: "s",
    State.RUNNING: "r",
    State.READY: "#",
    State.TERMINATING: "t",
    State.FINISHED: "x",
    State.CLAIM_PENDING: "p",
    State.BOUND: "B",
    State.CLAIM_LOST: "!",
}
_LEGEND = (
    ". Pending  s scheduled  r Running (not Ready)  # Ready  t Terminating  x Failed/Succeeded"
    "  | new incarnation",
    "p claim Pending  B claim Bound  ! claim Lost",
)
_EPISODE_KEY = "^ episode start (#n: the episode listed below)"
_HELD_KEY = "~ held: the controller waited on one pod"
_GAP_KEY = "/ gap"
_HELD = "~"
_OUTCOMES = {"pass": "PASS", "fail": "FAIL", "n-a": "n/a ", "inconclusive": "????"}


def timeline_text(timeline: Timeline, *, width: int = 72) -> str:
    """The whole timeline as text: header, axis, lanes, episodes, gaps, legend and verdicts."""
    step = max(timeline.duration, 1e-9) / width
    label_width = max([12, *(len(_label(lane)) for lane in timeline.lanes)]) + 1
    lines = [_header(timeline), _axis(timeline.duration, width=width, pad=label_width)]
    lines += [_label(lane).ljust(label_width) + _row(lane, step, width) for lane in timeline.lanes]
    for n, row in enumerate(_bands(timeline.episodes, step, width)):
        lines.append(("episodes" if n == 0 else "").ljust(label_width) + row)
    held = [(h.start, h.end) for band in timeline.episodes for h in band.holds]
    if held:
        lines.append("held".ljust(label_width) + _spans(held, step, width, _HELD))
    if timeline.gaps:
        gaps = [(gap.start, gap.end) for gap in timeline.gaps]
        lines.append("gaps".ljust(label_width) + _spans(gaps, step, width, "/"))
    lines += ["", *_LEGEND, _keys(timeline), "", *_episodes(timeline.episodes)]
    lines += _verdicts(timeline)
    lines += inconclusive_note(timeline.inconclusive_missing)
    lines += [f"note: {n}" for n in timeline.notes]
    # One line per entry: a line break inside a recorded string becomes "?" too.
    return "\n".join(plain(line.replace("\n", "?")) for line in lines) + "\n"


def _keys(timeline: Timeline) -> str:
    """The legend's keys for what this timeline draws: episodes, held stretches, gaps."""
    keys = [
        (timeline.episodes, _EPISODE_KEY),
        ([h for band in timeline.episodes for h in band.holds], _HELD_KEY),
        (timeline.gaps, _GAP_KEY),
    ]
    return "  ".join(text for drawn, text in keys if drawn)


def _header(timeline: Timeline) -> str:
    target = f"{timeline.namespace}/{timeline.statefulset}" if timeline.statefulset else "all pods"
    retention = f" · PVC retention {timeline.retention_policy}" if timeline.retention_policy else ""
    return (
        f"session {timeline.session} · {target} · {timeline.policy or 'policy unknown'}"
        f"{retention} · {timeline.server_version} · {timeline.duration:.1f} s · "
        f"{len(timeline.changes)} changes"
    )


def _label(lane: Lane) -> str:
    return lane.name + (f" ×{lane.incarnations}" if lane.incarnations > 1 else "")


def _axis(duration: float, *, width: int, pad: int) -> str:
    row = [" "] * (width + 8)
    scale = Scale(t_min=0.0, t_max=max(duration, 1e-9), left=0.0, width=float(width))
    for x, label in scale.ticks()[::2]:
        col = min(int(x), width - 1)
        row[col : col + len(label) + 1] = f"|{label}"
    return " " * pad + "".join(row).rstrip()


def _columns(start: float, end: float, step: float, width: int) -> range:
    """The character columns a span covers: at least one, none beyond the right edge."""
    first = min(int(start / step), width - 1)  # a change at the very end still shows
    last = max(first, min(width - 1, int(end / step - 1e-9)))
    return range(max(first, 0), last + 1)


def _row(lane: Lane, step: float, width: int) -> str:
    cells = [" "] * width
    for seg in lane.segments:
        for col in _columns(seg.start, seg.end, step, width):
            cells[col] = _CHARS.get(seg.state, "?")
    for before, seg in pairwise(lane.segments):
        col = int(seg.start / step)
        if seg.uid != before.uid and 0 <= col < width:
            cells[col] = "|"
    return "".join(cells).rstrip()


def _bands(bands: Iterable[Band], step: float, width: int) -> list[str]:
    """Each episode's label at its start column, on as many rows as keep them apart."""
    marks = [
        (min(max(int(band.start / step), 0), width - 1), band.label, f"#{band.index}")
        for band in bands
    ]
    return label_rows(marks, width=width)


def _spans(spans: Iterable[tuple[float, float]], step: float, width: int, char: str) -> str:
    cells = [" "] * width
    for start, end in spans:
        for col in _columns(start, end, step, width):
            cells[col] = char
    return "".join(cells).rstrip()


def _episodes(bands: tuple[Band, ...]) -> list[str]:
    """Each episode's window and progress line, and what held it, in session seconds."""
    lines = ["episodes:"] if bands else []
    for band in bands:
        lines.append(f"  {band.label}: {band.detail} ({band.start:.2f}s → {band.end:.2f}s)")
        if band.progress:
            lines.append(f"    progress [{band.state}]: {band.progress}")
        lines += [f"    {_HELD} {h.text} ({h.start:.2f}s → {h.end:.2f}s)" for h in band.holds]
    return lines + ([""] if bands else [])


def _verdicts(timeline: Timeline) -> list[str]:
    if timeline.verdicts is None:
        return ["verdicts: none (the proofs could not be run on this recording)"]
    if not timeline.verdicts:
        return ["verdicts: no episode called for one"]
    lines = ["verdicts:"]
    for v in timeline.verdicts:
        lines.append(f"  {_OUTCOMES.get(v.outcome, v.outcome)}  {v.name}: {v.reason}")
        lines += [f"        {v.why}"] if v.why else []
    return lines
