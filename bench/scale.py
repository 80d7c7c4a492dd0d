"""Scale benchmark: a Parallel StatefulSet taken 0 → N → 0 on the lab, recorded by the CLI.

The recorder runs as its own process (so its RSS is its own); this script runs its own watch of
the pods as the baseline. Prints: changes recorded, transitions lost (pod events the baseline
watch saw that the recording lacks; must be 0), the recorder's peak RSS (target < 200 MB), and
the p50/p99 lag from receive to the batch being handed to SQLite.

Usage: python -m bench.scale [--replicas 1000] [--lab-dir DIR]   (no --lab-dir: a fresh lab)
"""

import argparse
import asyncio
import contextlib
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psutil
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.client import ApiClient

from stswatch.lab.lab import LabHandle, attach_lab, start_lab
from stswatch.lab.stages import PodTiming
from stswatch.reports.recording import load_recording

WAIT_S = 1800.0
NAME = "bulk"


def bulk_statefulset(*, replicas: int, storage_class: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": NAME},
        "spec": {
            "serviceName": NAME,
            "replicas": replicas,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {"app": NAME}},
            "template": {
                "metadata": {"labels": {"app": NAME}},
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


@contextlib.asynccontextmanager
async def lab_for(directory: Path | None, *, nodes: int) -> AsyncIterator[LabHandle]:
    if directory is not None:
        yield attach_lab(directory)
        return
    with tempfile.TemporaryDirectory(prefix="stswatch-scale-") as tmp:
        handle = await start_lab(Path(tmp), nodes=nodes, timing=PodTiming.fast(), report=print)
        try:
            yield handle
        finally:
            handle.down()


async def baseline_watch(
    api: ApiClient,
    *,
    namespace: str,
    seen: set[tuple[str, str]],
    deleted: set[str],
    caught_up: asyncio.Event,
    replicas: int,
) -> None:
    """The bench's own watch: every pod (uid, resourceVersion) it is sent, as plain dicts."""
    core = client.CoreV1Api(api)
    listed = await core.list_namespaced_pod(namespace)
    version = listed.metadata.resource_version
    # return_type "object": no typed models, or the baseline falls behind at this rate.
    async with watch.Watch(return_type="object") as stream:
        async for event in stream.stream(
            core.list_namespaced_pod,
            namespace=namespace,
            resource_version=version,
            allow_watch_bookmarks=False,
            timeout_seconds=int(WAIT_S),
        ):
            metadata = event["raw_object"]["metadata"]
            seen.add((metadata["uid"], metadata["resourceVersion"]))
            if event["type"] == "DELETED":
                deleted.add(metadata["uid"])
                if len(deleted) >= replicas:
                    caught_up.set()


async def pods_settled(api: ApiClient, *, namespace: str, count: int) -> None:
    """Wait (bounded) until `count` pods exist and all are Ready (0: all gone)."""
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        pods = (await core.list_namespaced_pod(namespace, label_selector=f"app={NAME}")).items
        ready = [
            p
            for p in pods
            if any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or ())
        ]
        if len(pods) == count and len(ready) == count:
            return
        print(f"  {len(pods)} pods, {len(ready)} ready (want {count})", flush=True)
        await asyncio.sleep(5)
    raise TimeoutError(f"pods did not settle at {count}")


async def sample_rss(pid: int, peak: list[int]) -> None:
    process = psutil.Process(pid)
    while True:
        with contextlib.suppress(psutil.Error):
            peak[0] = max(peak[0], process.memory_info().rss)
        await asyncio.sleep(0.2)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1000)
    parser.add_argument("--lab-dir", type=Path, default=None)
    args = parser.parse_args()
    namespace = f"scale-{int(time.time())}"
    async with lab_for(args.lab_dir, nodes=max(3, args.replicas // 100 + 2)) as lab:
        api = await lab.new_api_client()
        core = client.CoreV1Api(api)
        await core.create_namespace({"metadata": {"name": namespace}})
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "scale.db"
            recorder = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "stswatch"),
                "record", "--session", "scale", "-n", namespace, "--kubeconfig",
                str(lab.kubeconfig), "--db", str(db), "--log-format", "json",
                stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert recorder.stderr is not None
            while b"synced" not in await recorder.stderr.readline():
                pass
            peak = [0]
            seen: set[tuple[str, str]] = set()
            deleted: set[str] = set()
            caught_up = asyncio.Event()
            sampler = asyncio.create_task(sample_rss(recorder.pid, peak))
            watcher = asyncio.create_task(
                baseline_watch(
                    api,
                    namespace=namespace,
                    seen=seen,
                    deleted=deleted,
                    caught_up=caught_up,
                    replicas=args.replicas,
                )
            )
            apps = client.AppsV1Api(api)
            started = time.monotonic()
            body = bulk_statefulset(replicas=args.replicas, storage_class=lab.storage_class)
            await apps.create_namespaced_stateful_set(namespace, body)
            await pods_settled(api, namespace=namespace, count=args.replicas)
            up = time.monotonic() - started
            await apps.patch_namespaced_stateful_set_scale(
                NAME, namespace, {"spec": {"replicas": 0}}
            )
            await pods_settled(api, namespace=namespace, count=0)
            down = time.monotonic() - started - up
            # Both watches must have caught up: every pod's deletion seen by the baseline.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(caught_up.wait(), 300)
            await asyncio.sleep(3)  # and let the last events reach the recorder
            recorder.send_signal(signal.SIGTERM)
            stdout, _ = await recorder.communicate()
            watcher.cancel()
            sampler.cancel()
            await asyncio.gather(watcher, sampler, return_exceptions=True)
            rec = load_recording(db, "scale")
        await core.delete_namespace(namespace)
        await api.close()
    recorded = {(c.uid, c.resource_version) for c in rec.changes if c.kind == "Pod"}
    lost = seen - recorded
    lags = sorted((c.written_wall_ns - c.received_wall_ns) / 1e6 for c in rec.changes)
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] if lags else 0.0
    print(stdout.decode().strip())
    print(f"replicas                 : {args.replicas} (up {up:.0f} s, down {down:.0f} s)")
    print(f"changes recorded         : {len(rec.changes)} ({len(recorded)} pod changes)")
    print(f"baseline watch pod events: {len(seen)} ({len(deleted)} pods seen deleted)")
    print(f"lost transitions         : {len(lost)}  (must be 0)")
    print(f"recorder peak RSS        : {peak[0] / 2**20:.0f} MiB  (target < 200 MB)")
    median = statistics.median(lags) if lags else 0.0
    print(f"receive→write lag        : p50 {median:.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
