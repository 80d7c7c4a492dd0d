"""The Dockerfile and the lab's image builder install the same thing (read statically: there is
no Docker engine here): Debian's Python of one version, the wheel and its dependencies by one pip
command, one non-root user, one entrypoint, one environment."""

import json
import shlex
from pathlib import Path

from dockerfile_parse import DockerfileParser

from stswatch.lab import recorder_image

ROOT = Path(__file__).resolve().parents[3]


def _stages() -> list[list[dict[str, str]]]:
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    stages: list[list[dict[str, str]]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "COMMENT":
            continue
        if instruction["instruction"] == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def _values(stage: list[dict[str, str]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def _debian_codename() -> str:
    release = dict(
        line.split("=", 1)
        for line in Path("/etc/os-release").read_text().splitlines()
        if "=" in line
    )
    return release["VERSION_CODENAME"].strip('"')


def test_both_run_debians_python_of_the_same_version_as_the_host() -> None:
    install, final = _stages()
    codename = _debian_codename()
    assert _values(final, "FROM") == [f"debian:{codename}-slim"]
    # the dependencies are installed by a Python of the same minor version as Debian's
    assert _values(install, "FROM") == [
        f"python:{recorder_image.PYTHON_VERSION}-slim-{codename} AS install"
    ]
    (run,) = _values(final, "RUN")
    installed = shlex.split(run.split("--no-install-recommends", 1)[1].split("&&", 1)[0])
    assert installed == list(recorder_image.DEBIAN_PACKAGES)


def test_both_install_the_wheel_with_its_dependencies_by_the_same_pip_command() -> None:
    install, _ = _stages()
    (run,) = _values(install, "RUN")
    words = shlex.split(run.replace("\\\n", " "))
    assert "wheel" in words
    assert "--no-deps" in words
    pip_install = " ".join(recorder_image.PIP_INSTALL)
    assert pip_install in " ".join(words), (pip_install, words)
    assert "--only-binary=:all:" in words
    assert recorder_image.SITE_PACKAGES in " ".join(_values(_stages()[1], "COPY"))
    copied = {c.split()[0] for c in _values(install, "COPY")}
    # every source the lab's image key hashes is copied (the entrypoint in the final stage)
    sources = set(recorder_image.SOURCES) - {recorder_image.ENTRYPOINT}
    assert sources <= copied | {"pyproject.toml", "README.md"}, sources - copied


def test_both_run_as_the_same_non_root_user_with_the_same_entrypoint() -> None:
    _, final = _stages()
    config = recorder_image.image_config()
    assert _values(final, "USER") == [config["User"]]
    assert int(str(config["User"]).split(":")[0]) != 0
    assert [json.loads(v) for v in _values(final, "ENTRYPOINT")] == [config["Entrypoint"]]
    assert [json.loads(v) for v in _values(final, "CMD")] == [config["Cmd"]]
    assert _values(final, "WORKDIR") == [config["WorkingDir"]]
    (copy,) = [c for c in _values(final, "COPY") if recorder_image.ENTRYPOINT in c]
    assert copy.split()[-1] == "/usr/local/bin/stswatch"
    assert "--chmod=755" in copy


def test_both_set_the_same_environment() -> None:
    _, final = _stages()
    (env,) = _values(final, "ENV")
    docker = dict(w.split("=", 1) for w in shlex.split(env.replace("\\\n", " ")))
    lab = dict(str(e).split("=", 1) for e in recorder_image.image_config()["Env"])  # type: ignore[attr-defined]
    lab.pop("PATH")  # Debian's image has /usr/local/bin on its PATH already
    assert docker == lab


def test_the_entrypoint_script_runs_debians_python() -> None:
    script = (ROOT / recorder_image.ENTRYPOINT).read_text()
    assert script.splitlines()[0] == f"#!/usr/bin/python{recorder_image.PYTHON_VERSION}"
    assert "from stswatch.cli import main" in script
