"""Recorder memory benchmark: the `stswatch record` process's RSS with 1,000 and 10,000 live pods.

A fake API server on 127.0.0.1 (an aiohttp app in a thread of this process, as in
tests/fixtures/http.py) plays a cluster of N live pods, each a realistic ~4 KB pod
(`bench.ingest.pod_event`): a paginated LIST of all of them, then a WATCH that modifies every
pod once and ends with 410 Gone, then a relist in which a tenth of the pods vanished unseen (so
the relist diff records N/10 deletions); every other kind lists empty and watches in silence.

The recorder is the real command, `stswatch record`, in its own process. Once the session
holds all 2.1 N changes and the gap, its resident set size is sampled with psutil (the median
of 5 samples over 2 s), and its peak (VmHWM, from /proc) read. The baseline, from the same run,
is the same recorder with no pods. Target: RSS growth ≤ 30 MB from 1,000 to 10,000 live pods.

Usage: python -m bench.memory [--pods 1000 10000]   (from the repository root)
"""

import argparse
import asyncio
import contextlib
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import psutil
import yaml
from aiohttp import web

from bench.ingest import pod_event
from tests.fixtures.http import serving

NAMESPACE = "lab"
PAGE = 500  # items per LIST page when the client asks for no limit
WAIT_S = 600.0


def live_pod(i: int, *, version: int) -> bytes:
    """Pod `redis-i` at resourceVersion `version`, as the API server would serialise it."""
    obj = orjson.loads(pod_event(i))["object"]
    obj["metadata"]["name"] = f"redis-{i}"
    obj["metadata"]["resourceVersion"] = str(version)
    return orjson.dumps(obj)


class FakeCluster:
    """N live pods: listed, each modified once on the first watch, then a tenth gone unseen."""

    def __init__(self, pods: int) -> None:
        self.version = 1000
        self.pods: dict[int, bytes] = {i: live_pod(i, version=self.version) for i in range(pods)}
        self.pod_watches = 0
        self.expected_changes = 2 * pods + len(range(0, pods, 10))  # list, watch, relist
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._answer)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if request.method == "POST":  # a SelfSubjectAccessReview: everything is allowed
            return web.json_response({"status": {"allowed": True}})
        if request.path == "/version":
            return web.json_response({"gitVersion": "v1.34.4"})
        if request.path == f"/api/v1/namespaces/{NAMESPACE}":
            return web.json_response({"kind": "Namespace", "metadata": {"name": NAMESPACE}})
        pods = request.path == f"/api/v1/namespaces/{NAMESPACE}/pods"
        if request.query.get("watch") == "true":
            return await self._watch(request, pods=pods)
        return self._list(request, pods=pods)

    def _list(self, request: web.Request, *, pods: bool) -> web.Response:
        items = list(self.pods.values()) if pods else []
        start = int(request.query.get("continue") or 0)
        end = start + int(request.query.get("limit") or PAGE)
        metadata: dict[str, Any] = {"resourceVersion": str(self.version)}
        if end < len(items):
            metadata["continue"] = str(end)
        body = (
            b'{"kind":"List","apiVersion":"v1","metadata":'
            + orjson.dumps(metadata)
            + b',"items":['
            + b",".join(items[start:end])
            + b"]}"
        )
        return web.Response(body=body, content_type="application/json")

    async def _watch(self, request: web.Request, *, pods: bool) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        if pods and self.pod_watches == 0:
            self.pod_watches += 1
            await self._modify_every_pod(response)
            for i in list(self.pods)[::10]:  # deleted while nobody watched
                del self.pods[i]
            gone = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}
            await response.write(orjson.dumps({"type": "ERROR", "object": gone}) + b"\n")
            return response
        # Silent until the recorder hangs up (aiohttp does not cancel a handler on a hang-up).
        while request.transport is not None and not request.transport.is_closing():  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        return response

    async def _modify_every_pod(self, response: web.StreamResponse) -> None:
        chunk: list[bytes] = []
        for i in list(self.pods):
            self.version += 1
            self.pods[i] = live_pod(i, version=self.version)
            chunk.append(b'{"type":"MODIFIED","object":' + self.pods[i] + b"}\n")
            if len(chunk) == 100:
                await response.write(b"".join(chunk))
                chunk = []
        await response.write(b"".join(chunk))


def kubeconfig(path: Path, *, server: str) -> Path:
    """A kubeconfig for `server`, namespace `lab`."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "bench"}}],
        "contexts": [
            {"name": "fake", "context": {"cluster": "fake", "user": "u", "namespace": NAMESPACE}}
        ],
        "current-context": "fake",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def recorded(db: Path) -> tuple[int, int]:
    """(changes, gaps) committed so far; (0, 0) before the store exists."""
    if not db.exists():
        return 0, 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            changes = conn.execute("SELECT count(*) FROM change").fetchone()[0]
            gaps = conn.execute("SELECT count(*) FROM gap WHERE kind = 'Pod'").fetchone()[0]
    except sqlite3.Error:  # not migrated yet
        return 0, 0
    return int(changes), int(gaps)


def peak_rss(pid: int) -> int:
    """The process's peak resident set size in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(pods: int) -> tuple[float, float, float, int]:
    """(RSS MB, peak RSS MB, seconds to record everything, changes) of one recorder run."""
    cluster = FakeCluster(pods)
    expected = cluster.expected_changes
    with tempfile.TemporaryDirectory() as tmp, serving(cluster.app) as url:
        db = Path(tmp) / "bench.db"
        command = [
            sys.executable,
            "-m",
            "stswatch",
            "record",
            "--session",
            "bench",
            "--db",
            str(db),
            "--kubeconfig",
            str(kubeconfig(Path(tmp) / "kubeconfig", server=url)),
            "--log-format",
            "json",
        ]
        started = time.monotonic()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            process = psutil.Process(child.pid)
            while recorded(db) < (expected, 1):
                if child.poll() is not None or time.monotonic() - started > WAIT_S:
                    _, err = child.communicate(timeout=10)
                    raise SystemExit(f"the recorder stopped or stalled:\n{err.decode()[-2000:]}")
                time.sleep(0.2)
            seconds = time.monotonic() - started
            time.sleep(1.0)
            samples = []
            for _ in range(5):
                samples.append(process.memory_info().rss)
                time.sleep(0.4)
            peak = peak_rss(child.pid)
        finally:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return statistics.median(samples) / 2**20, peak / 2**20, seconds, expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, nargs="+", default=[1000, 10_000])
    args = parser.parse_args()
    print(f"{'live pods':>9}  {'changes':>7}  {'RSS MB':>7}  {'peak MB':>7}  {'seconds':>7}")
    results: dict[int, float] = {}
    for pods in [0, *args.pods]:
        rss, peak, seconds, changes = measure(pods)
        results[pods] = rss
        label = f"{pods:>9,}" if pods else " baseline"
        print(f"{label}  {changes:>7,}  {rss:>7.1f}  {peak:>7.1f}  {seconds:>7.1f}", flush=True)
    if len(args.pods) >= 2:
        low, high = sorted(args.pods)[0], sorted(args.pods)[-1]
        growth = results[high] - results[low]
        print(f"RSS growth {low:,} → {high:,} live pods: {growth:.1f} MB  (target ≤ 30 MB)")


if __name__ == "__main__":
    main()
