"""A scenario from end to end: record one session per policy, verify each, write the reports.

The one module besides `stswatch.cli` that joins the recording side (`stswatch.scenario`) and
the reading side (`stswatch.reports`): `stswatch scenario run` and `stswatch demo` are one call
here, then print what it returns. Tests reach the whole pipeline without click.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stswatch.errors import ExitCode, StswatchError, UsageError
from stswatch.output import write_output
from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.recording import list_session_names, paused_gc
from stswatch.reports.timeline.compare import Comparison, compare
from stswatch.reports.timeline.html import render_comparison, render_report
from stswatch.reports.timeline.model import Timeline
from stswatch.scenario import Policy, Scenario
from stswatch.scenario.runner import PolicyRun, ScenarioTarget, run_scenario, session_name

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SessionReport:
    """One recorded run, its verification and where its report was written."""

    run: PolicyRun
    result: VerifyResult
    timeline: Timeline
    report: Path


@dataclass(frozen=True)
class ComparisonReport:
    """The two policies' sessions compared, and where the page was written."""

    comparison: Comparison
    page: Path


@dataclass(frozen=True)
class ScenarioResult:
    """What a scenario run left: every run, each verified session (None: could not be verified),
    and the comparison when two sessions were reported."""

    runs: tuple[PolicyRun, ...]
    sessions: tuple[SessionReport | None, ...]
    comparison: ComparisonReport | None

    @property
    def reported(self) -> list[SessionReport]:
        """The sessions that were verified and reported."""
        return [s for s in self.sessions if s is not None]

    @property
    def exit_code(self) -> ExitCode:
        """A step that failed wins (with its own code); then a failed verdict; else OK."""
        for run in self.runs:
            if run.error is not None:
                return run.error.exit_code
        if any(s.result.failed for s in self.reported):
            return ExitCode.VERDICT_FAILED
        return ExitCode.OK


def run_and_report(
    scenario: Scenario,
    *,
    policies: tuple[Policy, ...],
    prefix: str,
    db_path: Path,
    target: Callable[[], Awaitable[ScenarioTarget]],
    out_dir: Path,
    keep_namespace: bool,
    allow_exec: bool,
    progress: Progress,
    allow_privileged: bool = False,
) -> ScenarioResult:
    """Run the scenario once per policy while recording (`stswatch.scenario.runner`), then
    verify, report and compare the sessions (`report_scenario`).

    `target` is resolved inside the run's event loop (it may start the local lab). A session
    the store already holds is refused first (`refuse_existing_sessions`), before any cluster.
    """
    refuse_existing_sessions(db_path, [session_name(prefix, p) for p in policies])

    async def record() -> tuple[PolicyRun, ...]:
        return await run_scenario(
            scenario,
            policies=policies,
            db_path=db_path,
            session_prefix=prefix,
            target=await target(),
            keep_namespace=keep_namespace,
            allow_exec=allow_exec,
            allow_privileged=allow_privileged,
            progress=progress,
        )

    runs = asyncio.run(record())
    return report_scenario(scenario, runs, db_path=db_path, out_dir=out_dir, progress=progress)


def refuse_existing_sessions(db_path: Path, sessions: Sequence[str]) -> None:
    """A scenario records fresh sessions; resuming one would mix two runs in one recording."""
    if not db_path.is_file():
        return
    taken = sorted(set(sessions) & set(list_session_names(db_path)))
    if taken:
        raise UsageError(
            f"{db_path} already holds session {taken[0]!r}; pick another --session prefix"
        )


def report_scenario(
    scenario: Scenario,
    runs: Sequence[PolicyRun],
    *,
    db_path: Path,
    out_dir: Path,
    progress: Progress,
) -> ScenarioResult:
    """Verify and report each recorded run, and compare two policies' sessions.

    Raises the first StswatchError of a session that cannot be verified although its run ended
    well (a run that stopped early is reported as not verified instead).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sessions = tuple(_verified(db_path, run, scenario, out_dir, progress) for run in runs)
    reported = [s for s in sessions if s is not None]
    compared = _compare(reported, out_dir, progress) if len(reported) == 2 else None
    return ScenarioResult(tuple(runs), sessions, compared)


def _verified(
    db_path: Path, run: PolicyRun, scenario: Scenario, out_dir: Path, progress: Progress
) -> SessionReport | None:
    """Verify and report one session; None when a run that stopped early cannot be verified."""
    try:
        return _verify_and_report(db_path, run, scenario, out_dir, progress)
    except StswatchError as exc:
        if run.error is None:
            raise
        progress(f"session {run.session} cannot be verified: {exc.message}")
        return None


def _verify_and_report(
    db_path: Path, run: PolicyRun, scenario: Scenario, out_dir: Path, progress: Progress
) -> SessionReport:
    progress(f"verifying session {run.session}")
    # As `stswatch report`: frozen, the collector never walks the analysis (a command that exits).
    with paused_gc():
        analysis = analyse(db_path, run.session, statefulset=scenario.statefulset, drawn=True)
        timeline = analysis.timeline(scenario.statefulset)
    path = out_dir / f"{run.session}.html"
    write_output(path, render_report(timeline).encode())
    return SessionReport(run, analysis.result, timeline, path)


def _compare(
    sessions: Sequence[SessionReport], out_dir: Path, progress: Progress
) -> ComparisonReport:
    path = out_dir / "compare.html"
    progress(f"comparing {sessions[0].run.session} with {sessions[1].run.session}")
    comparison = compare(sessions[0].timeline, sessions[1].timeline)
    write_output(path, render_comparison(comparison).encode())
    return ComparisonReport(comparison, path)
