"""Recording from a terminal: connect, stop on Ctrl-C/SIGTERM, show the live status, summarise."""

import asyncio
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from stswatch.cli.status_line import LiveTally, show_status
from stswatch.record.cluster import IN_CLUSTER, connect
from stswatch.record.lease import SessionLease
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
            # In a pod, the session's Lease guards it across nodes and volumes as well.
            lease=(
                SessionLease(
                    cluster.api,
                    namespace=cluster.default_namespace,
                    session=request.session,
                    identity=f"{socket.gethostname()}/{os.getpid()}",
                )
                if cluster.source == IN_CLUSTER
                else None
            ),
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
