"""Scenario validation: a malformed file is refused before anything runs, naming step and field."""

from pathlib import Path

import pytest

from stswatch.errors import BadInputError, ExitCode, NotFoundError
from stswatch.scenario import builtin_names, load_scenario, parse_scenario
from stswatch.scenario.loading import substitute, uses_placeholder
from stswatch.scenario.model import ApplyStep, WaitStep

HEADER = "name: t\ndescription: d\nstatefulset: redis\n"


def _parse(steps: str) -> object:
    return parse_scenario(HEADER + "steps:\n" + steps, source="t.yaml", base_dir=None)


def _error(steps: str) -> str:
    with pytest.raises(BadInputError) as info:
        _parse(steps)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    return info.value.message


def test_builtins_load() -> None:
    assert {"lesson", "halt"} <= set(builtin_names())
    for name in builtin_names():
        scenario = load_scenario(name)
        assert scenario.source == f"builtin:{name}"
        assert scenario.steps


def test_unknown_step_names_index_and_kind() -> None:
    message = _error("  - mark: {label: a}\n  - scael: {replicas: 3}\n")
    assert "step 2" in message
    assert "unknown step 'scael'" in message
    assert "scale" in message  # lists the known steps


def test_missing_field_names_step_and_field() -> None:
    message = _error("  - scale: {}\n")
    assert message == "t.yaml: step 1 (scale): field 'replicas': required but missing"


def test_unknown_field_is_refused() -> None:
    message = _error("  - sleep: {seconds: 1, second: 2}\n")
    assert "step 1 (sleep): field 'second': unknown field" in message


def test_wrong_type_names_field() -> None:
    message = _error("  - scale: {replicas: many}\n")
    assert "step 1 (scale): field 'replicas'" in message


def test_sleep_is_bounded() -> None:
    assert "field 'seconds'" in _error("  - sleep: {seconds: 100000}\n")


def test_wait_condition_fields_are_flat() -> None:
    scenario = _parse("  - wait: {until: pod-ready, pod: redis-0, timeout: 5}\n")
    step = scenario.steps[0]  # type: ignore[attr-defined]
    assert isinstance(step, WaitStep)
    assert step.timeout == 5
    assert step.condition.until == "pod-ready"


def test_wait_unknown_condition() -> None:
    message = _error("  - wait: {until: pod-happy, pod: redis-0}\n")
    assert "step 1 (wait): field 'until': must be one of" in message


def test_wait_missing_condition() -> None:
    assert "step 1 (wait): field 'until': required but missing" in _error("  - wait: {}\n")


def test_wait_missing_condition_field() -> None:
    message = _error("  - wait: {until: pod-recreated}\n")
    assert message.endswith("step 1 (wait): field 'pod': required but missing")


def test_wait_timeout_is_bounded() -> None:
    assert "step 1 (wait): field 'timeout'" in _error(
        "  - wait: {until: rollout-complete, timeout: 0}\n"
    )


def test_step_must_be_one_key_mapping() -> None:
    assert "step 1: a step is a one-key mapping" in _error("  - scale\n")
    assert "step 1: a step is a one-key mapping" in _error(
        "  - {scale: {replicas: 1}, mark: {label: a}}\n"
    )


def test_bad_yaml_names_line() -> None:
    with pytest.raises(BadInputError) as info:
        parse_scenario("name: t\nsteps: [\n  - {", source="bad.yaml", base_dir=None)
    assert info.value.message.startswith("bad.yaml: not valid YAML at line")


def test_top_level_must_be_mapping_with_steps() -> None:
    with pytest.raises(BadInputError, match="a YAML mapping"):
        parse_scenario("- a\n", source="x", base_dir=None)
    with pytest.raises(BadInputError, match="'steps' must be a non-empty list"):
        parse_scenario(HEADER, source="x", base_dir=None)


def test_top_level_missing_field() -> None:
    with pytest.raises(BadInputError, match="field 'statefulset': required but missing"):
        parse_scenario(
            "name: t\ndescription: d\nsteps:\n  - mark: {label: a}\n", source="x", base_dir=None
        )


def test_apply_needs_exactly_one_source() -> None:
    assert "step 1 (apply): " in _error("  - apply: {}\n")
    assert "exactly one of 'manifests' or 'path'" in _error("  - apply: {}\n")


def test_apply_manifest_checked() -> None:
    message = _error("  - apply: {manifests: [{apiVersion: v1, kind: Service, metadata: {}}]}\n")
    assert message == "t.yaml: step 1 (apply): manifest 1: missing field 'metadata.name'"
    message = _error(
        "  - apply: {manifests: [{apiVersion: v1, kind: Secret, metadata: {name: s}}]}\n"
    )
    assert "kind 'Secret' is not supported" in message


def test_unknown_placeholder() -> None:
    message = _error("  - mark: {label: '${polcy}'}\n")
    assert "step 1 (mark): unknown placeholder ${polcy}" in message


def test_unknown_when_policy() -> None:
    assert "step 1 (scale): field 'when'" in _error("  - scale: {replicas: 1, when: Burst}\n")


def test_apply_path_relative_to_scenario(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
    )
    file = tmp_path / "s.yaml"
    file.write_text(HEADER + "steps:\n  - apply: {path: m.yaml}\n")
    step = load_scenario(str(file)).steps[0]
    assert isinstance(step, ApplyStep)
    assert [m["metadata"]["name"] for m in step.manifests or []] == ["a", "b"]


def test_apply_path_missing_file(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    file.write_text(HEADER + "steps:\n  - apply: {path: nope.yaml}\n")
    with pytest.raises(
        BadInputError, match=r"step 1 \(apply\): field 'path': .*nope.yaml: cannot read"
    ):
        load_scenario(str(file))


def test_unknown_scenario_reference() -> None:
    with pytest.raises(NotFoundError, match="not a built-in"):
        load_scenario("/nonexistent/scenario.yaml")


def test_substitute_replaces_placeholders_deeply() -> None:
    value = {"a": ["${policy}", {"b": "sc-${storage_class}"}], "c": 3}
    result = substitute(value, {"policy": "Parallel", "storage_class": "x"})
    assert result == {"a": ["Parallel", {"b": "sc-x"}], "c": 3}
    assert value["a"][0] == "${policy}"


def test_uses_placeholder_looks_at_manifests_and_patches() -> None:
    lesson = load_scenario("lesson")
    assert uses_placeholder(lesson, "storage_class")
    assert uses_placeholder(lesson, "policy")
    assert not uses_placeholder(lesson, "namespace")
    assert load_scenario("halt").lab_only
    assert not lesson.lab_only
