"""Read a scenario (a built-in by name, or a YAML file) and validate it before anything runs.

Every problem becomes one `BadInputError` whose message names the step (1-based index and kind)
and the field, so a user can fix the file without reading a traceback.
"""

import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from migrations.failures import BadInputError, NotFoundError
from watcher.scenario.model import STEP_MODELS, ApplyStep, Scenario, Step

BUILTIN_PACKAGE = "watcher.scenario.builtin"
PLACEHOLDERS = ("policy", "storage_class", "namespace")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_WAIT_STEP_FIELDS = frozenset(
    {"title", "when", "needs_exec", "statefulset", "timeout", "on_timeout"}
)
_TAG_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})
_MANIFEST_KINDS = frozenset({"Pod", "StatefulSet", "Service", "PersistentVolumeClaim"})


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with stswatch."""
    files = resources.files(BUILTIN_PACKAGE).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def load_scenario(ref: str) -> Scenario:
    """A built-in scenario by name, or a scenario file by path; validated."""
    if ref in builtin_names():
        text = resources.files(BUILTIN_PACKAGE).joinpath(f"{ref}.yaml").read_text("utf-8")
        return parse_scenario(text, source=f"builtin:{ref}", base_dir=None)
    path = Path(ref)
    if not path.is_file():
        known = ", ".join(builtin_names())
        raise NotFoundError(f"no scenario {ref!r}: not a built-in ({known}) and not a file")
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read scenario ({exc})") from exc
    return parse_scenario(text, source=str(path), base_dir=path.parent)


def parse_scenario(text: str, *, source: str, base_dir: Path | None) -> Scenario:
    """Validate scenario YAML text; `base_dir` resolves `apply: {path: ...}` (None: not allowed)."""
    raw = _load_yaml(text, source=source)
    if not isinstance(raw, dict):
        raise BadInputError(f"{source}: a scenario is a YAML mapping, not {_type(raw)}")
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise BadInputError(f"{source}: 'steps' must be a non-empty list")
    steps = tuple(
        _parse_step(item, index=i, source=source, base_dir=base_dir)
        for i, item in enumerate(raw_steps, start=1)
    )
    try:
        return Scenario.model_validate({**raw, "steps": steps, "source": source})
    except ValidationError as exc:
        raise BadInputError(f"{source}: {_first_error(exc)}") from exc


def substitute(value: Any, values: Mapping[str, str]) -> Any:
    """`value` with every `${name}` in its strings replaced from `values` (a deep copy)."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], value)
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, values) for k, v in value.items()}
    return value


def uses_placeholder(scenario: Scenario, name: str) -> bool:
    """Whether any manifest or patch of the scenario holds `${name}`."""
    bodies = [
        getattr(step, "manifests", None) or getattr(step, "patch", None) for step in scenario.steps
    ]
    return any(name in _PLACEHOLDER.findall(text) for text in _strings(bodies))


def _load_yaml(text: str, *, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInputError(f"{source}: not valid YAML{at}: {problem}") from exc


def _parse_step(item: Any, *, index: int, source: str, base_dir: Path | None) -> Step:
    where = f"{source}: step {index}"
    if not isinstance(item, dict) or len(item) != 1:
        raise BadInputError(
            f"{where}: a step is a one-key mapping such as '- scale: {{replicas: 5}}', "
            f"got {_type(item)}"
        )
    ((kind, body),) = item.items()
    model = STEP_MODELS.get(kind)
    if model is None:
        known = ", ".join(STEP_MODELS)
        raise BadInputError(f"{where}: unknown step {kind!r} (steps: {known})")
    where = f"{where} ({kind})"
    if not isinstance(body, dict):
        raise BadInputError(f"{where}: the step body must be a mapping, got {_type(body)}")
    _check_placeholders(body, where=where)
    data = _split_wait(body) if kind == "wait" else body
    try:
        step: Step = model.model_validate(data)  # type: ignore[assignment]
    except ValidationError as exc:
        raise BadInputError(f"{where}: {_first_error(exc)}") from exc
    if isinstance(step, ApplyStep):
        step = _resolve_manifests(step, where=where, base_dir=base_dir)
    return step


def _split_wait(body: dict[str, Any]) -> dict[str, Any]:
    """A wait step is written flat; the condition's fields go under `condition`."""
    step = {k: v for k, v in body.items() if k in _WAIT_STEP_FIELDS}
    step["condition"] = {k: v for k, v in body.items() if k not in _WAIT_STEP_FIELDS}
    return step


def _resolve_manifests(step: ApplyStep, *, where: str, base_dir: Path | None) -> ApplyStep:
    manifests = step.manifests
    if step.path is not None:
        manifests = _read_manifest_file(step.path, where=where, base_dir=base_dir)
    assert manifests is not None  # the model guarantees one source
    for number, manifest in enumerate(manifests, start=1):
        _check_manifest(manifest, where=f"{where}: manifest {number}")
    return step.model_copy(update={"manifests": manifests, "path": None})


def _read_manifest_file(path: str, *, where: str, base_dir: Path | None) -> list[dict[str, Any]]:
    if base_dir is None:
        raise BadInputError(f"{where}: field 'path' is not allowed here; use 'manifests'")
    file = base_dir / path
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{where}: field 'path': cannot read {file} ({exc})") from exc
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise BadInputError(f"{where}: field 'path': {file} is not valid YAML ({exc})") from exc
    if not docs:
        raise BadInputError(f"{where}: field 'path': {file} holds no manifests")
    _check_placeholders(docs, where=where)
    return docs


def _check_manifest(manifest: Any, *, where: str) -> None:
    if not isinstance(manifest, dict):
        raise BadInputError(f"{where}: a manifest is a mapping, got {_type(manifest)}")
    for key in ("apiVersion", "kind"):
        if not isinstance(manifest.get(key), str):
            raise BadInputError(f"{where}: missing field {key!r}")
    if manifest["kind"] not in _MANIFEST_KINDS:
        known = ", ".join(sorted(_MANIFEST_KINDS))
        raise BadInputError(f"{where}: kind {manifest['kind']!r} is not supported ({known})")
    metadata = manifest.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        raise BadInputError(f"{where}: missing field 'metadata.name'")


def _check_placeholders(value: Any, *, where: str) -> None:
    for text in _strings(value):
        for name in _PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                known = ", ".join(f"${{{p}}}" for p in PLACEHOLDERS)
                raise BadInputError(f"{where}: unknown placeholder ${{{name}}} (known: {known})")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)


def _first_error(exc: ValidationError) -> str:
    """The first pydantic error as "field 'a.b': message", in the fields the user wrote."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    if loc[:1] == ["condition"]:
        # A wait is written flat: drop 'condition' and the condition's tag ('pod-ready').
        loc = loc[2:] if error["type"] not in _TAG_ERRORS else []
    message = error["msg"]
    if error["type"] == "missing":
        message = "required but missing"
    elif error["type"] == "extra_forbidden":
        message = "unknown field"
    elif error["type"] == "union_tag_invalid":
        message = f"must be one of {error['ctx']['expected_tags']}"
    elif error["type"] == "union_tag_not_found":
        message = "required but missing"
    field = ".".join(loc)
    if error["type"] in _TAG_ERRORS:
        field = "until"
    return f"field {field!r}: {message}" if field else message


def _type(value: Any) -> str:
    return "nothing" if value is None else f"a {type(value).__name__}"
