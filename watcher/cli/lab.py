"""`stswatch lab build|up|status|down`: the local control plane (see watcher.lab)."""

import asyncio
import time
from pathlib import Path

import click

from watcher.cli import main
from watcher.lab.build import build_all
from watcher.lab.errors import LabError
from watcher.lab.lab import lab_status, start_lab, stop_lab
from watcher.lab.paths import LAB_DIR_ENV, default_lab_dir
from watcher.lab.stages import PodTiming


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


@lab.command("build")
def build() -> None:
    """Build the control plane binaries into the cache (a no-op when they are there)."""
    started = time.monotonic()
    for result in build_all(report=_report):
        how = "cached" if result.cached else f"built in {result.seconds:.1f}s"
        click.echo(f"{result.component} {result.version}: {how} ({result.directory})")
    click.echo(f"control plane ready in {time.monotonic() - started:.1f}s")


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
@click.option("--nodes", type=click.IntRange(1, 1000), default=3, show_default=True)
@_dir_option
@click.option(
    "--pod-ready-delay",
    metavar="SECONDS|LOW-HIGH",
    default=None,
    help="Time from scheduled to Ready per pod (default 0.6-1.8).",
)
@click.option("--fast", is_flag=True, help="Pods start, turn Ready and terminate at once.")
def up(nodes: int, directory: Path, pod_ready_delay: str | None, fast: bool) -> None:
    """Start a lab with N fake nodes and print how to use it."""
    timing = _timing(fast=fast, pod_ready_delay=pod_ready_delay)
    handle = asyncio.run(start_lab(directory, nodes=nodes, timing=timing, report=_report))
    state = handle.state
    nodes_list = ", ".join(state.nodes)
    ready = f"{state.ready_seconds:.1f}s"
    click.echo(f"lab ready in {ready}: {state.api_server_url}, nodes {nodes_list}")
    click.echo(f"StorageClass {state.storage_class} (default); logs in {handle.directory / 'logs'}")
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
    click.echo(f"lab {state.directory}: {'running' if found.running else 'stopped'}")
    click.echo(f"  api server {state.api_server_url}, etcd {state.etcd_endpoint}")
    for record in state.processes:
        alive = "running" if found.alive[record.name] else "stopped"
        click.echo(f"  {record.name:<24} pid {record.pid:<8} {alive:<8} {record.log}")
    click.echo(f"export KUBECONFIG={state.kubeconfig}")


@lab.command("down")
@_dir_option
def down(directory: Path) -> None:
    """Stop exactly the processes this lab started."""
    stopped = stop_lab(directory)
    if not stopped:
        click.echo(f"no lab in {directory}")
        return
    for item in stopped:
        what = "stopped" if item.was_running else "was not running"
        click.echo(f"{item.name} (pid {item.pid}): {what}")
