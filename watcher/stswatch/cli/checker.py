"""`stswatch status` and `stswatch doctor`: one live StatefulSet, described or diagnosed.

Both take the set as `[-n NAMESPACE] STATEFULSET` or, as the lesson's checker did,
`NAMESPACE STATEFULSET`; the namespace defaults to the kubeconfig context's.
"""

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import click

from stswatch.cli import main
from stswatch.cli.options import cluster_options
from stswatch.errors import ExitCode
from stswatch.kube.cluster import connect
from stswatch.reports.live.doctor import diagnose, has_errors
from stswatch.reports.live.doctor import render_json as doctor_json
from stswatch.reports.live.doctor import render_text as doctor_text
from stswatch.reports.live.status import SetStatus, set_status
from stswatch.reports.live.status_render import (
    render_json,
    render_json_line,
    render_table,
    render_yaml,
)
from stswatch.reports.live.world import World
from stswatch.set_objects import SetObjects
from stswatch.set_reader import read_objects, watch_world

F = TypeVar("F", bound=Callable[..., object])

_STATUS = {"table": render_table, "json": render_json, "yaml": render_yaml}
_STREAM: dict[str, Callable[[SetStatus], str]] = {
    "json": render_json_line,
    "yaml": lambda status: f"---\n{render_yaml(status)}",
}
_CLEAR = "\x1b[H\x1b[2J"


def _target_options(func: F) -> F:
    """`[-n NS] STATEFULSET` or `NAMESPACE STATEFULSET`, and the kubeconfig flags of `record`."""
    func = cluster_options(func)
    func = click.option(
        "-n", "--namespace", default=None, help="Namespace (default: the context's)."
    )(func)
    return click.argument("target", nargs=-1, required=True, metavar="[NAMESPACE] STATEFULSET")(
        func
    )


def _split(target: tuple[str, ...], namespace: str | None) -> tuple[str | None, str]:
    if len(target) == 1:
        return namespace, target[0]
    if len(target) == 2 and namespace is None:
        return target[0], target[1]
    if len(target) == 2:
        raise click.UsageError("give the namespace once: -n NAMESPACE or as the first argument")
    raise click.UsageError("expected [NAMESPACE] STATEFULSET")


async def _with_cluster(
    kubeconfig: Path | None, context: str | None, namespace: str | None, name: str, *,
    doctor: bool,
) -> World:  # fmt: skip
    cluster = await connect(kubeconfig=kubeconfig, context=context)
    try:
        objects = await read_objects(
            cluster, namespace=namespace or cluster.default_namespace, name=name, doctor=doctor
        )
    finally:
        await cluster.close()
    return World.of(objects)


@main.command()
@_target_options
@click.option(
    "-o", "--output", type=click.Choice(sorted(_STATUS)), default="table", show_default=True
)
@click.option("-w", "--watch", is_flag=True, help="Redraw on every change until Ctrl-C.")
def status(
    target: tuple[str, ...],
    namespace: str | None,
    kubeconfig: Path | None,
    context: str | None,
    output: str,
    watch: bool,
) -> None:
    """A StatefulSet and its pods, one row per ordinal, with claims, revisions and DNS names.

    Exit 0; 3 when the cluster cannot be reached, 4 when the namespace or StatefulSet does not
    exist (nearby names are listed), 5 when a read is refused (the verb and resource are named).
    """
    namespace, name = _split(target, namespace)
    if not watch:
        world = asyncio.run(_with_cluster(kubeconfig, context, namespace, name, doctor=False))
        click.echo(_STATUS[output](set_status(world)), nl=False)
        return
    try:
        asyncio.run(_watch(kubeconfig, context, namespace, name, output))
    except KeyboardInterrupt:
        return


async def _watch(
    kubeconfig: Path | None,
    context: str | None,
    namespace: str | None,
    name: str,
    output: str,
) -> None:
    cluster = await connect(kubeconfig=kubeconfig, context=context)
    tty = sys.stdout.isatty()

    def redraw(objects: SetObjects) -> None:
        stamp = datetime.now(tz=UTC).strftime("%H:%M:%S")
        shown, said = watch_frame(output, set_status(World.of(objects)), stamp=stamp, tty=tty)
        click.echo(said, err=True, nl=False)
        click.echo(shown, nl=False)

    try:
        await watch_world(
            cluster, namespace=namespace or cluster.default_namespace, name=name, redraw=redraw
        )
    finally:
        await cluster.close()


def watch_frame(output: str, status: SetStatus, *, stamp: str, tty: bool) -> tuple[str, str]:
    """One redraw of `status --watch`: (stdout, stderr). A table is redrawn whole with its
    stamp; JSON is one document per line and YAML one `---` document, the stamp on stderr."""
    said = f"{stamp} (watching; Ctrl-C to stop)\n"
    if output == "table":
        return f"{_CLEAR if tty else chr(10)}{said}{render_table(status)}", ""
    return _STREAM[output](status), said


@main.command()
@_target_options
@click.option(
    "-o", "--output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def doctor(
    target: tuple[str, ...],
    namespace: str | None,
    kubeconfig: Path | None,
    context: str | None,
    output: str,
) -> None:
    """Find what is wrong with a StatefulSet, with the evidence and the fix for each finding.

    Exit 0 when no finding is an error, 1 when one is; 3, 4 and 5 as for `status`.
    """
    namespace, name = _split(target, namespace)
    world = asyncio.run(_with_cluster(kubeconfig, context, namespace, name, doctor=True))
    findings = diagnose(world)
    render = doctor_json if output == "json" else doctor_text
    click.echo(render(world, findings), nl=False)
    sys.exit(int(ExitCode.VERDICT_FAILED if has_errors(findings) else ExitCode.OK))
