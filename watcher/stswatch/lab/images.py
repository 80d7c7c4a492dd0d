"""Container images for real lab nodes, built from this host's Debian files, with no registry.

Three images, each written as a docker-archive (`manifest.json`, one config JSON, one layer
tar) that `ctr images import` reads:

- pause: upstream's `build/pause/linux/pause.c` from the Kubernetes module in the Go module
  cache, compiled with `gcc -static`; tagged as the sandbox image containerd expects.
- redis: busybox-static (a shell and coreutils) plus Debian's redis server (`redis-check-rdb`
  is the server binary; Debian's `redis-server` is a symlink to it), `redis-cli` and their
  shared libraries; tagged as the lesson's `redis:6.2-alpine` and `redis:7.0-alpine`, so its
  manifests run unchanged (the server inside is Debian's, whatever the tag says).
- busybox: busybox-static with its applet links; tagged `busybox:latest` and `busybox:1.36`.
- etcd: busybox-static plus the lab's own etcd server and the etcdctl of its version (both
  static Go builds, `stswatch.lab.build`); tagged as etcd's own image
  `gcr.io/etcd-development/etcd:<version>`, which the practice scenario `etcd` runs.
- zookeeper: busybox-static plus Debian's `zookeeper` (its jar and the jars its manifest's
  Class-Path names, slf4j-simple for a log on stderr) and the headless JRE of Debian's
  `default-jre-headless` (the files of its openjdk package under the JVM's home, and their
  shared libraries); tagged `docker.io/library/zookeeper:3.8` (bookworm's is 3.8.0). Debian's
  `zkServer.sh` and `zkCli.sh` need bash, which the image has not: the scenario starts
  `QuorumPeerMain` with java and asks `srvr` with busybox's nc.

The archives are cached under `<cache>/images/<key>/`, the key a hash of every input file.
"""

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson

from stswatch.errors import LabError
from stswatch.lab.build import NodeBinaries
from stswatch.lab.paths import cache_root

FORMAT = "2"  # bump when the image layout below changes
PAUSE_VERSION = "3.10"
PAUSE_IMAGE = f"registry.k8s.io/pause:{PAUSE_VERSION}"
KUBERNETES_MODULE = "k8s.io/kubernetes"
BUSYBOX = Path("/bin/busybox")
REDIS_SERVER = Path("/usr/bin/redis-check-rdb")
REDIS_CLI = Path("/usr/bin/redis-cli")
REDIS_TAGS = ("docker.io/library/redis:6.2-alpine", "docker.io/library/redis:7.0-alpine")
BUSYBOX_TAGS = ("docker.io/library/busybox:latest", "docker.io/library/busybox:1.36")
ETCD_REPOSITORY = "gcr.io/etcd-development/etcd"
JAVA = Path("/usr/bin/java")
JRE_PACKAGE = "openjdk-17-jre-headless"  # what default-jre-headless depends on in bookworm
ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
SLF4J_SIMPLE = Path("/usr/share/java/slf4j-simple.jar")
ZOOKEEPER_TAG = "docker.io/library/zookeeper:3.8"
ZOOKEEPER_CLASSPATH = f"{ZOOKEEPER_JAR}:{SLF4J_SIMPLE}"
ARCHIVES = ("pause.tar", "redis.tar", "busybox.tar", "etcd.tar", "zookeeper.tar")
STAMP = ".stamp.json"
GCC_TIMEOUT_S = 120.0
PATH_ENV = "PATH=/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class ImageSet:
    """Where the built archives are."""

    directory: Path
    cached: bool
    seconds: float

    @property
    def archives(self) -> tuple[Path, ...]:
        """The archives to import into every node."""
        return tuple(self.directory / name for name in ARCHIVES)


def pause_source(*, kubernetes_version: str) -> Path:
    """`pause.c` in the Go module cache (there once the kubelet was built)."""
    out = subprocess.run(
        ["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=False, timeout=30
    ).stdout.strip()
    modcache = Path(out) if out else Path.home() / "go" / "pkg" / "mod"
    return (
        modcache
        / f"{KUBERNETES_MODULE}@{kubernetes_version}"
        / "build"
        / "pause"
        / "linux"
        / "pause.c"
    )


def missing_tools() -> list[str]:
    """What this host lacks to build the images, as Debian package names."""
    missing = []
    if shutil.which("gcc") is None:
        missing.append("gcc")
    if (
        not Path("/usr/lib/x86_64-linux-gnu/libc.a").exists()
        and not Path("/usr/lib/libc.a").exists()
    ):
        missing.append("libc6-dev")
    if not BUSYBOX.is_file():
        missing.append("busybox-static")
    if not (REDIS_SERVER.is_file() and REDIS_CLI.is_file()):
        missing.append("redis-tools")
    if not ZOOKEEPER_JAR.is_file():
        missing.append("zookeeper")
    if not JAVA.exists():
        missing.append("default-jre-headless")
    return missing


def java_home() -> Path:
    """The JVM `/usr/bin/java` leads to (through Debian's alternatives)."""
    return JAVA.resolve().parent.parent


def jre_files() -> list[Path]:
    """The headless JRE's files under its home, as its Debian package lists them (no man pages).

    Links into /etc (its configuration) are read through; one whose target is absent (the
    `cacerts` of an uninstalled ca-certificates-java) is left out.
    """
    out = subprocess.run(
        ["dpkg-query", "-L", JRE_PACKAGE], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    home = str(java_home()) + "/"
    return sorted(
        Path(line)
        for line in out.splitlines()
        if line.startswith(home)
        and "/man/" not in line
        and "/legal/" not in line
        and Path(line).is_file()
    )


def zookeeper_jars() -> list[Path]:
    """zookeeper.jar, the jars its manifest's Class-Path names, and slf4j-simple."""
    with zipfile.ZipFile(ZOOKEEPER_JAR) as jar:
        manifest = jar.read("META-INF/MANIFEST.MF").decode()
    unfolded = manifest.replace("\r\n ", "").replace("\n ", "")
    listed = next(
        (
            line.split(":", 1)[1].split()
            for line in unfolded.splitlines()
            if line.startswith("Class-Path:")
        ),
        [],
    )
    return [ZOOKEEPER_JAR, SLF4J_SIMPLE, *(Path(j) for j in listed if Path(j).is_file())]


def shared_libraries(binaries: Iterable[Path]) -> list[Path]:
    """The shared libraries (and the loader) `ldd` says the binaries need."""
    found: set[Path] = set()
    for binary in binaries:
        out = subprocess.run(
            ["ldd", str(binary)], capture_output=True, text=True, check=False, timeout=30
        ).stdout
        for line in out.splitlines():
            match = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
            if match:
                found.add(Path(os.path.normpath(match.group(1))))  # `bin/../lib/libjli.so`
    return sorted(found)


def busybox_applets() -> list[str]:
    """The applet names of this busybox (each becomes a symlink in /bin)."""
    out = subprocess.run(
        [str(BUSYBOX), "--list"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    return sorted({name.strip() for name in out.split() if name.strip()})


class _Layer:
    """One deterministic layer tar built in memory (mtime 0, root-owned)."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        # closed by bytes(), which every layer ends with
        self.tar = tarfile.open(fileobj=self.buffer, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.dirs: set[str] = set()

    def _info(self, name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name.lstrip("/"))
        info.type = kind
        info.mode = mode
        info.mtime = 0
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    def directory(self, name: str, mode: int = 0o755) -> None:
        parts = name.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if path and path not in self.dirs:
                self.dirs.add(path)
                self.tar.addfile(self._info(path, tarfile.DIRTYPE, mode if path == name else 0o755))

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self.directory(str(Path(name).parent))
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))

    def host_file(self, source: Path, name: str | None = None, mode: int = 0o755) -> None:
        self.file(name or str(source), source.resolve().read_bytes(), mode)

    def symlink(self, name: str, target: str) -> None:
        self.directory(str(Path(name).parent))
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.tar.addfile(info)

    def bytes(self) -> bytes:
        self.tar.close()
        return self.buffer.getvalue()


def _busybox_layer(layer: _Layer, applets: Iterable[str]) -> None:
    layer.host_file(BUSYBOX, "/bin/busybox")
    for applet in applets:
        if applet != "busybox":
            layer.symlink(f"/bin/{applet}", "busybox")
    layer.directory("/tmp", 0o1777)
    layer.directory("/usr/bin")
    layer.file("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
    layer.file("/etc/group", b"root:x:0:\nnogroup:x:65534:\n")


def write_archive(
    path: Path, *, layer: bytes, tags: Iterable[str], config: dict[str, object]
) -> None:
    """A docker-archive with one layer: what `ctr images import` (and `docker load`) read."""
    layer_digest = hashlib.sha256(layer).hexdigest()
    image_config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "stswatch lab build"}],
    }
    config_bytes = orjson.dumps(image_config)
    config_name = f"{hashlib.sha256(config_bytes).hexdigest()}.json"
    manifest = [
        {"Config": config_name, "RepoTags": list(tags), "Layers": [f"{layer_digest}/layer.tar"]}
    ]
    tmp = path.with_suffix(".tmp")
    with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in (
            (f"{layer_digest}/layer.tar", layer),
            (config_name, config_bytes),
            ("manifest.json", orjson.dumps(manifest)),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    tmp.replace(path)


def _compile_pause(source: Path, out: Path) -> None:
    argv = ["gcc", "-Os", "-static", f"-DVERSION=v{PAUSE_VERSION}", "-o", str(out), str(source)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=GCC_TIMEOUT_S)
    if done.returncode != 0:
        raise LabError(f"compiling {source} failed: {done.stderr.strip()[-800:]}")


def etcd_image(version: str) -> str:
    """The tag of the etcd image built from the lab's etcd `version` (`v3.6.16`)."""
    return f"{ETCD_REPOSITORY}:{version}"


def _inputs(pause_c: Path, binaries: NodeBinaries) -> list[Path]:
    hosts = [BUSYBOX, REDIS_SERVER, REDIS_CLI]
    built = [binaries.etcd, binaries.etcdctl]
    java = [*jre_files(), *zookeeper_jars()]
    libraries = shared_libraries([REDIS_SERVER, REDIS_CLI, *_native(java)])
    return [pause_c, *hosts, *libraries, *built, *java]


def _native(files: Iterable[Path]) -> list[Path]:
    """The executables and shared objects among `files` (what `ldd` is asked about)."""
    return [f for f in files if f.name == "java" or f.suffix == ".so"]


def _zookeeper_archive(path: Path, *, applets: Iterable[str]) -> None:
    """ZooKeeper's jars and a headless JRE beside busybox's shell and nc."""
    zookeeper = _Layer()
    _busybox_layer(zookeeper, applets)
    jre = jre_files()
    for file in jre:
        zookeeper.host_file(file, str(file), 0o755 if file.name == "java" else 0o644)
    for library in shared_libraries(_native(jre)):
        if library not in jre:
            zookeeper.host_file(library, str(library))
    zookeeper.symlink(str(JAVA), str(java_home() / "bin" / "java"))
    for jar in zookeeper_jars():
        zookeeper.host_file(jar, str(jar), 0o644)
    zookeeper.directory("/var/lib/zookeeper")
    zookeeper.directory("/conf")
    write_archive(
        path,
        layer=zookeeper.bytes(),
        tags=[ZOOKEEPER_TAG],
        config={
            "Cmd": ["sh"],
            "Env": [PATH_ENV, f"CLASSPATH={ZOOKEEPER_CLASSPATH}", f"JAVA_HOME={java_home()}"],
            "ExposedPorts": {"2181/tcp": {}, "2888/tcp": {}, "3888/tcp": {}},
        },
    )


def images_key(pause_c: Path, binaries: NodeBinaries) -> str:
    """A hash of every file the images are made of, their tags and this module's layout version."""
    digest = hashlib.sha256(FORMAT.encode())
    digest.update(binaries.etcd_version.encode())
    for path in _inputs(pause_c, binaries):
        digest.update(str(path).encode())
        digest.update(path.resolve().read_bytes())
    return digest.hexdigest()[:16]


def _etcd_archive(path: Path, *, applets: Iterable[str], binaries: NodeBinaries) -> None:
    """etcd and etcdctl beside busybox's shell (the scenario's command is a shell script)."""
    etcd = _Layer()
    _busybox_layer(etcd, applets)
    etcd.host_file(binaries.etcd, "/usr/local/bin/etcd")
    etcd.host_file(binaries.etcdctl, "/usr/local/bin/etcdctl")
    etcd.directory("/var/lib/etcd", 0o700)
    write_archive(
        path,
        layer=etcd.bytes(),
        tags=[etcd_image(binaries.etcd_version)],
        config={
            "Cmd": ["etcd"],
            "Env": [PATH_ENV],
            "ExposedPorts": {"2379/tcp": {}, "2380/tcp": {}},
        },
    )


def build_images(*, binaries: NodeBinaries) -> ImageSet:
    """Build the archives unless this exact set is cached; return where they are."""
    kubernetes_version = binaries.kubernetes_version
    started = time.monotonic()
    missing = missing_tools()
    if missing:
        raise LabError(
            "the images for real nodes need Debian packages that are missing: "
            f"{' '.join(missing)} (apt-get install {' '.join(missing)})"
        )
    pause_c = pause_source(kubernetes_version=kubernetes_version)
    if not pause_c.is_file():
        raise LabError(f"{pause_c} is missing: build the kubelet first (`stswatch lab build`)")
    key = images_key(pause_c, binaries)
    directory = cache_root() / "images" / key
    stamp = directory / STAMP
    if stamp.is_file() and all((directory / name).is_file() for name in ARCHIVES):
        return ImageSet(directory, True, time.monotonic() - started)
    directory.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    applets = busybox_applets()

    work = directory / "work"
    work.mkdir(exist_ok=True)
    _compile_pause(pause_c, work / "pause")
    pause = _Layer()
    pause.host_file(work / "pause", "/pause")
    write_archive(
        directory / "pause.tar",
        layer=pause.bytes(),
        tags=[PAUSE_IMAGE],
        config={"Entrypoint": ["/pause"], "User": "65535:65535", "Env": [PATH_ENV]},
    )
    shutil.rmtree(work)

    redis = _Layer()
    _busybox_layer(redis, applets)
    redis.host_file(REDIS_SERVER, "/usr/bin/redis-check-rdb")
    redis.symlink("/usr/bin/redis-server", "redis-check-rdb")
    redis.host_file(REDIS_CLI, "/usr/bin/redis-cli")
    for library in shared_libraries([REDIS_SERVER, REDIS_CLI]):
        redis.host_file(library, str(library))
    redis.directory("/data")
    write_archive(
        directory / "redis.tar",
        layer=redis.bytes(),
        tags=REDIS_TAGS,
        config={
            "Entrypoint": ["redis-server"],
            "Cmd": ["--protected-mode", "no", "--appendonly", "yes"],
            "Env": [PATH_ENV],
            "WorkingDir": "/data",
            "ExposedPorts": {"6379/tcp": {}},
        },
    )

    busybox = _Layer()
    _busybox_layer(busybox, applets)
    write_archive(
        directory / "busybox.tar",
        layer=busybox.bytes(),
        tags=BUSYBOX_TAGS,
        config={"Cmd": ["sh"], "Env": [PATH_ENV]},
    )
    _etcd_archive(directory / "etcd.tar", applets=applets, binaries=binaries)
    _zookeeper_archive(directory / "zookeeper.tar", applets=applets)
    stamp.write_bytes(orjson.dumps({"key": key, "built": time.time(), "pid": os.getpid()}))
    return ImageSet(directory, False, time.monotonic() - started)
