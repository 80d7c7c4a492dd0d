"""Static checks of deploy/kubernetes: the base and its two overlays, rendered as kustomize would.

No cluster runs here (tests/integration/test_deploy_realnode.py applies them to one): these read
what the overlays render and check what they promise: read-only RBAC on exactly what is recorded,
never Secrets, a Lease as the only write; a restricted securityContext; probes on the recorder's
--listen port.
"""

from pathlib import Path
from typing import Any

import aiohttp
import click
import pytest

from stswatch.kube.kinds import WATCHED_KINDS
from stswatch.record.metrics import FlightMetrics, parse_listen, serving_health
from stswatch.record.permissions import needed
from stswatch.record.scope import RecordScope
from tests.fixtures.cli_args import parses
from tests.fixtures.kustomization import render

ROOT = Path(__file__).resolve().parents[3]
OVERLAYS = ROOT / "deploy" / "kubernetes" / "overlays"
READ_VERBS = {"get", "list", "watch"}
LEASE_VERBS = {"get", "create", "update"}
# The in-cluster recorder's command line (issue 21's `record --continuous`).
CONTINUOUS = ["record", "--continuous", "--dir", "/var/lib/stswatch"]
SCOPES = {
    "cluster-wide": RecordScope(namespace=None, all_namespaces=True, statefulset=None),
    "namespaced": RecordScope(namespace="default", all_namespaces=False, statefulset=None),
}


def _rendered(overlay: str) -> list[dict[str, Any]]:
    return render(OVERLAYS / overlay)


def _one(documents: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [d for d in documents if d["kind"] == kind]
    return found


def _recorder(documents: list[dict[str, Any]]) -> dict[str, Any]:
    container: dict[str, Any] = _one(documents, "Deployment")["spec"]["template"]["spec"][
        "containers"
    ][0]
    return container


def _option(args: list[str], name: str) -> str:
    """The value of `--name value` or `--name=value` in `args`."""
    for index, arg in enumerate(args):
        if arg == name:
            return args[index + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"{name} not in {args}")


def test_the_overlays_differ_only_in_rbac_and_scope() -> None:
    wide, narrow = _rendered("cluster-wide"), _rendered("namespaced")
    rbac = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
    common = [d for d in wide if d["kind"] not in rbac | {"Deployment"}]
    assert common == [d for d in narrow if d["kind"] not in rbac | {"Deployment"}]
    assert "-A" in _recorder(wide)["args"]
    assert "-A" not in _recorder(narrow)["args"]
    assert _option(_recorder(narrow)["args"], "--namespace") == "default"


@pytest.mark.parametrize("overlay", sorted(SCOPES))
def test_the_recorders_command_line_is_one_stswatch_parses(overlay: str) -> None:
    args = _recorder(_rendered(overlay))["args"]
    parses(args)
    with pytest.raises(click.UsageError):  # the check can fail: a misspelt flag is refused
        parses([*args, "--retian", "7d"])


@pytest.mark.parametrize("overlay", sorted(SCOPES))
def test_rbac_reads_only_and_never_names_secrets(overlay: str) -> None:
    roles = [d for d in _rendered(overlay) if d["kind"] in {"ClusterRole", "Role"}]
    assert roles
    for role in roles:
        for rule in role["rules"]:
            assert "secrets" not in rule["resources"], rule
            assert "*" not in rule["resources"] + rule["verbs"] + rule["apiGroups"], rule
            if rule["resources"] == ["leases"]:
                # its Lease, in the recorder's own namespace only
                assert role["kind"] == "Role", role
                assert role["metadata"]["namespace"] == "stswatch", role
                assert rule["apiGroups"] == ["coordination.k8s.io"], rule
                assert set(rule["verbs"]) == LEASE_VERBS, rule
            else:
                assert set(rule["verbs"]) <= READ_VERBS, rule


@pytest.mark.parametrize("overlay", sorted(SCOPES))
def test_rbac_grants_every_verb_the_recorder_checks_before_recording(overlay: str) -> None:
    documents = _rendered(overlay)
    bindings = [d for d in documents if d["kind"].endswith("Binding")]
    granted: set[tuple[str, str, str, str | None, str | None]] = set()
    for role in (d for d in documents if d["kind"] in {"ClusterRole", "Role"}):
        (binding,) = [b for b in bindings if b["roleRef"]["name"] == role["metadata"]["name"]]
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "stswatch", "namespace": "stswatch"}
        ]
        where = role["metadata"]["namespace"] if role["kind"] == "Role" else "*"
        for rule in role["rules"]:
            names = rule.get("resourceNames") or ["*"]
            granted |= {
                (verb, group, resource, where, name)
                for verb in rule["verbs"]
                for group in rule["apiGroups"]
                for resource in rule["resources"]
                for name in names
            }
    for p in needed(SCOPES[overlay], WATCHED_KINDS, lease_namespace="stswatch"):
        wheres = {"*", p.namespace}
        names = {"*", p.name}
        assert any((p.verb, p.group, p.resource, w, n) in granted for w in wheres for n in names), p


@pytest.mark.parametrize("overlay", sorted(SCOPES))
def test_the_pod_is_restricted(overlay: str) -> None:
    """What the restricted Pod Security Standard asks (Kubernetes docs, "Pod Security
    Standards"), which the base's Namespace also enforces at admission."""
    documents = _rendered(overlay)
    namespace = _one(documents, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    pod = _one(documents, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "hostNetwork" not in pod
    assert "hostPID" not in pod
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert "privileged" not in context
    kinds = {next(k for k in v if k != "name") for v in pod["volumes"]}
    assert kinds <= {"persistentVolumeClaim", "emptyDir", "projected", "configMap"}, kinds


def test_the_store_is_the_claim_at_the_recorders_dir() -> None:
    documents = _rendered("cluster-wide")
    recorder = _recorder(documents)
    pod = _one(documents, "Deployment")["spec"]["template"]["spec"]
    claim = _one(documents, "PersistentVolumeClaim")
    (data,) = [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert data["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    (mount,) = [m for m in recorder["volumeMounts"] if m["name"] == data["name"]]
    assert mount["mountPath"] == _option(recorder["args"], "--dir") == "/var/lib/stswatch"
    assert recorder["args"][: len(CONTINUOUS)] == CONTINUOUS
    deployment = _one(documents, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"  # the claim is ReadWriteOnce


async def test_probes_ask_the_recorders_listen_port_for_health_and_readiness() -> None:
    recorder = _recorder(_rendered("cluster-wide"))
    _, port = parse_listen(_option(recorder["args"], "--listen"))
    ports = {p["name"]: p["containerPort"] for p in recorder["ports"]}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = recorder[probe]["httpGet"]
        assert get["path"] == path
        assert ports.get(get["port"], get["port"]) == port
    # what the recorder serves at those paths (on a free loopback port here)
    ready = False
    async with (
        serving_health("127.0.0.1:0", metrics=FlightMetrics(), ready=lambda: ready) as bound,
        aiohttp.ClientSession() as http,
    ):

        async def status(probe: str) -> int:
            async with http.get(
                f"http://127.0.0.1:{bound}{recorder[probe]['httpGet']['path']}"
            ) as r:
                return r.status

        assert await status("livenessProbe") == 200
        assert await status("readinessProbe") == 503  # a standby: alive, not Ready
        ready = True
        assert await status("readinessProbe") == 200
    assert _option(recorder["args"], "--lease-namespace") == "$(POD_NAMESPACE)"
    (env,) = [e for e in recorder["env"] if e["name"] == "POD_NAMESPACE"]
    assert env["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"


def test_resources_request_and_limit_memory() -> None:
    resources = _recorder(_rendered("cluster-wide"))["resources"]
    assert resources["requests"]["memory"]
    assert resources["requests"]["cpu"]
    assert resources["limits"]["memory"]
    assert "cpu" not in resources["limits"]  # a throttled recorder falls behind its watches
