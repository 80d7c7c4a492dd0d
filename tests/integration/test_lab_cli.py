"""`stswatch lab up|status|down` end to end, as a user runs them: a second, small lab."""

import subprocess
import sys
from pathlib import Path

import pytest
from kubernetes_asyncio import client, config

from stswatch.lab.lab import lab_status
from stswatch.lab.process import is_alive

pytestmark = pytest.mark.integration

STSWATCH = str(Path(sys.executable).with_name("stswatch"))


def stswatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STSWATCH, "lab", *args], capture_output=True, text=True, timeout=180, check=False
    )


async def ready_nodes(kubeconfig: str) -> list[str]:
    api = await config.new_client_from_config(config_file=kubeconfig)
    async with api:
        nodes = await client.CoreV1Api(api).list_node()
    return sorted(
        n.metadata.name
        for n in nodes.items
        if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or ())
    )


async def test_up_status_down(tmp_path: Path) -> None:
    directory = tmp_path / "cli-lab"
    up = stswatch("up", "--dir", str(directory), "--nodes", "2", "--fast")
    try:
        assert up.returncode == 0, up.stderr
        export = up.stdout.strip().splitlines()[-1]
        assert export.startswith("export KUBECONFIG=")
        kubeconfig = export.removeprefix("export KUBECONFIG=")
        assert await ready_nodes(kubeconfig) == ["lab-node-0", "lab-node-1"]

        status = stswatch("status", "--dir", str(directory))
        assert status.returncode == 0
        assert "running" in status.stdout.splitlines()[0]
    finally:
        recorded = lab_status(directory)
        down = stswatch("down", "--dir", str(directory))
    assert down.returncode == 0
    assert recorded is not None
    for record in recorded.state.processes:
        assert f"{record.name} (pid {record.pid}): stopped" in down.stdout
        assert not is_alive(record)
