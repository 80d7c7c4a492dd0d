"""A recording on read-only media (mailed, a CD, a read-only volume) is read where it lies."""

import shutil
import sqlite3
from pathlib import Path

from stswatch.errors import ExitCode
from tests.fixtures.real import real_store
from tests.unit.cli.sandbox import read_only, run_in_mounts

SESSION = "lesson-parallel"


def _media(tmp_path: Path) -> tuple[Path, Path]:
    """A folder to mount read-only holding the lesson store (WAL mode, cleanly closed)."""
    media = tmp_path / "media"
    media.mkdir()
    db = real_store(media, "lesson")
    assert db.read_bytes()[18:20] == b"\x02\x02"  # the header's read/write versions: WAL
    assert sorted(p.name for p in media.iterdir()) == ["lesson.db"]
    return media, db


def _with_pending_log(tmp_path: Path, media: Path, *, index: bool) -> Path:
    """A copy of the store taken while a writer had changes only in its -wal (and -shm)."""
    source = real_store(tmp_path, "lesson")
    conn = sqlite3.connect(source, isolation_level=None)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE session SET name = 'renamed' WHERE name = ?", (SESSION,))
    for suffix in ("", "-wal", *(("-shm",) if index else ())):
        shutil.copy(f"{source}{suffix}", f"{media / 'copy.db'}{suffix}")
    conn.close()
    return media / "copy.db"


def test_read_only_commands_read_a_store_on_a_read_only_mount(tmp_path: Path) -> None:
    media, db = _media(tmp_path)
    for argv in (
        ["sessions", "--db", str(db)],
        ["verify", SESSION, "--db", str(db)],
        ["report", SESSION, "--text", "--db", str(db)],
        ["export", SESSION, "--db", str(db), "-o", str(tmp_path / "out.jsonl")],
    ):
        done = run_in_mounts(read_only(media), argv)
        assert done.returncode == ExitCode.OK, (argv, done.stderr)
    assert sorted(p.name for p in media.iterdir()) == ["lesson.db"]
    assert (tmp_path / "out.jsonl").stat().st_size > 0


def test_a_pending_log_with_its_index_is_read_not_ignored(tmp_path: Path) -> None:
    media, _ = _media(tmp_path)
    db = _with_pending_log(tmp_path, media, index=True)
    done = run_in_mounts(read_only(media), ["sessions", "--db", str(db)])
    assert done.returncode == ExitCode.OK, done.stderr
    assert "renamed" in done.stdout


def test_a_pending_log_that_cannot_be_read_there_is_said_so(tmp_path: Path) -> None:
    media, _ = _media(tmp_path)
    db = _with_pending_log(tmp_path, media, index=False)
    done = run_in_mounts(read_only(media), ["verify", SESSION, "--db", str(db)])
    assert done.returncode == ExitCode.STORE, done.stderr
    assert done.stderr.strip() == (
        f"stswatch: error: {db}: its write-ahead log copy.db-wal holds changes not yet in the "
        f"database, and SQLite cannot read it without creating copy.db-shm in {media}, which "
        "is read-only; copy the database with its -wal file to a writable folder"
    )
    assert "cannot write" not in done.stderr
