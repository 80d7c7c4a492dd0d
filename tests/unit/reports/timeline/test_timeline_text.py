"""The terminal timeline: one row per lane, legend and verdicts."""

from dataclasses import replace
from pathlib import Path

from stswatch.reports.analysis import analyse
from stswatch.reports.timeline.text import timeline_text
from tests.browser.sessions import lab_session, write_session
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.episodes import episode, recorded_timeline, result, verdict


def test_text_timeline_has_a_row_per_lane_and_the_verdicts(tmp_path: Path) -> None:
    b = ClusterBuilder()
    lab_session(b)
    b.gap("Pod", ms=400)
    write_session(b, tmp_path / "s.db", session="lab")
    timeline = analyse(tmp_path / "s.db", "lab").timeline()
    text = timeline_text(timeline, width=60)
    lines = text.splitlines()
    assert lines[0].startswith("session lab · lab/redis · OrderedReady")
    rows = {line.split()[0]: line for line in lines[2:] if line.startswith(("redis", "data"))}
    assert sorted(rows) == [f"data-redis-{i}" for i in range(5)] + [f"redis-{i}" for i in range(5)]
    assert "redis-0 ×2" in text
    assert "#" in rows["redis-2"]
    assert "t" in rows["redis-4"].split(maxsplit=1)[1]
    assert "B" in rows["data-redis-0"]
    assert "|" in rows["redis-0"].split("×2", 1)[1]
    assert any(line.startswith("gaps") and "/" in line for line in lines)
    assert "verdicts:" in text
    assert "\np claim Pending  B claim Bound" in text
    assert "PASS  ordinal-creation" in text
    assert max(len(line) for line in lines if line.startswith("redis")) <= 14 + 60


def test_recorded_strings_cannot_drive_the_terminal(tmp_path: Path) -> None:
    b = ClusterBuilder()
    lab_session(b)
    write_session(b, tmp_path / "s.db", session="lab")
    timeline = analyse(tmp_path / "s.db", "lab").timeline()
    hostile = replace(timeline, notes=("\x1b]0;owned\x07\x1b[2J cleared",))
    text = timeline_text(hostile)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "note: \\x1b]0;owned\\x07\\x1b[2J cleared" in text


def test_header_has_retention_and_inconclusive_says_its_cause(tmp_path: Path) -> None:
    ended = verdict("inconclusive", proof="stable-storage", missing="recording-end")
    timeline = recorded_timeline(tmp_path / "s.db", result(episode(verdicts=(ended,))))
    text = timeline_text(timeline)
    first = text.splitlines()[0]
    assert "OrderedReady · PVC retention whenScaled=Delete, whenDeleted=Retain ·" in first
    why = "stable-storage is inconclusive\n        inconclusive: the end of the recording"
    assert f"stable-storage (#1 scale-up): {why}" in text
    assert "- the end of the recording" in text
    assert "gap" not in text.split("verdicts:", 1)[1]
