"""The built-in `halt` scenario on the lab: OrderedReady halts behind an unready pod."""

from typing import Any

import pytest

from reports.recording import load_recording
from reports.verify import verify
from watcher.scenario import load_scenario
from watcher.scenario.runner import ScenarioTarget, run_scenario

pytestmark = pytest.mark.integration


async def test_halt_under_both_policies(lab: Any, tmp_path: Any) -> None:
    db = tmp_path / "halt.db"
    lines: list[str] = []
    runs = await run_scenario(
        load_scenario("halt"),
        policies=("OrderedReady", "Parallel"),
        db_path=db,
        session_prefix="halt",
        target=ScenarioTarget(kubeconfig=lab.kubeconfig, storage_class=lab.storage_class),
        progress=lines.append,
    )
    for run in runs:
        assert run.error is None, "\n".join(lines)
        skipped = {o.index for o in run.outcomes if o.status == "skipped"}
        assert skipped, "each policy skips the other's checks"
    ordered = verify(load_recording(db, "halt-orderedready"), statefulset="redis")
    assert ordered.count("fail") == 0, ordered.to_dict()
    gating = [v for v in ordered.verdicts if v.proof == "ordered-ready-gating"]
    assert any(v.outcome == "pass" for v in gating), gating
    parallel = verify(load_recording(db, "halt-parallel"), statefulset="redis")
    assert parallel.count("fail") == 0, parallel.to_dict()
    assert {v.outcome for v in parallel.verdicts if v.proof == "ordered-ready-gating"} <= {
        "not-applicable"
    }
