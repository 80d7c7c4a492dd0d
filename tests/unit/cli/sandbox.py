"""Running `stswatch` in a private mount namespace: a full disk or a read-only mount, for real.

`unshare --map-root-user --mount` needs no privileges on a kernel that allows user namespaces
(Debian's default); the mounts vanish with the process.
"""

import shlex
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from stswatch.cli import main; main()"]


def run_in_mounts(
    setup: list[str], argv: list[str], *, after: list[str] = ()
) -> subprocess.CompletedProcess[str]:
    """In a new mount namespace: `setup` (mounts), `stswatch argv`, then `after` (to look).

    The return code is stswatch's.
    """
    command = shlex.join([*CLI, *argv])
    script = " && ".join([*setup, f"{{ {command}; code=$?; }}", *after, "exit $code"])
    return subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def full_disk(directory: Path, *, keep: dict[str, str]) -> list[str]:
    """Mount a 64 KiB tmpfs on `directory`, write the `keep` files into it, then fill it up."""
    files = [
        f"printf %s {shlex.quote(text)} > {shlex.quote(str(directory / name))}"
        for name, text in keep.items()
    ]
    filler = shlex.quote(str(directory / "filler"))
    return [
        f"mount -t tmpfs -o size=64k tmpfs {shlex.quote(str(directory))}",
        *files,
        f"{{ dd if=/dev/zero of={filler} bs=4k 2>/dev/null; true; }}",
    ]


def read_only(directory: Path) -> list[str]:
    """Bind `directory` onto itself read-only (EROFS for every write under it)."""
    quoted = shlex.quote(str(directory))
    return [f"mount --bind {quoted} {quoted}", f"mount -o remount,bind,ro {quoted}"]
