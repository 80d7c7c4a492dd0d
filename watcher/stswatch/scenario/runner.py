"""Run a scenario once per policy, each in a fresh namespace, recorded into its own session.

The recorder runs in this process, watching the namespace from before the first step until the
cluster has settled after the last, so the recording holds everything the steps caused. A run
that fails part-way still closes its session cleanly: a half scenario is still evidence.
"""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes_asyncio.client import ApiClient

from stswatch.errors import StswatchError, UsageError, first_failure
from stswatch.kube.cluster import Cluster, connect
from stswatch.record.lease import lease_for
from stswatch.record.recorder import Recorder
from stswatch.record.scope import RecordScope
from stswatch.scenario.loading import uses_placeholder
from stswatch.scenario.model import Policy, Scenario
from stswatch.scenario.objects import (
    Objects,
    create_namespace,
    default_storage_class,
    delete_namespace,
    is_lab,
)
from stswatch.scenario.pod_security import ENFORCE_LABEL, ENFORCE_VERSION_LABEL
from stswatch.scenario.steps import Progress, StepOutcome, run_steps

SYNC_TIMEOUT_S = 60.0
SETTLE_S = 1.5  # after the last step, for the watch events it caused to arrive
NAMESPACE_LABEL = "stswatch.dev/scenario"


class NotLabError(UsageError):
    """A lab-only scenario was pointed at a cluster that is not the stswatch lab."""


@dataclass(frozen=True)
class ScenarioTarget:
    """Where to run: a kubeconfig/context, and the StorageClass (None: the cluster default)."""

    kubeconfig: Path | None = None
    context: str | None = None
    storage_class: str | None = None


@dataclass(frozen=True)
class PolicyRun:
    """One policy's run: its session, its namespace, what each step did, and how it ended."""

    policy: Policy
    session: str
    namespace: str
    outcomes: tuple[StepOutcome, ...]
    seconds: float
    error: StswatchError | None = None


def default_session_prefix(scenario: Scenario) -> str:
    """`<scenario>-<UTC time>`, e.g. lesson-20260101-120000."""
    return f"{scenario.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


def session_name(prefix: str, policy: Policy) -> str:
    """The session of one policy's run: `<prefix>-orderedready` / `<prefix>-parallel`."""
    return f"{prefix}-{policy.lower()}"


def namespace_name(scenario: Scenario, policy: Policy) -> str:
    """A fresh namespace per run (a DNS label): `<prefix>-<policy>-<random>`."""
    prefix = (scenario.namespace or f"stswatch-{scenario.name}")[:40].rstrip("-")
    return f"{prefix}-{policy.lower()}-{secrets.token_hex(3)}"


def namespace_labels(scenario: str, *, allow_privileged: bool) -> dict[str, str]:
    """A run's namespace labels: the scenario's name, and the Pod Security level its admission
    enforces (baseline; privileged only when the user allowed it)."""
    return {
        NAMESPACE_LABEL: scenario,
        ENFORCE_LABEL: "privileged" if allow_privileged else "baseline",
        ENFORCE_VERSION_LABEL: "latest",
    }


async def run_scenario(
    scenario: Scenario,
    *,
    policies: tuple[Policy, ...],
    db_path: Path,
    session_prefix: str,
    target: ScenarioTarget,
    keep_namespace: bool = False,
    allow_exec: bool = False,
    allow_privileged: bool = False,
    progress: Progress,
) -> tuple[PolicyRun, ...]:
    """Run `scenario` once per policy; every run is recorded, even one that fails part-way.

    `allow_exec` runs the scenario's exec steps (commands in pods); off, they are skipped.
    Each run's namespace enforces the Pod Security baseline level, unless `allow_privileged`.
    """
    cluster = await connect(kubeconfig=target.kubeconfig, context=target.context)
    try:
        if scenario.lab_only and not await is_lab(cluster.api):
            raise NotLabError(
                f"scenario {scenario.name} needs the stswatch lab ({cluster.server_url} has no "
                "kwok nodes); run it without a kubeconfig, or with the lab's"
            )
        storage_class = target.storage_class or ""
        if not storage_class and uses_placeholder(scenario, "storage_class"):
            storage_class = await default_storage_class(cluster.api)
        runs = []
        for policy in policies:
            run = await _run_policy(
                scenario,
                cluster=cluster,
                policy=policy,
                db_path=db_path,
                session=session_name(session_prefix, policy),
                storage_class=storage_class,
                keep_namespace=keep_namespace,
                allow_exec=allow_exec,
                allow_privileged=allow_privileged,
                progress=progress,
            )
            runs.append(run)
        return tuple(runs)
    finally:
        await cluster.close()


async def _run_policy(
    scenario: Scenario,
    *,
    cluster: Cluster,
    policy: Policy,
    db_path: Path,
    session: str,
    storage_class: str,
    keep_namespace: bool,
    allow_exec: bool,
    allow_privileged: bool,
    progress: Progress,
) -> PolicyRun:
    namespace = namespace_name(scenario, policy)
    progress(f"{scenario.name} under {policy}: namespace {namespace}, session {session}")
    labels = namespace_labels(scenario.name, allow_privileged=allow_privileged)
    await create_namespace(cluster.api, name=namespace, labels=labels)
    recorder = Recorder(
        cluster=cluster,
        db_path=db_path,
        session=session,
        scope=RecordScope(namespace=namespace),
        keep_env=False,  # env values stay redacted, as in any recording
        lease=lease_for(cluster, session=session),
    )
    started = time.monotonic()
    outcomes: tuple[StepOutcome, ...] = ()
    error: StswatchError | None = None
    end_reason = "scenario finished"
    try:
        async with _one_error(), asyncio.TaskGroup() as tasks:
            recording = tasks.create_task(recorder.run())
            try:
                outcomes = await _steps_while_recording(
                    scenario,
                    recorder=recorder,
                    objects=Objects(cluster.api, namespace),
                    policy=policy,
                    values={
                        "policy": policy,
                        "storage_class": storage_class,
                        "namespace": namespace,
                    },
                    allow_exec=allow_exec,
                    progress=progress,
                )
            except StswatchError as exc:
                error, end_reason = exc, f"scenario stopped: {exc.message}"
                progress(f"{scenario.name} under {policy}: stopped: {exc.message}")
            except asyncio.CancelledError:  # Ctrl-C: still close the session cleanly
                end_reason = "interrupted"
                raise
            finally:
                await _stop(recorder, recording, reason=end_reason)
    finally:
        if not keep_namespace:
            await _cleanup(cluster.api, namespace=namespace, progress=progress)
    seconds = time.monotonic() - started
    progress(f"{scenario.name} under {policy}: recorded session {session} in {seconds:.0f} s")
    return PolicyRun(policy, session, namespace, outcomes, seconds, error)


async def _steps_while_recording(
    scenario: Scenario,
    *,
    recorder: Recorder,
    objects: Objects,
    policy: Policy,
    values: dict[str, str],
    allow_exec: bool,
    progress: Progress,
) -> tuple[StepOutcome, ...]:
    await recorder.wait_synced(SYNC_TIMEOUT_S)
    outcomes = await run_steps(
        scenario,
        objects=objects,
        policy=policy,
        values=values,
        mark=recorder.mark,
        progress=progress,
        allow_exec=allow_exec,
    )
    await asyncio.sleep(SETTLE_S)
    return outcomes


async def _stop(recorder: Recorder, recording: "asyncio.Task[Any]", *, reason: str) -> None:
    """Flush what was recorded and end the run; the recorder task then returns."""
    if not recording.done():
        await recorder.flush()
        recorder.stop(reason=reason)
    await recording


@asynccontextmanager
async def _one_error() -> AsyncIterator[None]:
    """A TaskGroup failure as the user-facing error inside it, not as an exception group."""
    try:
        yield
    except BaseExceptionGroup as group:
        failure = first_failure(group)
        if not isinstance(failure, StswatchError):
            raise
        raise failure from group


async def _cleanup(api: ApiClient, *, namespace: str, progress: Progress) -> None:
    try:
        await delete_namespace(api, name=namespace)
    except StswatchError as exc:  # cleanup must not hide the run's own outcome
        progress(f"could not delete namespace {namespace}: {exc.message}")
