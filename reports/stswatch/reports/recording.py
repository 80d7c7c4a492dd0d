"""The reading side's only door to the store: sessions listed, exported, or loaded whole.

`load_recording` reads one session, read-only, into plain frozen records: lifecycles, proofs and
reports work from a `Recording` and never from SQL, so they run offline on any recording.
`list_sessions` and `export_jsonl` stream from a read-only connection without loading a
session, so they work on a store another recorder is writing, and on sessions far larger than
memory.
"""

import gc
import sqlite3
import threading
from array import array
from bisect import bisect_left
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from sys import intern
from typing import Any, BinaryIO, Generic, TypeVar, overload

import orjson

from stswatch.errors import CorruptStoreError, NotFoundError
from stswatch.safe_text import json_bytes
from stswatch.store_contract import (
    CHANGE_COLUMNS,
    SCHEMA_VERSION,
    open_read_only,
    reading,
    store_errors,
)

T = TypeVar("T")

_SESSION = "SELECT id, name, created_wall_ns, scope FROM session WHERE name = ?"
_SESSION_NAMES = "SELECT name FROM session ORDER BY id"
# Recorded time of a run: until it ended, or (killed) until the last change or mark it wrote.
_OVERVIEWS = """
SELECT s.name, s.scope, s.created_wall_ns,
    (SELECT count(*) FROM run r WHERE r.session_id = s.id),
    (SELECT count(*) FROM change c WHERE c.session_id = s.id),
    (SELECT count(*) FROM gap g WHERE g.session_id = s.id),
    (SELECT count(*) FROM mark m WHERE m.session_id = s.id),
    (SELECT coalesce(sum(coalesce(
        r.ended_wall_ns,
        (SELECT max(c.received_wall_ns) FROM change c WHERE c.run_id = r.id),
        r.started_wall_ns) - r.started_wall_ns), 0)
     FROM run r WHERE r.session_id = s.id)
FROM session s ORDER BY s.id
"""
_RUNS = (
    "SELECT id, started_wall_ns, ended_wall_ns, end_reason, server_url, server_version, "
    "stswatch_version FROM run WHERE session_id = ? ORDER BY id"
)
CHANGE_FIELDS = ("id", *CHANGE_COLUMNS[1:])  # as read: the row's id, then all but session_id
# A session's changes in id order are read as a range of rowids (`+session_id` keeps SQLite from
# walking an index on it and sorting every row, objects included, in a temporary B-tree).
_SPAN = "SELECT min(id), max(id) FROM change WHERE session_id = ?"
_IN_SPAN = "FROM change WHERE +session_id = ? AND id BETWEEN ? AND ? ORDER BY id"
_CHANGES = f"SELECT {', '.join(CHANGE_FIELDS)} {_IN_SPAN}"
# The same rows without their objects (read back by ObjectSource when asked).
_BARE_CHANGES = f"SELECT {', '.join(CHANGE_FIELDS[:-1])}, NULL {_IN_SPAN}"
_OBJECT = "SELECT object FROM change WHERE id = ?"
_OBJECTS = f"SELECT id, object {_IN_SPAN}"
_OBJECTS_OF_KIND = "SELECT id, object FROM change WHERE session_id = ? AND kind = ? ORDER BY id"
_OBJECTS_BY_UID = "SELECT uid, id, object FROM change WHERE session_id = ? ORDER BY uid, id"
# One object's changes in a span of ids, through the (session, uid) index.
_OBJECTS_OF_UID = (
    "SELECT id, object FROM change WHERE session_id = ? AND uid = ? AND id BETWEEN ? AND ? "
    "ORDER BY id"
)
_GAPS = (
    "SELECT id, run_id, kind, reason, from_resource_version, to_resource_version, "
    "from_wall_ns, to_wall_ns FROM gap WHERE session_id = ? ORDER BY from_wall_ns, id"
)
_MARKS = (
    "SELECT id, run_id, label, detail, received_wall_ns FROM mark "
    "WHERE session_id = ? ORDER BY received_wall_ns, id"
)


@dataclass(frozen=True)
class Run:
    """One recorder process's stint in the session."""

    id: int
    started_wall_ns: int
    ended_wall_ns: int | None
    end_reason: str | None
    server_url: str
    server_version: str
    stswatch_version: str


_FIELDS = (
    "id", "run_id", "kind", "namespace", "name", "uid", "event", "resource_version", "observed",
    "received_wall_ns", "received_mono_ns", "written_wall_ns",
)  # fmt: skip


class Change:
    """One recorded change of one object: the evidence unit every verdict cites.

    A view of one row of a `ChangeTable` (the session's changes held column-wise: two million
    changes in about 450 MB instead of 700), built when asked; two views of the same row are
    equal, as two frozen records of the same fields were. `Change(id=..., ...)` builds a table of
    one row.

    The object is kept as the JSON text the store holds (or left there) and decoded at each read
    of `object`: a session's objects held decoded take about six times the memory (12 GB for two
    million changes). A reader that needs several fields of one change binds `change.object` once.
    """

    __slots__ = ("_at", "_table")
    _table: "ChangeTable"
    _at: int

    def __init__(
        self,
        id: int,
        run_id: int,
        kind: str,
        namespace: str | None,
        name: str,
        uid: str,
        event: str,  # ADDED | MODIFIED | DELETED
        resource_version: str,
        observed: str,  # list | watch | relist
        received_wall_ns: int,
        received_mono_ns: int,
        written_wall_ns: int,
        object_json: str | None = None,
        source: "ObjectSource | None" = None,
    ) -> None:
        table = ChangeTable(source, objects=object_json is not None or source is None)
        table.append(
            (id, run_id, kind, namespace, name, uid, event, resource_version, observed,
             received_wall_ns, received_mono_ns, written_wall_ns, object_json)
        )  # fmt: skip
        _set_slot(self, "_table", table)
        _set_slot(self, "_at", 0)

    @property
    def id(self) -> int:
        return self._table.ids[self._at]

    @property
    def run_id(self) -> int:
        return self._table.run_ids[self._at]

    @property
    def kind(self) -> str:
        column = self._table.kinds
        return column.values[column.codes[self._at]]

    @property
    def namespace(self) -> str | None:
        column = self._table.namespaces
        return column.values[column.codes[self._at]]

    @property
    def name(self) -> str:
        return self._table.names[self._at]

    @property
    def uid(self) -> str:
        return self._table.uids[self._at]

    @property
    def event(self) -> str:
        """ADDED | MODIFIED | DELETED"""
        column = self._table.events
        return column.values[column.codes[self._at]]

    @property
    def resource_version(self) -> str:
        return self._table.versions[self._at]

    @property
    def observed(self) -> str:
        """list | watch | relist"""
        column = self._table.observed
        return column.values[column.codes[self._at]]

    @property
    def received_wall_ns(self) -> int:
        return self._table.walls[self._at]

    @property
    def received_mono_ns(self) -> int:
        return self._table.monos[self._at]

    @property
    def written_wall_ns(self) -> int:
        return self._table.written[self._at]

    @property
    def object_json(self) -> str | None:
        """The object's JSON text, when it was loaded with the change (else None)."""
        texts = self._table.texts
        return texts[self._at] if texts is not None else None

    @property
    def source(self) -> "ObjectSource | None":
        """Where the object is read back from when `object_json` was not loaded (None: it was)."""
        return self._table.source

    @property
    def object(self) -> dict[str, Any]:
        """The recorded object (redacted, without managedFields), decoded anew at each read."""
        text = self.object_json
        source = self._table.source
        if text is None and source is not None:
            return decoded_object(self.id, source.text(self.id))
        return decoded_object(self.id, text)

    def row(self) -> tuple["ChangeTable", int]:
        """The table holding this change and its position there: a reader of several fields of
        every change (the report's diffs) reads them from the table's columns, not through a
        property call each."""
        return self._table, self._at

    def fields(self) -> tuple[Any, ...]:
        """The record's fields (all but its object), in order."""
        return tuple(getattr(self, name) for name in _FIELDS)

    def replaced(self, **fields: Any) -> "Change":
        """This change with some fields replaced (its object kept)."""
        values = dict(zip(_FIELDS, self.fields(), strict=True))
        values.update(fields)
        return Change(**values, object_json=self.object_json, source=self.source)

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is not Change:
            return NotImplemented
        if self._table is other._table and self._at == other._at:
            return True
        return bool(self.fields() == other.fields())

    def __hash__(self) -> int:
        return hash(self.fields())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(_FIELDS, self.fields(), strict=True))
        return f"Change({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: a Change is read-only")


class Coded(Generic[T]):
    """A column of few distinct values (kinds, namespaces, events): a one-byte code a row (wider
    past 256 values) and each value once."""

    __slots__ = ("_code", "codes", "values")

    def __init__(self) -> None:
        self.codes = array("B")
        self.values: list[T] = []
        self._code: dict[T, int] = {}

    def append(self, value: T) -> None:
        """Add a row's value."""
        code = self._code.get(value)
        if code is None:
            code = self._coded(value)
        self.codes.append(code)

    def extend(self, values: Sequence[T]) -> None:
        """Add rows' values."""
        code = self._code
        for value in dict.fromkeys(values):  # new values coded in the order they first appear
            if value not in code:
                self._coded(value)
        self.codes.extend(map(code.__getitem__, values))

    def _coded(self, value: T) -> int:
        code = self._code[value] = len(self.values)
        self.values.append(value)
        if code == 256:
            self.codes = array("I", self.codes)
        return code

    def __getitem__(self, at: int) -> T:
        return self.values[self.codes[at]]

    def __iter__(self) -> Iterator[T]:
        return map(self.values.__getitem__, self.codes)

    def __len__(self) -> int:
        return len(self.codes)


class ChangeTable(Sequence[Change]):
    """A recording's changes held column-wise: arrays of ints, interned names, the
    resourceVersion strings, and (only when loaded with them) the objects' texts.

    A change is built as a `Change` view when asked (`table[i]`, iteration); `index_of` finds a
    change by id (at its offset from the first, else by bisection, since rows are appended in
    id order as every reader loads them; else through a dict built once).
    """

    def __init__(self, source: "ObjectSource | None" = None, *, objects: bool = True) -> None:
        self.source = source
        # ids and receive times as int objects: lifecycles and evidence keep them (shared), and
        # an array would build a new one at each read.
        self.ids: list[int] = []
        self.run_ids = array("q")
        self.kinds: Coded[str] = Coded()
        self.namespaces: Coded[str | None] = Coded()
        self.names: list[str] = []
        self.uids: list[str] = []
        self.events: Coded[str] = Coded()
        self.versions: list[str] = []
        self.observed: Coded[str] = Coded()
        self.walls: list[int] = []
        self.monos = array("q")
        self.written = array("q")
        self.texts: list[str | None] | None = [] if objects else None
        self._unordered: dict[int, int] | None = None

    def append(self, row: tuple[Any, ...]) -> None:
        """Add a row of CHANGE_FIELDS (the object's text last: None when left in the store)."""
        id_, run_id, kind, namespace, name, uid, event, rv, observed = row[:9]
        wall, mono, written, obj = row[9:]
        self.ids.append(id_)
        self.run_ids.append(run_id)
        self.kinds.append(kind)
        self.namespaces.append(namespace)
        self.names.append(name)
        self.uids.append(uid)
        self.events.append(event)
        self.versions.append(rv)
        self.observed.append(observed)
        self.walls.append(wall)
        self.monos.append(mono)
        self.written.append(written)
        if self.texts is not None:
            self.texts.append(obj)

    def extend_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Add rows of CHANGE_FIELDS read from the store, checked as `checked_row` checks one:
        column by column (a call or two a row were most of a session's load)."""
        if not rows:
            return
        (ids, run_ids, kinds, namespaces, names, uids, events, versions, observed, walls, monos,
         written, texts) = zip(*rows, strict=True)  # fmt: skip
        try:
            fine = all(map(str.isascii, versions)) and max(map(len, versions)) <= _MAX_VERSION_CHARS
        except TypeError:  # one is not text
            fine = False
        if not fine:
            versions = tuple(
                checked_version(f"change {i}", v) or "" for i, v in zip(ids, versions, strict=True)
            )
        self.ids.extend(ids)
        self.run_ids.extend(run_ids)
        self.kinds.extend(list(map(intern, kinds)))
        self.namespaces.extend([None if n is None else intern(n) for n in namespaces])
        self.names.extend(map(intern, names))
        self.uids.extend(map(intern, uids))
        self.events.extend(list(map(intern, events)))
        self.versions.extend(versions)
        self.observed.extend(list(map(intern, observed)))
        self.walls.extend(walls)
        self.monos.extend(monos)
        self.written.extend(written)
        if self.texts is not None:
            self.texts.extend(texts)

    def extend(self, changes: Iterable[Change]) -> None:
        """Add copies of changes from another table."""
        for change in changes:
            self.append((*change.fields(), change.object_json))

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, at: int) -> Change: ...

    @overload
    def __getitem__(self, at: slice) -> tuple[Change, ...]: ...

    def __getitem__(self, at: int | slice) -> Change | tuple[Change, ...]:
        if isinstance(at, slice):
            return tuple(self._view(i) for i in range(*at.indices(len(self.ids))))
        if at < 0:
            at += len(self.ids)
        if not 0 <= at < len(self.ids):
            raise IndexError("change index out of range")
        return self._view(at)

    def views(self, positions: Iterable[int]) -> list[Change]:
        """The changes at `positions` (each one in the table), without `table[i]`'s checks of
        each (hot: every change's view, as lifecycles hand each object's history out)."""
        new, set_slot = _new_change, _set_slot
        found = []
        for at in positions:
            view = new(Change)
            set_slot(view, "_table", self)
            set_slot(view, "_at", at)
            found.append(view)
        return found

    def _view(self, at: int) -> Change:
        view = _new_change(Change)
        _set_slot(view, "_table", self)
        _set_slot(view, "_at", at)
        return view

    def __iter__(self) -> Iterator[Change]:
        new, set_slot = _new_change, _set_slot
        for at in range(len(self.ids)):
            view = new(Change)
            set_slot(view, "_table", self)
            set_slot(view, "_at", at)
            yield view

    def __eq__(self, other: Any) -> bool:
        """Equal to another table (or tuple) of equal changes, in the same order."""
        if not isinstance(other, ChangeTable | tuple):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable while loaded, as a list

    def index_of(self, change_id: int) -> int:
        """Where the change of id `change_id` is; KeyError when it is not here."""
        ids = self.ids
        at = change_id - ids[0] if ids else -1
        if 0 <= at < len(ids) and ids[at] == change_id:
            return at
        at = bisect_left(ids, change_id)
        if at < len(ids) and ids[at] == change_id:
            return at
        if self._unordered is None:  # changes given out of id order: index them once
            self._unordered = {change_id: at for at, change_id in enumerate(ids)}
        return self._unordered[change_id]

    def by_id(self, change_id: int) -> Change:
        """The change of id `change_id`; KeyError when it is not here."""
        return self._view(self.index_of(change_id))


_new_change = object.__new__
_set_slot = object.__setattr__


class ObjectSource:
    """A session's objects read back from its store when asked, not held by the recording.

    A session's objects are most of its size (about 1 KB a change): `load_recording` leaves
    them in the store, and lifecycles, the timeline and the Event index stream them by object
    or in order, one at a time (`Recording.decoded`, `Recording.by_object`).
    """

    def __init__(self, path: Path, session_id: int) -> None:
        self.path = path
        self.session_id = session_id
        self._local = threading.local()  # one connection per thread (sqlite3's rule)
        # The texts of the object `Recording.by_object` is handing out, read as they are asked.
        self.prefetched: dict[int, str] | StreamedTexts = {}

    def text(self, change_id: int) -> Any:
        """One change's object JSON text."""
        found = self.prefetched.get(change_id)
        if found is not None:
            return found
        with store_errors(self.path, doing=f"reading change {change_id}", writing=False):
            row = self._conn().execute(_OBJECT, (change_id,)).fetchone()
        if row is None:
            raise _bad_row(f"change {change_id}", "it is no longer in the store")
        return row[0]  # checked when decoded

    def texts_of(self, uid: str, first_id: int, last_id: int) -> list[tuple[int, Any]]:
        """(change id, object JSON text) of each change of the object `uid` with an id from
        `first_id` to `last_id`, in id order: one query on the (session, uid) index."""
        with store_errors(self.path, doing=f"reading the changes of {uid}", writing=False):
            params = (self.session_id, uid, first_id, last_id)
            return list(self._conn().execute(_OBJECTS_OF_UID, params))

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection to the store, opened at its first read."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = open_read_only(self.path)
        return conn

    def rows(self, query: str, *params: object) -> Generator[tuple[Any, ...], None, None]:
        """The rows of one of this module's object queries, streamed from a fresh connection."""
        with (
            reading(self.path) as conn,
            store_errors(self.path, doing="reading the session's objects", writing=False),
        ):
            yield from conn.execute(query, (self.session_id, *params))


class StreamedTexts:
    """The object texts of one uid's changes, read from a cursor over the store's rows (in uid,
    id order) as they are asked for, and each dropped once handed out.

    `Recording.by_object` hands out one object's history at a time; a history can be long (a
    large set's StatefulSet has a status write for nearly every pod change), and holding all
    its texts at once is a peak that later stays in the process as freed heap. Rows read past
    the one asked for are kept until asked; the last one handed out is kept for a second read.
    """

    def __init__(self, first: tuple[Any, ...], rows: Iterator[tuple[Any, ...]]) -> None:
        self.uid: str = first[0]
        self._rows = rows
        self.ahead: dict[int, str] = {first[1]: first[2]}
        self._next: tuple[Any, ...] | None = None  # the first row of the next uid
        self._done = False  # this uid's rows are all read
        self._last: tuple[int, str] | None = None

    def get(self, change_id: int) -> str | None:
        """The text of change `change_id` when it is one of this uid's, else None."""
        found = self.ahead.pop(change_id, None)
        if found is None:
            last = self._last
            if last is not None and last[0] == change_id:
                return last[1]
            found = self._read_to(change_id)
            if found is None:
                return None
        self._last = (change_id, found)
        return found

    def _read_to(self, change_id: int) -> str | None:
        if self._done:
            return None
        uid, ahead = self.uid, self.ahead
        for row in self._rows:
            if row[0] != uid:
                self._next = row
                break
            if row[1] == change_id:
                return row[2]  # type: ignore[no-any-return]
            ahead[row[1]] = row[2]
        self._done = True
        return None

    def rest(self) -> tuple[Any, ...] | None:
        """Skip what is left of this uid's rows: the next uid's first row (None at the end)."""
        if not self._done:
            self._read_to(-1)
        return self._next


class ChangesById(Mapping[int, Change]):
    """A recording's changes by id, over its table: no dict of millions of entries (a session's
    ids are mostly consecutive: a change is found at its offset from the first)."""

    def __init__(self, changes: ChangeTable) -> None:
        self._changes = changes

    def __getitem__(self, change_id: int) -> Change:
        table = self._changes
        ids = table.ids
        at = change_id - ids[0] if ids else -1
        if 0 <= at < len(ids) and ids[at] == change_id:  # the common case, inline (hot)
            view = _new_change(Change)
            _set_slot(view, "_table", table)
            _set_slot(view, "_at", at)
            return view
        return table.by_id(change_id)

    def observed_values(self) -> list[str]:
        """How the changes were observed, each value once (list, watch, relist)."""
        return self._changes.observed.values

    def cited(self, change_id: int) -> tuple[int, str, int, str, str, str]:
        """(id, resource_version, received_wall_ns, kind, name, event) of one change, read from
        the table's columns (hot: every piece of evidence a verdict cites; no view is made)."""
        table = self._changes
        ids = table.ids
        at = change_id - ids[0] if ids else -1
        if not (0 <= at < len(ids) and ids[at] == change_id):
            at = table.index_of(change_id)
        kinds, events = table.kinds, table.events
        return (
            ids[at],
            table.versions[at],
            table.walls[at],
            kinds.values[kinds.codes[at]],
            table.names[at],
            events.values[events.codes[at]],
        )

    def texts_of(self, uid: str, first_id: int, last_id: int) -> list[tuple[int, Any]]:
        """(change id, object JSON text) of each change of the object `uid` from change
        `first_id` to `last_id` (both recorded), in order: read back in one query when the
        objects were left in the store, else searched for in the uid column (in C); for the few
        objects a verdict explains (no index of every object's changes is kept)."""
        table = self._changes
        texts = table.texts
        if texts is None:
            source = table.source
            return source.texts_of(uid, first_id, last_id) if source is not None else []
        uids = table.uids
        at, end = table.index_of(first_id), table.index_of(last_id) + 1
        found = []
        while at < end:
            try:
                at = uids.index(uid, at, end)
            except ValueError:
                break
            found.append((table.ids[at], texts[at]))
            at += 1
        return found

    def wall_bounds(self, change_ids: Sequence[int], low: int, high: int) -> tuple[int, int]:
        """The earliest and the latest receive time (wall ns) of the changes
        `change_ids[low:high]` (not empty), read off the table's column in one pass (hot: every
        step of an episode's window; no view is made)."""
        table = self._changes
        ids, walls = table.ids, table.walls
        first, count = (ids[0], len(ids)) if ids else (0, 0)
        earliest = latest = walls[table.index_of(change_ids[low])]
        for i in range(low + 1, high):
            change_id = change_ids[i]
            at = change_id - first
            if not (0 <= at < count and ids[at] == change_id):
                at = table.index_of(change_id)
            wall = walls[at]
            if wall < earliest:
                earliest = wall
            elif wall > latest:
                latest = wall
        return earliest, latest

    def __iter__(self) -> Iterator[int]:
        return iter(self._changes.ids)

    def __len__(self) -> int:
        return len(self._changes)


@dataclass(frozen=True)
class Gap:
    """A window in which changes of `kind` may be missing from the recording."""

    id: int
    run_id: int
    kind: str
    reason: str
    from_resource_version: str | None
    to_resource_version: str | None
    from_wall_ns: int
    to_wall_ns: int


@dataclass(frozen=True)
class Mark:
    """A labelled moment, such as a scenario step."""

    id: int
    run_id: int
    label: str
    detail: dict[str, Any]
    received_wall_ns: int


@dataclass(frozen=True)
class Window:
    """The stretch of a session a recording was read for (`stswatch.reports.window`).

    Its changes are those received in [since_ns, until_ns], of the objects asked for, after the
    changes that rebuild the state at since_ns: the last recorded change of each object before it
    (ids in `seeded`), the first of each read as a list reads it (`observed` "list", `event`
    "ADDED": the object already existed), the rest as recorded.
    """

    since_ns: int
    until_ns: int
    session_start_ns: int
    session_end_ns: int
    statefulset: str | None = None
    seeded: frozenset[int] = frozenset()

    @property
    def cut_before(self) -> bool:
        """True when the window starts after the session did (its state was rebuilt)."""
        return self.since_ns > self.session_start_ns

    @property
    def cut_after(self) -> bool:
        """True when the window ends before the session did."""
        return self.until_ns < self.session_end_ns


@dataclass(frozen=True)
class Recording:
    """Everything recorded in one session (or in one window of it), in receive order."""

    name: str
    created_wall_ns: int
    scope: dict[str, Any]
    runs: tuple[Run, ...]
    changes: ChangeTable
    gaps: tuple[Gap, ...]
    marks: tuple[Mark, ...]
    window: Window | None = None  # None: the whole session
    # Where the changes' objects are read back from, when they were not loaded with them.
    source: ObjectSource | None = field(default=None, repr=False, compare=False)

    def decoded(
        self, kind: str | None = None, *, deleted: bool = True
    ) -> Iterator[tuple[Change, dict[str, Any]]]:
        """Each change (of `kind`, or all; without DELETED ones unless `deleted`) with its
        decoded object, in the recording's order."""
        table = self.changes
        changes: Sequence[Change] = (
            [table[at] for at, k in enumerate(table.kinds) if k == kind] if kind else table
        )
        if not deleted:
            changes = [c for c in changes if c.event != "DELETED"]
        if self.source is None or not changes or changes[0].object_json is not None:
            for change in changes:
                yield change, change.object
            return
        query, params = (
            (_OBJECTS_OF_KIND, (kind,)) if kind else (_OBJECTS, (changes[0].id, changes[-1].id))
        )
        texts = self.source.rows(query, *params)
        for change in changes:
            for change_id, text in texts:
                if change_id == change.id:  # a store still being written holds later rows too
                    yield change, decoded_object(change_id, text)
                    break

    def by_object(
        self, histories: Mapping[tuple[str, str], list[Change]]
    ) -> Iterator[tuple[tuple[str, str], list[Change]]]:
        """Each object's history (keyed by (kind, uid)), one object at a time, with its objects
        at hand: for a recording loaded without them, they are read back from the store through
        its (session, uid) index and held only while that object's history is being read."""
        first = next(iter(histories.values()), [])
        source = self.source
        if source is None or not first or first[0].object_json is not None:
            yield from histories.items()
            return
        keys: dict[str, list[tuple[str, str]]] = {}
        for key in histories:
            keys.setdefault(key[1], []).append(key)
        rows = source.rows(_OBJECTS_BY_UID)
        try:
            row = next(rows, None)
            while row is not None:
                streamed = source.prefetched = StreamedTexts(row, rows)
                for key in keys.get(streamed.uid, ()):
                    yield key, histories[key]
                row = streamed.rest()
        finally:
            source.prefetched = {}
            rows.close()

    def objects_of(self, history: Sequence[Change]) -> Iterator[dict[str, Any]]:
        """The decoded objects of `history`, in its order, each as `change.object` decodes it:
        for the history `by_object` is handing out, read straight from the rows it streams
        (hot: every change; a view's `object` looks the text up through four calls)."""
        source = self.source
        streamed = source.prefetched if source is not None else None
        if source is None or not isinstance(streamed, StreamedTexts):
            for change in history:
                yield change.object
            return
        for change in history:
            change_id = change.id
            text = streamed.get(change_id)
            yield decoded_object(change_id, source.text(change_id) if text is None else text)

    @property
    def server_version(self) -> str:
        """The API server version of the first run (each run's is in `runs`)."""
        return self.runs[0].server_version if self.runs else "unknown"


@dataclass(frozen=True)
class SessionOverview:
    """One session in a store, counted."""

    name: str
    scope: dict[str, Any]
    created_wall_ns: int
    runs: int
    changes: int
    gaps: int
    marks: int
    recorded_seconds: float


# -- A row the recorder cannot have written (edited by hand, or from a hostile API server) is
# refused on load, naming the row (exit 6), never read into a traceback or a false verdict.

# resourceVersions are opaque, but one of digits is ordered as an integer (ordering.py);
# Python's int() refuses more than 4,300 digits, and str.isdigit() accepts "²".
_MAX_VERSION_CHARS = 64


def decoded_object(change_id: int, text: object) -> dict[str, Any]:
    """A change's recorded object, decoded: a JSON object whose `metadata` is an object."""
    try:
        decoded = orjson.loads(text) if isinstance(text, str | bytes) else None
    except orjson.JSONDecodeError:
        raise _bad_row(f"change {change_id}", "its object is not JSON") from None
    if not isinstance(decoded, dict):
        raise _bad_row(f"change {change_id}", f"its object is {_json_kind(decoded)}, not an object")
    if not isinstance(decoded.get("metadata"), dict):
        raise _bad_row(f"change {change_id}", "its object has no metadata object")
    return decoded


def checked_version(row: str, version: object) -> str | None:
    """A recorded resourceVersion (None stays None): ASCII, at most 64 characters."""
    if version is None:
        return None
    if not isinstance(version, str) or not version.isascii() or len(version) > _MAX_VERSION_CHARS:
        shown = repr(version)
        if len(shown) > 40:
            shown = f"{shown[:24]}… ({len(str(version))} characters)"
        raise _bad_row(row, f"its resourceVersion {shown} is not one the API server gives")
    return version


def decoded_detail(what: str, text: object) -> dict[str, Any]:
    """A JSON object column (a session's scope, a mark's detail), decoded."""
    try:
        decoded = orjson.loads(text) if isinstance(text, str | bytes) else None
    except orjson.JSONDecodeError:
        raise _bad_row(what, "it is not JSON") from None
    if not isinstance(decoded, dict):
        raise _bad_row(what, f"it is {_json_kind(decoded)}, not an object")
    return decoded


def _json_kind(value: object) -> str:
    names = {type(None): "null", bool: "a boolean", list: "a list", str: "a string"}
    return names.get(type(value), "a number")


def _bad_row(row: str, why: str) -> CorruptStoreError:
    return CorruptStoreError(
        f"the store's {row} cannot be read: {why} (the row was not written by stswatch, or was "
        "changed since; nothing was changed)"
    )


def list_session_names(path: Path) -> list[str]:
    """Names of the sessions in a store, oldest first."""
    with reading(path) as conn, store_errors(path, doing="listing sessions", writing=False):
        return [row[0] for row in conn.execute(_SESSION_NAMES)]


def list_sessions(path: Path) -> list[SessionOverview]:
    """Every session in the store at `path`, oldest first."""
    with reading(path) as conn, store_errors(path, doing="listing sessions", writing=False):
        return [
            SessionOverview(
                name,
                decoded_detail(f"session {name!r} scope", scope),
                created,
                runs,
                changes,
                gaps,
                marks,
                recorded / 1e9,
            )
            for name, scope, created, runs, changes, gaps, marks, recorded in conn.execute(
                _OVERVIEWS
            )
        ]


def export_jsonl(path: Path, *, session: str, out: BinaryIO) -> int:
    """Write the session's changes to `out`, one JSON object per line; returns how many."""
    count = 0
    with (
        reading(path) as conn,
        store_errors(path, doing=f"exporting session {session!r}", writing=False),
    ):
        session_id = session_row(conn, path, session)[0]
        for change in conn.execute(_CHANGES, session_span(conn, session_id)):
            out.write(change_line(session, change))
            count += 1
    return count


def change_line(session: str, row: tuple[Any, ...]) -> bytes:
    """One exported line: a row of CHANGE_FIELDS as a JSON object, then a newline."""
    change = change_from_row(row)  # checked as `verify` reads it
    fields = dict(zip(CHANGE_FIELDS[:-1], row, strict=False))
    # Re-serialised, never spliced: a row edited by hand cannot inject keys or break the line.
    line = orjson.dumps(
        {"session": session, **fields, "object": decoded_object(change.id, change.object_json)}
    )
    return json_bytes(line) + b"\n"


def session_row(conn: sqlite3.Connection, path: Path, session: str) -> tuple[Any, ...]:
    """The session's row (id, name, created, scope); NotFoundError naming the sessions there are."""
    row = conn.execute(_SESSION, (session,)).fetchone()
    if row is None:
        known = ", ".join(r[0] for r in conn.execute(_SESSION_NAMES)) or "none"
        raise NotFoundError(f"{path}: no session named {session!r} (sessions: {known})")
    return tuple(row)


def session_span(conn: sqlite3.Connection, session_id: int) -> tuple[int, int, int]:
    """(session id, first change id, last change id): the parameters of a query `_IN_SPAN`."""
    first, last = conn.execute(_SPAN, (session_id,)).fetchone()
    return session_id, first or 0, last or -1


def runs_of(conn: sqlite3.Connection, session_id: int) -> tuple[Run, ...]:
    """The session's runs, in order."""
    return tuple(Run(*r) for r in conn.execute(_RUNS, (session_id,)))


def mark_from_row(row: tuple[Any, ...]) -> Mark:
    """A Mark from a row of (id, run_id, label, detail JSON, received_wall_ns)."""
    return Mark(row[0], row[1], row[2], decoded_detail(f"mark {row[0]} detail", row[3]), row[4])


def gap_from_row(row: tuple[Any, ...]) -> Gap:
    """A Gap from a row of (id, run_id, kind, reason, from/to resourceVersion, from/to wall)."""
    id_, run_id, kind, reason, from_rv, to_rv, from_ns, to_ns = row
    name = f"gap {id_}"
    return Gap(
        id_, run_id, kind, reason, checked_version(name, from_rv), checked_version(name, to_rv),
        from_ns, to_ns,
    )  # fmt: skip


def older_schema_note(path: Path) -> str | None:
    """A one-line note when the store predates this stswatch's schema (read as it is), else None.

    Every reader here needs only tables of schema 1, so an older store is read in place and never
    changed; a recorder writing into it applies the newer migrations first.
    """
    with reading(path) as conn, store_errors(path, doing="reading its schema", writing=False):
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found >= SCHEMA_VERSION:
        return None
    return (
        f"note: {path} has schema {found} (this stswatch writes {SCHEMA_VERSION}); read as it "
        "is, unchanged: recording into it again upgrades it"
    )


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small records.

    A collection walks every container built so far (lifecycles, verdicts, the timeline's
    views: millions at 10,000 pods), which alone took longer than the work it interrupted.
    Nothing built here forms reference cycles, so nothing is left behind.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def paused_gc() -> Iterator[None]:
    """`no_cyclic_gc` while a session is read, then what was read is frozen (`gc.freeze`).

    The changes of a session stay alive for the whole command: without the freeze the first
    collection after the pause would walk them once more, and every full one after that again,
    though none of them can be cyclic garbage (reference counting still frees them when dropped).
    """
    with no_cyclic_gc():
        try:
            yield
        finally:
            gc.freeze()


def load_recording(path: Path, session: str, *, objects: bool = True) -> Recording:
    """Read a whole session; raises NotFoundError naming the sessions that do exist.

    `objects=False` leaves the changes' objects in the store (`ObjectSource`): the recording
    holds a few hundred bytes a change instead of about 1.5 KB, and reads them back when asked.
    """
    with (
        reading(path) as conn,
        store_errors(path, doing=f"reading session {session!r}", writing=False),
        paused_gc(),
    ):
        return _load(conn, path, session, objects=objects)


def change_from_row(row: tuple[Any, ...], source: ObjectSource | None = None) -> Change:
    """A Change from a row of CHANGE_FIELDS (its object left as JSON text until read)."""
    table = ChangeTable(source, objects=row[-1] is not None or source is None)
    table.append(checked_row(row))
    return table[0]


def checked_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row of CHANGE_FIELDS as a table holds it: its names interned, its resourceVersion
    checked."""
    (id_, run_id, kind, namespace, name, uid, event, rv, observed, wall, mono, written, obj) = row
    return (
        id_,
        run_id,
        intern(kind),  # a handful of values over millions of rows: one string each
        intern(namespace) if namespace is not None else None,
        intern(name),  # an object's name and uid recur in each of its changes
        intern(uid),
        intern(event),
        checked_version(f"change {id_}", rv) or "",
        intern(observed),
        wall,
        mono,
        written,
        obj,
    )


# Rows checked and added column by column, so many at a time: a chunk small enough to stay in the
# CPU caches was the fastest (20,000 rows took a fifth longer).
_ROWS_AT_ONCE = 1_000


def _load(conn: sqlite3.Connection, path: Path, session: str, *, objects: bool) -> Recording:
    session_id, name, created, scope = session_row(conn, path, session)
    runs = runs_of(conn, session_id)
    source = None if objects else ObjectSource(path, session_id)
    query = _CHANGES if objects else _BARE_CHANGES
    changes = ChangeTable(source, objects=objects)
    rows = conn.execute(query, session_span(conn, session_id))
    while chunk := rows.fetchmany(_ROWS_AT_ONCE):
        changes.extend_rows(chunk)
    gaps = tuple(gap_from_row(r) for r in conn.execute(_GAPS, (session_id,)))
    marks = tuple(mark_from_row(r) for r in conn.execute(_MARKS, (session_id,)))
    scope_ = decoded_detail(f"session {name!r} scope", scope)
    return Recording(name, created, scope_, runs, changes, gaps, marks, source=source)
