"""What a continuous recorder tells Prometheus, and its /healthz, /readyz and /metrics endpoints.

The metrics live in their own `CollectorRegistry` (not the process-global one), written in the
Prometheus text format by `prometheus_client.generate_latest`. The HTTP side is an aiohttp app
on the recorder's own event loop: `/healthz` answers 200 while the process runs, `/readyz` 200
only while this replica holds the Lease and its watches are synced (a standby is not ready),
`/metrics` the registry.
"""

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from stswatch.errors import UsageError
from stswatch.record.records import ChangeRecord, GapRecord

log = structlog.get_logger(__name__)

# receive -> commit, seconds: a quiet cluster commits within milliseconds, a storm within seconds.
_LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class FlightMetrics:
    """The continuous recorder's counters and gauges, in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.changes = Counter(
            "stswatch_changes_recorded",
            "Changes committed to the store, by kind",
            ["kind"],
            registry=r,
        )
        self.watch_restarts = Counter(
            "stswatch_watch_restarts",
            "Watches re-opened (server timeout, disconnect)",
            ["kind"],
            registry=r,
        )
        self.gone = Counter(
            "stswatch_watch_gone",
            "410 Gone answers (resourceVersion compacted): relists",
            ["kind"],
            registry=r,
        )
        self.gaps = Counter(
            "stswatch_gaps_recorded",
            "Gaps committed to the store, by reason",
            ["reason"],
            registry=r,
        )
        self.lag = Histogram(
            "stswatch_commit_lag_seconds",
            "From a change's receipt to its commit",
            buckets=_LAG_BUCKETS,
            registry=r,
        )
        self.store_bytes = Gauge(
            "stswatch_store_bytes", "Bytes on disk of every piece of the recording", registry=r
        )
        self.pieces = Gauge("stswatch_store_pieces", "Pieces in the recording's folder", registry=r)
        self.retention_deletions = Counter(
            "stswatch_retention_deletions",
            "Pieces deleted by retention, by cause",
            ["cause"],
            registry=r,
        )
        self.retention_bytes = Counter(
            "stswatch_retention_freed_bytes", "Bytes retention gave back", registry=r
        )
        self.lease_holder = Gauge(
            "stswatch_lease_holder",
            "1 while this replica holds the recorder's Lease, else 0",
            registry=r,
        )
        self.store_unwritable = Counter(
            "stswatch_store_unwritable",
            "Times writing stopped on a full or unwritable disk",
            registry=r,
        )
        self.writing = Gauge(
            "stswatch_writing", "1 while the recorder writes its store, else 0", registry=r
        )
        self.rolls = Counter(
            "stswatch_piece_rolls",
            "Pieces ended and a new one begun, by cause",
            ["cause"],
            registry=r,
        )

    def committed(
        self, changes: Sequence[ChangeRecord], gaps: Sequence[GapRecord], written_ns: int
    ) -> None:
        """A batch was committed (the writer's `on_commit`)."""
        by_kind: dict[str, int] = {}
        for change in changes:
            by_kind[change.kind] = by_kind.get(change.kind, 0) + 1
            self.lag.observe(max(0, written_ns - change.received_wall_ns) / 1e9)
        for kind, count in by_kind.items():
            self.changes.labels(kind).inc(count)
        for gap in gaps:
            self.gaps.labels(gap_cause(gap.reason)).inc()

    def watch_event(self, kind: str, what: str) -> None:
        """A reflector re-watched (`restart`) or was told 410 Gone (`gone`)."""
        (self.gone if what == "gone" else self.watch_restarts).labels(kind).inc()

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


def gap_cause(reason: str) -> str:
    """A gap reason's first words, as a label of bounded cardinality."""
    for cause in ("410 Gone", "recorder down", "piece roll", "retention", "disk full"):
        if reason.startswith(cause):
            return cause
    return "other"


def parse_listen(text: str) -> tuple[str, int]:
    """`0.0.0.0:9090`, `127.0.0.1:0`, `[::]:9090` into host and port; UsageError else."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, such as 0.0.0.0:9090")
    return host.strip("[]") or "0.0.0.0", int(port)


@contextlib.asynccontextmanager
async def serving_health(
    listen: str, *, metrics: FlightMetrics, ready: Callable[[], bool]
) -> AsyncIterator[int]:
    """Serve /healthz, /readyz and /metrics on `listen` while the block runs; yields the port."""
    host, port = parse_listen(listen)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_: web.Request) -> web.Response:
        if ready():
            return web.Response(text="ready\n")
        return web.Response(status=503, text="not ready: standby, or not synced\n")

    async def prometheus(_: web.Request) -> web.Response:
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", prometheus)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise UsageError(f"--listen {listen}: cannot listen there ({exc.strerror or exc})") from exc
    server = site._server  # aiohttp keeps the bound socket here; port 0 asks for any free port
    sockets = getattr(server, "sockets", None) or ()
    bound = sockets[0].getsockname()[1] if sockets else port
    log.info("serving health and metrics", listen=f"{host}:{bound}")
    try:
        yield int(bound)
    finally:
        await runner.cleanup()
