"""Large reports: summary counts, the switch to virtualised lanes, and their data kept safe."""

import base64
import gzip
import re

import orjson

from stswatch.reports.timeline.html import render_report
from stswatch.reports.timeline.layout import layout
from stswatch.reports.timeline.model import Lane, Segment, State, Timeline
from stswatch.reports.timeline.summary import POD_STACK, summarise
from stswatch.reports.timeline.virtual import VIRTUAL_LANES
from tests.browser.sessions import HOSTILE
from tests.fixtures.timelines import timeline_of


def _lane(i: int, *segments: Segment, name: str = "web") -> Lane:
    return Lane(
        key=f"pod/{name}-{i}", kind="pod", name=f"{name}-{i}", ordinal=i, segments=segments,
        moments=tuple((s.start, s.change_id) for s in segments),
    )  # fmt: skip


def _timeline(lanes: int, *, name: str = "web") -> Timeline:
    rows = tuple(
        _lane(i, Segment(State.PENDING, 0.5, 1.0, 2 * i, f"u{i}"),
              Segment(State.READY, 1.0, 9.0, 2 * i + 1, f"u{i}", note=name), name=name)
        for i in range(lanes)
    )  # fmt: skip
    return timeline_of(rows)


def test_summary_counts_the_lanes_in_each_state_at_each_moment() -> None:
    lanes = [
        _lane(0, Segment(State.PENDING, 0.0, 2.0, 1, "a"), Segment(State.READY, 2.0, 6.0, 2, "a")),
        _lane(1, Segment(State.SCHEDULED, 1.0, 3.0, 3, "b"),
              Segment(State.TERMINATING, 3.0, 4.0, 4, "b")),
    ]  # fmt: skip
    summary = summarise(lanes, title="Pods", stack=POD_STACK, times=[0.5, 1.5, 2.5, 3.5, 5.0, 7.0])
    counts = {layer.label: layer.counts for layer in summary.layers}
    assert counts["Pending"] == (1, 2, 1, 0, 0, 0)  # Pending and scheduled together
    assert counts["Ready"] == (0, 0, 1, 1, 1, 0)
    assert counts["Terminating"] == (0, 0, 0, 1, 0, 0)
    assert summary.peak == 2


def test_lanes_are_virtualised_above_the_threshold() -> None:
    small = layout(_timeline(VIRTUAL_LANES))
    large = layout(_timeline(VIRTUAL_LANES + 1))
    assert not small.virtual
    assert len(small.rows) == VIRTUAL_LANES
    assert not small.summaries
    assert large.virtual
    assert large.rows == ()
    assert len(large.summaries) == 1
    assert not layout(_timeline(VIRTUAL_LANES + 1), lanes=True).virtual


def test_hostile_lane_names_and_notes_cannot_break_out_of_the_data() -> None:
    html = render_report(_timeline(VIRTUAL_LANES + 1, name=HOSTILE[2] + HOSTILE[0]))
    block = re.search(r'<script type="application/json" id="stswatch-data">(.*?)</script>', html,
                      re.DOTALL)  # fmt: skip
    assert block is not None
    assert "<" not in block[1]
    assert ">" not in block[1]
    assert html.count("<script") == 2
    assert "<img" not in html
    data = orjson.loads(block[1])
    if "gzip" in data:
        data = orjson.loads(gzip.decompress(base64.b64decode(data["gzip"])))
    virtual = data["timelines"][0]["virtual"]
    assert virtual["lanes"][3][2] == f"{HOSTILE[2]}{HOSTILE[0]}-3"
    assert f"{HOSTILE[2]}{HOSTILE[0]}" in virtual["notes"]
