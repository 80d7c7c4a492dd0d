"""A scale-down cut by a spec change that keeps its range (cases28, kwok, the real controller):
scale 5→2 under OrderedReady, and 0.3-0.5 s later a template change (b303, b309: `kubectl
rollout restart`) or a partition raised (b308). The episode ends with web-4 terminating; the
controller deletes web-3, then web-2, in the next episode's window (processCondemned runs on every
sync before the update step). Those deletions are the scale-down's: told and judged by it."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, relocate

# session: (the cutting spec change, its field, web-3's deletion and gone, web-2's)
WENT_ON = {
    "b303-rollout-restart-mid-scale-down-orderedready": (480, "template", 486, 492, 493, 500),
    "b308-partition-raised-mid-scale-down-orderedready": (
        1759,
        "partition",
        1764,
        1770,
        1772,
        1778,
    ),
    "b309-restart-mid-scale-down-when-scaled-orderedready": (
        1999,
        "template",
        2005,
        2014,
        2016,
        2029,
    ),
}


def _reverse(path: Path, session: str) -> list[Verdict]:
    result = verify(load_recording(path, session))
    return [v for v in result.verdicts if v.proof == "reverse-order-scale-down"]


@pytest.mark.parametrize("session", sorted(WENT_ON))
def test_the_scale_down_went_on_in_the_next_episode(tmp_path: Path, session: str) -> None:
    cut, field, three, three_gone, two, two_gone = WENT_ON[session]
    [verdict] = _reverse(real_store(tmp_path, "cases28"), session)
    assert verdict.outcome == "pass"
    assert verdict.reason.startswith(
        "deleted from the highest ordinal down, each after the previous was gone: web-4, web-3, "
        f"web-2; after the {field} change (#{cut}) the scale-down went on in the next episode's "
        f"window: web-3 (deletion #{three}, gone #{three_gone}), web-2 (deletion "
        f"#{two}, gone #{two_gone}) (processCondemned runs on every sync, before any update step)"
    )
    assert "still present at the end" not in verdict.reason
    result = verify(load_recording(real_store(tmp_path, "cases28"), session))
    down = next(e for e in result.episodes if e.kind == "scale-down")
    assert down.progress is not None
    assert down.progress.text.endswith(
        f"; after the {field} change (#{cut}) the scale-down went on: web-3 (deletion "
        f"#{three}), web-2 (deletion #{two}), the last gone #{two_gone}"
    )


def test_the_claims_the_scale_down_deleted_after_the_cut_are_told(tmp_path: Path) -> None:
    session = "b309-restart-mid-scale-down-when-scaled-orderedready"
    [verdict] = _reverse(real_store(tmp_path, "cases28"), session)
    assert (
        "the claims data-web-4, data-web-3, data-web-2 deleted by the PVC retention policy "
        "(whenScaled: Delete), their data with them"
    ) in verdict.reason


def test_a_deletion_out_of_order_after_the_cut_fails(tmp_path: Path) -> None:
    """b303 edited: web-2's deletion (#493) and its SuccessfulDelete (#495) moved before web-3 was
    gone (#492), as an OrderedReady scale-down never does: it fails, though after the cut."""
    path = real_store(tmp_path, "cases28")
    relocate(path, *((493, 1301, 1796696114818460883), (495, 1302, 1796696114818560883)))
    [verdict] = _reverse(path, "b303-rollout-restart-mid-scale-down-orderedready")
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-2 began terminating before web-3 was gone"


def test_parallel_is_unchanged(tmp_path: Path) -> None:
    [verdict] = _reverse(
        real_store(tmp_path, "cases28"), "b303-rollout-restart-mid-scale-down-parallel"
    )
    assert verdict.outcome == "not-applicable"


def test_a_window_opening_on_a_deletion_names_no_deleter(tmp_path: Path) -> None:
    """b303 read from --since 02:15:14.5 (break9 N2): web-4's deletion, and the controller's
    SuccessfulDelete Event for it, came before the window (Events are not state the window
    rebuilds): who deleted it is not in the window, and it was the window that began."""
    path = real_store(tmp_path, "cases28")
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--db",
            str(path),
            "b303-rollout-restart-mid-scale-down-orderedready",
            "--since",
            "2026-12-08T02:15:14.5Z",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "web-4 was already being deleted when the window began, so it needed no deletion of its own"
    ) in result.output
    assert "by a client" not in result.output
    assert "when the recording began" not in result.output


def test_a_scale_down_cutting_a_rollout_tells_the_rollout_going_on(tmp_path: Path) -> None:
    """b311 under Parallel (break9 N5): a template change, 0.3 s later a scale 5→4; once web-4
    was gone the rollout replaced web-3 … web-0: the set went on, it did not stand."""
    result = verify(
        load_recording(real_store(tmp_path, "cases28"), "b311-scale-down-mid-rollout-parallel")
    )
    down = next(e for e in result.episodes if e.kind == "scale-down")
    assert down.progress is not None
    assert "(its condemned pods gone: web-4); the set then went on 8.5 s more" in down.progress.text
    assert "stood" not in down.progress.text


def test_an_eviction_is_told_once_as_through_the_eviction_api(tmp_path: Path) -> None:
    """b305 (break9 N4): kubectl drain evicts web-0; the words name the Eviction API once, then
    the DisruptionTarget condition the API server set."""
    result = verify(
        load_recording(
            real_store(tmp_path, "cases28"), "b305-drain-with-pdb-mid-rollout-orderedready"
        )
    )
    summaries = [e.summary for e in result.episodes if e.kind == "pod-recreated"]
    assert any(
        "deleted by a client (through the Eviction API: its DisruptionTarget condition, reason "
        "EvictionByEvictionAPI: Eviction API: evicting)" in s
        for s in summaries
    ), summaries
    assert not any("evicting through the Eviction API" in s for s in summaries)


@pytest.mark.parametrize(
    "session",
    [
        "b322-scale-back-short-of-condemned-orderedready",
        "b330-scale-back-short-when-scaled-orderedready",
    ],
)
def test_a_scale_up_that_leaves_a_pod_condemned_lets_the_scale_down_go_on(
    tmp_path: Path, session: str
) -> None:
    """b322, b330 (break10 P1): a scale-down 5→1 cut 0.3 s in by a scale-up to 3: web-3, condemned
    by both, is deleted in the scale-up's window; the scale-down judges and tells it."""
    [verdict] = _reverse(real_store(tmp_path, "cases30"), session)
    assert verdict.outcome == "pass"
    assert verdict.reason.startswith(
        "deleted from the highest ordinal down, each after the previous was gone: web-4, web-3"
    )
    assert "after the scale-up 1→3 (#" in verdict.reason
    assert ") the scale-down went on in the next episode's window: web-3 (deletion #" in (
        verdict.reason
    )
    if "when-scaled" in session:
        assert "the claims data-web-4, data-web-3 deleted by the PVC retention policy" in (
            verdict.reason
        )


def test_a_deletion_out_of_order_after_a_scale_up_cut_fails(tmp_path: Path) -> None:
    """b322 edited: web-4's last changes (#362, #363) moved after web-3's deletion (#365)."""
    path = real_store(tmp_path, "cases30")
    relocate(path, *((362, 867, 1796697374601000000), (363, 871, 1796697374602000000)))
    [verdict] = _reverse(path, "b322-scale-back-short-of-condemned-orderedready")
    assert verdict.outcome == "fail"
    assert verdict.reason == "web-3 began terminating before web-4 was gone"
