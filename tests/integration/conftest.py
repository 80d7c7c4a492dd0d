"""What the integration tests share: one lab with two real nodes per module that asks for
`real_lab` (`realnode_support` says when the host cannot run them)."""

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from realnode_support import skip_unless_real_nodes_can_run, stop_leftover_labs

from stswatch.lab import realnode
from stswatch.lab.lab import LabHandle, start_lab


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def real_lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LabHandle]:
    """A lab with two real nodes and CoreDNS; torn down (host left clean) afterwards."""
    skip_unless_real_nodes_can_run()
    stop_leftover_labs(tmp_path_factory.getbasetemp().parent)
    directory = tmp_path_factory.mktemp("reallab")
    handle = await start_lab(directory, nodes=0, real_nodes=2, report=print)
    try:
        yield handle
    finally:
        await asyncio.to_thread(handle.down)
        layout = realnode.read_layout(directory)
        assert layout is None, "lab down left its real-node layout (something stayed behind)"
