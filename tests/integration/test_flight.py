"""`stswatch record --continuous` against the real control plane, as its own process.

Pieces roll and are verified as ordinary stores, retention deletes the oldest and says so, a
full disk (a real 2 MiB tmpfs) is waited out and the recording resumes by itself, a standby
takes the Lease over when the holder is killed, /metrics is scraped and parsed with
prometheus_client's own parser, and a missing verb stops the recorder before any file exists.
Every wait is bounded in time and count; nothing asserts how long anything took.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient
from prometheus_client.parser import text_string_to_metric_families
from record_support import duplicated_pairs, service_account_kubeconfig, store_rows

from stswatch.errors import ExitCode
from stswatch.lab.lab import LabHandle
from stswatch.record.pieces import list_pieces

pytestmark = pytest.mark.integration

WAIT_S = 180.0
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Flight:
    """One `record --continuous` process and its health port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def status(self, path: str) -> int | None:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
                http.get(self.url(path)) as response,
            ):
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def metrics(self) -> dict[str, float]:
        """Every sample of /metrics, parsed by prometheus_client: `name{label=value,...}`."""
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.get(self.url("/metrics")) as response,
        ):
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
        return samples

    def stop_after_duration(self) -> tuple[int, str]:
        """Wait for a --duration run to end by itself: its exit status and output."""
        code = self.process.wait(timeout=WAIT_S)
        return code, self.log.read_text(errors="replace")

    def stop(self) -> tuple[int, str]:
        """SIGTERM, then its exit status and output."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(timeout=30)
        return code, self.log.read_text(errors="replace")


@contextlib.contextmanager
def flight(lab: LabHandle, tmp_path: Path, name: str, *args: str) -> Iterator[Flight]:
    port = _free_port()
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stswatch",
                "record",
                "--continuous",
                "--kubeconfig",
                str(lab.kubeconfig),
                "--listen",
                f"127.0.0.1:{port}",
                "--log-format",
                "json",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=env,
        )
    handle = Flight(process, port, log)
    try:
        yield handle
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


async def until(what: str, check: Callable[[], Any], *, limit_s: float = WAIT_S) -> Any:
    """Poll `check` (sync or async) every 0.5 s until truthy; fail naming `what` after limit_s."""
    deadline = time.monotonic() + limit_s
    for _ in range(int(limit_s / 0.5) + 1):
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what} after {limit_s:g} s")


async def _ready(f: Flight) -> bool:
    assert f.process.poll() is None, f.log.read_text(errors="replace")
    return await f.status("/readyz") == 200


def _service(name: str, *, note: str = "", size: int = 0) -> dict[str, Any]:
    annotations = {"note": note}
    if size:
        annotations["padding"] = "x" * size
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"ports": [{"port": 80}], "selector": {"app": name}},
    }


def _verify(db: Path, session: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stswatch", "verify", session, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )


async def test_continuous_recording_rolls_prunes_and_serves_metrics(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    core = client.CoreV1Api(kube_api)
    pieces = tmp_path / "pieces"
    args = ("--dir", str(pieces), "-n", namespace, "--piece-every", "5s", "--retain", "12s")
    with flight(lab, tmp_path, "flight", *args) as f:
        await until("the recorder to be healthy", lambda: f.status("/healthz"))
        await until("the recorder to be ready", lambda: _ready(f))
        for i in range(40):
            await core.create_namespaced_service(namespace, _service(f"svc-{i}", note="new"))
            await asyncio.sleep(0.5)
            if i % 8 == 7:
                metrics = await f.metrics()
                if metrics.get("stswatch_retention_deletions_total{cause=age}", 0) >= 1:
                    break
        metrics = await until(
            "a piece deleted by retention",
            lambda: _retention_seen(f),
        )
        assert metrics["stswatch_changes_recorded_total{kind=Service}"] >= 1
        assert metrics["stswatch_piece_rolls_total{cause=period}"] >= 2
        assert metrics["stswatch_lease_holder"] == 1.0  # no Lease asked: it records
        assert metrics["stswatch_store_bytes"] > 0
        assert metrics["stswatch_commit_lag_seconds_count"] >= 1
        assert metrics["stswatch_gaps_recorded_total{reason=piece roll}"] >= 1
        code, out = f.stop()
    assert code == ExitCode.OK, out
    assert '"event":"retention deleted a piece"' in out
    left = list_pieces(pieces)
    assert len(left) >= 2, out
    # The oldest piece left says its earlier history was pruned; every later one where its
    # history continues; each is a store of its own that `verify` reads as any other.
    oldest = store_rows(left[0].path, "SELECT DISTINCT reason FROM gap")
    assert any(r[0].startswith("retention: history before this piece was pruned") for r in oldest)
    for piece in left[1:]:
        reasons = {r[0] for r in store_rows(piece.path, "SELECT reason FROM gap")}
        assert any(r.startswith("piece roll: earlier history in stswatch-") for r in reasons), (
            piece.name,
            reasons,
        )
    for piece in left:
        assert duplicated_pairs(piece.path) == []
        result = _verify(piece.path, namespace)
        assert result.returncode == ExitCode.OK, result.stdout + result.stderr
        assert f"session {namespace}" in result.stdout
    created = {
        name
        for piece in left
        for (name,) in store_rows(
            piece.path, "SELECT DISTINCT name FROM change WHERE kind='Service'"
        )
    }
    assert created, "no Service recorded in the pieces left"
    # The folder read as one session: every piece left, joined, no (uid, resourceVersion) twice.
    result = _verify(pieces, namespace)
    assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    assert "retention: history before this piece was pruned" in result.stdout
    exported = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "stswatch", "export", namespace, "--db", str(pieces)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True,
    )
    lines = [orjson.loads(line) for line in exported.stdout.splitlines()]
    pairs = [(line["uid"], line["resource_version"]) for line in lines]
    assert len(pairs) == len(set(pairs))
    assert {line["name"] for line in lines if line["kind"] == "Service"} == created


async def _retention_seen(f: Flight) -> dict[str, float] | None:
    metrics = await f.metrics()
    return metrics if metrics.get("stswatch_retention_deletions_total{cause=age}", 0) >= 1 else None


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def test_a_full_disk_stops_writing_cleanly_and_recording_resumes_by_itself(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    core = client.CoreV1Api(kube_api)
    with tmpfs(tmp_path / "small", "2m") as pieces:
        with flight(lab, tmp_path, "full", "--dir", str(pieces), "-n", namespace) as f:
            await until("the recorder to be ready", lambda: _ready(f))
            # ~100 KB Services until the 2 MiB filesystem is full and a commit fails.
            for i in range(60):
                await core.create_namespaced_service(namespace, _service(f"big-{i}", size=100_000))
                metrics = await f.metrics()
                if metrics.get("stswatch_store_unwritable_total", 0) >= 1:
                    break
            metrics = await until("a full disk to be seen", lambda: _unwritable(f))
            assert metrics["stswatch_writing"] == 0.0
            assert await f.status("/readyz") == 503
            assert await f.status("/healthz") == 200  # alive: never a crash loop
            # Committed data stays readable while the disk is full.
            piece = list_pieces(pieces)[-1]
            assert store_rows(piece.path, "PRAGMA quick_check") == [("ok",)]
            before = store_rows(piece.path, "SELECT count(*) FROM change")[0][0]
            # Changes while nothing can be written are recovered by the relist after it.
            await core.patch_namespaced_service(
                "big-0", namespace, {"metadata": {"annotations": {"note": "while full"}}}
            )
            remount = ["mount", "-o", "remount,size=64m", str(pieces)]
            await asyncio.to_thread(subprocess.run, remount, check=True)
            await until("writing to resume", lambda: _ready(f))
            await core.create_namespaced_service(namespace, _service("after", note="space back"))
            await until(
                "the change after the disk came back",
                lambda: store_rows(piece.path, "SELECT 1 FROM change WHERE name = 'after'"),
            )
            code, out = f.stop()
        assert code == ExitCode.OK, out
        assert '"event":"the store cannot be written (disk full?): writing stopped' in out
        assert store_rows(piece.path, "PRAGMA quick_check") == [("ok",)]
        assert store_rows(piece.path, "SELECT count(*) FROM change")[0][0] > before
        reasons = {r[0] for r in store_rows(piece.path, "SELECT reason FROM gap")}
        assert "disk full: the store could not be written" in reasons, reasons
        notes = store_rows(
            piece.path,
            "SELECT json_extract(object, '$.metadata.annotations.note') FROM change "
            "WHERE name = 'big-0' ORDER BY id",
        )
        assert ("while full",) in notes
        assert duplicated_pairs(piece.path) == []


async def _unwritable(f: Flight) -> dict[str, float] | None:
    metrics = await f.metrics()
    return metrics if metrics.get("stswatch_store_unwritable_total", 0) >= 1 else None


async def test_a_standby_takes_the_lease_over_when_the_holder_dies(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    core = client.CoreV1Api(kube_api)
    pieces = tmp_path / "pieces"  # one volume both replicas mount, as a rollout's two pods
    args = ("--dir", str(pieces), "-n", namespace, "--lease-namespace", namespace)
    args += ("--lease-duration", "6")
    with flight(lab, tmp_path, "a", *args) as a:
        await until("the first replica to be ready", lambda: _ready(a))
        with flight(lab, tmp_path, "b", *args) as b:
            await until("the standby to serve", lambda: b.status("/healthz"))
            assert await b.status("/readyz") == 503
            assert (await b.metrics())["stswatch_lease_holder"] == 0.0
            await core.create_namespaced_service(namespace, _service("before"))
            piece = await until("a piece", lambda: list_pieces(pieces))
            db = piece[-1].path
            await until(
                "the change before the handover",
                lambda: store_rows(db, "SELECT 1 FROM change WHERE name = 'before'"),
            )
            a.process.kill()  # the holder's pod deleted: no release, the Lease must expire
            a.process.wait(timeout=30)
            await core.create_namespaced_service(namespace, _service("during"))
            await until("the standby to take over", lambda: _ready(b), limit_s=WAIT_S)
            assert (await b.metrics())["stswatch_lease_holder"] == 1.0
            await core.create_namespaced_service(namespace, _service("after"))
            await until(
                "the change after the handover",
                lambda: store_rows(db, "SELECT 1 FROM change WHERE name = 'after'"),
            )
            code, out = b.stop()
    assert code == ExitCode.OK, out
    names = {r[0] for r in store_rows(db, "SELECT DISTINCT name FROM change WHERE kind='Service'")}
    assert {"before", "during", "after"} <= names
    reasons = [r[0] for r in store_rows(db, "SELECT reason FROM gap")]
    assert "recorder down" in reasons, reasons
    assert duplicated_pairs(db) == []
    runs = store_rows(db, "SELECT count(*) FROM run")[0][0]
    assert runs == 2


async def test_a_missing_verb_is_named_and_nothing_is_created(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    config = await service_account_kubeconfig(
        kube_api, lab, namespace=namespace, name="flight", path=tmp_path / "flight.kubeconfig"
    )
    rbac = client.RbacAuthorizationV1Api(kube_api)
    # Everything a namespace recording and its Lease need, but `update` on leases.
    rules = [
        {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
        {
            "apiGroups": [""],
            "resources": ["pods", "persistentvolumeclaims", "services", "events"],
            "verbs": ["list", "watch"],
        },
        {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["list", "watch"]},
        {
            "apiGroups": ["apps"],
            "resources": ["statefulsets", "controllerrevisions"],
            "verbs": ["list", "watch"],
        },
        {
            "apiGroups": ["discovery.k8s.io"],
            "resources": ["endpointslices"],
            "verbs": ["list", "watch"],
        },
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create"]},
    ]
    role = f"{namespace}-flight"
    await rbac.create_cluster_role({"metadata": {"name": role}, "rules": rules})
    await rbac.create_cluster_role_binding(
        {
            "metadata": {"name": role},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [{"kind": "ServiceAccount", "name": "flight", "namespace": namespace}],
        }
    )
    try:
        pieces = tmp_path / "pieces"
        result = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "stswatch",
                "record",
                "--continuous",
                "--dir",
                str(pieces),
                "-n",
                namespace,
                "--lease-namespace",
                namespace,
                "--kubeconfig",
                str(config),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            cwd=tmp_path,
            check=False,
        )
        assert result.returncode == ExitCode.FORBIDDEN, result.stdout + result.stderr
        errors = [line for line in result.stderr.splitlines() if "error" in line]
        assert errors == [
            f"stswatch: error: the API server at {lab.api_server_url} does not grant what this "
            "recording needs, so nothing was recorded: missing update on "
            f"leases.coordination.k8s.io in namespace '{namespace}'"
        ], result.stderr
        assert not pieces.exists()
    finally:
        await rbac.delete_cluster_role_binding(role)
        await rbac.delete_cluster_role(role)


async def test_several_namespaces_are_one_session_each_in_a_piece_and_a_bad_piece_is_left_alone(
    lab: LabHandle, namespace: str, tmp_path: Path
) -> None:
    pieces = tmp_path / "pieces"
    pieces.mkdir()
    # The newest piece is damaged: it is left byte for byte, and recording goes on in a new one.
    # Named at today's UTC midnight, the start of the current period (--piece-every 1d), so that
    # it is the piece a restarted recorder would resume: one of an earlier day is rolled past
    # without being opened.
    stamp = datetime.now(UTC).strftime("%Y%m%dT000000Z")
    damaged = pieces / f"stswatch-{stamp}.db"
    damaged.write_bytes(b"not a database, but someone's file" * 100)
    args = ("--dir", str(pieces), "-n", namespace, "-n", "default", "--duration", "5s")
    with flight(lab, tmp_path, "two", *args) as f:
        code, out = await asyncio.to_thread(f.stop_after_duration)
    assert code == ExitCode.OK, out
    assert damaged.read_bytes() == b"not a database, but someone's file" * 100
    assert '"event":"a piece cannot be read: left as it is, recording on in a new one"' in out
    written = [p for p in list_pieces(pieces) if p.path != damaged]
    assert len(written) == 1
    sessions = {r[0] for r in store_rows(written[0].path, "SELECT name FROM session")}
    assert sessions == {namespace, "default"}
    reasons = {r[0] for r in store_rows(written[0].path, "SELECT reason FROM gap")}
    assert reasons == {f"piece roll: {damaged.name} could not be read"}


async def test_a_namespace_that_is_not_there_exits_4_before_anything_is_created(
    lab: LabHandle, tmp_path: Path
) -> None:
    pieces = tmp_path / "pieces"
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable, "-m", "stswatch", "record", "--continuous", "--dir", str(pieces),
            "-n", "no-such-namespace", "--kubeconfig", str(lab.kubeconfig),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        cwd=tmp_path,
        check=False,
    )  # fmt: skip
    assert result.returncode == ExitCode.NOT_FOUND, result.stdout + result.stderr
    assert "namespace 'no-such-namespace' does not exist" in result.stderr
    assert not pieces.exists()
