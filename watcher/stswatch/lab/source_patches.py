"""Small fixes to a component's upstream Go source, applied at build time.

The module cache is never edited (and `go build -overlay` refuses files beneath it): the module
is copied into the component's build directory, patched there, and built through a copy of the
wrapper's go.mod (`go build -modfile`) that replaces the module with that copy; the checked-in
wrapper module is left as it is. A patch names the exact text it replaces; if the upstream file
no longer holds that text exactly once, the build stops and says so rather than building
something else.
"""

import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import orjson

from stswatch.errors import LabError


@dataclass(frozen=True)
class SourcePatch:
    """Replace `old` (found exactly once) with `new` in `file`, a path inside the module."""

    name: str
    file: str
    old: str
    new: str


# kwok's pod-delete stage deletes by name. A delete job queued for a terminating pod can run after
# that pod is gone and its StatefulSet has created a successor of the same name (the job and the
# DELETED event that would cancel it race in kwok's queue, more often on a loaded machine); by
# name alone it deletes the successor, and the recording shows a phantom second recreation.
# With the pod's uid as a delete precondition, such a stale delete gets 409 Conflict and the
# successor lives (Kubernetes API, DeleteOptions.preconditions).
KWOK_UID_PINNED_DELETES = SourcePatch(
    name="uid-pinned-deletes",
    file="pkg/kwok/controllers/pod_controller.go",
    old="\terr := c.typedClient.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, deleteOpt)\n",
    new=(
        "\t// stswatch: delete this pod only, never a successor of the same name.\n"
        "\tpinned := deleteOpt\n"
        "\tpinned.Preconditions = metav1.NewUIDPreconditions(string(pod.UID))\n"
        "\terr := c.typedClient.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, pinned)\n"
    ),
)


def patched_text(patch: SourcePatch, original: str) -> str:
    """`original` with the patch applied; LabError if its anchor is not there exactly once."""
    found = original.count(patch.old)
    if found != 1:
        raise LabError(
            f"source patch {patch.name!r}: expected its text once in {patch.file}, found it "
            f"{found} times; the upstream version changed, so review the patch"
        )
    return original.replace(patch.old, patch.new)


def module_dir(*, go: str, module: str, version: str, cwd: Path, env: dict[str, str]) -> Path:
    """Where the Go module cache holds `module@version` (downloaded if it is not there yet)."""
    done = subprocess.run(
        [go, "mod", "download", "-json", f"{module}@{version}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise LabError(f"go mod download {module}@{version} failed: {done.stdout or done.stderr}")
    return Path(str(orjson.loads(done.stdout)["Dir"]))


def patched_modfile(
    patches: tuple[SourcePatch, ...], *, module: str, source: Path, wrapper: Path, out_dir: Path
) -> Path:
    """Copy `source` (the module) under `out_dir`, patch it, and write a go.mod using the copy.

    Returns the go.mod to pass to `go build -modfile`: the wrapper's, plus a replace directive;
    its go.sum (same name, `.sum`) is the wrapper's.
    """
    copy = out_dir / "source"
    if copy.exists():
        shutil.rmtree(copy)
    # The module cache's files are read-only; the copy is ours to patch and to remove.
    shutil.copytree(source, copy)
    for path in (copy, *copy.rglob("*")):
        path.chmod(stat.S_IMODE(path.stat().st_mode) | stat.S_IWUSR)
    for patch in patches:
        file = copy / patch.file
        file.write_text(patched_text(patch, file.read_text()))
    modfile = out_dir / "build.mod"
    wrapper_mod = (wrapper / "go.mod").read_text()
    modfile.write_text(f"{wrapper_mod.rstrip()}\n\nreplace {module} => {copy}\n")
    shutil.copyfile(wrapper / "go.sum", out_dir / "build.sum")
    return modfile
