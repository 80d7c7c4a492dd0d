"""The inspector's view of recorded changes: each one as its diff from the object's previous change.

A report embeds every change so a click can show it, but a whole pod object per change would make
a 20,000-change report hundreds of megabytes; a diff is what a reader wants anyway ("what did
this change change?"). The first change of an object carries the whole object instead.
"""

import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stswatch.reports.recording import Change, ChangeTable
from stswatch.reports.timeline.model import ChangeViews

DiffLine = tuple[str, str, Any, Any]


# A change, its object's previous change (None for the first) and its diff from it, or (the
# first) the whole object without its noise.
Diffed = tuple[Change, int | None, tuple[DiffLine, ...] | None, dict[str, Any] | None]


class ChangeDiffs:
    """Each change diffed from its object's previous change, gathered one change at a time as the
    session's objects are decoded: by `build_lifecycles`, handed this as its `seen`, so that one
    decoding serves the lifecycles and the inspector. Each object's changes come in the order
    recorded; objects may interleave (a change's diff depends on its object's changes only)."""

    def __init__(self) -> None:
        # The previous change of each live object, decoded once and without its noise.
        self._previous: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self._found: dict[int, Diffed] = {}
        self._events: dict[int, dict[str, Any]] = {}  # each Event's object, but DELETED ones

    def __call__(self, change: Change, obj: dict[str, Any]) -> None:
        table, at = change.row()  # its fields read from the columns: a property each cost more
        kinds, events = table.kinds, table.events
        key = (kind := kinds.values[kinds.codes[at]], table.uids[at])
        change_id = table.ids[at]
        clean = without_noise(obj)
        previous = self._previous
        if events.values[events.codes[at]] == "DELETED":
            before = previous.pop(key, None)  # a uid never comes back: hold only live objects
        else:
            before = previous.get(key)
            previous[key] = (change_id, clean)
            if kind == "Event":
                self._events[change_id] = obj
        if before is None:
            self._found[change_id] = (change, None, None, clean)
        else:
            self._found[change_id] = (change, before[0], _diff_clean(before[1], clean), None)

    def diffed(self) -> list[Diffed]:
        """Every change handed over so far, diffed, in the order handed over."""
        return list(self._found.values())

    def events(self) -> list[tuple[Change, dict[str, Any]]]:
        """The Events' changes handed over so far (but DELETED ones) with their objects, in the
        order handed over."""
        found = self._found
        return [(found[change_id][0], obj) for change_id, obj in self._events.items()]

    def of(
        self, table: ChangeTable
    ) -> tuple[list[Diffed], list[tuple[Change, dict[str, Any]]]] | None:
        """Every change of `table` diffed, and its Events' objects but DELETED ones, both in the
        table's order; None when some change was not handed over."""
        events = self.events_of(table)
        if events is None:
            return None
        return list(map(self._found.__getitem__, table.ids)), events

    def events_of(self, table: ChangeTable) -> list[tuple[Change, dict[str, Any]]] | None:
        """`table`'s Events' changes but DELETED ones with their objects, in its order; None
        when some change of it was not handed over."""
        found, events = self._found, self._events
        if len(found) != len(table) or not all(map(found.__contains__, table.ids)):
            return None
        return [(found[i][0], events[i]) for i in filter(events.__contains__, table.ids)]


def diffed(changes: Iterable[tuple[Change, dict[str, Any]]]) -> list[Diffed]:
    """Each change (with its decoded object, `Recording.decoded`) diffed from its object's
    previous change, in order."""
    gathered = ChangeDiffs()
    for change, obj in changes:
        gathered(change, obj)
    return gathered.diffed()


def change_views(
    changes: Sequence[Diffed],
    *,
    start_wall_ns: int,
    lanes: Mapping[int, str],
    table: ChangeTable | None = None,
) -> ChangeViews:
    """Every diffed change as the inspector shows it; `lanes` maps a change id to its lane's
    key. When the changes are all of `table`'s, in order, their fields are its columns."""
    # Columns of the (change, previous id, diff, object) rows, read in one pass over them.
    recorded, previous_ids, diffs, objects = zip(*changes, strict=True) if changes else ((),) * 4
    ids = [c.id for c in recorded]
    if table is not None and ids == table.ids:
        fields = _table_fields(table)
    else:
        fields = {name: [getattr(c, name) for c in recorded] for name in _TABLE_FIELDS}
    walls = fields.pop("received_wall_ns")
    return ChangeViews(
        id=ids,
        t=[(wall_ns - start_wall_ns) / 1e9 for wall_ns in walls],
        **fields,
        lane=list(map(lanes.get, ids)),
        previous_id=previous_ids,
        diff=diffs,
        object=objects,
    )


# A ChangeView's fields that are its change's, as they are.
_TABLE_FIELDS = (
    "kind", "namespace", "name", "uid", "event", "resource_version", "observed", "received_wall_ns"
)  # fmt: skip


def _table_fields(table: ChangeTable) -> dict[str, list[Any]]:
    return {
        "kind": list(table.kinds),
        "namespace": list(table.namespaces),
        "name": list(table.names),
        "uid": list(table.uids),
        "event": list(table.events),
        "resource_version": list(table.versions),
        "observed": list(table.observed),
        "received_wall_ns": table.walls,
    }


def without_noise(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without managedFields: bookkeeping the API server rewrites on every write."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def diff_objects(before: dict[str, Any], after: dict[str, Any]) -> tuple[DiffLine, ...]:
    """Leaf-level differences as (op, dotted path, old, new); op is "+", "-" or "~"."""
    return _diff_clean(without_noise(before), without_noise(after))


def _diff_clean(old: dict[str, Any], new: dict[str, Any]) -> tuple[DiffLine, ...]:
    lines: list[DiffLine] = []
    # Two non-empty objects are walked key by key (equal ones yield nothing): comparing them
    # whole first would walk every equal field twice.
    if (type(old) is dict and type(new) is dict and old and new) or old != new:
        _diff(old, new, "", lines)
    if len(lines) > 1:
        lines.sort(key=_BY_PATH)
    return tuple(lines)


_BY_PATH = operator.itemgetter(1)


# A path is carried as its keys joined by dots with a dot after the last one ("" at the top), so
# a child's is one concatenation; `_dotted` makes the shown path (".".join(keys), list keys
# glued to their parent: "status.conditions[type=Ready].status").


def _diff(old: Any, new: Any, path: str, lines: list[DiffLine]) -> None:
    """The differences of two unequal values. Equal children are skipped by one (C-level)
    comparison before any call: most of an object never changes."""
    if type(old) is dict and type(new) is dict and old and new:
        # The common case, without building a children mapping: JSON keys are strings already.
        missing = 0  # old's keys new lacks: new has keys old lacks only if it is larger still
        for key, before in old.items():
            after = new.get(key, _ABSENT)
            if before is after or before == after:
                continue
            if after is _ABSENT:
                missing += 1
                if type(before) in _SCALARS:  # most lines: no call
                    lines.append(("-", (path + key).replace(".[", "["), before, None))
                    continue
            elif type(before) in _SCALARS and type(after) in _SCALARS:
                lines.append(("~", (path + key).replace(".[", "["), before, after))
                continue
            _diff(before, after, path + key + ".", lines)
        if len(new) > len(old) - missing:
            for key, after in new.items():
                if key not in old:
                    if type(after) in _SCALARS:
                        lines.append(("+", (path + key).replace(".[", "["), None, after))
                    else:
                        _diff(_ABSENT, after, path + key + ".", lines)
        return
    if type(old) is list and type(new) is list and old and new:
        # Lists keyed as the API keys them (`_list_key`): old's entries, then those only new has.
        old_items, new_items = _list_children(old), _list_children(new)
        for key, before in old_items.items():
            after = new_items.get(key, _ABSENT)
            if before is not after and before != after:
                _diff(before, after, path + key + ".", lines)
        for key, after in new_items.items():
            if key not in old_items:
                _diff(_ABSENT, after, path + key + ".", lines)
        return
    branches = _branches(old), _branches(new)
    if branches == (True, True):
        old_items, new_items = _children(old), _children(new)
        for key in old_items.keys() | new_items.keys():
            before, after = old_items.get(key, _ABSENT), new_items.get(key, _ABSENT)
            if before is not after and before != after:
                _diff(before, after, path + key + ".", lines)
        return
    if branches == (False, False):  # two leaves (or one and nothing): one line
        if old is _ABSENT:
            lines.append(("+", _dotted(path), None, new))
        elif new is _ABSENT:
            lines.append(("-", _dotted(path), old, None))
        else:
            lines.append(("~", _dotted(path), old, new))
        return
    _leaf_lines(old, path, lines, removed=True)
    _leaf_lines(new, path, lines, removed=False)
    _pair_replacements(lines)


def _pair_replacements(lines: list[DiffLine]) -> None:
    # A leaf removed and added at the same path within one step is a change ("~").
    if len(lines) < 2:
        return
    removed, added = lines[-2], lines[-1]
    if (removed[0], added[0]) == ("-", "+") and removed[1] == added[1]:
        lines[-2:] = [("~", added[1], removed[2], added[3])]


_SCALARS = frozenset((str, int, float, bool, type(None)))  # JSON's leaves (an empty {} or [] too)


class _Absent:
    """A key missing on one side of a diff."""


_ABSENT = _Absent()


def _branches(value: Any) -> bool:
    return isinstance(value, dict | list) and bool(value)


def _children(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {f"[{_list_key(item, i)}]": item for i, item in enumerate(value)}


def _list_children(items: list[Any]) -> dict[str, Any]:
    """`_children` of a list."""
    found = {}
    for index, item in enumerate(items):
        if isinstance(item, dict):
            key = item.get("type")
            if isinstance(key, str):
                found[f"[type={key}]"] = item
                continue
            key = item.get("name")
            if isinstance(key, str):
                found[f"[name={key}]"] = item
                continue
        found[f"[{index}]"] = item
    return found


def _leaf_lines(value: Any, path: str, lines: list[DiffLine], *, removed: bool) -> None:
    """A line for each leaf of `value` (none when it is absent): removed, else added."""
    if isinstance(value, _Absent):
        return
    if not _branches(value):
        where = _dotted(path)
        lines.append(("-", where, value, None) if removed else ("+", where, None, value))
        return
    for key, item in _children(value).items():
        _leaf_lines(item, path + key + ".", lines, removed=removed)


def _list_key(item: Any, index: int) -> str:
    # Conditions, containers and volumes are keyed by type/name in the API, not by position;
    # keying them so keeps a reordered list from reading as a rewrite of every entry.
    if isinstance(item, dict):
        for field in ("type", "name"):
            if isinstance(item.get(field), str):
                return f"{field}={item[field]}"
    return str(index)


def _dotted(path: str) -> str:
    return path[:-1].replace(".[", "[")
