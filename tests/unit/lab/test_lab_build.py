"""The build cache's pure parts: versions, flags, the stamp, and the missing-toolchain error."""

import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode, LabError
from stswatch.lab.build import (
    COMPONENTS,
    STAMP,
    build_stamp,
    component_dir,
    find_go,
    is_cached,
    ldflags,
    module_version,
)
from stswatch.lab.paths import controlplane_modules
from stswatch.lab.source_patches import (
    KWOK_UID_PINNED_DELETES,
    module_dir,
    patched_modfile,
    patched_text,
)

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


def test_kwok_is_built_patched_in_a_folder_of_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STSWATCH_CACHE", str(tmp_path))
    kwok = next(c for c in COMPONENTS if c.name == "kwok")
    assert kwok.patches == (KWOK_UID_PINNED_DELETES,)
    assert component_dir(kwok, version="v0.8.0") == (
        tmp_path / "controlplane" / "kwok-v0.8.0+uid-pinned-deletes"
    )
    unpatched = build_stamp(replace(kwok, patches=()), modules=controlplane_modules(), version="v")
    assert build_stamp(kwok, modules=controlplane_modules(), version="v") != unpatched


def test_the_kwok_patch_applies_to_the_pinned_kwok_source(tmp_path: Path) -> None:
    kwok = next(c for c in COMPONENTS if c.name == "kwok")
    modules = controlplane_modules()
    source = module_dir(
        go=find_go(),
        module=kwok.versioned_module,
        version=module_version(kwok, modules=modules),
        cwd=modules / kwok.module_dir,
        env=dict(os.environ),
    )
    modfile = patched_modfile(
        kwok.patches,
        module=kwok.versioned_module,
        source=source,
        wrapper=modules / kwok.module_dir,
        out_dir=tmp_path,
    )
    patched = (tmp_path / "source" / KWOK_UID_PINNED_DELETES.file).read_text()
    assert "metav1.NewUIDPreconditions(string(pod.UID))" in patched
    assert "Delete(ctx, pod.Name, deleteOpt)" not in patched
    assert modfile.read_text().endswith(f"replace sigs.k8s.io/kwok => {tmp_path / 'source'}\n")
    assert (tmp_path / "build.sum").is_file()


def test_a_patch_whose_text_moved_stops_the_build() -> None:
    with pytest.raises(LabError, match=r"expected its text once in .*found it 0 times"):
        patched_text(KWOK_UID_PINNED_DELETES, "package controllers\n")
