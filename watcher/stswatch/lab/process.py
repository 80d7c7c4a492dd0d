"""Start lab components as detached processes and stop exactly those, by pid and start time."""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

from stswatch.lab.state import ProcessRecord

STOP_TIMEOUT_S = 5.0
LOG_TAIL_LINES = 25


def spawn(
    *, name: str, argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], ProcessRecord]:
    """Start `argv` in its own session (so it outlives the CLI), output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env) if env is not None else None,
            cwd=log.parent,
        )
    try:
        create_time = psutil.Process(process.pid).create_time()
    except psutil.NoSuchProcess:
        create_time = 0.0
    record = ProcessRecord(
        name=name,
        pid=process.pid,
        create_time=create_time,
        log=str(log),
        argv=tuple(argv),
        start_ticks=start_ticks(process.pid),
    )
    return process, record


def _live_process(record: ProcessRecord) -> psutil.Process | None:
    """The process behind `record` if it still runs and is the same one: its start time and
    its whole command line as recorded (a reused pid, or a state file written by someone else
    naming another process, is never signalled; `state.read_state` checks the command line
    names the lab's directory)."""
    try:
        process = psutil.Process(record.pid)
        if record.start_ticks is not None:
            if start_ticks(record.pid) != record.start_ticks:
                return None
        elif abs(process.create_time() - record.create_time) > 1.0:
            return None
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        # The command line ends with the recorded argv (a script's starts with its interpreter).
        if tuple(_command_line(process)[-len(record.argv) :]) != record.argv:
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return process


def start_ticks(pid: int) -> int | None:
    """When process `pid` started, in clock ticks after boot (/proc/<pid>/stat, field 22, proc(5));
    None when it is gone or unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _command_line(process: psutil.Process) -> list[str]:
    """The process's command line; read again for up to 0.1 s while it reads empty, as
    /proc/<pid>/cmdline can right after the exec (a kernel thread's stays empty)."""
    for _ in range(10):
        line: list[str] = process.cmdline()
        if line:
            return line
        time.sleep(0.01)
    return []


def is_alive(record: ProcessRecord) -> bool:
    """True while the recorded process runs."""
    return _live_process(record) is not None


def stop_all(records: Sequence[ProcessRecord], *, timeout: float = STOP_TIMEOUT_S) -> list[bool]:
    """SIGTERM every record's process group at once, SIGKILL what is left after `timeout`.

    Returns, per record, whether it was running. Signalling all first keeps `down` as slow as
    the slowest component (kube-apiserver drains for a while), not the sum of them.
    """
    live = [_live_process(record) for record in records]
    running = [(r, p) for r, p in zip(records, live, strict=True) if p is not None]
    for record, _ in running:
        _signal_group(record.pid, signal.SIGTERM)
    _, survivors = psutil.wait_procs([p for _, p in running], timeout=timeout)
    survivor_pids = {p.pid for p in survivors}
    for record, _ in running:
        if record.pid in survivor_pids:
            _signal_group(record.pid, signal.SIGKILL)
    psutil.wait_procs(survivors, timeout=timeout)
    return [p is not None for p in live]


def kill(record: ProcessRecord) -> bool:
    """SIGKILL the record's process group (a crash, not a shutdown); False if it was not running."""
    process = _live_process(record)
    if process is None:
        return False
    _signal_group(record.pid, signal.SIGKILL)
    with contextlib.suppress(psutil.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_S)
    return True


def stop(record: ProcessRecord, *, timeout: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM the record's process group, SIGKILL after `timeout`; False if it was not running."""
    process = _live_process(record)
    if process is None:
        return False
    # Each component leads its own session (start_new_session), so its pgid is its pid.
    _signal_group(record.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except psutil.TimeoutExpired:
        _signal_group(record.pid, signal.SIGKILL)
        try:
            process.wait(timeout=timeout)
        except psutil.TimeoutExpired:
            return True
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def log_tail(log: Path, *, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a component log (empty if it has none yet)."""
    try:
        text = log.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
