"""Which cluster a scenario runs on: a configured one, else the lab."""

from pathlib import Path

import pytest

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
