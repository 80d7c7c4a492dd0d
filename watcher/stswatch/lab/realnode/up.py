"""`lab up` for real nodes: containerd, kubelet and CoreDNS started, each waited for."""

import functools
import time
from collections.abc import Callable
from pathlib import Path

from stswatch.errors import LabError
from stswatch.lab.process import is_alive, log_tail
from stswatch.lab.realnode.config import corefile
from stswatch.lab.realnode.host import (
    containerd_answers,
    containerd_argv,
    coredns_argv,
    http_ok,
    import_images,
    kubelet_argv,
    make_bridge,
    prepare_node,
)
from stswatch.lab.realnode.layout import POLL_S, Layout
from stswatch.lab.state import ProcessRecord

Report = Callable[[str], None]
Spawn = Callable[[str, tuple[str, ...], Path], ProcessRecord]


def _wait(what: str, ready: Callable[[], bool], *, record: ProcessRecord, wait_s: float) -> None:
    """Until `ready()`; LabError with the process's log tail if it exits or the wait ends."""
    deadline = time.monotonic() + wait_s
    why = f"not ready after {wait_s:.0f}s"
    while time.monotonic() < deadline:
        if not is_alive(record):
            why = "exited during start-up"
            break
        if ready():
            return
        time.sleep(POLL_S)
    tail = log_tail(Path(record.log))
    raise LabError(f"{what} {why}; last lines of {record.log}:\n{tail}")


def start(
    layout: Layout,
    *,
    spawn: Spawn,
    kubeconfig: Path,
    kubelet: Path,
    coredns: Path,
    archives: tuple[Path, ...],
    pause_image: str,
    report: Report,
    wait_s: float,
) -> None:
    """Bridge, containerds (images imported), CoreDNS, kubelets; each healthy before the next.

    Synchronous (run it in a thread). The caller has written the layout and stops what it
    spawned (through `teardown`) when this raises.
    """
    lab = Path(layout.lab_directory)
    logs = lab / "logs"
    make_bridge(layout)
    for node in layout.nodes:
        prepare_node(layout, node, pause_image=pause_image, kubeconfig=kubeconfig)
        report(f"starting containerd for real node {node.name}")
        record = spawn(
            node.containerd_name, containerd_argv(node), logs / f"{node.containerd_name}.log"
        )
        what = f"containerd of node {node.name}"
        _wait(what, functools.partial(containerd_answers, node), record=record, wait_s=wait_s)
        import_images(node, archives)
    (lab / "coredns").mkdir(exist_ok=True)
    (lab / "coredns" / "Corefile").write_text(corefile(layout, kubeconfig=kubeconfig))
    report(f"starting CoreDNS (pods: {layout.gateway}:53, host: 127.0.0.1:{layout.dns_port})")
    record = spawn(layout.dns_name, coredns_argv(layout, coredns=coredns), logs / "coredns.log")
    health = f"http://127.0.0.1:{layout.dns_health_port}/health"
    _wait("CoreDNS", functools.partial(http_ok, health), record=record, wait_s=wait_s)
    for node in layout.nodes:
        report(f"starting kubelet for real node {node.name}")
        record = spawn(
            node.kubelet_name,
            kubelet_argv(node, kubelet=kubelet),
            logs / f"{node.kubelet_name}.log",
        )
        healthz = f"http://127.0.0.1:{node.healthz_port}/healthz"
        what = f"kubelet of node {node.name}"
        _wait(what, functools.partial(http_ok, healthz), record=record, wait_s=wait_s)
