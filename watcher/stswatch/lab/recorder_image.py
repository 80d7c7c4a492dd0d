"""The stswatch image, built as the lab builds its other images: from this host's files, no Docker.

Debian's own python3 (the interpreter, its standard library and the shared libraries `ldd` names)
plus the stswatch wheel and its dependencies from PyPI, installed by pip into one directory
(`pip install --target`), in one layer of a docker-archive that `ctr images import` reads. It runs
as a non-root user (`RECORDER_UID`) with `stswatch` as its entrypoint. The `Dockerfile` at the
repository's root installs the same thing for users with Docker (Debian's python3, the same pip
command, the same user and entrypoint); `tests/unit/deploy` compares the two.

Cached under `<cache>/images/stswatch-<key>/`, the key a hash of the Debian Python packages'
versions, the project's sources and this module's layout version. The dependencies are resolved
from PyPI when the key changes, as `docker build` resolves them when its layer cache misses.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from stswatch.errors import LabError
from stswatch.lab.images import PATH_ENV, _Layer, shared_libraries, write_archive
from stswatch.lab.paths import cache_root

FORMAT = "2"  # bump when the image layout below changes
RECORDER_IMAGE = "docker.io/library/stswatch:local"
RECORDER_UID = 65532  # the "nonroot" uid of distroless images; no name on the host
PYTHON_VERSION = "3.11"
PYTHON = Path(f"/usr/bin/python{PYTHON_VERSION}")
STDLIB = Path(f"/usr/lib/python{PYTHON_VERSION}")
DEBIAN_PACKAGES = (
    f"python{PYTHON_VERSION}-minimal",
    f"libpython{PYTHON_VERSION}-minimal",
    f"libpython{PYTHON_VERSION}-stdlib",
)
SITE_PACKAGES = "/opt/stswatch/site-packages"
STORE_DIR = "/var/lib/stswatch"
# What `pip` runs, here and in the Dockerfile: the wheel and its dependencies into one directory.
PIP_INSTALL = ("install", "--no-cache-dir", "--no-compile", "--target", SITE_PACKAGES)
ENTRYPOINT = "deploy/image/stswatch"  # the script at /usr/local/bin/stswatch, here and in Docker
# Not needed to run stswatch: tests, GUI, build-time parts of the standard library.
STDLIB_LEFT_OUT = frozenset(
    {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "__pycache__"}
)
SOURCES = (
    "pyproject.toml",
    "README.md",
    ENTRYPOINT,
    "watcher",
    "reports",
    "migrations",
    "controlplane",
)
ARCHIVE = "stswatch.tar"
STAMP = ".stamp.json"
PIP_TIMEOUT_S = 900.0
PRUNE_AFTER_S = 24 * 3600.0


@dataclass(frozen=True)
class RecorderImage:
    """Where the built archive is, and how long getting it took."""

    archive: Path
    cached: bool
    seconds: float


def _checkout() -> Path:
    return Path(__file__).resolve().parents[3]


def in_checkout() -> bool:
    """True when this package runs from a checkout (the image is built from its sources)."""
    root = _checkout()
    return (root / "pyproject.toml").is_file() and (root / "watcher" / "stswatch").is_dir()


def project_root() -> Path:
    """The checkout this package runs from."""
    if not in_checkout():
        raise LabError(f"the stswatch image is built from a checkout; {_checkout()} is not one")
    return _checkout()


def missing_tools() -> list[str]:
    """What this host lacks to build the image, as Debian package names."""
    return [] if PYTHON.is_file() and (STDLIB / "os.py").is_file() else [f"python{PYTHON_VERSION}"]


def _debian_versions() -> str:
    argv = ["dpkg-query", "-W", "-f=${Package} ${Version}\n", *DEBIAN_PACKAGES]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    return done.stdout


def _source_files(root: Path) -> Iterator[Path]:
    for name in SOURCES:
        path = root / name
        if path.is_file():
            yield path
            continue
        for found in sorted(path.rglob("*")):
            if found.is_file() and "__pycache__" not in found.parts:
                yield found


def image_key(root: Path) -> str:
    """A hash of the Debian Python packages' versions, the project's sources and FORMAT."""
    digest = hashlib.sha256(f"{FORMAT}\n{_debian_versions()}".encode())
    for path in _source_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _pip(*args: str) -> None:
    """Run this interpreter's pip (the same Python minor version as Debian's)."""
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=PIP_TIMEOUT_S)
    if done.returncode != 0:
        raise LabError(f"pip {args[0]} failed: {(done.stderr or done.stdout).strip()[-800:]}")


def _install(root: Path, work: Path) -> Path:
    """The wheel built from `root`, installed with its dependencies into `work/site-packages`."""
    wheels = work / "wheel"
    _pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), str(root))
    (wheel,) = wheels.glob("stswatch-*.whl")
    target = work / "site-packages"
    args = [a if a != SITE_PACKAGES else str(target) for a in PIP_INSTALL]
    _pip(*args, "--only-binary=:all:", str(wheel))
    return target


def _tree(layer: _Layer, source: Path, name: str, *, skip: frozenset[str] = frozenset()) -> None:
    """Copy a host directory into the layer (symlinks followed; dangling ones left out)."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if skip & set(relative.parts) or path.is_dir() or not path.exists():
            continue
        mode = 0o755 if os.access(path, os.X_OK) else 0o644
        layer.host_file(path, f"{name}/{relative}", mode)


def _layer(root: Path, site_packages: Path) -> bytes:
    layer = _Layer()
    layer.host_file(PYTHON, str(PYTHON))
    layer.symlink("/usr/bin/python3", PYTHON.name)
    _tree(layer, STDLIB, str(STDLIB), skip=STDLIB_LEFT_OUT | {"site-packages", "dist-packages"})
    # The interpreter's extension modules and the wheels' (manylinux wheels bundle most of
    # their libraries, and expect the system's libc, libgcc_s and the like).
    extensions = [*(STDLIB / "lib-dynload").glob("*.so"), *site_packages.rglob("*.so*")]
    for library in shared_libraries([PYTHON, *sorted(extensions)]):
        if not library.is_relative_to(site_packages):
            layer.host_file(library, str(library))
    _tree(layer, site_packages, SITE_PACKAGES)
    layer.host_file(root / ENTRYPOINT, "/usr/local/bin/stswatch")
    layer.file(
        "/etc/passwd",
        f"root:x:0:0:root:/root:/sbin/nologin\nstswatch:x:{RECORDER_UID}:{RECORDER_UID}::"
        f"{STORE_DIR}:/sbin/nologin\n".encode(),
    )
    layer.file("/etc/group", f"root:x:0:\nstswatch:x:{RECORDER_UID}:\n".encode())
    layer.directory("/tmp", 0o1777)
    layer.directory(STORE_DIR, 0o777)  # a volume mounted here brings its own owner
    return layer.bytes()


def image_config() -> dict[str, object]:
    """The image's config: user, entrypoint, environment (compared with the Dockerfile's)."""
    return {
        "User": f"{RECORDER_UID}:{RECORDER_UID}",
        "Entrypoint": ["stswatch"],
        "Cmd": ["--help"],
        "Env": [
            PATH_ENV,
            f"PYTHONPATH={SITE_PACKAGES}",
            "PYTHONDONTWRITEBYTECODE=1",
            f"STSWATCH_DB={STORE_DIR}/stswatch.db",
            f"HOME={STORE_DIR}",
        ],
        "WorkingDir": STORE_DIR,
        "Volumes": {STORE_DIR: {}},
    }


def build_recorder_image() -> RecorderImage:
    """Build the image archive unless this exact one is cached; return where it is."""
    started = time.monotonic()
    missing = missing_tools()
    if missing:
        raise LabError(
            f"the stswatch image needs Debian's Python: apt-get install {' '.join(missing)}"
        )
    if sys.version_info[:2] != tuple(int(p) for p in PYTHON_VERSION.split(".")):
        raise LabError(
            f"the stswatch image's dependencies are installed by a Python {PYTHON_VERSION} "
            f"(Debian's); this is {sys.version_info[0]}.{sys.version_info[1]}"
        )
    root = project_root()
    directory = cache_root() / "images" / f"stswatch-{image_key(root)}"
    archive, stamp = directory / ARCHIVE, directory / STAMP
    if stamp.is_file() and archive.is_file():
        return RecorderImage(archive, True, time.monotonic() - started)
    directory.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    work = directory / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        site_packages = _install(root, work)
        write_archive(
            archive, layer=_layer(root, site_packages), tags=[RECORDER_IMAGE], config=image_config()
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stamp.write_bytes(orjson.dumps({"built": time.time(), "pid": os.getpid()}))
    _prune(directory.parent, keep=directory)
    return RecorderImage(archive, False, time.monotonic() - started)


def _prune(images: Path, *, keep: Path) -> None:
    """Remove stswatch images built from other sources more than PRUNE_AFTER_S ago (the key
    changes with every source change; a younger one may be another checkout's, in use)."""
    for other in images.glob("stswatch-*"):
        stamp = other / STAMP
        if (
            other != keep
            and stamp.is_file()
            and time.time() - stamp.stat().st_mtime > PRUNE_AFTER_S
        ):
            shutil.rmtree(other, ignore_errors=True)
