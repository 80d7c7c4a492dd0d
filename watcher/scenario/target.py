"""Which cluster a scenario runs on: the configured kubeconfig's, or else the local lab."""

import os
from pathlib import Path

from watcher.lab.lab import attach_lab, lab_status, start_lab
from watcher.lab.paths import default_lab_dir
from watcher.scenario.runner import ScenarioTarget
from watcher.scenario.steps import Progress

DEFAULT_KUBECONFIG = Path("~/.kube/config")


def kubeconfig_configured(*, kubeconfig: Path | None, context: str | None) -> bool:
    """Whether a cluster is configured: options, $KUBECONFIG, ~/.kube/config, or in-cluster."""
    if kubeconfig or context or os.environ.get("KUBECONFIG"):
        return True
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return True
    return DEFAULT_KUBECONFIG.expanduser().is_file()


async def lab_target(*, storage_class: str | None, progress: Progress) -> ScenarioTarget:
    """The local lab (started, and built if needed, when it is not running)."""
    directory = default_lab_dir()
    status = lab_status(directory)
    if status is not None and status.running:
        lab = attach_lab(directory)
        progress(f"using the running lab in {directory}")
    else:
        progress(f"starting the local lab in {directory} (the first start builds it)")
        lab = await start_lab(directory, report=progress)
        progress(f"lab up: {lab.api_server_url} (stop it with `stswatch lab down`)")
    return ScenarioTarget(
        kubeconfig=lab.kubeconfig, storage_class=storage_class or lab.storage_class
    )


async def resolve_target(
    *, kubeconfig: Path | None, context: str | None, storage_class: str | None, progress: Progress
) -> ScenarioTarget:
    """The configured cluster if there is one, else the local lab."""
    if kubeconfig_configured(kubeconfig=kubeconfig, context=context):
        return ScenarioTarget(kubeconfig=kubeconfig, context=context, storage_class=storage_class)
    progress("no kubeconfig configured: using the local lab")
    return await lab_target(storage_class=storage_class, progress=progress)
