"""A recording loaded without its objects (`load_recording(objects=False)`, what `verify` and
`report` read) reads them back from the store when asked, one object or one kind at a time, and
rebuilds the same lifecycles and verdicts as one loaded with them (issue 18: the 100k-pod verify's
memory)."""

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import pytest

from stswatch.errors import CorruptStoreError
from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import (
    _CHANGES,
    Change,
    ChangesById,
    ChangeTable,
    StreamedTexts,
    checked_row,
    load_recording,
)
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.real import real_store

SESSION = "lesson-orderedready"


def test_a_session_read_without_its_objects_is_verified_as_one_read_with_them(
    tmp_path: Path,
) -> None:
    db = real_store(tmp_path, "lesson")
    held = load_recording(db, SESSION)
    left = load_recording(db, SESSION, objects=False)
    assert all(c.object_json is None for c in left.changes)
    assert left.changes == held.changes
    assert [c.object for c in left.changes[:50]] == [c.object for c in held.changes[:50]]
    assert build_lifecycles(left) == build_lifecycles(held)
    assert verify(left).to_dict() == verify(held).to_dict()


def test_objects_read_back_by_kind_in_order_without_deleted_ones(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    left, held = load_recording(db, SESSION, objects=False), load_recording(db, SESSION)
    events = list(left.decoded("Event", deleted=False))
    assert events
    assert events == list(held.decoded("Event", deleted=False))
    assert all(c.kind == "Event" and c.event != "DELETED" for c, _ in events)
    assert [c.id for c, _ in events] == sorted(c.id for c, _ in events)
    assert [obj for _, obj in left.decoded()] == [c.object for c in held.changes]


def test_by_object_reads_one_objects_texts_as_asked_and_drops_each_once_read(
    tmp_path: Path,
) -> None:
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=2)
    for ordinal in range(2):
        b.bring_up("web", ordinal)
    b.write(tmp_path / "s.db")
    left = load_recording(tmp_path / "s.db", "s1", objects=False)
    histories: dict[tuple[str, str], list[Change]] = {}
    for change in reversed(left.changes):  # any order within a history is kept as given
        histories.setdefault((change.kind, change.uid), []).append(change)
    assert left.source is not None
    held = {c.id: c.object for c in load_recording(tmp_path / "s.db", "s1").changes}
    seen = set()
    for key, history in left.by_object(histories):
        assert history is histories[key]
        streamed = left.source.prefetched
        assert isinstance(streamed, StreamedTexts)
        assert streamed.uid == key[1]
        assert set(streamed.ahead) <= {c.id for c in history}  # this object's, only
        assert [c.object for c in history] == [held[c.id] for c in history]
        assert streamed.ahead == {}  # each text dropped once read (read past, then asked for)
        assert [c.object for c in history] == [held[c.id] for c in history]  # read again
        seen.add(key)
    assert seen == set(histories)
    assert left.source.prefetched == {}
    assert [c.object for c in left.changes] == [held[c.id] for c in left.changes]


def test_a_change_gone_from_the_store_after_loading_is_a_store_error(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    left = load_recording(db, SESSION, objects=False)
    change = left.changes[5]
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM change WHERE id = ?", (change.id,))
    conn.close()
    gone = f"change {change.id} cannot be read: it is no longer in the store"
    with pytest.raises(CorruptStoreError, match=gone):
        _ = change.object


def test_a_session_is_read_as_its_span_of_rows_never_sorted_on_disk(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    with sqlite3.connect(db) as conn:
        plan = " ".join(str(r) for r in conn.execute(f"EXPLAIN QUERY PLAN {_CHANGES}", (1, 1, 9)))
        counts = dict(
            conn.execute(
                "SELECT s.name, count(*) FROM change c JOIN session s "
                "ON s.id = c.session_id GROUP BY s.name"
            )
        )
    conn.close()
    assert "TEMP B-TREE" not in plan
    assert "PRIMARY KEY" in plan
    assert len(counts) == 2
    for session, count in counts.items():
        for objects in (True, False):
            changes = load_recording(db, session, objects=objects).changes
            assert len(changes) == count
            assert [c.id for c in changes] == sorted(c.id for c in changes)


def test_changes_by_id_finds_each_change_by_offset_bisection_or_once_indexed(
    tmp_path: Path,
) -> None:
    db = real_store(tmp_path, "lesson")
    changes = load_recording(db, "lesson-parallel", objects=False).changes
    assert changes[0].id > 1  # the second session of the store: ids do not start at 1
    consecutive = ChangesById(changes)
    assert all(consecutive[c.id] == c for c in changes)
    holed = ChangesById(_table(changes[::3]))  # ids with holes: found by bisection
    assert all(holed[c.id] == c for c in changes[::3])
    shuffled = ChangesById(_table(reversed(changes)))
    assert all(shuffled[c.id] == c for c in changes)
    assert len(holed) == len(changes[::3])
    assert list(holed) == [c.id for c in changes[::3]]
    for missing in (changes[1].id, changes[-1].id + 1, 0):
        with pytest.raises(KeyError):
            holed[missing]


def test_changes_by_id_hands_out_one_objects_texts_between_two_ids(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    loaded = load_recording(db, "lesson-parallel").changes
    left = ChangesById(load_recording(db, "lesson-parallel", objects=False).changes)
    uid = loaded[len(loaded) // 2].uid
    first, last = loaded[10].id, loaded[-10].id
    wanted = [(c.id, c.object_json) for c in loaded if c.uid == uid and first <= c.id <= last]
    assert wanted
    for by_id in (ChangesById(loaded), left):  # searched in the table; read back in one query
        assert by_id.texts_of(uid, first, last) == wanted
        assert by_id.texts_of(uid, wanted[0][0], wanted[0][0]) == wanted[:1]
        assert by_id.texts_of("no-such-uid", first, last) == []


def test_a_change_read_from_the_table_is_a_read_only_record_equal_to_one_built_alone(
    tmp_path: Path,
) -> None:
    db = real_store(tmp_path, "lesson")
    changes = load_recording(db, SESSION).changes
    one = changes[5]
    alone = Change(*one.fields(), object_json=one.object_json)
    assert one == alone
    assert hash(one) == hash(alone)
    assert one == changes[5]
    assert one != changes[6]
    assert alone.object == one.object
    assert repr(one).startswith(f"Change(id={one.id}, run_id={one.run_id}, kind={one.kind!r}")
    with pytest.raises(AttributeError):
        one.event = "DELETED"  # type: ignore[misc]
    listed = one.replaced(event="ADDED", observed="list")
    assert (listed.event, listed.observed, listed.id, listed.uid) == (
        "ADDED",
        "list",
        one.id,
        one.uid,
    )
    assert listed.object == one.object
    assert one.event == changes[5].event
    assert changes[-1:] == (changes[len(changes) - 1],)
    assert list(changes)[::7] == list(changes[::7])
    table, at = one.row()  # where its fields are read from, column by column
    assert table is changes
    assert table[at] == one
    assert table.ids[at] == one.id


def _table(changes: Iterable[Change]) -> ChangeTable:
    table = ChangeTable()
    table.extend(changes)
    return table


def _columns(table: ChangeTable) -> tuple[object, ...]:
    coded = (table.kinds, table.namespaces, table.events, table.observed)
    return (
        table.ids, list(table.run_ids), table.names, table.uids, table.versions, table.walls,
        list(table.monos), list(table.written), table.texts,
        *((c.values, c.codes.typecode, list(c.codes)) for c in coded),
    )  # fmt: skip


def test_rows_added_column_by_column_are_those_added_one_by_one() -> None:
    # 300 namespaces (a column's codes widen past 256 values), a cluster-scoped kind, one
    # resourceVersion missing (read as ""), one object left in the store.
    rows = [
        (
            10 + i, 1, ("Pod", "PersistentVolume")[i % 2], None if i % 2 else f"ns-{i % 600}",
            f"web-{i % 7}", f"uid-{i % 11}", "MODIFIED", None if i == 3 else str(100 + i),
            "watch", i, i, i, None if i == 5 else '{"metadata": {}}',
        )
        for i in range(700)
    ]  # fmt: skip
    one_by_one, at_once = ChangeTable(), ChangeTable()
    for row in rows:
        one_by_one.append(checked_row(row))
    at_once.extend_rows(rows[:400])
    at_once.extend_rows(rows[400:])
    assert _columns(at_once) == _columns(one_by_one)
    assert at_once.namespaces.codes.typecode == "I"
    assert at_once.versions[3] == ""
    assert all(a is b for a, b in zip(at_once.names, one_by_one.names, strict=True))  # interned
    bad = [rows[0], (*rows[1][:7], "²", *rows[1][8:])]
    with pytest.raises(CorruptStoreError, match="change 11 cannot be read: its resourceVersion"):
        ChangeTable().extend_rows(bad)
