"""The lab's state file (`lab.json`): which processes it started, on which ports, and where."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stswatch.errors import LabError
from stswatch.output import write_output

STATE_FILE = "lab.json"


@dataclass(frozen=True)
class ProcessRecord:
    """One process the lab started: pid plus its start time, so a reused pid is never killed."""

    name: str
    pid: int
    create_time: float
    log: str
    argv: tuple[str, ...]
    # Its start in clock ticks after boot (/proc/<pid>/stat, field 22): unlike create_time, which
    # is derived from the wall clock's idea of the boot time, it does not move when the wall
    # clock is stepped or the machine is paused. None in records of older labs.
    start_ticks: int | None = None


@dataclass(frozen=True)
class LabState:
    """Everything `lab status`, `lab down` and the test fixture need to find a running lab."""

    directory: str
    kubeconfig: str
    api_server_url: str
    etcd_endpoint: str
    storage_class: str
    nodes: tuple[str, ...]
    ports: Mapping[str, int]
    processes: tuple[ProcessRecord, ...] = ()
    started_at: float = 0.0
    ready_seconds: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def process(self, name: str) -> ProcessRecord:
        """The record of the named component."""
        for record in self.processes:
            if record.name == name:
                return record
        raise LabError(f"the lab has no process named {name!r}")


def state_path(directory: Path) -> Path:
    """`<lab dir>/lab.json`."""
    return directory / STATE_FILE


def write_json_atomically(path: Path, data: object) -> None:
    """Write `data` as indented JSON beside `path`, then rename it over `path`
    (`stswatch.output.write_output`, the one writer of every file stswatch produces)."""
    write_output(path, orjson.dumps(data, option=orjson.OPT_INDENT_2))


def write_state(state: LabState) -> None:
    """Atomically replace the state file."""
    write_json_atomically(state_path(Path(state.directory)), asdict(state))


def read_state(directory: Path) -> LabState | None:
    """The state file's contents, or None when the directory never held a lab."""
    path = state_path(directory)
    if not path.is_file():
        return None
    try:
        raw = orjson.loads(path.read_bytes())
        processes = tuple(
            ProcessRecord(**{**record, "argv": tuple(record["argv"])})
            for record in raw.pop("processes")
        )
        state = LabState(**{**raw, "nodes": tuple(raw["nodes"]), "processes": processes})
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise LabError(f"{path} is not a lab state file ({exc}); remove it to start over") from exc
    _check_processes(state, path=path, directory=directory)
    return state


def _check_processes(state: LabState, *, path: Path, directory: Path) -> None:
    """Every process the file names runs a command naming a file of this lab's directory.

    `lab down` signals what the file names, maybe as root, and a shared `--dir` may hold a file
    someone else wrote: a record of another process (its pid, start time and command line can be
    read from /proc) is refused here, before anything is signalled.
    """
    inside = f"{directory.resolve()}/"
    for record in state.processes:
        if not (
            isinstance(record.pid, int)
            and record.argv
            and all(isinstance(a, str) for a in record.argv)
        ):
            raise LabError(f"{path}: process {record.name!r} is not a lab process record")
        if not any(inside in argument for argument in record.argv):
            raise LabError(
                f"{path}: process {record.name!r} (pid {record.pid}) runs a command that names "
                f"nothing in {directory}: not a process of this lab; nothing was stopped (remove "
                "the file if it is not yours)"
            )
