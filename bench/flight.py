"""Flight recorder soak: `record --continuous` under churn, with retention and a full disk.

On a kwok lab (started here, or `--lab-dir` of a running one), three StatefulSets are scaled
and their pods deleted every few seconds while `stswatch record --continuous` records the
namespace into a folder on a tmpfs of `--disk` (as root; else a plain folder and no full-disk
episode) with `--max-size` retention and `--piece-size` pieces. Every `--sample-every` seconds
the recorder's RSS, the pieces' bytes against the cap and its metrics are printed; the first
sample, taken once it is synced and before any churn, is the baseline. Halfway, the tmpfs is
filled by a file of this process until writes fail (ENOSPC) and freed `--full-for` seconds
later: the recorder must say so (its metric), stay up and resume by itself.

An independent watch of the namespace's pods, run by this process, is the reference: at the end,
every pod change it saw after the oldest piece left began must be in the recording (read
across the pieces with `export --db DIR`) unless it falls inside a gap the recorder recorded;
`lost` counts those missing, and must be 0.

Usage: python -m bench.flight [--minutes 60] [--sample-every 300] [--lab-dir DIR]   (repo root)
"""

import argparse
import asyncio
import contextlib
import errno
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import psutil
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client import ApiClient
from prometheus_client.parser import text_string_to_metric_families

from stswatch.lab.lab import LabHandle, attach_lab, start_lab
from stswatch.lab.stages import PodTiming
from stswatch.record.pieces import list_pieces, parse_size

NAMESPACE = "soak"
SETS = ("alpha", "beta", "gamma")
MB = 2**20


@dataclass
class Reference:
    """What the independent watch saw: each pod change (uid, resourceVersion) and when."""

    seen: dict[tuple[str, str], int] = field(default_factory=dict)
    restarts: int = 0
    gone: int = 0


@contextlib.asynccontextmanager
async def lab_for(directory: Path | None) -> AsyncIterator[LabHandle]:
    if directory is not None:
        yield attach_lab(directory)
        return
    with tempfile.TemporaryDirectory(prefix="stswatch-flight-") as tmp:
        handle = await start_lab(Path(tmp), nodes=3, timing=PodTiming.fast(), report=print)
        try:
            yield handle
        finally:
            handle.down()


@contextlib.contextmanager
def disk(path: Path, size: str) -> Iterator[bool]:
    """A tmpfs of `size` at `path` when root (True), else a plain folder (False)."""
    path.mkdir(parents=True)
    if os.geteuid() != 0:
        yield False
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def statefulset(name: str, storage_class: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": name,
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "redis:6.2-alpine"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": storage_class,
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
        },
    }


async def setup(api: ApiClient, storage_class: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    with contextlib.suppress(client.ApiException):
        await core.create_namespace({"metadata": {"name": NAMESPACE}})
    for name in SETS:
        service = {
            "metadata": {"name": name},
            "spec": {"clusterIP": "None", "selector": {"app": name}},
        }
        with contextlib.suppress(client.ApiException):
            await core.create_namespaced_service(NAMESPACE, service)
        with contextlib.suppress(client.ApiException):
            await apps.create_namespaced_stateful_set(NAMESPACE, statefulset(name, storage_class))


async def churn(api: ApiClient, stop: asyncio.Event, every_s: float) -> int:
    """Scale a set or delete a pod every `every_s` seconds until stopped; how many actions."""
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    actions = 0
    rng = random.Random(21)
    while not stop.is_set():
        try:
            if rng.random() < 0.5:
                name = rng.choice(SETS)
                body = {"spec": {"replicas": rng.randint(0, 5)}}
                await apps.patch_namespaced_stateful_set_scale(name, NAMESPACE, body)
            else:
                pods = (await core.list_namespaced_pod(NAMESPACE)).items
                if pods:
                    await core.delete_namespaced_pod(rng.choice(pods).metadata.name, NAMESPACE)
            actions += 1
        except client.ApiException:
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
    return actions


async def reference_watch(api: ApiClient, ref: Reference, stop: asyncio.Event) -> None:
    """List then watch the namespace's pods, noting every change's (uid, resourceVersion)."""
    core = client.CoreV1Api(api)
    version = None
    while not stop.is_set():
        if version is None:
            listed = await core.list_namespaced_pod(NAMESPACE)
            now = time.time_ns()
            for pod in listed.items:
                ref.seen.setdefault((pod.metadata.uid, pod.metadata.resource_version), now)
            version = listed.metadata.resource_version
        w = watch.Watch()
        try:
            async for event in w.stream(
                core.list_namespaced_pod, NAMESPACE, resource_version=version, timeout_seconds=60
            ):
                if event["type"] == "ERROR":
                    ref.gone += 1
                    version = None
                    break
                pod = event["object"]
                version = pod.metadata.resource_version
                ref.seen.setdefault((pod.metadata.uid, version), time.time_ns())
                if stop.is_set():
                    break
        except client.ApiException as exc:
            if exc.status == 410:
                ref.gone += 1
                version = None
        except (aiohttp.ClientError, TimeoutError):
            pass
        finally:
            await w.close()
        ref.restarts += 1


async def scrape(port: int) -> dict[str, float]:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            text = await response.text()
    except (aiohttp.ClientError, TimeoutError):
        return {}
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            samples[sample.name] = samples.get(sample.name, 0.0) + sample.value
    return samples


async def ready(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
            http.get(f"http://127.0.0.1:{port}/readyz") as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


def fill(path: Path) -> int:
    """Write a file into `path` until the filesystem is full; its size."""
    filler = path / "filler"
    chunk = b"\0" * MB
    written = 0
    with filler.open("wb", buffering=0) as out:
        while True:
            try:
                written += out.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return written


def recorded(pieces: Path) -> tuple[set[tuple[str, str]], int, list[tuple[int, int]]]:
    """Pod (uid, resourceVersion) pairs across the pieces left, the oldest change's time, and
    every recorded gap of kind Pod (from, to)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-m", "stswatch", "export", NAMESPACE, "--db", str(pieces)],
        capture_output=True,
        check=True,
        env=env,
    ).stdout
    pairs, first = set(), None
    for line in out.splitlines():
        change = orjson.loads(line)
        if change["kind"] == "Pod":
            pairs.add((change["uid"], change["resource_version"]))
        first = (
            change["received_wall_ns"] if first is None else min(first, change["received_wall_ns"])
        )
    gaps = []
    for piece in list_pieces(pieces):
        conn = sqlite3.connect(f"{piece.path.resolve().as_uri()}?mode=ro", uri=True)
        gaps += conn.execute(
            "SELECT from_wall_ns, to_wall_ns FROM gap WHERE kind = 'Pod'"
        ).fetchall()
        conn.close()
    return pairs, first or 0, gaps


def start_recorder(
    args: argparse.Namespace, lab: LabHandle, pieces: Path, port: int, log: Any
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "stswatch", "record", "--continuous", "--dir", str(pieces),
            "-n", NAMESPACE, "--max-size", args.max_size, "--piece-size", args.piece_size,
            "--listen", f"127.0.0.1:{port}", "--kubeconfig", str(lab.kubeconfig),
            "--log-format", "json",
        ],
        stdout=log, stderr=subprocess.STDOUT, cwd=pieces.parent,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip


async def soak(args: argparse.Namespace) -> int:
    async with lab_for(args.lab_dir) as lab:
        api = await lab.new_api_client()
        async with api:
            await setup(api, lab.storage_class)
            with tempfile.TemporaryDirectory(prefix="stswatch-flight-") as tmp:
                pieces = Path(tmp) / "pieces"
                with disk(pieces, args.disk) as on_tmpfs:
                    return await _soak(args, lab, api, pieces, on_tmpfs, Path(tmp))


async def _soak(
    args: argparse.Namespace,
    lab: LabHandle,
    api: ApiClient,
    pieces: Path,
    on_tmpfs: bool,
    tmp: Path,
) -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp / "recorder.log").open("wb")
    recorder = start_recorder(args, lab, pieces, port, log)
    process = psutil.Process(recorder.pid)
    stop = asyncio.Event()
    ref = Reference()
    try:
        for _ in range(240):
            if await ready(port):
                break
            await asyncio.sleep(0.5)
        else:
            raise SystemExit("the recorder did not become ready")
        watcher = asyncio.create_task(reference_watch(api, ref, stop))
        churner = asyncio.create_task(churn(api, stop, args.churn_every))
        print(
            f"soak: {args.minutes:g} min, churn every {args.churn_every:g} s, --max-size "
            f"{args.max_size}, --piece-size {args.piece_size}, folder on "
            f"{'tmpfs ' + args.disk if on_tmpfs else 'the disk (not root: no full-disk episode)'}"
        )
        print(
            f"{'minute':>6} {'RSS MB':>7} {'store MB':>8} {'cap MB':>7} {'pieces':>6} "
            f"{'changes':>8} {'gaps':>5} {'pruned':>6} {'unwritable':>10} {'ready':>5}"
        )
        cap = parse_size(args.max_size) / MB
        started = time.monotonic()
        end = started + args.minutes * 60
        full_at = started + args.minutes * 30 if on_tmpfs else None
        next_sample = started
        rss: list[float] = []
        while time.monotonic() < end:
            now = time.monotonic()
            if full_at is not None and now >= full_at:
                full_at = None
                filled = await asyncio.to_thread(fill, pieces)
                print(f"full disk: {filled / MB:.0f} MB filler written until ENOSPC")
                for _ in range(int(args.full_for * 2)):
                    await asyncio.sleep(0.5)
                metrics = await scrape(port)
                print(
                    f"full disk after {args.full_for:g} s: unwritable "
                    f"{metrics.get('stswatch_store_unwritable_total', 0):.0f}, writing "
                    f"{metrics.get('stswatch_writing', 0):.0f}, process alive "
                    f"{recorder.poll() is None}"
                )
                (pieces / "filler").unlink()
                for _ in range(600):
                    if await ready(port):
                        break
                    await asyncio.sleep(0.5)
                print(f"space back: ready again {await ready(port)}")
            if now >= next_sample:
                next_sample += args.sample_every
                metrics = await scrape(port)
                mem = process.memory_info().rss / MB
                rss.append(mem)
                store = sum(p.size() for p in list_pieces(pieces)) / MB
                print(
                    f"{(now - started) / 60:6.1f} {mem:7.1f} {store:8.1f} {cap:7.1f} "
                    f"{len(list_pieces(pieces)):6d} "
                    f"{metrics.get('stswatch_changes_recorded_total', 0):8.0f} "
                    f"{metrics.get('stswatch_gaps_recorded_total', 0):5.0f} "
                    f"{metrics.get('stswatch_retention_deletions_total', 0):6.0f} "
                    f"{metrics.get('stswatch_store_unwritable_total', 0):10.0f} "
                    f"{await ready(port)!s:>5}",
                    flush=True,
                )
            await asyncio.sleep(1.0)
        stop.set()
        actions = await churner
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    finally:
        stop.set()
        if recorder.poll() is None:
            recorder.send_signal(signal.SIGTERM)
        code = recorder.wait(timeout=300)
        log.close()
    pairs, first, gaps = recorded(pieces)
    slack = 2 * 10**9
    in_span = {k: t for k, t in ref.seen.items() if t >= first + slack}
    missing = [k for k in in_span if k not in pairs]
    excused = [k for k in missing if any(a - slack <= in_span[k] <= b + slack for a, b in gaps)]
    lost = len(missing) - len(excused)
    print(f"churn actions: {actions}; recorder exit on SIGTERM: {code}")
    print(
        f"RSS: baseline {rss[0]:.1f} MB (synced, before churn), last {rss[-1]:.1f} MB, "
        f"max {max(rss):.1f} MB"
    )
    print(
        f"reference watch: {len(ref.seen)} pod changes ({ref.gone} 410s); after the oldest "
        f"piece left began: {len(in_span)}; recorded: {len(in_span) - len(missing)}; inside "
        f"recorded gaps: {len(excused)}; lost: {lost}"
    )
    return 0 if lost == 0 and code == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--sample-every", type=float, default=300.0, help="seconds")
    parser.add_argument("--churn-every", type=float, default=2.0, help="seconds")
    parser.add_argument("--lab-dir", type=Path, default=None)
    parser.add_argument("--disk", default="96m", help="tmpfs size (as root)")
    parser.add_argument("--max-size", default="48MiB")
    parser.add_argument("--piece-size", default="8MiB")
    parser.add_argument("--full-for", type=float, default=30.0, help="seconds")
    sys.exit(asyncio.run(soak(parser.parse_args())))


if __name__ == "__main__":
    main()
