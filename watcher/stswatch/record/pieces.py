"""A continuous recording's pieces: one SQLite store per period (a UTC day by default) or size.

A continuous recorder (`stswatch.record.flight`) writes into DIR one ordinary store at a time,
`stswatch-<UTC start>.db`, each holding the same sessions (one per recorded scope); every piece
begins with a fresh list, so each is self-contained and read by `verify`, `report`, `export`
and `serve --db PIECE` as any store. This module is the pure part: naming, listing, when to
roll, and which whole pieces retention deletes (oldest first, never the one being written).
"""

import contextlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PREFIX = "stswatch-"
SUFFIX = ".db"
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^stswatch-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$")
# SQLite's companions of a WAL-mode database: deleted with it.
COMPANIONS = ("-wal", "-shm", "-journal")
DAY_S = 86_400.0

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib|k|m|g|t)?$", re.I)
_SIZE_UNITS = {
    None: 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "k": 2**10,
    "m": 2**20,
    "g": 2**30,
    "t": 2**40,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_AGE = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d|w)?$")
_AGE_UNITS = {None: 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": DAY_S, "w": 7 * DAY_S}


def parse_size(text: str) -> int:
    """`2GiB`, `500MiB`, `1.5G` (binary), `2GB` (decimal), `1048576`: bytes; ValueError else."""
    match = _SIZE.match(text.strip())
    if match is None or float(match[1]) <= 0:
        raise ValueError(f"{text!r} is not a size like 2GiB, 500MiB or 1048576")
    unit = match[2].lower() if match[2] else None
    return int(float(match[1]) * _SIZE_UNITS[unit])


def parse_age(text: str) -> float:
    """`7d`, `12h`, `90m`, `30s`, `2w`: seconds; ValueError else."""
    match = _AGE.match(text.strip())
    if match is None or float(match[1]) <= 0:
        raise ValueError(f"{text!r} is not an age like 7d, 12h or 90m")
    return float(match[1]) * _AGE_UNITS[match[2]]


@dataclass(frozen=True)
class Piece:
    """One store of a continuous recording: its file, when it began (UTC s), its size."""

    path: Path
    start_s: float
    serial: int  # 0, or n of `-n` when two pieces began in the same second

    @property
    def name(self) -> str:
        return self.path.name

    def size(self) -> int:
        """Bytes on disk: the database and its WAL companions."""
        return sum(_size(Path(f"{self.path}{c}")) for c in ("", *COMPANIONS))

    def last_written_s(self) -> float:
        """When it was last written (the newest mtime of its files)."""
        times = [
            p.stat().st_mtime
            for p in (Path(f"{self.path}{c}") for c in ("", *COMPANIONS))
            if p.exists()
        ]
        return max(times, default=self.start_s)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def piece_of(path: Path) -> Piece | None:
    """The piece `path` names, or None for any other file."""
    match = _NAME.match(path.name)
    if match is None:
        return None
    start = datetime.strptime(match[1], _STAMP).replace(tzinfo=UTC).timestamp()
    return Piece(path, start, int(match[2] or 0))


def list_pieces(directory: Path) -> list[Piece]:
    """The pieces in `directory`, oldest first (other files are ignored)."""
    if not directory.is_dir():
        return []
    found = [p for p in map(piece_of, directory.iterdir()) if p is not None]
    return sorted(found, key=lambda p: (p.start_s, p.serial))


def new_piece(directory: Path, now_s: float) -> Piece:
    """A piece beginning at `now_s`, named so that it sorts after every existing one."""
    stamp = datetime.fromtimestamp(math.floor(now_s), tz=UTC).strftime(_STAMP)
    taken = {p.name for p in list_pieces(directory)}
    serial = 0
    path = directory / f"{PREFIX}{stamp}{SUFFIX}"
    while path.name in taken:
        serial += 1
        path = directory / f"{PREFIX}{stamp}-{serial}{SUFFIX}"
    return Piece(path, float(math.floor(now_s)), serial)


def period_of(t_s: float, every_s: float) -> int:
    """The index of the period holding `t_s`; periods of a day begin at UTC midnight."""
    return math.floor(t_s / every_s)


def roll_reason(piece: Piece, *, now_s: float, every_s: float, max_bytes: int) -> str | None:
    """Why the piece being written must end now (`period`, `size`), or None."""
    if period_of(now_s, every_s) > period_of(piece.start_s, every_s):
        return "period"
    if piece.size() >= max_bytes:
        return "size"
    return None


def may_resume(piece: Piece, *, now_s: float, every_s: float, max_bytes: int) -> bool:
    """Whether a restarted recorder goes on writing `piece` (same period, room left)."""
    return roll_reason(piece, now_s=now_s, every_s=every_s, max_bytes=max_bytes) is None


def to_prune(
    pieces: list[Piece],
    *,
    current: Path | None,
    now_s: float,
    retain_s: float | None,
    max_bytes: int | None,
) -> list[Piece]:
    """Which whole pieces retention deletes, oldest first; never `current`.

    By age: a piece whose newest change is older than `retain_s` (its end is the next piece's
    start, or its last write). By size: then the oldest, until all pieces together fit in
    `max_bytes` (the piece being written counts, but is never deleted).
    """
    closed = [p for p in pieces if p.path != current]
    doomed: list[Piece] = []
    if retain_s is not None:
        for index, piece in enumerate(pieces):
            if piece.path == current:
                continue
            end = pieces[index + 1].start_s if index + 1 < len(pieces) else piece.last_written_s()
            if end < now_s - retain_s:
                doomed.append(piece)
    if max_bytes is not None:
        sizes = {p.path: p.size() for p in pieces}
        total = sum(sizes[p.path] for p in pieces if p not in doomed)
        for piece in closed:
            if total <= max_bytes:
                break
            if piece not in doomed:
                doomed.append(piece)
                total -= sizes[piece.path]
    return sorted(doomed, key=lambda p: (p.start_s, p.serial))


def delete_piece(piece: Piece) -> int:
    """Unlink a piece and its WAL companions; the bytes given back (once no reader holds them)."""
    freed = 0
    for companion in ("", *COMPANIONS):
        path = Path(f"{piece.path}{companion}")
        size = _size(path)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            freed += size
    return freed
