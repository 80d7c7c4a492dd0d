"""Shared builders for the recorder's unit tests."""

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import orjson
import pytest
from aiohttp import web
from kubernetes_asyncio.client import ApiClient, Configuration

from stswatch.record.records import ChangeRecord
from stswatch.record.writable_store import Store

MakeChange = Callable[..., ChangeRecord]
StartSession = Callable[[Store], Awaitable[tuple[int, int]]]


def _change(name: str = "redis-0", *, event: str = "ADDED", rv: str = "1") -> ChangeRecord:
    obj = {"kind": "Pod", "metadata": {"name": name, "uid": f"uid-{name}", "resourceVersion": rv}}
    return ChangeRecord(
        kind="Pod",
        namespace="lab",
        name=name,
        uid=f"uid-{name}",
        event=event,  # type: ignore[arg-type]
        resource_version=rv,
        observed="watch",
        received_wall_ns=time.time_ns(),
        received_mono_ns=time.monotonic_ns(),
        object_json=orjson.dumps(obj).decode(),
    )


async def _start_session(store: Store) -> tuple[int, int]:
    session = await store.begin_session(name="s1", scope={"namespace": "lab"}, now_wall_ns=1)
    run_id = await store.start_run(
        session_id=session.id,
        now_wall_ns=2,
        server_url="https://127.0.0.1:6443",
        server_version="v1.34.1",
        stswatch_version="0.1.0",
        keep_env=False,
    )
    return session.id, run_id


@pytest.fixture
def make_change() -> MakeChange:
    """Build a Pod change record named `name`."""
    return _change


@pytest.fixture
def start_session() -> StartSession:
    """Create session `s1` and a run in a store; returns (session id, run id)."""
    return _start_session


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh database path."""
    return tmp_path / "s.db"


@asynccontextmanager
async def api_client_for(app: web.Application) -> AsyncIterator[ApiClient]:
    """Serve `app` on 127.0.0.1 (a free port) and yield an ApiClient pointed at it."""
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    api = ApiClient(configuration=Configuration(host=f"http://127.0.0.1:{runner.addresses[0][1]}"))
    try:
        yield api
    finally:
        await api.close()
        await runner.cleanup()


@pytest.fixture
def serve() -> Callable[[web.Application], AbstractAsyncContextManager[ApiClient]]:
    """`async with serve(app) as api`: a scripted API server and a client for it."""
    return api_client_for
