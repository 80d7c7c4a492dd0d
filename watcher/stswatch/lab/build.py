"""Build the control plane binaries from the checked-in Go wrapper modules into a versioned cache.

Each component builds once per version: `<cache>/controlplane/<component>-<version>/` holds its
binaries and a stamp (hash of go.mod, go.sum and the build flags). With the stamp matching and
the binaries present, a build is a no-op. A cold Kubernetes build takes many minutes on two
cores, so progress (packages compiled, time elapsed) is reported while `go build -v` runs.
"""

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import orjson

from stswatch.errors import LabError
from stswatch.lab.paths import cache_root, controlplane_modules
from stswatch.lab.source_patches import (
    KWOK_UID_PINNED_DELETES,
    SourcePatch,
    module_dir,
    patched_modfile,
)

MIN_GO = (1, 26)
STAMP = ".stamp.json"
PROGRESS_EVERY_S = 15.0
LOG_TAIL_LINES = 15  # of a failed build's output, in its error
BUILD_TIMEOUT_S = 2 * 60 * 60  # a cold Kubernetes build on 2 slow cores: well under this

Report = Callable[[str], None]


@dataclass(frozen=True)
class Component:
    """One Go build: a wrapper module, the module whose version keys the cache, and its outputs."""

    name: str
    module_dir: str
    versioned_module: str
    packages: tuple[str, ...]
    binaries: tuple[str, ...]
    version_ldflags: bool = False
    patches: tuple[SourcePatch, ...] = ()  # fixes to the versioned module's source


COMPONENTS = (
    Component(
        name="kubernetes",
        module_dir="kubernetes",
        versioned_module="k8s.io/kubernetes",
        packages=tuple(
            f"k8s.io/kubernetes/cmd/{binary}"
            for binary in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
        ),
        binaries=("kube-apiserver", "kube-controller-manager", "kube-scheduler"),
        version_ldflags=True,
    ),
    Component(
        name="etcd",
        module_dir="etcd",
        versioned_module="go.etcd.io/etcd/server/v3",
        packages=("go.etcd.io/etcd/server/v3",),
        binaries=("etcd",),
    ),
    Component(
        name="kwok",
        module_dir="kwok",
        versioned_module="sigs.k8s.io/kwok",
        packages=("sigs.k8s.io/kwok/cmd/kwok",),
        binaries=("kwok",),
        patches=(KWOK_UID_PINNED_DELETES,),
    ),
)


# What a real lab node adds (`lab up --real-nodes`): built by `lab build`, never by plain `lab up`.
# The kubelet has a wrapper module of its own with the same Kubernetes version and replaces as
# `kubernetes` (a unit test keeps them equal): adding it to that module would change its go.sum
# and so invalidate every checkout's cached control plane.
NODE_COMPONENTS = (
    Component(
        name="kubelet",
        module_dir="kubelet",
        versioned_module="k8s.io/kubernetes",
        packages=("k8s.io/kubernetes/cmd/kubelet",),
        binaries=("kubelet",),
        version_ldflags=True,
    ),
    Component(
        name="coredns",
        module_dir="coredns",
        versioned_module="github.com/coredns/coredns",
        packages=(".",),
        binaries=("coredns",),
    ),
    # The etcd image of the practice scenario (`scenario/builtin/etcd.yaml`) runs the lab's own
    # etcd server beside etcdctl, which lives in a module of its own at the same version (a unit
    # test keeps the two versions equal). CGO_ENABLED=0 makes both static.
    Component(
        name="etcdctl",
        module_dir="etcdctl",
        versioned_module="go.etcd.io/etcd/etcdctl/v3",
        packages=("go.etcd.io/etcd/etcdctl/v3",),
        binaries=("etcdctl",),
    ),
)


@dataclass(frozen=True)
class BuildResult:
    """What one component's build did: where its binaries are and whether it had to compile."""

    component: str
    version: str
    directory: Path
    cached: bool
    seconds: float


@dataclass(frozen=True)
class Binaries:
    """Absolute paths of every control plane binary the lab starts."""

    kube_apiserver: Path
    kube_controller_manager: Path
    kube_scheduler: Path
    etcd: Path
    kwok: Path


def module_version(component: Component, *, modules: Path) -> str:
    """The pinned version of the component's main module, read from its wrapper go.mod."""
    go_mod = (modules / component.module_dir / "go.mod").read_text()
    pattern = rf"^\s*(?:require\s+)?{re.escape(component.versioned_module)}\s+(v\S+)"
    match = re.search(pattern, go_mod, flags=re.MULTILINE)
    if match is None:
        raise LabError(
            f"{component.module_dir}/go.mod does not require {component.versioned_module}"
        )
    return match.group(1)


def ldflags(component: Component, *, version: str) -> str:
    """Strip symbols; for Kubernetes also stamp the version the servers report."""
    flags = ["-s", "-w"]
    if component.version_ldflags:
        major, minor = version.lstrip("v").split(".")[:2]
        base = "k8s.io/component-base/version"
        flags += [
            f"-X {base}.gitVersion={version}",
            f"-X {base}.gitMajor={major}",
            f"-X {base}.gitMinor={minor}",
            f"-X {base}.gitTreeState=clean",
        ]
    return " ".join(flags)


def build_stamp(component: Component, *, modules: Path, version: str) -> str:
    """A hash of what decides the binaries: go.mod, go.sum, the link flags and source patches."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((modules / component.module_dir / name).read_bytes())
    digest.update(ldflags(component, version=version).encode())
    for patch in component.patches:
        digest.update(orjson.dumps([patch.name, patch.file, patch.old, patch.new]))
    return digest.hexdigest()


def component_dir(component: Component, *, version: str) -> Path:
    """`<cache>/controlplane/<component>-<version>[+<patch>...]/`.

    A patched build has its own folder, so it never replaces the plain build of that version
    that another checkout of stswatch may share the cache with.
    """
    suffix = "".join(f"+{patch.name}" for patch in component.patches)
    return cache_root() / "controlplane" / f"{component.name}-{version}{suffix}"


def is_cached(component: Component, *, directory: Path, stamp: str) -> bool:
    """True when every binary exists and the stamp says they came from these exact inputs."""
    stamp_file = directory / STAMP
    if not stamp_file.is_file() or not all((directory / b).is_file() for b in component.binaries):
        return False
    try:
        return bool(orjson.loads(stamp_file.read_bytes()).get("stamp") == stamp)
    except orjson.JSONDecodeError:
        return False


def find_go() -> str:
    """The `go` executable, checked to be new enough for the wrapper modules."""
    go = shutil.which("go")
    if go is None:
        raise LabError(
            "the Go toolchain is missing: `go` (>= 1.26) is not on PATH; install it from "
            "https://go.dev/dl/ and retry `stswatch lab build`"
        )
    out = subprocess.run([go, "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"go(\d+)\.(\d+)", out)
    if match is None or (int(match.group(1)), int(match.group(2))) < MIN_GO:
        raise LabError(f"`go version` says {out.strip()!r}; the control plane needs Go >= 1.26")
    return go


@dataclass
class _Progress:
    """Packages `go build -v` has named so far, its last lines, and why its log could not be
    written (written by the copier thread only)."""

    packages: int = 0
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))
    log_error: str = ""


def _copy_output(*, process: subprocess.Popen[str], log: Path, progress: _Progress) -> None:
    """Copy `go build -v` output to the log, counting the packages it names.

    The pipe is drained to the end whatever happens to the log (a full cache disk): a copier
    that stopped reading would leave `go build` blocked on a full pipe. The last lines are kept
    in memory too, so the failure can say why even when the log is empty.
    """
    assert process.stdout is not None
    sink: TextIO | None = None
    try:
        sink = log.open("w")
    except OSError as exc:
        progress.log_error = exc.strerror or str(exc)
    try:
        for line in process.stdout:
            progress.tail.append(line.rstrip("\n"))
            if not line.startswith(("#", " ", "\t")):
                progress.packages += 1
            if sink is not None:
                try:
                    sink.write(line)
                except OSError as exc:
                    progress.log_error = exc.strerror or str(exc)
                    _closed(sink)
                    sink = None
    finally:
        if sink is not None:
            _closed(sink)


def _closed(sink: TextIO) -> None:
    """Close a log whose disk may be full (the close flushes, and may fail too)."""
    with contextlib.suppress(OSError):
        sink.close()


def _run_go_build(
    component: Component, *, go: str, modules: Path, out_dir: Path, version: str, report: Report
) -> None:
    """Run one `go build` for the component into `out_dir`; raise with the log tail on failure.

    Reports packages compiled and time elapsed every PROGRESS_EVERY_S, also during the long
    silent link steps.
    """
    output = str(out_dir / component.binaries[0]) if len(component.binaries) == 1 else f"{out_dir}/"
    argv = [go, "build", "-v", "-ldflags", ldflags(component, version=version), "-o", output]
    goflags = f"{os.environ.get('GOFLAGS', '')} -buildvcs=false".strip()
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": goflags}
    if component.patches:
        cwd = modules / component.module_dir
        source = module_dir(
            go=go, module=component.versioned_module, version=version, cwd=cwd, env=env
        )
        modfile = patched_modfile(
            component.patches,
            module=component.versioned_module,
            source=source,
            wrapper=cwd,
            out_dir=out_dir,
        )
        argv[2:2] = [f"-modfile={modfile}"]
    log = out_dir / "build.log"
    label = f"{component.name} {version}"
    progress = _Progress()
    started = time.monotonic()
    with subprocess.Popen(
        [*argv, *component.packages],
        cwd=modules / component.module_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        copier = threading.Thread(
            target=_copy_output,
            kwargs={"process": process, "log": log, "progress": progress},
            daemon=True,
        )
        copier.start()
        code: int | None = None
        while code is None:
            try:
                code = process.wait(timeout=PROGRESS_EVERY_S)
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - started
                if elapsed > BUILD_TIMEOUT_S:
                    process.kill()
                    gave_up = f"building {label} gave up after {elapsed:.0f}s; see {log}"
                    raise LabError(gave_up) from None
                report(f"  {label}: {progress.packages} packages, {elapsed:.0f}s elapsed")
        copier.join(timeout=5)
    if code != 0:
        tail = "\n".join(progress.tail)
        where = (
            f"log {log}"
            if not progress.log_error
            else (f"its log {log} could not be written ({progress.log_error})")
        )
        raise LabError(f"building {label} failed (exit {code}); {where}; last lines:\n{tail}")


@contextlib.contextmanager
def _cache_errors(directory: Path) -> Iterator[None]:
    """An OSError writing the build cache (a full disk) as one LabError naming it."""
    try:
        yield
    except OSError as exc:
        raise LabError(f"cannot write the build cache {directory}: {exc.strerror or exc}") from exc


def build_component(component: Component, *, report: Report) -> BuildResult:
    """Build one component unless its cache entry is complete and current."""
    modules = controlplane_modules()
    version = module_version(component, modules=modules)
    directory = component_dir(component, version=version)
    stamp = build_stamp(component, modules=modules, version=version)
    started = time.monotonic()
    if is_cached(component, directory=directory, stamp=stamp):
        return BuildResult(component.name, version, directory, True, time.monotonic() - started)
    go = find_go()
    with _cache_errors(directory):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / STAMP).unlink(missing_ok=True)
    report(f"building {component.name} {version} into {directory} (log: {directory}/build.log)")
    _run_go_build(
        component, go=go, modules=modules, out_dir=directory, version=version, report=report
    )
    with _cache_errors(directory):
        (directory / STAMP).write_bytes(orjson.dumps({"stamp": stamp, "version": version}))
    seconds = time.monotonic() - started
    report(f"built {component.name} {version} in {seconds:.1f}s")
    return BuildResult(component.name, version, directory, False, seconds)


def build_all(*, report: Report) -> list[BuildResult]:
    """Build (or find cached) every component, smallest first."""
    order = sorted(COMPONENTS, key=lambda c: c.name != "etcd" and c.name != "kwok")
    return [build_component(component, report=report) for component in order]


@dataclass(frozen=True)
class NodeBinaries:
    """What a real lab node runs besides Debian's containerd and runc."""

    kubelet: Path
    coredns: Path
    kubernetes_version: str
    etcd: Path  # the lab's etcd server, and the etcdctl of its version: the etcd image's
    etcdctl: Path
    etcd_version: str


def build_node_components(*, report: Report) -> list[BuildResult]:
    """Build (or find cached) the kubelet, CoreDNS and etcdctl."""
    return [build_component(component, report=report) for component in NODE_COMPONENTS]


def node_binaries_of(results: list[BuildResult], *, report: Report) -> NodeBinaries:
    """The paths `build_node_components` built, with the lab's etcd server (built if missing)."""
    found = {result.component: result for result in results}
    etcd = build_component(
        next(component for component in COMPONENTS if component.name == "etcd"), report=report
    )
    return NodeBinaries(
        kubelet=found["kubelet"].directory / "kubelet",
        coredns=found["coredns"].directory / "coredns",
        kubernetes_version=found["kubelet"].version,
        etcd=etcd.directory / "etcd",
        etcdctl=found["etcdctl"].directory / "etcdctl",
        etcd_version=etcd.version,
    )


def node_binaries(*, report: Report) -> NodeBinaries:
    """Paths of what real nodes run and their images hold, building whatever is missing first."""
    return node_binaries_of(build_node_components(report=report), report=report)


def binaries(*, report: Report) -> Binaries:
    """Paths of all binaries, building whatever is missing first."""
    dirs = {result.component: result.directory for result in build_all(report=report)}
    kube = dirs["kubernetes"]
    return Binaries(
        kube_apiserver=kube / "kube-apiserver",
        kube_controller_manager=kube / "kube-controller-manager",
        kube_scheduler=kube / "kube-scheduler",
        etcd=dirs["etcd"] / "etcd",
        kwok=dirs["kwok"] / "kwok",
    )
