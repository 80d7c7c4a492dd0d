"""A window opening after a StatefulSet's deletion began (cases32, cases34: kwok, the real
controller). The deletion bumps metadata.generation and changes no spec field, so the window
brings the set's previous generation; nothing is under way by its spec (updateStatefulSet only
writes status), and the deletion takes the pods the set had at the window's start, each listed
at its last change before it, which may come after the set's."""

from pathlib import Path

import pytest

from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.render import render_text
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.window import WindowRequest, parse_moment
from tests.fixtures.real import real_store

_FALSE = ("under way", "next step", "with 0 pods", "created 0.0 s after the deletion began")


def _window(tmp_path: Path, store: str, session: str, since: str) -> VerifyResult:
    request = WindowRequest(since=parse_moment(since))
    return analyse(real_store(tmp_path, store), session, window=request).result


def _deletion_reason(result: VerifyResult) -> str:
    [episode] = [e for e in result.episodes if e.kind == "statefulset-deleted"]
    [verdict] = [v for v in episode.verdicts if v.proof == "statefulset-deletion"]
    return verdict.reason


@pytest.mark.parametrize("since", ["2026-12-08T02:37:48.011Z", "2026-12-08T02:37:48.116Z"])
def test_a_scale_up_cut_by_the_deletion_is_not_under_way(tmp_path: Path, since: str) -> None:
    """b328: a scale-up 2→5 at web-3 Pending when a Foreground deletion began (#1101); the
    window began 50-150 ms later, every pod terminating (main told 'scale-up 4→5 under way ...
    next step: create web-0' and 'web deleted with 0 pods')."""
    result = _window(tmp_path, "cases34", "b328-foreground-delete-mid-scale-up-orderedready", since)
    assert [f"{e.kind} · {e.summary}" for e in result.episodes] == [
        "statefulset-deleted · web deleted (its deletion began before the window; 4 of its pods "
        "were there when the window began)"
    ]
    reason = _deletion_reason(result)
    assert reason.endswith(
        "the window alone shows pass: web-2, web-3, web-1, web-0 were already being deleted when "
        "the window began (their deletions began before it: when, and by whom, it does not "
        "show), the last gone 0.8 s after the set's deletion began"
    )
    text = render_text(result)
    assert [p for p in _FALSE if p in text] == []
    assert "completed: all 4 pods gone 0.8 s after" in text
    assert result.count("fail") == 0


@pytest.mark.parametrize(
    ("session", "since", "before"),
    [
        ("b347-foreground-delete-mid-rollout-orderedready", "2026-12-08T02:57:48.348Z", "7540"),
        ("b347-foreground-delete-mid-rollout-parallel", "2026-12-08T02:57:59.414Z", "7665"),
    ],
)
def test_a_rollout_cut_by_the_deletion_is_not_under_way(
    tmp_path: Path, session: str, since: str, before: str
) -> None:
    """b347: a rollout whose victim web-3 was terminating when the set was deleted (Foreground);
    main told 'rolling update under way ... next step: create web-0' and the other pods as
    'created 0.0 s after the deletion began, by a CREATE ... that landed late'."""
    result = _window(tmp_path, "cases32", session, since)
    assert [e.kind for e in result.episodes] == ["statefulset-deleted"]
    assert result.episodes[0].summary.endswith("5 of its pods were there when the window began)")
    reason = _deletion_reason(result)
    assert f"web-3 was already being deleted (#{before}) when the set was" in reason
    assert "were already being deleted when the window began" in reason
    assert [p for p in _FALSE if p in render_text(result)] == []
    assert result.count("fail") == 0


def test_a_pod_listed_after_a_later_change_is_not_counted_as_the_deletions(
    tmp_path: Path,
) -> None:
    """b347 Parallel, --since 02:57:59.664: web-3's deletion began (#7665) before the set's
    (#7669), but its last change before the window (#7684) comes after: the window cannot tell
    when it began, so it is not one of the deletion's removals 'at once'."""
    result = _window(
        tmp_path,
        "cases32",
        "b347-foreground-delete-mid-rollout-parallel",
        "2026-12-08T02:57:59.664Z",
    )
    reason = _deletion_reason(result)
    assert "at once" not in reason
    assert "web-3 were already being deleted when the window began" in reason
    assert result.count("fail") == 0


def test_an_orphaning_deletion_before_the_window_leaves_no_scale_down_under_way(
    tmp_path: Path,
) -> None:
    """b332: a scale-down 5→1 cut 0.04 s in by a deletion with --cascade=orphan (#2105); main
    told 'scale-down 3→1 under way ... next step: delete web-3 (condemned)' before it. The
    orphans listed at the window's start without an ownerReference are known as the set's from
    their last change under it: its 5 pods, as the whole session says (web-1 and the
    terminating web-4 were left out)."""
    result = _window(
        tmp_path,
        "cases34",
        "b332-orphan-delete-mid-scale-down-orderedready",
        "2026-12-08T02:40:37.537Z",
    )
    assert [e.kind for e in result.episodes][:2] == ["statefulset-deleted", "statefulset-replaced"]
    assert result.episodes[0].summary == (
        "web deleted (its deletion began before the window; 5 of its pods were there when the "
        "window began)"
    )
    assert "orphaned: web-0, web-1, web-2, web-3" in _deletion_reason(result)
    assert "under way" not in render_text(result)
    assert result.count("fail") == 0
