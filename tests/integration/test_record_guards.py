"""What the recorder refuses before it writes: a session another recorder holds, missing RBAC.

Against the real control plane: the lab's RBAC decides the access reviews, and a second
recorder meets the first one's claim in the same store.
"""

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient
from record_support import recording, service_account_kubeconfig

from stswatch.cli import main
from stswatch.errors import ExitCode, SessionHeldError
from stswatch.kube.cluster import connect
from stswatch.lab.lab import LabHandle
from stswatch.record import lease as lease_module
from stswatch.record.holder import host_identity
from stswatch.record.lease import SessionLease
from stswatch.record.recorder import Recorder
from stswatch.record.scope import RecordScope
from stswatch.reports.recording import list_session_names, load_recording

pytestmark = pytest.mark.integration

# Everything a namespace recording needs, but `watch` on Events.
_RULES = [
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
    {
        "apiGroups": [""],
        "resources": ["pods", "persistentvolumeclaims", "services"],
        "verbs": ["list", "watch"],
    },
    {"apiGroups": [""], "resources": ["events"], "verbs": ["list"]},
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
]


def _record_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["record", "--duration", "3s", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


async def _grant(
    kube_api: ApiClient, *, name: str, rules: list[dict[str, Any]], subject: dict[str, str]
) -> None:
    rbac = client.RbacAuthorizationV1Api(kube_api)
    await rbac.create_cluster_role({"metadata": {"name": name}, "rules": rules})
    await rbac.create_cluster_role_binding(
        {
            "metadata": {"name": name},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": name,
            },
            "subjects": [subject],
        }
    )


async def test_missing_rbac_is_named_at_once_and_nothing_is_written(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    config = await service_account_kubeconfig(
        kube_api, lab, namespace=namespace, name="recorder", path=tmp_path / "recorder.kubeconfig"
    )
    subject = {"kind": "ServiceAccount", "name": "recorder", "namespace": namespace}
    role = f"{namespace}-recorder"
    await _grant(kube_api, name=role, rules=_RULES, subject=subject)
    db = tmp_path / "s.db"
    args = ["--kubeconfig", str(config), "--db", str(db), "-n", namespace, "--session", "s"]
    code, out = await asyncio.to_thread(_record_cli, *args)
    assert code == ExitCode.FORBIDDEN, out
    assert out.strip().endswith(
        "so nothing was recorded: missing list, watch on persistentvolumes cluster-wide; "
        f"watch on events in namespace '{namespace}'"
    ), out
    assert not db.exists()

    # With RBAC fixed, the same session name starts fresh: no false gap from the refused run.
    rules = [
        *_RULES,
        {
            "apiGroups": [""],
            "resources": ["events", "persistentvolumes"],
            "verbs": ["list", "watch"],
        },
    ]
    await client.RbacAuthorizationV1Api(kube_api).patch_cluster_role(role, {"rules": rules})
    code, out = await asyncio.to_thread(_record_cli, *args)
    assert code == ExitCode.OK, out
    assert list_session_names(db) == ["s"]
    recorded = load_recording(db, "s")
    assert len(recorded.runs) == 1
    assert recorded.gaps == ()
    await client.RbacAuthorizationV1Api(kube_api).delete_cluster_role_binding(role)
    await client.RbacAuthorizationV1Api(kube_api).delete_cluster_role(role)


async def test_a_second_recorder_on_a_session_is_refused_naming_the_first(
    lab: LabHandle, namespace: str, tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    scope = RecordScope(namespace=namespace, all_namespaces=False, statefulset=None)
    args = ["--kubeconfig", str(lab.kubeconfig), "--db", str(db), "-n", namespace]
    async with recording(lab, db_path=db, session="s", scope=scope) as first:
        code, out = await asyncio.to_thread(_record_cli, *args, "--session", "s")
        assert code == ExitCode.SESSION_HELD, out
        assert (
            "this session is being recorded by another recorder: "
            f"pid {os.getpid()} on host {host_identity()} (run 1) since "
        ) in out, out
        # Another session of the same store is not held.
        code, out = await asyncio.to_thread(_record_cli, *args, "--session", "other")
        assert code == ExitCode.OK, out
        await first.stop()
    recorded = load_recording(db, "s")
    assert len(recorded.runs) == 1
    assert recorded.gaps == ()
    # Once the first stopped, the session is free again: a resume, not a refusal.
    code, out = await asyncio.to_thread(_record_cli, *args, "--session", "s")
    assert code == ExitCode.OK, out
    assert "resumed" in out


async def test_in_a_cluster_the_session_lease_admits_one_recorder(
    lab: LabHandle, kube_api: ApiClient, namespace: str, tmp_path: Path
) -> None:
    # Two pods on two nodes, each with its own volume: only the Lease sees both.
    scope = RecordScope(namespace=namespace, all_namespaces=False, statefulset=None)
    cluster = await connect(kubeconfig=lab.kubeconfig, context=None)
    first_lease = SessionLease(kube_api, namespace=namespace, session="s", identity="pod-a/1")
    first = Recorder(
        cluster=cluster, db_path=tmp_path / "a.db", session="s", scope=scope, lease=first_lease
    )
    task = asyncio.create_task(first.run())
    try:
        await first.wait_synced(60)
        second = Recorder(
            cluster=cluster,
            db_path=tmp_path / "b.db",
            session="s",
            scope=scope,
            lease=SessionLease(kube_api, namespace=namespace, session="s", identity="pod-b/1"),
        )
        with pytest.raises(SessionHeldError) as info:
            await second.run(duration=5)
        assert info.value.exit_code == ExitCode.SESSION_HELD
        assert info.value.message.startswith(
            "this session is being recorded by another recorder: pod-a/1, holder of Lease "
            f"{namespace}/{first_lease.name} since "
        )
        assert not (tmp_path / "b.db").exists()
        first.stop()
        summary = await asyncio.wait_for(task, 60)
        assert summary.end_reason == "signal"
    finally:
        if not task.done():
            first.stop()
        await asyncio.gather(task, return_exceptions=True)
        await cluster.close()
    # Released on a clean stop: the next recorder takes it at once.
    after = SessionLease(kube_api, namespace=namespace, session="s", identity="pod-b/2")
    await after.acquire()
    await after.release()


async def test_an_expired_lease_is_taken_over_and_its_old_holder_stops(
    kube_api: ApiClient, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lease_module, "RENEW_EVERY_S", 0.1)
    old = SessionLease(kube_api, namespace=namespace, session="s", identity="pod-a/1")
    await old.acquire()
    # A recorder that has not renewed for longer than the Lease lasts is taken over.
    later = time.time() + lease_module.LEASE_DURATION_S + 1
    new = SessionLease(
        kube_api, namespace=namespace, session="s", identity="pod-b/1", clock=lambda: later
    )
    await new.acquire()
    with pytest.raises(SessionHeldError, match="another recorder took Lease"):
        await asyncio.wait_for(old.keep(), 30)
    lease = await client.CoordinationV1Api(kube_api).read_namespaced_lease(new.name, namespace)
    assert lease.spec.holder_identity == "pod-b/1"
    assert lease.spec.lease_transitions == 1
