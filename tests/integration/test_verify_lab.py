"""`verify` on sessions recorded live from the lab: minReadySeconds, partitions, DNS, policies."""

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.verdicts import unexplained_inconclusive, verdict_of

pytestmark = pytest.mark.integration

SCENARIO = Path(__file__).parents[1] / "fixtures" / "scenarios" / "proofs.yaml"


def test_proofs_scenario_under_both_policies(lab: Any, tmp_path: Path) -> None:
    db = tmp_path / "proofs.db"
    argv = ["scenario", "run", str(SCENARIO), "--policy", "both", "--session", "proofs",
            "--db", str(db), "-o", str(tmp_path / "reports"),
            "--kubeconfig", str(lab.kubeconfig), "--storage-class", lab.storage_class]  # fmt: skip
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code == 0, cli.output

    ordered = verify(load_recording(db, "proofs-orderedready"))
    assert ordered.count("fail") == 0, ordered.to_dict()
    assert not unexplained_inconclusive(ordered), ordered.to_dict()
    gating = verdict_of(ordered, "ordered-ready-gating", "scale-up")
    assert gating.outcome == "pass"
    assert "Available (2s)" in gating.reason
    partitioned = verdict_of(ordered, "rolling-update", "rolling-update")
    assert "down to partition 1: web-2, web-1;" in partitioned.reason
    assert verdict_of(ordered, "homework-1", "service-deleted").outcome == "pass"
    back = verdict_of(ordered, "stable-network-identity", "service-recreated")
    assert back.reason == "DNS records back for web-0, web-1, web-2"

    parallel = verify(load_recording(db, "proofs-parallel"))
    assert parallel.count("fail") == 0, parallel.to_dict()
    assert verdict_of(parallel, "ordered-ready-gating", "scale-up").outcome == "not-applicable"
    assert verdict_of(parallel, "parallel-described", "scale-up").outcome == "pass"
    assert verdict_of(parallel, "stable-storage", "rolling-update").outcome == "pass"

    exit_code = CliRunner().invoke(main, ["verify", "proofs-orderedready", "--db", str(db)])
    assert exit_code.exit_code == 0, exit_code.output


def test_replaced_statefulset_keeps_storage(lab: Any, tmp_path: Path) -> None:
    db = tmp_path / "replace.db"
    scenario = SCENARIO.with_name("replace.yaml")
    argv = ["scenario", "run", str(scenario), "--session", "replace", "--db", str(db),
            "-o", str(tmp_path / "reports"), "--kubeconfig", str(lab.kubeconfig),
            "--storage-class", lab.storage_class]  # fmt: skip
    cli = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert cli.exit_code == 0, cli.output
    result = verify(load_recording(db, "replace-orderedready"))
    kinds = [e.kind for e in result.episodes]
    assert kinds == ["scale-up", "statefulset-deleted", "statefulset-replaced", "scale-up"]
    deletion = verdict_of(result, "statefulset-deletion", "statefulset-deleted")
    assert "removed by the garbage collector" in deletion.reason
    assert verdict_of(result, "stable-storage", "scale-up", nth=1).outcome == "pass"
    assert not result.failed
