"""A store row stswatch cannot have written is refused on load (issue 19, item 7): exit 6 naming
the row, never a traceback or a false verdict; `export` writes only valid, re-serialised lines."""

import sqlite3
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from tests.fixtures.real import real_store, rewrite

SESSION = "lesson-orderedready"
COMMANDS = (
    ("verify", SESSION),
    ("report", SESSION, "--text"),
    ("compare", SESSION, "lesson-parallel", "-o", "{out}"),
)


def _a_pod_change(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT c.id FROM change c JOIN session s ON s.id = c.session_id "
            "WHERE s.name = ? AND c.kind = 'Pod' ORDER BY c.id LIMIT 1 OFFSET 3",
            (SESSION,),
        ).fetchone()
    return int(row[0])


def _run(db: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    argv = [a.format(out=tmp_path / "out.html") for a in args]
    result = CliRunner().invoke(main, [*argv, "--db", str(db)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("object", "{not json", "its object is not JSON"),
        ("object", "null", "its object is null, not an object"),
        ("object", "[1, 2]", "its object is a list, not an object"),
        ("object", '{"kind": "Pod"}', "its object has no metadata object"),
        ("resource_version", "²", "its resourceVersion '²' is not one the API server gives"),
        ("resource_version", "9" * 5000, "its resourceVersion '9999"),
    ],
)
def test_a_bad_change_row_is_exit_6_naming_the_change(
    tmp_path: Path, column: str, value: str, why: str
) -> None:
    db = real_store(tmp_path, "lesson")
    change = _a_pod_change(db)
    rewrite(db, f"UPDATE change SET {column} = ? WHERE id = ?", value, change)
    for command in COMMANDS:
        code, out = _run(db, tmp_path, *command)
        assert code == ExitCode.STORE, (command, out)
        assert out.startswith(f"stswatch: error: the store's change {change} cannot be read: {why}")
        assert len(out.splitlines()) == 1, out


def test_a_scope_that_is_not_json_is_exit_6_naming_the_session(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    rewrite(db, "UPDATE session SET scope = '{oops' WHERE name = ?", SESSION)
    for command in (*COMMANDS, ("sessions",)):
        code, out = _run(db, tmp_path, *command)
        assert code == ExitCode.STORE, (command, out)
        assert f"the store's session '{SESSION}' scope cannot be read: it is not JSON" in out


def test_export_re_serialises_and_never_writes_an_injected_line(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    change = _a_pod_change(db)
    # A valid object followed by a key for the exported line: spliced, it became part of it.
    injected = '{"metadata": {"name": "x"}}, "session": "forged"'
    rewrite(db, "UPDATE change SET object = ? WHERE id = ?", injected, change)
    code, out = _run(db, tmp_path, "export", SESSION, "-o", str(tmp_path / "out.jsonl"))
    assert code == ExitCode.STORE, out
    assert f"change {change} cannot be read: its object is not JSON" in out
    assert not (tmp_path / "out.jsonl").exists()


def test_export_lines_are_json_objects_with_the_object_decoded(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    code, out = _run(db, tmp_path, "export", SESSION, "-o", str(tmp_path / "out.jsonl"))
    assert code == ExitCode.OK, out
    lines = (tmp_path / "out.jsonl").read_bytes().splitlines()
    assert lines
    for line in lines:
        row = orjson.loads(line)
        assert row["session"] == SESSION
        assert isinstance(row["object"]["metadata"], dict)
