"""The store as `serve` reads it: every read in a thread, analyses one at a time and shared.

The reading side's calls block (SQLite, then seconds of analysis for a large session), so none
runs on the event loop: quick lookups go to a small pool, analyses to a pool of one worker, since
a 10,000-pod session's analysis takes about half a gigabyte and two at once would double it.
Requests asking for the same thing (same session, window and newest change) wait for one
analysis, and its rendered products are kept, so many browsers following one recording cost
one analysis per change seen, not one per browser. When too many different analyses wait, a
request is told to come back (503) rather than queued without bound.
"""

import asyncio
import gc
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from stswatch.errors import WaitTimeoutError
from stswatch.reports.analysis import Analysis, analyse
from stswatch.reports.recording import SessionOverview, list_sessions
from stswatch.reports.serve.live import LiveView, live_view, recording_now
from stswatch.reports.tail import Activity, ChangePage, activity, changes_after
from stswatch.reports.window import WindowRequest

T = TypeVar("T")

ANALYSES_WAITING = 4  # different analyses queued at once before a request is turned away
ANALYSES_KEPT = 1  # analysed sessions kept (each holds its recording: ~0.5 GB at 10,000 pods)
PRODUCTS_KEPT_BYTES = 256 * 2**20  # rendered pages and JSON kept for repeated requests


class BusyError(WaitTimeoutError):
    """Too many different analyses are waiting; the request may be repeated in a moment."""


@dataclass(frozen=True)
class _Key:
    session: str
    since: str | None
    until: str | None
    statefulset: str | None
    newest_change_id: int


@dataclass
class Served:
    """One analysis as served: the session's activity when it was read, and its live view."""

    analysis: Analysis
    activity: Activity
    view: LiveView
    key: _Key
    products: dict[tuple[str, ...], bytes] = field(default_factory=dict)

    def timeline_analysis(self) -> Analysis:
        """The analysis with its verdicts as shown (under-way episodes read live)."""
        return replace(self.analysis, result=self.view.result)


def _analyse(path: Path, session: str, window: WindowRequest | None) -> Analysis:
    """As `stswatch report` reads it: the window (and its StatefulSet's objects).

    Loading freezes what is alive (`gc.freeze`, right for a command that exits): in a server that
    would also freeze the requests and tasks alive then, whose cycles would never be collected,
    so what was frozen is handed back to the collector once the analysis is built.
    """
    try:
        return analyse(path, session, window=window)
    finally:
        gc.unfreeze()


class StoreReader:
    """Reads one store for many requests: lookups, analyses, rendered products, all off-loop."""

    def __init__(self, path: Path, *, lookups: int = 4) -> None:
        self.path = path
        self._lookups = ThreadPoolExecutor(lookups, thread_name_prefix="stswatch-serve-read")
        self._analyses = ThreadPoolExecutor(1, thread_name_prefix="stswatch-serve-analyse")
        self._kept: OrderedDict[_Key, Analysis] = OrderedDict()
        self._pending: dict[_Key, asyncio.Future[Analysis]] = {}
        self._products: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self._rendering: dict[tuple[object, ...], asyncio.Future[bytes]] = {}
        self._product_bytes = 0

    def close(self) -> None:
        """Stop the pools (an analysis under way finishes in its thread; nothing waits for it)."""
        self._lookups.shutdown(wait=False, cancel_futures=True)
        self._analyses.shutdown(wait=False, cancel_futures=True)

    async def _lookup(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._lookups, call)

    async def sessions(self) -> list[SessionOverview]:
        """Every session of the store, counted."""
        return await self._lookup(lambda: list_sessions(self.path))

    async def activity(self, session: str) -> Activity:
        """The session's newest change and when a recorder was last heard (NotFoundError: none)."""
        return await self._lookup(lambda: activity(self.path, session))

    async def changes(self, session: str, *, after: int, limit: int) -> ChangePage:
        """A page of the session's changes after an id, in `export`'s shape."""
        return await self._lookup(
            lambda: changes_after(self.path, session, after_id=after, limit=limit)
        )

    async def served(self, session: str, window: WindowRequest | None) -> Served:
        """The session (or its window) analysed as of its newest change, shared and kept."""
        seen = await self.activity(session)
        key = _Key(
            session,
            window.since.text if window and window.since else None,
            window.until.text if window and window.until else None,
            window.statefulset if window else None,
            seen.newest_change_id,
        )
        analysis = await self._analysis(key, window)
        now = time.time_ns()
        view = live_view(
            analysis.result,
            recording=recording_now(seen.heard_wall_ns, now_wall_ns=now),
            now_wall_ns=now,
        )
        return Served(analysis, seen, view, key)

    async def _analysis(self, key: _Key, window: WindowRequest | None) -> Analysis:
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= ANALYSES_WAITING:
                raise BusyError(
                    f"{len(self._pending)} analyses are already under way or waiting; "
                    "ask again in a few seconds"
                )
            loop = asyncio.get_running_loop()
            pending = asyncio.ensure_future(
                loop.run_in_executor(
                    self._analyses,
                    lambda: _analyse(self.path, key.session, window),
                )
            )
            self._pending[key] = pending
            pending.add_done_callback(lambda done: self._settle(key, done))
        # A request that goes away does not cancel the analysis others (or the next) will use.
        return await asyncio.shield(pending)

    def _settle(self, key: _Key, done: "asyncio.Future[Analysis]") -> None:
        self._pending.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        self._kept[key] = done.result()
        while len(self._kept) > ANALYSES_KEPT:
            self._kept.popitem(last=False)

    async def product(
        self, served: Served, name: tuple[str, ...], render: Callable[[], bytes]
    ) -> bytes:
        """`render()` run in the analysis thread, shared by the requests asking for it at once,
        and kept; keyed by the analysis, `name` and which episodes read live (so a verdict that
        has settled is drawn anew)."""
        key = (served.key, name, served.view.live_episodes)
        found = self._products.get(key)
        if found is not None:
            self._products.move_to_end(key)
            return found
        pending = self._rendering.get(key)
        if pending is None:
            loop = asyncio.get_running_loop()
            pending = asyncio.ensure_future(loop.run_in_executor(self._analyses, render))
            self._rendering[key] = pending
            pending.add_done_callback(lambda done: self._keep(key, done))
        return await asyncio.shield(pending)

    def _keep(self, key: tuple[object, ...], done: "asyncio.Future[bytes]") -> None:
        self._rendering.pop(key, None)
        if done.cancelled() or done.exception() is not None:
            return
        self._products[key] = data = done.result()
        self._product_bytes += len(data)
        while self._product_bytes > PRODUCTS_KEPT_BYTES and len(self._products) > 1:
            _, dropped = self._products.popitem(last=False)
            self._product_bytes -= len(dropped)
