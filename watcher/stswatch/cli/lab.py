"""`stswatch lab build|up|status|down`: the local control plane (see stswatch.lab)."""

import asyncio
import time
from pathlib import Path

import click

from stswatch import safe_text
from stswatch.cli import main
from stswatch.errors import LabError
from stswatch.lab import realnode
from stswatch.lab.build import build_all, build_node_components, node_binaries_of
from stswatch.lab.components import Throughput
from stswatch.lab.images import build_images, missing_tools
from stswatch.lab.lab import lab_status, start_lab, stop_lab
from stswatch.lab.paths import LAB_DIR_ENV, default_lab_dir
from stswatch.lab.recorder_image import build_recorder_image, in_checkout
from stswatch.lab.recorder_image import missing_tools as recorder_missing_tools
from stswatch.lab.stages import PodTiming


def _report(line: str) -> None:
    click.echo(line, err=True)


def _lab_dir(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    """The lab directory given, else the default one."""
    return value or default_lab_dir()


def _dir_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        envvar=LAB_DIR_ENV,
        callback=_lab_dir,
        help="Lab directory (state, logs, kubeconfig). Default: <cache>/stswatch/lab.",
    )(func)


@main.group()
def lab() -> None:
    """Build and run a local control plane: etcd, kube-apiserver, controllers, scheduler, kwok."""


def _real_node_problems() -> list[str]:
    """Why this host cannot run real nodes, including the image builder's packages."""
    problems = realnode.host_problems()
    tools = missing_tools() + recorder_missing_tools()
    if tools:
        problems.append(f"Debian packages {' '.join(tools)} (to build the images)")
    return problems


@lab.command("build")
@click.option(
    "--real-nodes/--no-real-nodes",
    "real_nodes",
    default=None,
    help="Also build the kubelet, CoreDNS and the images for `lab up --real-nodes`. "
    "Default: when this host can run real nodes.",
)
def build(real_nodes: bool | None) -> None:
    """Build the lab's binaries into the cache (a no-op when they are there)."""
    started = time.monotonic()
    for result in build_all(report=_report):
        how = "cached" if result.cached else f"built in {result.seconds:.1f}s"
        click.echo(f"{result.component} {result.version}: {how} ({result.directory})")
    click.echo(f"control plane ready in {time.monotonic() - started:.1f}s")
    problems = _real_node_problems()
    if real_nodes is None and problems:
        click.echo(f"real nodes: skipped, this host lacks {'; '.join(problems)}")
        return
    if real_nodes is False:
        return
    if problems:
        raise LabError(f"this host cannot run real nodes; it lacks: {'; '.join(problems)}")
    node_started = time.monotonic()
    results = build_node_components(report=_report)
    for result in results:
        how = "cached" if result.cached else f"built in {result.seconds:.1f}s"
        click.echo(f"{result.component} {result.version}: {how} ({result.directory})")
    images = build_images(binaries=node_binaries_of(results, report=_report))
    how = "cached" if images.cached else f"built in {images.seconds:.1f}s"
    click.echo(f"images (pause, redis, busybox, etcd, zookeeper): {how} ({images.directory})")
    if in_checkout():
        recorder = build_recorder_image()
        how = "cached" if recorder.cached else f"built in {recorder.seconds:.1f}s"
        click.echo(f"image stswatch: {how} ({recorder.archive})")
    else:
        click.echo("image stswatch: skipped (built from a checkout's sources only)")
    click.echo(f"real nodes ready in {time.monotonic() - node_started:.1f}s")


def _timing(*, fast: bool, pod_ready_delay: str | None) -> PodTiming:
    if fast:
        return PodTiming.fast()
    if pod_ready_delay is None:
        return PodTiming()
    try:
        low, _, high = pod_ready_delay.partition("-")
        return PodTiming.with_ready_delay(low_s=float(low), high_s=float(high or low))
    except ValueError as exc:
        raise click.BadParameter(f"expected SECONDS or LOW-HIGH, got {pod_ready_delay!r}") from exc


@lab.command("up")
@click.option(
    "--nodes",
    type=click.IntRange(0, 1000),
    default=None,
    help="Fake (kwok) nodes. Default: 3, or 0 with --real-nodes.",
)
@click.option(
    "--real-nodes",
    type=click.IntRange(0, realnode.MAX_REAL_NODES),
    default=0,
    show_default=True,
    help="Real nodes (containerd + kubelet, real containers) and CoreDNS; needs root and "
    "Debian's containerd, runc, containernetworking-plugins.",
)
@_dir_option
@click.option(
    "--pod-ready-delay",
    metavar="SECONDS|LOW-HIGH",
    default=None,
    help="Time from scheduled to Ready per pod (default 0.6-1.8).",
)
@click.option("--fast", is_flag=True, help="Pods start, turn Ready and terminate at once.")
@click.option(
    "--for-scale",
    is_flag=True,
    help="Thousands of pods: controller-manager and scheduler at 500 QPS (burst 1000), "
    "16 kwok pod workers, 1000 pods per fake node (default: upstream's 20/50 QPS, 4, 110).",
)
@click.option(
    "--feature-gates",
    metavar="NAME=true|false,...",
    default="",
    help="Feature gates for kube-apiserver and kube-controller-manager, e.g. "
    "MaxUnavailableStatefulSet=true (default: the release's own).",
)
def up(
    nodes: int | None,
    real_nodes: int,
    directory: Path,
    pod_ready_delay: str | None,
    fast: bool,
    for_scale: bool,
    feature_gates: str,
) -> None:
    """Start a lab with N fake nodes (and M real ones) and print how to use it."""
    timing = _timing(fast=fast, pod_ready_delay=pod_ready_delay)
    throughput = Throughput.for_scale() if for_scale else Throughput()
    if nodes is None:
        nodes = 0 if real_nodes else 3
    if nodes + real_nodes < 1:
        raise click.BadParameter("a lab needs at least one node", param_hint="--nodes")
    handle = asyncio.run(
        start_lab(
            directory,
            nodes=nodes,
            real_nodes=real_nodes,
            timing=timing,
            throughput=throughput,
            feature_gates=_feature_gates(feature_gates),
            report=_report,
        )
    )
    state = handle.state
    nodes_list = ", ".join(state.nodes)
    ready = f"{state.ready_seconds:.1f}s"
    click.echo(f"lab ready in {ready}: {state.api_server_url}, nodes {nodes_list}")
    click.echo(f"StorageClass {state.storage_class} (default); logs in {handle.directory / 'logs'}")
    if handle.dns_server is not None:
        host, port = handle.dns_server
        click.echo(f"cluster DNS (CoreDNS) for the host: {host} port {port}")
    click.echo(f"stop it with: stswatch lab down --dir {handle.directory}")
    click.echo(f"export KUBECONFIG={state.kubeconfig}")


@lab.command("status")
@_dir_option
def status(directory: Path) -> None:
    """Show the lab's processes and whether each runs."""
    found = lab_status(directory)
    if found is None:
        raise LabError(f"no lab in {directory}; start one with `stswatch lab up`")
    state = found.state
    # A shared --dir may hold a lab.json someone else wrote: its strings are shown escaped, so
    # none can drive the terminal or forge a line (such as another `export KUBECONFIG=`).
    shown = safe_text.field
    running = "running" if found.running else "stopped"
    click.echo(f"lab {shown(state.directory)}: {running}")
    click.echo(f"  api server {shown(state.api_server_url)}, etcd {shown(state.etcd_endpoint)}")
    for record in state.processes:
        alive = "running" if found.alive[record.name] else "stopped"
        click.echo(f"  {shown(record.name):<24} pid {record.pid:<8} {alive:<8} {shown(record.log)}")
    layout = realnode.read_layout(Path(state.directory))
    if layout is not None:
        click.echo(f"  real nodes on bridge {shown(layout.bridge)} ({shown(layout.subnet)}):")
        for node in layout.nodes:
            health = realnode.node_health(found.state.processes, node)
            click.echo(f"    {shown(node.name):<12} {shown(health)}")
        dns_up = realnode.dns_healthy(layout)
        click.echo(f"  CoreDNS 127.0.0.1:{layout.dns_port} {'healthy' if dns_up else 'down'}")
    click.echo(f"export KUBECONFIG={shown(state.kubeconfig)}")


@lab.command("down")
@_dir_option
def down(directory: Path) -> None:
    """Stop exactly the processes this lab started and remove what its real nodes left."""
    stopped = stop_lab(directory, report=_report)
    if not stopped:
        click.echo(f"no lab in {directory}")
        return
    for item in stopped:
        what = "stopped" if item.was_running else "was not running"
        click.echo(f"{safe_text.field(item.name)} (pid {item.pid}): {what}")


def _feature_gates(text: str) -> tuple[str, ...]:
    """`A=true,B=false` as ("A=true", "B=false"); anything else is a bad parameter (exit 2)."""
    gates = tuple(part.strip() for part in text.split(",") if part.strip())
    for gate in gates:
        name, _, value = gate.partition("=")
        if not name.isidentifier() or value not in ("true", "false"):
            raise click.BadParameter(
                f"{gate!r} is not NAME=true|false", param_hint="--feature-gates"
            )
    return gates
