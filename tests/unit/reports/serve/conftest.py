"""Stores written by the shared `ClusterBuilder`, and an aiohttp test client over `serve`'s app."""

import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from stswatch.reports.serve.app import create_app
from stswatch.store import CHANGE_COLUMNS
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


def hold_session(path: Path, *, heartbeat_ns: int | None = None) -> None:
    """Claim session 1 for a recorder heard of at `heartbeat_ns` (default: now), WAL mode."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "INSERT OR REPLACE INTO holder (session_id, run_id, host, pid, since_wall_ns, "
        "heartbeat_wall_ns) VALUES (1, 1, 'elsewhere', 1, ?, ?)",
        (time.time_ns(), heartbeat_ns or time.time_ns()),
    )
    conn.commit()
    conn.close()


def record_one_more(path: Path) -> int:
    """Append a copy of the session's last change as a new change (a recorder's commit); its id."""
    columns = ", ".join(CHANGE_COLUMNS)
    conn = sqlite3.connect(path)
    with conn:
        cursor = conn.execute(
            f"INSERT INTO change ({columns}) SELECT {columns} FROM change "
            "WHERE id = (SELECT max(id) FROM change)"
        )
    conn.close()
    assert cursor.lastrowid is not None
    return cursor.lastrowid
