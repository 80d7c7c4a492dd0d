"""Pixel geometry for drawing a `Timeline` as SVG: where each lane, segment and step goes.

Kept apart from the template so the template only places what is computed here, and so two
timelines (a comparison) can share one `Scale`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from reports.timeline import Band, EventMarker, Lane, Series, Timeline

LABEL_WIDTH = 170.0
PLOT_WIDTH = 1000.0
RIGHT_MARGIN = 16.0
AXIS_HEIGHT = 24.0
BAND_ROW_HEIGHT = 18.0
CHART_HEIGHT = 96.0
SECTION_TITLE_HEIGHT = 20.0
_NICE_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
_TARGET_TICKS = 10
SERIES_CLASSES = {
    "spec.replicas": "sr-desired",
    "status.replicas": "sr-replicas",
    "status.readyReplicas": "sr-ready",
}


@dataclass(frozen=True)
class Scale:
    """Seconds to x pixels; `offset` shifts a timeline so comparisons line up."""

    t_min: float
    t_max: float
    left: float = LABEL_WIDTH
    width: float = PLOT_WIDTH

    @property
    def px_per_s(self) -> float:
        """Pixels per second of recording."""
        return self.width / max(self.t_max - self.t_min, 1e-9)

    def x(self, t: float, *, offset: float = 0.0) -> float:
        """The x pixel of session time `t` (shifted by `offset` seconds)."""
        return round(self.left + (t - offset - self.t_min) * self.px_per_s, 1)

    def w(self, start: float, end: float) -> float:
        """Width in pixels of the span start..end, at least one pixel so it stays clickable."""
        return round(max((end - start) * self.px_per_s, 1.0), 1)

    def ticks(self) -> tuple[tuple[float, str], ...]:
        """About ten round tick positions over the scale, labelled in seconds."""
        span = max(self.t_max - self.t_min, 1e-9)
        step = next((s for s in _NICE_STEPS if span / s <= _TARGET_TICKS), _NICE_STEPS[-1])
        first = math.ceil(self.t_min / step) * step
        count = int((self.t_max - first) / step + 1e-9) + 1
        return tuple(
            (self.x(first + i * step), _seconds_label(first + i * step)) for i in range(count)
        )


def _seconds_label(t: float) -> str:
    rounded = round(t, 1)
    return f"{rounded:g}s"


@dataclass(frozen=True)
class LaneRow:
    """A lane at its vertical position."""

    lane: Lane
    y: float
    height: float


@dataclass(frozen=True)
class SectionTitle:
    """A heading row above a group of lanes."""

    title: str
    y: float


@dataclass(frozen=True)
class SeriesPath:
    """A count drawn as a step line."""

    name: str
    css: str
    d: str
    last_value: int


@dataclass(frozen=True)
class Chart:
    """The StatefulSet counts area."""

    y: float
    height: float
    max_value: int
    paths: tuple[SeriesPath, ...]
    y_ticks: tuple[tuple[float, int], ...]
    events: tuple[EventMarker, ...]
    steps: tuple[tuple[float, float, int, str], ...]  # (x, y, change id, tooltip) per step


@dataclass(frozen=True)
class Drawing:
    """Everything the SVG template needs for one timeline."""

    timeline: Timeline
    scale: Scale
    offset: float
    width: float
    height: float
    plot_top: float
    plot_bottom: float
    chart: Chart | None
    titles: tuple[SectionTitle, ...]
    rows: tuple[LaneRow, ...]
    bands: tuple[tuple[Band, str], ...]  # with the label that fits before the next band's
    gaps: tuple[tuple[Band, float, float], ...]  # (gap, y, height): hatched over its kind's area

    def x(self, t: float) -> float:
        """The x pixel of session time `t` in this drawing."""
        return self.scale.x(t, offset=self.offset)

    def w(self, start: float, end: float) -> float:
        """Pixel width of a span."""
        return self.scale.w(start, end)


def default_scale(timeline: Timeline) -> Scale:
    """A scale covering the whole recording (and any change listed before its start)."""
    t_min = min([0.0, *(c.t for c in timeline.changes)])
    return Scale(t_min=t_min, t_max=max(timeline.duration, t_min + 1.0))


def lane_height(lane_count: int) -> float:
    """Lanes get thinner as there are more of them, so a 1,000-pod session stays scrollable."""
    if lane_count <= 60:
        return 18.0
    if lane_count <= 300:
        return 10.0
    return 6.0


def layout(timeline: Timeline, *, scale: Scale | None = None, offset: float = 0.0) -> Drawing:
    """Place a timeline: axis, episode row, counts chart, pod lanes, then PVC lanes."""
    scale = scale or default_scale(timeline)
    y = AXIS_HEIGHT + BAND_ROW_HEIGHT
    plot_top = AXIS_HEIGHT
    chart = None
    if any(s.steps for s in timeline.series):
        chart = _chart(timeline, scale=scale, offset=offset, y=y)
        y += CHART_HEIGHT + 6
    height = lane_height(len(timeline.lanes))
    pitch = height + max(2.0, round(height / 4))
    titles: list[SectionTitle] = []
    rows: list[LaneRow] = []
    areas: dict[str, tuple[float, float]] = {}
    for kind, title in (("pod", "Pods (one lane per ordinal)"), ("pvc", "PersistentVolumeClaims")):
        lanes = [lane for lane in timeline.lanes if lane.kind == kind]
        if not lanes:
            continue
        titles.append(SectionTitle(title=title, y=y + 14))
        y += SECTION_TITLE_HEIGHT
        top = y
        for lane in lanes:
            rows.append(LaneRow(lane=lane, y=y, height=height))
            y += pitch
        areas[kind] = (top, y - top)
    if chart is not None:
        areas["statefulset"] = (chart.y, chart.height)
    plot_bottom = y + 4
    whole = (plot_top, plot_bottom - plot_top)
    gaps = tuple((gap, *areas.get(_GAP_AREAS.get(gap.kind, ""), whole)) for gap in timeline.gaps)
    return Drawing(
        timeline=timeline,
        scale=scale,
        offset=offset,
        width=scale.left + scale.width + RIGHT_MARGIN,
        height=plot_bottom + AXIS_HEIGHT,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        chart=chart,
        titles=tuple(titles),
        rows=tuple(rows),
        bands=_band_labels(timeline.episodes, scale=scale, offset=offset),
        gaps=gaps,
    )


def _band_labels(
    bands: tuple[Band, ...], *, scale: Scale, offset: float
) -> tuple[tuple[Band, str], ...]:
    """Each band's name, cut to the room left before the next band's label starts."""
    starts = sorted(scale.x(b.start, offset=offset) for b in bands)
    labelled = []
    for band in bands:
        x = scale.x(band.start, offset=offset)
        room = min([s for s in starts if s > x + 0.5] + [scale.left + scale.width]) - x
        chars = int(room / _LABEL_CHAR_PX)
        name = band.name if len(band.name) <= chars else band.name[: max(chars - 1, 0)] + "…"
        labelled.append((band, name if chars >= 2 else ""))
    return tuple(labelled)


_LABEL_CHAR_PX = 6.6
_GAP_AREAS = {"Pod": "pod", "PersistentVolumeClaim": "pvc", "StatefulSet": "statefulset"}


def _chart(timeline: Timeline, *, scale: Scale, offset: float, y: float) -> Chart:
    max_value = max([1, *(step.value for s in timeline.series for step in s.steps)])
    inner = CHART_HEIGHT - 14

    def vy(value: int) -> float:
        return round(y + 7 + inner - value / max_value * inner, 1)

    end_x = scale.x(timeline.duration, offset=offset)
    paths = tuple(
        _series_path(s, x=lambda t: scale.x(t, offset=offset), vy=vy, end_x=end_x)
        for s in timeline.series
        if s.steps
    )
    tick_every = max(1, math.ceil(max_value / 4))
    steps = tuple(
        (
            scale.x(step.t, offset=offset),
            vy(step.value),
            step.change_id,
            f"{s.name} = {step.value} at {step.t:.2f}s",
        )
        for s in timeline.series
        for step in s.steps
    )
    return Chart(
        y=y,
        height=CHART_HEIGHT,
        max_value=max_value,
        paths=paths,
        y_ticks=tuple((vy(v), v) for v in range(0, max_value + 1, tick_every)),
        events=timeline.statefulset_events,
        steps=steps,
    )


def _series_path(
    series: Series, *, x: Callable[[float], float], vy: Callable[[int], float], end_x: float
) -> SeriesPath:
    first = series.steps[0]
    parts = [f"M{x(first.t)} {vy(first.value)}"]
    for step in series.steps[1:]:
        parts.append(f"H{x(step.t)}V{vy(step.value)}")
    parts.append(f"H{end_x}")
    return SeriesPath(
        name=series.name,
        css=SERIES_CLASSES.get(series.name, "sr-other"),
        d="".join(parts),
        last_value=series.steps[-1].value,
    )
