"""What the mark of a scenario's exec step holds in the store, and how an nslookup output reads.

An exec step leaves one mark when its output is known (`stswatch.scenario.steps`). Beside the
step's usual detail (`kind: "exec"`, `step`, `status`, `note`) it holds the command as it ran,
so the reading side can cite what a pod printed without re-running anything:

- `pod`, `namespace`: where the command ran;
- `command`: the argv after placeholder substitution (list of strings);
- `output`: what it printed, stripped (for a check that failed: the last output seen); a long
  output keeps its first and last 32 KiB around a note of how much was left out;
- `output_bytes`: how many bytes it printed in all;
- `exit_code`: its exit status (null when it could not run to an exit: no such program).

Marks recorded before these keys existed lack them; readers then cite nothing.

What the reading side parses out of an output lives here too (`dns_answers`, `etcd_status`), so
the run's summary and the proofs read it alike.
"""

import re
from dataclasses import dataclass
from typing import Any

import orjson

POD = "pod"
NAMESPACE = "namespace"
COMMAND = "command"
OUTPUT = "output"
OUTPUT_BYTES = "output_bytes"
EXIT_CODE = "exit_code"

_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def exec_mark_detail(
    *,
    pod: str,
    namespace: str,
    command: list[str],
    output: str,
    output_bytes: int | None = None,
    exit_code: int | None = 0,
) -> dict[str, Any]:
    """The keys an exec step's mark adds to its detail (`output_bytes`: the output's, unless
    it was cut)."""
    return {
        POD: pod,
        NAMESPACE: namespace,
        COMMAND: list(command),
        OUTPUT: output,
        OUTPUT_BYTES: len(output.encode()) if output_bytes is None else output_bytes,
        EXIT_CODE: exit_code,
    }


def dns_answers(output: str) -> list[str]:
    """The IPv4 addresses an `nslookup` printed for the name (not the server's own address).

    busybox's nslookup prints the server first (`Server:` / `Address: <server>:53`), then one
    `Name:` line and an `Address:` line per answer; only addresses after a `Name:` are answers.
    """
    answers: list[str] = []
    named = False
    for line in output.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Name":
            named = True
        elif named and key.strip().startswith("Address") and _IPV4.match(value.strip()):
            answers.append(value.strip())
    return answers


@dataclass(frozen=True)
class EtcdStatus:
    """What `etcdctl endpoint status -w json` said of the member it asked (IDs in hex, as
    `etcdctl member list` prints them)."""

    member_id: str
    cluster_id: str
    leader: str
    raft_index: int

    @property
    def is_leader(self) -> bool:
        """Whether this member was the cluster's leader."""
        return self.member_id == self.leader


def etcd_status(output: str) -> EtcdStatus | None:
    """The first endpoint's status in `etcdctl endpoint status -w json`'s output, if it is one.

    etcdctl prints the IDs as decimal uint64 in JSON (`header.member_id`, `leader`).
    """
    try:
        answer = orjson.loads(output)
        status = answer[0]["Status"]
        header = status["header"]
        return EtcdStatus(
            member_id=f"{int(header['member_id']):x}",
            cluster_id=f"{int(header['cluster_id']):x}",
            leader=f"{int(status['leader']):x}",
            raft_index=int(status.get("raftIndex") or 0),
        )
    except (orjson.JSONDecodeError, LookupError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ZookeeperServerState:
    """What ZooKeeper's `srvr` four-letter word said of the server it asked."""

    mode: str  # leader, follower, standalone
    zxid: str  # as printed, 0x<epoch><counter>


def zookeeper_srvr(output: str) -> ZookeeperServerState | None:
    """The `Mode:` and `Zxid:` lines of a `srvr` answer, if the output is one."""
    found = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in output.splitlines())
    }
    if "Mode" not in found or "Zxid" not in found:
        return None
    return ZookeeperServerState(mode=found["Mode"], zxid=found["Zxid"])
