"""status.readyReplicas counting a Terminating but still Ready pod (kubernetes#86209) is told
where an OrderedReady scale-up waits for it (cases35, real nodes; breakR R7: b340, a scale-down
3→1 undone 2 s in while web-2 terminates, still Ready, for 9.9 s)."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store


def test_the_scale_up_waiting_on_a_ready_terminating_pod_tells_the_count(tmp_path: Path) -> None:
    session = "b340-real-term-ready-scale-back-up-orderedready"
    result = verify(load_recording(real_store(tmp_path, "cases35"), session))
    gating = [v for v in result.verdicts if v.proof == "ordered-ready-gating"]
    assert [v.outcome for v in gating] == ["pass", "pass"]
    assert gating[1].reason.endswith(
        "held at web-2 (terminating: deleted by the StatefulSet controller, in its grace period "
        "of 9 s (deletionGracePeriodSeconds)) for 9.9 s, until web-2 gone, then web-2 created; "
        "status.readyReplicas was 3 at #552, counting the Terminating but still Ready web-2 "
        "(upstream behaviour, kubernetes#86209)"
    )
    assert "86209" not in gating[0].reason  # the first scale-up waited on nothing terminating
