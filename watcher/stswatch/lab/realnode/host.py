"""What a real node needs of the host: commands, the lab bridge, cgroups, images, argv."""

import ipaddress
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import orjson

from stswatch.lab.realnode.command import COMMAND_TIMEOUT_S, _run
from stswatch.lab.realnode.config import cni_conflist, containerd_config, kubelet_config
from stswatch.lab.realnode.layout import (
    CGROUP_FS,
    IMPORT_TIMEOUT_S,
    NODE_LABEL,
    Layout,
    RealNode,
    kubelet_root,
)

Report = Callable[[str], None]


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
