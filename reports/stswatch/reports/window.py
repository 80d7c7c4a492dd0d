"""A window of a session asked for on the command line: `--since`, `--until`, `--statefulset`.

A moment is either absolute, an RFC 3339 / ISO 8601 time (`2026-12-06T10:00:00Z`,
`2026-12-06 10:00+01:00`; without an offset it is UTC), or a duration (`90s`, `30m`, `1h`,
`1.5h`, `2d`). A duration in `--since` counts back from the session's end (`--since 1h`: its
last hour); in `--until` it counts forward from the window's start (`--since T --until 30m`:
thirty minutes from T; without `--since`, from the session's start).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from stswatch.errors import UsageError

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNIT_NS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86400 * 10**9}
# Wall times SQLite can hold (ns below 2**63, the year 2262); a moment beyond these is refused
# rather than overflowing a query parameter, and a window end (a time plus or minus a duration)
# stays inside 64 bits. The window read is always cut to the session, so a ten-year window is
# the whole session, read once.
_LAST_WALL_NS = 2**62
_LONGEST_NS = 100 * 366 * 86_400 * 10**9


@dataclass(frozen=True)
class Moment:
    """One end of a window as given: an absolute time (wall ns) or a duration (ns)."""

    text: str
    wall_ns: int | None = None
    duration_ns: int | None = None


def parse_moment(text: str) -> Moment:
    """`text` as a Moment; UsageError (exit 2) naming the forms accepted when it is neither, or
    when it lies beyond the times a recording can hold."""
    value = text.strip()
    match = _DURATION.match(value)
    if match is not None:
        duration_ns = int(Decimal(match[1]) * _UNIT_NS[match[2]])
        if duration_ns > _LONGEST_NS:
            raise UsageError(f"{text!r} is longer than a hundred years")
        return Moment(text, duration_ns=duration_ns)
    try:
        when = datetime.fromisoformat(value.upper())  # RFC 3339 5.6: "t" and "z" may be lower case
    except ValueError:
        raise UsageError(
            f"{text!r} is neither a time (RFC 3339, e.g. 2026-12-06T10:00:00Z) nor a duration "
            "(e.g. 90s, 30m, 1h, 2d)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = int(when.timestamp())
    wall_ns = seconds * 10**9 + when.microsecond * 1000
    if not 0 <= wall_ns < _LAST_WALL_NS:
        raise UsageError(f"{text!r} lies outside the times a recording can hold")
    return Moment(text, wall_ns=wall_ns)


@dataclass(frozen=True)
class WindowRequest:
    """What the command line asked for: a stretch of time, one StatefulSet, or both."""

    since: Moment | None = None
    until: Moment | None = None
    statefulset: str | None = None

    @property
    def empty(self) -> bool:
        """True when nothing narrows the session (read it whole)."""
        return self.since is None and self.until is None and self.statefulset is None

    def bounds(self, *, start_ns: int, end_ns: int) -> tuple[int, int]:
        """(since, until) in wall ns for a session recorded from `start_ns` to `end_ns`.

        UsageError when the window ends before it starts, or lies wholly before the session
        began or after it ended (it would read nothing, and say nothing about it).
        """
        since = start_ns
        if self.since is not None:
            since = _absolute(self.since, base=end_ns, sign=-1)
        until = end_ns
        if self.until is not None:
            until = _absolute(self.until, base=since, sign=1)
        if until < since:
            raise UsageError(
                f"the window ends before it starts: --until {self.until_text} is "
                f"{stamp(until)}, before --since {self.since_text} ({stamp(since)})"
            )
        if until < start_ns:
            raise UsageError(
                f"the window ends before the session began: --until {self.until_text} is "
                f"{stamp(until)}, the session's first change {stamp(start_ns)}"
            )
        if since > end_ns:
            raise UsageError(
                f"the window begins after the session ended: --since {self.since_text} is "
                f"{stamp(since)}, the session's last change {stamp(end_ns)}"
            )
        return since, until

    @property
    def since_text(self) -> str:
        """`--since` as given, or '(the session's start)'."""
        return self.since.text if self.since is not None else "(the session's start)"

    @property
    def until_text(self) -> str:
        """`--until` as given, or '(the session's end)'."""
        return self.until.text if self.until is not None else "(the session's end)"


def _absolute(moment: Moment, *, base: int, sign: int) -> int:
    if moment.wall_ns is not None:
        return moment.wall_ns
    return base + sign * (moment.duration_ns or 0)


def stamp(wall_ns: int) -> str:
    """A wall time (ns) as RFC 3339 UTC, to the millisecond, as verdicts name window edges."""
    when = datetime.fromtimestamp(wall_ns / 1e9, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
