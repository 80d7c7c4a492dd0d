"""What the tests on real lab nodes share: whether this host must run them, leftover labs taken
down, and bounded waits on pods."""

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiClient

from stswatch.lab import realnode
from stswatch.lab.images import missing_tools
from stswatch.lab.lab import stop_lab
from stswatch.lab.recorder_image import missing_tools as image_missing_tools

WAIT_S = 120.0
POLL_S = 0.5
REQUIRE_ENVS = ("CI", "STSWATCH_REQUIRE_REAL_NODES")  # .ci/run sets the second


def required() -> bool:
    """In CI a host that cannot run real nodes fails the tests; elsewhere they skip."""
    return any(os.environ.get(name) for name in REQUIRE_ENVS)


def host_problems() -> list[str]:
    missing = missing_tools() + image_missing_tools()
    return realnode.host_problems() + [f"Debian package {p}" for p in missing]


def skip_unless_real_nodes_can_run() -> None:
    """Skip, naming what is missing, where the host cannot run real nodes; when `required`, go
    on, so that starting the lab fails the test loudly."""
    problems = host_problems()
    if problems and not required():
        pytest.skip(f"real nodes need: {'; '.join(problems)}")


def stop_leftover_labs(pytest_root: Path) -> None:
    """A run killed before its teardown leaves real nodes behind: take them down now."""
    for layout in pytest_root.glob(f"pytest-*/*/{realnode.LAYOUT_FILE}"):
        print(f"taking down leftover real-node lab {layout.parent}")
        stop_lab(layout.parent)


def ready(pod: dict[str, Any] | None) -> bool:
    conditions = (pod or {}).get("status", {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


async def until(what: str, check: Any, *, wait_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"gave up after {wait_s:.0f}s waiting for {what}")


async def api_call(
    api: ApiClient,
    method: str,
    path: str,
    query: list[tuple[str, str]] | None = None,
    *,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One request by kubernetes-asyncio's own path, outside the product's client: a 4xx is its
    `ApiException` (a test may impersonate another user through `headers`)."""
    result: dict[str, Any] = await api.call_api(
        path,
        method,
        query_params=query or [],
        header_params={"Accept": "application/json", **(headers or {})},
        body=body,
        response_types_map={200: "object", 201: "object", 202: "object"},
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
        _request_timeout=30,
    )
    return result
