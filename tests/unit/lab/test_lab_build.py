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
    _run_go_build,
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


@pytest.mark.timeout(60)
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_build_whose_log_cannot_be_written_says_why_and_is_drained(tmp_path: Path) -> None:
    # A full cache disk: the copier thread died in a traceback, the error's log tail was empty,
    # and `go build` could block on the pipe nobody read any more.
    go = tmp_path / "go"
    go.write_text(
        "#!/bin/sh\n"
        'i=0; while [ $i -lt 3000 ]; do echo "k8s.io/package/number/$i"; i=$((i+1)); done\n'
        "echo 'link: write /cache/kube-apiserver: no space left on device'; exit 1\n"
    )
    go.chmod(0o755)
    component = replace(KUBERNETES, patches=())
    (tmp_path / "modules" / component.module_dir).mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "build.log").symlink_to("/dev/full")
    with pytest.raises(LabError) as info:
        _run_go_build(
            component, go=str(go), modules=tmp_path / "modules", out_dir=out, version="v1.34.4",
            report=lambda line: None,
        )  # fmt: skip
    message = info.value.message
    assert message.startswith(
        f"building kubernetes v1.34.4 failed (exit 1); its log {out}/build.log could not be "
        "written (No space left on device); last lines:\n"
    ), message
    assert message.endswith("link: write /cache/kube-apiserver: no space left on device")
    assert "k8s.io/package/number/2999" in message
