"""A continuous recording's pieces read as one session (stswatch.reports.pieces.joined), and
retention's note in the oldest piece left (Store.append_gaps)."""

import asyncio
import sqlite3
from pathlib import Path

import orjson

from stswatch.record.records import ChangeRecord, GapRecord
from stswatch.record.writable_store import open_store
from stswatch.reports.pieces import joined
from stswatch.reports.recording import load_recording
from stswatch.reports.window import WindowRequest, parse_moment

S = 10**9


def _change(
    name: str, rv: str, at_s: int, *, event: str = "ADDED", observed: str = "watch"
) -> ChangeRecord:
    obj = {"kind": "Pod", "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": rv}}
    return ChangeRecord(
        kind="Pod",
        namespace="lab",
        name=name,
        uid=f"uid-{name}",
        event=event,  # type: ignore[arg-type]
        resource_version=rv,
        observed=observed,  # type: ignore[arg-type]
        received_wall_ns=at_s * S,
        received_mono_ns=at_s * S,
        object_json=orjson.dumps(obj).decode(),
    )


async def _piece(
    path: Path, start_s: int, changes: list[ChangeRecord], gaps: list[GapRecord]
) -> None:
    store = await open_store(path)
    try:
        session = await store.begin_session(
            name="lab", scope={"namespace": "lab"}, now_wall_ns=start_s * S
        )
        run_id = await store.start_run(
            session_id=session.id,
            now_wall_ns=start_s * S,
            server_url="https://127.0.0.1:6443",
            server_version="v1.34.4",
            stswatch_version="0.1.0",
            keep_env=False,
        )
        await store.write_batch(
            session_id=session.id,
            run_id=run_id,
            written_wall_ns=start_s * S,
            changes=changes,
            gaps=gaps,
        )
        await store.end_run(run_id=run_id, now_wall_ns=(start_s + 50) * S, reason="roll")
    finally:
        await store.close()


async def _two_pieces(directory: Path) -> None:
    await asyncio.to_thread(directory.mkdir)
    # 2026-12-07T10:00:00Z and a minute later.
    first = [
        _change("a", "10", 1_796_637_600, observed="list"),
        _change("b", "11", 1_796_637_600, observed="list"),
        _change("a", "15", 1_796_637_610, event="MODIFIED"),
    ]
    await _piece(directory / "stswatch-20261207T100000Z.db", 1_796_637_600, first, [])
    roll = GapRecord(
        "Pod", "piece roll: earlier history in x", None, None, 1_796_637_650 * S, 1_796_637_660 * S
    )
    second = [
        _change("a", "15", 1_796_637_660, observed="list"),  # unchanged across the roll
        _change("c", "17", 1_796_637_660, observed="list"),  # created during it
        _change("c", "19", 1_796_637_670, event="MODIFIED"),
    ]
    await _piece(directory / "stswatch-20261207T100100Z.db", 1_796_637_660, second, [roll])


async def test_pieces_join_as_a_relist_diff_with_no_pair_twice(tmp_path: Path) -> None:
    directory = tmp_path / "pieces"
    await _two_pieces(directory)
    with joined(directory, "lab", None) as store:
        recording = load_recording(store, "lab")
        path = store
    assert not path.exists()  # the joined store was temporary
    seen = [(c.name, c.event, c.resource_version, c.observed) for c in recording.changes]
    assert seen == [
        ("a", "ADDED", "10", "list"),
        ("b", "ADDED", "11", "list"),
        ("a", "MODIFIED", "15", "watch"),
        # b was not listed by the second piece: deleted unseen, at a version up to its list's.
        ("b", "DELETED", "17", "relist"),
        ("c", "ADDED", "17", "relist"),
        ("c", "MODIFIED", "19", "watch"),
    ]
    assert [g.reason for g in recording.gaps] == ["piece roll: earlier history in x"]
    assert len(recording.runs) == 2


async def test_a_window_joins_only_the_pieces_it_needs(tmp_path: Path) -> None:
    directory = tmp_path / "pieces"
    await _two_pieces(directory)
    window = WindowRequest(since=parse_moment("2026-12-07T10:01:05Z"))
    with joined(directory, "lab", window) as store:
        recording = load_recording(store, "lab")
    # Only the second piece: its list is the state at the window's start.
    assert [(c.name, c.resource_version) for c in recording.changes] == [
        ("a", "15"),
        ("c", "17"),
        ("c", "19"),
    ]


async def test_retention_renames_the_roll_gaps_of_the_oldest_piece_left(tmp_path: Path) -> None:
    directory = tmp_path / "pieces"
    await _two_pieces(directory)
    piece = directory / "stswatch-20261207T100100Z.db"
    store = await open_store(piece)
    try:
        told = await store.append_gaps(
            reason="retention: history before this piece was pruned (1 pieces, the last x)",
            from_wall_ns=1_796_637_600 * S,
            to_wall_ns=1_796_637_660 * S,
            kinds=["Pod", "Service"],
        )
    finally:
        await store.close()
    assert told == 1
    conn = sqlite3.connect(piece)
    rows = conn.execute("SELECT kind, reason, from_wall_ns FROM gap").fetchall()
    conn.close()
    assert rows == [
        (
            "Pod",
            "retention: history before this piece was pruned (1 pieces, the last x)",
            1_796_637_600 * S,
        )
    ]
    # A piece without a roll gap (the first one) gets one gap per kind instead.
    store = await open_store(directory / "stswatch-20261207T100000Z.db")
    try:
        assert (
            await store.append_gaps(
                reason="retention: x", from_wall_ns=1, to_wall_ns=2, kinds=["Pod", "Service"]
            )
            == 2
        )
    finally:
        await store.close()
