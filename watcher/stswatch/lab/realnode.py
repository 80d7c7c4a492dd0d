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

import contextlib
import functools
import hashlib
import ipaddress
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import psutil

from stswatch.errors import LabError
from stswatch.lab.certs import Pki
from stswatch.lab.kubeconfig import CONTEXT
from stswatch.lab.process import is_alive, log_tail, stop_all
from stswatch.lab.state import ProcessRecord, write_json_atomically

Report = Callable[[str], None]
LAYOUT_FILE = "realnodes.json"
MAX_REAL_NODES = 6
POD_NET_PREFIX = "10.245"
NODE_LABEL = "stswatch.dev/real-node"
CGROUP_FS = Path("/sys/fs/cgroup")
CNI_BIN = Path("/usr/lib/cni")
CNI_PLUGINS = ("bridge", "host-local", "loopback")
NETNS_DIR = Path("/run/netns")
CNI_CACHE = Path("/var/lib/cni")
CONTAINER_LOGS = Path("/var/log/containers")
KUBELET_FIXED = Path("/var/lib/kubelet")
CONTAINERD_RUN = Path("/run/containerd")
RUN_DIR = Path("/run/stswatch")
COMMAND_TIMEOUT_S = 30.0
# A unix socket path holds at most 108 bytes (sun_path, unix(7); Go's syscall needs no NUL). The
# longest the kubelet binds under its --root-dir is the podresources server's temporary
# `pod-resources/<up to 10 digits>` (pkg/kubelet/apis/podresources, util.CreateListener).
UNIX_PATH_MAX = 108
KUBELET_SOCKET_TAIL = len("/pod-resources/") + 10
IMPORT_TIMEOUT_S = 180.0
API_TIMEOUT_S = 5.0
POLL_S = 0.25
PODS_GONE_S = 40.0
STOP_TIMEOUT_S = 10.0
HOST_TOOLS = {
    "containerd": "containerd",
    "ctr": "containerd",
    "runc": "runc",
    "ip": "iproute2",
    "mount": "mount",
}


@dataclass(frozen=True)
class RealNode:
    """One real node: its name (a loopback IP literal), ports and directories."""

    index: int
    name: str
    directory: str
    run_directory: str
    cgroup_root: str
    kubelet_port: int
    healthz_port: int
    range_start: str
    range_end: str

    @property
    def path(self) -> Path:
        """`<lab>/nodes/<name>`."""
        return Path(self.directory)

    @property
    def socket(self) -> Path:
        """containerd's socket: under /run, since a unix socket path must stay short."""
        return Path(self.run_directory) / "containerd.sock"

    @property
    def containerd_name(self) -> str:
        """The process name in the lab's state file."""
        return f"containerd-{self.name}"

    @property
    def kubelet_name(self) -> str:
        """The process name in the lab's state file."""
        return f"kubelet-{self.name}"


@dataclass(frozen=True)
class Layout:
    """Everything a lab's real nodes put on the host, decided before anything starts."""

    lab_directory: str
    key: str
    bridge: str
    network: str
    subnet: str
    gateway: str
    dns_port: int
    dns_health_port: int
    nodes: tuple[RealNode, ...]

    @property
    def dns_name(self) -> str:
        """CoreDNS's process name in the lab's state file."""
        return "coredns"

    @property
    def process_names(self) -> tuple[str, ...]:
        """Every process a real-node lab adds, in stop order."""
        kubelets = tuple(node.kubelet_name for node in self.nodes)
        containerds = tuple(node.containerd_name for node in self.nodes)
        return (*kubelets, self.dns_name, *containerds)


_LOOPBACK_NAME = re.compile(r"127\.0\.0\.\d{1,3}")


def layout_path(directory: Path) -> Path:
    """`<lab>/realnodes.json`."""
    return directory / LAYOUT_FILE


def write_layout(layout: Layout) -> None:
    """Record the plan before the host is touched (teardown reads it)."""
    write_json_atomically(layout_path(Path(layout.lab_directory)), asdict(layout))


def read_layout(directory: Path) -> Layout | None:
    """The lab's real-node layout, or None when it has no real nodes."""
    path = layout_path(directory)
    if not path.is_file():
        return None
    try:
        raw = orjson.loads(path.read_bytes())
        nodes = tuple(RealNode(**node) for node in raw.pop("nodes"))
        layout = Layout(**raw, nodes=nodes)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise LabError(f"{path} is not a real-node layout ({exc}); remove it") from exc
    _check_layout(layout, path=path, directory=directory)
    return layout


def _check_layout(layout: Layout, *, path: Path, directory: Path) -> None:
    """The host names and paths teardown acts on (cgroups, /run, the bridge, the network) are
    the ones `plan` derives from this directory: a layout file written by someone else into a
    shared `--dir` cannot point a root `lab down` at other cgroups, mounts or files."""
    directory = directory.resolve()
    key = lab_key(directory)
    expected = {
        "lab_directory": str(directory),
        "key": key,
        "bridge": f"stsw{key}",
        "network": f"stswatch-{key}",
    }
    wrong = [f for f, value in expected.items() if getattr(layout, f) != value]
    for index, node in enumerate(layout.nodes):
        derived = {
            "index": index,
            "directory": str(directory / "nodes" / node.name),
            "run_directory": str(RUN_DIR / f"{key}-{index}"),
            "cgroup_root": f"/stswatch-{key}-{index}",
        }
        wrong += [f"nodes[{index}].{f}" for f, v in derived.items() if getattr(node, f) != v]
        if not _LOOPBACK_NAME.fullmatch(str(node.name)):
            wrong.append(f"nodes[{index}].name")
    if wrong:
        raise LabError(
            f"{path}: {', '.join(wrong)} not what a lab in {directory} uses: not this lab's "
            "layout; nothing was touched (remove the file if it is not yours)"
        )


# --- what the host needs ---------------------------------------------------------------------


def host_problems() -> list[str]:
    """Why this host cannot run real nodes (empty when it can), each naming what is missing."""
    problems = []
    if os.geteuid() != 0:
        problems.append("root (containerd, the kubelet and the lab bridge need it)")
    packages = sorted({pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None})
    if any(not (CNI_BIN / plugin).is_file() for plugin in CNI_PLUGINS):
        packages.append("containernetworking-plugins")
    if packages:
        problems.append(f"Debian packages {' '.join(packages)} (apt-get install them)")
    if not (CGROUP_FS / "cpu").is_dir() and not (CGROUP_FS / "cgroup.controllers").is_file():
        problems.append(f"a cgroup file system at {CGROUP_FS}")
    return problems


# --- planning ---------------------------------------------------------------------------------


def lab_key(directory: Path) -> str:
    """Eight hex digits naming this lab's host objects (bridge, cgroups, CNI network)."""
    return hashlib.sha256(str(directory).encode()).hexdigest()[:8]


def _free_port(address: str, taken: set[int]) -> int:
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((address, 0))
            port = int(sock.getsockname()[1])
        if port not in taken:
            taken.add(port)
            return port
    raise LabError(f"no free port on {address} after 100 tries")


def _subnets_in_use() -> set[int]:
    """Third octets of 10.245.X.0/24 networks on any interface now."""
    out = _run(["ip", "-o", "-4", "addr", "show"], check=False).stdout
    used = set()
    for word in out.split():
        if word.startswith(f"{POD_NET_PREFIX}."):
            with contextlib.suppress(ValueError, IndexError):
                used.add(int(word.split(".")[2]))
    return used


def plan(directory: Path, *, count: int) -> Layout:
    """Names, ports, subnet and paths for `count` real nodes of the lab in `directory`."""
    if not 1 <= count <= MAX_REAL_NODES:
        raise LabError(f"--real-nodes takes 1 to {MAX_REAL_NODES}, not {count}")
    key = lab_key(directory)
    used = _subnets_in_use()
    start = int(key, 16) % 200 + 20
    third = next(
        ((start + i) % 250 + 1 for i in range(250) if (start + i) % 250 + 1 not in used), 0
    )
    if not third:
        raise LabError(f"no free {POD_NET_PREFIX}.X.0/24 pod subnet on this host")
    net = f"{POD_NET_PREFIX}.{third}"
    taken: set[int] = set()
    nodes = []
    for index in range(count):
        name = f"127.0.0.{index + 2}"
        nodes.append(
            RealNode(
                index=index,
                name=name,
                directory=str(directory / "nodes" / name),
                run_directory=str(RUN_DIR / f"{key}-{index}"),
                cgroup_root=f"/stswatch-{key}-{index}",
                kubelet_port=_free_port(name, taken),
                healthz_port=_free_port("127.0.0.1", taken),
                range_start=f"{net}.{10 + 40 * index}",
                range_end=f"{net}.{49 + 40 * index}",
            )
        )
    return Layout(
        lab_directory=str(directory),
        key=key,
        bridge=f"stsw{key}",
        network=f"stswatch-{key}",
        subnet=f"{net}.0/24",
        gateway=f"{net}.1",
        dns_port=_free_port("127.0.0.1", taken),
        dns_health_port=_free_port("127.0.0.1", taken),
        nodes=tuple(nodes),
    )


def kubelet_root(node_directory: Path) -> Path:
    """The kubelet's --root-dir on one node."""
    return node_directory / "kubelet" / "root"


def check_socket_room(directory: Path, *, count: int) -> None:
    """Refuse a lab directory so deep that the kubelet's sockets cannot be bound in it.

    Otherwise the kubelet exits during start-up with `bind: invalid argument`, which names
    neither the cause nor the fix.
    """
    longest = kubelet_root(directory / "nodes" / f"127.0.0.{count + 1}")
    length = len(str(longest).encode()) + KUBELET_SOCKET_TAIL
    if length > UNIX_PATH_MAX:
        raise LabError(
            f"the lab directory {directory} is too deep for real nodes: the kubelet's sockets "
            f"under {longest} would be {length} bytes long, over the {UNIX_PATH_MAX} a unix "
            f"socket path may hold; use a lab directory at most "
            f"{len(str(directory).encode()) - (length - UNIX_PATH_MAX)} bytes long (--dir)"
        )


# --- configuration files ----------------------------------------------------------------------


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


def _run(
    argv: list[str], *, check: bool = True, timeout: float = COMMAND_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        if check:
            raise LabError(f"`{' '.join(argv)}` failed: {exc}") from exc
        return subprocess.CompletedProcess(argv, 1, "", str(exc))
    if check and done.returncode != 0:
        raise LabError(f"`{' '.join(argv)}` failed: {done.stderr.strip()[-500:]}")
    return done


def _hierarchies() -> list[Path]:
    """Every mounted cgroup hierarchy (v1 controllers, the named systemd one, unified v2)."""
    if (CGROUP_FS / "cgroup.controllers").is_file():
        return [CGROUP_FS]
    return sorted(p for p in CGROUP_FS.iterdir() if (p / "cgroup.procs").is_file())


def bridge_mac(layout: Layout) -> str:
    """A fixed, locally administered MAC address for the lab bridge, from the lab key."""
    octets = bytes.fromhex(layout.key)
    return "02:5a:" + ":".join(f"{octet:02x}" for octet in octets)


def make_bridge(layout: Layout) -> None:
    """The lab bridge with the gateway address (CoreDNS binds it; the CNI plugin reuses it)."""
    prefix = ipaddress.ip_network(layout.subnet).prefixlen
    if _run(["ip", "link", "show", layout.bridge], check=False).returncode != 0:
        _run(["ip", "link", "add", layout.bridge, "type", "bridge"])
    # A bridge takes the lowest MAC of its ports unless given one: each new pod's veth could
    # change it, and the pods' ARP entries for the gateway (CoreDNS) would go stale for ~30 s.
    _run(["ip", "link", "set", layout.bridge, "address", bridge_mac(layout)])
    _run(["ip", "addr", "replace", f"{layout.gateway}/{prefix}", "dev", layout.bridge])
    _run(["ip", "link", "set", layout.bridge, "up"])


def make_cgroups(node: RealNode) -> None:
    """The node's cgroup root in every hierarchy (cpuset needs its cpus and mems copied)."""
    for hierarchy in _hierarchies():
        target = hierarchy / node.cgroup_root.lstrip("/")
        target.mkdir(exist_ok=True)
        for name in ("cpuset.cpus", "cpuset.mems"):
            source = hierarchy / name
            if source.is_file() and not (target / name).read_text().strip():
                (target / name).write_text(source.read_text())


def prepare_node(layout: Layout, node: RealNode, *, pause_image: str, kubeconfig: Path) -> None:
    """Write the node's containerd, CNI and kubelet files."""
    d = node.path
    Path(node.run_directory).mkdir(parents=True, exist_ok=True)
    for sub in ("containerd", "cni/net.d", "cni/ipam", "kubelet/root", "kubelet/pki", "runc"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "containerd" / "config.toml").write_text(containerd_config(node, pause_image=pause_image))
    (d / "cni" / "net.d" / "10-stswatch.conflist").write_bytes(
        orjson.dumps(cni_conflist(layout, node), option=orjson.OPT_INDENT_2)
    )
    (d / "kubelet" / "config.yaml").write_bytes(
        orjson.dumps(kubelet_config(layout, node), option=orjson.OPT_INDENT_2)
    )
    shutil.copyfile(kubeconfig, d / "kubelet" / "kubeconfig")
    make_cgroups(node)


def containerd_argv(node: RealNode) -> tuple[str, ...]:
    """containerd with this node's config."""
    return (
        shutil.which("containerd") or "containerd",
        "--config",
        f"{node.path}/containerd/config.toml",
    )


def kubelet_argv(node: RealNode, *, kubelet: Path) -> tuple[str, ...]:
    """The kubelet for this node, named by its loopback IP literal."""
    d = node.path
    return (
        str(kubelet),
        f"--config={d}/kubelet/config.yaml",
        f"--kubeconfig={d}/kubelet/kubeconfig",
        f"--root-dir={kubelet_root(d)}",
        f"--cert-dir={d}/kubelet/pki",
        f"--hostname-override={node.name}",
        f"--node-labels={NODE_LABEL}=true",
        "--v=2",
    )


def coredns_argv(layout: Layout, *, coredns: Path) -> tuple[str, ...]:
    """CoreDNS with the lab's Corefile."""
    return (str(coredns), "-conf", f"{layout.lab_directory}/coredns/Corefile")


def ctr(node: RealNode, *args: str, timeout: float = COMMAND_TIMEOUT_S) -> str:
    """Run `ctr` against the node's containerd in the CRI namespace; its stdout."""
    argv = ["ctr", "--address", str(node.socket), "--namespace", "k8s.io", *args]
    return _run(argv, timeout=timeout).stdout


def containerd_answers(node: RealNode) -> bool:
    """True when the node's containerd answers on its socket."""
    argv = ["ctr", "--address", str(node.socket), "version"]
    return _run(argv, check=False, timeout=5).returncode == 0


def import_images(node: RealNode, archives: tuple[Path, ...]) -> None:
    """Import the lab's image archives into the node's containerd (CRI namespace)."""
    for archive in archives:
        ctr(node, "images", "import", "--no-unpack=false", str(archive), timeout=IMPORT_TIMEOUT_S)


def http_ok(url: str) -> bool:
    """True when `url` answers 200 now (plain HTTP, loopback)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


# --- teardown ---------------------------------------------------------------------------------


class _Api:
    """Just enough synchronous API access for teardown (no event loop needed)."""

    def __init__(self, server: str, pki: Pki) -> None:
        self.server = server
        self.context = ssl.create_default_context(cafile=str(pki.ca_cert))
        self.context.load_cert_chain(str(pki.admin_cert), str(pki.admin_key))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = orjson.dumps(body) if body is not None else None
        request = urllib.request.Request(f"{self.server}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=API_TIMEOUT_S, context=self.context) as resp:
            return orjson.loads(resp.read())


def _pods_on(api: _Api, names: tuple[str, ...]) -> list[tuple[str, str]]:
    pods = []
    for name in names:
        selector = urllib.parse.quote(f"spec.nodeName={name}")
        found = api.call("GET", f"/api/v1/pods?fieldSelector={selector}")
        for pod in found.get("items", []):
            pods.append((pod["metadata"]["namespace"], pod["metadata"]["name"]))
    return pods


def delete_pods(api: _Api, layout: Layout, *, wait_s: float = PODS_GONE_S) -> list[str]:
    """Delete every pod bound to the real nodes and wait (bounded) until their kubelets confirm.

    Each kubelet then stops the containers, runs CNI DEL and unmounts the volumes itself.
    Returns the pods still there when the wait ended.
    """
    names = tuple(node.name for node in layout.nodes)
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 1}
    deadline = time.monotonic() + wait_s
    left = _pods_on(api, names)
    for namespace, pod in left:
        with contextlib.suppress(urllib.error.URLError, OSError):
            api.call("DELETE", f"/api/v1/namespaces/{namespace}/pods/{pod}", body)
    while left and time.monotonic() < deadline:
        time.sleep(POLL_S * 2)
        left = _pods_on(api, names)
    return [f"{namespace}/{pod}" for namespace, pod in left]


def delete_nodes(api: _Api, layout: Layout) -> None:
    """Remove the Node objects (best effort: the API server may be gone)."""
    for node in layout.nodes:
        with contextlib.suppress(urllib.error.URLError, OSError):
            api.call("DELETE", f"/api/v1/nodes/{node.name}")


def _cgroup_dirs(node: RealNode) -> Iterator[Path]:
    """The node's cgroup directories, deepest first."""
    for hierarchy in _hierarchies():
        root = hierarchy / node.cgroup_root.lstrip("/")
        if root.is_dir():
            below = sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
            yield from below
            yield root


def kill_cgroup_processes(layout: Layout) -> int:
    """SIGKILL every process in this lab's cgroups (the containers); how many there were."""
    pids: set[int] = set()
    for node in layout.nodes:
        for directory in _cgroup_dirs(node):
            with contextlib.suppress(OSError):
                pids.update(int(p) for p in (directory / "cgroup.procs").read_text().split())
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def _lab_shims(layout: Layout) -> list[psutil.Process]:
    """containerd shims started by this lab's containerds (their -address is our socket)."""
    sockets = {str(node.socket) for node in layout.nodes}
    shims = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name", "").startswith("containerd-shim") and sockets & set(cmdline):
            shims.append(proc)
    return shims


def kill_shims(layout: Layout) -> int:
    """SIGKILL this lab's shims; how many there were."""
    shims = _lab_shims(layout)
    for shim in shims:
        with contextlib.suppress(psutil.NoSuchProcess):
            shim.kill()
    psutil.wait_procs(shims, timeout=STOP_TIMEOUT_S)
    return len(shims)


def _mounts_under(prefixes: tuple[str, ...]) -> list[str]:
    """Mount points under any prefix, deepest first (from /proc/self/mountinfo)."""
    points = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if any(point == p or point.startswith(p.rstrip("/") + "/") for p in prefixes):
                points.append(point)
    return sorted(set(points), key=lambda p: -p.count("/"))


def unmount_all(layout: Layout) -> list[str]:
    """Unmount everything under the nodes' directories; returns what would not go."""
    prefix = (str(Path(layout.lab_directory) / "nodes"),)
    for _ in range(5):
        points = _mounts_under(prefix)
        if not points:
            return []
        for point in points:
            _run(["umount", "--lazy", point], check=False)
    return _mounts_under(prefix)


def lab_netns(layout: Layout) -> list[str]:
    """Network namespaces in /run/netns whose interfaces hold an address of this lab's subnet."""
    if not NETNS_DIR.is_dir():
        return []
    subnet = ipaddress.ip_network(layout.subnet)
    ours = []
    for entry in sorted(NETNS_DIR.iterdir()):
        out = _run(["ip", "-n", entry.name, "-o", "-4", "addr", "show"], check=False).stdout
        for word in out.split():
            if "/" in word:
                with contextlib.suppress(ValueError):
                    if ipaddress.ip_interface(word).ip in subnet:
                        ours.append(entry.name)
                        break
    return ours


def remove_netns(layout: Layout) -> list[str]:
    """Delete this lab's leftover network namespaces (the veth pairs go with them)."""
    removed = lab_netns(layout)
    for name in removed:
        _run(["ip", "netns", "delete", name], check=False)
    return removed


def remove_bridge(layout: Layout) -> None:
    """Delete the lab bridge if it is there."""
    if _run(["ip", "link", "show", layout.bridge], check=False).returncode == 0:
        _run(["ip", "link", "delete", layout.bridge], check=False)


def remove_cgroups(layout: Layout) -> list[str]:
    """rmdir the nodes' cgroup directories (deepest first); returns what would not go."""
    left = []
    for node in layout.nodes:
        for directory in _cgroup_dirs(node):
            try:
                directory.rmdir()
            except OSError:
                left.append(str(directory))
    return left


def _rmdir_empty(path: Path) -> None:
    """Remove `path` and its subdirectories when (and only when) they hold no file at all."""
    if not path.is_dir() or path.is_symlink():
        return
    for child in sorted(path.rglob("*"), key=lambda p: -len(p.parts)):
        if child.is_dir() and not child.is_symlink():
            with contextlib.suppress(OSError):
                child.rmdir()
    with contextlib.suppress(OSError):
        path.rmdir()


def _lab_entries(path: Path, layout: Layout) -> bool:
    """True when `path` holds a symlink into this lab (pod log links) or is a dead-socket dir."""
    if not path.is_dir():
        return False
    with contextlib.suppress(OSError):
        for entry in path.rglob("*"):
            if entry.is_symlink() and os.readlink(entry).startswith(layout.lab_directory):
                return True
            if entry.is_socket() and not _socket_answers(entry):
                return True
    return False


def container_ids(layout: Layout) -> dict[RealNode, set[str]]:
    """Per node, the ids of every container and sandbox its containerd knows (from its dirs)."""
    found: dict[RealNode, set[str]] = {}
    for node in layout.nodes:
        containerd = node.path / "containerd"
        ids: set[str] = set()
        for directory in (
            containerd / "root" / "io.containerd.grpc.v1.cri" / "sandboxes",
            containerd / "root" / "io.containerd.grpc.v1.cri" / "containers",
            containerd / "state" / "io.containerd.runtime.v2.task" / "k8s.io",
        ):
            with contextlib.suppress(OSError):
                ids.update(entry.name for entry in directory.iterdir())
        found[node] = ids
    return found


def _shim_socket(node: RealNode, container_id: str) -> Path:
    """Where containerd 1.6 puts a shim's socket: a hash of its address, namespace and id."""
    digest = hashlib.sha256(f"{node.socket}/k8s.io/{container_id}".encode()).hexdigest()
    return CONTAINERD_RUN / "s" / digest


def clean_fixed_paths(layout: Layout, ids: dict[RealNode, set[str]]) -> None:
    """This lab's entries at the host paths the kubelet, CNI and containerd always use.

    Other labs' entries are left; a directory is removed only when nothing is left in it.
    `ids` are the node's container ids: CNI caches results under them (also for containerd's
    own loopback network) and containerd names shim sockets after them.
    """
    lab = layout.lab_directory
    for node, node_ids in ids.items():
        for container_id in node_ids:
            _shim_socket(node, container_id).unlink(missing_ok=True)
            if (CNI_CACHE / "results").is_dir():
                for entry in (CNI_CACHE / "results").glob(f"*-{container_id}-*"):
                    entry.unlink(missing_ok=True)
    if CONTAINER_LOGS.is_dir():
        for link in CONTAINER_LOGS.iterdir():
            with contextlib.suppress(OSError):
                if link.is_symlink() and os.readlink(link).startswith(lab):
                    link.unlink()
        _rmdir_empty(CONTAINER_LOGS)
    if CNI_CACHE.is_dir():
        for entry in CNI_CACHE.rglob(f"{layout.network}-*"):
            with contextlib.suppress(OSError):
                entry.unlink()
        _rmdir_empty(CNI_CACHE)
    # every kubelet serves the device-plugin registration socket at this fixed path; one no
    # kubelet answers on any more is a leftover
    registration = KUBELET_FIXED / "device-plugins" / "kubelet.sock"
    if registration.is_socket() and not _socket_answers(registration):
        registration.unlink(missing_ok=True)
    for path in (KUBELET_FIXED, CONTAINERD_RUN, NETNS_DIR):
        _rmdir_empty(path)


def _socket_answers(path: Path) -> bool:
    """True when something accepts connections on the unix socket `path`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        try:
            sock.connect(str(path))
        except OSError:
            return False
        return True


def host_leftovers(layout: Layout) -> list[str]:
    """What of this lab is still on the host (the check `lab down` ends with)."""
    left = [
        f"path {path}" for path in (CONTAINER_LOGS, KUBELET_FIXED) if _lab_entries(path, layout)
    ]
    left += [f"process {p.pid} (shim)" for p in _lab_shims(layout)]
    for node in layout.nodes:
        left += [f"path {node.run_directory}"] if Path(node.run_directory).exists() else []
        left += [f"cgroup {d}" for d in _cgroup_dirs(node)]
    left += [f"mount {m}" for m in _mounts_under((str(Path(layout.lab_directory) / "nodes"),))]
    if _run(["ip", "link", "show", layout.bridge], check=False).returncode == 0:
        left.append(f"bridge {layout.bridge}")
    left += [f"netns {n}" for n in lab_netns(layout)]
    return sorted(set(left))


def clean_host(layout: Layout) -> list[str]:
    """Remove what the nodes left on the host, after their processes are stopped.

    Idempotent; returns what could not be removed (empty when the host is clean).
    """
    ids = container_ids(layout)
    kill_cgroup_processes(layout)
    kill_shims(layout)
    unmount_all(layout)
    remove_netns(layout)
    remove_bridge(layout)
    # cgroups empty out a moment after their last process is reaped
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while remove_cgroups(layout) and time.monotonic() < deadline:
        kill_cgroup_processes(layout)
        time.sleep(POLL_S)
    clean_fixed_paths(layout, ids)
    for node in layout.nodes:
        shutil.rmtree(node.run_directory, ignore_errors=True)
        if not _mounts_under((node.directory,)):
            shutil.rmtree(node.path, ignore_errors=True)
    _rmdir_empty(RUN_DIR)
    _rmdir_empty(Path(layout.lab_directory) / "nodes")
    return host_leftovers(layout)


# --- up and down ------------------------------------------------------------------------------

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


def _api_alive(records: dict[str, ProcessRecord]) -> bool:
    record = records.get("kube-apiserver")
    return record is not None and is_alive(record)


def teardown(
    directory: Path, *, records: dict[str, ProcessRecord], api: _Api | None, report: Report
) -> tuple[list[tuple[ProcessRecord, bool]], list[str]]:
    """Stop this lab's real nodes and clean the host; (processes stopped, what is left).

    Pods go first, through their kubelets (the controllers that would recreate them are
    stopped before), so the kubelets unmount and run CNI DEL themselves; whatever a dead
    kubelet could not do is then done here. Safe to run again, and after a failed `up`.
    """
    layout = read_layout(directory)
    if layout is None:
        return [], []
    stopped: list[tuple[ProcessRecord, bool]] = []

    def stop(names: tuple[str, ...]) -> None:
        chosen = [records[name] for name in names if name in records]
        stopped.extend(zip(chosen, stop_all(chosen, timeout=STOP_TIMEOUT_S), strict=True))

    kubelets = tuple(node.kubelet_name for node in layout.nodes)
    if (
        api is not None
        and _api_alive(records)
        and any(is_alive(records[name]) for name in kubelets if name in records)
    ):
        stop(("kube-controller-manager", "kube-scheduler"))
        try:
            left = delete_pods(api, layout)
        except (urllib.error.URLError, OSError) as exc:
            left = [f"(API unreachable: {exc})"]
        if left:
            report(f"pods not confirmed gone by their kubelets: {', '.join(left[:5])}")
    stop((*kubelets, layout.dns_name))
    kill_cgroup_processes(layout)
    kill_shims(layout)
    stop(tuple(node.containerd_name for node in layout.nodes))
    if api is not None and _api_alive(records):
        delete_nodes(api, layout)
    left = clean_host(layout)
    if not left:
        layout_path(directory).unlink(missing_ok=True)
        shutil.rmtree(directory / "coredns", ignore_errors=True)
    return stopped, left


def teardown_api(server: str, pki: Pki) -> _Api | None:
    """API access for teardown, or None when the lab's certificates are gone."""
    if not (pki.admin_cert.is_file() and pki.admin_key.is_file() and pki.ca_cert.is_file()):
        return None
    try:
        return _Api(server, pki)
    except (OSError, ssl.SSLError):
        return None
