"""Which cluster a scenario runs on: a configured one, else the lab."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from stswatch.errors import LabError
from stswatch.scenario import target
from stswatch.scenario.runner import ScenarioTarget
from stswatch.scenario.target import kubeconfig_configured, resolve_target


@pytest.fixture
def no_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setattr(target, "DEFAULT_KUBECONFIG", tmp_path / "absent")


@pytest.mark.usefixtures("no_cluster")
def test_nothing_configured() -> None:
    assert not kubeconfig_configured(kubeconfig=None, context=None)
    assert kubeconfig_configured(kubeconfig=Path("k"), context=None)
    assert kubeconfig_configured(kubeconfig=None, context="prod")


@pytest.mark.usefixtures("no_cluster")
def test_environment_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", "/somewhere")
    assert kubeconfig_configured(kubeconfig=None, context=None)


@pytest.mark.usefixtures("no_cluster")
async def test_a_configured_cluster_is_used_as_given() -> None:
    lines: list[str] = []
    chosen = await resolve_target(
        kubeconfig=Path("k"), context="c", storage_class="fast", progress=lines.append
    )
    assert chosen == ScenarioTarget(kubeconfig=Path("k"), context="c", storage_class="fast")
    assert lines == []


@pytest.mark.usefixtures("no_cluster")
async def test_otherwise_the_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_lab(*, storage_class: str | None, progress: object) -> ScenarioTarget:
        return ScenarioTarget(kubeconfig=Path("lab"), storage_class=storage_class or "lab-sc")

    monkeypatch.setattr(target, "lab_target", fake_lab)
    lines: list[str] = []
    chosen = await resolve_target(
        kubeconfig=None, context=None, storage_class=None, progress=lines.append
    )
    assert chosen == ScenarioTarget(kubeconfig=Path("lab"), storage_class="lab-sc")
    assert lines == ["no kubeconfig configured: using the local lab"]


class _Lab:
    """What lab_target reads of a running lab."""

    def __init__(self, *, started_by: str, real: bool) -> None:
        self.state = SimpleNamespace(options={"started_by": started_by})
        self.nodes = () if real else ("lab-node-0",)
        self.real_nodes = ("127.0.0.2",) if real else ()
        self.kubeconfig = Path("kc")
        self.storage_class = "lab"
        self.api_server_url = "https://127.0.0.1:1"


def _running(monkeypatch: pytest.MonkeyPatch, lab: _Lab, calls: list[str]) -> None:
    async def start(directory: Path, **options: object) -> _Lab:
        calls.append(f"start real_nodes={options['real_nodes']} by {options['started_by']}")
        return _Lab(started_by=str(options["started_by"]), real=True)

    monkeypatch.setattr(target, "lab_status", lambda d: SimpleNamespace(running=True))
    monkeypatch.setattr(target, "attach_lab", lambda d: lab)
    monkeypatch.setattr(target, "stop_lab", lambda d, report: calls.append("stop"))
    monkeypatch.setattr(target, "start_lab", start)


async def test_demo_real_nodes_replaces_the_lab_a_scenario_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `stswatch demo --real-nodes` right after `stswatch demo` refused until `lab down`.
    calls: list[str] = []
    _running(monkeypatch, _Lab(started_by=target.STARTED_BY, real=False), calls)
    await target.lab_target(storage_class=None, progress=calls.append, real_nodes=1)
    done = [c for c in calls if c == "stop" or c.startswith("start ")]
    assert done == ["stop", f"start real_nodes=1 by {target.STARTED_BY}"]


async def test_a_lab_the_user_started_is_never_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _running(monkeypatch, _Lab(started_by="lab up", real=False), calls)
    with pytest.raises(LabError, match="does not have only real nodes"):
        await target.lab_target(storage_class=None, progress=calls.append, real_nodes=1)
    assert calls == []
