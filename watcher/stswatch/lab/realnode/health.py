"""Whether a running lab's real nodes and CoreDNS answer (`lab status`)."""

from stswatch.lab.process import is_alive
from stswatch.lab.realnode.host import http_ok
from stswatch.lab.realnode.layout import Layout, RealNode
from stswatch.lab.state import ProcessRecord


def node_health(processes: tuple[ProcessRecord, ...], node: RealNode) -> str:
    """`kubelet healthy, containerd running` (or what is wrong) for one real node."""
    records = {record.name: record for record in processes}
    kubelet = records.get(node.kubelet_name)
    containerd = records.get(node.containerd_name)
    if kubelet is None or not is_alive(kubelet):
        kubelet_state = "kubelet stopped"
    elif http_ok(f"http://127.0.0.1:{node.healthz_port}/healthz"):
        kubelet_state = "kubelet healthy"
    else:
        kubelet_state = "kubelet unhealthy"
    running = containerd is not None and is_alive(containerd)
    return f"{kubelet_state}, containerd {'running' if running else 'stopped'}"


def dns_healthy(layout: Layout) -> bool:
    """Whether the lab's CoreDNS answers its /health on the loopback port."""
    return http_ok(f"http://127.0.0.1:{layout.dns_health_port}/health")
