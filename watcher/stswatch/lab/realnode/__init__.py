"""Real lab nodes: per node Debian's containerd and our kubelet; one lab bridge; one CoreDNS.

`lab up --real-nodes N` plans a `Layout` (names, ports, paths, the pod subnet), writes it to
`<lab>/realnodes.json` *before* touching the host, then starts the processes. `teardown`
reads that file, so it undoes exactly this lab's changes, also after a failed `up` or a
`kill -9` of a kubelet: pods deleted through their kubelet first, then kubelet, CoreDNS,
container processes (by this lab's cgroups), shims (by this lab's containerd socket) and
containerd stopped, then mounts, network namespaces holding this lab's addresses, the bridge,
the cgroup directories and this lab's entries at the kubelet's fixed host paths removed.

Naming keeps two labs (and several nodes) apart: a node is named by a loopback IP literal
(127.0.0.2, 127.0.0.3, ...; the API server reaches a kubelet by its Hostname address, and no
/etc/hosts entry is needed), its kubelet listens on free ports, and the bridge, CNI network,
cgroup root and pod subnet carry a key derived from the lab directory.

Traffic stays on loopback and the lab bridge: one route to the pod subnet, no masquerade, no
default gateway; CoreDNS serves only `cluster.local` (no forwarding) on the bridge address for
pods and on a loopback port for the host.
"""

from stswatch.errors import LabError
from stswatch.lab.realnode.command import _run
from stswatch.lab.realnode.config import cni_conflist, containerd_config, corefile, kubelet_config
from stswatch.lab.realnode.down import teardown, teardown_api
from stswatch.lab.realnode.health import dns_healthy, node_health
from stswatch.lab.realnode.host import bridge_mac, http_ok, kubelet_argv
from stswatch.lab.realnode.layout import (
    KUBELET_SOCKET_TAIL,
    LAYOUT_FILE,
    MAX_REAL_NODES,
    UNIX_PATH_MAX,
    Layout,
    RealNode,
    check_socket_room,
    host_problems,
    kubelet_root,
    lab_key,
    plan,
    read_layout,
    write_layout,
)
from stswatch.lab.realnode.up import start

__all__ = [
    "KUBELET_SOCKET_TAIL",
    "LAYOUT_FILE",
    "MAX_REAL_NODES",
    "UNIX_PATH_MAX",
    "LabError",
    "Layout",
    "RealNode",
    "_run",
    "bridge_mac",
    "check_socket_room",
    "cni_conflist",
    "containerd_config",
    "corefile",
    "dns_healthy",
    "host_problems",
    "http_ok",
    "kubelet_argv",
    "kubelet_config",
    "kubelet_root",
    "lab_key",
    "node_health",
    "plan",
    "read_layout",
    "start",
    "teardown",
    "teardown_api",
    "write_layout",
]
