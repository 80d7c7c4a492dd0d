"""What a scenario applies is held to the Pod Security baseline level (issue 19, item 2): a
privileged pod on real nodes ran as root on the host; now exit 7 naming each field, unless
--allow-privileged."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.scenario.loading import builtin_names, load_scenario
from stswatch.scenario.model import ApplyStep
from stswatch.scenario.pod_security import baseline_violations
from tests.fixtures.hostile import privileged_pod, scenario_applying

HOSTILE_POD = privileged_pod()


def _scenario(tmp_path: Path, manifest: dict[str, Any]) -> Path:
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(scenario_applying(manifest)))
    return path


def test_the_hostile_pod_is_refused_with_exit_7_naming_every_field(tmp_path: Path) -> None:
    path = _scenario(tmp_path, HOSTILE_POD)
    result = CliRunner().invoke(main, ["scenario", "check", str(path)])
    assert result.exit_code == ExitCode.BAD_INPUT, result.output
    assert result.output.startswith(
        f"stswatch: error: {path}: step 1 (apply): manifest 1 (Pod owned): spec.hostPID: true "
        "(the host's namespaces); spec.volumes[0].hostPath: a directory of the host; "
        "spec.containers[0].securityContext.privileged: true (every device and capability of "
        "the host): the Pod Security Standards' baseline level forbids this"
    ), result.output
    assert result.output.rstrip().endswith("pass --allow-privileged to run it anyway")
    # `scenario run` refuses before it touches a cluster (none is reachable here).
    run = CliRunner().invoke(
        main, ["scenario", "run", str(path), "--kubeconfig", str(tmp_path / "none")]
    )
    assert run.exit_code == ExitCode.BAD_INPUT, run.output


def test_allow_privileged_lets_it_through(tmp_path: Path) -> None:
    path = _scenario(tmp_path, HOSTILE_POD)
    result = CliRunner().invoke(main, ["scenario", "check", str(path), "--allow-privileged"])
    assert result.exit_code == ExitCode.OK, result.output


AT = "spec.template.spec"
ADDED = ["NET_ADMIN", "CHOWN"]


def _template(**pod_spec: Any) -> dict[str, Any]:
    return {"kind": "StatefulSet", "metadata": {"name": "s"},
            "spec": {"template": {"metadata": {}, "spec": pod_spec}}}  # fmt: skip


@pytest.mark.parametrize(
    ("manifest", "found"),
    [
        (_template(hostNetwork=True), [f"{AT}.hostNetwork: true (the host's namespaces)"]),
        (_template(hostIPC=False, containers=[{"name": "c"}]), []),
        (
            _template(containers=[{"securityContext": {"capabilities": {"add": ADDED}}}]),
            [f"{AT}.containers[0].securityContext.capabilities.add: NET_ADMIN"],
        ),
        (
            _template(initContainers=[{"ports": [{"hostPort": 80}, {"hostPort": 0}]}]),
            ["spec.template.spec.initContainers[0].ports[0].hostPort: 80 (a port of the host)"],
        ),
        (
            _template(securityContext={"seccompProfile": {"type": "Unconfined"},
                                       "sysctls": [{"name": "kernel.msgmax"}]}),
            ["spec.template.spec.securityContext.seccompProfile.type: Unconfined",
             "spec.template.spec.securityContext.sysctls: kernel.msgmax (not a namespaced safe "
             "sysctl)"],
        ),
        (
            _template(containers=[{"securityContext": {"procMount": "Unmasked",
                                                       "seLinuxOptions": {"user": "root"}}}]),
            [f"{AT}.containers[0].securityContext.procMount: Unmasked (an unmasked /proc)",
             f"{AT}.containers[0].securityContext.seLinuxOptions.user: root"],
        ),
        ({"kind": "Pod", "metadata": {"name": "p"}, "spec": "not a mapping"}, []),
        ({"kind": "Service", "spec": {"hostNetwork": True}}, []),
    ],
)  # fmt: skip
def test_baseline_violations(manifest: dict[str, Any], found: list[str]) -> None:
    assert baseline_violations(manifest) == found


def test_the_builtin_scenarios_keep_to_baseline() -> None:
    for name in builtin_names():
        for step in load_scenario(name).steps:
            if isinstance(step, ApplyStep):
                assert [v for m in step.manifests or () for v in baseline_violations(m)] == []
