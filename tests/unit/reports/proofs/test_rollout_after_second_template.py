"""A rolling update cut by a second template change while its victim web-3 terminated (cases36,
kwok, the real controller; break10 P6: b325 under OrderedReady). web-3 came back at app:3, the
second rollout's revision; under OrderedReady processReplica holds every update step until it is
Running and Ready, so web-4's deletion for app:3 (#793) comes after web-3 Ready (#791)."""

from pathlib import Path

from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, relocate

SESSION = "b325-second-template-mid-rollout-orderedready"


def _rolling(path: Path) -> list[Verdict]:
    result = verify(load_recording(path, SESSION))
    return [v for v in result.verdicts if v.proof == "rolling-update"]


def test_the_second_rollout_waits_for_the_recreated_pod(tmp_path: Path) -> None:
    assert [v.outcome for v in _rolling(real_store(tmp_path, "cases36"))] == ["pass", "pass"]


def test_a_deletion_before_the_recreated_pod_was_ready_fails(tmp_path: Path) -> None:
    """Edited: web-4's deletion (#793) moved 1 ms after web-3's turn to not Ready (#788), 1.5 s
    before its Ready (#791). web-3 was created 117 ms before: never healthy since, so no turn
    the controller's cache may not have seen excuses it (a missing web-3 stops the walk too)."""
    path = real_store(tmp_path, "cases36")
    relocate(path, (793, 1594, 1796697427107327989))
    second = _rolling(path)[1]
    assert second.outcome == "fail"
    assert second.reason.startswith(
        "the StatefulSet controller deleted web-4 for the update while web-3 was not Ready"
    )
