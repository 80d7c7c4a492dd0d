"""kwok stage rendering: the hold selector, the delays, and the hold expression's semantics."""

import json
import subprocess

import pytest
import yaml

from stswatch.lab.stages import (
    CRASH_EXPRESSION,
    CRASH_PLACEHOLDER,
    HOLD_EXPRESSION,
    HOLD_PLACEHOLDER,
    Delay,
    PodTiming,
    render_stages,
    stages_yaml,
)


def _by_name(timing: PodTiming) -> dict[str, dict]:  # type: ignore[type-arg]
    return {stage["metadata"]["name"]: stage for stage in render_stages(timing)}


def test_every_stage_is_a_kwok_stage_and_none_keeps_the_placeholder() -> None:
    text = stages_yaml(PodTiming())
    documents = list(yaml.safe_load_all(text))
    assert {d["kind"] for d in documents} == {"Stage"}
    assert HOLD_PLACEHOLDER not in text
    assert {d["metadata"]["name"] for d in documents} >= {
        "node-initialize",
        "pod-start",
        "pod-ready",
        "pod-unready",
        "pod-delete",
        "pod-complete",
    }


def test_pod_ready_skips_held_pods_and_pod_unready_selects_them() -> None:
    stages = _by_name(PodTiming())

    def hold_requirement(name: str) -> dict:  # type: ignore[type-arg]
        expressions = stages[name]["spec"]["selector"]["matchExpressions"]
        return next(e for e in expressions if e["key"] == HOLD_EXPRESSION)

    assert hold_requirement("pod-ready")["operator"] == "NotIn"
    assert hold_requirement("pod-unready")["operator"] == "In"
    assert hold_requirement("pod-ready")["values"] == ["true"]


def test_delays_follow_timing() -> None:
    timing = PodTiming(start=Delay(10, 20), ready=Delay(500, 1500), delete=Delay(300, 300))
    stages = _by_name(timing)
    assert stages["pod-ready"]["spec"]["delay"]["durationMilliseconds"] == 500
    assert stages["pod-ready"]["spec"]["delay"]["jitterDurationMilliseconds"] == 1500
    assert stages["pod-start"]["spec"]["delay"]["jitterDurationMilliseconds"] == 20
    assert "jitterDurationMilliseconds" not in stages["pod-delete"]["spec"]["delay"]
    # The per-pod override annotation stays available.
    assert "pod-ready.stage.kwok.x-k8s.io/delay" in str(stages["pod-ready"]["spec"]["delay"])


def test_fast_timing_has_zero_delays() -> None:
    stages = _by_name(PodTiming.fast())
    for name in ("pod-start", "pod-ready", "pod-delete"):
        assert stages[name]["spec"]["delay"]["durationMilliseconds"] == 0


def test_ready_delay_spans_scheduled_to_ready() -> None:
    timing = PodTiming.with_ready_delay(low_s=1.0, high_s=3.0)
    assert timing.start.low_ms + timing.ready.low_ms == 1000
    assert timing.start.high_ms + timing.ready.high_ms == 3000
    instant = PodTiming.with_ready_delay(low_s=0, high_s=0)
    assert instant.start == instant.ready == Delay(0, 0)


@pytest.mark.parametrize(
    ("annotation", "held"),
    [
        (None, False),
        ("", False),
        ("true", True),
        ("redis-1", True),
        ("redis-0,redis-1", True),
        ("redis-10", False),
        ("redis-0", False),
    ],
)
def test_hold_expression_semantics(annotation: str | None, held: bool) -> None:
    """Cross-check with jq (kwok evaluates it with gojq, which follows jq here)."""
    pod: dict = {"metadata": {"name": "redis-1"}}  # type: ignore[type-arg]
    if annotation is not None:
        pod["metadata"]["annotations"] = {"stswatch.dev/hold-unready": annotation}
    out = subprocess.run(
        ["jq", HOLD_EXPRESSION], input=json.dumps(pod), capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ("true" if held else "false")


def test_crash_loop_stage_selects_crashing_pods_and_pod_ready_skips_them() -> None:
    stages = _by_name(PodTiming())

    def crash_requirement(name: str) -> dict:  # type: ignore[type-arg]
        expressions = stages[name]["spec"]["selector"]["matchExpressions"]
        return next(e for e in expressions if e["key"] == CRASH_EXPRESSION)

    assert crash_requirement("pod-crash-loop")["operator"] == "In"
    assert crash_requirement("pod-ready")["operator"] == "NotIn"
    template = stages["pod-crash-loop"]["spec"]["next"]["statusTemplate"]
    assert "CrashLoopBackOff" in template
    assert "restartCount: 5" in template
    assert CRASH_PLACEHOLDER not in stages_yaml(PodTiming())
