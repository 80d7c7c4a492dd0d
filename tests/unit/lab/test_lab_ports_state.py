"""Free port picking and the lab state file; a state file someone else wrote stops nothing."""

import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from stswatch import safe_text
from stswatch.cli import main
from stswatch.errors import ExitCode, LabError
from stswatch.lab import realnode
from stswatch.lab.lab import stop_lab
from stswatch.lab.ports import LOOPBACK, free_port, free_ports, is_listening
from stswatch.lab.process import is_alive, spawn
from stswatch.lab.realnode import layout as realnode_layout
from stswatch.lab.state import LabState, ProcessRecord, read_state, state_path, write_state


def test_free_ports_are_distinct_and_bindable() -> None:
    ports = free_ports(["a", "b", "c", "d"])
    assert len(set(ports.values())) == 4
    for port in ports.values():
        with socket.socket() as sock:
            sock.bind((LOOPBACK, port))


def test_free_port_skips_a_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind((LOOPBACK, 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert is_listening(taken)
        assert free_port(taken=[taken]) != taken


def _state(directory: Path) -> LabState:
    argv = ("etcd", f"--data-dir={directory.resolve()}/etcd")
    record = ProcessRecord(name="etcd", pid=123, create_time=1.5, log="/x/etcd.log", argv=argv)
    return LabState(
        directory=str(directory),
        kubeconfig=str(directory / "kubeconfig"),
        api_server_url="https://127.0.0.1:6443",
        etcd_endpoint="http://127.0.0.1:2379",
        storage_class="stswatch-local",
        nodes=("lab-node-0",),
        ports={"etcd": 2379},
        processes=(record,),
        ready_seconds=4.2,
    )


def test_state_round_trips(tmp_path: Path) -> None:
    state = _state(tmp_path)
    write_state(state)
    assert read_state(tmp_path) == state
    assert state.process("etcd").pid == 123


def test_no_state_file_means_no_lab(tmp_path: Path) -> None:
    assert read_state(tmp_path) is None


def test_garbled_state_file_is_a_lab_error(tmp_path: Path) -> None:
    state_path(tmp_path).write_text("{not json")
    with pytest.raises(LabError, match="not a lab state file"):
        read_state(tmp_path)


def test_unknown_process_name_is_a_lab_error(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="no process named 'kwok'"):
        _state(tmp_path).process("kwok")


_VICTIM = (sys.executable, "-c", "import time; time.sleep(60)")


def _victim() -> subprocess.Popen[bytes]:
    """A process that is not the lab's (as sshd would be to a root `lab down`), once /proc shows
    its own command line (just after the fork it is empty, or still the parent's)."""
    victim = subprocess.Popen(_VICTIM)
    deadline = time.monotonic() + 10
    while tuple(psutil.Process(victim.pid).cmdline()) != _VICTIM and time.monotonic() < deadline:
        time.sleep(0.01)
    return victim


def _forge(directory: Path, victim: subprocess.Popen[bytes], argv: tuple[str, ...]) -> None:
    process = psutil.Process(victim.pid)
    record = ProcessRecord("etcd", victim.pid, process.create_time(), "/x/etcd.log", argv)
    write_state(replace(_state(directory), processes=(record,)))


def test_a_forged_state_file_naming_another_process_stops_nothing(tmp_path: Path) -> None:
    # pid and start time were checked, the command line was not: `lab down` killed the victim.
    victim = _victim()
    try:
        _forge(tmp_path, victim, _VICTIM)
        with pytest.raises(LabError) as info:
            stop_lab(tmp_path)
        assert info.value.exit_code == ExitCode.LAB
        assert "runs a command that names nothing in" in info.value.message
        # Naming the directory is not enough: the live command line must be the recorded one.
        _forge(tmp_path, victim, ("etcd", f"--data-dir={tmp_path.resolve()}/etcd"))
        assert [s.was_running for s in stop_lab(tmp_path)] == [False]
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_a_forged_state_file_cannot_drive_the_terminal_of_lab_status(tmp_path: Path) -> None:
    """`lab status` on a shared --dir shows lab.json's strings escaped: no ESC sequence, and no
    forged `export KUBECONFIG=` line of its own."""
    forged = "\x1b]0;owned\x07\u202e\nexport KUBECONFIG=/tmp/forged"
    state = _state(tmp_path)
    record = replace(state.processes[0], name="etcd" + forged, log="/x/etcd.log" + forged)
    write_state(
        replace(
            state,
            kubeconfig=state.kubeconfig + forged,
            api_server_url=state.api_server_url + forged,
            processes=(record,),
        )
    )
    result = CliRunner().invoke(main, ["lab", "status", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert safe_text.field(forged) in result.output
    assert all(
        not line.startswith("export KUBECONFIG=/tmp/forged") for line in result.output.splitlines()
    )
    assert safe_text.lines(result.output.splitlines()) == result.output


def test_a_forged_real_node_layout_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A root `lab down` acted on whatever cgroups, /run folders and mounts the file named.
    monkeypatch.setattr(realnode_layout, "_subnets_in_use", set)
    layout = realnode.plan(tmp_path.resolve(), count=1)
    realnode.write_layout(replace(layout, nodes=(replace(layout.nodes[0], cgroup_root="/"),)))
    with pytest.raises(LabError, match=r"nodes\[0\]\.cgroup_root not what a lab in"):
        realnode.read_layout(tmp_path)
    realnode.write_layout(layout)
    assert realnode.read_layout(tmp_path) == layout


def test_a_process_just_started_is_alive(tmp_path: Path) -> None:
    # /proc/<pid>/cmdline can read empty right after the exec: the command-line check then
    # took a starting containerd or kubelet for dead ("exited during start-up").
    for _ in range(200):
        child, record = spawn(name="sleep", argv=["sleep", "5"], log=tmp_path / "sleep.log")
        try:
            assert is_alive(record)
        finally:
            child.kill()
            child.wait()


def test_a_process_stays_the_labs_when_the_wall_clock_moves(tmp_path: Path) -> None:
    # A paused or stepped machine moves the wall clock's idea of the boot time, and with it every
    # psutil create_time: a record 100 s off is still its process by its start in clock ticks.
    process, record = spawn(name="sleeper", argv=("sleep", "30"), log=tmp_path / "sleeper.log")
    try:
        assert record.start_ticks is not None
        moved = replace(record, create_time=record.create_time - 100.0)
        assert is_alive(moved)
        assert not is_alive(replace(moved, start_ticks=record.start_ticks + 1))
        # A record of an older lab (no ticks) keeps the create_time check.
        assert not is_alive(replace(moved, start_ticks=None))
        assert is_alive(replace(record, start_ticks=None))
    finally:
        process.kill()
        process.wait()
