"""The timeline carries each episode's progress and held stretches, the retention policy and why
each inconclusive verdict is inconclusive, from `verify`'s result."""

from pathlib import Path

import pytest

from stswatch.reports.timeline.model import Timeline
from tests.fixtures.episodes import episode, gap_ref, hold, recorded_timeline, result, verdict


@pytest.fixture
def timeline(tmp_path: Path) -> Timeline:
    verdicts = (
        verdict("inconclusive", missing="gap", gap=gap_ref(4)),
        verdict("inconclusive", proof="stable-storage", missing="recording-end"),
        verdict("pass", proof="ordinal-creation"),
    )
    held = (hold("web-1", start=1.0, end=2.5), hold("web-2", start=3.0, end=None))
    first = episode(1, holds=held, verdicts=verdicts)
    second = episode(2, kind="scale-down", start=5.0, end=7.0, state="completed")
    return recorded_timeline(tmp_path / "s.db", result(first, second))


def test_episode_bands_have_progress_and_held_stretches(timeline: Timeline) -> None:
    first, second = timeline.episodes
    assert (first.label, first.state) == ("#1 scale-up", "halted")
    assert first.progress == "scale-up halted within the recording"
    assert [(h.pod, h.start, h.end, h.open_end) for h in first.holds] == [
        ("web-1", 1.0, 2.5, False),
        ("web-2", 3.0, first.end, True),
    ]
    assert first.holds[0].text.startswith("held at web-1 (not Ready")
    assert first.holds[0].change_ids == (7,)
    assert (second.label, second.state, second.holds) == ("#2 scale-down", "completed", ())


def test_retention_policy_comes_from_the_last_spec(timeline: Timeline) -> None:
    assert timeline.policy == "OrderedReady"
    assert timeline.retention_policy == "whenScaled=Delete, whenDeleted=Retain"


def test_inconclusive_verdicts_say_their_cause(timeline: Timeline) -> None:
    assert timeline.verdicts is not None
    gap, ended, passed = timeline.verdicts
    assert (gap.missing, ended.missing, passed.missing) == ("gap", "recording-end", "")
    assert "recorded gap #4" in gap.why
    assert ended.why.startswith("inconclusive: the end of the recording")
    assert passed.why == ""
    assert timeline.inconclusive_missing == ("gap", "recording-end")
