"""Suite-wide fixtures: the real local control plane (`lab`) and a fresh namespace per test.

Integration tests take `lab` (session-scoped `stswatch.lab.lab.LabHandle`), `namespace` (a new
namespace, deleted afterwards) and `kube_api` (a session-wide kubernetes-asyncio ApiClient).
The lab is built (cached) and started once per run in a temporary directory; if it cannot
start, every test using it errors with the component's log tail: never a skip.

Set STSWATCH_TEST_LAB_DIR to a directory where `stswatch lab up --dir DIR` already runs to reuse
that lab (it is left running) while iterating on tests.
"""

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Generator
from pathlib import Path

import psutil
import pytest
import pytest_asyncio
from kubernetes_asyncio import client
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException
from lab_state import describe

from stswatch.lab.lab import LabHandle, attach_lab, lab_status, start_lab, stop_lab

REUSE_ENV = "STSWATCH_TEST_LAB_DIR"
NODES = 3
LOW_DISK_GIB = 3.0  # a full run holds up to about 2.4 GiB at once (labs, real nodes' images)


def _owner_file(lab_directory: Path) -> Path:
    """Beside the lab's folder (which must start empty): the pid of the run that uses it."""
    return lab_directory.with_name(f"{lab_directory.name}.pytest.pid")


def _stop_labs_of_interrupted_runs(pytest_root: Path) -> None:
    """A run killed before teardown leaves its lab running: stop exactly those recorded pids.

    Only a lab whose pytest process is gone is left over: on a shared machine another run may
    be using its lab right now (every run's temporary folders share one root per user).
    """
    for state_file in pytest_root.glob("pytest-*/lab*/lab.json"):
        owner = _owner_file(state_file.parent)
        if owner.is_file() and psutil.pid_exists(int(owner.read_text() or 0)):
            continue
        status = lab_status(state_file.parent)
        if status is not None and status.running:
            stopped = stop_lab(state_file.parent)
            print(f"stopped leftover lab {state_file.parent}: {[s.pid for s in stopped]}")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LabHandle]:
    """A running lab: 3 Ready fake nodes, default StorageClass `lab.storage_class`."""
    reuse = os.environ.get(REUSE_ENV)
    if reuse:
        yield attach_lab(Path(reuse))
        return
    _stop_labs_of_interrupted_runs(tmp_path_factory.getbasetemp().parent)
    directory = tmp_path_factory.mktemp("lab")
    _owner_file(directory).write_text(str(os.getpid()))
    handle = await start_lab(directory, nodes=NODES, report=print)
    try:
        yield handle
    finally:
        handle.down()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def kube_api(lab: LabHandle) -> AsyncIterator[ApiClient]:
    """One kubernetes-asyncio ApiClient for the whole run, talking to the lab."""
    api = await lab.new_api_client()
    async with api:
        yield api


def _namespace_name(request: pytest.FixtureRequest) -> str:
    base = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())
    return f"t-{base.strip('-')[:40].strip('-')}-{secrets.token_hex(3)}"


@pytest_asyncio.fixture(loop_scope="session")
async def namespace(kube_api: ApiClient, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A namespace unique to this test (name shows the test's name), deleted after it."""
    core = client.CoreV1Api(kube_api)
    name = _namespace_name(request)
    await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    try:
        await core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used the lab and a namespace gets the lab's state attached to its
    report (tests/lab_state.py): on CI the lab's logs are gone with its temporary folder."""
    report = yield
    funcargs = getattr(item, "funcargs", {})
    lab, namespace = funcargs.get("lab"), funcargs.get("namespace")
    if report.failed and report.when == "call" and isinstance(lab, LabHandle) and namespace:
        report.sections.append(("lab state at the failure", describe(lab, str(namespace))))
    return report


def _free_gib(config: pytest.Config) -> tuple[Path, float]:
    base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    return base, shutil.disk_usage(base).free / 2**30


def pytest_report_header(config: pytest.Config) -> str:
    """How much disk the run starts with: a full disk fails the labs in confusing ways."""
    base, free = _free_gib(config)
    line = f"stswatch: {free:.1f} GiB free where the tests write ({base})"
    if free < LOW_DISK_GIB:
        line += f": LOW, a full run needs about {LOW_DISK_GIB:.0f} GiB (labs, stores)"
    return line


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    base, free = _free_gib(terminalreporter.config)
    terminalreporter.write_line(f"stswatch: {free:.1f} GiB free at the end ({base})")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is a failed test in this suite: a run with skips does not pass."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"stswatch: {len(skipped)} test(s) skipped: failing the run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
