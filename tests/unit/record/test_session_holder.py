"""One recorder per session: a second is refused naming the first; a dead one is taken over."""

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from stswatch.errors import ExitCode, SessionHeldError
from stswatch.record.holder import Holder, HolderRow
from stswatch.record.recorder import this_process
from stswatch.record.writable_store import Store, open_store

SECOND = 10**9
STALE = 30 * SECOND


def holder(*, host: str = "here", pid: int = 100, alive: bool = True) -> Holder:
    return Holder(host=host, pid=pid, stale_after_ns=STALE, pid_alive=lambda _: alive)


async def start(store: Store, claimant: Holder, *, now: int) -> int:
    session = await store.begin_session(name="s1", scope={"namespace": "lab"}, now_wall_ns=now)
    return await store.start_run(
        session_id=session.id,
        now_wall_ns=now,
        server_url="https://127.0.0.1:6443",
        server_version="v1.34.4",
        stswatch_version="0.1.0",
        keep_env=False,
        holder=claimant,
    )


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    opened = await open_store(tmp_path / "s.db")
    yield opened  # type: ignore[misc]
    await opened.close()


async def test_a_second_recorder_is_refused_naming_the_holder(store: Store) -> None:
    start_ns = 1_764_000_000 * SECOND
    first = await start(store, holder(pid=100), now=start_ns)
    with pytest.raises(SessionHeldError) as info:
        await start(store, holder(pid=200), now=start_ns + 3 * SECOND)
    assert info.value.exit_code == ExitCode.SESSION_HELD
    assert info.value.message == (
        "this session is being recorded by another recorder: pid 100 on host here (run "
        f"{first}) since 2025-11-24 16:00:00 UTC, last heard of 3 s ago; stop that one first, "
        "or record under another session name"
    )


async def test_a_refused_recorder_leaves_no_run_behind(store: Store, tmp_path: Path) -> None:
    await start(store, holder(pid=100), now=SECOND)
    with pytest.raises(SessionHeldError):
        await start(store, holder(pid=200), now=2 * SECOND)
    runs = await store._conn.execute_fetchall("SELECT count(*) FROM run")
    assert list(runs) == [(1,)]


async def test_a_holder_whose_pid_died_on_this_host_is_taken_over(store: Store) -> None:
    await start(store, holder(pid=100), now=SECOND)
    run = await start(store, holder(pid=200, alive=False), now=2 * SECOND)
    assert run == 2


async def test_a_holder_on_another_host_is_judged_by_its_heartbeat(store: Store) -> None:
    first = await start(store, holder(host="elsewhere"), now=SECOND)
    with pytest.raises(SessionHeldError):
        await start(store, holder(alive=False), now=SECOND + STALE)
    await store.write_batch(
        session_id=1, run_id=first, written_wall_ns=20 * SECOND, changes=[], holding=True
    )
    with pytest.raises(SessionHeldError, match="last heard of 30 s ago"):
        await start(store, holder(alive=False), now=50 * SECOND)
    assert await start(store, holder(alive=False), now=51 * SECOND) == 2


async def test_the_old_holder_stops_writing_once_taken_over(store: Store) -> None:
    first = await start(store, holder(host="elsewhere"), now=SECOND)
    await start(store, holder(), now=STALE + 2 * SECOND)
    with pytest.raises(SessionHeldError, match="another recorder took the session over"):
        await store.write_batch(
            session_id=1, run_id=first, written_wall_ns=STALE + 3 * SECOND, changes=[], holding=True
        )


async def test_ending_the_run_releases_the_session(store: Store) -> None:
    first = await start(store, holder(pid=100), now=SECOND)
    await store.end_run(run_id=first, now_wall_ns=2 * SECOND, reason="duration")
    assert await start(store, holder(pid=200), now=3 * SECOND) == first + 1


def test_a_recorder_in_another_pid_namespace_is_on_another_host() -> None:
    # A container with network_mode: host shares the hostname, not the pids: it judged a live
    # holder's pid dead, took the session over and recorded false "recorder down" gaps.
    here = this_process()
    script = "from stswatch.record.recorder import this_process; print(this_process().host)"
    command = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script]
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1)")
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if run.returncode != 0:
        pytest.skip(f"cannot make a PID namespace here: {run.stderr.strip()[-200:]}")
    there = run.stdout.strip()
    assert there != here.host
    assert there.split(" (pid namespace ")[0] == here.host.split(" (pid namespace ")[0]
    # Its pid 1 is not ours to judge: only its heartbeat says whether it still records.
    row = HolderRow(run_id=1, host=there, pid=1, since_wall_ns=0, heartbeat_wall_ns=0)
    claimant = replace(here, pid_alive=lambda _: False)
    assert row.alive(claimant=claimant, now_wall_ns=SECOND)
