"""Scenario input is bounded: no device, pipe, huge file, alias bomb or path outside its folder."""

import os
from pathlib import Path

import pytest

from stswatch.errors import BadInputError, ExitCode
from stswatch.scenario import load_scenario
from stswatch.scenario.loading import MAX_FILE_BYTES

HEADER = "name: t\ndescription: d\nstatefulset: redis\n"
SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: redis}\n"
# Nine levels of nine aliases: 600 bytes that expand to 9^9 (387 million) strings.
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def _refused(path: Path, **kwargs: bool) -> str:
    with pytest.raises(BadInputError) as info:
        load_scenario(str(path), **kwargs)
    assert info.value.exit_code == ExitCode.BAD_INPUT
    return info.value.message


def _scenario(folder: Path, steps: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "s.yaml"
    file.write_text(HEADER + "steps:\n" + steps)
    return file


def test_an_alias_bomb_is_refused_at_its_first_alias(tmp_path: Path) -> None:
    file = tmp_path / "bomb.yaml"
    file.write_text(HEADER + ALIAS_BOMB + "steps:\n  - scale: {replicas: 1}\n")
    assert len(ALIAS_BOMB) < 700
    assert "aliases (*name) are not allowed" in _refused(file)


def test_an_alias_in_a_manifest_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        SERVICE.replace("{name: redis}", "&m {name: redis}") + "x: *m\n"
    )
    file = _scenario(tmp_path, "  - apply: {path: m.yaml}\n")
    message = _refused(file)
    assert "step 1 (apply): field 'path'" in message
    assert "aliases (*name) are not allowed" in message


def test_a_device_as_manifests_is_refused_without_reading_it(tmp_path: Path) -> None:
    file = _scenario(tmp_path, "  - apply: {path: /dev/zero}\n")
    assert "outside the scenario's folder" in _refused(file)
    message = _refused(file, allow_outside_paths=True)
    assert message.endswith("field 'path': /dev/zero: cannot read manifests: not a regular file")


def test_a_path_outside_the_folder_is_refused_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(SERVICE)
    file = _scenario(tmp_path / "scenarios", "  - apply: {path: ../outside.yaml}\n")
    message = _refused(file)
    assert "../outside.yaml is outside the scenario's folder" in message
    assert "--allow-outside-paths" in message
    assert load_scenario(str(file), allow_outside_paths=True).steps[0].kind == "apply"


def test_a_symlink_leading_outside_is_outside(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text(SERVICE)
    file = _scenario(tmp_path / "scenarios", "  - apply: {path: link.yaml}\n")
    (tmp_path / "scenarios" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    assert "outside the scenario's folder" in _refused(file)


def test_etc_passwd_is_outside(tmp_path: Path) -> None:
    file = _scenario(tmp_path, "  - apply: {path: ../../../../../../../../etc/passwd}\n")
    assert "outside the scenario's folder" in _refused(file)


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "big.yaml"
    file.write_text(HEADER + "#" * MAX_FILE_BYTES + "\nsteps: []\n")
    assert _refused(file).endswith("cannot read scenario: larger than 1024 KiB")


def test_a_pipe_as_scenario_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert _refused(fifo).endswith("cannot read scenario: not a regular file")


def test_binary_bytes_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "bin.yaml"
    file.write_bytes(b"\xff\xfe\x00\x01" * 64)
    assert "cannot read scenario: not UTF-8 text" in _refused(file)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "deep.yaml"
    file.write_text("[" * 100_000)
    assert _refused(file).endswith("nested too deeply")
