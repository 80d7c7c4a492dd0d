"""Stores written by the shared `ClusterBuilder`, and an aiohttp test client over `serve`'s app."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from stswatch.reports.serve.app import create_app
from tests.browser.sessions import lab_session, store_session
from tests.fixtures.builder import ClusterBuilder


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """The lesson's lab session `s1` (0→3, a pod recreated, 3→5, 5→3), recorder gone."""
    path = tmp_path / "store.db"
    builder = ClusterBuilder(namespace="lab")
    lab_session(builder)
    store_session(builder, path)
    return path


@pytest_asyncio.fixture
async def client(store: Path) -> AsyncIterator[TestClient[object, object]]:
    """A client of `serve` over `store`."""
    async with TestClient(TestServer(create_app(store))) as found:
        yield found
