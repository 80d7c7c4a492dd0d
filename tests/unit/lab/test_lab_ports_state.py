"""Free port picking and the lab state file."""

import socket
from pathlib import Path

import pytest

from stswatch.errors import LabError
from stswatch.lab.ports import LOOPBACK, free_port, free_ports, is_listening
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
    record = ProcessRecord(name="etcd", pid=123, create_time=1.5, log="/x/etcd.log", argv=("etcd",))
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
