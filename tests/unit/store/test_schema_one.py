"""A recording made by the stswatch of schema 1 (`recordings/lesson.db.gz`) after schema changes.

Read-only commands read it in place, unchanged, and say so; a recorder writing into it upgrades
it first. The fixture stays at schema 1 for this test: never re-record it with a newer stswatch.
"""

import hashlib
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from stswatch.cli import main
from stswatch.record.writable_store import open_store
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from stswatch.store_contract import SCHEMA_VERSION
from tests.fixtures.real import real_store

SESSION = "lesson-orderedready"


def _version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_fixture_is_schema_one_and_this_stswatch_is_newer(tmp_path: Path) -> None:
    assert _version(real_store(tmp_path, "lesson")) == 1
    assert SCHEMA_VERSION > 1


def test_read_only_commands_read_it_unchanged_and_say_so(tmp_path: Path) -> None:
    path = real_store(tmp_path, "lesson")
    before = _digest(path)
    runner = CliRunner()
    verified = runner.invoke(main, ["verify", SESSION, "--db", str(path)])
    assert verified.exit_code == 0, verified.output
    assert f"note: {path} has schema 1 (this stswatch writes {SCHEMA_VERSION})" in verified.stderr
    out = tmp_path / "lesson.html"
    drawn = runner.invoke(main, ["report", SESSION, "--db", str(path), "-o", str(out)])
    assert drawn.exit_code == 0, drawn.output
    assert out.stat().st_size > 10_000
    assert "has schema 1" in drawn.stderr
    assert _digest(path) == before
    assert _version(path) == 1


async def test_a_recorder_writing_into_it_upgrades_it_and_it_still_verifies(
    tmp_path: Path,
) -> None:
    path = real_store(tmp_path, "lesson")
    store = await open_store(path)
    await store.close()
    assert _version(path) == SCHEMA_VERSION
    result = verify(load_recording(path, SESSION))
    assert not result.failed
    assert len(result.episodes) == 7
