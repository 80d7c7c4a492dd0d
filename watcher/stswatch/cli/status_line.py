"""The live status line a terminal shows while recording: changes/s, pods by phase, gaps."""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TextIO

from stswatch.record.records import ChangeRecord


class LiveTally:
    """Counts what the reflectors see; an observer for `Reflector` (cheap: no decoding)."""

    def __init__(self) -> None:
        self.changes = 0
        self.gaps = 0
        self._phases: dict[str, str] = {}
        self._last_count = 0
        self._last_time = time.monotonic()

    def observe(self, change: ChangeRecord, obj: dict[str, Any]) -> None:
        """Count one change; follow each pod's phase."""
        self.changes += 1
        if change.kind != "Pod":
            return
        if change.event == "DELETED":
            self._phases.pop(change.uid, None)
        else:
            deleting = (obj.get("metadata") or {}).get("deletionTimestamp")
            phase = "Terminating" if deleting else (obj.get("status") or {}).get("phase")
            self._phases[change.uid] = str(phase or "Unknown")

    def line(self) -> str:
        """One status line; the rate is since the previous call."""
        now = time.monotonic()
        rate = (self.changes - self._last_count) / max(now - self._last_time, 1e-3)
        self._last_count, self._last_time = self.changes, now
        phases = Counter(self._phases.values())
        pods = " ".join(f"{phase} {n}" for phase, n in sorted(phases.items())) or "none"
        return f"{self.changes} changes ({rate:.0f}/s) | pods: {pods} | gaps: {self.gaps}"


async def show_status(
    tally: LiveTally, *, gaps: Callable[[], int], stream: TextIO, interval: float = 1.0
) -> None:
    """Redraw the status line every `interval` seconds until cancelled, then end the line."""
    try:
        while True:
            await asyncio.sleep(interval)
            tally.gaps = gaps()
            stream.write(f"\r\x1b[K{tally.line()}")
            stream.flush()
    finally:
        stream.write("\r\x1b[K")
        stream.flush()
