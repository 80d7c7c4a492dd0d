"""Real nodes: real redis containers on a real kubelet, real cluster DNS, and a clean teardown.

One lab per module with two real nodes (no fake nodes), started and stopped here; its `down`
must leave nothing on the host, or the module errors. Marked `realnode`: needs root and the
Debian packages README names (the `real_lab` fixture: conftest.py).
"""

import asyncio
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import pytest_asyncio
import yaml
from click.testing import CliRunner
from kubernetes_asyncio.client import ApiClient
from realnode_support import (
    POLL_S,
    api_call,
    ready,
    skip_unless_real_nodes_can_run,
    until,
)
from record_support import recording

from stswatch.cli import main
from stswatch.errors import BadInputError, ExitCode, LabError
from stswatch.lab import realnode
from stswatch.lab.lab import LabHandle, attach_lab, lab_status, start_lab
from stswatch.lab.paths import LAB_DIR_ENV
from stswatch.lab.realnode import up as realnode_up
from stswatch.record.scope import RecordScope
from stswatch.reports.proofs.render import progress_lines
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import list_session_names, load_recording
from stswatch.scenario.objects import Objects, create_namespace, delete_namespace
from stswatch.scenario.runner import namespace_labels
from tests.fixtures.hostile import privileged_pod, scenario_applying
from tests.fixtures.verdicts import unexplained_inconclusive

pytestmark = [pytest.mark.integration, pytest.mark.realnode]


@pytest_asyncio.fixture(loop_scope="session")
async def objects(real_lab: LabHandle, request: pytest.FixtureRequest) -> AsyncIterator[Objects]:
    """A fresh namespace on the real-node lab, deleted afterwards."""
    api: ApiClient = await real_lab.new_api_client()
    async with api:
        name = f"rn-{request.node.name[5:25].replace('_', '-').strip('-')}-{os.getpid() % 1000}"
        await api.call_api(
            "/api/v1/namespaces",
            "POST",
            body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
            response_types_map={201: "object"},
            auth_settings=["BearerToken"],
        )
        try:
            yield Objects(api, name)
        finally:
            await api.call_api(
                f"/api/v1/namespaces/{name}",
                "DELETE",
                response_types_map={200: "object", 202: "object"},
                auth_settings=["BearerToken"],
            )


def _service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "redis-headless"},
        "spec": {
            "clusterIP": "None",
            "selector": {"app": "redis"},
            "ports": [{"name": "redis", "port": 6379}],
        },
    }


def _statefulset(*, replicas: int, storage_class: str, spread: bool = False) -> dict[str, Any]:
    """The lesson's redis, with a readiness probe that times out on its own.

    `spread`: at most one pod per node (required anti-affinity on the hostname).
    """
    anti_affinity = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "redis"}},
                    "topologyKey": "kubernetes.io/hostname",
                }
            ]
        }
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "redis"},
        "spec": {
            "serviceName": "redis-headless",
            "replicas": replicas,
            "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"app": "redis"}},
            "template": {
                "metadata": {"labels": {"app": "redis"}},
                "spec": {
                    "terminationGracePeriodSeconds": 10,
                    **({"affinity": anti_affinity} if spread else {}),
                    "containers": [
                        {
                            "name": "redis",
                            "image": "redis:6.2-alpine",
                            "ports": [{"name": "redis", "containerPort": 6379}],
                            "readinessProbe": {
                                "exec": {"command": ["timeout", "1", "redis-cli", "ping"]},
                                "periodSeconds": 1,
                                "timeoutSeconds": 2,
                                "failureThreshold": 1,
                            },
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": storage_class,
                        "resources": {"requests": {"storage": "64Mi"}},
                    },
                }
            ],
        },
    }


async def _pod_ready(objects: Objects, name: str, *, not_uid: str | None = None) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        pod = await objects.get("Pod", name)
        if pod is None or pod["metadata"]["uid"] == not_uid or not ready(pod):
            return None
        return pod

    found: dict[str, Any] = await until(f"{name} Ready", check)
    return found


async def _exec(objects: Objects, pod: str, command: list[str]) -> str:
    """Exec with a few retries (a just-Ready container may refuse the first stream)."""
    last: Exception | None = None
    for _ in range(10):
        try:
            ran = await asyncio.wait_for(objects.exec(pod, command=command, container=None), 30)
            assert ran.succeeded, ran.failure
            return ran.output
        except Exception as exc:  # the next try decides
            last = exc
            await asyncio.sleep(1)
    raise AssertionError(f"exec {command} in {pod} kept failing: {last}")


async def test_redis_data_survives_pod_deletion(real_lab: LabHandle, objects: Objects) -> None:
    await objects.apply(_service())
    await objects.apply(_statefulset(replicas=1, storage_class=real_lab.storage_class))
    first = await _pod_ready(objects, "redis-0")
    assert first["spec"]["nodeName"] in real_lab.real_nodes
    assert (await _exec(objects, "redis-0", ["redis-cli", "SET", "mykey", "kept"])).strip() == "OK"
    await objects.delete("Pod", "redis-0")
    second = await _pod_ready(objects, "redis-0", not_uid=first["metadata"]["uid"])
    got = await _exec(objects, "redis-0", ["redis-cli", "GET", "mykey"])
    assert got.strip() == "kept"
    claim = second["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert claim == "data-redis-0"
    # local-volume semantics: the volume was made for, and is tied to, the pod's node
    bound = await objects.get("PersistentVolumeClaim", claim)
    assert bound is not None
    volume = await api_call(
        objects.api, "GET", f"/api/v1/persistentvolumes/{bound['spec']['volumeName']}"
    )
    (term,) = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert term["matchExpressions"][0]["values"] == [second["spec"]["nodeName"]]


async def test_failing_readiness_probe_holds_ordered_ready_scale_up(
    real_lab: LabHandle, objects: Objects, tmp_path: Path
) -> None:
    """The e2e "halt" case on a real container, recorded: the verdicts tell the hold."""
    await objects.apply(_service())
    await objects.apply(_statefulset(replicas=1, storage_class=real_lab.storage_class))
    await _pod_ready(objects, "redis-0")
    db, scope = tmp_path / "halt.db", RecordScope(namespace=objects.namespace)
    async with recording(real_lab, db_path=db, session="halt", scope=scope) as recorder:
        # every client waits 20 s, so the probe's own `timeout 1` fails it: redis-0 turns unready
        paused = await _exec(objects, "redis-0", ["redis-cli", "CLIENT", "PAUSE", "20000"])
        assert paused.strip() == "OK"

        async def unready() -> bool:
            return not ready(await objects.get("Pod", "redis-0"))

        await until("redis-0 unready", unready, wait_s=15)
        await objects.apply(_statefulset(replicas=3, storage_class=real_lab.storage_class))
        held_until = time.monotonic() + 5
        while time.monotonic() < held_until:
            assert await objects.get("Pod", "redis-1") is None, "redis-1 created, redis-0 unready"
            await asyncio.sleep(POLL_S)
        # the pause ends, redis-0 is Ready again, and the scale-up goes on in order
        await _pod_ready(objects, "redis-1")
        await _pod_ready(objects, "redis-2")
        await asyncio.sleep(1)  # the set's status and the slices settle into the recording
        await recorder.stop()
    _the_hold_is_told(verify(load_recording(db, "halt"), statefulset="redis"))


def _the_hold_is_told(result: VerifyResult) -> None:
    """The scale-up 1 -> 3 passed gating, held at redis-0 until its probe passed again."""
    (episode,) = [e for e in result.episodes if e.kind == "scale-up" and "1→3" in e.summary]
    gating = next(v for v in episode.verdicts if v.proof == "ordered-ready-gating")
    assert gating.outcome == "pass", gating.reason
    # Not Ready, and why when the recording shows it (its failing probe's Unhealthy Events).
    told = re.search(r"held at redis-0 \(not Ready.*?\) for (\d+\.\d) s", gating.reason)
    assert told is not None, gating.reason
    assert "until redis-0 Ready, then redis-1 created" in gating.reason, gating.reason
    assert float(told.group(1)) >= 5, gating.reason  # the test saw no redis-1 for 5 s
    assert episode.progress is not None
    assert episode.progress.state == "completed", episode.progress.text
    (hold,) = [h for h in episode.progress.holds if h.pod == "redis-0"]
    assert hold.released_by == "redis-0 Ready", hold
    text = "\n".join(progress_lines(episode))
    assert re.search(r"held at redis-0 \(not Ready.*?\) for \d+\.\d s", text), text
    assert "until redis-0 Ready" in text, text


def _dns_query(name: str, *, server: tuple[str, int]) -> list[str]:
    """A records for `name` from `server` over UDP (a minimal resolver: one question)."""
    ident = random.randrange(1 << 16)
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(packet, server)
        reply, _ = sock.recvfrom(4096)
    _, flags, _, answers, _, _ = struct.unpack(">HHHHHH", reply[:12])
    offset = 12 + len(question) + 4
    addresses = []
    for _ in range(answers):
        if reply[offset] & 0xC0 == 0xC0:
            offset += 2
        else:
            while reply[offset]:
                offset += reply[offset] + 1
            offset += 1
        kind, _, _, length = struct.unpack(">HHIH", reply[offset : offset + 10])
        offset += 10
        if kind == 1 and length == 4:
            addresses.append(socket.inet_ntoa(reply[offset : offset + 4]))
        offset += length
    assert flags & 0x000F in (0, 3), f"DNS error rcode {flags & 0xF}"
    return addresses


async def test_per_pod_names_resolve_from_host_and_pod(
    real_lab: LabHandle, objects: Objects
) -> None:
    await objects.apply(_service())
    await objects.apply(_statefulset(replicas=1, storage_class=real_lab.storage_class))
    pod = await _pod_ready(objects, "redis-0")
    ip = pod["status"]["podIP"]
    fqdn = f"redis-0.redis-headless.{objects.namespace}.svc.cluster.local"
    server = real_lab.dns_server
    assert server is not None

    async def from_host() -> list[str]:
        return await asyncio.to_thread(_dns_query, fqdn, server=server)

    assert await until(f"{fqdn} from the host", from_host, wait_s=30) == [ip]
    await objects.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "dns-client"},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [
                    {
                        "name": "busybox",
                        "image": "busybox",
                        "command": ["sleep", "3600"],
                        "imagePullPolicy": "IfNotPresent",
                    }
                ],
            },
        }
    )
    await _pod_ready(objects, "dns-client")
    answer = await _exec(objects, "dns-client", ["nslookup", fqdn])
    assert ip in answer, answer


async def test_two_nodes_spread_pods_that_reach_each_other_by_name(
    real_lab: LabHandle, objects: Objects
) -> None:
    await objects.apply(_service())
    manifest = _statefulset(replicas=2, storage_class=real_lab.storage_class, spread=True)
    await objects.apply(manifest)
    pods = [await _pod_ready(objects, "redis-0"), await _pod_ready(objects, "redis-1")]
    assert {pod["spec"]["nodeName"] for pod in pods} == set(real_lab.real_nodes)
    # across the lab bridge, by the per-pod DNS name the headless Service gives redis-1
    peer = f"redis-1.redis-headless.{objects.namespace}.svc.cluster.local"
    answer = await _exec(objects, "redis-0", ["timeout", "5", "redis-cli", "-h", peer, "ping"])
    assert answer.strip() == "PONG"


def _traces(directory: Path) -> list[str]:
    """What a lab in `directory` still has on the host: layout, node dirs, mounts, bridge."""
    traces = []
    if realnode.read_layout(directory) is not None:
        traces.append("layout")
    if (directory / "nodes").exists():
        traces.append("nodes dir")
    mountinfo = Path("/proc/self/mountinfo").read_text().splitlines()
    traces += [f"mount {line.split()[4]}" for line in mountinfo if str(directory) in line]
    bridges = realnode._run(["ip", "-o", "link", "show", "type", "bridge"]).stdout
    if f"stsw{realnode.lab_key(directory.resolve())}" in bridges:
        traces.append("bridge")
    return traces


async def test_a_failed_up_leaves_the_host_clean(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    skip_unless_real_nodes_can_run()
    real_argv = realnode.kubelet_argv

    def broken(node: realnode.RealNode, *, kubelet: Path) -> tuple[str, ...]:
        return (*real_argv(node, kubelet=kubelet), "--no-such-flag")

    monkeypatch.setattr(realnode_up, "kubelet_argv", broken)
    directory = tmp_path_factory.mktemp("failed")  # short: the kubelet's sockets live in it
    with pytest.raises(LabError, match=r"kubelet of node 127\.0\.0\.2 exited during start-up"):
        await start_lab(directory, nodes=0, real_nodes=1, report=print, wait_s=30)
    assert await asyncio.to_thread(_traces, directory) == []
    status = lab_status(directory)
    assert status is not None
    assert not status.running


def test_demo_runs_the_lesson_with_exec_on_real_nodes(real_lab: LabHandle, tmp_path: Path) -> None:
    """The lesson under both policies with its exec steps: data survives, DNS answers, pass."""
    argv = ["demo", "--real-nodes", "--db", str(tmp_path / "s.db"), "-o", str(tmp_path / "out")]
    cli = CliRunner().invoke(
        main, argv, env={LAB_DIR_ENV: str(real_lab.directory)}, catch_exceptions=False
    )
    assert cli.exit_code == 0, cli.output
    assert cli.output.count("mykey survived: `redis-cli GET mykey` in redis-0") == 2, cli.output
    dns = [line for line in cli.output.splitlines() if "DNS redis-0.redis-headless." in line]
    assert len(dns) == 4, cli.output  # before and after the recreation, under both policies
    assert all("no address" not in line for line in dns), cli.output
    sessions = list_session_names(tmp_path / "s.db")
    for session in sessions:
        result = verify(load_recording(tmp_path / "s.db", session), statefulset="redis")
        assert result.count("fail") == 0, result.to_dict()
        assert not unexplained_inconclusive(result), result.to_dict()
        passed = {v.proof for v in result.verdicts if v.outcome == "pass"}
        assert {"stable-storage", "stable-network-identity"} <= passed, sorted(passed)
        _verify_cites_the_exec_outputs(tmp_path / "s.db", session)


def _verify_cites_the_exec_outputs(db: Path, session: str) -> None:
    """`stswatch verify` tells the value read back and the DNS answer beside the changes."""
    argv = ["verify", "--db", str(db), session, "--statefulset", "redis"]
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code == 0, cli.output
    storage = [line for line in cli.output.splitlines() if "PASS  stable-storage" in line]
    read_back = (
        "; `redis-cli GET mykey` in the new redis-0 printed 'hello-from-redis-0', the value "
        "`redis-cli SET` wrote in the old one (marks #"
    )
    assert any(read_back in line for line in storage), cli.output
    identity = [line for line in cli.output.splitlines() if "PASS  stable-network-identity" in line]
    answered = re.compile(
        r"; `nslookup redis-0\.redis-headless\.\S+\.svc\.cluster\.local` from pod dns-client "
        r"answered (\S+), the new redis-0's IP \(EndpointSlice change #\d+, mark #\d+\)"
    )
    assert any(answered.search(line) for line in identity), cli.output
    assert re.search(r"mark #\d+ \S+ step \d+ redis-cli GET mykey", cli.output), cli.output


def _crashing_set() -> dict[str, Any]:
    """A StatefulSet whose only container exits 3 at once: a real kubelet backs it off."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "crash"},
        "spec": {
            "serviceName": "crash",
            "replicas": 1,
            "selector": {"matchLabels": {"app": "crash"}},
            "template": {
                "metadata": {"labels": {"app": "crash"}},
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [
                        {
                            "name": "main",
                            "image": "busybox",
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["sh", "-c", "exit 3"],
                        }
                    ],
                },
            },
        },
    }


def _doctor(kubeconfig: Path, namespace: str) -> tuple[int, str]:
    argv = ["doctor", "-n", namespace, "crash", "--kubeconfig", str(kubeconfig)]
    result = CliRunner().invoke(main, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


async def test_a_scenario_cannot_run_a_privileged_pod_on_the_host(
    real_lab: LabHandle, tmp_path: Path
) -> None:
    # Issue 19, item 2: such a pod ran as root on the host, wrote a file there, and the run
    # said "2 pass".
    marker = Path("/tmp") / f"stswatch-owned-{os.getpid()}"
    hostile = privileged_pod(writes=str(marker))
    file = tmp_path / "hostile.yaml"
    file.write_text(yaml.safe_dump(scenario_applying(hostile)))
    result = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["scenario", "run", str(file), "--exec", "--kubeconfig", str(real_lab.kubeconfig),
         "--db", str(tmp_path / "s.db"), "-o", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert "spec.containers[0].securityContext.privileged: true" in result.output
    # What the file check might miss, the namespace's Pod Security admission refuses.
    api: ApiClient = await real_lab.new_api_client()
    async with api:
        name = f"rn-psa-{os.getpid() % 1000}"
        labels = namespace_labels("hostile", allow_privileged=False)
        await create_namespace(api, name=name, labels=labels)
        try:
            with pytest.raises(BadInputError) as info:
                await Objects(api, name).apply(hostile)
        finally:
            await delete_namespace(api, name=name)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    message = info.value.message
    assert 'violates PodSecurity "baseline:latest"' in message, message
    for field in ("hostPID", "hostPath", "privileged"):
        assert field in message, message
    await asyncio.sleep(2)
    assert not marker.exists()


async def test_doctor_names_a_real_crash_loop(real_lab: LabHandle, objects: Objects) -> None:
    """The kubelet's own CrashLoopBackOff (not the kwok stage's imitation) is diagnosed."""
    await objects.apply(_crashing_set())

    async def backing_off() -> dict[str, Any] | None:
        pod = await objects.get("Pod", "crash-0")
        statuses = (pod or {}).get("status", {}).get("containerStatuses") or []
        waiting = [s for s in statuses if s.get("state", {}).get("waiting", {}).get("reason")]
        return (
            pod
            if any(s["state"]["waiting"]["reason"] == "CrashLoopBackOff" for s in waiting)
            else None
        )

    pod = await until("crash-0 in CrashLoopBackOff", backing_off)
    (status,) = pod["status"]["containerStatuses"]
    assert status["lastState"]["terminated"]["exitCode"] == 3, status

    async def diagnosed() -> str | None:
        code, out = await asyncio.to_thread(_doctor, real_lab.kubeconfig, objects.namespace)
        return out if code == 1 and "CrashLoopBackOff" in out else None

    # the back-off window (10 s, then 20 s, ...) is when the kubelet reports the state
    report = await until("doctor to report the crash loop", diagnosed, wait_s=90)
    print(report)
    assert (
        "container main of pod crash-0 is in CrashLoopBackOff: last exit Error (exit code 3)"
        in report
    ), report
    assert f"kubectl logs -n {objects.namespace} crash-0 -c main --previous" in report, report


def _stswatch(directory: Path, *argv: str, timeout_s: float = 240) -> str:
    """`stswatch ARGV` as a user runs it, in its own process, on the lab in `directory`."""
    command = [str(Path(sys.executable).with_name("stswatch")), *argv]
    env = {**os.environ, LAB_DIR_ENV: str(directory)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s)
    assert done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return done.stdout


def _lines(command: list[str], *, keep: str) -> list[str]:
    out = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    return [line for line in out.splitlines() if keep in line]


def host_check(directory: Path) -> dict[str, list[str]]:
    """What docs/lab.md's check by hand finds of the lab in `directory` (empty lists: clean)."""
    key = realnode.lab_key(directory.resolve())
    nodes = str(directory.resolve() / "nodes")
    mountinfo = Path("/proc/self/mountinfo").read_text().splitlines()
    return {
        "processes (pgrep -a -f <lab>/nodes)": _lines(["pgrep", "-a", "-f", nodes], keep=nodes),
        "mounts (/proc/self/mountinfo)": [line.split()[4] for line in mountinfo if nodes in line],
        "bridge (ip link show type bridge)": _lines(
            ["ip", "-o", "link", "show", "type", "bridge"], keep=f"stsw{key}"
        ),
        "cgroup dirs (/sys/fs/cgroup/*/stswatch-<key>-*)": sorted(
            str(p) for p in Path("/sys/fs/cgroup").glob(f"*/stswatch-{key}-*")
        ),
        "iptables chains (iptables-save | grep KUBE)": _lines(["iptables-save"], keep="KUBE"),
        "shims (pgrep -a containerd-shim, of the lab)": _lines(
            ["pgrep", "-a", "-f", "containerd-shim"], keep=f"/run/stswatch/{key}-"
        ),
    }


def _report(title: str, check: dict[str, list[str]]) -> str:
    lines = [title]
    for what, found in check.items():
        lines.append(f"  {what}: {', '.join(found) if found else 'none'}")
    return "\n".join(lines)


async def _a_pod_runs(directory: Path) -> None:
    """A busybox pod on the lab's real node, Running and Ready (a sandbox, a shim, mounts)."""
    api: ApiClient = await attach_lab(directory).new_api_client()
    async with api:
        pods = Objects(api, "default")
        await pods.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "sleeper"},
                "spec": {
                    "containers": [
                        {
                            "name": "busybox",
                            "image": "busybox",
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["sleep", "3600"],
                        }
                    ]
                },
            }
        )
        await _pod_ready(pods, "sleeper")


@pytest.mark.parametrize("kill_kubelet", [False, True], ids=["normal", "kubelet-killed"])
async def test_lab_down_leaves_nothing_on_the_host(
    tmp_path_factory: pytest.TempPathFactory, kill_kubelet: bool
) -> None:
    """`lab up --real-nodes 1`, a pod, (a `kill -9` of the kubelet,) `lab down`: nothing left."""
    skip_unless_real_nodes_can_run()
    # short (the kubelet's sockets live in it), and where stop_leftover_labs looks after a crash
    directory = tmp_path_factory.mktemp("down")
    try:
        await asyncio.to_thread(_stswatch, directory, "lab", "up", "--real-nodes", "1")
        await _a_pod_runs(directory)
        running = await asyncio.to_thread(host_check, directory)
        assert all(running[what] for what in list(running)[:4]), running  # the check sees a lab
        print(_report(f"while the lab ran, a pod on its real node ({directory}):", running))
        if kill_kubelet:
            status = lab_status(directory)
            assert status is not None
            (kubelet,) = [r for r in status.state.processes if r.name.startswith("kubelet-")]
            os.kill(kubelet.pid, signal.SIGKILL)
            print(f"kill -9 {kubelet.pid} ({kubelet.name})")
            await until("the kubelet gone", lambda: _gone(kubelet.pid), wait_s=10)
    finally:
        await asyncio.to_thread(_stswatch, directory, "lab", "down")
    check = await asyncio.to_thread(host_check, directory)
    title = "after a kill -9 of the kubelet mid-run" if kill_kubelet else "after a normal run"
    print(_report(f"lab down {title} ({directory}):", check))
    assert not any(check.values()), check
    assert "stopped" in await asyncio.to_thread(_stswatch, directory, "lab", "status")


async def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
