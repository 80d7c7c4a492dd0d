"""Arbitrary JSON values and strings, as a hostile API server or a hand-edited store holds them
(issue 19): the API answer checks, the live renderers and the store loader end in an exit code
from the table, never a traceback, and no control character reaches a text stream."""

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stswatch import safe_text
from stswatch.cli import main
from stswatch.errors import ClusterError, ExitCode
from stswatch.kube.api import Request, checked_shape, list_page
from stswatch.reports.live.doctor import diagnose, render_text
from stswatch.reports.live.status import set_status
from stswatch.reports.live.status_render import render_table
from stswatch.reports.live.world import World
from stswatch.set_reader import CLAIM_SHAPE, POD_SHAPE, SET_SHAPE
from tests.fixtures.live_objects import NOW, claim, pod, statefulset
from tests.fixtures.real import real_store

# Strings with what a terminal obeys: escapes, C1 controls, line breaks, bidi controls.
TEXT = st.text(
    alphabet=st.sampled_from(["a", "-", "0", " ", "\x1b", "[", "J", "\n", "\r", "\x9b", "\u202e"]),
    max_size=12,
) | st.text(max_size=8)
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
REQUEST = Request("/apis/apps/v1/namespaces/lab/statefulsets/redis", "get", "statefulsets/redis")
SERVER = "https://127.0.0.1:6443"
# Paths of a pod, a claim and the set where a hostile value goes.
POD_PATHS = (
    ("metadata",), ("metadata", "labels"), ("metadata", "ownerReferences"), ("spec",),
    ("spec", "volumes"), ("spec", "nodeName"), ("status",), ("status", "phase"),
    ("status", "conditions"), ("status", "containerStatuses"), ("status", "podIP"),
    ("metadata", "deletionTimestamp"), ("metadata", "creationTimestamp"),
)  # fmt: skip
SET_PATHS = (
    ("spec",), ("spec", "replicas"), ("spec", "selector"), ("spec", "serviceName"),
    ("spec", "volumeClaimTemplates"), ("spec", "updateStrategy"), ("spec", "ordinals"),
    ("spec", "minReadySeconds"), ("spec", "podManagementPolicy"), ("status",),
    ("status", "readyReplicas"), ("status", "updateRevision"), ("metadata", "generation"),
    ("spec", "persistentVolumeClaimRetentionPolicy"), ("spec", "template"),
)  # fmt: skip


def _put(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = obj
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return obj


def _no_controls(text: str) -> None:
    assert safe_text.plain(text) == text, repr(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    set_path=st.sampled_from(SET_PATHS),
    set_value=JSON,
    pod_path=st.sampled_from(POD_PATHS),
    pod_value=JSON,
    claim_value=JSON,
    name=TEXT,
)
# A status count that is not a number (doctor's refused-calls check once read it with int()).
@example(("status", "readyReplicas"), "J", ("metadata",), None, None, "")
def test_live_answers_are_checked_and_rendered_without_a_traceback(
    set_path: tuple[str, ...],
    set_value: Any,
    pod_path: tuple[str, ...],
    pod_value: Any,
    claim_value: Any,
    name: str,
) -> None:
    the_set = _put(statefulset(), set_path, set_value)
    hostile_pod = _put(pod(1), pod_path, pod_value)
    hostile_pod["metadata"] = hostile_pod.get("metadata") or {}
    hostile_claim = _put(claim(1), ("status",), claim_value)
    try:
        checked_shape(the_set, SET_SHAPE, request=REQUEST, server=SERVER)
        pods, _ = list_page(
            {"items": [pod(0), hostile_pod, pod(2)]}, request=REQUEST, server=SERVER
        )
        claims, _ = list_page({"items": [claim(0), hostile_claim]}, request=REQUEST, server=SERVER)
        for item in pods:
            checked_shape(item, POD_SHAPE, request=REQUEST, server=SERVER)
        for item in claims:
            checked_shape(item, CLAIM_SHAPE, request=REQUEST, server=SERVER)
    except ClusterError:
        return  # exit 3 naming the field: the reader stops here
    world = World(
        namespace=name or "lab", statefulset=the_set, now=NOW, pods=tuple(pods),
        claims=tuple(claims),
    )  # fmt: skip
    _no_controls(render_table(set_status(world)))
    _no_controls(render_text(world, diagnose(world)))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_store(tmp_path_factory.mktemp("hostile"), "lesson")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    column=st.sampled_from(["object", "resource_version", "name", "kind"]),
    value=JSON.map(lambda v: orjson.dumps(v).decode()) | TEXT,
    command=st.sampled_from([("verify",), ("report", "--text"), ("sessions",), ("export",)]),
)
def test_a_store_row_of_any_value_is_an_exit_code_never_a_traceback(
    store: Path, column: str, value: str, command: tuple[str, ...]
) -> None:
    with sqlite3.connect(store) as conn:
        change, was = conn.execute(
            f"SELECT id, {column} FROM change WHERE kind = 'Pod' LIMIT 1 OFFSET 7"
        ).fetchone()
        conn.execute(f"UPDATE change SET {column} = ? WHERE id = ?", (value, change))
    session = () if command == ("sessions",) else ("lesson-orderedready",)
    argv = [command[0], *session, *command[1:], "--db", str(store)]
    try:
        result = CliRunner().invoke(main, argv)
    finally:
        with sqlite3.connect(store) as conn:
            conn.execute(f"UPDATE change SET {column} = ? WHERE id = ?", (was, change))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        argv, value, result.exception,
    )  # fmt: skip
    assert result.exit_code in {int(code) for code in ExitCode}
    _no_controls(result.output)  # JSON Lines too: exact, with the controls as \u escapes


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(POD_PATHS),
    value=JSON,
    command=st.sampled_from([("verify",), ("report", "--text"), ("verify", "-o", "json")]),
)
def test_a_recorded_object_with_any_field_value_is_read_without_a_traceback(
    store: Path, path: tuple[str, ...], value: Any, command: tuple[str, ...]
) -> None:
    with sqlite3.connect(store) as conn:
        change, was = conn.execute(
            "SELECT id, object FROM change WHERE kind = 'Pod' LIMIT 1 OFFSET 40"
        ).fetchone()
        hostile = orjson.dumps(_put(orjson.loads(was), path, value)).decode()
        conn.execute("UPDATE change SET object = ? WHERE id = ?", (hostile, change))
    argv = [command[0], "lesson-orderedready", *command[1:], "--db", str(store)]
    try:
        result = CliRunner().invoke(main, argv)
    finally:
        with sqlite3.connect(store) as conn:
            conn.execute("UPDATE change SET object = ? WHERE id = ?", (was, change))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        argv, value, result.exception,
    )  # fmt: skip
    assert result.exit_code in {int(code) for code in ExitCode}
    _no_controls(result.output)  # JSON too: exact, with the controls as \u escapes


def test_a_session_name_with_controls_is_escaped_in_exports_count_line(tmp_path: Path) -> None:
    """`export -o` names the session on stderr: a name from a store cannot drive the terminal."""
    db = real_store(tmp_path, "lesson")
    hostile = "lesson\x1b]0;owned\x07\u202e\r\nexported 0 changes"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE session SET name = ? WHERE name = 'lesson-orderedready'", (hostile,))
    argv = ["export", hostile, "-o", str(tmp_path / "out.jsonl"), "--db", str(db)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    _no_controls(result.stderr)
    assert safe_text.field(hostile) in result.stderr
