"""Writing the files a command produces: beside the target first, renamed over it only on success.

A report, an export or a comparison is written to a temporary file in the target's folder and
`os.replace`d onto the target once complete (atomic on POSIX), so a failure (a session that does
not exist, a full disk, an unwritable folder, Ctrl-C) leaves whatever was at the path unchanged,
and a reader never sees half a file. An SQLite database at the path is never replaced: it may be
the very store the command reads (`export S -o stswatch.db`).
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from stswatch.errors import OutputWriteError

# The first bytes of every SQLite database file (https://www.sqlite.org/fileformat.html).
_SQLITE_HEADER = b"SQLite format 3\x00"


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write `path`'s new content into; it replaces `path` only on success."""
    if path.exists() and not path.is_file():
        # Never rename over a directory, a device (/dev/full) or a pipe.
        raise OutputWriteError(f"cannot write {path}: it exists and is not a regular file")
    if _is_sqlite(path):
        # `export S -o stswatch.db` would replace the very store it reads with its export.
        raise OutputWriteError(
            f"cannot write {path}: it is an SQLite database (a store?), left as it was; "
            "give another path"
        )
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputWriteError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise OutputWriteError(
            f"cannot write {path}: {exc.strerror or exc}; nothing at that path was changed"
        ) from exc
    except BaseException:
        _remove(tmp)
        raise


def write_output(path: Path, data: bytes) -> None:
    """Write `data` to `path` through `replacing`."""
    with replacing(path) as out:
        out.write(data)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as existing:
            return existing.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    except OSError:
        return False


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _umask() -> int:
    """The process umask (read by setting it, then putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
