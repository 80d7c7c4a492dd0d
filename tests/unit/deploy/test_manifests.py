"""Static checks of what users deploy: docker-compose.yml, the Dockerfile and the RBAC manifests.

No Docker engine or cluster runs here, so these read the files and check what they promise:
commands that the CLI really parses, read-only RBAC that covers exactly what is recorded.
"""

import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from stswatch.cli import main

ROOT = Path(__file__).resolve().parents[3]
READ_VERBS = {"get", "list", "watch"}


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _manifests() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _parses(args: list[str]) -> None:
    """Fail unless the stswatch CLI accepts these arguments (without running the command)."""
    name, *rest = args
    with click.Context(main) as parent:
        command = main.get_command(parent, name)  # loads the command's module (stswatch.cli)
        assert command is not None, f"no stswatch command {name!r}"
        command.make_context(name, list(rest), parent=parent)


def _expand(value: str) -> str:
    # docker compose substitutes ${VAR:-default}; the defaults are what a user gets.
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


@pytest.mark.parametrize("service", ["recorder", "report"])
def test_compose_commands_are_real_stswatch_commands(service: str) -> None:
    command = [_expand(str(a)) for a in _compose()["services"][service]["command"]]
    _parses(command)


def test_compose_mounts_kubeconfig_read_only_and_keeps_recordings_in_a_volume() -> None:
    recorder = _compose()["services"]["recorder"]
    kube = [v for v in recorder["volumes"] if v.endswith("/kube/config:ro")]
    assert kube, "kubeconfig must be mounted read-only"
    assert any(v.startswith("recordings:/data") for v in recorder["volumes"])
    assert recorder["environment"]["STSWATCH_DB"].startswith("/data/")


def test_dockerfile_runs_as_non_root_and_copies_the_schema() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in text
    assert "COPY migrations" in text


def test_rbac_is_read_only_but_for_its_lease_and_never_touches_secrets() -> None:
    roles = [d for d in _manifests() if d["kind"] in {"ClusterRole", "Role"}]
    assert roles
    for role in roles:
        for rule in role["rules"]:
            if rule["resources"] == ["leases"]:
                # The session's Lease, in the recorder's own namespace only.
                assert role["kind"] == "Role", role
                assert rule["apiGroups"] == ["coordination.k8s.io"], rule
                continue
            assert set(rule["verbs"]) <= READ_VERBS, rule
            assert "secrets" not in rule["resources"], rule
            assert "*" not in rule["resources"], rule
            assert "*" not in rule["verbs"], rule


def test_rbac_grants_list_and_watch_on_every_recorded_kind() -> None:
    from stswatch.record.kinds import WATCHED_KINDS

    granted: set[tuple[str, str]] = set()
    for role in (d for d in _manifests() if d["kind"] == "ClusterRole"):
        for rule in role["rules"]:
            if {"list", "watch"} <= set(rule["verbs"]):
                granted |= {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
    # "/api/v1" is the core group ""; "/apis/<group>/<version>" names its group.
    needed = {
        ("" if kind.prefix == "/api/v1" else kind.prefix.split("/")[2], kind.plural)
        for kind in WATCHED_KINDS
    }
    assert needed <= granted, needed - granted


def test_in_cluster_recorder_args_parse() -> None:
    deployment = next(d for d in _manifests() if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    _parses(container["args"])
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"


def test_rbac_grants_everything_the_recorder_checks_before_recording() -> None:
    from stswatch.record.kinds import WATCHED_KINDS
    from stswatch.record.permissions import needed
    from stswatch.record.scope import RecordScope

    deployment = next(d for d in _manifests() if d["kind"] == "Deployment")
    namespace = deployment["metadata"]["namespace"]
    bound = {d["roleRef"]["name"] for d in _manifests() if d["kind"].endswith("Binding")}
    granted: set[tuple[str, str, str, str | None]] = set()
    for role in (d for d in _manifests() if d["kind"] in {"ClusterRole", "Role"}):
        assert role["metadata"]["name"] in bound, role["metadata"]["name"]
        where = role["metadata"].get("namespace") if role["kind"] == "Role" else "*"
        for rule in role["rules"]:
            granted |= {
                (verb, group, resource, where)
                for verb in rule["verbs"]
                for group in rule["apiGroups"]
                for resource in rule["resources"]
            }
    scope = RecordScope(namespace=None, all_namespaces=True, statefulset=None)
    for p in needed(scope, WATCHED_KINDS, lease_namespace=namespace):
        assert {(p.verb, p.group, p.resource, "*"), (p.verb, p.group, p.resource, p.namespace)} & (
            granted
        ), p


def test_the_in_cluster_serve_reads_the_recorders_store_on_loopback_only() -> None:
    deployment = next(d for d in _manifests() if d["kind"] == "Deployment")
    containers = {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}
    serve, recorder = containers["serve"], containers["recorder"]
    _parses(serve["args"])
    listen = serve["args"][serve["args"].index("--listen") + 1]
    assert listen.startswith("127.0.0.1:")  # reached by kubectl port-forward, by no one else
    assert serve["env"] == recorder["env"]  # the same STSWATCH_DB
    assert serve["volumeMounts"] == recorder["volumeMounts"]
    assert serve["securityContext"]["readOnlyRootFilesystem"] is True
    assert "ports" not in serve  # no Service, no containerPort: nothing exposes it
