"""What each real node's programs are configured with: containerd, CNI, kubelet, CoreDNS."""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stswatch.lab.kubeconfig import CONTEXT
from stswatch.lab.realnode.layout import CNI_BIN, Layout, RealNode

Report = Callable[[str], None]


def containerd_config(node: RealNode, *, pause_image: str) -> str:
    """containerd 1.6: own root, state, socket, runc root and plugin dirs; CRI on; overlayfs."""
    d = node.path
    return f"""version = 2
root = "{d}/containerd/root"
state = "{d}/containerd/state"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{node.socket}"

[ttrpc]
  address = "{node.socket}.ttrpc"

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "{d}/containerd/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "{pause_image}"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    disable_apparmor = true
    # without CAP_SYS_RESOURCE no sandbox starts unless the oom_score_adj is kept >= ours
    restrict_oom_score_adj = true
    max_container_log_line_size = 16384
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "{shutil.which("runc") or "runc"}"
          Root = "{d}/runc"
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "{CNI_BIN}"
      conf_dir = "{d}/cni/net.d"
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = ""
"""


def cni_conflist(layout: Layout, node: RealNode) -> dict[str, Any]:
    """bridge + host-local on the lab bridge: this node's address range, one route, no NAT."""
    return {
        "cniVersion": "0.4.0",
        "name": layout.network,
        "plugins": [
            {
                "type": "bridge",
                "bridge": layout.bridge,
                "isGateway": True,
                "isDefaultGateway": False,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [
                        [
                            {
                                "subnet": layout.subnet,
                                "rangeStart": node.range_start,
                                "rangeEnd": node.range_end,
                                "gateway": layout.gateway,
                            }
                        ]
                    ],
                    "routes": [{"dst": layout.subnet}],
                    "dataDir": f"{node.path}/cni/ipam",
                },
            }
        ],
    }


def kubelet_config(layout: Layout, node: RealNode) -> dict[str, Any]:
    """KubeletConfiguration for a cgroup v1 (or hybrid) host and this node's containerd."""
    d = node.path
    endpoint = f"unix://{node.socket}"
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": node.name,
        "port": node.kubelet_port,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": node.healthz_port,
        "enableServer": True,
        # the lab's API server has no kubelet client certificate
        "authentication": {"anonymous": {"enabled": True}, "webhook": {"enabled": False}},
        "authorization": {"mode": "AlwaysAllow"},
        "containerRuntimeEndpoint": endpoint,
        "imageServiceEndpoint": endpoint,
        "cgroupDriver": "cgroupfs",
        "cgroupsPerQOS": True,
        "cgroupRoot": node.cgroup_root,
        "enforceNodeAllocatable": ["pods"],
        "failSwapOn": False,
        "failCgroupV1": False,
        "makeIPTablesUtilChains": False,
        "clusterDomain": "cluster.local",
        "clusterDNS": [layout.gateway],
        "resolvConf": "",
        "podLogsDir": f"{d}/kubelet/pod-logs",
        "volumePluginDir": f"{d}/kubelet/volume-plugins",
        "serializeImagePulls": False,
        "registerNode": True,
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "maxPods": 30,
        "nodeStatusReportFrequency": "10s",
        "nodeStatusUpdateFrequency": "5s",
        "syncFrequency": "10s",
        "fileCheckFrequency": "20s",
        "shutdownGracePeriod": "0s",
        "localStorageCapacityIsolation": False,
    }


def corefile(layout: Layout, *, kubeconfig: Path) -> str:
    """`cluster.local` only: on a loopback port for the host, on the bridge address for pods."""
    kubernetes = (
        "    kubernetes cluster.local {\n"
        f"        kubeconfig {kubeconfig} {CONTEXT}\n"
        "        ttl 1\n"
        "    }\n"
    )
    return (
        f"cluster.local:{layout.dns_port} {{\n    bind 127.0.0.1\n    errors\n    log\n"
        f"    health 127.0.0.1:{layout.dns_health_port}\n{kubernetes}}}\n"
        f"cluster.local:53 {{\n    bind {layout.gateway}\n    errors\n    log\n{kubernetes}}}\n"
    )


# --- host operations --------------------------------------------------------------------------
