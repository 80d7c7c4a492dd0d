"""`stswatch status` on a 100-replica StatefulSet: how long one answer takes.

Creates a Parallel set of N replicas (each with a claim) on the lab, waits until every pod is
Ready, then times, over several rounds: a single LIST of the set's pods (the baseline: the least
any status must cost), `read_world` + `set_status` + the table (what `stswatch status` does after
connecting), and the whole `stswatch status` command in a fresh process (Python start-up,
kubeconfig, TLS and /version included). Prints the medians; asserts nothing.

Usage: python -m bench.status [--replicas 100] [--rounds 7] [--lab-dir DIR]   (no --lab-dir: a
fresh lab)
"""

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from kubernetes_asyncio import client

from bench.scale import NAME, bulk_statefulset
from stswatch.kube.api import Request, get_json
from stswatch.kube.cluster import connect
from stswatch.lab.lab import LabHandle, attach_lab, start_lab
from stswatch.lab.stages import PodTiming
from stswatch.reports.live.status import set_status
from stswatch.reports.live.status_render import render_table
from stswatch.reports.live.world import World
from stswatch.set_reader import read_objects

NAMESPACE = "bench-status"
WAIT_S = 900.0


@contextlib.asynccontextmanager
async def lab_for(directory: Path | None) -> AsyncIterator[LabHandle]:
    if directory is not None:
        yield attach_lab(directory)
        return
    with tempfile.TemporaryDirectory(prefix="stswatch-bench-status-") as tmp:
        handle = await start_lab(Path(tmp), nodes=3, timing=PodTiming.fast(), report=print)
        try:
            yield handle
        finally:
            handle.down()


async def setup(lab: LabHandle, replicas: int) -> None:
    """Create (or reuse) the namespace and set, and wait until all pods are Ready."""
    async with await lab.new_api_client() as api:
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        with contextlib.suppress(client.ApiException):
            await core.create_namespace({"metadata": {"name": NAMESPACE}})
        service = {"metadata": {"name": NAME}, "spec": {"clusterIP": "None",
                   "selector": {"app": NAME}, "ports": [{"port": 6379}]}}  # fmt: skip
        with contextlib.suppress(client.ApiException):
            await core.create_namespaced_service(NAMESPACE, service)
        with contextlib.suppress(client.ApiException):
            await apps.create_namespaced_stateful_set(
                NAMESPACE, bulk_statefulset(replicas=replicas, storage_class=lab.storage_class)
            )
        await apps.patch_namespaced_stateful_set_scale(
            NAME, NAMESPACE, {"spec": {"replicas": replicas}}
        )
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            sts = await apps.read_namespaced_stateful_set(NAME, NAMESPACE)
            if (sts.status.ready_replicas or 0) == replicas:
                return
            await asyncio.sleep(1.0)
        raise SystemExit(f"gave up: {NAME} not at {replicas} Ready after {WAIT_S:.0f}s")


async def timed(rounds: int, work: Any) -> float:
    """The median seconds of `rounds` awaits of `work()`, after one warm-up."""
    await work()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def process_seconds(argv: list[str], *, runs: int = 3) -> float:
    """The median wall time of running `argv` as a process."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        if await process.wait() != 0:
            raise SystemExit(f"{' '.join(argv)} failed")
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--lab-dir", type=Path, default=None)
    args = parser.parse_args()
    async with lab_for(args.lab_dir) as lab:
        await setup(lab, args.replicas)
        cluster = await connect(kubeconfig=lab.kubeconfig, context=None)
        pods_path = f"/api/v1/namespaces/{NAMESPACE}/pods"
        selector = (("labelSelector", f"app={NAME}"),)

        async def baseline() -> None:
            request = Request(pods_path, "list", "pods", selector)
            await get_json(cluster.api, request, limits=aiohttp.ClientTimeout(total=60))

        async def status() -> None:
            objects = await read_objects(cluster, namespace=NAMESPACE, name=NAME, doctor=False)
            render_table(set_status(World.of(objects)))

        async def doctor_read() -> None:
            await read_objects(cluster, namespace=NAMESPACE, name=NAME, doctor=True)

        list_s = await timed(args.rounds, baseline)
        status_s = await timed(args.rounds, status)
        doctor_s = await timed(args.rounds, doctor_read)
        await cluster.close()
        stswatch = str(Path(sys.executable).with_name("stswatch"))
        argv = [stswatch, "status", "-n", NAMESPACE, NAME, "--kubeconfig", str(lab.kubeconfig)]
        command = await process_seconds(argv)
        startup = await process_seconds([stswatch, "--version"])
    print(f"{args.replicas} replicas, median of {args.rounds} rounds:")
    print(f"  baseline: one LIST of the set's pods      {list_s * 1000:7.1f} ms")
    print(f"  status: GET set, 4 reads at once, table  {status_s * 1000:7.1f} ms")
    print(f"  doctor: GET set, 8 reads at once         {doctor_s * 1000:7.1f} ms")
    print(f"  `stswatch status` process, end to end    {command:7.2f} s (median of 3)")
    print(f"  baseline: `stswatch --version` process   {startup:7.2f} s (start-up and imports)")


if __name__ == "__main__":
    asyncio.run(main())
