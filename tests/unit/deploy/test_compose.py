"""docker-compose.yml for users with Docker, checked statically: no Docker engine runs here (the
README's "Docker" section says why it is not run in CI).

Validated against the Compose Specification's JSON schema as check-jsonschema ships it
(its vendored `compose-spec.json`), with jsonschema; then what the schema cannot know: the
recorder records the k3s beside it, with k3s's kubeconfig, as the in-cluster recorder does.
"""

import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.fixtures.cli_args import parses
from tests.fixtures.kustomization import render

ROOT = Path(__file__).resolve().parents[3]


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def _schema() -> dict[str, Any]:
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    loaded: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text())
    return loaded


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = _schema()
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    errors = [e.message for e in validator(schema).iter_errors(_compose())]
    assert errors == []


def test_the_schema_refuses_what_compose_refuses() -> None:
    """The validation is not vacuous: a misspelt key and a wrong type are errors."""
    schema = _schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    bad = _compose()
    bad["services"]["recorder"]["comand"] = bad["services"]["recorder"].pop("command")
    bad["services"]["k3s"]["ports"] = {"6443": "6443"}
    errors = " ".join(e.message for e in validator.iter_errors(bad))
    assert "'comand' was unexpected" in errors, errors
    assert "is not of type 'array'" in errors, errors


def test_the_recorder_records_the_k3s_beside_it() -> None:
    services = _compose()["services"]
    k3s, recorder = services["k3s"], services["recorder"]
    assert k3s["image"].startswith("rancher/k3s:")
    output = k3s["environment"]["K3S_KUBECONFIG_OUTPUT"]
    (shared,) = [v for v in k3s["volumes"] if v.endswith(":" + str(Path(output).parent))]
    volume = shared.split(":")[0]
    (mounted,) = [v for v in recorder["volumes"] if v.startswith(f"{volume}:")]
    _, path, mode = mounted.split(":")
    assert recorder["environment"]["KUBECONFIG"] == f"{path}/{Path(output).name}"
    assert mode == "ro"
    # k3s's kubeconfig names https://127.0.0.1:6443: the recorder shares k3s's network namespace
    assert recorder["network_mode"] == "service:k3s"
    assert recorder["depends_on"]["k3s"]["condition"] == "service_healthy"
    assert k3s["environment"]["K3S_KUBECONFIG_MODE"] == "644"  # readable by the non-root recorder


def test_the_recorder_runs_as_the_in_cluster_one_does() -> None:
    recorder = _compose()["services"]["recorder"]
    (deployment,) = [
        d
        for d in render(ROOT / "deploy/kubernetes/overlays/cluster-wide")
        if d["kind"] == "Deployment"
    ]
    pod = deployment["spec"]["template"]["spec"]["containers"][0]
    lease = pod["args"].index("--lease-namespace")
    assert recorder["command"] == pod["args"][:lease]  # one recorder, no Lease to share
    parses(recorder["command"])
    store = next(m["mountPath"] for m in pod["volumeMounts"] if m["name"] == "data")
    assert f"recordings:{store}" in recorder["volumes"]
    assert recorder["read_only"] is True
    assert recorder["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in recorder["security_opt"]
