"""`lab status`'s word on a real node: the kubelet's process and /healthz, containerd's process."""

import http.server
import os
import threading
from collections.abc import Iterator

import psutil
import pytest

from stswatch.lab.process import start_ticks
from stswatch.lab.realnode import RealNode, node_health
from stswatch.lab.state import ProcessRecord


def _node(healthz_port: int) -> RealNode:
    return RealNode(0, "127.0.0.2", "/lab/n0", "/run/n0", "/cg/n0", 10250, healthz_port, "a", "b")


def _record(name: str, pid: int) -> ProcessRecord:
    """A record of this test process, as the lab writes one for a process it started."""
    process = psutil.Process(pid)
    argv = tuple(process.cmdline())
    return ProcessRecord(name, pid, process.create_time(), "/dev/null", argv, start_ticks(pid))


@pytest.fixture
def healthz() -> Iterator[int]:
    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_a_node_whose_processes_are_gone_reads_stopped() -> None:
    node = _node(1)
    assert node_health((), node) == "kubelet stopped, containerd stopped"


def test_a_running_kubelet_answering_healthz_reads_healthy(healthz: int) -> None:
    node = _node(healthz)
    me = os.getpid()
    records = (_record(node.kubelet_name, me), _record(node.containerd_name, me))
    assert node_health(records, node) == "kubelet healthy, containerd running"


def test_a_running_kubelet_not_answering_reads_unhealthy() -> None:
    node = _node(1)  # nothing listens on port 1
    me = os.getpid()
    records = (_record(node.kubelet_name, me),)
    assert node_health(records, node) == "kubelet unhealthy, containerd stopped"
