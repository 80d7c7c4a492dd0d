"""The pipeline called directly (as tests and future callers do, without click) refuses a
session the store already holds, before it resolves a target or touches a cluster."""

import sqlite3
from pathlib import Path

import pytest

from stswatch.errors import ExitCode, UsageError
from stswatch.pipeline import run_and_report
from stswatch.scenario import POLICIES, load_scenario
from stswatch.scenario.runner import ScenarioTarget
from stswatch.store_contract import SCHEMA_VERSION, list_migrations


def _store_holding(db: Path, session: str) -> None:
    with sqlite3.connect(db) as conn:
        for migration in list_migrations():
            conn.executescript(migration.sql)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute(
            "INSERT INTO session (name, created_wall_ns, scope) VALUES (?, 0, '{}')", (session,)
        )


def test_run_and_report_refuses_a_session_the_store_holds(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _store_holding(db, "x-parallel")
    before = db.read_bytes()
    reached: list[str] = []

    async def target() -> ScenarioTarget:
        reached.append("target")
        raise AssertionError("the target was resolved for a refused run")

    with pytest.raises(UsageError) as refused:
        run_and_report(
            load_scenario("lesson"),
            policies=POLICIES,
            prefix="x",
            db_path=db,
            target=target,
            out_dir=tmp_path / "out",
            keep_namespace=False,
            allow_exec=False,
            progress=reached.append,
        )
    assert refused.value.exit_code == ExitCode.USAGE
    assert refused.value.message == (
        f"{db} already holds session 'x-parallel'; pick another --session prefix"
    )
    assert reached == []
    assert db.read_bytes() == before
    assert not (tmp_path / "out").exists()
