"""A component that dies at start-up is named, its log tail shown, and nothing is left running."""

import asyncio
from pathlib import Path

import pytest

from stswatch.errors import LabError
from stswatch.lab import build, lab
from stswatch.lab.lab import lab_status, start_lab


def _fake_binaries(tmp_path: Path, *, says: str = "etcd: data dir is corrupt") -> build.Binaries:
    etcd = tmp_path / "etcd"
    etcd.write_text(f"#!/bin/sh\necho '{says}' >&2\nexit 3\n")
    etcd.chmod(0o755)
    never = tmp_path / "never-started"
    return build.Binaries(
        kube_apiserver=never,
        kube_controller_manager=never,
        kube_scheduler=never,
        etcd=etcd,
        kwok=never,
    )


async def test_dead_component_is_named_with_its_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(lab.build, "binaries", lambda **_: _fake_binaries(tmp_path))
    directory = tmp_path / "lab"
    with pytest.raises(LabError) as raised:
        await asyncio.wait_for(start_lab(directory), timeout=30)
    message = str(raised.value)
    assert message.startswith("etcd exited during start-up")
    assert "data dir is corrupt" in message
    status = lab_status(directory)
    assert status is not None
    assert not status.running


async def test_a_directory_that_never_held_a_lab_is_not_cleared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(lab.build, "binaries", lambda **_: _fake_binaries(tmp_path))
    directory = tmp_path / "precious"
    (directory / "logs").mkdir(parents=True)
    (directory / "logs" / "keep.txt").write_text("mine")
    with pytest.raises(LabError, match="holds no lab"):
        await start_lab(directory)
    assert (directory / "logs" / "keep.txt").read_text() == "mine"


async def test_a_port_taken_meanwhile_is_retried_on_new_ports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    taken = "listen tcp 127.0.0.1:2379: bind: address already in use"
    monkeypatch.setattr(lab.build, "binaries", lambda **_: _fake_binaries(tmp_path, says=taken))
    reports: list[str] = []
    with pytest.raises(LabError, match="address already in use"):
        await asyncio.wait_for(start_lab(tmp_path / "lab", report=reports.append), timeout=30)
    assert sum("retrying on new ports" in line for line in reports) == 2
