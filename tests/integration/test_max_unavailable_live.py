"""maxUnavailable recorded live on a lab started with the MaxUnavailableStatefulSet gate on
(`lab up --feature-gates`): the real controller's rollouts under Parallel, two pods at a time and
then one at a time while web-0 is held not Ready, verified with the words of
`tests/fixtures/fault_kinds.py`'s rows for the same session recorded earlier (`cases5.db.gz`)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.lab.lab import LabHandle, start_lab
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.fault_kinds import ROWS, SCENARIOS

pytestmark = pytest.mark.integration

SESSION = "max-unavailable-parallel"


@pytest_asyncio.fixture(loop_scope="session")
async def gated_lab(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LabHandle]:
    handle = await start_lab(
        tmp_path_factory.mktemp("gated-lab"),
        nodes=2,
        feature_gates=("MaxUnavailableStatefulSet=true",),
        report=print,
    )
    try:
        yield handle
    finally:
        handle.down()


def test_max_unavailable_on_the_real_controller(gated_lab: LabHandle, tmp_path: Path) -> None:
    db = tmp_path / "gated.db"
    argv = ["scenario", "run", str(SCENARIOS["max-unavailable"]), "--policy", "Parallel",
            "--session", "max-unavailable", "--db", str(db), "-o", str(tmp_path / "reports"),
            "--kubeconfig", str(gated_lab.kubeconfig),
            "--storage-class", gated_lab.storage_class]  # fmt: skip
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code in (0, 1), cli.output  # 1 would be a failed verdict: checked below
    result = verify(load_recording(db, SESSION))
    assert not result.failed, [v.reason for v in result.verdicts if v.outcome == "fail"]
    rows = [r for r in ROWS if r[1] == SESSION]
    assert len(rows) == 2
    for _, _, proof, kind, nth, outcome, words in rows:
        episodes = [e for e in result.episodes if e.kind == kind]
        assert len(episodes) > nth, [(e.kind, e.summary) for e in result.episodes]
        verdict = next(v for v in episodes[nth].verdicts if v.proof == proof)
        assert verdict.outcome == outcome, verdict.reason
        for word in words:
            assert word in verdict.reason, verdict.reason
