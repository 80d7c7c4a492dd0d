"""deploy/kubernetes applied for real: the stswatch image on a real node, as its ServiceAccount.

One lab with one real node, started and stopped here. The image is built the lab's way
(`stswatch.lab.recorder_image`) and imported into the node's containerd; the cluster-wide overlay
is rendered (tests/fixtures/kustomization.py) and applied through the API with server-side apply;
the recorder pod records a StatefulSet's scale-up onto its claim, and the store is read back from
the claim's volume on the host (the lab provisioner's hostPath) and verified.

Two lab facts are patched into the Deployment here, and only here (`LAB_PATCH`):

- The pod reaches the API server through a forwarder the test runs on the lab bridge's address
  (the lab's API server listens on loopback only, and the lab has no kube-proxy, so the
  `kubernetes` Service's ClusterIP leads nowhere). The pod names it `kubernetes.default.svc`
  (a name on the API server's certificate) through `hostAliases`, and KUBERNETES_SERVICE_HOST/PORT
  point the recorder's in-cluster config at it.
- The lab's API server runs without the ServiceAccount admission plugin, so nothing mounts the
  token: the patch mounts the same projected volume that plugin would (token, kube-root-ca.crt,
  namespace); the kubelet requests the ServiceAccount's token for it.

Marked `realnode`: needs root and the Debian packages the README names. In CI they must be there
(no skip: STSWATCH_REQUIRE_REAL_NODES=1 or CI makes a host without them fail the test).
"""

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonpatch
import orjson
import psutil
import pytest
import pytest_asyncio
from click.testing import CliRunner
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException
from realnode_support import (
    api_call,
    ready,
    skip_unless_real_nodes_can_run,
    stop_leftover_labs,
    until,
)
from record_support import duplicated_pairs, store_rows

from stswatch.cli import main
from stswatch.errors import ExitCode, StswatchError
from stswatch.lab import realnode
from stswatch.lab.lab import LabHandle, start_lab
from stswatch.lab.realnode.host import import_images
from stswatch.lab.recorder_image import RECORDER_UID, build_recorder_image
from stswatch.record.pieces import list_pieces
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import list_session_names, load_recording
from stswatch.scenario.objects import Objects
from tests.fixtures.kustomization import render

pytestmark = [pytest.mark.integration, pytest.mark.realnode]

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = ROOT / "deploy" / "kubernetes" / "overlays" / "cluster-wide"
NAMESPACE = "stswatch"
WEB = "deploy-web"
SESSION = "all-namespaces"  # -A: one session per piece, named so (docs/flight.md)
API_NAME = "kubernetes.default.svc"  # on the lab API server's certificate (lab/certs.py)
FIELD_MANAGER = "stswatch-deploy-test"
# Where each kind the manifests hold is served: (API prefix, plural, namespaced).
RESOURCES = {
    "Namespace": ("/api/v1", "namespaces", False),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims", True),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "Deployment": ("/apis/apps/v1", "deployments", True),
}
TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def _lab_patch(*, gateway: str, port: int) -> list[dict[str, Any]]:
    """The two lab facts of this module's docstring, as a JSON patch of the Deployment."""
    container = "/spec/template/spec/containers/0"
    projected = {
        "name": "kube-api-access",
        "projected": {
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ]
        },
    }
    return [
        {
            "op": "add",
            "path": "/spec/template/spec/hostAliases",
            "value": [{"ip": gateway, "hostnames": [API_NAME]}],
        },
        {
            "op": "add",
            "path": f"{container}/env/-",
            "value": {"name": "KUBERNETES_SERVICE_HOST", "value": API_NAME},
        },
        {
            "op": "add",
            "path": f"{container}/env/-",
            "value": {"name": "KUBERNETES_SERVICE_PORT", "value": str(port)},
        },
        {"op": "add", "path": "/spec/template/spec/volumes/-", "value": projected},
        {
            "op": "add",
            "path": f"{container}/volumeMounts/-",
            "value": {"name": "kube-api-access", "mountPath": TOKEN_DIR, "readOnly": True},
        },
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LabHandle]:
    """A lab with one real node; torn down (host left clean) afterwards."""
    skip_unless_real_nodes_can_run()
    stop_leftover_labs(tmp_path_factory.getbasetemp().parent)
    directory = tmp_path_factory.mktemp("deploylab")
    handle = await start_lab(directory, nodes=0, real_nodes=1, report=print)
    try:
        yield handle
    finally:
        await asyncio.to_thread(handle.down)
        assert realnode.read_layout(directory) is None, "lab down left its real-node layout"


@contextlib.asynccontextmanager
async def _forwarder(*, listen: str, upstream: tuple[str, int]) -> AsyncIterator[int]:
    """A TCP forwarder on `listen` (the lab bridge's address) to the API server on loopback;
    yields its port. TLS passes through untouched: the pod verifies the API server itself."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(connection, listen, 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


def _path(document: dict[str, Any]) -> str:
    prefix, plural, namespaced = RESOURCES[document["kind"]]
    namespace = document["metadata"].get("namespace")
    where = f"/namespaces/{namespace}" if namespaced else ""
    return f"{prefix}{where}/{plural}/{document['metadata']['name']}"


async def _server_side_apply(api: ApiClient, documents: list[dict[str, Any]]) -> None:
    for document in documents:
        await api_call(
            api,
            "PATCH",
            _path(document),
            [("fieldManager", FIELD_MANAGER), ("force", "true")],
            body=document,
            headers={"Content-Type": "application/apply-patch+yaml"},
        )


def _statefulset(replicas: int, marker: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "labels": {"marker": marker}},
        "spec": {
            "serviceName": "web",
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        {
                            "name": "web",
                            "image": "busybox:latest",
                            "imagePullPolicy": "IfNotPresent",  # the lab's image, no registry
                            "command": ["sleep", "3600"],
                        }
                    ],
                },
            },
        },
    }


def _pieces_of(directory: Path) -> list[Path]:
    return [piece.path for piece in list_pieces(directory)]


def _recorded(directory: Path, predicate: Callable[[Any], bool]) -> bool:
    """True once a piece on the claim holds a change `predicate` accepts (False while the
    recorder has not written the session yet, or holds the write lock this instant)."""
    try:
        for piece in _pieces_of(directory):
            if SESSION in list_session_names(piece) and any(
                predicate(c) for c in load_recording(piece, SESSION).changes
            ):
                return True
    except (StswatchError, sqlite3.Error):  # no schema yet, or locked: the next poll decides
        return False
    return False


def _recorder_rss_mib() -> float | None:
    """The in-pod recorder's resident memory, seen from the host (it runs as RECORDER_UID)."""
    for process in psutil.process_iter(["uids", "cmdline", "memory_info"]):
        info = process.info
        if (
            info["uids"]
            and info["uids"].real == RECORDER_UID
            and "record" in (info["cmdline"] or [])
        ):
            return float(info["memory_info"].rss) / 2**20
    return None


@dataclass
class Deployed:
    """The lab, an admin API client, and the patch that lets the overlay's pod reach the API."""

    lab: LabHandle
    api: ApiClient
    layout: realnode.Layout
    patch: list[dict[str, Any]]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def deployed(lab: LabHandle) -> AsyncIterator[Deployed]:
    """The stswatch image in the node's containerd, the forwarder to the API server running."""
    layout = realnode.read_layout(lab.directory)
    assert layout is not None
    image = await asyncio.to_thread(build_recorder_image)
    print(f"stswatch image: {'cached' if image.cached else 'built'} in {image.seconds:.1f}s")
    started = time.monotonic()
    for node in layout.nodes:
        await asyncio.to_thread(import_images, node, (image.archive,))
    print(
        f"stswatch image imported into {len(layout.nodes)} node(s) in "
        f"{time.monotonic() - started:.1f}s"
    )
    api_port = int(lab.api_server_url.rsplit(":", 1)[1])
    async with (
        _forwarder(listen=layout.gateway, upstream=("127.0.0.1", api_port)) as port,
        await lab.new_api_client() as api,
    ):
        yield Deployed(lab, api, layout, _lab_patch(gateway=layout.gateway, port=port))


def _overlay(deployed: Deployed, *, namespace: str = NAMESPACE) -> list[dict[str, Any]]:
    """The cluster-wide overlay with the lab patch, moved to `namespace` (names of cluster-wide
    objects suffixed with it), as `kustomize edit set namespace` plus a nameSuffix would."""
    documents = []
    for document in render(OVERLAY):
        if document["kind"] == "Deployment":
            document = jsonpatch.apply_patch(document, deployed.patch)
        if namespace != NAMESPACE:
            text = (
                orjson.dumps(document)
                .decode()
                .replace(f'"namespace":"{NAMESPACE}"', f'"namespace":"{namespace}"')
            )
            document = orjson.loads(text)
            if document["kind"] == "Namespace":
                document["metadata"]["name"] = namespace
            if document["kind"].startswith("Cluster"):
                document["metadata"]["name"] += f"-{namespace}"
            if document["kind"] == "ClusterRoleBinding":
                document["roleRef"]["name"] += f"-{namespace}"
        documents.append(document)
    return documents


async def _recorder_pods(objects: Objects) -> list[dict[str, Any]]:
    return await objects.items("Pod", label_selector="app.kubernetes.io/name=stswatch")


async def _scale_recorder(api: ApiClient, namespace: str, replicas: int) -> None:
    await api_call(
        api,
        "PATCH",
        f"/apis/apps/v1/namespaces/{namespace}/deployments/stswatch",
        body={"spec": {"replicas": replicas}},
        headers={"Content-Type": "application/merge-patch+json"},
    )


async def _claim_directory(api: ApiClient, objects: Objects) -> Path:
    async def bound() -> dict[str, Any] | None:
        claim = await objects.get("PersistentVolumeClaim", "stswatch-data")
        return claim if claim and claim["spec"].get("volumeName") else None

    claim = await until("the recorder's claim bound", bound)
    volume = await api_call(api, "GET", f"/api/v1/persistentvolumes/{claim['spec']['volumeName']}")
    return Path(volume["spec"]["hostPath"]["path"])


async def test_the_manifests_run_the_recorder_as_its_service_account(
    deployed: Deployed,
) -> None:
    api = deployed.api
    await _server_side_apply(api, _overlay(deployed))
    recorder = Objects(api, NAMESPACE)

    async def recorder_ready() -> dict[str, Any] | None:
        return next((p for p in await _recorder_pods(recorder) if ready(p)), None)

    # Ready: /readyz answers 200 only while it holds the Lease and its watches are synced
    pod = await until("the recorder pod Ready", recorder_ready)
    assert pod["spec"]["serviceAccountName"] == "stswatch"
    assert pod["spec"]["securityContext"]["runAsUser"] == RECORDER_UID
    lease = await api_call(
        api, "GET", f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/stswatch"
    )
    assert lease["spec"]["holderIdentity"].startswith(pod["metadata"]["name"]), lease["spec"]
    directory = await _claim_directory(api, recorder)

    await api_call(
        api,
        "POST",
        "/api/v1/namespaces",
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": WEB}},
    )
    web = Objects(api, WEB)
    await web.apply(_statefulset(1, "one"))
    await until("web-0 Ready", lambda: _ready_pod(web, "web-0"))
    # the recorder's watches are live once a later change of the set reaches its store
    await web.apply(_statefulset(1, "watched"))
    await until(
        "the marker recorded from a watch",
        lambda: asyncio.to_thread(
            _recorded,
            directory,
            lambda c: (
                c.kind == "StatefulSet"
                and c.observed == "watch"
                and c.object["metadata"]["labels"].get("marker") == "watched"
            ),
        ),
    )
    await web.apply(_statefulset(3, "watched"))
    await until("web-2 Ready", lambda: _ready_pod(web, "web-2"))
    await until(
        "web-2 Ready recorded",
        lambda: asyncio.to_thread(
            _recorded,
            directory,
            lambda c: c.kind == "Pod" and c.name == "web-2" and ready(c.object),
        ),
    )
    rss = _recorder_rss_mib()
    print(f"recorder RSS after the scale-up: {rss:.0f} MiB" if rss else "recorder RSS: not found")
    await _rbac_refuses_secrets(api)

    # The pod restarted with its claim: it resumes the piece, the downtime a gap, nothing twice.
    await recorder.delete("Pod", pod["metadata"]["name"])

    async def replaced() -> dict[str, Any] | None:
        found = await recorder_ready()
        return found if found and found["metadata"]["uid"] != pod["metadata"]["uid"] else None

    await until("a new recorder pod Ready", replaced)
    await web.apply(_statefulset(2, "watched"))
    await until(
        "the scale-down recorded after the restart",
        lambda: asyncio.to_thread(
            _recorded,
            directory,
            lambda c: c.kind == "Pod" and c.name == "web-2" and c.event == "DELETED",
        ),
    )
    # stop the recorder (SIGTERM: it drains, commits and releases the Lease), then read
    await _scale_recorder(api, NAMESPACE, 0)
    await until("the recorder pod gone", lambda: _none(_recorder_pods(recorder)))

    (piece,) = _pieces_of(directory)
    assert duplicated_pairs(piece) == []
    reasons = {r[0] for r in store_rows(piece, "SELECT reason FROM gap")}
    assert any(r.startswith("recorder down") for r in reasons), reasons
    result = verify(load_recording(piece, SESSION), statefulset="web")
    (episode,) = [e for e in result.episodes if e.kind == "scale-up" and "1→3" in e.summary]
    assert not [v for v in episode.verdicts if v.outcome != "pass"], episode.verdicts
    out = CliRunner().invoke(
        main, ["verify", SESSION, "--db", str(directory), "--statefulset", "web"]
    )
    print(f"$ stswatch verify {SESSION} --db <the claim's directory> --statefulset web")
    print(out.output)
    assert "scale-up 1→3" in out.output, out.output


async def test_of_two_replicas_one_records_and_the_other_takes_over(deployed: Deployed) -> None:
    """The Lease decides: one pod Ready and recording, the other standing by, not Ready; the
    holder deleted, the other takes over, the handover a gap, no (uid, resourceVersion) twice."""
    namespace, apps = "stswatch-ha", "deploy-ha"
    documents = _overlay(deployed, namespace=namespace)
    (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
    deployment["spec"]["replicas"] = 2
    await _server_side_apply(deployed.api, documents)
    recorder = Objects(deployed.api, namespace)
    lease_path = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/stswatch"

    async def holder_and_standby() -> tuple[dict[str, Any], dict[str, Any]] | None:
        pods = [p for p in await _recorder_pods(recorder) if p["status"].get("phase") == "Running"]
        holders = [p for p in pods if ready(p)]
        standbys = [p for p in pods if not ready(p) and "deletionTimestamp" not in p["metadata"]]
        return (holders[0], standbys[0]) if len(holders) == 1 and standbys else None

    holder, standby = await until("one recorder Ready, one standing by", holder_and_standby)
    lease = await api_call(deployed.api, "GET", lease_path)
    assert lease["spec"]["holderIdentity"].startswith(holder["metadata"]["name"])
    assert not lease["spec"]["holderIdentity"].startswith(standby["metadata"]["name"])
    directory = await _claim_directory(deployed.api, recorder)
    await api_call(
        deployed.api,
        "POST",
        "/api/v1/namespaces",
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": apps}},
    )
    web = Objects(deployed.api, apps)
    await web.apply(_statefulset(1, "before"))
    await until(
        "web-0 recorded Ready",
        lambda: asyncio.to_thread(
            _recorded,
            directory,
            lambda c: c.kind == "Pod" and c.name == "web-0" and ready(c.object),
        ),
    )

    started = time.monotonic()
    await recorder.delete("Pod", holder["metadata"]["name"])

    async def taken_over() -> dict[str, Any] | None:
        found = await api_call(deployed.api, "GET", lease_path)
        name = found["spec"].get("holderIdentity") or ""
        pods = {p["metadata"]["name"]: p for p in await _recorder_pods(recorder)}
        new = pods.get(name.split("/")[0])
        return (
            new
            if new and new["metadata"]["name"] != holder["metadata"]["name"] and ready(new)
            else None
        )

    successor = await until("another recorder holding the Lease, Ready", taken_over)
    print(
        f"handover: {holder['metadata']['name']} deleted, {successor['metadata']['name']} Ready "
        f"holding the Lease after {time.monotonic() - started:.1f}s "
        f"(leaseDurationSeconds {lease['spec']['leaseDurationSeconds']})"
    )
    await web.apply(_statefulset(2, "after"))
    await until(
        "web-1 recorded Ready after the handover",
        lambda: asyncio.to_thread(
            _recorded,
            directory,
            lambda c: c.kind == "Pod" and c.name == "web-1" and ready(c.object),
        ),
    )
    await _scale_recorder(deployed.api, namespace, 0)
    await until("the recorders gone", lambda: _none(_recorder_pods(recorder)))
    (piece,) = _pieces_of(directory)
    assert duplicated_pairs(piece) == []
    gaps = store_rows(piece, "SELECT kind, reason FROM gap")
    print(f"gaps recorded at the handover: {sorted(set(gaps))}")
    assert {reason for _, reason in gaps} == {"recorder down"}, gaps


async def test_a_cluster_role_missing_one_verb_stops_the_recorder_before_any_store(
    deployed: Deployed,
) -> None:
    """Without `watch` on endpointslices the pod logs one line naming both and exits (5)."""
    namespace = "stswatch-noverb"
    documents = _overlay(deployed, namespace=namespace)
    (role,) = [d for d in documents if d["kind"] == "ClusterRole"]
    (rule,) = [r for r in role["rules"] if "endpointslices" in r["resources"]]
    rule["verbs"] = ["get", "list"]
    await _server_side_apply(deployed.api, documents)
    recorder = Objects(deployed.api, namespace)

    async def exited() -> dict[str, Any] | None:
        for pod in await _recorder_pods(recorder):
            status = (pod["status"].get("containerStatuses") or [{}])[0]
            terminated = (status.get("lastState") or {}).get("terminated") or (
                status.get("state") or {}
            ).get("terminated")
            if terminated:
                return {"pod": pod, "terminated": terminated}
        return None

    found = await until("the recorder to exit", exited)
    assert found["terminated"]["exitCode"] == ExitCode.FORBIDDEN, found["terminated"]
    name = found["pod"]["metadata"]["name"]
    previous = (
        "true" if found["pod"]["status"]["containerStatuses"][0].get("lastState") else "false"
    )
    log = await deployed.api.call_api(
        f"/api/v1/namespaces/{namespace}/pods/{name}/log",
        "GET",
        query_params=[("previous", previous)],
        response_types_map={200: "str"},
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
        _preload_content=True,
    )
    lines = [line for line in str(log).splitlines() if "endpointslices" in line]
    print("\n".join(lines))
    assert len(lines) == 1, log
    assert "watch" in lines[0], lines[0]
    assert _pieces_of(await _claim_directory(deployed.api, recorder)) == []
    await _scale_recorder(deployed.api, namespace, 0)


async def _none(pods: Awaitable[list[dict[str, Any]]]) -> bool:
    return not await pods


async def _ready_pod(objects: Objects, name: str) -> bool:
    return ready(await objects.get("Pod", name))


async def _rbac_refuses_secrets(api: ApiClient) -> None:
    """As the ServiceAccount (impersonated, as `kubectl --as` does): pods yes, secrets no."""
    user = f"system:serviceaccount:{NAMESPACE}:stswatch"
    headers = {"Impersonate-User": user}
    pods = await api_call(api, "GET", f"/api/v1/namespaces/{WEB}/pods", headers=headers)
    assert pods["items"], "the ServiceAccount lists the pods it records"
    for path in (f"/api/v1/namespaces/{WEB}/secrets", f"/api/v1/namespaces/{NAMESPACE}/secrets"):
        with pytest.raises(ApiException) as refused:
            await api_call(api, "GET", path, headers=headers)
        assert refused.value.status == 403, refused.value
        assert "secrets" in str(refused.value.body), refused.value.body
