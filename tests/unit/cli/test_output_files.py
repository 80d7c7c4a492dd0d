"""Commands that write a file never destroy what was at its path (issue: `export` truncated it)."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from tests.fixtures.real import real_store
from tests.unit.cli.sandbox import full_disk, run_in_mounts

SESSION = "lesson-orderedready"
PRECIOUS = b"a user's file\n" * 100


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_export_of_a_missing_session_leaves_the_output_file_alone(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    existing = tmp_path / "existing.jsonl"
    existing.write_bytes(PRECIOUS)
    code, out = invoke("export", "nosuch", "--db", str(db), "-o", str(existing))
    assert code == ExitCode.NOT_FOUND, out
    assert existing.read_bytes() == PRECIOUS
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_replaces_the_output_file_only_when_complete(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    existing = tmp_path / "existing.jsonl"
    existing.write_bytes(PRECIOUS)
    code, out = invoke("export", SESSION, "--db", str(db), "-o", str(existing))
    assert code == ExitCode.OK, out
    assert existing.read_bytes().startswith(b'{"session":"lesson-orderedready"')


def test_writing_into_a_missing_folder_is_one_line_and_exit_10(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    for command in (
        ["export", SESSION, "-o"],
        ["report", SESSION, "-o"],
        ["compare", SESSION, "lesson-parallel", "-o"],
    ):
        code, out = invoke(*command, str(tmp_path / "no" / "such" / "out"), "--db", str(db))
        assert code == ExitCode.OUTPUT, out
        assert out.startswith(f"stswatch: error: cannot write {tmp_path}/no/such/out: "), out
        assert len(out.strip().splitlines()) == 1, out


def test_a_device_is_never_replaced(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    code, out = invoke("export", SESSION, "--db", str(db), "-o", "/dev/null")
    assert code == ExitCode.OUTPUT, out
    assert "not a regular file" in out
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize(
    "command",
    [
        ("export", SESSION),
        ("report", SESSION),
        ("report", SESSION, "--format", "json"),
        ("compare", SESSION, "lesson-parallel"),
    ],
)
def test_the_store_read_is_never_replaced_by_the_output(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """`export S -o stswatch.db` replaced the store it read with its own export."""
    db = real_store(tmp_path, "lesson")
    before = db.read_bytes()
    code, out = invoke(*command, "--db", str(db), "-o", str(db))
    assert code == ExitCode.OUTPUT, out
    assert "it is an SQLite database" in out
    assert db.read_bytes() == before


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    disk = tmp_path / "disk"
    disk.mkdir()
    target = disk / "out.jsonl"
    listing = tmp_path / "listing"
    done = run_in_mounts(
        full_disk(disk, keep={"out.jsonl": "old"}),
        ["export", SESSION, "--db", str(db), "-o", str(target)],
        after=[f"cat {target} > {tmp_path}/kept", f"ls -A {disk} > {listing}"],
    )
    assert done.returncode == ExitCode.OUTPUT, done.stderr
    assert "Traceback" not in done.stderr
    assert f"cannot write {target}: No space left on device" in done.stderr
    assert "nothing at that path was changed" in done.stderr
    assert (tmp_path / "kept").read_text() == "old"
    assert listing.read_text().split() == ["filler", "out.jsonl"]


def test_a_full_stdout_is_one_line_and_exit_10(tmp_path: Path) -> None:
    # `> /dev/full` ended export, verify, report --text and sessions in a traceback.
    db = real_store(tmp_path, "lesson")
    for command in (
        ["export", SESSION],
        ["verify", SESSION],
        ["report", SESSION, "--text"],
        ["sessions"],
    ):
        with open("/dev/full", "w") as full:
            run = subprocess.run(
                [sys.executable, "-m", "stswatch", *command, "--db", str(db)],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
        assert run.returncode == ExitCode.OUTPUT, (command, run.stderr)
        errors = [line for line in run.stderr.splitlines() if not line.startswith("note: ")]
        assert errors == [
            "stswatch: error: cannot write to standard output: No space left on device"
        ], (command, run.stderr)
