"""The wheel installs one import root, `stswatch`, and works on its own, away from the checkout.

The wheel is built without network (`--no-build-isolation`, hatchling from the test extras) and
unpacked into a folder of its own; `python -S` then runs it with that folder and the venv's
site-packages on `sys.path` but without processing `.pth` files, so the editable install's
checkout paths (watcher/, reports/) cannot stand in for anything the wheel is missing.
"""

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.real import real_store

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = ["wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)]
    subprocess.run(
        [sys.executable, "-m", "pip", *build],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (built,) = out.glob("stswatch-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def _run(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(installed), *site.getsitepackages()])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONSAFEPATH": "1"}
    return subprocess.run(
        [sys.executable, "-S", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_wheel_holds_one_import_root(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        roots = {name.split("/", 1)[0] for name in archive.namelist()}
        names = archive.namelist()
    assert roots == {"stswatch", "stswatch-0.1.0.dist-info"}
    assert "stswatch/migrations/0001_initial.sql" in names
    assert "stswatch/lab/controlplane/kubernetes/go.mod" in names
    assert "stswatch/reports/timeline/templates/report.html.j2" in names
    assert "stswatch/scenario/builtin/lesson.yaml" in names
    assert not any(name.startswith("stswatch/__init__") for name in names)  # PEP 420 portions


def test_the_installed_wheel_runs_without_the_checkout(installed: Path, tmp_path: Path) -> None:
    where = _run(installed, tmp_path, "-c", "import stswatch.cli as c; print(c.__file__)")
    assert where.stdout.startswith(str(installed)), where.stdout + where.stderr
    for command in ([], ["demo"], ["lab", "build"], ["verify"], ["doctor"]):
        shown = _run(installed, tmp_path, "-m", "stswatch", *command, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "Usage:" in shown.stdout


def test_the_installed_wheel_verifies_a_recording(installed: Path, tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    verified = _run(
        installed, tmp_path, "-m", "stswatch", "verify", "lesson-orderedready", "--db", str(db)
    )
    assert verified.returncode == 0, verified.stderr
    assert "PASS" in verified.stdout
    assert "FAIL" not in verified.stdout
    sql = _run(
        installed, tmp_path, "-c", "import stswatch.store_contract as s; print(s._migrations_dir())"
    )
    assert sql.stdout.strip() == str(installed / "stswatch" / "migrations"), sql.stderr


def test_the_wheel_holds_every_file_of_both_portions(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = [
        (ROOT / "watcher" / "stswatch", "stswatch"),
        (ROOT / "reports" / "stswatch", "stswatch"),
    ]
    shipped += [(ROOT / "migrations", "stswatch/migrations")]
    shipped += [(ROOT / "controlplane", "stswatch/lab/controlplane")]
    expected = {
        f"{target}/{path.relative_to(folder).as_posix()}"
        for folder, target in shipped
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sorted(expected - names) == []


def test_the_installed_wheel_finds_its_data(installed: Path, tmp_path: Path) -> None:
    listed = _run(installed, tmp_path, "-m", "stswatch", "scenario", "list")
    assert listed.returncode == 0, listed.stderr
    assert {line.split()[0] for line in listed.stdout.splitlines()} >= {"lesson", "halt"}
    stages = "from stswatch.lab.stages import PodTiming, stages_yaml; stages_yaml(PodTiming())"
    assert _run(installed, tmp_path, "-c", stages).returncode == 0
    where = "from stswatch.lab.paths import controlplane_modules as m; print(m())"
    modules = _run(installed, tmp_path, "-c", where)
    assert modules.stdout.strip() == str(installed / "stswatch" / "lab" / "controlplane")
    # The lab starts its provisioner as `python -m stswatch.lab.provisioner`: cleanly.
    provisioner = _run(installed, tmp_path, "-W", "error", "-m", "stswatch.lab.provisioner", "-h")
    assert provisioner.returncode == 0, provisioner.stderr


def test_the_installed_wheel_draws_a_report(installed: Path, tmp_path: Path) -> None:
    db = real_store(tmp_path, "lesson")
    out = tmp_path / "report.html"
    drawn = _run(
        installed,
        tmp_path,
        "-m",
        "stswatch",
        "report",
        "lesson-orderedready",
        "--db",
        str(db),
        "-o",
        str(out),
    )
    assert drawn.returncode == 0, drawn.stderr
    assert "<svg" in out.read_text(encoding="utf-8")
