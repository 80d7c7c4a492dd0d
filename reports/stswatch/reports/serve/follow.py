"""Following sessions as they are recorded: one poller per followed session, news to every page.

A recorder commits its changes in batches into a WAL store; a reader sees each commit at once.
So a follower asks the store for the session's newest change id every `POLL_S` (one indexed
lookup) and, when it moved, or when the session's last episode may have settled (the settle
window passed without a new change), or when the recorder stopped, tells every page following
that session. Each page holds only the latest news (a new one replaces an unread one): a slow or
vanished page costs one small object, never a queue, and never holds up the poller, the other
pages or the recorder. The poller runs while at least one page follows its session.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from stswatch.errors import StswatchError
from stswatch.reports.proofs.context import SETTLE_S
from stswatch.reports.serve.live import recording_now
from stswatch.reports.serve.reader import StoreReader

POLL_S = 0.5  # how often a followed session's newest change is looked up (news within 2 s)
MAX_FOLLOWERS = 256  # pages following at once, over all sessions; more are turned away (503)


@dataclass(frozen=True)
class News:
    """What a page is told: the session's newest change, whether it is recorded now, and why."""

    newest_change_id: int
    recording: bool
    why: str  # "change", "settled", "stopped", "error"
    error: str | None = None


@dataclass(eq=False)
class Inbox:
    """The latest news for one page; an unread one is replaced, never queued."""

    news: News | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def put(self, news: News) -> None:
        self.news = news
        self.arrived.set()

    async def next(self, *, wait_s: float) -> News | None:
        """The news that arrived since the last call, or None after `wait_s` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.arrived.wait(), wait_s)
        self.arrived.clear()
        news, self.news = self.news, None
        return news


class _Follower:
    """Polls one session and puts what changed in its pages' inboxes."""

    def __init__(self, reader: StoreReader, session: str) -> None:
        self.reader = reader
        self.session = session
        self.inboxes: set[Inbox] = set()
        self.task: asyncio.Task[None] | None = None
        self.last: News | None = None  # what a page that joins later is told first

    def tell(self, news: News) -> None:
        self.last = news
        for inbox in self.inboxes:
            inbox.put(news)

    async def run(self) -> None:
        """Poll until cancelled (when the last page stops following)."""
        newest, recording, settled = -1, False, True
        changed_at = time.monotonic()
        while True:
            try:
                seen = await self.reader.activity(self.session)
            except StswatchError as exc:  # the store went away or is being replaced
                self.tell(News(newest, False, "error", exc.message))
                await asyncio.sleep(POLL_S * 4)
                continue
            now_recording = recording_now(seen.heard_wall_ns, now_wall_ns=time.time_ns())
            if seen.newest_change_id != newest:
                newest, settled, changed_at = seen.newest_change_id, False, time.monotonic()
                self.tell(News(newest, now_recording, "change"))
            elif recording and not now_recording:
                self.tell(News(newest, False, "stopped"))
            elif (
                not settled and now_recording and time.monotonic() - changed_at > SETTLE_S + POLL_S
            ):
                settled = True  # the last episode's verdicts may be decided now
                self.tell(News(newest, now_recording, "settled"))
            recording = now_recording
            await asyncio.sleep(POLL_S)


class Hub:
    """The followers of one store: started with a session's first page, stopped with its last."""

    def __init__(self, reader: StoreReader, *, max_followers: int = MAX_FOLLOWERS) -> None:
        self.reader = reader
        self.max_followers = max_followers
        self._followers: dict[str, _Follower] = {}
        self.closed = False  # the server is shutting down: every stream ends

    @property
    def following(self) -> int:
        """Pages following now, over all sessions."""
        return sum(len(f.inboxes) for f in self._followers.values())

    @contextlib.asynccontextmanager
    async def follow(self, session: str) -> AsyncIterator[Inbox]:
        """An inbox for one page while it follows `session`."""
        follower = self._followers.get(session)
        if follower is None:
            follower = self._followers[session] = _Follower(self.reader, session)
            follower.task = asyncio.create_task(follower.run(), name=f"follow {session!r}")
        inbox = Inbox()
        if follower.last is not None:
            inbox.put(follower.last)
        follower.inboxes.add(inbox)
        try:
            yield inbox
        finally:
            follower.inboxes.discard(inbox)
            if not follower.inboxes:
                self._followers.pop(session, None)
                if follower.task is not None:
                    follower.task.cancel()

    async def close(self) -> None:
        """Stop every poller and wake every page's stream to end (the server is shutting down)."""
        self.closed = True
        tasks = [f.task for f in self._followers.values() if f.task is not None]
        for follower in self._followers.values():
            for inbox in follower.inboxes:
                inbox.arrived.set()
        self._followers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
