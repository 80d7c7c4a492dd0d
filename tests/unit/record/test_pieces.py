"""A continuous recording's pieces: names, rolls and retention (stswatch.record.pieces)."""

import os
from pathlib import Path

import pytest

from stswatch.record.metrics import gap_cause, parse_listen
from stswatch.record.pieces import (
    DAY_S,
    Piece,
    delete_piece,
    list_pieces,
    new_piece,
    parse_age,
    parse_size,
    piece_of,
    roll_reason,
    to_prune,
)

# 2026-12-07T10:00:00Z
T0 = 1_796_637_600.0


def _piece(directory: Path, start_s: float, size: int, *, written_s: float | None = None) -> Piece:
    piece = new_piece(directory, start_s)
    piece.path.write_bytes(b"x" * size)
    when = written_s if written_s is not None else start_s
    os.utime(piece.path, (when, when))
    return piece


def test_sizes_and_ages_parse_with_their_units() -> None:
    assert parse_size("2GiB") == 2 * 2**30
    assert parse_size("500MiB") == 500 * 2**20
    assert parse_size("2GB") == 2 * 10**9
    assert parse_size("1048576") == 1048576
    assert parse_age("7d") == 7 * DAY_S
    assert parse_age("12h") == 12 * 3600
    assert parse_age("90m") == 5400
    for bad in ("", "2 parsecs", "-1GiB", "0", "GiB"):
        with pytest.raises(ValueError, match="is not a size"):
            parse_size(bad)
    for bad in ("", "7 days", "0d", "d"):
        with pytest.raises(ValueError, match="is not an age"):
            parse_age(bad)


def test_pieces_are_named_by_their_utc_start_and_sort_in_time(tmp_path: Path) -> None:
    first = _piece(tmp_path, T0, 10)
    assert first.name == "stswatch-20261207T100000Z.db"
    second = _piece(tmp_path, T0, 10)  # the same second: a serial keeps them apart, in order
    assert second.name == "stswatch-20261207T100000Z-1.db"
    third = _piece(tmp_path, T0 + 5, 10)
    (tmp_path / "notes.txt").write_text("not a piece")
    assert [p.name for p in list_pieces(tmp_path)] == [first.name, second.name, third.name]
    assert piece_of(tmp_path / "notes.txt") is None
    assert piece_of(first.path) == first


def test_a_piece_rolls_at_the_end_of_its_period_or_at_its_size(tmp_path: Path) -> None:
    piece = _piece(tmp_path, T0, 100)
    assert roll_reason(piece, now_s=T0 + 60, every_s=DAY_S, max_bytes=1000) is None
    # A day's pieces end at UTC midnight, not 24 h after they began.
    midnight = T0 + 14 * 3600
    assert roll_reason(piece, now_s=midnight - 1, every_s=DAY_S, max_bytes=1000) is None
    assert roll_reason(piece, now_s=midnight, every_s=DAY_S, max_bytes=1000) == "period"
    assert roll_reason(piece, now_s=T0 + 60, every_s=DAY_S, max_bytes=100) == "size"
    # The WAL counts: it is the piece's too.
    Path(f"{piece.path}-wal").write_bytes(b"w" * 950)
    assert roll_reason(piece, now_s=T0 + 60, every_s=DAY_S, max_bytes=1000) == "size"


def test_retention_by_age_deletes_whole_old_pieces_never_the_current(tmp_path: Path) -> None:
    old = _piece(tmp_path, T0, 10, written_s=T0 + DAY_S - 1)
    middle = _piece(tmp_path, T0 + DAY_S, 10, written_s=T0 + 2 * DAY_S - 1)
    current = _piece(tmp_path, T0 + 2 * DAY_S, 10, written_s=T0 + 9 * DAY_S)
    pieces = list_pieces(tmp_path)
    now = T0 + 9 * DAY_S
    # A piece ends where the next begins: `old` ended at T0 + 1 d, `middle` at T0 + 2 d.
    doomed = to_prune(pieces, current=current.path, now_s=now, retain_s=7.5 * DAY_S, max_bytes=None)
    assert doomed == [old]
    doomed = to_prune(pieces, current=current.path, now_s=now, retain_s=DAY_S, max_bytes=None)
    assert doomed == [old, middle]  # `current` is older than that too, and kept
    assert (
        to_prune(pieces, current=current.path, now_s=now, retain_s=30 * DAY_S, max_bytes=None) == []
    )


def test_retention_by_size_deletes_the_oldest_until_all_fit(tmp_path: Path) -> None:
    a = _piece(tmp_path, T0, 400)
    b = _piece(tmp_path, T0 + 10, 400)
    c = _piece(tmp_path, T0 + 20, 400)
    current = _piece(tmp_path, T0 + 30, 400)
    pieces = list_pieces(tmp_path)
    assert to_prune(pieces, current=current.path, now_s=T0, retain_s=None, max_bytes=1600) == []
    assert to_prune(pieces, current=current.path, now_s=T0, retain_s=None, max_bytes=1200) == [a]
    assert to_prune(pieces, current=current.path, now_s=T0, retain_s=None, max_bytes=500) == [
        a,
        b,
        c,
    ]
    # The current piece alone over the cap: nothing else to delete, and it is never deleted.
    assert to_prune(pieces, current=current.path, now_s=T0, retain_s=None, max_bytes=10) == [
        a,
        b,
        c,
    ]


def test_deleting_a_piece_removes_its_wal_and_gives_the_bytes_back(tmp_path: Path) -> None:
    piece = _piece(tmp_path, T0, 300)
    Path(f"{piece.path}-wal").write_bytes(b"w" * 200)
    Path(f"{piece.path}-shm").write_bytes(b"s" * 50)
    assert delete_piece(piece) == 550
    assert list(tmp_path.iterdir()) == []
    assert delete_piece(piece) == 0


def test_gap_causes_and_listen_addresses() -> None:
    assert gap_cause("retention: history before this piece was pruned") == "retention"
    assert gap_cause("piece roll: earlier history in x.db") == "piece roll"
    assert gap_cause("disk full: the store could not be written") == "disk full"
    assert gap_cause("something new") == "other"
    assert parse_listen("0.0.0.0:9090") == ("0.0.0.0", 9090)
    assert parse_listen("[::]:80") == ("::", 80)
    assert parse_listen(":9090") == ("0.0.0.0", 9090)
