"""`stswatch status` and `stswatch doctor` against the real control plane: the lesson's redis set
healthy, then each failure the doctor diagnoses, reproduced on the lab and detected."""

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from click.testing import CliRunner
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.kube.cluster import connect
from stswatch.lab.lab import LabHandle
from stswatch.lab.stages import CRASH_ANNOTATION, HOLD_ANNOTATION
from stswatch.reports import causes
from stswatch.set_objects import SetObjects
from stswatch.set_reader import watch_world

pytestmark = pytest.mark.integration

WAIT_S = 120.0


async def until(check: Callable[[], Awaitable[bool]], *, what: str, wait_s: float = WAIT_S) -> None:
    """Poll `check` every 0.25 s, at most `wait_s`."""
    deadline = time.monotonic() + wait_s
    while not await check():
        assert time.monotonic() < deadline, f"timed out after {wait_s:.0f}s waiting for {what}"
        await asyncio.sleep(0.25)


def _cli(*argv: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(argv))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


async def run(lab: LabHandle, *argv: str) -> tuple[int, str]:
    """Run `stswatch ARGV --kubeconfig LAB` in a worker thread (the CLI runs its own loop)."""
    return await asyncio.to_thread(_cli, *argv, "--kubeconfig", str(lab.kubeconfig))


async def doctor(lab: LabHandle, namespace: str) -> tuple[int, dict[str, Any]]:
    code, out = await run(lab, "doctor", "-n", namespace, "redis", "-o", "json")
    assert code in (0, 1), out
    return code, json.loads(out)


def findings_with(report: dict[str, Any], *wanted: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if tuple(f["causes"][: len(wanted)]) == wanted]


async def until_finding(
    lab: LabHandle, namespace: str, *wanted: str, saying: str = "", wait_s: float = WAIT_S
) -> dict[str, Any]:
    """Run doctor until a finding with these causes (and `saying` in its text) appears.

    A set held by one pod is an error only after `progress.STUCK_AFTER_S`; the default wait
    covers that."""
    seen: list[dict[str, Any]] = []

    async def found() -> bool:
        _, report = await doctor(lab, namespace)
        seen[:] = [f for f in findings_with(report, *wanted) if saying in text_of(f)]
        return bool(seen)

    await until(found, what=f"a doctor finding {wanted}", wait_s=wait_s)
    return seen[0]


async def requeue_parked_pods(api: ApiClient, namespace: str) -> None:
    """Until cancelled, work around a scheduler race the lab shows under load.

    A pod tried before its claim is Bound is parked as unschedulable ("pod has unbound
    immediate PersistentVolumeClaims"); when the claim's Bound update lands before the pod is
    parked, nothing requeues it until the 5 min `podMaxInUnschedulablePodsDuration` flush.
    Touching the (Bound) claim is a claim update event, which the VolumeBinding plugin's
    queueing hint turns into a retry.
    """
    core = client.CoreV1Api(api)
    rounds = 0
    while True:
        await asyncio.sleep(3.0)
        rounds += 1
        claims = (await core.list_namespaced_persistent_volume_claim(namespace)).items
        bound = {c.metadata.name for c in claims if c.status.phase == "Bound"}
        for pod in (await core.list_namespaced_pod(namespace)).items:
            scheduled = next(
                (c for c in pod.status.conditions or () if c.type == "PodScheduled"), None
            )
            if scheduled is None or scheduled.status != "False":
                continue
            if "unbound immediate PersistentVolumeClaims" not in (scheduled.message or ""):
                continue
            mounted = [
                v.persistent_volume_claim.claim_name
                for v in pod.spec.volumes or ()
                if v.persistent_volume_claim is not None
            ]
            for name in mounted if set(mounted) <= bound else ():
                body = {"metadata": {"annotations": {"stswatch.dev/requeue": str(rounds)}}}
                with contextlib.suppress(client.ApiException):
                    await core.patch_namespaced_persistent_volume_claim(name, namespace, body)


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def _requeue_parked_pods(kube_api: ApiClient, namespace: str) -> AsyncIterator[None]:
    task = asyncio.create_task(requeue_parked_pods(kube_api, namespace))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, client.ApiException):
        await task


def text_of(finding: dict[str, Any]) -> str:
    return " ".join([finding["what"], *finding["why"], *finding["fix"]])


# The lesson's objects.
def headless_service(*, selector: str = "redis", headless: bool = True) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"app": selector},
        "ports": [{"name": "redis", "port": 6379}],
    }
    if headless:
        spec["clusterIP"] = "None"
    metadata = {"name": "redis-headless", "labels": {"app": "redis"}}
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec}


def redis(
    *, replicas: int, storage_class: str, policy: str = "OrderedReady", start: int | None = None,
    annotations: dict[str, str] | None = None, grace: int = 10,
) -> dict[str, Any]:  # fmt: skip
    spec: dict[str, Any] = {
        "serviceName": "redis-headless",
        "replicas": replicas,
        "podManagementPolicy": policy,
        "selector": {"matchLabels": {"app": "redis"}},
        "template": {
            "metadata": {"labels": {"app": "redis"}, "annotations": annotations or {}},
            "spec": {
                "terminationGracePeriodSeconds": grace,
                "containers": [{
                    "name": "redis", "image": "redis:6.2-alpine",
                    "ports": [{"name": "redis", "containerPort": 6379}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                }],
            },
        },
        "volumeClaimTemplates": [{
            "metadata": {"name": "data", "labels": {"app": "redis"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
                     "resources": {"requests": {"storage": "1Gi"}}},
        }],
    }  # fmt: skip
    if start is not None:
        spec["ordinals"] = {"start": start}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "redis", "labels": {"app": "redis"}}, "spec": spec}  # fmt: skip


async def create(
    api: ApiClient, namespace: str, statefulset: dict[str, Any], *, service: bool = True
) -> None:
    if service:
        await client.CoreV1Api(api).create_namespaced_service(namespace, headless_service())
    await client.AppsV1Api(api).create_namespaced_stateful_set(namespace, statefulset)


def _ready(pod: client.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())


async def pods(api: ApiClient, namespace: str) -> dict[str, client.V1Pod]:
    listed = await client.CoreV1Api(api).list_namespaced_pod(namespace)
    return {p.metadata.name: p for p in listed.items}


async def until_ready(api: ApiClient, namespace: str, names: set[str]) -> None:
    """Exactly `names` exist, all Ready and not terminating, and their claims Bound."""
    core = client.CoreV1Api(api)

    async def settled() -> bool:
        now = await pods(api, namespace)
        ready = {n for n, p in now.items() if _ready(p) and not p.metadata.deletion_timestamp}
        claims = (await core.list_namespaced_persistent_volume_claim(namespace)).items
        bound = {c.metadata.name for c in claims if c.status.phase == "Bound"}
        return ready == names == set(now) and {f"data-{n}" for n in names} <= bound

    await until(settled, what=f"{sorted(names)} Ready with bound claims")


async def lesson(api: ApiClient, namespace: str, lab: LabHandle, **kwargs: Any) -> None:
    """The lesson's healthy redis set at 3 replicas (ordinals 0..2 unless `start`)."""
    await create(api, namespace, redis(replicas=3, storage_class=lab.storage_class, **kwargs))
    start = kwargs.get("start") or 0
    await until_ready(api, namespace, {f"redis-{i}" for i in range(start, start + 3)})


# Healthy sets and status.
async def test_healthy_lesson_set(lab: LabHandle, kube_api: ApiClient, namespace: str) -> None:
    await lesson(kube_api, namespace, lab)
    code, table = await run(lab, "status", namespace, "redis")  # the lesson checker's argv
    assert code == 0, table
    assert "3/3 ready" in table
    assert "redis-headless: headless, selects 3/3 pods" in table
    assert "OrderedReady" in table
    assert f"redis-1.redis-headless.{namespace}.svc.cluster.local" in table
    lines = [line.split()[0] for line in table.splitlines() if line[:1].isdigit()]
    assert lines == ["0", "1", "2"]
    assert f"claim data-redis-2: Bound, 1Gi, class {lab.storage_class}, RWO, volume pvc-" in table

    code, out = await run(lab, "status", "-n", namespace, "redis", "-o", "json")
    assert code == 0, out
    status = json.loads(out)
    assert [r["pod"] for r in status["rows"]] == ["redis-0", "redis-1", "redis-2"]
    assert all(r["ip"] and r["node"] and r["ready"] for r in status["rows"])
    assert all(r["claims"][0]["status"] == "Bound" for r in status["rows"])
    assert status["current_revision"] == status["update_revision"] != ""
    code, out = await run(lab, "status", "-n", namespace, "redis", "-o", "yaml")
    assert yaml.safe_load(out) == status | {"rows": yaml.safe_load(out)["rows"]}

    code, out = await run(lab, "doctor", "-n", namespace, "redis")
    assert code == ExitCode.OK, out
    assert out == f"StatefulSet {namespace}/redis: healthy, no findings\n"


async def test_status_parallel_with_start_ordinal(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await lesson(kube_api, namespace, lab, policy="Parallel", start=5)
    code, out = await run(lab, "status", "-n", namespace, "redis", "-o", "json")
    assert code == 0, out
    status = json.loads(out)
    assert status["pod_management_policy"] == "Parallel"
    assert status["ordinals_start"] == 5
    assert [(r["ordinal"], r["pod"]) for r in status["rows"]] == [
        (5, "redis-5"), (6, "redis-6"), (7, "redis-7"),
    ]  # fmt: skip
    assert [r["claims"][0]["name"] for r in status["rows"]] == [
        "data-redis-5", "data-redis-6", "data-redis-7",
    ]  # fmt: skip
    code, table = await run(lab, "status", "-n", namespace, "redis")
    assert "start 5 (5..7)" in table
    code, out = await run(lab, "doctor", "-n", namespace, "redis")
    assert code == ExitCode.OK, out


# Each diagnosis.
async def test_storage_class_that_does_not_exist(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await create(kube_api, namespace, redis(replicas=1, storage_class="no-such-class"))
    finding = await until_finding(lab, namespace, causes.CLAIM_NOT_BOUND, causes.NO_STORAGE_CLASS)
    assert finding["severity"] == "error"
    assert finding["subject"] == "PersistentVolumeClaim data-redis-0"
    assert "pod redis-0 is Pending" in finding["what"]
    assert 'StorageClass "no-such-class" does not exist' in text_of(finding)
    code, out = await run(lab, "doctor", "-n", namespace, "redis")
    assert code == ExitCode.VERDICT_FAILED, out
    code, table = await run(lab, "status", "-n", namespace, "redis")
    assert "claim data-redis-0: Pending" in table
    assert "Pending" in table.splitlines()[-2]


@contextlib.asynccontextmanager
async def storage_class(
    api: ApiClient, name: str, *, provisioner: str, binding: str = "Immediate"
) -> AsyncIterator[str]:
    """A cluster-wide StorageClass for one test, deleted after it."""
    storage = client.StorageV1Api(api)
    body = {"metadata": {"name": name}, "provisioner": provisioner,
            "volumeBindingMode": binding, "reclaimPolicy": "Delete"}  # fmt: skip
    await storage.create_storage_class(body)
    try:
        yield name
    finally:
        await storage.delete_storage_class(name)


async def test_class_whose_provisioner_never_acts(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    async with storage_class(kube_api, f"{namespace}-none", provisioner="example.com/nobody") as sc:
        await create(kube_api, namespace, redis(replicas=1, storage_class=sc))
        finding = await until_finding(
            lab, namespace, causes.CLAIM_NOT_BOUND, causes.NO_PROVISIONER, saying="has not acted"
        )
        assert finding["severity"] == "error"
        assert "example.com/nobody" in text_of(finding)
        assert "ExternalProvisioning" in text_of(finding)


async def test_first_consumer_that_cannot_be_scheduled(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    name = f"{namespace}-wffc"
    async with storage_class(
        kube_api, name, provisioner="example.com/nobody", binding="WaitForFirstConsumer"
    ):
        body = redis(replicas=1, storage_class=name)
        body["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}  # no node has it
        await create(kube_api, namespace, body)
        # The claim waits for its consumer from the start; it is an error once the scheduler
        # has said why the consumer cannot run (PodScheduled False), a moment later.
        finding = await until_finding(
            lab,
            namespace,
            causes.CLAIM_NOT_BOUND,
            causes.WAITING_FOR_CONSUMER,
            saying="PodScheduled False",
        )
        assert finding["severity"] == "error"
        assert "pod redis-0: PodScheduled False (Unschedulable:" in text_of(finding)
        assert "node(s) didn't match Pod's node affinity/selector" in text_of(finding)


async def test_static_class_without_a_fitting_volume(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    name = f"{namespace}-static"
    core = client.CoreV1Api(kube_api)
    volume = {"metadata": {"name": name}, "spec": {
        "storageClassName": name, "capacity": {"storage": "500Mi"},
        "accessModes": ["ReadOnlyMany"], "hostPath": {"path": f"/tmp/{name}"},
        "persistentVolumeReclaimPolicy": "Retain"}}  # fmt: skip
    async with storage_class(kube_api, name, provisioner="kubernetes.io/no-provisioner"):
        await core.create_persistent_volume(volume)
        try:
            await create(kube_api, namespace, redis(replicas=1, storage_class=name))
            finding = await until_finding(
                lab, namespace, causes.CLAIM_NOT_BOUND, causes.VOLUME_MISMATCH
            )
            assert f"PV {name}: capacity 500Mi < 1Gi" in text_of(finding)
            assert "accessModes ['ReadOnlyMany'] lack ['ReadWriteOnce']" in text_of(finding)
        finally:
            await core.delete_persistent_volume(name)


async def test_service_deleted(lab: LabHandle, kube_api: ApiClient, namespace: str) -> None:
    await lesson(kube_api, namespace, lab)
    await client.CoreV1Api(kube_api).delete_namespaced_service("redis-headless", namespace)
    finding = await until_finding(lab, namespace, causes.SERVICE_MISSING)
    assert finding["severity"] == "error"
    for i in range(3):
        assert f"redis-{i}.redis-headless.{namespace}.svc.cluster.local" in finding["what"]
    assert '"clusterIP":"None"' in text_of(finding)


async def test_service_with_a_wrong_selector(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await lesson(kube_api, namespace, lab)
    await client.CoreV1Api(kube_api).patch_namespaced_service(
        "redis-headless", namespace, {"spec": {"selector": {"app": "redis-typo"}}}
    )
    finding = await until_finding(lab, namespace, causes.SERVICE_SELECTS_NO_POD)
    assert '"app": "redis-typo"' in text_of(finding)
    assert "redis-0.redis-headless" in finding["what"]
    assert '{"spec":{"selector":{"app":"redis"}}}' in text_of(finding)


async def test_service_not_headless(lab: LabHandle, kube_api: ApiClient, namespace: str) -> None:
    await client.CoreV1Api(kube_api).create_namespaced_service(
        namespace, headless_service(headless=False)
    )
    await create(kube_api, namespace, redis(replicas=2, storage_class=lab.storage_class),
                 service=False)  # fmt: skip
    await until_ready(kube_api, namespace, {"redis-0", "redis-1"})
    finding = await until_finding(lab, namespace, causes.SERVICE_NOT_HEADLESS)
    assert "spec.clusterIP is '" in text_of(finding)
    assert "kubectl delete service redis-headless" in text_of(finding)


async def test_pod_held_unready_stalls_ordered_scale_up(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await create(kube_api, namespace, redis(replicas=3, storage_class=lab.storage_class,
                                            annotations={HOLD_ANNOTATION: "redis-1"}))  # fmt: skip
    finding = await until_finding(lab, namespace, causes.SCALE_UP_STUCK, causes.NOT_READY)
    assert finding["severity"] == "error"
    assert "held by redis-1 (not Ready since" in finding["what"]
    assert "held: not created: redis-2" in finding["why"]
    _code, table = await run(lab, "status", "-n", namespace, "redis")
    assert [line.split()[:3] for line in table.splitlines() if line.startswith("2 ")] == [
        ["2", "-", "missing"]
    ]


async def test_stuck_rollout_needs_forced_rollback(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await lesson(kube_api, namespace, lab)
    new_image = {"containers": [{"name": "redis", "image": "redis:7.0-alpine"}]}
    held = {"annotations": {HOLD_ANNOTATION: "true"}}
    patch = {"spec": {"template": {"metadata": held, "spec": new_image}}}
    await client.AppsV1Api(kube_api).patch_namespaced_stateful_set("redis", namespace, patch)
    finding = await until_finding(lab, namespace, causes.ROLLOUT_STUCK, saying="forced rollback")
    assert finding["severity"] == "error"
    assert "held by redis-2" in finding["what"]
    assert "forced rollback" in text_of(finding)
    assert f"kubectl rollout undo statefulset/redis -n {namespace}" in text_of(finding)
    assert f"kubectl delete pod -n {namespace} redis-2" in text_of(finding)
    assert "held: not updated to revision" in text_of(finding)


async def test_container_in_crash_loop(lab: LabHandle, kube_api: ApiClient, namespace: str) -> None:
    await create(kube_api, namespace, redis(replicas=2, storage_class=lab.storage_class,
                                            annotations={CRASH_ANNOTATION: "redis-1"}))  # fmt: skip
    finding = await until_finding(lab, namespace, causes.CRASH_LOOP)
    assert finding["subject"] == "pod redis-1"
    assert "last exit Error (exit code 1), 5 restarts" in finding["what"]
    assert f"kubectl logs -n {namespace} redis-1 -c redis --previous" in text_of(finding)
    assert "back-off of 2m40s" in text_of(finding)
    _code, table = await run(lab, "status", "-n", namespace, "redis")
    row = next(line for line in table.splitlines() if line.startswith("1 "))
    assert "Error (exit 1)" in row
    assert " 5 " in row


async def test_stale_claims_after_scale_down(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await lesson(kube_api, namespace, lab)
    await client.AppsV1Api(kube_api).patch_namespaced_stateful_set_scale(
        "redis", namespace, {"spec": {"replicas": 1}}
    )

    async def one_left() -> bool:
        return set(await pods(kube_api, namespace)) == {"redis-0"}

    await until(one_left, what="redis-2 and redis-1 gone")
    code, report = await doctor(lab, namespace)
    assert code == ExitCode.OK, report
    (finding,) = findings_with(report, causes.CLAIM_STALE)
    assert finding["severity"] == "warning"
    assert f"kubectl delete pvc -n {namespace} data-redis-1 data-redis-2" in text_of(finding)


async def test_pod_held_terminating_by_a_finalizer(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await lesson(kube_api, namespace, lab, grace=1)
    core = client.CoreV1Api(kube_api)
    await core.patch_namespaced_pod(
        "redis-2", namespace, {"metadata": {"finalizers": ["stswatch.dev/test-hold"]}}
    )
    await core.delete_namespaced_pod("redis-2", namespace)
    try:
        finding = await until_finding(lab, namespace, causes.STUCK_TERMINATING)
        assert finding["subject"] == "pod redis-2"
        assert "held by finalizer(s) stswatch.dev/test-hold" in finding["what"]
        assert '"path":"/metadata/finalizers"' in text_of(finding)
        _code, table = await run(lab, "status", "-n", namespace, "redis")
        assert "Terminating" in next(li for li in table.splitlines() if li.startswith("2 "))
    finally:
        await core.patch_namespaced_pod("redis-2", namespace, {"metadata": {"finalizers": None}})


# Bad input.
async def test_missing_namespace_and_statefulset_name_what_exists(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await lesson(kube_api, namespace, lab)
    code, out = await run(lab, "status", "-n", namespace, "rediss")
    assert code == ExitCode.NOT_FOUND, out
    assert f"StatefulSet 'rediss' in namespace '{namespace}' does not exist" in out
    assert "did you mean redis?" in out
    code, out = await run(lab, "doctor", f"{namespace}x", "redis")
    assert code == ExitCode.NOT_FOUND, out
    assert f"namespace '{namespace}x' does not exist" in out
    assert namespace in out
    assert "Traceback" not in out


async def test_refused_and_unreachable(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    core = client.CoreV1Api(kube_api)
    await core.create_namespaced_service_account(namespace, {"metadata": {"name": "nobody"}})
    token = await core.create_namespaced_service_account_token(
        "nobody", namespace, {"spec": {"expirationSeconds": 600}}
    )
    config = yaml.safe_load(lab.kubeconfig.read_text())
    config["users"] = [{"name": "nobody", "user": {"token": token.status.token}}]
    for context in config["contexts"]:
        context["context"]["user"] = "nobody"
    nobody = tmp_path / "nobody.kubeconfig"
    nobody.write_text(yaml.safe_dump(config))
    result = await asyncio.to_thread(
        _cli, "doctor", "-n", namespace, "redis", "--kubeconfig", str(nobody)
    )
    assert result[0] == ExitCode.FORBIDDEN, result[1]
    assert "refused to get statefulsets/redis in namespace" in result[1]
    assert "403 forbidden" in result[1]

    # A namespace-scoped reader: doctor works, and says what it could not check.
    await lesson(kube_api, namespace, lab)
    rbac = client.RbacAuthorizationV1Api(kube_api)
    rules = [
        {"apiGroups": ["apps"], "resources": ["statefulsets"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "verbs": ["get", "list"],
         "resources": ["pods", "persistentvolumeclaims", "services", "events"]},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list"]},
    ]  # fmt: skip
    await rbac.create_namespaced_role(namespace, {"metadata": {"name": "reader"}, "rules": rules})
    binding = {
        "metadata": {"name": "reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "nobody", "namespace": namespace}],
    }
    await rbac.create_namespaced_role_binding(namespace, binding)

    async def allowed() -> bool:
        code, _ = await asyncio.to_thread(
            _cli, "doctor", "-n", namespace, "redis", "--kubeconfig", str(nobody)
        )
        return code == ExitCode.OK

    await until(allowed, what="the Role to take effect")
    _code, out = await asyncio.to_thread(
        _cli, "doctor", "-n", namespace, "redis", "--kubeconfig", str(nobody)
    )
    assert out.startswith(f"StatefulSet {namespace}/redis: healthy, no findings\n"), out
    assert "not checked: list persistentvolumes (403 forbidden) was refused" in out
    assert "not checked: list nodes (403 forbidden) was refused" in out

    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = "https://127.0.0.1:9"  # discard port: nothing listens
    gone = tmp_path / "gone.kubeconfig"
    gone.write_text(yaml.safe_dump(config))
    result = await asyncio.to_thread(_cli, "status", "-n", namespace, "redis",
                                     "--kubeconfig", str(gone))  # fmt: skip
    assert result[0] == ExitCode.CLUSTER, result[1]
    assert "cannot reach the API server at https://127.0.0.1:9" in result[1]


async def test_watch_redraws_on_change(lab: LabHandle, kube_api: ApiClient, namespace: str) -> None:
    await create(kube_api, namespace, redis(replicas=1, storage_class=lab.storage_class))
    await until_ready(kube_api, namespace, {"redis-0"})
    cluster = await connect(kubeconfig=lab.kubeconfig, context=None)
    frames: list[SetObjects] = []
    task = asyncio.create_task(
        watch_world(cluster, namespace=namespace, name="redis", redraw=frames.append)
    )
    try:

        async def first() -> bool:
            return bool(frames)

        await until(first, what="the first frame")
        await client.AppsV1Api(kube_api).patch_namespaced_stateful_set_scale(
            "redis", namespace, {"spec": {"replicas": 2}}
        )

        async def scaled() -> bool:
            return any(
                "redis-1" in {p["metadata"]["name"] for p in f.pods}
                and any(_ready_json(p) for p in f.pods if p["metadata"]["name"] == "redis-1")
                for f in frames
            )

        await until(scaled, what="a frame with redis-1 Ready")
        assert 2 <= len(frames) < 60  # redrawn on changes, not once per event storm or second
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await cluster.close()


def _ready_json(pod: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


async def test_status_watch_command_redraws_and_stops_on_ctrl_c(
    lab: LabHandle, kube_api: ApiClient, namespace: str
) -> None:
    await create(kube_api, namespace, redis(replicas=1, storage_class=lab.storage_class))
    await until_ready(kube_api, namespace, {"redis-0"})
    stswatch = str(Path(sys.executable).with_name("stswatch"))
    process = await asyncio.create_subprocess_exec(
        stswatch, "status", "-n", namespace, "redis", "--watch",
        "--kubeconfig", str(lab.kubeconfig),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        # A run started in the background inherits SIGINT ignored; Ctrl-C must reach this one.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    assert process.stdout is not None
    seen: list[str] = []

    async def read_until(text: str) -> None:
        async def found() -> bool:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=WAIT_S)  # type: ignore[union-attr]
            seen.append(line.decode())
            return text in seen[-1]

        await until(found, what=f"a frame with {text!r}")

    try:
        await read_until("1/1 ready")
        await client.AppsV1Api(kube_api).patch_namespaced_stateful_set_scale(
            "redis", namespace, {"spec": {"replicas": 2}}
        )
        await read_until("2/2 ready")
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), timeout=30) == ExitCode.OK
        assert sum("(watching; Ctrl-C to stop)" in line for line in seen) >= 2
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
