"""Episode labels on the text timeline never overlap or garble each other."""

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stswatch.reports.timeline.labels import label_rows
from stswatch.reports.timeline.model import Band
from stswatch.reports.timeline.text import timeline_text
from tests.fixtures.episodes import episode, hold, recorded_timeline, result


def _labels(rows: list[str]) -> list[tuple[int, str]]:
    """Every (column, word) on the rows: what a reader would see."""
    found = []
    for row in rows:
        col = 0
        for word in row.split(" "):
            if word:
                found.append((col, word))
            col += len(word) + 1
    return found


def test_close_starts_go_on_separate_rows_whole() -> None:
    rows = label_rows([(10, "#1 scale-up", "#1"), (13, "#2 pod-recreated", "#2")], width=60)
    assert rows == [" " * 10 + "^#1 scale-up", " " * 13 + "^#2 pod-recreated"]
    assert "upeated" not in "".join(rows)


def test_far_apart_labels_share_a_row() -> None:
    rows = label_rows([(0, "#1 scale-up", "#1"), (20, "#2 scale-down", "#2")], width=60)
    assert rows == ["^#1 scale-up" + " " * 8 + "^#2 scale-down"]


def test_labels_keep_a_blank_column_between_them() -> None:
    rows = label_rows([(0, "#1 ab", "#1"), (6, "#2 cd", "#2")], width=40)
    assert len(rows) == 2  # "^#1 ab^#2 cd" would read as one word


def test_right_edge_labels_turn_around_and_stay_inside() -> None:
    marks = [(50, "#1 scale-up", "#1"), (57, "#2 pod-recreated", "#2"), (59, "#3 scale-down", "#3")]
    rows = label_rows(marks, width=60)
    assert all(len(row) <= 60 for row in rows)
    carets = sorted(row.index("^") for row in rows)
    assert carets == [50, 57, 59]
    assert "#2 pod-recreated^" in "\n".join(rows)


def test_identical_starts_fall_back_to_numbers_never_overwrite() -> None:
    marks = [(5, f"#{i} pod-recreated", f"#{i}") for i in range(1, 7)]
    rows = label_rows(marks, width=40)
    words = [word for _, word in _labels(rows)]
    assert words[:6] == ["^#1", "pod-recreated", "^#2", "pod-recreated", "^#3", "pod-recreated"]
    assert words[6:] == ["^#4", "^#5", "^#6"]
    assert all(row.index("^") == 5 for row in rows)


@pytest.mark.parametrize(("width", "expected"), [(4, " ^#…"), (9, " ^#1 rol…")])
def test_a_label_longer_than_the_row_is_cut_with_an_ellipsis(width: int, expected: str) -> None:
    assert label_rows([(1, "#1 rolling-update", "#1")], width=width) == [expected]


def test_text_timeline_draws_holds_and_separate_labels(tmp_path: Path) -> None:
    held = (hold("web-1", start=1.0, end=2.5), hold("web-2", start=4.0, end=None))
    timeline = recorded_timeline(
        tmp_path / "s.db",
        result(
            episode(1, holds=held),
            episode(2, kind="pod-recreated", start=0.6, end=2.0, state="completed"),
            episode(3, kind="scale-down", start=6.9, end=7.0, state="completed"),
        ),
    )
    lines = timeline_text(timeline, width=60).splitlines()
    rows = [line for line in lines if line.startswith("episodes") or "^#" in line]
    assert "^#1 scale-up" in rows[0]
    assert "^#2 pod-recreated" in rows[1]
    assert any(row.rstrip().endswith("#3 scale-down^") for row in rows)
    assert all(len(row) <= 14 + 60 for row in rows)
    (held_row,) = [line for line in lines if line.startswith("held")]
    cells = held_row[14:]
    assert set(cells.strip()) == {"~", " "}  # two stretches with a break between them
    assert cells.rstrip().endswith("~")  # the second is still held at the episode's end
    text = "\n".join(lines)
    assert "~ held: the controller waited on one pod" in text
    assert "    ~ held at web-1 (not Ready) for 1.5 s, until" in text
    assert "still held when the episode ended [Running, not Ready] (4.00s → 6.00s)" in text
    assert "    progress [halted]: scale-up halted within the recording" in text


def test_cluster_strings_in_holds_cannot_drive_the_terminal(tmp_path: Path) -> None:
    timeline = recorded_timeline(tmp_path / "s.db", result(episode(holds=(hold(),))))
    (band,) = timeline.episodes
    hostile = replace(band.holds[0], text="held at \x1b[2Jweb-2")
    text = timeline_text(replace(timeline, episodes=(replace(band, holds=(hostile,)),)))
    assert "\x1b" not in text
    assert "held at \\x1b[2Jweb-2" in text


def test_a_band_without_a_number_uses_its_name() -> None:
    assert Band("gap: x", 0.0, 1.0).label == "gap: x"
    assert Band("scale-up", 0.0, 1.0, index=4).label == "#4 scale-up"


@given(
    width=st.integers(min_value=8, max_value=90),
    marks=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1), st.text("abcdef-", min_size=1, max_size=20)),
        max_size=12,
    ),
)
def test_labels_never_touch_and_every_caret_stays_at_its_column(
    width: int, marks: list[tuple[float, str]]
) -> None:
    placed = [
        (min(int(f * width), width - 1), f"#{i}{name}", f"#{i}")
        for i, (f, name) in enumerate(marks)
    ]
    rows = label_rows(placed, width=width)
    assert all(len(row) <= width for row in rows)
    for token in " ".join(rows).split():
        assert token.count("^") == 1  # one label per word: none ran into another
    carets = sorted(col for row in rows for col, char in enumerate(row) if char == "^")
    assert carets == sorted(col for col, _, _ in placed)
