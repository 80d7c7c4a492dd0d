"""The built-in `halt` scenario on the lab: OrderedReady halts behind an unready pod."""

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording

pytestmark = pytest.mark.integration


def test_halt_under_both_policies(lab: Any, tmp_path: Path) -> None:
    db = tmp_path / "halt.db"
    argv = ["scenario", "run", "halt", "--policy", "both", "--session", "halt",
            "--db", str(db), "-o", str(tmp_path / "reports"),
            "--kubeconfig", str(lab.kubeconfig), "--storage-class", lab.storage_class]  # fmt: skip
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    # Exit 0: every step ran, and every wait held, including "still one pod" 5 s after
    # scaling 1 -> 3 under OrderedReady and "still three pods" after scaling 3 -> 0.
    assert cli.exit_code == 0, cli.output
    assert "OrderedReady: the set halts behind redis-0: skipped" in cli.output  # under Parallel
    assert (tmp_path / "reports" / "compare.html").is_file()

    ordered = verify(load_recording(db, "halt-orderedready"), statefulset="redis")
    assert ordered.count("fail") == 0, ordered.to_dict()
    gating = [v for v in ordered.verdicts if v.proof == "ordered-ready-gating"]
    assert gating
    assert {v.outcome for v in gating} == {"pass"}
    scale_down = [v for v in ordered.verdicts if v.proof == "reverse-order-scale-down"]
    assert [v.outcome for v in scale_down] == ["pass"]

    parallel = verify(load_recording(db, "halt-parallel"), statefulset="redis")
    assert parallel.count("fail") == 0, parallel.to_dict()
    gating = [v for v in parallel.verdicts if v.proof == "ordered-ready-gating"]
    assert gating
    assert {v.outcome for v in gating} == {"not-applicable"}
