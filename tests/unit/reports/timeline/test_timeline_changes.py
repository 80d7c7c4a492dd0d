"""The inspector's diffs: leaf paths, keyed lists, managedFields left out."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch.reports.timeline.changes import diff_objects, without_noise


def test_leaf_changes_additions_and_removals() -> None:
    before = {"metadata": {"labels": {"a": "1", "b": "2"}}, "status": {"phase": "Pending"}}
    after = {"metadata": {"labels": {"a": "1", "c": "3"}}, "status": {"phase": "Running"}}
    assert diff_objects(before, after) == (
        ("-", "metadata.labels.b", "2", None),
        ("+", "metadata.labels.c", None, "3"),
        ("~", "status.phase", "Pending", "Running"),
    )


def test_conditions_are_keyed_by_type_not_position() -> None:
    ready = {"type": "Ready", "status": "False"}
    scheduled = {"type": "PodScheduled", "status": "True"}
    before = {"status": {"conditions": [ready, scheduled]}}
    after = {"status": {"conditions": [scheduled, {**ready, "status": "True"}]}}
    assert diff_objects(before, after) == (
        ("~", "status.conditions[type=Ready].status", "False", "True"),
    )


def test_managed_fields_are_noise() -> None:
    before = {"metadata": {"name": "p", "managedFields": [{"manager": "kubelet"}]}}
    after = {"metadata": {"name": "p", "managedFields": [{"manager": "kube-scheduler"}]}}
    assert diff_objects(before, after) == ()
    assert without_noise(after) == {"metadata": {"name": "p"}}
    assert without_noise({"spec": {}}) == {"spec": {}}


def test_empty_containers_are_leaves() -> None:
    assert diff_objects({"spec": {"volumes": []}}, {"spec": {"volumes": [{"name": "d"}]}}) == (
        ("-", "spec.volumes", [], None),
        ("+", "spec.volumes[name=d].name", None, "d"),
    )


def test_shape_changes_are_leaves_removed_and_added() -> None:
    before = {"a": "x", "b": {"c": 1}, "d": None, "e": "y", "f": [{"name": "n", "v": 1}]}
    after = {"a": {"k": "x"}, "b": 2, "d": 0, "e": {}, "f": [{"name": "m", "v": 1}]}
    assert diff_objects(before, after) == (
        ("-", "a", "x", None),
        ("+", "a.k", None, "x"),
        ("+", "b", None, 2),
        ("-", "b.c", 1, None),
        ("~", "d", None, 0),
        ("~", "e", "y", {}),
        ("+", "f[name=m].name", None, "m"),
        ("+", "f[name=m].v", None, 1),
        ("-", "f[name=n].name", "n", None),
        ("-", "f[name=n].v", 1, None),
    )


# JSON as the API writes it: plain keys, scalars, nested objects and lists (some keyed by name).
_KEYS = st.sampled_from(["a", "b", "name", "type", "x-y", "k.io/z"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["", "s", "t"]))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def _leaves(value: Any, path: str) -> dict[str, Any]:
    """Every leaf (a scalar, an empty object or list) by its dotted path; list items keyed by
    their type or name when they have one, as the API keys conditions and containers."""
    if isinstance(value, dict) and value:
        children = {f"{path}.{key}": item for key, item in value.items()}
    elif isinstance(value, list) and value:
        children = {f"{path}[{_item_key(item, i)}]": item for i, item in enumerate(value)}
    else:
        return {path: value}
    return {leaf: v for where, item in children.items() for leaf, v in _leaves(item, where).items()}


def _item_key(item: Any, index: int) -> str:
    for field in ("type", "name"):
        if isinstance(item, dict) and isinstance(item.get(field), str):
            return f"{field}={item[field]}"
    return str(index)


@settings(max_examples=300, deadline=None)
@given(_JSON, _JSON)
def test_a_diff_is_every_leaf_removed_added_or_changed(old: Any, new: Any) -> None:
    before, after = _leaves(old, "o"), _leaves(new, "o")
    want = sorted(
        [("-", p, before[p], None) for p in before.keys() - after.keys()]
        + [("+", p, None, after[p]) for p in after.keys() - before.keys()]
        + [("~", p, before[p], after[p]) for p in before.keys() & after.keys()
           if before[p] != after[p]],
        key=lambda line: line[1],
    )  # fmt: skip
    assert diff_objects({"o": old}, {"o": new}) == tuple(want)
