"""Start, inspect and stop a lab: the control plane processes plus the objects a test needs.

`start_lab` returns a `LabHandle` the tests and the CLI use; `attach_lab` finds a running lab
from its directory's state file; `stop_lab` stops exactly the processes that file records.
"""

import asyncio
import fcntl
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import orjson
from kubernetes_asyncio import config
from kubernetes_asyncio.client import ApiClient

from stswatch.errors import LabError
from stswatch.lab import build, components, etcd, health, images, process, realnode
from stswatch.lab.certs import Pki, write_pki
from stswatch.lab.cluster import populate, wait_real_nodes_ready
from stswatch.lab.components import ComponentSpec, LabFiles, Throughput
from stswatch.lab.kubeconfig import write_kubeconfig
from stswatch.lab.ports import LOOPBACK, free_ports
from stswatch.lab.stages import PodTiming, stages_yaml
from stswatch.lab.state import LabState, ProcessRecord, read_state, write_state

Report = Callable[[str], None]
STORAGE_CLASS = "stswatch-local"
START_TIMEOUT_S = 90.0
NODES_TIMEOUT_S = 60.0
PORT_ATTEMPTS = 3
PORT_TAKEN = "address already in use"
FRESH_PATHS = (
    "pki",
    "etcd",
    "volumes",
    "logs",
    "kubeconfig",
    "stages.yaml",
    "audit-policy.yaml",
    "kwok.yaml",
    "lab.json",
    "nodes",
    "coredns",
    realnode.LAYOUT_FILE,
)


def _quiet(_: str) -> None:
    """Report nothing."""


@dataclass(frozen=True)
class StoppedProcess:
    """A lab process `down` dealt with: stopped now, or found already gone."""

    name: str
    pid: int
    was_running: bool


@dataclass(frozen=True)
class LabStatus:
    """What `lab status` shows: the state file and which of its processes are alive."""

    state: LabState
    alive: dict[str, bool]

    @property
    def running(self) -> bool:
        """True when any recorded process still runs."""
        return any(self.alive.values())

    @property
    def healthy(self) -> bool:
        """True when every recorded process runs (a lab worth attaching to)."""
        return bool(self.alive) and all(self.alive.values())


@dataclass
class LabHandle:
    """A running lab. Holds the Popen objects of processes it started, to reap them."""

    state: LabState
    _children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)

    @property
    def directory(self) -> Path:
        """The lab directory (logs, PKI, etcd data, state file)."""
        return Path(self.state.directory)

    @property
    def kubeconfig(self) -> Path:
        """Admin kubeconfig (certs embedded)."""
        return Path(self.state.kubeconfig)

    @property
    def api_server_url(self) -> str:
        """`https://127.0.0.1:<port>`."""
        return self.state.api_server_url

    @property
    def etcd_endpoint(self) -> str:
        """`http://127.0.0.1:<port>` (plain HTTP, loopback)."""
        return self.state.etcd_endpoint

    @property
    def storage_class(self) -> str:
        """The default StorageClass whose claims the lab provisioner binds."""
        return self.state.storage_class

    @property
    def nodes(self) -> tuple[str, ...]:
        """Names of the fake nodes."""
        real = set(self.real_nodes)
        return tuple(name for name in self.state.nodes if name not in real)

    @property
    def real_nodes(self) -> tuple[str, ...]:
        """Names of the real nodes (loopback IP literals such as 127.0.0.2), if any."""
        layout = realnode.read_layout(self.directory)
        return tuple(node.name for node in layout.nodes) if layout else ()

    @property
    def dns_server(self) -> tuple[str, int] | None:
        """Where the lab's CoreDNS answers the host (127.0.0.1, port); None without real nodes."""
        layout = realnode.read_layout(self.directory)
        return ("127.0.0.1", layout.dns_port) if layout else None

    async def new_api_client(self) -> ApiClient:
        """A kubernetes-asyncio ApiClient for this lab (the caller closes it)."""
        api: ApiClient = await config.new_client_from_config(config_file=str(self.kubeconfig))
        return api

    async def compact_etcd(self) -> int:
        """Compact etcd's history up to now; returns that revision (see stswatch.lab.etcd)."""
        return await asyncio.to_thread(etcd.compact, self.etcd_endpoint)

    def log(self, component: str) -> Path:
        """Log file of a component (etcd, kube-apiserver, ..., kwok, provisioner)."""
        return Path(self.state.process(component).log)

    def stop_apiserver(self, *, graceful: bool = False) -> None:
        """Stop kube-apiserver; the other components keep running and retry.

        Default is a crash (SIGKILL: connections drop at once). `graceful` sends SIGTERM and
        waits up to 5 s (the apiserver drains its watches) before SIGKILL.
        """
        record = self.state.process("kube-apiserver")
        if graceful:
            process.stop(record)
        else:
            process.kill(record)
        self._reap("kube-apiserver")

    async def start_apiserver(self, *, wait_s: float = START_TIMEOUT_S) -> None:
        """Start kube-apiserver again with the same flags and port; wait until /readyz is ok."""
        old = self.state.process("kube-apiserver")
        if process.is_alive(old):
            raise LabError(f"kube-apiserver is still running (pid {old.pid})")
        spec = ComponentSpec(old.name, old.argv, _apiserver_health(self.state))
        record = self._spawn(spec, log=Path(old.log))
        await health.wait_healthy(spec, record=record, pki=_pki(self.directory), wait_s=wait_s)

    async def restart_apiserver(self, *, down_seconds: float = 0.0, graceful: bool = False) -> None:
        """Stop kube-apiserver, keep it down `down_seconds`, start it on the same port."""
        await asyncio.to_thread(self.stop_apiserver, graceful=graceful)
        if down_seconds > 0:
            await asyncio.sleep(down_seconds)
        await self.start_apiserver()

    def down(self) -> list[StoppedProcess]:
        """Stop every process of this lab (reverse start order)."""
        stopped = stop_lab(self.directory)
        for name in list(self._children):
            self._reap(name)
        return stopped

    def _spawn(self, spec: ComponentSpec, *, log: Path) -> ProcessRecord:
        child, record = process.spawn(name=spec.name, argv=spec.argv, log=log)
        self._children[spec.name] = child
        known = [r.name for r in self.state.processes]
        if spec.name in known:  # a restart keeps the component's place in start order
            processes = tuple(record if r.name == spec.name else r for r in self.state.processes)
        else:
            processes = (*self.state.processes, record)
        self.state = replace(self.state, processes=processes)
        write_state(self.state)
        return record

    def _reap(self, name: str) -> None:
        child = self._children.pop(name, None)
        if child is not None:
            try:
                child.wait(timeout=process.STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._children[name] = child


def _pki(directory: Path) -> Pki:
    pki = directory / "pki"
    return Pki(ca_cert=pki / "ca.crt", admin_cert=pki / "admin.crt", admin_key=pki / "admin.key")


def _apiserver_health(state: LabState) -> components.Health:
    return components.Health(f"{state.api_server_url}/readyz", client_cert=True)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise `up`/`down` on one lab directory."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "lab.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            busy = f"another stswatch is starting or stopping the lab in {directory}"
            raise LabError(busy) from exc
        yield


def lab_status(directory: Path) -> LabStatus | None:
    """The lab recorded in `directory`, with each process's liveness; None if there is none."""
    state = read_state(directory)
    if state is None:
        return None
    return LabStatus(state=state, alive={r.name: process.is_alive(r) for r in state.processes})


def _refuse_if_running(directory: Path) -> None:
    status = lab_status(directory)
    if status is not None and status.running:
        alive = [status.state.process(n) for n, up in status.alive.items() if up]
        pids = ", ".join(f"{record.name} pid {record.pid}" for record in alive)
        raise LabError(
            f"a lab is already running in {directory} ({pids}); use it "
            f"(KUBECONFIG={status.state.kubeconfig}) or stop it with "
            f"`stswatch lab down --dir {directory}`"
        )


def _fresh_directory(directory: Path) -> None:
    """Clear what a previous (stopped) lab left; never touch a directory that held no lab."""
    if not (directory / "lab.json").exists():
        foreign = sorted(p.name for p in directory.iterdir() if p.name != "lab.lock")
        if foreign:
            raise LabError(
                f"{directory} is not empty ({', '.join(foreign[:5])}) and holds no lab; "
                "give `--dir` a new or empty directory"
            )
    for name in FRESH_PATHS:
        path = directory / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _lab_files(directory: Path, pki: Pki) -> LabFiles:
    return LabFiles(
        directory=directory,
        pki=pki,
        kubeconfig=directory / "kubeconfig",
        stages=directory / "stages.yaml",
        etcd_data=directory / "etcd",
        volumes=directory / "volumes",
        storage_class=STORAGE_CLASS,
        audit_policy=directory / "audit-policy.yaml",
        audit_log=directory / "logs" / "pod-deletes.audit.jsonl",
        kwok_config=directory / "kwok.yaml",
    )


async def start_lab(
    directory: Path,
    *,
    nodes: int = 3,
    real_nodes: int = 0,
    timing: PodTiming | None = None,
    throughput: Throughput | None = None,
    feature_gates: tuple[str, ...] = (),
    report: Report = _quiet,
    wait_s: float = START_TIMEOUT_S,
    started_by: str = "lab up",
) -> LabHandle:
    """Build (cached), start every component, create nodes and the StorageClass, wait Ready.

    Raises LabError naming the component (with its log tail) if one fails; whatever was
    started is stopped again, so a failed `up` leaves nothing running. A port taken between
    picking and binding (another lab starting at the same moment) means a retry on new ports.

    `real_nodes` adds that many real nodes (containerd + kubelet each) and CoreDNS; the host
    must be able to run them (`stswatch.lab.realnode.host_problems`), else LabError says why.
    `throughput` (default: upstream's limits) sets the controllers' QPS and the nodes' pod room.
    `feature_gates` (`NAME=true|false` each) go to the apiserver and the controller-manager.
    `started_by` is kept in the state's options (a scenario may replace a lab it started).
    """
    if nodes + real_nodes < 1:
        raise LabError("a lab needs at least one node (fake or real)")
    if real_nodes:
        _refuse_real_nodes_here()
    directory = await asyncio.to_thread(directory.resolve)
    if real_nodes:
        realnode.check_socket_room(directory, count=real_nodes)
    with _locked(directory):
        _refuse_if_running(directory)
        await asyncio.to_thread(_clean_previous_real_nodes, directory, report)
        _fresh_directory(directory)
        binaries = await asyncio.to_thread(build.binaries, report=report)
        node_parts = await asyncio.to_thread(_real_node_parts, report) if real_nodes else None
        started = time.monotonic()
        for attempt in range(1, PORT_ATTEMPTS + 1):
            _fresh_directory(directory)
            handle = _new_handle(
                directory,
                nodes=nodes,
                real_nodes=real_nodes,
                timing=timing or PodTiming(),
                throughput=throughput or Throughput(),
                feature_gates=feature_gates,
                started_by=started_by,
            )
            try:
                names = await _bring_up(handle, binaries=binaries, report=report, wait_s=wait_s)
                if node_parts is not None:
                    names += await _start_real_nodes(
                        handle, parts=node_parts, count=real_nodes, report=report, wait_s=wait_s
                    )
                break
            except LabError as exc:
                handle.down()
                if PORT_TAKEN not in str(exc) or attempt == PORT_ATTEMPTS:
                    raise
                report(f"a port was taken meanwhile; retrying on new ports ({exc.message[:80]})")
            except BaseException:
                handle.down()
                raise
        handle.state = replace(
            handle.state, nodes=tuple(names), ready_seconds=time.monotonic() - started
        )
        write_state(handle.state)
        return handle


async def _bring_up(
    handle: LabHandle, *, binaries: build.Binaries, report: Report, wait_s: float
) -> list[str]:
    """Start the components in order, then create the nodes and the StorageClass."""
    files = _lab_files(handle.directory, _pki(handle.directory))
    ports = dict(handle.state.ports)
    throughput = Throughput(**handle.state.options["throughput"])
    specs = components.component_specs(
        binaries=binaries,
        files=files,
        ports=ports,
        throughput=throughput,
        feature_gates=tuple(handle.state.options.get("feature_gates", ())),
    )
    for spec in specs:
        report(f"starting {spec.name}")
        record = handle._spawn(spec, log=handle.directory / "logs" / f"{spec.name}.log")
        await health.wait_healthy(spec, record=record, pki=files.pki, wait_s=wait_s)
    nodes = int(handle.state.options["nodes"])
    report(f"creating {nodes} fake nodes and StorageClass {STORAGE_CLASS}")
    return await populate(
        kubeconfig=handle.kubeconfig,
        nodes=nodes,
        storage_class_name=STORAGE_CLASS,
        pods_per_node=throughput.pods_per_node,
        wait_s=NODES_TIMEOUT_S,
        wait_for_consumer=int(handle.state.options.get("real_nodes", 0)) > 0,
    )


@dataclass(frozen=True)
class _NodeParts:
    """What real nodes run, built or found in the cache before anything starts."""

    binaries: build.NodeBinaries
    images: images.ImageSet


def _refuse_real_nodes_here() -> None:
    """LabError (exit 8) naming what this host lacks to run real nodes, if anything."""
    problems = realnode.host_problems() + [
        f"Debian package {package} (to build the images)" for package in images.missing_tools()
    ]
    if problems:
        raise LabError(f"this host cannot run real nodes; it lacks: {'; '.join(problems)}")


def _real_node_parts(report: Report) -> _NodeParts:
    node_binaries = build.node_binaries(report=report)
    image_set = images.build_images(binaries=node_binaries)
    return _NodeParts(node_binaries, image_set)


def _clean_previous_real_nodes(directory: Path, report: Report) -> None:
    """A previous lab's real nodes whose `down` never ran (or did not finish): clean up now."""
    if realnode.read_layout(directory) is None:
        return
    _, left = realnode.teardown(directory, records={}, api=None, report=report)
    if left:
        raise LabError(
            f"what a previous lab in {directory} left on the host could not be removed: "
            f"{', '.join(left[:8])}"
        )


async def _start_real_nodes(
    handle: LabHandle, *, parts: _NodeParts, count: int, report: Report, wait_s: float
) -> list[str]:
    """Plan, record and start the real nodes; wait until each Node is Ready."""
    layout = realnode.plan(handle.directory, count=count)
    realnode.write_layout(layout)

    def spawn(name: str, argv: tuple[str, ...], log: Path) -> ProcessRecord:
        return handle._spawn(ComponentSpec(name, argv, None), log=log)

    await asyncio.to_thread(
        realnode.start,
        layout,
        spawn=spawn,
        kubeconfig=handle.kubeconfig,
        kubelet=parts.binaries.kubelet,
        coredns=parts.binaries.coredns,
        archives=parts.images.archives,
        pause_image=images.PAUSE_IMAGE,
        report=report,
        wait_s=wait_s,
    )
    names = [node.name for node in layout.nodes]
    report(f"waiting for real nodes {', '.join(names)} to be Ready")
    await wait_real_nodes_ready(handle.kubeconfig, names=names, wait_s=NODES_TIMEOUT_S)
    return names


def _new_handle(
    directory: Path,
    *,
    nodes: int,
    real_nodes: int,
    timing: PodTiming,
    throughput: Throughput,
    feature_gates: tuple[str, ...],
    started_by: str,
) -> LabHandle:
    pki = write_pki(directory / "pki")
    ports = free_ports(components.PORT_NAMES)
    files = _lab_files(directory, pki)
    files.volumes.mkdir(parents=True, exist_ok=True)
    api_server_url = f"https://{LOOPBACK}:{ports['kube-apiserver']}"
    write_kubeconfig(files.kubeconfig, server=api_server_url, pki=pki)
    files.stages.write_text(stages_yaml(timing))
    files.audit_policy.write_text(components.AUDIT_POLICY)
    kwok_configuration = throughput.kwok_configuration()
    if kwok_configuration is not None:
        files.kwok_config.write_bytes(orjson.dumps(kwok_configuration))  # JSON is YAML
    state = LabState(
        directory=str(directory),
        kubeconfig=str(files.kubeconfig),
        api_server_url=api_server_url,
        etcd_endpoint=f"http://{LOOPBACK}:{ports['etcd']}",
        storage_class=STORAGE_CLASS,
        nodes=(),
        ports=ports,
        started_at=time.time(),
        options={
            "nodes": nodes,
            "real_nodes": real_nodes,
            "timing": repr(timing),
            "throughput": asdict(throughput),
            "feature_gates": list(feature_gates),
            "started_by": started_by,
        },
    )
    write_state(state)
    return LabHandle(state=state)


def attach_lab(directory: Path) -> LabHandle:
    """A handle on the lab already running in `directory`."""
    status = lab_status(directory.resolve())
    if status is None or not status.running:
        raise LabError(f"no lab is running in {directory}; start one with `stswatch lab up`")
    return LabHandle(state=status.state)


def stop_lab(directory: Path, *, report: Report = _quiet) -> list[StoppedProcess]:
    """Stop exactly the processes recorded in the directory's state file, newest first.

    Real nodes go first (their pods, kubelets, CoreDNS, containerds), then what they left on
    the host is removed; LabError lists anything that would not go (after everything else
    was stopped), so a `down` that leaves something behind never looks clean.
    """
    directory = directory.resolve()
    state = read_state(directory)
    records = {record.name: record for record in state.processes} if state else {}
    api = realnode.teardown_api(state.api_server_url, _pki(directory)) if state else None
    real_stopped, left = realnode.teardown(directory, records=records, api=api, report=report)
    done = {record.name for record, _ in real_stopped}
    rest = [r for r in reversed(state.processes) if r.name not in done] if state else []
    was_running = process.stop_all(rest)
    stopped = [
        StoppedProcess(name=record.name, pid=record.pid, was_running=running)
        for record, running in [*real_stopped, *zip(rest, was_running, strict=True)]
    ]
    if left:
        raise LabError(
            f"lab {directory} stopped, but these are left on the host: {', '.join(left)}"
        )
    return stopped
