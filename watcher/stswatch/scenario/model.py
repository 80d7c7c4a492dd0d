"""The scenario file, as typed steps: what a scenario may ask the cluster to do, and wait for.

A scenario is YAML: a `name`, a `description`, the `statefulset` it is about, and `steps`, each
a one-key mapping from the step kind to its body (`- scale: {replicas: 5}`). The models here
only describe the shape; `loading.py` turns YAML into them and reports errors by step.
"""

from typing import Annotated, Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, model_validator

Policy = Literal["OrderedReady", "Parallel"]
POLICIES: tuple[Policy, ...] = ("OrderedReady", "Parallel")

DEFAULT_TIMEOUT_S = 120.0
MAX_TIMEOUT_S = 1800.0
MAX_SLEEP_S = 600.0

Timeout = Annotated[float, Field(gt=0, le=MAX_TIMEOUT_S)]
Name = Annotated[str, Field(min_length=1, max_length=253)]


class _Strict(BaseModel):
    """Unknown fields are errors; validated values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Body(_Strict):
    """Fields every step body accepts."""

    title: str | None = None  # the mark label; a title is derived from the step when absent
    when: Policy | None = None  # run the step only under this podManagementPolicy
    needs_exec: bool = False  # run the step only with --exec (e.g. the pod exec steps run in)


class ApplyStep(_Body):
    """Create or update objects (server-side apply, field manager "stswatch")."""

    kind: Literal["apply"] = "apply"
    manifests: list[dict[str, Any]] | None = None
    path: str | None = None  # YAML file (one or more documents), relative to the scenario file

    @model_validator(mode="after")
    def _one_source(self) -> "ApplyStep":
        if (self.manifests is None) == (self.path is None):
            raise ValueError("give exactly one of 'manifests' or 'path'")
        if self.manifests is not None and not self.manifests:
            raise ValueError("'manifests' is empty")
        return self


class ScaleStep(_Body):
    """Set the StatefulSet's spec.replicas."""

    kind: Literal["scale"] = "scale"
    replicas: Annotated[int, Field(ge=0, le=1000)]
    statefulset: Name | None = None


class PatchStep(_Body):
    """Patch one object (strategic merge by default), optionally its status subresource."""

    kind: Literal["patch"] = "patch"
    target: "ObjectRef"
    patch: dict[str, Any]
    type: Literal["strategic", "merge"] = "strategic"
    subresource: Literal["status"] | None = None


class DeleteStep(_Body):
    """Delete one object; by default wait until it is gone."""

    kind: Literal["delete"] = "delete"
    target: "ObjectRef"
    wait: bool = True
    timeout: Timeout = DEFAULT_TIMEOUT_S
    # DeleteOptions.propagationPolicy; None leaves the kind's default (Background for most)
    propagation: Literal["Background", "Foreground", "Orphan"] | None = None


class ExecStep(_Body):
    """Run a command in a pod's container and record its output (only with `--exec`).

    The lab's pods run no containers, so exec steps run only when asked for, on a real cluster.
    """

    kind: Literal["exec"] = "exec"
    pod: Name
    command: Annotated[list[str], Field(min_length=1)]
    container: Name | None = None
    expect: str | None = None  # the output, stripped, must equal this
    expect_regex: str | None = None  # ... or contain a match of this regular expression
    timeout: Timeout = 30.0

    @model_validator(mode="after")
    def _regex_compiles(self) -> "ExecStep":
        if self.expect_regex is not None:
            try:
                regex.compile(self.expect_regex)
            except regex.error as exc:
                raise ValueError(f"expect_regex does not compile: {exc}") from exc
        return self


class SleepStep(_Body):
    """Do nothing for a bounded while, letting the controller act."""

    kind: Literal["sleep"] = "sleep"
    seconds: Annotated[float, Field(ge=0, le=MAX_SLEEP_S)]


class MarkStep(_Body):
    """Record a labelled moment in the session."""

    kind: Literal["mark"] = "mark"
    label: Annotated[str, Field(min_length=1, max_length=200)]
    detail: dict[str, Any] = Field(default_factory=dict)


class ObjectRef(_Strict):
    """A namespaced object of the scenario, by kind and name."""

    kind: Literal["Pod", "StatefulSet", "Service", "PersistentVolumeClaim"]
    name: Name


class ReadyReplicas(_Strict):
    """The StatefulSet has `replicas` pods, all Ready (status.readyReplicas == replicas)."""

    until: Literal["ready-replicas"]
    replicas: Annotated[int, Field(ge=0)]


class PodReady(_Strict):
    """Pod `pod` exists and its Ready condition is true."""

    until: Literal["pod-ready"]
    pod: Name


class PodUnready(_Strict):
    """Pod `pod` exists and its Ready condition is not true."""

    until: Literal["pod-unready"]
    pod: Name


class PodRecreated(_Strict):
    """Pod `pod` exists with a uid other than the one it had when deleted (and, if asked, Ready)."""

    until: Literal["pod-recreated"]
    pod: Name
    ready: bool = True


class PodGone(_Strict):
    """Pod `pod` no longer exists."""

    until: Literal["pod-gone"]
    pod: Name


class PodCount(_Strict):
    """Exactly `count` pods of the StatefulSet exist (terminating ones included)."""

    until: Literal["pod-count"]
    count: Annotated[int, Field(ge=0)]


class PvcBound(_Strict):
    """The claims of ordinals 0..count-1 (or the one named `pvc`) are Bound."""

    until: Literal["pvc-bound"]
    count: Annotated[int, Field(ge=1)] | None = None
    pvc: Name | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "PvcBound":
        if (self.count is None) == (self.pvc is None):
            raise ValueError("give exactly one of 'count' or 'pvc'")
        return self


class PvcGone(_Strict):
    """The claim `pvc` no longer exists (a retention policy's garbage collection, say)."""

    until: Literal["pvc-gone"]
    pvc: Name


class RolloutComplete(_Strict):
    """The rolling update finished: every replica is Ready at the update revision."""

    until: Literal["rollout-complete"]


Condition = Annotated[
    ReadyReplicas
    | PodReady
    | PodUnready
    | PodRecreated
    | PodGone
    | PodCount
    | PvcBound
    | PvcGone
    | RolloutComplete,
    Field(discriminator="until"),
]
CONDITION_NAMES = (
    "ready-replicas",
    "pod-ready",
    "pod-unready",
    "pod-recreated",
    "pod-gone",
    "pod-count",
    "pvc-bound",
    "pvc-gone",
    "rollout-complete",
)


class WaitStep(_Body):
    """Wait, at most `timeout` seconds, until a condition holds."""

    kind: Literal["wait"] = "wait"
    condition: Condition
    statefulset: Name | None = None
    timeout: Timeout = DEFAULT_TIMEOUT_S
    on_timeout: Literal["fail", "continue"] = "fail"  # continue: record the timeout, go on


Step = ApplyStep | ScaleStep | PatchStep | DeleteStep | WaitStep | ExecStep | SleepStep | MarkStep
STEP_MODELS: dict[str, type[_Body]] = {
    "apply": ApplyStep,
    "scale": ScaleStep,
    "patch": PatchStep,
    "delete": DeleteStep,
    "wait": WaitStep,
    "exec": ExecStep,
    "sleep": SleepStep,
    "mark": MarkStep,
}

PatchStep.model_rebuild()
DeleteStep.model_rebuild()


class Scenario(_Strict):
    """A validated scenario: what to run, against which StatefulSet."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=40)]
    description: str
    statefulset: Name
    namespace: Name | None = None
    lab_only: bool = False  # needs the stswatch lab's kwok stages (e.g. to hold a pod unready)
    steps: tuple[Step, ...]
    source: str = ""  # where it was read from: "builtin:lesson" or a file path
