"""Issue 10's fault kinds recorded live on the lab's real controller: the right verdict, in words.

One scenario per kind (progress and halts, who acted, DNS identity, storage legitimately
replaced, episodes once missing, the edges of a recording) runs under OrderedReady, is verified,
and its verdict must carry the outcome and the words `tests/fixtures/fault_kinds.py` gives for
the same session recorded earlier. The forged fail paths of each proof are unit tests
(`tests/unit/reports/proofs/test_*.py`): a real controller does not break its guarantees.
"""

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from stswatch.scenario import runner
from tests.fixtures.fault_kinds import ROWS, SCENARIOS

pytestmark = pytest.mark.integration

# One session per kind; end-after-recreation stops 0.3 s after its last step.
LIVE = (
    "forced-rollback-orderedready",
    "halt-mid-scale-up-orderedready",
    "halt-mid-scale-down-orderedready",
    "non-headless-service-orderedready",
    "claim-deleted-with-pod-orderedready",
    "retention-when-scaled-delete-orderedready",
    "statefulset-deleted-orderedready",
    "rollout-stuck-unrescued-orderedready",
    "client-delete-mid-rollout-orderedready",
    "end-after-recreation-orderedready",
    "terminating-ready-orderedready",
    "finalizer-after-rollout-orderedready",
)
SHORT_SETTLE = {"end-after-recreation": 0.3}


def _verdict(result: VerifyResult, proof: str, kind: str, nth: int) -> Verdict:
    episodes = [e for e in result.episodes if e.kind == kind]
    assert len(episodes) > nth, [(e.kind, e.summary) for e in result.episodes]
    return next(v for v in episodes[nth].verdicts if v.proof == proof)


@pytest.mark.parametrize("session", LIVE)
def test_fault_kind_on_the_lab(
    session: str, lab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = session.removesuffix("-orderedready")
    if name in SHORT_SETTLE:
        monkeypatch.setattr(runner, "SETTLE_S", SHORT_SETTLE[name])
    db = tmp_path / "kinds.db"
    argv = ["scenario", "run", str(SCENARIOS[name]), "--policy", "OrderedReady",
            "--session", name, "--db", str(db), "-o", str(tmp_path / "reports"),
            "--kubeconfig", str(lab.kubeconfig), "--storage-class", lab.storage_class]  # fmt: skip
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code in (0, 1), cli.output  # 1 would be a failed verdict: checked below
    result = verify(load_recording(db, session))
    rows = [r for r in ROWS if r[1] == session]
    assert rows
    for _, _, proof, kind, nth, outcome, words in rows:
        verdict = _verdict(result, proof, kind, nth)
        assert verdict.outcome == outcome, (proof, verdict.reason)
        for word in words:
            assert word in verdict.reason, (proof, verdict.reason)
    assert not result.failed, [v.reason for v in result.verdicts if v.outcome == "fail"]
