"""Rolling updates cut by another spec change, on the real controller (cases36, kwok; break10 P5,
P6). b325 under OrderedReady: the victim web-3 came back at app:3, the second rollout's revision;
processReplica holds every update step until it is Running and Ready, so web-4's deletion for
app:3 (#793) comes after web-3 Ready (#791). b338: a rollout cut by a scale-down goes on only once
the condemned pods are gone (processCondemned runs first)."""

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


CUT = "b338-scale-down-mid-partition-rollout-orderedready"


def test_the_rollout_going_on_after_a_scale_down_waits_for_the_condemned(tmp_path: Path) -> None:
    """b338 (break10 P5): the rollout cut by a scale-down 5→3 went on in the smaller range, web-2
    deleted for the update (#4559) once the condemned web-3 was gone (#4558)."""
    result = verify(load_recording(real_store(tmp_path, "cases36"), CUT))
    rolling = [v for v in result.verdicts if v.proof == "rolling-update"]
    assert rolling[0].outcome == "pass"
    assert "the rollout went on in the range 0..2" in rolling[0].reason


def test_a_carried_replacement_while_a_condemned_pod_terminates_fails(tmp_path: Path) -> None:
    """Edited: web-2's deletion moved 4 ms after web-3's (processCondemned's), 0.7 s before web-3
    was gone. A sync reading the spec before the scale-down (replicas 5, within the informer
    cache's lag) would have found web-4 missing and created it first: it excuses nothing."""
    path = real_store(tmp_path, "cases36")
    relocate(path, (4559, 8117, 1796698055790872273))
    result = verify(load_recording(path, CUT))
    rolling = [v for v in result.verdicts if v.proof == "rolling-update"]
    assert rolling[0].outcome == "fail"
    assert rolling[0].reason.startswith(
        "web-2 was deleted for the update while the condemned web-3 was still there"
    )
