"""`lab down` for real nodes: undo exactly one lab's pods, processes, mounts, netns, cgroups."""

import contextlib
import hashlib
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import psutil

from stswatch.lab.certs import Pki
from stswatch.lab.process import is_alive, stop_all
from stswatch.lab.realnode.command import _run
from stswatch.lab.realnode.host import _hierarchies
from stswatch.lab.realnode.layout import (
    API_TIMEOUT_S,
    CNI_CACHE,
    CONTAINER_LOGS,
    CONTAINERD_RUN,
    KUBELET_FIXED,
    NETNS_DIR,
    PODS_GONE_S,
    POLL_S,
    RUN_DIR,
    STOP_TIMEOUT_S,
    Layout,
    RealNode,
    layout_path,
    read_layout,
)
from stswatch.lab.state import ProcessRecord

Report = Callable[[str], None]


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
