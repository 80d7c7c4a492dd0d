"""kwok Stage configuration: our stage YAMLs (stages/*.yaml) rendered with the lab's pod timing.

Pod lifecycle in the lab: Pending (scheduled) -> `pod-start` -> Running, not Ready -> `pod-ready`
-> Ready. Deletion: `pod-delete` removes a terminating pod after the termination delay.

Holding a pod unready (the OrderedReady halt case): annotation `stswatch.dev/hold-unready` whose
value is "true" (this pod) or a comma-separated list of pod names. Put the list on the
StatefulSet's pod template (`redis-1`) and only that pod stays Running-but-not-Ready from birth;
patch "true" onto a live pod and it turns unready; remove the annotation from the pod (or drop
its name) and it turns Ready after the usual delay. Per-pod delays can also be set with kwok's
annotations `pod-start.stage.kwok.x-k8s.io/delay`, `pod-ready.stage.kwok.x-k8s.io/delay`,
`pod-delete.stage.kwok.x-k8s.io/delay` (Go durations such as "3s").

A container that keeps failing (CrashLoopBackOff with restarts): annotation
`stswatch.dev/crash-loop`, "true" or a list of pod names as for holding; the pod turns Running,
then its containers report CrashLoopBackOff and never become Ready. Lab-only, like the hold.
"""

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

HOLD_ANNOTATION = "stswatch.dev/hold-unready"
HOLD_EXPRESSION = (
    f'.metadata.name as $name | (.metadata.annotations["{HOLD_ANNOTATION}"] // "") '
    '| split(",") | any(.[]; . == "true" or . == $name)'
)
HOLD_PLACEHOLDER = "HOLD_KEY"
CRASH_ANNOTATION = "stswatch.dev/crash-loop"
CRASH_EXPRESSION = HOLD_EXPRESSION.replace(HOLD_ANNOTATION, CRASH_ANNOTATION)
CRASH_PLACEHOLDER = "CRASH_KEY"
STAGE_FILES = (
    "node-initialize.yaml",
    "node-heartbeat-with-lease.yaml",
    "pod-start.yaml",
    "pod-ready.yaml",
    "pod-unready.yaml",
    "pod-crash-loop.yaml",
    "pod-complete.yaml",
    "pod-delete.yaml",
)


@dataclass(frozen=True)
class Delay:
    """A uniform random delay in [low_ms, high_ms]."""

    low_ms: int
    high_ms: int


@dataclass(frozen=True)
class PodTiming:
    """How long kwok takes per pod step; the defaults make a timeline readable."""

    start: Delay = Delay(100, 300)
    ready: Delay = Delay(500, 1500)
    delete: Delay = Delay(300, 800)

    @classmethod
    def fast(cls) -> "PodTiming":
        """No delays: for large benchmarks."""
        return cls(start=Delay(0, 0), ready=Delay(0, 0), delete=Delay(0, 0))

    @classmethod
    def with_ready_delay(cls, *, low_s: float, high_s: float) -> "PodTiming":
        """Scheduled-to-Ready spread over [low_s, high_s]: a sixth to start, the rest to Ready."""
        low, high = int(low_s * 1000), int(max(low_s, high_s) * 1000)
        start = Delay(low // 6, high // 6)
        return cls(start=start, ready=Delay(low - start.low_ms, high - start.high_ms))


def _load(name: str) -> dict[str, Any]:
    text = resources.files("stswatch.lab").joinpath("stages").joinpath(name).read_text()
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def _set_hold_key(stage: dict[str, Any]) -> None:
    keys = {HOLD_PLACEHOLDER: HOLD_EXPRESSION, CRASH_PLACEHOLDER: CRASH_EXPRESSION}
    for requirement in stage["spec"].get("selector", {}).get("matchExpressions", []):
        requirement["key"] = keys.get(requirement["key"], requirement["key"])


def _set_delay(stage: dict[str, Any], delay: Delay) -> None:
    spec_delay = stage["spec"].setdefault("delay", {})
    spec_delay["durationMilliseconds"] = delay.low_ms
    spec_delay.pop("jitterDurationFrom", None)
    if delay.high_ms > delay.low_ms:
        spec_delay["jitterDurationMilliseconds"] = delay.high_ms
    else:
        spec_delay.pop("jitterDurationMilliseconds", None)


def render_stages(timing: PodTiming) -> list[dict[str, Any]]:
    """All stage documents, hold selector filled in and pod delays set from `timing`."""
    delays = {"pod-start": timing.start, "pod-ready": timing.ready, "pod-delete": timing.delete}
    stages = []
    for name in STAGE_FILES:
        stage = _load(name)
        _set_hold_key(stage)
        delay = delays.get(stage["metadata"]["name"])
        if delay is not None:
            _set_delay(stage, delay)
        stages.append(stage)
    return stages


def _literal_strings(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _StageDumper(yaml.SafeDumper):
    """Dumps Go templates as literal blocks so the rendered file stays readable."""


_StageDumper.add_representer(str, _literal_strings)


def stages_yaml(timing: PodTiming) -> str:
    """The kwok `--config` file: every stage as one multi-document YAML."""
    return yaml.dump_all(render_stages(timing), Dumper=_StageDumper, sort_keys=False)
