"""A compact text timeline for a terminal: one row per lane, one character per time slice."""

from collections.abc import Iterable
from itertools import pairwise

from reports.timeline import Band, Lane, State, Timeline
from reports.timeline_layout import Scale

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
    "p claim Pending  B claim Bound  ! claim Lost  / recorded gap",
)
# A recorded string must not drive the terminal: escape sequences and other controls become "?".
_CONTROLS = dict.fromkeys((*range(0x00, 0x20), *range(0x7F, 0xA0)), "?")
_OUTCOMES = {"pass": "PASS", "fail": "FAIL", "n-a": "n/a ", "inconclusive": "????"}


def timeline_text(timeline: Timeline, *, width: int = 72) -> str:
    """The whole timeline as text: header, axis, lanes, episodes, gaps, legend and verdicts."""
    step = max(timeline.duration, 1e-9) / width
    label_width = max([12, *(len(_label(lane)) for lane in timeline.lanes)]) + 1
    lines = [_header(timeline), _axis(timeline.duration, width=width, pad=label_width)]
    lines += [_label(lane).ljust(label_width) + _row(lane, step, width) for lane in timeline.lanes]
    if timeline.episodes:
        lines.append("episodes".ljust(label_width) + _bands(timeline.episodes, step, width))
    if timeline.gaps:
        lines.append("gaps".ljust(label_width) + _gaps(timeline.gaps, step, width))
    lines += ["", *_LEGEND, "", *_verdicts(timeline), *(f"note: {n}" for n in timeline.notes)]
    return "\n".join(line.translate(_CONTROLS) for line in lines) + "\n"


def _header(timeline: Timeline) -> str:
    target = f"{timeline.namespace}/{timeline.statefulset}" if timeline.statefulset else "all pods"
    return (
        f"session {timeline.session} · {target} · {timeline.policy or 'policy unknown'} · "
        f"{timeline.server_version} · {timeline.duration:.1f} s · {len(timeline.changes)} changes"
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


def _row(lane: Lane, step: float, width: int) -> str:
    cells = [" "] * width
    for seg in lane.segments:
        first = int(seg.start / step)
        last = max(first, min(width - 1, int(seg.end / step - 1e-9)))
        for col in range(max(first, 0), last + 1):
            cells[col] = _CHARS.get(seg.state, "?")
    for before, seg in pairwise(lane.segments):
        col = int(seg.start / step)
        if seg.uid != before.uid and 0 <= col < width:
            cells[col] = "|"
    return "".join(cells).rstrip()


def _bands(bands: Iterable[Band], step: float, width: int) -> str:
    cells = [" "] * width
    for band in bands:
        col = min(max(int(band.start / step), 0), width - 1)
        text = f"^{band.name}"
        cells[col : col + len(text)] = text
    return "".join(cells)[:width].rstrip()


def _gaps(gaps: Iterable[Band], step: float, width: int) -> str:
    cells = [" "] * width
    for gap in gaps:
        for col in range(max(int(gap.start / step), 0), min(int(gap.end / step) + 1, width)):
            cells[col] = "/"
    return "".join(cells).rstrip()


def _verdicts(timeline: Timeline) -> list[str]:
    if timeline.verdicts is None:
        return ["verdicts: none (the proofs could not be run on this recording)"]
    if not timeline.verdicts:
        return ["verdicts: no episode called for one"]
    return ["verdicts:"] + [
        f"  {_OUTCOMES.get(v.outcome, v.outcome)}  {v.name}: {v.reason}" for v in timeline.verdicts
    ]
