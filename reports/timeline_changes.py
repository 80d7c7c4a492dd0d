"""The inspector's view of recorded changes: each one as its diff from the object's previous change.

A report embeds every change so a click can show it, but a whole pod object per change would make
a 20,000-change report hundreds of megabytes; a diff is what a reader wants anyway ("what did
this change change?"). The first change of an object carries the whole object instead.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from reports.recording import Change
from reports.timeline import ChangeView

# Bookkeeping the API server rewrites on every write; it hides the change a reader looks for.
_NOISE = frozenset({("metadata", "managedFields")})

DiffLine = tuple[str, str, Any, Any]


def change_views(
    changes: tuple[Change, ...], *, start_wall_ns: int, lanes: Mapping[int, str]
) -> tuple[ChangeView, ...]:
    """Every change as the inspector shows it; `lanes` maps a change id to its lane's key."""
    previous: dict[tuple[str, str], Change] = {}
    views = []
    for change in changes:
        key = (change.kind, change.uid)
        before = previous.get(key)
        previous[key] = change
        views.append(
            ChangeView(
                id=change.id,
                t=(change.received_wall_ns - start_wall_ns) / 1e9,
                kind=change.kind,
                namespace=change.namespace,
                name=change.name,
                uid=change.uid,
                event=change.event,
                resource_version=change.resource_version,
                observed=change.observed,
                lane=lanes.get(change.id),
                previous_id=before.id if before else None,
                diff=diff_objects(before.object, change.object) if before else None,
                object=None if before else without_noise(change.object),
            )
        )
    return tuple(views)


def without_noise(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without managedFields."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or "managedFields" not in meta:
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}


def diff_objects(before: dict[str, Any], after: dict[str, Any]) -> tuple[DiffLine, ...]:
    """Leaf-level differences as (op, dotted path, old, new); op is "+", "-" or "~"."""
    old = dict(_leaves(before, ()))
    new = dict(_leaves(after, ()))
    lines: list[DiffLine] = []
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            lines.append(("-", _dotted(path), old[path], None))
        elif path not in old:
            lines.append(("+", _dotted(path), None, new[path]))
        elif old[path] != new[path]:
            lines.append(("~", _dotted(path), old[path], new[path]))
    return tuple(lines)


def _leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if path[:2] in _NOISE:
        return
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, f"[{_list_key(item, index)}]"))
    else:
        yield path, value


def _list_key(item: Any, index: int) -> str:
    # Conditions, containers and volumes are keyed by type/name in the API, not by position;
    # keying them so keeps a reordered list from reading as a rewrite of every entry.
    if isinstance(item, dict):
        for field in ("type", "name"):
            if isinstance(item.get(field), str):
                return f"{field}={item[field]}"
    return str(index)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path).replace(".[", "[")
