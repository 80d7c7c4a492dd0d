"""Recording from a terminal: connect, stop on Ctrl-C/SIGTERM, show the live status, summarise."""

import asyncio
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from stswatch.cli.status_line import LiveTally, show_status
from stswatch.kube.cluster import connect
from stswatch.record.flight import FlightConfig, FlightRecorder, FlightSummary
from stswatch.record.lease import lease_for
from stswatch.record.metrics import FlightMetrics, serving_health
from stswatch.record.recorder import Recorder, RecordSummary
from stswatch.record.scope import RecordScope

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class RecordRequest:
    """Everything `stswatch record` was asked for."""

    session: str
    db_path: Path
    namespace: str | None  # None: the kubeconfig context's namespace
    all_namespaces: bool
    statefulset: str | None
    duration: float | None
    kubeconfig: Path | None
    context: str | None
    keep_env: bool


async def record_from_terminal(
    request: RecordRequest, *, stream: TextIO = sys.stderr
) -> RecordSummary:
    """Record until Ctrl-C, SIGTERM or the duration; a status line is drawn on a TTY."""
    cluster = await connect(kubeconfig=request.kubeconfig, context=request.context)
    try:
        namespace = (
            None if request.all_namespaces else request.namespace or cluster.default_namespace
        )
        tally = LiveTally()
        recorder = Recorder(
            cluster=cluster,
            db_path=request.db_path,
            session=request.session,
            scope=RecordScope(
                namespace=namespace,
                all_namespaces=request.all_namespaces,
                statefulset=request.statefulset,
            ),
            keep_env=request.keep_env,
            observer=tally.observe,
            lease=lease_for(cluster, session=request.session),
        )
        loop = asyncio.get_running_loop()
        # Only the main thread may take signals (a test may run the command in a worker thread).
        signals = _SIGNALS if threading.current_thread() is threading.main_thread() else ()
        for signum in signals:
            loop.add_signal_handler(signum, recorder.stop)
        status = (
            asyncio.create_task(
                show_status(
                    tally, gaps=lambda: sum(r.gaps for r in recorder.reflectors), stream=stream
                )
            )
            if stream.isatty()
            else None
        )
        try:
            return await recorder.run(duration=request.duration)
        finally:
            if status is not None:
                status.cancel()
                await asyncio.gather(status, return_exceptions=True)
            for signum in signals:
                loop.remove_signal_handler(signum)
    finally:
        await cluster.close()


def describe(summary: RecordSummary) -> list[str]:
    """The summary printed when a recording stops."""
    how = "resumed" if summary.resumed else "new"
    lines = [
        f"session {summary.session} ({how}, run {summary.run_id}): {summary.changes} changes, "
        f"{summary.gaps} gaps, {summary.marks} marks in {summary.seconds:.1f} s "
        f"(stopped: {summary.end_reason})"
    ]
    if summary.previous_run_closed is False:
        lines.append(
            "the previous run did not close (killed?): anything it had not committed was "
            f"recovered by the relist diff ({summary.relisted} changes observed by relist)"
        )
    elif summary.relisted:
        lines.append(f"{summary.relisted} changes were recovered by relist diffs after gaps")
    return lines


@dataclass(frozen=True)
class FlightRequest:
    """Everything `stswatch record --continuous` was asked for."""

    directory: Path
    namespaces: tuple[str, ...]  # empty: the context's namespace (unless all_namespaces)
    all_namespaces: bool
    kubeconfig: Path | None
    context: str | None
    keep_env: bool
    retain_s: float | None
    max_bytes: int | None
    piece_every_s: float
    piece_bytes: int
    listen: str | None
    lease_namespace: str | None
    lease_name: str
    lease_duration_s: int
    duration_s: float | None = None


async def record_continuously(request: FlightRequest) -> FlightSummary:
    """Record in pieces until SIGTERM/SIGINT (or the duration); serve health and metrics."""
    cluster = await connect(kubeconfig=request.kubeconfig, context=request.context)
    try:
        scopes: tuple[RecordScope, ...]
        if request.all_namespaces:
            scopes = (RecordScope(namespace=None, all_namespaces=True, statefulset=None),)
        else:
            names = dict.fromkeys(request.namespaces or (cluster.default_namespace,))
            scopes = tuple(
                RecordScope(namespace=n, all_namespaces=False, statefulset=None) for n in names
            )
        config = FlightConfig(
            directory=request.directory,
            scopes=scopes,
            retain_s=request.retain_s,
            max_bytes=request.max_bytes,
            piece_every_s=request.piece_every_s,
            piece_bytes=request.piece_bytes,
            lease_namespace=request.lease_namespace,
            lease_name=request.lease_name,
            lease_duration_s=request.lease_duration_s,
            keep_env=request.keep_env,
            duration_s=request.duration_s,
        )
        metrics = FlightMetrics()
        recorder = FlightRecorder(cluster=cluster, config=config, metrics=metrics)
        loop = asyncio.get_running_loop()
        signals = _SIGNALS if threading.current_thread() is threading.main_thread() else ()
        for signum in signals:
            loop.add_signal_handler(signum, recorder.stop)
        try:
            if request.listen is None:
                return await recorder.run()
            async with serving_health(
                request.listen, metrics=metrics, ready=lambda: recorder.ready
            ):
                return await recorder.run()
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)
    finally:
        await cluster.close()


def describe_flight(summary: FlightSummary) -> list[str]:
    """The summary printed when a continuous recording stops."""
    changes = sum(r.changes for r in summary.runs)
    gaps = sum(r.gaps for r in summary.runs)
    return [
        f"continuous recording stopped ({summary.end_reason}): {len(summary.pieces)} pieces "
        f"written, {changes} changes, {gaps} gaps, {len(summary.pruned)} pieces pruned, "
        f"{summary.unwritable} times the store could not be written, "
        f"{summary.handovers} times the Lease was lost"
    ]
