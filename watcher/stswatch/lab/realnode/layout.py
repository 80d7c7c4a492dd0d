"""The real-node lab's layout: names, ports, paths and the pod subnet, planned before the
host is touched and kept in `<lab>/realnodes.json`."""

import contextlib
import hashlib
import os
import re
import shutil
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from stswatch.errors import LabError
from stswatch.lab.realnode.command import _run
from stswatch.lab.state import write_json_atomically

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
