"""Bounded waits for lab components: a health URL answering 200, the process still alive."""

import asyncio
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path

from stswatch.errors import LabError
from stswatch.lab.certs import Pki
from stswatch.lab.components import ComponentSpec, Health
from stswatch.lab.process import is_alive, log_tail
from stswatch.lab.state import ProcessRecord

POLL_S = 0.25
PROBE_TIMEOUT_S = 2.0


def _context(health: Health, pki: Pki) -> ssl.SSLContext | None:
    if not health.url.startswith("https://"):
        return None
    if health.client_cert:
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        context.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))
        return context
    # The controller-manager and scheduler serve a self-signed cert made at start-up.
    return ssl._create_unverified_context()


def probe(health: Health, *, pki: Pki) -> bool:
    """True when the health URL answers 200 now."""
    try:
        with urllib.request.urlopen(
            health.url, timeout=PROBE_TIMEOUT_S, context=_context(health, pki)
        ) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def failed_to_start(*, name: str, record: ProcessRecord, why: str) -> LabError:
    """The error for a component that did not come up: its name, why, and its log tail."""
    tail = log_tail(Path(record.log))
    return LabError(f"{name} {why}; last lines of {record.log}:\n{tail}")


async def wait_healthy(
    spec: ComponentSpec, *, record: ProcessRecord, pki: Pki, wait_s: float
) -> None:
    """Wait until the component is healthy; raise naming it (with its log) if it dies or stalls."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if not is_alive(record):
            raise failed_to_start(name=spec.name, record=record, why="exited during start-up")
        if spec.health is None or await asyncio.to_thread(probe, spec.health, pki=pki):
            return
        await asyncio.sleep(POLL_S)
    url = spec.health.url if spec.health else "its start"
    why = f"not healthy at {url} after {wait_s:.0f}s"
    raise failed_to_start(name=spec.name, record=record, why=why)
