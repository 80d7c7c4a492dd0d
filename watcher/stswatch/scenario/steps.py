"""Run a scenario's steps against one namespace, marking each step in the recording.

Each step leaves one mark at the moment that matters, so the timeline shows what the scenario
did next to what the cluster did without burying it in lines: an action (apply, scale, patch,
delete, sleep) when it is sent (`detail.phase` "begin"), a wait when its condition was seen to
hold or it gave up ("end", with `seconds` and what was seen). Every wait is bounded by its
timeout and, when it gives up, says what it waited for and what it last saw.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import regex

from stswatch.errors import ExecCheckError, WaitTimeoutError
from stswatch.exec_mark_format import exec_mark_detail
from stswatch.kube.verbs import TransientClusterError
from stswatch.scenario.conditions import Observation, describe, observe
from stswatch.scenario.exec_stream import ExecResult
from stswatch.scenario.loading import substitute
from stswatch.scenario.model import (
    ApplyStep,
    Condition,
    DeleteStep,
    ExecStep,
    MarkStep,
    PatchStep,
    PodRecreated,
    Policy,
    ScaleStep,
    Scenario,
    SleepStep,
    Step,
    WaitStep,
)
from stswatch.scenario.objects import Objects

POLL_INTERVAL_S = 0.2
EXEC_RETRY_S = 0.5
_SHOWN_CHARS = 200  # of an exec's output in a note or progress line (the mark keeps more)

Mark = Callable[[str, dict[str, Any]], Awaitable[None]]
Progress = Callable[[str], None]
StepStatus = Literal["done", "skipped", "timed-out"]


@dataclass(frozen=True)
class StepOutcome:
    """What became of one step."""

    index: int
    kind: str
    title: str
    status: StepStatus
    seconds: float
    note: str = ""


@dataclass
class _Run:
    """One run's state: where, under which policy, and the uids of the pods it deleted."""

    scenario: Scenario
    objects: Objects
    policy: Policy
    values: Mapping[str, str]
    mark: Mark
    progress: Progress
    allow_exec: bool
    old_uids: dict[str, str] = field(default_factory=dict)
    last_exec: ExecResult | None = None  # the last exec's output and exit status, for its mark


async def run_steps(
    scenario: Scenario,
    *,
    objects: Objects,
    policy: Policy,
    values: Mapping[str, str],
    mark: Mark,
    progress: Progress,
    allow_exec: bool = False,
) -> tuple[StepOutcome, ...]:
    """Run every step in order; a step that fails (or a wait that gives up) ends the run.

    Exec steps are skipped unless `allow_exec` (the lab's pods run no containers).
    """
    run = _Run(scenario, objects, policy, values, mark, progress, allow_exec)
    outcomes = []
    for index, step in enumerate(scenario.steps, start=1):
        outcomes.append(await _run_step(run, index=index, step=step))
    return tuple(outcomes)


def step_title(step: Step, *, statefulset: str) -> str:
    """The step's title, or one derived from what it does."""
    if step.title:
        return step.title
    match step:
        case ApplyStep(manifests=manifests):
            names = ", ".join(f"{m['kind']} {m['metadata']['name']}" for m in manifests or [])
            return f"apply {names}"
        case ScaleStep(replicas=n):
            return f"scale {step.statefulset or statefulset} to {n}"
        case PatchStep(target=target, subresource=sub):
            return f"patch {target.kind} {target.name}{'/' + sub if sub else ''}"
        case DeleteStep(target=target):
            return f"delete {target.kind} {target.name}"
        case WaitStep(condition=condition):
            return f"wait for {describe(condition, statefulset=step.statefulset or statefulset)}"
        case ExecStep(pod=pod, command=command):
            return f"exec in {pod}: {' '.join(command)}"
        case SleepStep(seconds=seconds):
            return f"sleep {seconds:g} s"
        case MarkStep(label=label):
            return label
    raise AssertionError(step)  # pragma: no cover - the union is exhaustive


async def _run_step(run: _Run, *, index: int, step: Step) -> StepOutcome:
    title = step_title(step, statefulset=run.scenario.statefulset)
    detail: dict[str, Any] = {
        "scenario": run.scenario.name,
        "step": index,
        "kind": step.kind,
        "policy": run.policy,
    }
    skip = _skip_reason(run, step)
    if skip:
        run.progress(f"step {index}: {title}: skipped ({skip})")
        return StepOutcome(index, step.kind, title, "skipped", 0.0, skip)
    if isinstance(step, MarkStep):
        await run.mark(step.label, {**step.detail, **detail})
        run.progress(f"step {index}: mark {step.label!r}")
        return StepOutcome(index, step.kind, title, "done", 0.0)
    run.progress(f"step {index}: {title} ...")
    # A wait is marked when its condition held, an exec when its output is known.
    waiting = isinstance(step, WaitStep | ExecStep)
    if not waiting:
        await run.mark(title, {**detail, "phase": "begin"})
    started = time.monotonic()
    try:
        status: StepStatus = "done"
        note = await _execute(run, step)
    except WaitTimeoutError as exc:
        status, note = "timed-out", exc.message
        end = {**detail, "phase": "end", "status": status, "seconds": _since(started)}
        await run.mark(f"{title} (timed out)", {**end, "note": note})
        if not (isinstance(step, WaitStep) and step.on_timeout == "continue"):
            raise
    except ExecCheckError as exc:
        # What the pod printed instead is evidence too (the reading side cites it).
        end = {**detail, "phase": "end", "status": "check-failed", "seconds": _since(started)}
        await run.mark(
            f"{title} (check failed)", {**end, **_exec_fields(run, step), "note": exc.message}
        )
        raise
    else:
        if waiting:
            end = {**detail, "phase": "end", "status": status, "seconds": _since(started)}
            await run.mark(title, {**end, **_exec_fields(run, step), "note": note})
    seconds = time.monotonic() - started
    run.progress(f"step {index}: {status} in {seconds:.1f} s{': ' + note if note else ''}")
    return StepOutcome(index, step.kind, title, status, seconds, note)


def _exec_fields(run: _Run, step: Step) -> dict[str, Any]:
    """For an exec step that ran: where, the command, its output and how it ended."""
    if not isinstance(step, ExecStep) or run.last_exec is None:
        return {}
    namespace = run.values.get("namespace", "")
    return exec_mark_detail(
        pod=step.pod,
        namespace=namespace,
        command=_command(run, step),
        output=run.last_exec.output.strip(),
        output_bytes=run.last_exec.output_bytes,
        exit_code=run.last_exec.exit_code,
    )


def _command(run: _Run, step: ExecStep) -> list[str]:
    """The exec step's argv as it runs: placeholders filled in."""
    return [str(part) for part in substitute(step.command, run.values)]


def _skip_reason(run: _Run, step: Step) -> str:
    if step.when is not None and step.when != run.policy:
        return f"only under {step.when}"
    if isinstance(step, ExecStep) and not run.allow_exec:
        return "exec is off; pass --exec on a cluster whose pods run containers"
    if step.needs_exec and not run.allow_exec:
        return "only with --exec"
    return ""


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


async def _execute(run: _Run, step: Step) -> str:
    """Do one step; returns a short note of what was seen, for the progress line."""
    statefulset = getattr(step, "statefulset", None) or run.scenario.statefulset
    match step:
        case ApplyStep(manifests=manifests):
            for manifest in manifests or []:
                await run.objects.apply(substitute(manifest, run.values))
            return ""
        case ScaleStep(replicas=n):
            body = {"spec": {"replicas": n}}
            await run.objects.patch("StatefulSet", statefulset, body=body, patch_type="merge")
            return ""
        case PatchStep(target=target, patch=patch, type=patch_type, subresource=sub):
            body = substitute(patch, run.values)
            await run.objects.patch(
                target.kind, target.name, body=body, patch_type=patch_type, subresource=sub
            )
            return ""
        case DeleteStep():
            return await _delete(run, step)
        case WaitStep(condition=condition, timeout=timeout):
            await _remember_pod(run, condition)
            seen = await wait_until(
                condition,
                objects=run.objects,
                statefulset=statefulset,
                old_uids=run.old_uids,
                limit_s=timeout,
            )
            return seen.seen
        case ExecStep():
            return await _exec(run, step)
        case SleepStep(seconds=seconds):
            await asyncio.sleep(seconds)
            return ""
    raise AssertionError(step)  # pragma: no cover - marks are handled by the caller


async def wait_until(
    condition: Condition,
    *,
    objects: Objects,
    statefulset: str,
    old_uids: Mapping[str, str],
    limit_s: float,
) -> Observation:
    """Poll until the condition holds; past `limit_s`, raise WaitTimeoutError naming it."""
    last = Observation(False, "nothing yet (the API did not answer)")
    try:
        async with asyncio.timeout(limit_s):
            while True:
                try:
                    last = await observe(
                        condition, objects=objects, statefulset=statefulset, old_uids=old_uids
                    )
                except TransientClusterError as exc:  # an API server restart: look again
                    last = Observation(False, exc.message)
                if last.met:
                    return last
                await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        what = describe(condition, statefulset=statefulset)
        raise WaitTimeoutError(
            f"gave up after {limit_s:g} s waiting for {what}; last seen: {last.seen}"
        ) from None


async def _delete(run: _Run, step: DeleteStep) -> str:
    target = step.target
    before = await run.objects.delete(target.kind, target.name, propagation=step.propagation)
    if before is None:
        return f"{target.kind} {target.name} was already gone"
    uid = before["metadata"]["uid"]
    if target.kind == "Pod":
        run.old_uids[target.name] = uid
    if not step.wait:
        return ""
    try:
        async with asyncio.timeout(step.timeout):
            # Gone means this uid is gone: a StatefulSet may recreate the name within milliseconds.
            while True:
                try:
                    now = await run.objects.get(target.kind, target.name)
                except TransientClusterError:
                    now = before  # not known yet: look again
                if now is None:
                    return "gone"
                if now["metadata"]["uid"] != uid:
                    return "gone, already recreated"
                await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        raise WaitTimeoutError(
            f"gave up after {step.timeout:g} s waiting for {target.kind} {target.name} "
            f"(uid {uid}) to be gone after its deletion"
        ) from None


async def _exec(run: _Run, step: ExecStep) -> str:
    """Run the command; with `expect`, again until it exits 0 printing that (a just-started
    server). Without `expect`, a command that does not exit 0 fails the step at once."""
    command = _command(run, step)
    shown = f"`{' '.join(command)}` in pod {step.pod}"
    got = "nothing yet"
    run.last_exec = None
    deadline = time.monotonic() + step.timeout
    try:
        async with asyncio.timeout(step.timeout):
            while True:
                try:
                    result: ExecResult | None = await run.objects.exec(
                        step.pod, command=command, container=step.container
                    )
                except TransientClusterError as exc:
                    got, result = exc.message, None
                if result is not None:
                    run.last_exec = result
                    got = _said(result)
                    if not result.succeeded and step.expect is None and step.expect_regex is None:
                        raise ExecCheckError(f"{shown} {got}")
                    if result.succeeded and await _expected(step, result, deadline):
                        return got
                await asyncio.sleep(EXEC_RETRY_S)
    except TimeoutError:
        if step.expect is None and step.expect_regex is None:
            raise WaitTimeoutError(f"gave up after {step.timeout:g} s running {shown}") from None
        wanted = repr(step.expect) if step.expect is not None else f"/{step.expect_regex}/"
        raise ExecCheckError(
            f"{shown} did not print {wanted} within {step.timeout:g} s; last: {got}"
        ) from None


def _said(result: ExecResult) -> str:
    """`output 'OK'` for a command that exited 0 (`exec_summary` reads it back), else how it
    ended and what it printed; the output cut to a line's length."""
    output = result.output.strip()
    printed = repr(output[:_SHOWN_CHARS]) + ("…" if len(output) > _SHOWN_CHARS else "")
    if result.output_bytes > _SHOWN_CHARS:
        printed += f" ({result.output_bytes} bytes)"
    if result.succeeded:
        return f"output {printed}"
    if result.exit_code is None:
        return f"failed ({result.failure}), printed {printed}"
    return f"exited {result.exit_code} ({result.failure}), printed {printed}"


async def _expected(step: ExecStep, result: ExecResult, deadline: float) -> bool:
    """Whether the (stripped) output is what the step waits for (anything, without expect).

    The regular expression runs in a thread under the `regex` module's timeout (what is left
    of the step's): a pattern that backtracks catastrophically cannot outlive the step, and
    the event loop (Ctrl-C, the recorder) keeps running while it does.
    """
    output = result.output.strip()
    if step.expect is not None and output != step.expect:
        return False
    if step.expect_regex is None:
        return True
    # A regex TimeoutError ends the step as its own timeout does: "did not print ... within".
    left = max(deadline - time.monotonic(), 0.001)
    found = await asyncio.to_thread(
        regex.search, step.expect_regex, output, timeout=left, concurrent=True
    )
    return found is not None


async def _remember_pod(run: _Run, condition: Condition) -> None:
    """For pod-recreated without an earlier delete step, "recreated" means "not the pod now"."""
    if isinstance(condition, PodRecreated) and condition.pod not in run.old_uids:
        pod = await run.objects.get("Pod", condition.pod)
        if pod is not None:
            run.old_uids[condition.pod] = pod["metadata"]["uid"]
