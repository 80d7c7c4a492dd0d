"""Lease handover: how long a standby flight recorder takes to record after the holder dies.

Two `stswatch record --continuous` processes share one folder (a rollout's two pods on one
volume) and one Lease (`--lease-duration`, default 30 s, as deployed). Once the first is ready
and the second a standby, the first is killed (SIGKILL: no release, as a deleted pod's
container that does not get to run its handler) and the time until the second answers
/readyz 200 is measured, printed beside the Lease duration and the issue's bound (two
durations). The recording is then checked: the handover is a recorded gap, and no
(uid, resourceVersion) pair is recorded twice.

Usage: python -m bench.handover [--lease-duration 30] [--rounds 3] [--lab-dir DIR]   (repo root)
"""

import argparse
import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kubernetes_asyncio import client

from bench.flight import lab_for, ready
from stswatch.lab.lab import LabHandle
from stswatch.record.pieces import list_pieces

NAMESPACE = "handover"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    lab: LabHandle, pieces: Path, port: int, duration: int, log: Any
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "stswatch", "record", "--continuous", "--dir", str(pieces),
            "-n", NAMESPACE, "--lease-namespace", NAMESPACE, "--lease-duration", str(duration),
            "--listen", f"127.0.0.1:{port}", "--kubeconfig", str(lab.kubeconfig),
            "--log-format", "json",
        ],
        stdout=log, stderr=subprocess.STDOUT, cwd=pieces.parent,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip


async def until_ready(port: int, limit_s: float) -> float | None:
    """Seconds until /readyz says 200, or None after `limit_s`."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if await ready(port):
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    return None


async def run(args: argparse.Namespace) -> int:
    async with lab_for(args.lab_dir) as lab:
        api = await lab.new_api_client()
        async with api:
            core = client.CoreV1Api(api)
            try:
                await core.create_namespace({"metadata": {"name": NAMESPACE}})
            except client.ApiException as exc:
                if exc.status != 409:
                    raise
            with tempfile.TemporaryDirectory(prefix="stswatch-handover-") as tmp:
                pieces = Path(tmp) / "pieces"
                logs = [(Path(tmp) / f"{i}.log").open("wb") for i in range(args.rounds + 1)]
                ports = [_port() for _ in range(args.rounds + 1)]
                bound = 2 * args.lease_duration
                print(f"lease duration {args.lease_duration} s; bound: two durations, {bound} s")
                holder = start(lab, pieces, ports[0], args.lease_duration, logs[0])
                if await until_ready(ports[0], 120) is None:
                    raise SystemExit("the first recorder did not become ready")
                worst = 0.0
                survivor = holder
                for round_ in range(1, args.rounds + 1):
                    standby = start(lab, pieces, ports[round_], args.lease_duration, logs[round_])
                    await asyncio.sleep(3)  # it serves, reads the Lease held, stands by
                    assert not await ready(ports[round_]), "a standby must not be ready"
                    service = {
                        "metadata": {"name": f"before-{round_}-{time.time_ns()}"},
                        "spec": {"ports": [{"port": 80}], "selector": {"app": "none"}},
                    }
                    await core.create_namespaced_service(NAMESPACE, service)
                    survivor.send_signal(signal.SIGKILL)
                    survivor.wait()
                    took = await until_ready(ports[round_], 4 * bound)
                    if took is None:
                        raise SystemExit(f"round {round_}: no takeover within {4 * bound} s")
                    worst = max(worst, took)
                    print(f"round {round_}: holder killed, standby ready after {took:.1f} s")
                    survivor = standby
                survivor.send_signal(signal.SIGTERM)
                code = survivor.wait(timeout=120)
                for log in logs:
                    log.close()
                db = list_pieces(pieces)[-1].path
                conn = sqlite3.connect(db)
                dups = conn.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM change GROUP BY session_id, uid, "
                    "resource_version HAVING count(*) > 1)"
                ).fetchone()[0]
                gaps = conn.execute(
                    "SELECT count(DISTINCT from_wall_ns) FROM gap WHERE reason = 'recorder down'"
                ).fetchone()[0]
                runs = conn.execute("SELECT count(*) FROM run").fetchone()[0]
                conn.close()
                print(
                    f"worst takeover {worst:.1f} s (bound {bound} s); runs {runs}; handovers "
                    f"recorded as 'recorder down' gaps: {gaps}; duplicated (uid, "
                    f"resourceVersion) pairs: {dups}; last recorder's exit on SIGTERM: {code}"
                )
                return 0 if worst <= bound and dups == 0 and code == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lease-duration", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lab-dir", type=Path, default=None)
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
