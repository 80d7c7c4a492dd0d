"""One kind's reflector: list, then watch from the list's version, and never lose a change silently.

Layered like kopf's watching: `run` (forever: list, watch, relist on 410) → `_watch_until_gone`
(re-watch through disconnects, with jittered backoff) → `_watch_once` (one watch request) →
`api.iter_lines` (JSON lines of any length). A disconnect costs nothing: the server replays from
the last resourceVersion seen. Only a 410 Gone (the version was compacted away, or the server
restarted with a newer watch cache) can hide changes; then a relist is compared with the last
known state, the differences are recorded as `observed='relist'`, and the window is a gap.

The last known state is small (uid, name, resourceVersion, a digest: `KnownObject`); the last
object JSON of an object deleted unseen is read back from the recording (`recall`), so memory
does not grow with the number of live objects.
"""

import asyncio
import contextlib
import random
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import aiohttp
import orjson
import structlog
from kubernetes_asyncio.client import ApiClient
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from stswatch.kube.api import (
    TRANSIENT_ERRORS,
    GoneError,
    Request,
    TransientApiError,
    continue_token,
    failure_for,
    get_json,
    iter_lines,
    list_page,
    open_response,
    server_of,
    watch_event,
)
from stswatch.kube.kinds import Kind
from stswatch.record.records import (
    ChangeRecord,
    Event,
    GapRecord,
    Observed,
    Record,
    object_digest,
)
from stswatch.record.redact import redact
from stswatch.record.scope import Membership
from stswatch.record.writable_store import KnownObject

log = structlog.get_logger(__name__)

Sink = Callable[[Record], Awaitable[None]]
# The newest recorded object JSON of each uid, by uid, counting every record already given to
# the sink (`Writer.last_objects`).
Recall = Callable[[Sequence[str]], Awaitable[dict[str, str]]]
Observer = Callable[[ChangeRecord, dict[str, Any]], None]
# Told of each watch restart ("restart") and each 410 Gone ("gone"), with the kind's name.
WatchEvents = Callable[[str, str], None]
_Identity = tuple[str | None, str, str, str]  # a change's namespace, name, uid, resourceVersion
# The last known state of one object: KnownObject's fields, as a plain tuple. The cyclic GC stops
# tracking a tuple of strings and ints at the first collection it survives, never a NamedTuple:
# as KnownObjects, every live object's state was walked by collections and promoted until a full
# collection walked the whole heap (60 ms of CPU per 50,000 changes in bench.ingest, with the
# event loop and the writer's next GIL hop held up).
_KnownState = tuple[str, str | None, str, str, str, int]

_EVENTS: frozenset[str] = frozenset(("ADDED", "MODIFIED", "DELETED"))
_RECALL_CHUNK = 256  # objects read back at once: a relist after many deletions stays bounded
# A 410 while listing means a continue token expired mid-list: the list starts over.
_LIST_FAILURES: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, GoneError)


@dataclass(frozen=True)
class WatchTimeouts:
    """How long each request may take; the watch's server-side timeout is jittered upwards."""

    server_seconds: int = 300  # timeoutSeconds: the server ends the watch cleanly
    read_seconds: float = 90.0  # silence longer than this is a dead connection (bookmarks ~1/min)
    connect_seconds: float = 10.0
    list_seconds: float = 120.0
    page_size: int = 500
    max_backoff_seconds: float = 5.0


DEFAULT_TIMEOUTS = WatchTimeouts()


@dataclass(frozen=True)
class _Page:
    """One page of a LIST: its items, the list's resourceVersion, when the page arrived."""

    items: list[dict[str, Any]]
    version: str
    wall_ns: int


@dataclass(frozen=True)
class PendingGap:
    """A gap opened before the reflector started (recorder down); its first list closes it."""

    reason: str
    from_resource_version: str | None
    from_wall_ns: int


class Reflector:
    """Streams every change of one kind into `sink`; run `run()` as one task."""

    def __init__(
        self,
        *,
        api: ApiClient,
        kind: Kind,
        namespace: str | None,
        sink: Sink,
        recall: Recall,
        membership: Membership,
        keep_env: bool,
        timeouts: WatchTimeouts = DEFAULT_TIMEOUTS,
        known: list[KnownObject] | None = None,
        pending_gap: PendingGap | None = None,
        observer: Observer | None = None,
        watch_events: WatchEvents | None = None,
    ) -> None:
        self.kind = kind
        self._watch_events = watch_events
        self._watches = 0
        self._api = api
        self._namespace = namespace
        self._sink = sink
        self._recall = recall
        self._membership = membership
        self._keep_env = keep_env
        self._timeouts = timeouts
        # Last known state of each object in scope, by uid: from the store on resume, then the
        # newest change seen. A relist after a gap is compared against it.
        self._known: dict[str, _KnownState] = {k.uid: _state_of(k) for k in known or ()}
        self._pending_gap = pending_gap
        self._observer = observer
        self._where = f"in namespace {namespace!r}" if namespace else "in all namespaces"
        self._plural = kind.plural if kind.namespaced else f"{kind.plural} (cluster-wide)"
        self.resource_version: str | None = None
        self._watch_request = Request(
            path=kind.list_path(namespace=namespace),
            verb="watch",
            what=f"{self._plural} {self._where}",
        )
        self._server = server_of(api)
        self.last_good_wall_ns = time.time_ns()
        self.synced = asyncio.Event()
        self.gaps = 0

    @property
    def open_gap(self) -> PendingGap | None:
        """The gap its next list is to close, if one is open (None once it is recorded)."""
        return self._pending_gap

    async def run(self) -> None:
        """List, then watch forever; relist (recording a gap) whenever the server says 410."""
        await self._relist()
        self.synced.set()
        while True:
            try:
                await self._watch_until_gone()
            except GoneError as exc:
                log.info("watch expired, relisting", kind=self.kind.name, reason=str(exc))
                self._tell("gone")
                self._pending_gap = PendingGap(
                    "410 Gone", self.resource_version, self.last_good_wall_ns
                )
                await self._relist()

    async def _watch_until_gone(self) -> None:
        """Re-watch from the last version through clean ends and transient failures."""
        while True:
            async for attempt in self._retrying(TRANSIENT_ERRORS):
                with attempt:
                    await self._watch_once()

    async def _watch_once(self) -> None:
        """One watch request from `resource_version`, until the server or the network ends it."""
        server_timeout = self._timeouts.server_seconds + random.randint(0, 60)
        request = Request(
            path=self.kind.list_path(namespace=self._namespace),
            verb="watch",
            what=f"{self._plural} {self._where}",
            params=(
                ("watch", "true"),
                ("resourceVersion", self.resource_version or "0"),
                ("allowWatchBookmarks", "true"),
                ("timeoutSeconds", str(server_timeout)),
            ),
        )
        timeout = aiohttp.ClientTimeout(
            total=server_timeout + 30,
            sock_connect=self._timeouts.connect_seconds,
            sock_read=self._timeouts.read_seconds,
        )
        log.debug(
            "watching", kind=self.kind.name, since=self.resource_version, timeout=server_timeout
        )
        self._watches += 1
        if self._watches > 1:
            self._tell("restart")
        response = await open_response(self._api, request, limits=timeout)
        self._watch_request = request
        async with response:
            async for line in iter_lines(response.content):
                await self.handle_line(line)

    def _tell(self, what: str) -> None:
        if self._watch_events is not None:
            self._watch_events(self.kind.name, what)

    async def handle_line(self, line: bytes) -> None:
        """Decode, check, redact and hand on one watch-event line, as the stream delivers it.

        The hot path of a busy cluster: one decode, the redaction in place, one encode, and one
        await (the sink's), with no coroutine in between.
        """
        wall_ns, mono_ns = time.time_ns(), time.monotonic_ns()
        try:
            decoded = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise TransientApiError(f"undecodable watch line ({exc})") from exc
        kind_of_event, obj = watch_event(decoded, request=self._watch_request, server=self._server)
        if kind_of_event == "ERROR":
            # The server reports a compacted version as an ERROR event holding a 410 Status.
            status = obj.get("code", 500)
            raise failure_for(status=status, body=orjson.dumps(obj), request=self._watch_request)
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind_of_event in _EVENTS:
            event = cast(Event, kind_of_event)
            change = self._change_of(obj, event=event, observed="watch", at=(wall_ns, mono_ns))
            if change is not None:
                await self._sink(change)
        elif kind_of_event != "BOOKMARK":
            raise TransientApiError(f"unexpected watch event type {kind_of_event!r}")
        if version:
            self.resource_version = version
        self.last_good_wall_ns = wall_ns

    def _change_of(
        self, obj: dict[str, Any], *, event: Event, observed: Observed, at: tuple[int, int]
    ) -> ChangeRecord | None:
        """The change to record for `obj` (redacted in place), or None when out of scope."""
        if not self._membership.accepts(self.kind.name, obj):
            return None
        encoded = orjson.dumps(redact(obj, kind=self.kind.name, keep_env=self._keep_env))
        return self._known_change(
            _identity(obj), encoded, event=event, observed=observed, at=at, obj=obj
        )

    def _known_change(
        self,
        identity: _Identity,
        encoded: bytes,
        *,
        event: Event,
        observed: Observed,
        at: tuple[int, int],
        obj: dict[str, Any] | None,
    ) -> ChangeRecord:
        """The change of one redacted, encoded object (`obj`, its decoded form, when still at
        hand), now the last known state of the object, and told to the observer."""
        namespace, name, uid, resource_version = identity
        kind = self.kind.name
        change = ChangeRecord(
            kind,
            namespace,
            name,
            uid,
            event,
            resource_version,
            observed,
            at[0],
            at[1],
            encoded.decode(),
        )
        if event == "DELETED":
            self._known.pop(uid, None)
        else:
            where = sys.intern(namespace) if namespace is not None else None
            digest = object_digest(encoded)
            self._known[uid] = (kind, where, name, uid, resource_version, digest)
        if self._observer is not None:
            self._observer(change, obj if obj is not None else orjson.loads(encoded))
        return change

    async def _relist(self) -> None:
        """List everything, again until one list succeeds: as new, or as the difference."""
        async for attempt in self._retrying(_LIST_FAILURES):
            with attempt:
                if self._pending_gap is None:
                    await self._list_as_new()
                else:
                    await self._list_difference(self._pending_gap)

    async def _list_as_new(self) -> None:
        """The first list, each page recorded as it arrives: memory holds one page, not the list.

        Its items are received when their page arrived. A list that fails after a page was
        recorded is retried as a relist against what was recorded, the window between them a gap.
        """
        recorded = False
        try:
            async with contextlib.aclosing(self._pages()) as pages:
                async for page in pages:
                    at = (page.wall_ns, time.monotonic_ns())
                    for obj in page.items:
                        change = self._change_of(obj, event="ADDED", observed="list", at=at)
                        if change is not None:
                            await self._sink(change)
                    recorded = True
                    self.resource_version = page.version
                    self.last_good_wall_ns = page.wall_ns
        except _LIST_FAILURES:
            if recorded:
                self._pending_gap = PendingGap(
                    "list interrupted", self.resource_version, self.last_good_wall_ns
                )
            raise
        log.debug("listed", kind=self.kind.name, version=self.resource_version)

    async def _list_difference(self, gap: PendingGap) -> None:
        """A relist after `gap`: record what changed unseen, then the gap.

        Deletions first (an old incarnation goes before its successor), then what changed, in
        list order. Until the list ends, only what changed is held, redacted and encoded.
        """
        listed: set[str] = set()
        changed: list[tuple[Event, _Identity, bytes]] = []
        page = _Page([], "", time.time_ns())
        async with contextlib.aclosing(self._pages()) as pages:
            async for page in pages:
                for obj in page.items:
                    metadata = obj.get("metadata") or {}
                    uid = str(metadata.get("uid"))
                    listed.add(uid)
                    before = self._known.get(uid)
                    version = metadata.get("resourceVersion")
                    if before is not None and KnownObject._make(before).resource_version == version:
                        continue
                    if self._membership.accepts(self.kind.name, obj):
                        encoded = orjson.dumps(
                            redact(obj, kind=self.kind.name, keep_env=self._keep_env)
                        )
                        event: Event = "ADDED" if before is None else "MODIFIED"
                        changed.append((event, _identity(obj), encoded))
        version, wall_ns = page.version, page.wall_ns
        log.debug("relisted", kind=self.kind.name, changed=len(changed), version=version)
        at = (wall_ns, time.monotonic_ns())
        vanished = [
            KnownObject._make(known) for uid, known in self._known.items() if uid not in listed
        ]
        for start in range(0, len(vanished), _RECALL_CHUNK):
            chunk = vanished[start : start + _RECALL_CHUNK]
            recorded = await self._recall([gone.uid for gone in chunk])
            for gone in chunk:
                await self._record_unseen_deletion(
                    gone, recorded.get(gone.uid), list_version=version, at=at
                )
        for event, identity, encoded in changed:  # redacted and encoded once, when listed
            await self._sink(
                self._known_change(
                    identity, encoded, event=event, observed="relist", at=at, obj=None
                )
            )
        await self._sink(
            GapRecord(
                kind=self.kind.name,
                reason=gap.reason,
                from_resource_version=gap.from_resource_version,
                to_resource_version=version,
                from_wall_ns=gap.from_wall_ns,
                to_wall_ns=wall_ns,
            )
        )
        self.gaps += 1
        self._pending_gap = None
        self.resource_version = version
        self.last_good_wall_ns = wall_ns

    async def _record_unseen_deletion(
        self,
        gone: KnownObject,
        object_json: str | None,
        *,
        list_version: str,
        at: tuple[int, int],
    ) -> None:
        """An object missing from the relist was deleted unseen: keep its last recorded state."""
        del self._known[gone.uid]
        if object_json is None or object_digest(object_json.encode()) != gone.digest:
            # Cannot happen while this recorder is the session's only writer; said, not hidden.
            log.error(
                "the recording's last state of an object is not the one known",
                kind=gone.kind,
                name=gone.name,
                uid=gone.uid,
                recorded=object_json is not None,
            )
        if object_json is None:
            object_json = orjson.dumps({"kind": gone.kind, "metadata": _metadata_of(gone)}).decode()
        change = ChangeRecord(
            kind=gone.kind,
            namespace=gone.namespace,
            name=gone.name,
            uid=gone.uid,
            event="DELETED",
            resource_version=list_version,  # deleted at some version up to this list's
            observed="relist",
            received_wall_ns=at[0],
            received_mono_ns=at[1],
            object_json=object_json,
        )
        if self._observer is not None:
            self._observer(change, orjson.loads(object_json))
        await self._sink(change)

    async def _pages(self) -> AsyncGenerator[_Page, None]:
        """A paginated LIST, page by page.

        Always at least one page; each page is asked only once the one before was handled.
        """
        token = ""
        seen: set[str] = set()
        timeout = aiohttp.ClientTimeout(
            total=self._timeouts.list_seconds, sock_connect=self._timeouts.connect_seconds
        )
        while True:
            params = [("limit", str(self._timeouts.page_size))]
            if token:
                params.append(("continue", token))
            request = Request(
                path=self.kind.list_path(namespace=self._namespace),
                verb="list",
                what=f"{self._plural} {self._where}",
                params=tuple(params),
            )
            page = await get_json(self._api, request, limits=timeout)
            api_version = str(page.get("apiVersion", ""))
            items, metadata = list_page(page, request=request, server=self._server)
            for obj in items:
                # List items carry no kind/apiVersion; watch events do. Store them alike.
                obj.setdefault("kind", self.kind.name)
                obj.setdefault("apiVersion", api_version)
            token = continue_token(metadata, seen=seen, request=request, server=self._server)
            yield _Page(items, str(metadata.get("resourceVersion", "")), time.time_ns())
            if not token:
                return

    def _retrying(self, errors: tuple[type[BaseException], ...]) -> AsyncRetrying:
        """Retry on `errors` forever, backing off exponentially with jitter up to a ceiling."""
        return AsyncRetrying(
            retry=retry_if_exception_type(errors),
            wait=wait_exponential_jitter(
                multiplier=0.1, max=self._timeouts.max_backoff_seconds, jitter=0.25
            ),
            before_sleep=self._log_retry,
            reraise=True,
        )

    def _log_retry(self, state: Any) -> None:
        outcome = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "watch interrupted, retrying",
            kind=self.kind.name,
            attempt=state.attempt_number,
            error=f"{type(outcome).__name__}: {outcome}",
            sleep=round(state.next_action.sleep, 2) if state.next_action else None,
        )


def _identity(obj: dict[str, Any]) -> _Identity:
    """What a change row says of its object besides the JSON: its metadata's identity fields."""
    metadata = obj.get("metadata") or {}
    return (
        metadata.get("namespace"),
        metadata.get("name", ""),
        metadata.get("uid", ""),
        metadata.get("resourceVersion", ""),
    )


def _state_of(known: KnownObject) -> _KnownState:
    """A KnownObject as the reflector keeps it (`_KnownState`)."""
    kind, namespace, name, uid, resource_version, digest = known
    return (kind, namespace, name, uid, resource_version, digest)


def _metadata_of(known: KnownObject) -> dict[str, str | None]:
    """What the last known state says of an object's metadata."""
    return {
        "name": known.name,
        "namespace": known.namespace,
        "uid": known.uid,
        "resourceVersion": known.resource_version,
    }
