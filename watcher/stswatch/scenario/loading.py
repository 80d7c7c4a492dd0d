"""Read a scenario (a built-in by name, or a YAML file) and validate it before anything runs.

Every problem becomes one `BadInputError` whose message names the step (1-based index and kind)
and the field, so a user can fix the file without reading a traceback.

Input is bounded, since a scenario may come from someone else: files are regular files of at
most `MAX_FILE_BYTES` (never a device, a pipe or a folder), YAML aliases are refused (an alias
"bomb" of a few hundred bytes expands to billions of nodes), nesting is bounded by the parser's
recursion, and `apply: {path: ...}` stays inside the scenario's folder unless the caller allows
otherwise (`--allow-outside-paths`). What a scenario applies is held to the Pod Security
Standards' baseline level (`pod_security`) unless the caller allows privileged pods
(`--allow-privileged`).
"""

import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from stswatch.errors import BadInputError, NotFoundError
from stswatch.scenario.model import STEP_MODELS, ApplyStep, Scenario, Step
from stswatch.scenario.pod_security import STANDARDS, baseline_violations

BUILTIN_PACKAGE = "stswatch.scenario.builtin"
PLACEHOLDERS = ("policy", "storage_class", "namespace")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_WAIT_STEP_FIELDS = frozenset(
    {"title", "when", "needs_exec", "statefulset", "timeout", "on_timeout"}
)
_TAG_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})
_MANIFEST_KINDS = frozenset({"Pod", "StatefulSet", "Service", "PersistentVolumeClaim"})
MAX_FILE_BYTES = 1 << 20  # a scenario or manifest file; the built-ins are a few KiB


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (`*name`): no expansion, so no alias bomb."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed; write the value out", mark
            )
        return super().compose_node(parent, index)


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with stswatch."""
    files = resources.files(BUILTIN_PACKAGE).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def load_scenario(
    ref: str, *, allow_outside_paths: bool = False, allow_privileged: bool = False
) -> Scenario:
    """A built-in scenario by name, or a scenario file by path; validated.

    `allow_outside_paths` lets `apply: {path: ...}` name files outside the scenario's folder;
    `allow_privileged` lets it apply pods the Pod Security baseline level forbids.
    """
    if ref in builtin_names():
        text = resources.files(BUILTIN_PACKAGE).joinpath(f"{ref}.yaml").read_text("utf-8")
        return parse_scenario(text, source=f"builtin:{ref}", base_dir=None)
    path = Path(ref)
    if not path.exists():
        known = ", ".join(builtin_names())
        raise NotFoundError(f"no scenario {ref!r}: not a built-in ({known}) and not a file")
    text = read_bounded(path, what="scenario")
    return parse_scenario(
        text,
        source=str(path),
        base_dir=path.parent,
        allow_outside_paths=allow_outside_paths,
        allow_privileged=allow_privileged,
    )


def read_bounded(path: Path, *, what: str) -> str:
    """The UTF-8 text of a regular file of at most MAX_FILE_BYTES, or one BadInputError."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise BadInputError(f"{path}: cannot read {what}: not a regular file")
        # O_NONBLOCK: should the path become a pipe after the check, open() does not hang.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise BadInputError(f"{path}: cannot read {what}: not a regular file")
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise BadInputError(f"{path}: cannot read {what}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: cannot read {what}: not UTF-8 text ({exc.reason})") from exc


def parse_scenario(
    text: str,
    *,
    source: str,
    base_dir: Path | None,
    allow_outside_paths: bool = False,
    allow_privileged: bool = False,
) -> Scenario:
    """Validate scenario YAML text; `base_dir` resolves `apply: {path: ...}` (None: not allowed)."""
    raw = _load_yaml(text, source=source)
    if not isinstance(raw, dict):
        raise BadInputError(f"{source}: a scenario is a YAML mapping, not {_type(raw)}")
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise BadInputError(f"{source}: 'steps' must be a non-empty list")
    files = _ManifestFiles(
        base_dir, allow_outside=allow_outside_paths, allow_privileged=allow_privileged
    )
    steps = tuple(
        _parse_step(item, index=i, source=source, files=files)
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
    documents = _load_yaml_documents(text, source=source, single=True)
    return documents[0] if documents else None


def _load_yaml_documents(text: str, *, source: str, single: bool = False) -> list[Any]:
    """The documents of `text` (just the first when `single`), parsed without aliases."""
    loader = _NoAliasLoader(text)
    try:
        if single:
            return [loader.get_single_data()]
        documents = []
        while loader.check_data():  # type: ignore[no-untyped-call]
            documents.append(loader.get_data())
        return documents
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInputError(f"{source}: not valid YAML{at}: {problem}") from exc
    except RecursionError as exc:
        raise BadInputError(f"{source}: not valid YAML: nested too deeply") from exc
    finally:
        loader.dispose()


@dataclass(frozen=True)
class _ManifestFiles:
    """Where `apply: {path: ...}` may read: the scenario's folder (None: nowhere); and whether
    its manifests may hold what the Pod Security baseline level forbids."""

    base_dir: Path | None
    allow_outside: bool
    allow_privileged: bool


def _parse_step(item: Any, *, index: int, source: str, files: _ManifestFiles) -> Step:
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
        step = _resolve_manifests(step, where=where, files=files)
    return step


def _split_wait(body: dict[str, Any]) -> dict[str, Any]:
    """A wait step is written flat; the condition's fields go under `condition`."""
    step = {k: v for k, v in body.items() if k in _WAIT_STEP_FIELDS}
    step["condition"] = {k: v for k, v in body.items() if k not in _WAIT_STEP_FIELDS}
    return step


def _resolve_manifests(step: ApplyStep, *, where: str, files: _ManifestFiles) -> ApplyStep:
    manifests = step.manifests
    if step.path is not None:
        manifests = _read_manifest_file(step.path, where=where, files=files)
    assert manifests is not None  # the model guarantees one source
    for number, manifest in enumerate(manifests, start=1):
        _check_manifest(manifest, where=f"{where}: manifest {number}")
        if not files.allow_privileged:
            _check_baseline(manifest, where=f"{where}: manifest {number}")
    return step.model_copy(update={"manifests": manifests, "path": None})


def _read_manifest_file(path: str, *, where: str, files: _ManifestFiles) -> list[dict[str, Any]]:
    if files.base_dir is None:
        raise BadInputError(f"{where}: field 'path' is not allowed here; use 'manifests'")
    file = files.base_dir / path
    folder = files.base_dir.resolve()
    if not files.allow_outside and not file.resolve().is_relative_to(folder):
        raise BadInputError(
            f"{where}: field 'path': {path} is outside the scenario's folder {folder}; "
            "pass --allow-outside-paths to read it anyway"
        )
    try:
        text = read_bounded(file, what="manifests")
        docs = [d for d in _load_yaml_documents(text, source=str(file)) if d is not None]
    except BadInputError as exc:
        raise BadInputError(f"{where}: field 'path': {exc.message}") from exc
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


def _check_baseline(manifest: dict[str, Any], *, where: str) -> None:
    """Refuse what the Pod Security baseline level forbids, naming every field."""
    violations = baseline_violations(manifest)
    if violations:
        name = f"{manifest['kind']} {manifest['metadata']['name']}"
        raise BadInputError(
            f"{where} ({name}): {'; '.join(violations)}: the Pod Security Standards' baseline "
            f"level forbids this ({STANDARDS}), and scenario namespaces enforce it; pass "
            "--allow-privileged to run it anyway"
        )


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
