"""`stswatch scenario run|list|check` and `stswatch demo`: drive a StatefulSet while recording.

Parse, one call to `stswatch.pipeline` (record one session per policy, verify and report each,
compare two policies), print what it returns, exit with its code.
"""

import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import click

from stswatch import safe_text
from stswatch.cli import main
from stswatch.cli.log import configure_logging
from stswatch.cli.options import F, cluster_options, db_option
from stswatch.pipeline import ComparisonReport, SessionReport, run_and_report
from stswatch.reports.proofs.verdict import OUTCOMES
from stswatch.scenario import POLICIES, Policy, Scenario, builtin_names, load_scenario
from stswatch.scenario.exec_summary import exec_summary
from stswatch.scenario.runner import (
    PolicyRun,
    ScenarioTarget,
    default_session_prefix,
)
from stswatch.scenario.target import lab_target, resolve_target

DEFAULT_OUT = Path("stswatch-reports")


def _out_option(func: F) -> F:
    """`-o/--out DIR`: where the reports go."""
    return click.option(
        "-o",
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help=f"Where reports go (default: {DEFAULT_OUT}/<session prefix>).",
    )(func)


def _progress(line: str) -> None:
    click.echo(f"· {safe_text.field(line)}", err=True)


@main.group("scenario")
def scenario_group() -> None:
    """Scripted scenarios (built-in or your own YAML), recorded while they run."""


@scenario_group.command("list")
def list_command() -> None:
    """The built-in scenarios, one line each."""
    for name in builtin_names():
        scenario = load_scenario(name)
        click.echo(f"{name:<10} {scenario.description.split('. ')[0].rstrip('.')}")


def _outside_paths_option(func: F) -> F:
    """`--allow-outside-paths`: let `apply: {path: ...}` read outside the scenario's folder."""
    return click.option(
        "--allow-outside-paths",
        is_flag=True,
        help="Let apply steps read manifest files outside the scenario file's folder.",
    )(func)


def _privileged_option(func: F) -> F:
    """`--allow-privileged`: let apply steps create what Pod Security's baseline forbids."""
    return click.option(
        "--allow-privileged",
        is_flag=True,
        help="Let apply steps create pods the Pod Security baseline level forbids (privileged, "
        "host namespaces, hostPath...): they run as root on real nodes. Off: exit 7.",
    )(func)


@scenario_group.command("check")
@click.argument("ref", metavar="NAME|FILE")
@_outside_paths_option
@_privileged_option
def check_command(ref: str, allow_outside_paths: bool, allow_privileged: bool) -> None:
    """Validate a scenario without touching a cluster."""
    scenario = load_scenario(
        ref, allow_outside_paths=allow_outside_paths, allow_privileged=allow_privileged
    )
    click.echo(f"{scenario.source}: valid, {len(scenario.steps)} steps")


@scenario_group.command("run")
@click.argument("ref", metavar="NAME|FILE")
@click.option(
    "--policy",
    type=click.Choice([*POLICIES, "both"]),
    default="OrderedReady",
    show_default=True,
    help="podManagementPolicy to run under; both: one session each, and a comparison.",
)
@click.option("--session", "prefix", metavar="PREFIX", help="Session name prefix.")
@db_option
@cluster_options
@click.option("--storage-class", help="StorageClass of the claims (default: the cluster's).")
@_out_option
@click.option("--keep-namespace", is_flag=True, help="Leave each run's namespace in place.")
@click.option(
    "--exec",
    "allow_exec",
    is_flag=True,
    help="Run the scenario's exec steps (e.g. redis-cli SET/GET); needs pods with containers.",
)
@_outside_paths_option
@_privileged_option
def run_command(
    ref: str,
    policy: str,
    prefix: str | None,
    db_path: Path,
    kubeconfig: Path | None,
    context: str | None,
    storage_class: str | None,
    out_dir: Path | None,
    keep_namespace: bool,
    allow_exec: bool,
    allow_outside_paths: bool,
    allow_privileged: bool,
) -> None:
    """Run a scenario while recording it, then verify and report each session."""
    # A malformed file stops here, before any cluster is touched.
    scenario = load_scenario(
        ref, allow_outside_paths=allow_outside_paths, allow_privileged=allow_privileged
    )
    policies: tuple[Policy, ...] = POLICIES if policy == "both" else (policy,)  # type: ignore[assignment]
    prefix = prefix or default_session_prefix(scenario)

    async def target() -> ScenarioTarget:
        return await resolve_target(
            kubeconfig=kubeconfig, context=context, storage_class=storage_class, progress=_progress
        )

    sys.exit(
        _run_and_print(
            scenario,
            policies=policies,
            prefix=prefix,
            db_path=db_path,
            target=target,
            out_dir=out_dir,
            keep_namespace=keep_namespace,
            allow_exec=allow_exec,
            allow_privileged=allow_privileged,
        )
    )


PRACTICE = ("etcd", "etcd-halt", "zookeeper")  # the lesson's practice project (docs/practice.md)


@main.command("demo")
@db_option
@_out_option
@click.option(
    "--real-nodes",
    is_flag=True,
    help="On a lab with a real node (real redis containers, real DNS): the lesson's exec "
    "steps run too. Needs root and the packages in docs/lab.md.",
)
@click.option(
    "--practice",
    is_flag=True,
    help="With --real-nodes: run the lesson's practice project instead, the built-ins "
    f"{', '.join(PRACTICE)} under both policies with their exec steps (docs/practice.md).",
)
def demo_command(db_path: Path, out_dir: Path | None, real_nodes: bool, practice: bool) -> None:
    """Start the local lab if needed, run `lesson` under both policies, write the reports."""
    if practice and not real_nodes:
        raise click.UsageError("--practice needs --real-nodes: etcd and ZooKeeper run containers")

    async def target() -> ScenarioTarget:
        return await lab_target(
            storage_class=None, progress=_progress, real_nodes=1 if real_nodes else 0
        )

    codes = []
    for name in PRACTICE if practice else ("lesson",):
        scenario = load_scenario(name)
        prefix = default_session_prefix(scenario)
        codes.append(
            _run_and_print(
                scenario,
                policies=POLICIES,
                prefix=prefix,
                db_path=db_path,
                target=target,
                out_dir=out_dir / prefix if out_dir is not None and practice else out_dir,
                keep_namespace=False,
                allow_exec=real_nodes,
            )
        )
    sys.exit(max(codes))


def _run_and_print(
    scenario: Scenario,
    *,
    policies: tuple[Policy, ...],
    prefix: str,
    db_path: Path,
    target: Callable[[], Awaitable[ScenarioTarget]],
    out_dir: Path | None,
    keep_namespace: bool,
    allow_exec: bool,
    allow_privileged: bool = False,
) -> int:
    """Record, verify, report and print the verdicts of one scenario; its exit code (non-zero on
    a failed step or verdict)."""
    configure_logging()  # the recorder's logs go to stderr, next to the progress lines
    result = run_and_report(
        scenario,
        policies=policies,
        prefix=prefix,
        db_path=db_path,
        target=target,
        out_dir=out_dir or DEFAULT_OUT / prefix,
        keep_namespace=keep_namespace,
        allow_exec=allow_exec,
        allow_privileged=allow_privileged,
        progress=_progress,
    )
    for run, session in zip(result.runs, result.sessions, strict=True):
        _print_run(run, session)
        for line in exec_summary(scenario, run.outcomes, namespace=run.namespace):
            click.echo(f"  {safe_text.field(line)}")
    if result.comparison is not None:
        _print_comparison(result.reported, result.comparison)
    return int(result.exit_code)


def _print_comparison(sessions: Sequence[SessionReport], compared: ComparisonReport) -> None:
    """The comparison's headline figures, A against B, and where the page is."""
    a, b = compared.comparison.figures_a, compared.comparison.figures_b
    click.echo(f"comparison: {sessions[0].run.policy} vs {sessions[1].run.policy}")
    if a.scale_up and b.scale_up:
        window = f"{a.scale_up.from_replicas}->{a.scale_up.to_replicas}"
        click.echo(
            f"  first scale-up {window}: all Ready after {_seconds(a.time_to_all_ready)} vs "
            f"{_seconds(b.time_to_all_ready)}; burst width {a.burst_width} vs {b.burst_width}"
        )
    if a.scale_down and b.scale_down:
        window = f"{a.scale_down.from_replicas}->{a.scale_down.to_replicas}"
        click.echo(
            f"  first scale-down {window}: condemned pods gone after "
            f"{_seconds(a.scale_down_duration)} vs {_seconds(b.scale_down_duration)}"
        )
    click.echo(f"  page: {compared.page} (open it in a browser)")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _print_run(run: PolicyRun, session: SessionReport | None) -> None:
    """One run's verdict totals, the verdicts worth a look, and its report's path."""
    if session is None:
        click.echo(f"{run.policy}: session {run.session}: not verified")
    else:
        result = session.result
        totals = ", ".join(f"{result.count(o)} {o}" for o in OUTCOMES if result.count(o))
        click.echo(f"{run.policy}: session {run.session}: {totals or 'no verdicts'}")
        for verdict in result.verdicts:
            if verdict.outcome in ("fail", "inconclusive") or verdict.proof == "homework-1":
                reason = safe_text.field(verdict.reason)
                click.echo(f"  {verdict.outcome:<14} {verdict.proof}: {reason}")
    timed_out = [o for o in run.outcomes if o.status == "timed-out"]
    for outcome in timed_out:
        click.echo(f"  step {outcome.index} timed out (went on): {safe_text.field(outcome.note)}")
    if run.error is not None:
        click.echo(f"  stopped early: {safe_text.field(run.error.message)}")
    if session is not None:
        click.echo(f"  report: {session.report}")
