"""Pixel geometry: scale and ticks, lane density, crowded labels and flags."""

from dataclasses import replace

import pytest

from stswatch.reports.timeline.layout import Scale, lane_height, layout
from stswatch.reports.timeline.model import (
    Band,
    EventMarker,
    Lane,
    MarkLine,
    Segment,
    State,
    Timeline,
)
from tests.fixtures.timelines import timeline_of


def _timeline(*, lanes: int, events: tuple[EventMarker, ...] = ()) -> Timeline:
    rows = tuple(
        Lane(
            key=f"pod/web-{i}",
            kind="pod",
            name=f"web-{i}",
            ordinal=i,
            segments=(Segment(State.READY, 1.0, 9.0, 100 + i, f"u{i}"),),
            moments=((1.0, 100 + i),),
            events=events,
        )
        for i in range(lanes)
    )
    return timeline_of(rows)


def test_scale_maps_seconds_to_pixels_with_round_ticks() -> None:
    scale = Scale(t_min=0.0, t_max=20.0, left=100.0, width=1000.0)
    assert scale.x(0.0) == 100.0
    assert scale.x(20.0) == 1100.0
    assert scale.x(12.0, offset=2.0) == 600.0
    assert scale.w(3.0, 3.0) == 1.0  # a zero-length span stays clickable
    assert [label for _, label in scale.ticks()] == [f"{t}s" for t in range(0, 21, 2)]


@pytest.mark.parametrize(("count", "height"), [(5, 18.0), (100, 10.0), (1000, 6.0)])
def test_lanes_thin_out_as_they_multiply(count: int, height: float) -> None:
    assert lane_height(count) == height


def test_thin_lanes_draw_only_warning_events() -> None:
    normal = EventMarker(2.0, 1, "Scheduled", "ok", "Normal", "Pod", "web-0")
    warning = replace(normal, change_id=2, reason="BackOff", type="Warning")
    roomy = layout(_timeline(lanes=3, events=(normal, warning)))
    thin = layout(_timeline(lanes=400, events=(normal, warning)), lanes=True)
    assert [m.change_id for m in roomy.rows[0].markers] == [1, 2]
    assert [m.change_id for m in thin.rows[0].markers] == [2]
    assert "Scheduled" in roomy.rows[0].markers[0].title


def test_segment_labels_only_where_they_fit() -> None:
    drawing = layout(_timeline(lanes=2))
    box = drawing.rows[0].boxes[0]
    assert box.text == "Ready"
    assert box.birth
    assert "uid u0" in box.title
    assert layout(_timeline(lanes=400), lanes=True).rows[0].boxes[0].text == ""


def test_crowded_band_labels_are_cut_and_flags_stack() -> None:
    timeline = replace(
        _timeline(lanes=1),
        episodes=(Band("scale-up", 1.0, 1.2), Band("rolling-update", 1.3, 9.0)),
        marks=(MarkLine(5.0, "a", "1"), MarkLine(5.01, "b", "2"), MarkLine(9.0, "c", "3")),
    )
    drawing = layout(timeline)
    (_, first), (_, second) = drawing.bands
    assert first == "sca…"  # 30 px of room before the next band
    assert second == "rolling-update"
    ys = [y for _, _, y in drawing.flags]
    assert ys[0] != ys[1]
    assert ys[2] == ys[0]


def test_bands_starting_together_never_overprint_their_labels() -> None:
    timeline = replace(
        _timeline(lanes=1),
        episodes=(
            Band("scale-up", 1.0, 4.0, index=1),
            Band("pod-recreated", 1.0, 2.0, index=2),
            Band("scale-down", 8.0, 9.0, index=3),
        ),
    )
    labels = [label for _, label in layout(timeline).bands]
    assert labels[0] == ""  # its name stays in the band's tooltip
    assert labels[1:] == ["#2 pod-recreated", "#3 scale-down"]
