"""Read one window of a session through the store's indexes, its state at the start rebuilt.

The window holds the changes received in [since, until] of the objects that matter: every object,
or with a StatefulSet named, that set, its pods, claims, ControllerRevisions, governing Services,
their EndpointSlices, the PersistentVolumes its claims are bound to, and the Events about the set
and its pods. The state at `since` is the last recorded change of each of those objects before it
(objects whose last change was their deletion are gone, Events are not state); the first of them
is read as a list reads it, so the analysis sees the objects as existing when the window opens,
exactly as it sees a session whose recorder started then. A StatefulSet still working on its spec
at `since` also brings the change that set that spec and the one before it, so the episode under
way is found (and its verdicts say the window cut it, `stswatch.reports.proofs.window`).

Nothing is replayed from the session's start: every query is a range over an index of schema 1
(`change_by_object`, `change_by_time`, `change_by_uid`) or over the change ids.
"""

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from stswatch.errors import NotFoundError
from stswatch.reports.history.objects import dig, items, owner_statefulset
from stswatch.reports.recording import (
    CHANGE_FIELDS,
    ChangeTable,
    Gap,
    Mark,
    Recording,
    Window,
    change_line,
    checked_row,
    decoded_detail,
    decoded_object,
    gap_from_row,
    mark_from_row,
    paused_gc,
    runs_of,
    session_row,
)
from stswatch.reports.window import WindowRequest
from stswatch.store_contract import reading, store_errors

_COLUMNS = ", ".join(CHANGE_FIELDS)
_OBJECT = len(CHANGE_FIELDS) - 1
_NO_END = 2**63 - 1

# The session's recorded stretch: first and last change (change_by_time), runs.
_FIRST_CHANGE = "SELECT min(received_wall_ns) FROM change WHERE session_id = ?"
_LAST_CHANGE = "SELECT max(received_wall_ns) FROM change WHERE session_id = ?"
# The first change received at or after a moment (change_by_time); its id bounds the window.
_FIRST_FROM = (
    "SELECT id FROM change WHERE session_id = ? AND received_wall_ns >= ? "
    "ORDER BY received_wall_ns, id LIMIT 1"
)
_FIRST_AFTER = (
    "SELECT id FROM change WHERE session_id = ? AND received_wall_ns > ? "
    "ORDER BY received_wall_ns, id LIMIT 1"
)
# Every object: the window by id range, the state before it by each uid's last change. (The
# unary + keeps SQLite from walking change_by_time over the whole session for the session_id.)
_WINDOW_ALL = f"SELECT {_COLUMNS} FROM change WHERE id >= ? AND id < ? AND +session_id = ?"
_STATE_ALL = (
    f"SELECT {_COLUMNS} FROM change WHERE id IN ("
    "SELECT max(id) FROM change WHERE session_id = ? AND id < ? GROUP BY uid"
    ") AND event != 'DELETED' AND kind != 'Event'"
)
# Objects of one kind whose names lie in [low, high) (change_by_object).
_WINDOW_NAMED = (
    f"SELECT {_COLUMNS} FROM change WHERE session_id = ? AND kind = ? AND namespace IS ? "
    "AND name >= ? AND name < ? AND id >= ? AND id < ?"
)
_STATE_NAMED = (
    f"SELECT {_COLUMNS} FROM change WHERE id IN ("
    "SELECT max(id) FROM change WHERE session_id = ? AND kind = ? AND namespace IS ? "
    "AND name >= ? AND name < ? AND id < ? GROUP BY name"
    ") AND event != 'DELETED' AND kind != 'Event'"
)
# A StatefulSet's generations, newest first, before the window (change_by_object).
_GENERATIONS = (
    "SELECT id, json_extract(object, '$.metadata.generation') FROM change "
    "WHERE session_id = ? AND kind = 'StatefulSet' AND namespace IS ? AND name = ? AND uid = ? "
    "AND id < ? ORDER BY id DESC"
)
# A pod's last change before the window under a StatefulSet's controller ownerReference
# (change_by_uid).
_LAST_CONTROLLED = (
    f"SELECT {_COLUMNS} FROM change WHERE session_id = ? AND uid = ? AND id < ? AND EXISTS ("
    "SELECT 1 FROM json_each(object, '$.metadata.ownerReferences') "
    "WHERE json_extract(value, '$.kind') = 'StatefulSet' "
    "AND json_extract(value, '$.controller')) ORDER BY id DESC LIMIT 1"
)
# A StatefulSet's changes before the window from its deletion's start on (change_by_uid).
_SET_DELETION = (
    f"SELECT {_COLUMNS} FROM change WHERE session_id = ? AND uid = ? AND id < ? "
    "AND (event = 'DELETED' OR json_extract(object, '$.metadata.deletionTimestamp') IS NOT NULL) "
    "ORDER BY id"
)
_CHANGE_BY_ID = f"SELECT {_COLUMNS} FROM change WHERE id = ?"
_SET_NAMESPACES = (
    "SELECT DISTINCT namespace FROM change "
    "WHERE session_id = ? AND kind = 'StatefulSet' AND name = ?"
)
_SET_NAMES = (
    "SELECT DISTINCT name FROM change WHERE session_id = ? AND kind = 'StatefulSet' ORDER BY name"
)
_GAPS_IN = (
    "SELECT id, run_id, kind, reason, from_resource_version, to_resource_version, "
    "from_wall_ns, to_wall_ns FROM gap WHERE session_id = ? AND from_wall_ns <= ? "
    "AND to_wall_ns >= ? ORDER BY from_wall_ns, id"
)
_MARKS_IN = (
    "SELECT id, run_id, label, detail, received_wall_ns FROM mark WHERE session_id = ? "
    "AND received_wall_ns >= ? AND received_wall_ns <= ? ORDER BY received_wall_ns, id"
)

Row = tuple[Any, ...]


@dataclass(frozen=True)
class _Names:
    """Objects of one kind in one namespace whose names start with `prefix` and match `keep`."""

    kind: str
    namespace: str | None
    prefix: str
    keep: re.Pattern[str]

    @classmethod
    def exact(cls, kind: str, namespace: str | None, name: str) -> "_Names":
        """The object called `name`."""
        return cls.followed(kind, namespace, name, "")

    @classmethod
    def followed(cls, kind: str, namespace: str | None, name: str, rest: str) -> "_Names":
        """Objects called `name` followed by what the regular expression `rest` matches."""
        return cls(kind, namespace, name, re.compile(re.escape(name) + rest + r"\Z"))

    @property
    def bounds(self) -> tuple[str, str]:
        """[low, high): every name that starts with the prefix (exact names: the name alone)."""
        return self.prefix, self.prefix + "\U0010ffff"


@dataclass
class _Slice:
    """Rows read so far: the window's, and the state's before it (ids in `state`)."""

    rows: dict[int, Row]
    state: set[int]

    def add(self, rows: Iterable[Row], *, state: bool) -> list[Row]:
        added = list(rows)
        for row in added:
            self.rows[row[0]] = row
            if state:
                self.state.add(row[0])
        return added


@dataclass(frozen=True)
class _Bounds:
    session_id: int
    first_id: int  # the window's first change id
    end_id: int  # one past its last
    window: Window


def load_window(path: Path, session: str, request: WindowRequest) -> Recording:
    """Read `session`'s window (and slice) as a Recording, its state at `since` rebuilt.

    Raises NotFoundError for a missing session or StatefulSet, UsageError for a window that
    ends before it starts.
    """
    with (
        reading(path) as conn,
        store_errors(path, doing=f"reading session {session!r}", writing=False),
        paused_gc(),
    ):
        session_id, name, created, scope = session_row(conn, path, session)
        bounds = _bounds(conn, session_id, created, request)
        part = _read(conn, bounds, request, session=session)
        window = replace(bounds.window, seeded=frozenset(part.state))
        return Recording(
            name,
            created,
            decoded_detail(f"session {name!r} scope", scope),
            runs_of(conn, session_id),
            _changes(part),
            _gaps(conn, window, session_id),
            _marks(conn, window, session_id),
            window,
        )


def export_window(path: Path, session: str, request: WindowRequest, out: BinaryIO) -> int:
    """Write the window's changes (not the state before it) as JSON lines; returns how many."""
    with (
        reading(path) as conn,
        store_errors(path, doing=f"exporting session {session!r}", writing=False),
    ):
        session_id, _, created, _ = session_row(conn, path, session)
        bounds = _bounds(conn, session_id, created, request)
        part = _read(conn, bounds, request, session=session)
        count = 0
        for change_id in sorted(part.rows.keys() - part.state):
            out.write(change_line(session, part.rows[change_id]))
            count += 1
        return count


def _bounds(
    conn: sqlite3.Connection, session_id: int, created: int, request: WindowRequest
) -> _Bounds:
    first = conn.execute(_FIRST_CHANGE, (session_id,)).fetchone()[0]
    last = conn.execute(_LAST_CHANGE, (session_id,)).fetchone()[0]
    runs = runs_of(conn, session_id)
    starts = [r.started_wall_ns for r in runs[:1]] + ([first] if first is not None else [])
    start = min(starts, default=created)
    # A run that never closed (killed) has no end: the session then ends at its last change.
    ends = [r.ended_wall_ns for r in runs[-1:] if r.ended_wall_ns is not None]
    end = max([*ends, *([last] if last is not None else []), start])
    since, until = request.bounds(start_ns=start, end_ns=end)
    first_id = _id_from(conn, _FIRST_FROM, session_id, since)
    end_id = _id_from(conn, _FIRST_AFTER, session_id, until)
    window = Window(since, min(until, end), start, end, request.statefulset)
    return _Bounds(session_id, first_id, end_id, window)


def _id_from(conn: sqlite3.Connection, query: str, session_id: int, wall_ns: int) -> int:
    row = conn.execute(query, (session_id, wall_ns)).fetchone()
    return int(row[0]) if row is not None else _NO_END


def _read(
    conn: sqlite3.Connection, bounds: _Bounds, request: WindowRequest, *, session: str
) -> _Slice:
    part = _Slice({}, set())
    window_range = (bounds.first_id, bounds.end_id)
    if request.statefulset is None:
        part.add(conn.execute(_WINDOW_ALL, (*window_range, bounds.session_id)), state=False)
        part.add(conn.execute(_STATE_ALL, (bounds.session_id, bounds.first_id)), state=True)
    else:
        _read_statefulset(conn, bounds, part, request.statefulset, session=session)
    _add_spec_under_way(conn, bounds, part)
    _add_released_owner(conn, bounds, part)
    return part


def _read_statefulset(
    conn: sqlite3.Connection, bounds: _Bounds, part: _Slice, wanted: str, *, session: str
) -> None:
    """The named StatefulSet's objects: the set first, then what its specs name."""
    namespace, name = _locate(conn, bounds.session_id, wanted, session=session)
    sets = _read_names(conn, bounds, part, [_Names.exact("StatefulSet", namespace, name)])
    specs = [decoded_object(row[0], row[_OBJECT]).get("spec") or {} for row in sets]
    services = {str(s["serviceName"]) for s in specs if s.get("serviceName")}
    templates = {
        str((t.get("metadata") or {}).get("name"))
        for s in specs
        for t in s.get("volumeClaimTemplates") or ()
    }
    wanted_names = [
        _Names.followed("Pod", namespace, name, r"-\d+"),
        _Names.followed("ControllerRevision", namespace, name, r"-[0-9a-z]+"),
        _Names.followed("Event", namespace, name, r"(?:-\d+)?\..*"),
        *(_Names.exact("Service", namespace, s) for s in services),
        *(_Names.followed("EndpointSlice", namespace, s, r"-[0-9a-z]+") for s in services),
        *(
            _Names.followed("PersistentVolumeClaim", namespace, f"{t}-{name}", r"-\d+")
            for t in templates
        ),
    ]
    claims = [
        row
        for row in _read_names(conn, bounds, part, wanted_names)
        if row[2] == "PersistentVolumeClaim"
    ]
    volumes = {
        str(volume)
        for row in claims
        if (volume := (decoded_object(row[0], row[_OBJECT]).get("spec") or {}).get("volumeName"))
    }
    _read_names(conn, bounds, part, [_Names.exact("PersistentVolume", None, v) for v in volumes])


def _read_names(
    conn: sqlite3.Connection, bounds: _Bounds, part: _Slice, wanted: list[_Names]
) -> list[Row]:
    """The window's and the state's rows of every object `wanted` names."""
    found: list[Row] = []
    for names in wanted:
        where = (bounds.session_id, names.kind, names.namespace, *names.bounds)
        window = conn.execute(_WINDOW_NAMED, (*where, bounds.first_id, bounds.end_id))
        state = conn.execute(_STATE_NAMED, (*where, bounds.first_id))
        found += part.add((r for r in window if names.keep.match(r[4])), state=False)
        found += part.add((r for r in state if names.keep.match(r[4])), state=True)
    return found


def _locate(
    conn: sqlite3.Connection, session_id: int, wanted: str, *, session: str
) -> tuple[str | None, str]:
    """(namespace, name) of the StatefulSet NAME or NAMESPACE/NAME; NotFoundError if unrecorded."""
    namespace, _, name = wanted.rpartition("/")
    found = [ns for (ns,) in conn.execute(_SET_NAMESPACES, (session_id, name))]
    if namespace:
        found = [ns for ns in found if ns == namespace]
    if not found:
        known = ", ".join(name for (name,) in conn.execute(_SET_NAMES, (session_id,))) or "none"
        raise NotFoundError(
            f"session {session!r} has no StatefulSet {wanted!r} (recorded: {known})"
        )
    return found[0], name


def _add_spec_under_way(conn: sqlite3.Connection, bounds: _Bounds, part: _Slice) -> None:
    """For each StatefulSet still working on its spec when the window opens, the change that
    set that spec (metadata.generation) and the last one before it, so the episode is found."""
    for change_id in sorted(part.state):
        row = part.rows[change_id]
        if row[2] != "StatefulSet":
            continue
        obj = decoded_object(change_id, row[_OBJECT])
        if _settled(obj):
            continue
        generation = (obj.get("metadata") or {}).get("generation")
        earliest = None
        for older_id, older_generation in conn.execute(
            _GENERATIONS, (bounds.session_id, row[3], row[4], row[5], change_id)
        ):
            if older_generation != generation:
                part.add(conn.execute(_CHANGE_BY_ID, (older_id,)), state=True)
                break
            earliest = older_id
        if earliest is not None:
            part.add(conn.execute(_CHANGE_BY_ID, (earliest,)), state=True)


def _add_released_owner(conn: sqlite3.Connection, bounds: _Bounds, part: _Slice) -> None:
    """For each pod listed orphaned at the window's start, its last change before that under a
    StatefulSet's controller, when it had one: the set it was made by, so that the pod is known
    as one of that set's names (released by an orphaning delete or ReleasePod), which it holds
    against a set of that name until it is gone (CreateStatefulPod: AlreadyExists). A set gone
    before the window brings its deletion (its first change with a deletionTimestamp, and its
    DELETED): what became of its orphans in the window is that deletion's story."""
    owners: set[str] = set()
    for change_id in sorted(part.state):
        row = part.rows[change_id]
        if row[2] != "Pod":
            continue
        obj = decoded_object(change_id, row[_OBJECT])
        refs = items(dig(obj, "metadata", "ownerReferences"))
        if any(isinstance(r, dict) and r.get("controller") for r in refs):
            continue
        for older in part.add(
            conn.execute(_LAST_CONTROLLED, (bounds.session_id, row[5], change_id)), state=True
        ):
            owner = owner_statefulset(decoded_object(older[0], older[_OBJECT]))
            if owner is not None:
                owners.add(owner[1])
    known = {row[5] for row in part.rows.values()}
    for uid in sorted(owners - known):
        deletion = list(conn.execute(_SET_DELETION, (bounds.session_id, uid, bounds.first_id)))
        if len(deletion) > 1 and deletion[-1][6] == "DELETED":
            part.add((deletion[0], deletion[-1]), state=True)


def _settled(statefulset: dict[str, Any]) -> bool:
    """True when the controller had met the set's spec: every replica Ready at one revision."""
    meta = statefulset.get("metadata") or {}
    spec = statefulset.get("spec") or {}
    status = statefulset.get("status") or {}
    replicas = spec.get("replicas", 1)
    return (
        meta.get("deletionTimestamp") is None
        and status.get("observedGeneration", 0) >= meta.get("generation", 0)
        and status.get("replicas", 0) == replicas
        and status.get("readyReplicas", 0) == replicas
        and status.get("currentRevision") == status.get("updateRevision")
    )


def _changes(part: _Slice) -> ChangeTable:
    """The rows as changes in receive order; each object's first change before the window read
    as a list reads it, unless that change is its creation."""
    listed: set[str] = set()
    changes = ChangeTable()
    for change_id in sorted(part.rows):
        row = checked_row(part.rows[change_id])  # CHANGE_FIELDS: uid 5, event 6, observed 8
        uid, event, observed = row[5], row[6], row[8]
        created = event == "ADDED" and observed != "list"
        if change_id in part.state and uid not in listed and not created:
            row = (*row[:6], "ADDED", row[7], "list", *row[9:])
        listed.add(uid)
        changes.append(row)
    return changes


def _gaps(conn: sqlite3.Connection, window: Window, session_id: int) -> tuple[Gap, ...]:
    rows = conn.execute(_GAPS_IN, (session_id, window.until_ns, window.since_ns))
    return tuple(gap_from_row(r) for r in rows)


def _marks(conn: sqlite3.Connection, window: Window, session_id: int) -> tuple[Mark, ...]:
    rows = conn.execute(_MARKS_IN, (session_id, window.since_ns, window.until_ns))
    return tuple(mark_from_row(r) for r in rows)
