"""Which recorder holds a session: the claim a run keeps in the store, and when it is dead.

One recorder per session: a run claims its session in the store (table `holder`) when it
starts, refreshes the claim with every commit, and gives it up when it ends. A claim is dead,
and may be taken over, when it was not refreshed for `stale_after_ns`, or when its pid is gone
on this host. The store applies the rule (`stswatch.record.writable_store`); this module says it.

"This host" is the hostname and the PID namespace (`host_identity`): a container with
`network_mode: host` (as the shipped compose file runs the recorder) shares the hostname of the
host but not its pids, and must not judge a holder's pid it cannot see as dead.
"""

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Holder", "HolderRow", "host_identity"]


def host_identity() -> str:
    """`<hostname> (pid namespace <inode>)`: where a pid means one process (Linux
    namespaces(7): two processes share a PID namespace when /proc/<pid>/ns/pid has one inode);
    the bare hostname where /proc says nothing."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()} (pid namespace {namespace})"


@dataclass(frozen=True)
class Holder:
    """A recorder process that claims a session: where it runs and when its claim goes stale."""

    host: str
    pid: int
    stale_after_ns: int
    pid_alive: Callable[[int], bool]


@dataclass(frozen=True)
class HolderRow:
    """A claim as the store holds it."""

    run_id: int
    host: str
    pid: int
    since_wall_ns: int
    heartbeat_wall_ns: int

    def alive(self, *, claimant: Holder, now_wall_ns: int) -> bool:
        """Whether the holder still records: heard of recently, and its pid lives (same host and
        PID namespace; elsewhere only the heartbeat tells)."""
        if now_wall_ns - self.heartbeat_wall_ns > claimant.stale_after_ns:
            return False
        return self.host != claimant.host or claimant.pid_alive(self.pid)

    def refusal(self, *, now_wall_ns: int) -> str:
        """Why a second recorder may not record the session, naming this holder."""
        since = datetime.fromtimestamp(self.since_wall_ns / 1e9, tz=UTC)
        heard = (now_wall_ns - self.heartbeat_wall_ns) / 1e9
        return (
            "this session is being recorded by another recorder: "
            f"pid {self.pid} on host {self.host} (run {self.run_id}) since "
            f"{since:%Y-%m-%d %H:%M:%S} UTC, last heard of {heard:.0f} s ago; stop that one "
            "first, or record under another session name"
        )
