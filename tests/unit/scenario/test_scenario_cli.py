"""`stswatch scenario list|check|run` before any cluster is touched."""

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.store_contract import SCHEMA_VERSION, list_migrations


def test_list_shows_builtins_one_line_each() -> None:
    result = CliRunner().invoke(main, ["scenario", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [
        "etcd",
        "etcd-halt",
        "halt",
        "lesson",
        "zookeeper",
    ]
    assert all(len(line) <= 110 for line in lines)


def test_check_accepts_a_builtin() -> None:
    result = CliRunner().invoke(main, ["scenario", "check", "lesson"])
    assert result.exit_code == 0, result.output
    assert "builtin:lesson: valid, 24 steps" in result.output


def test_run_refuses_a_malformed_file_before_the_cluster(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ndescription: d\nstatefulset: web\nsteps:\n  - scael: {replicas: 2}\n"
    )
    # The kubeconfig does not exist: reaching the cluster would be exit 3, not 7.
    argv = ["scenario", "run", str(bad), "--kubeconfig", str(tmp_path / "none"), "--db",
            str(tmp_path / "s.db")]  # fmt: skip
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert f"{bad}: step 1: unknown step 'scael'" in result.output
    assert not (tmp_path / "s.db").exists()


def test_run_refuses_bad_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    result = CliRunner().invoke(main, ["scenario", "run", str(bad)])
    assert result.exit_code == ExitCode.BAD_INPUT
    assert "not valid YAML at line" in result.output


def test_run_unknown_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scenario", "run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "not a built-in (etcd, etcd-halt, halt, lesson, zookeeper)" in result.output


def test_run_refuses_a_session_that_exists(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with sqlite3.connect(db) as conn:
        for migration in list_migrations():
            conn.executescript(migration.sql)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute(
            "INSERT INTO session (name, created_wall_ns, scope) VALUES ('x-orderedready', 0, '{}')"
        )
    argv = ["scenario", "run", "lesson", "--session", "x", "--db", str(db),
            "--kubeconfig", str(tmp_path / "none")]  # fmt: skip
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "already holds session 'x-orderedready'" in result.output


def test_demo_practice_needs_real_nodes(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--practice", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "--practice needs --real-nodes" in result.output
    assert not (tmp_path / "s.db").exists()
