"""Regenerate docs/doctor-samples.txt: `stswatch status` and `stswatch doctor` on the lab for the
lesson's redis set, healthy and with each failure the doctor diagnoses.

Each case gets its own namespace named after it, is broken the way tests/integration/
test_doctor.py breaks it, and is printed once doctor sees the failure settled (a set held by a
pod is an error only after 30 s). Run from the repository root against a running lab:

    stswatch lab up --dir /tmp/lab && python -m docs.doctor_samples --lab-dir /tmp/lab
"""

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.integration

from stswatch.kube.cluster import Cluster, connect
from stswatch.lab.lab import LabHandle, attach_lab
from stswatch.lab.stages import CRASH_ANNOTATION, HOLD_ANNOTATION
from stswatch.reports import causes
from stswatch.reports.live.doctor import diagnose
from stswatch.reports.live.world import World
from stswatch.set_reader import read_objects
from tests.integration.test_doctor import (
    create,
    headless_service,
    redis,
    requeue_parked_pods,
    until_ready,
)

OUT = Path(__file__).with_name("doctor-samples.txt")
WAIT_S = 180.0
Case = Callable[[ApiClient, str, LabHandle], Awaitable[None]]


async def healthy(api: ApiClient, ns: str, lab: LabHandle) -> None:
    await create(api, ns, redis(replicas=3, storage_class=lab.storage_class))
    await until_ready(api, ns, {"redis-0", "redis-1", "redis-2"})


async def no_such_class(api: ApiClient, ns: str, lab: LabHandle) -> None:
    await create(api, ns, redis(replicas=3, storage_class="fast-ssd"))


async def service_deleted(api: ApiClient, ns: str, lab: LabHandle) -> None:
    await healthy(api, ns, lab)
    await client.CoreV1Api(api).delete_namespaced_service("redis-headless", ns)


async def wrong_selector(api: ApiClient, ns: str, lab: LabHandle) -> None:
    await healthy(api, ns, lab)
    patch = {"spec": {"selector": {"app": "redis-cache"}}}
    await client.CoreV1Api(api).patch_namespaced_service("redis-headless", ns, patch)


async def not_headless(api: ApiClient, ns: str, lab: LabHandle) -> None:
    await client.CoreV1Api(api).create_namespaced_service(ns, headless_service(headless=False))
    await create(api, ns, redis(replicas=3, storage_class=lab.storage_class), service=False)
    await until_ready(api, ns, {"redis-0", "redis-1", "redis-2"})


async def held_scale_up(api: ApiClient, ns: str, lab: LabHandle) -> None:
    body = redis(replicas=3, storage_class=lab.storage_class,
                 annotations={HOLD_ANNOTATION: "redis-1"})  # fmt: skip
    await create(api, ns, body)


async def stuck_rollout(api: ApiClient, ns: str, lab: LabHandle) -> None:
    await healthy(api, ns, lab)
    image = {"containers": [{"name": "redis", "image": "redis:7.0-alpine"}]}
    template = {"metadata": {"annotations": {HOLD_ANNOTATION: "true"}}, "spec": image}
    await client.AppsV1Api(api).patch_namespaced_stateful_set(
        "redis", ns, {"spec": {"template": template}}
    )


async def crash_loop(api: ApiClient, ns: str, lab: LabHandle) -> None:
    body = redis(replicas=3, storage_class=lab.storage_class, policy="Parallel",
                 annotations={CRASH_ANNOTATION: "redis-2"})  # fmt: skip
    await create(api, ns, body)


async def stale_claims(api: ApiClient, ns: str, lab: LabHandle) -> None:
    await create(api, ns, redis(replicas=5, storage_class=lab.storage_class))
    await until_ready(api, ns, {f"redis-{i}" for i in range(5)})
    await client.AppsV1Api(api).patch_namespaced_stateful_set_scale(
        "redis", ns, {"spec": {"replicas": 3}}
    )
    await until_ready(api, ns, {"redis-0", "redis-1", "redis-2"})


async def stuck_terminating(api: ApiClient, ns: str, lab: LabHandle) -> None:
    await create(api, ns, redis(replicas=3, storage_class=lab.storage_class, grace=1))
    await until_ready(api, ns, {"redis-0", "redis-1", "redis-2"})
    core = client.CoreV1Api(api)
    await core.patch_namespaced_pod(
        "redis-2", ns, {"metadata": {"finalizers": ["example.com/backup-pending"]}}
    )
    await core.delete_namespaced_pod("redis-2", ns)


# (namespace, title, how to break it, the causes doctor must report as an error; () = healthy)
CASES: list[tuple[str, str, Case, tuple[str, ...]]] = [
    ("redis-healthy", "healthy (OrderedReady, 3 replicas)", healthy, ()),
    ("redis-no-class", "storageClassName names a class that does not exist", no_such_class,
     (causes.CLAIM_NOT_BOUND, causes.NO_STORAGE_CLASS)),
    ("redis-no-service", "the headless Service deleted", service_deleted,
     (causes.SERVICE_MISSING,)),
    ("redis-wrong-selector", "the Service's selector matches no pod", wrong_selector,
     (causes.SERVICE_SELECTS_NO_POD,)),
    ("redis-not-headless", "the governing Service has a clusterIP", not_headless,
     (causes.SERVICE_NOT_HEADLESS,)),
    ("redis-held", "redis-1 held unready: OrderedReady scale-up stuck", held_scale_up,
     (causes.SCALE_UP_STUCK,)),
    ("redis-rollout", "a rollout whose new pods never become Ready", stuck_rollout,
     (causes.ROLLOUT_STUCK,)),
    ("redis-crash", "redis-2's container keeps failing (Parallel)", crash_loop,
     (causes.CRASH_LOOP,)),
    ("redis-stale", "scaled 5 -> 3: claims of redis-3 and redis-4 left over", stale_claims,
     (causes.CLAIM_STALE,)),
    ("redis-terminating", "redis-2 held Terminating by a finalizer", stuck_terminating,
     (causes.STUCK_TERMINATING,)),
]  # fmt: skip


async def settled(cluster: Cluster, ns: str, wanted: tuple[str, ...]) -> None:
    """Until doctor reports `wanted` (as an error or, for stale claims, a warning)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            world = World.of(await read_objects(cluster, namespace=ns, name="redis", doctor=True))
            found = diagnose(world)
            if not wanted and not found:
                return
            if any(f.causes[: len(wanted)] == wanted and f.severity != "info" for f in found):
                return
        await asyncio.sleep(1.0)
    raise SystemExit(f"{ns}: doctor never reported {wanted or 'healthy'}")


async def command(lab: LabHandle, *argv: str) -> str:
    stswatch = str(Path(sys.executable).with_name("stswatch"))
    process = await asyncio.create_subprocess_exec(
        stswatch, *argv, "--kubeconfig", str(lab.kubeconfig),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return f"$ stswatch {' '.join(argv)}\n{out.decode()}(exit {process.returncode})\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab-dir", type=Path, required=True)
    args = parser.parse_args()
    lab = attach_lab(args.lab_dir)
    cluster = await connect(kubeconfig=lab.kubeconfig, context=None)
    sections: list[str] = []
    async with await lab.new_api_client() as api:
        core = client.CoreV1Api(api)
        for ns, title, build, wanted in CASES:
            print(f"{ns}: {title}", flush=True)
            with contextlib.suppress(client.ApiException):
                await core.create_namespace({"metadata": {"name": ns}})
            requeue = asyncio.create_task(requeue_parked_pods(api, ns))
            try:
                await build(api, ns, lab)
                await settled(cluster, ns, wanted)
            finally:
                requeue.cancel()
            status = await command(lab, "status", "-n", ns, "redis")
            doctor = await command(lab, "doctor", "-n", ns, "redis")
            sections.append(f"## {title}\n\n{status}\n{doctor}")
        await cleanup(core)
    await cluster.close()
    OUT.write_text("\n".join(sections))
    print(f"wrote {OUT}")


async def cleanup(core: client.CoreV1Api) -> None:
    """Release the held pod and delete every sample namespace."""
    with contextlib.suppress(client.ApiException):
        await core.patch_namespaced_pod(
            "redis-2", "redis-terminating", {"metadata": {"finalizers": None}}
        )
    for ns, *_ in CASES:
        with contextlib.suppress(client.ApiException):
            await core.delete_namespace(ns)


if __name__ == "__main__":
    asyncio.run(main())
