"""Pods a window's state lists after the spec change of an episode begun before it (cases14,
cases30, cases31: kwok, the real controller). The rebuilt state ranks each pod at its last change
before --since, which may come after that change: the pod was there when the window began, so a
condemned one is one of the scale-down's condemned pods. One already terminating then was deleted
before the window, when and by whom the window does not show (by this episode, maybe): never
'created after the scale-down began, condemned on arrival', 'already being deleted when the
scale-down began', nor one of the rollout's own replacements."""

from pathlib import Path

from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.window import WindowRequest, parse_moment
from tests.fixtures.real import real_store

_FALSE = (
    "condemned on arrival",
    "created after the scale-down began",
    "was created",
    "still present at the end",
    "the controller deleted no condemned pod in this episode",
    "no condemned pod was deleted in this episode",
)


def _window(tmp_path: Path, store: str, session: str, since: str) -> VerifyResult:
    request = WindowRequest(since=parse_moment(since))
    return analyse(real_store(tmp_path, store), session, window=request).result


def _verdict(result: VerifyResult, proof: str, nth: int = 0) -> Verdict:
    episode = [e for e in result.episodes if e.kind == "scale-down"][nth]
    [verdict] = [v for v in episode.verdicts if v.proof == proof]
    return verdict


def test_a_condemned_pod_terminating_at_the_window_start_is_told(tmp_path: Path) -> None:
    """b323 OrderedReady, --since 02:36:39.95: the scale-down 3→1 (#563) began before the window;
    web-3's last change before it, its deletion (#568), comes after #563 (main named only web-2,
    web-1, as if web-3 were no condemned pod of it)."""
    result = _window(
        tmp_path,
        "cases30",
        "b323-scale-down-cut-by-scale-down-orderedready",
        "2026-12-08T02:36:39.95Z",
    )
    verdict = _verdict(result, "reverse-order-scale-down")
    assert verdict.reason.endswith(
        "the window alone shows pass: deleted from the highest ordinal down, each after the "
        "previous was gone: web-2, web-1; web-3 was already being deleted when the window began "
        "(its deletion began before it: when, and by whom, it does not show)"
    )
    assert 574 in [e.change_id for e in verdict.evidence]
    assert "when the scale-down began" not in verdict.reason
    assert [p for p in _FALSE if p in verdict.reason] == []
    assert result.count("fail") == 0


def test_no_deletion_in_the_window_is_not_none_in_the_episode(tmp_path: Path) -> None:
    """b323 OrderedReady, --since 02:36:39.329: the scale-down 5→3 (#557) had begun deleting
    web-4 (#558) before the window; main said 'the controller deleted no condemned pod in this
    episode'."""
    result = _window(
        tmp_path,
        "cases30",
        "b323-scale-down-cut-by-scale-down-orderedready",
        "2026-12-08T02:36:39.329263Z",
    )
    reason = _verdict(result, "reverse-order-scale-down").reason  # 5→3, then 3→1
    assert reason.endswith(
        "the window alone shows not-applicable: no condemned pod's deletion began after the "
        "window began; web-4 was already being deleted when the window began (its deletion "
        "began before it: when, and by whom, it does not show)"
    )
    assert result.count("fail") == 0


def test_parallel_condemned_pods_terminating_at_the_window_start_are_told(
    tmp_path: Path,
) -> None:
    """b323 Parallel, --since 02:36:50.256: the scale-down 3→1 deleted web-2 and web-1 before
    the window (web-3 was the scale-down 5→3's)."""
    result = _window(
        tmp_path,
        "cases31",
        "b323-scale-down-cut-by-scale-down-parallel",
        "2026-12-08T02:36:50.255641Z",
    )
    told = (
        "web-1, web-2 were already being deleted when the window began (their deletions began "
        "before it: when, and by whom, it does not show)"
    )
    for proof in ("reverse-order-scale-down", "parallel-described"):
        reason = _verdict(result, proof).reason
        assert told in reason
        assert "web-3 was already being deleted when the scale-down began" in reason
        assert [p for p in _FALSE if p in reason] == []
    assert "no condemned pod's deletion began after the window began" in (
        _verdict(result, "parallel-described").reason
    )
    assert result.count("fail") == 0


def _rollout(result: VerifyResult) -> Verdict:
    [episode] = [e for e in result.episodes if e.kind == "rolling-update"]
    [verdict] = [v for v in episode.verdicts if v.proof == "rolling-update"]
    return verdict


def test_a_rollout_victim_terminating_at_the_window_start_is_not_its_replacement(
    tmp_path: Path,
) -> None:
    """b100 OrderedReady (cases14), --since 13:19:28.332: the template change (#54) began before
    the window, web-3 listed terminating after it; main told 'the controller replaced … web-3,
    web-2, web-1, web-0', its deletion cited at the list's row."""
    result = _window(
        tmp_path,
        "cases14",
        "b100-service-made-headless-mid-rollout-orderedready",
        "2026-12-07T13:19:28.332355Z",
    )
    reason = _rollout(result).reason
    assert (
        "the window alone shows pass: the controller replaced from the highest ordinal down to "
        "partition 0: web-2, web-1, web-0; web-3 was already being deleted when the window began "
        "(its deletion began before it: when, and by whom, it does not show)"
    ) in reason
    assert result.count("fail") == 0


def test_a_rollout_whose_only_victim_was_terminating_goes_on_with_its_evidence(
    tmp_path: Path,
) -> None:
    """b344 OrderedReady (cases30), --since 02:53:51.088: web-4, the update step's first victim,
    terminating when the window began, then the scale-down 5→4 cut the rollout, which went on in
    0..3; main told 'the controller deleted for the update … web-4'."""
    result = _window(
        tmp_path,
        "cases30",
        "b344-scale-down-mid-rollout-when-scaled-orderedready",
        "2026-12-08T02:53:51.088250Z",
    )
    verdict = _rollout(result)
    assert verdict.reason.split("; did not complete")[0].endswith(
        "the window alone shows not-applicable: no deletion of a pod at or above partition 0 "
        "began after the window began; web-4 was already being deleted when the window began "
        "(its deletion began before it: when, and by whom, it does not show)"
    )
    assert "after the scale-down 5→4 (#6481) the rollout went on" in verdict.reason
    cited = [e.change_id for e in verdict.evidence]
    assert 6478 not in cited  # web-4's list row: not when its deletion began
    assert {6486, 6496, 6567} <= set(cited)  # the steps after the cut
    assert result.count("fail") == 0
