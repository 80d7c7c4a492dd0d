"""Which cluster a scenario runs on: the configured kubeconfig's, or else the local lab."""

import asyncio
import os
from pathlib import Path

from stswatch.errors import LabError
from stswatch.lab.lab import attach_lab, lab_status, start_lab, stop_lab
from stswatch.lab.paths import default_lab_dir
from stswatch.scenario.runner import ScenarioTarget
from stswatch.scenario.steps import Progress

DEFAULT_KUBECONFIG = Path("~/.kube/config")
STARTED_BY = "a scenario"  # the lab state's `started_by` of a lab this module started


def kubeconfig_configured(*, kubeconfig: Path | None, context: str | None) -> bool:
    """Whether a cluster is configured: options, $KUBECONFIG, ~/.kube/config, or in-cluster."""
    if kubeconfig or context or os.environ.get("KUBECONFIG"):
        return True
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        return True
    return DEFAULT_KUBECONFIG.expanduser().is_file()


async def lab_target(
    *, storage_class: str | None, progress: Progress, real_nodes: int = 0
) -> ScenarioTarget:
    """The local lab (started, and built if needed, when it is not running).

    With `real_nodes`, a running lab must have real nodes and no fake ones (a pod on a fake
    node runs no container to exec in); a new lab starts with that many real nodes only. A lab
    that does not fit is replaced when a scenario started it (`stswatch demo`, then `stswatch
    demo --real-nodes`), and refused when the user did (`lab up`).
    """
    directory = default_lab_dir()
    status = lab_status(directory)
    running = attach_lab(directory) if status is not None and status.running else None
    if running is not None and real_nodes and (not running.real_nodes or running.nodes):
        if running.state.options.get("started_by") != STARTED_BY:
            raise LabError(
                f"the lab running in {directory} does not have only real nodes; stop it "
                "(`stswatch lab down`) and run this again, or start one with "
                f"`stswatch lab up --real-nodes {real_nodes}`"
            )
        progress(f"stopping the lab in {directory}: a scenario started it without real nodes")
        await asyncio.to_thread(stop_lab, directory, report=progress)
        running = None
    if running is not None:
        progress(f"using the running lab in {directory}")
        lab = running
    else:
        progress(f"starting the local lab in {directory} (the first start builds it)")
        nodes = 0 if real_nodes else 3
        lab = await start_lab(
            directory, nodes=nodes, real_nodes=real_nodes, report=progress, started_by=STARTED_BY
        )
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
