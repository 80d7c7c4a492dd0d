"""The stswatch image's cache key and cache pruning (the build itself runs in
tests/integration/test_deploy_realnode.py, which imports the image into a real node)."""

import os
import time
from pathlib import Path

import pytest

from stswatch.lab import recorder_image


def _checkout(root: Path) -> Path:
    for name in recorder_image.SOURCES:
        path = root / name
        if "." in Path(name).name or name == recorder_image.ENTRYPOINT:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(name)
        else:
            (path / "pkg").mkdir(parents=True)
            (path / "pkg" / "a.py").write_text("x = 1\n")
    return root


def test_the_key_follows_the_sources_and_ignores_bytecode(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    key = recorder_image.image_key(root)
    assert recorder_image.image_key(root) == key
    (root / "watcher" / "pkg" / "__pycache__").mkdir()
    (root / "watcher" / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert recorder_image.image_key(root) == key
    (root / "watcher" / "pkg" / "a.py").write_text("x = 2\n")
    changed = recorder_image.image_key(root)
    assert changed != key
    (root / recorder_image.ENTRYPOINT).write_text("#!/usr/bin/python3.11\n")
    assert recorder_image.image_key(root) != changed


def test_the_key_follows_the_image_layout_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _checkout(tmp_path)
    key = recorder_image.image_key(root)
    monkeypatch.setattr(recorder_image, "FORMAT", recorder_image.FORMAT + "x")
    assert recorder_image.image_key(root) != key


def test_pruning_keeps_the_new_image_and_young_ones(tmp_path: Path) -> None:
    images = {name: tmp_path / f"stswatch-{name}" for name in ("new", "young", "old")}
    for directory in images.values():
        directory.mkdir()
        (directory / recorder_image.STAMP).write_text("{}")
    day_ago = time.time() - recorder_image.PRUNE_AFTER_S - 60
    os.utime(images["old"] / recorder_image.STAMP, (day_ago, day_ago))
    (tmp_path / "fce7072fe331a5bd").mkdir()  # the lab's other images are not touched
    recorder_image._prune(tmp_path, keep=images["new"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fce7072fe331a5bd",
        "stswatch-new",
        "stswatch-young",
    ]


def test_the_image_runs_as_non_root_with_stswatch_as_its_entrypoint() -> None:
    config = recorder_image.image_config()
    assert config["User"] == f"{recorder_image.RECORDER_UID}:{recorder_image.RECORDER_UID}"
    assert recorder_image.RECORDER_UID != 0
    assert config["Entrypoint"] == ["stswatch"]
    env = dict(str(e).split("=", 1) for e in config["Env"])  # type: ignore[attr-defined]
    assert env["PYTHONPATH"] == recorder_image.SITE_PACKAGES
    assert "/usr/local/bin" in env["PATH"].split(":")
