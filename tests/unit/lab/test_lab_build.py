"""The build cache's pure parts: versions, flags, the stamp, and the missing-toolchain error."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from migrations.failures import ExitCode
from watcher.cli import main
from watcher.lab.build import (
    COMPONENTS,
    STAMP,
    build_stamp,
    component_dir,
    is_cached,
    ldflags,
    module_version,
)
from watcher.lab.paths import controlplane_modules

KUBERNETES = next(c for c in COMPONENTS if c.name == "kubernetes")


def test_versions_come_from_the_wrapper_modules() -> None:
    modules = controlplane_modules()
    versions = {c.name: module_version(c, modules=modules) for c in COMPONENTS}
    assert versions["kubernetes"].startswith("v1.34.")
    assert versions["etcd"].startswith("v3.6.")
    assert versions["kwok"].startswith("v0.8.")


def test_kubernetes_ldflags_stamp_the_version() -> None:
    flags = ldflags(KUBERNETES, version="v1.34.4")
    assert "-X k8s.io/component-base/version.gitVersion=v1.34.4" in flags
    assert "-X k8s.io/component-base/version.gitMinor=34" in flags


def test_cache_dir_is_keyed_by_component_and_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STSWATCH_CACHE", str(tmp_path))
    assert component_dir(KUBERNETES, version="v1.34.4") == (
        tmp_path / "controlplane" / "kubernetes-v1.34.4"
    )


def test_cached_needs_every_binary_and_a_matching_stamp(tmp_path: Path) -> None:
    stamp = build_stamp(KUBERNETES, modules=controlplane_modules(), version="v1.34.4")
    assert not is_cached(KUBERNETES, directory=tmp_path, stamp=stamp)
    for binary in KUBERNETES.binaries:
        (tmp_path / binary).write_text("")
    (tmp_path / STAMP).write_text('{"stamp": "other"}')
    assert not is_cached(KUBERNETES, directory=tmp_path, stamp=stamp)
    (tmp_path / STAMP).write_text(f'{{"stamp": "{stamp}"}}')
    assert is_cached(KUBERNETES, directory=tmp_path, stamp=stamp)
    (tmp_path / "kube-scheduler").unlink()
    assert not is_cached(KUBERNETES, directory=tmp_path, stamp=stamp)


def test_missing_go_is_named_with_the_lab_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STSWATCH_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["lab", "build"])
    assert result.exit_code == ExitCode.LAB
    assert "Go toolchain is missing" in result.output
