"""The step executor against an in-memory stand-in for the API: marks, skips, bounded waits."""

import asyncio
import itertools
import time
from typing import Any

import pytest

from stswatch.errors import BadInputError, ExecCheckError, ExitCode, WaitTimeoutError
from stswatch.kube.verbs import TransientClusterError
from stswatch.scenario import parse_scenario
from stswatch.scenario.conditions import describe, observe
from stswatch.scenario.exec_stream import ExecResult
from stswatch.scenario.model import PvcGone, ReadyReplicas, RolloutComplete
from stswatch.scenario.steps import run_steps

_uids = itertools.count(1)


class FakeObjects:
    """Objects in one namespace; a deleted pod comes back with a new uid, as its set would do."""

    namespace = "ns"

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[tuple[str, ...]] = []

    def put(self, kind: str, name: str, **extra: Any) -> dict[str, Any]:
        obj = {"kind": kind, "metadata": {"name": name, "uid": f"uid-{next(_uids)}"}, **extra}
        self.store[(kind, name)] = obj
        return obj

    async def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return self.store.get((kind, name))

    async def items(self, kind: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        return [o for (k, _), o in self.store.items() if k == kind]

    async def apply(self, manifest: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("apply", manifest["kind"], manifest["metadata"]["name"]))
        return self.put(manifest["kind"], manifest["metadata"]["name"], spec=manifest.get("spec"))

    async def patch(self, kind: str, name: str, *, body: Any, patch_type: str, **_: Any) -> Any:
        self.calls.append(("patch", kind, name, patch_type, repr(body)))
        return self.store[(kind, name)]

    async def delete(
        self, kind: str, name: str, *, propagation: str | None = None
    ) -> dict[str, Any] | None:
        self.calls.append(("delete", kind, name, *([propagation] if propagation else [])))
        before = self.store.pop((kind, name), None)
        if before is not None and kind == "Pod":
            ready = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
            asyncio.get_running_loop().call_later(0.05, lambda: self.put("Pod", name, status=ready))
        return before


SCENARIO = """
name: t
description: d
statefulset: redis
steps:
  - apply:
      manifests:
        - apiVersion: apps/v1
          kind: StatefulSet
          metadata: {name: redis}
          spec: {podManagementPolicy: "${policy}", sc: "${storage_class}"}
  - scale: {replicas: 5}
  - mark: {label: homework, detail: {homework: 1}}
  - delete: {target: {kind: Pod, name: redis-0}}
  - wait: {until: pod-recreated, pod: redis-0, timeout: 5}
  - sleep: {seconds: 0, when: Parallel}
"""


class Marks:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, label: str, detail: dict[str, Any]) -> None:
        self.seen.append((label, detail))


async def _run(
    text: str, objects: FakeObjects, marks: Marks, lines: list[str], *, allow_exec: bool = False
) -> Any:
    scenario = parse_scenario(text, source="t.yaml", base_dir=None)
    return await run_steps(
        scenario,
        objects=objects,  # type: ignore[arg-type]
        policy="OrderedReady",
        values={"policy": "OrderedReady", "storage_class": "standard", "namespace": "ns"},
        mark=marks,
        progress=lines.append,
        allow_exec=allow_exec,
    )


async def test_steps_run_in_order_with_marks() -> None:
    objects, marks, lines = FakeObjects(), Marks(), []
    objects.put("Pod", "redis-0")
    outcomes = await _run(SCENARIO, objects, marks, lines)
    assert [o.status for o in outcomes] == ["done"] * 5 + ["skipped"]
    sts = objects.store[("StatefulSet", "redis")]
    assert sts["spec"] == {"podManagementPolicy": "OrderedReady", "sc": "standard"}
    assert ("patch", "StatefulSet", "redis", "merge", "{'spec': {'replicas': 5}}") in objects.calls
    labels = [label for label, _ in marks.seen]
    # One mark per step: actions when sent, waits when their condition held.
    assert labels == [
        "apply StatefulSet redis",
        "scale redis to 5",
        "homework",
        "delete Pod redis-0",
        "wait for pod redis-0 to be recreated (a new uid) and Ready",
    ]
    assert marks.seen[2][1] == {
        "homework": 1,
        "scenario": "t",
        "step": 3,
        "kind": "mark",
        "policy": "OrderedReady",
    }
    assert marks.seen[0][1]["phase"] == "begin"
    wait = marks.seen[-1][1]
    assert (wait["phase"], wait["status"], wait["step"]) == ("end", "done", 5)
    assert wait["note"].startswith("new uid")
    assert any("skipped (only under Parallel)" in line for line in lines)


async def test_wait_gives_up_saying_what_it_waited_for() -> None:
    objects, marks, lines = FakeObjects(), Marks(), []
    text = "name: t\ndescription: d\nstatefulset: redis\nsteps:\n"
    text += "  - wait: {until: pod-ready, pod: redis-9, timeout: 0.3}\n"
    with pytest.raises(WaitTimeoutError) as info:
        await _run(text, objects, marks, lines)
    assert info.value.message == (
        "gave up after 0.3 s waiting for pod redis-9 to be Ready; last seen: no such pod"
    )
    assert marks.seen[-1][0] == "wait for pod redis-9 to be Ready (timed out)"


async def test_wait_may_continue_after_timeout() -> None:
    objects, marks, lines = FakeObjects(), Marks(), []
    text = "name: t\ndescription: d\nstatefulset: redis\nsteps:\n"
    text += "  - wait: {until: pod-gone, pod: redis-1, timeout: 0.2, on_timeout: continue}\n"
    text += "  - mark: {label: after}\n"
    objects.put("Pod", "redis-1", status={"phase": "Running"})
    outcomes = await _run(text, objects, marks, lines)
    assert [o.status for o in outcomes] == ["timed-out", "done"]
    assert "last seen: Running, not Ready" in outcomes[0].note


def _pod(
    objects: FakeObjects, ordinal: int, *, revision: str, ready: bool = True, gone: bool = False
) -> None:
    pod = objects.put(
        "Pod",
        f"redis-{ordinal}",
        status={"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    )
    pod["metadata"]["labels"] = {"controller-revision-hash": revision}
    if gone:
        pod["metadata"]["deletionTimestamp"] = "2026-12-06T00:00:00Z"


def _sts(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "redis", "uid": "u", "generation": 2},
        "spec": {"replicas": 3},
        "status": {"observedGeneration": 2, **status},
    }


@pytest.mark.parametrize(
    ("status", "met"),
    [
        (
            {
                "replicas": 3,
                "readyReplicas": 3,
                "updatedReplicas": 3,
                "currentRevision": "a",
                "updateRevision": "a",
            },
            True,
        ),
        (
            {
                "replicas": 3,
                "readyReplicas": 3,
                "updatedReplicas": 2,
                "currentRevision": "a",
                "updateRevision": "b",
            },
            False,
        ),
        (
            {
                "replicas": 3,
                "readyReplicas": 3,
                "updatedReplicas": 3,
                "currentRevision": "a",
                "updateRevision": "b",
            },
            False,
        ),
    ],
)
async def test_rollout_complete(status: dict[str, Any], met: bool) -> None:
    objects = FakeObjects()
    objects.store[("StatefulSet", "redis")] = _sts(**status)
    for ordinal in range(3):
        _pod(objects, ordinal, revision="a")
    seen = await observe(
        RolloutComplete(until="rollout-complete"),
        objects=objects,  # type: ignore[arg-type]
        statefulset="redis",
        old_uids={},
    )
    assert seen.met is met


async def test_ready_replicas_waits_for_observed_generation() -> None:
    objects = FakeObjects()
    sts = _sts(readyReplicas=3)
    sts["status"]["observedGeneration"] = 1
    objects.store[("StatefulSet", "redis")] = sts
    condition = ReadyReplicas(until="ready-replicas", replicas=3)
    seen = await observe(condition, objects=objects, statefulset="redis", old_uids={})  # type: ignore[arg-type]
    assert not seen.met
    assert "generation not yet observed" in seen.seen


async def test_wait_looks_again_after_a_transient_api_error() -> None:
    class Flaky(FakeObjects):
        failures = 2

        async def get(self, kind: str, name: str) -> dict[str, Any] | None:
            if self.failures:
                self.failures -= 1
                raise TransientClusterError("GET /api/v1/...: API server unreachable")
            return await super().get(kind, name)

    objects, marks, lines = Flaky(), Marks(), []
    ready = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    objects.put("Pod", "redis-0", status=ready)
    text = "name: t\ndescription: d\nstatefulset: redis\nsteps:\n"
    text += "  - wait: {until: pod-ready, pod: redis-0, timeout: 5}\n"
    outcomes = await _run(text, objects, marks, lines)
    assert [o.status for o in outcomes] == ["done"]
    assert objects.failures == 0


class ExecObjects(FakeObjects):
    """Pods whose command prints the scripted outputs in turn (the last one repeats); a string
    is printed by a command that exits 0."""

    def __init__(self, *outputs: str | ExecResult) -> None:
        super().__init__()
        self.outputs = list(outputs)
        self.commands: list[list[str]] = []

    async def exec(self, pod: str, *, command: list[str], container: str | None) -> ExecResult:
        self.commands.append(command)
        output = self.outputs.pop(0) if len(self.outputs) > 1 else self.outputs[0]
        if isinstance(output, ExecResult):
            return output
        return ExecResult(output, len(output.encode()), 0, "")


EXEC = "name: t\ndescription: d\nstatefulset: redis\nsteps:\n"
EXEC += "  - exec: {pod: redis-0, command: [redis-cli, GET, k], expect: v, timeout: 3}\n"


async def test_exec_is_skipped_unless_allowed() -> None:
    objects, marks, lines = ExecObjects("v\n"), Marks(), []
    outcomes = await _run(EXEC, objects, marks, lines)
    assert outcomes[0].status == "skipped"
    assert "pass --exec" in outcomes[0].note
    assert objects.commands == []


async def test_exec_retries_until_the_expected_output() -> None:
    objects, marks, lines = ExecObjects("Could not connect", "v\n"), Marks(), []
    outcomes = await _run(EXEC, objects, marks, lines, allow_exec=True)
    assert outcomes[0].status == "done"
    assert objects.commands == [["redis-cli", "GET", "k"]] * 2
    label, detail = marks.seen[-1]
    assert label == "exec in redis-0: redis-cli GET k"
    assert detail["note"] == "output 'v'"


async def test_exec_fails_when_the_output_never_matches() -> None:
    objects, marks, lines = ExecObjects("(nil)"), Marks(), []
    text = EXEC.replace("timeout: 3", "timeout: 1")
    with pytest.raises(ExecCheckError) as info:
        await _run(text, objects, marks, lines, allow_exec=True)
    assert info.value.message == (
        "`redis-cli GET k` in pod redis-0 did not print 'v' within 1 s; last: output '(nil)'"
    )
    # A failed step is not a failed verdict: it has its own exit code.
    assert info.value.exit_code == ExitCode.STEP_FAILED


NSLOOKUP = "name: t\ndescription: d\nstatefulset: redis\nsteps:\n"
NSLOOKUP += "  - apply:\n      needs_exec: true\n      manifests:\n"
NSLOOKUP += "        - {apiVersion: v1, kind: Pod, metadata: {name: dns}}\n"
NSLOOKUP += "  - exec:\n      pod: dns\n      command: [nslookup, 'r-0.r.${namespace}.svc']\n"
NSLOOKUP += "      expect_regex: 'Address: \\d'\n      timeout: 3\n"


async def test_needs_exec_steps_are_skipped_without_exec() -> None:
    objects, marks, lines = ExecObjects("x"), Marks(), []
    outcomes = await _run(NSLOOKUP, objects, marks, lines)
    assert [o.status for o in outcomes] == ["skipped", "skipped"]
    assert outcomes[0].note == "only with --exec"
    assert objects.calls == []
    assert marks.seen == []


async def test_exec_substitutes_placeholders_and_waits_for_the_regex() -> None:
    objects, marks, lines = ExecObjects("NXDOMAIN", "Name: r-0\nAddress: 10.0.0.5"), Marks(), []
    outcomes = await _run(NSLOOKUP, objects, marks, lines, allow_exec=True)
    assert [o.status for o in outcomes] == ["done", "done"]
    assert objects.commands == [["nslookup", "r-0.r.ns.svc"]] * 2
    assert outcomes[1].note == "output 'Name: r-0\\nAddress: 10.0.0.5'"


def test_a_regex_that_does_not_compile_is_refused() -> None:
    with pytest.raises(BadInputError, match="expect_regex"):
        parse_scenario(NSLOOKUP.replace("Address: \\d", "(["), source="t.yaml", base_dir=None)


async def test_an_exec_mark_holds_the_pod_the_command_and_its_output() -> None:
    objects, marks, lines = ExecObjects("Name: r-0\nAddress: 10.0.0.5\n"), Marks(), []
    await _run(NSLOOKUP, objects, marks, lines, allow_exec=True)
    _, detail = marks.seen[-1]
    assert detail["pod"] == "dns"
    assert detail["namespace"] == "ns"
    assert detail["command"] == ["nslookup", "r-0.r.ns.svc"]  # as it ran, substituted
    assert detail["output"] == "Name: r-0\nAddress: 10.0.0.5"
    assert detail["exit_code"] == 0


async def test_an_exec_check_that_failed_still_marks_what_was_printed() -> None:
    objects, marks, lines = ExecObjects("(nil)"), Marks(), []
    with pytest.raises(ExecCheckError):
        await _run(EXEC.replace("timeout: 3", "timeout: 1"), objects, marks, lines, allow_exec=True)
    label, detail = marks.seen[-1]
    assert label == "exec in redis-0: redis-cli GET k (check failed)"
    assert detail["status"] == "check-failed"
    assert detail["output"] == "(nil)"


RUN = "name: t\ndescription: d\nstatefulset: redis\nsteps:\n"
RUN += "  - exec: {pod: redis-0, command: [sh, -c, 'exit 3'], timeout: 3}\n"
NON_ZERO = ExecResult(
    "boom\n", 5, 3, "command terminated with non-zero exit code: error executing command "
    "[sh -c exit 3], exit code 3",
)  # fmt: skip
NO_PROGRAM = ExecResult("", 0, None, 'exec: "nosuch": executable file not found in $PATH: unknown')


@pytest.mark.parametrize(
    ("result", "said"),
    [
        (NON_ZERO, f"exited 3 ({NON_ZERO.failure}), printed 'boom'"),
        (NO_PROGRAM, f"failed ({NO_PROGRAM.failure}), printed ''"),
    ],
)
async def test_an_exec_that_does_not_exit_0_fails_the_step_and_its_mark_says_how(
    result: ExecResult, said: str
) -> None:
    # It counted as done: the exit status on the error channel was dropped.
    objects, marks, lines = ExecObjects(result), Marks(), []
    with pytest.raises(ExecCheckError) as info:
        await _run(RUN, objects, marks, lines, allow_exec=True)
    assert info.value.message == f"`sh -c exit 3` in pod redis-0 {said}"
    assert objects.commands == [["sh", "-c", "exit 3"]]  # not retried: nothing was expected
    label, detail = marks.seen[-1]
    assert label == "exec in redis-0: sh -c exit 3 (check failed)"
    assert detail["status"] == "check-failed"
    assert detail["exit_code"] == result.exit_code


async def test_an_expected_output_counts_only_from_a_command_that_exits_0() -> None:
    objects, marks, lines = ExecObjects(ExecResult("v", 1, 1, "exit code 1")), Marks(), []
    with pytest.raises(ExecCheckError, match="last: exited 1 \\(exit code 1\\), printed 'v'"):
        await _run(EXEC.replace("timeout: 3", "timeout: 1"), objects, marks, lines, allow_exec=True)
    assert len(objects.commands) > 1  # retried until the timeout, like a wrong output


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("pattern", "output", "said"),
    [
        # The issue's: 119 s of CPU that Ctrl-C could not stop (`regex` does not backtrack here).
        ("^(a+)+$", "a" * 33 + "b", "did not print /^(a+)+$/ within 1 s"),
        # One `regex` does backtrack on: its timeout, the step's, stops it.
        ("^(a|a)*$", "a" * 40 + "b", "did not print /^(a|a)*$/ within 1 s"),
    ],
)
async def test_a_catastrophic_regex_cannot_outlive_the_step(
    pattern: str, output: str, said: str
) -> None:
    text = EXEC.replace("expect: v, timeout: 3", f"expect_regex: '{pattern}', timeout: 1")
    objects, marks, lines = ExecObjects(output), Marks(), []
    started = time.monotonic()
    with pytest.raises(ExecCheckError) as info:
        await _run(text, objects, marks, lines, allow_exec=True)
    assert said in info.value.message
    assert time.monotonic() - started < 5


async def test_a_long_output_is_cut_in_the_note_and_counted() -> None:
    output = "x" * 100_000
    objects, marks, lines = ExecObjects(ExecResult(output, 100_000, 0, "")), Marks(), []
    outcomes = await _run(RUN, objects, marks, lines, allow_exec=True)
    assert outcomes[0].note == f"output {'x' * 200!r}… (100000 bytes)"
    assert max(map(len, lines)) < 400


async def test_delete_passes_its_propagation_policy() -> None:
    objects, marks, lines = FakeObjects(), Marks(), []
    objects.put("StatefulSet", "redis")
    text = """
name: t
description: orphan the pods
statefulset: redis
steps:
  - delete: {target: {kind: StatefulSet, name: redis}, propagation: Orphan, wait: false}
"""
    outcomes = await _run(text, objects, marks, lines)
    assert [o.status for o in outcomes] == ["done"]
    assert ("delete", "StatefulSet", "redis", "Orphan") in objects.calls


async def test_ready_replicas_does_not_count_a_terminating_ready_pod() -> None:
    # kubernetes#86209: status.readyReplicas counts redis-2, Terminating but still Ready.
    objects = FakeObjects()
    objects.store[("StatefulSet", "redis")] = _sts(readyReplicas=3)
    for ordinal in range(3):
        _pod(objects, ordinal, revision="a", gone=ordinal == 2)
    condition = ReadyReplicas(until="ready-replicas", replicas=3)
    seen = await observe(condition, objects=objects, statefulset="redis", old_uids={})  # type: ignore[arg-type]
    assert not seen.met
    assert "readyReplicas=3" in seen.seen
    assert "Ready pods=2" in seen.seen


async def test_a_partitioned_rollout_completes_by_its_pods() -> None:
    # partition 1: currentRevision stays a (redis-0 is below it), so status alone never says
    # complete; redis-1 and redis-2 at b and every pod Ready does.
    objects = FakeObjects()
    sts = _sts(replicas=3, readyReplicas=3, updatedReplicas=2, currentRevision="a",
               updateRevision="b")  # fmt: skip
    sts["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}
    objects.store[("StatefulSet", "redis")] = sts
    _pod(objects, 0, revision="a")
    _pod(objects, 1, revision="b")
    _pod(objects, 2, revision="a")
    condition = RolloutComplete(until="rollout-complete")
    seen = await observe(condition, objects=objects, statefulset="redis", old_uids={})  # type: ignore[arg-type]
    assert not seen.met  # redis-2 is not updated yet
    _pod(objects, 2, revision="b")
    seen = await observe(condition, objects=objects, statefulset="redis", old_uids={})  # type: ignore[arg-type]
    assert seen.met, seen.seen


async def test_pvc_gone_waits_for_the_claim_to_be_deleted() -> None:
    objects = FakeObjects()
    condition = PvcGone(until="pvc-gone", pvc="data-redis-2")
    claim = {"metadata": {"name": "data-redis-2", "deletionTimestamp": "2026-12-08T00:00:00Z"},
             "status": {"phase": "Bound"}}  # fmt: skip
    objects.store[("PersistentVolumeClaim", "data-redis-2")] = claim
    seen = await observe(condition, objects=objects, statefulset="redis", old_uids={})  # type: ignore[arg-type]
    assert not seen.met
    assert seen.seen == "data-redis-2 Bound, being deleted"
    del objects.store[("PersistentVolumeClaim", "data-redis-2")]
    seen = await observe(condition, objects=objects, statefulset="redis", old_uids={})  # type: ignore[arg-type]
    assert seen.met
    assert describe(condition, statefulset="redis") == "PVC data-redis-2 to be gone"
