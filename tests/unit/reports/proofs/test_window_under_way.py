"""A window opening while a set still works on a spec changed before it (cases30, cases31:
kwok, the real controller). The window brings the set's previous generation only so that the
change reads as one; what was under way when it began is read against the spec then in force,
never against the older one (break10 P3)."""

from pathlib import Path

import pytest

from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.render import render_text
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.window import Moment, WindowRequest, parse_moment
from tests.fixtures.real import real_store
from tests.fixtures.verdicts import web_set


def _window(tmp_path: Path, store: str, session: str, since: str) -> VerifyResult:
    request = WindowRequest(since=parse_moment(since))
    return analyse(real_store(tmp_path, store), session, window=request).result


def _headers(result: VerifyResult) -> list[str]:
    return [f"{e.kind} · {e.summary}" for e in result.episodes]


@pytest.mark.parametrize(
    ("store", "session", "since", "condemned", "took"),
    [
        # 5→1 cut by a scale to 3 before the window: web-3 condemned and terminating, web-2 kept
        (
            "cases30",
            "b322-scale-back-short-of-condemned-orderedready",
            "2026-12-08T02:36:14.62Z",
            "4→3",
            "0.3",
        ),
        # web-3 gone 0.07 s after --since, 3 ms after the window's first change
        (
            "cases30",
            "b322-scale-back-short-of-condemned-orderedready",
            "2026-12-08T02:36:14.865Z",
            "4→3",
            "0.1",
        ),
        (
            "cases30",
            "b330-scale-back-short-when-scaled-orderedready",
            "2026-12-08T02:41:09.60Z",
            "4→3",
            "0.7",
        ),
        (
            "cases31",
            "b322-scale-back-short-of-condemned-parallel",
            "2026-12-08T02:36:23.85Z",
            "5→3",
            "1.7",
        ),
    ],
)
def test_a_scale_down_left_condemned_is_read_against_the_spec_in_force(
    tmp_path: Path, store: str, session: str, since: str, condemned: str, took: str
) -> None:
    result = _window(tmp_path, store, session, since)
    text = render_text(result)
    # counted from --since, not from the spec change before it
    assert f"completed {took} s after the window began (it began earlier, unseen)" in text
    assert f"web: scale-down {condemned} under way when the window began" in text
    assert "web: scale-up 1→3" in text
    # the spec before the scale to 3 (replicas 1) condemned web-2 and web-1: it was not in force
    assert "→1 under way" not in text
    assert "delete web-2" not in text
    assert "delete web-1" not in text
    assert "web-3 was already being deleted when the window began" in text
    assert result.count("fail") == 0


@pytest.mark.parametrize(
    ("store", "session", "since"),
    [
        ("cases30", "b323-scale-down-cut-by-scale-down-orderedready", "2026-12-08T02:36:39.95Z"),
        ("cases31", "b323-scale-down-cut-by-scale-down-parallel", "2026-12-08T02:36:50.26Z"),
    ],
)
def test_a_scale_down_changed_before_the_window_is_the_one_under_way(
    tmp_path: Path, store: str, session: str, since: str
) -> None:
    """5→3, 0.3 s later →1, before the window: the scale-down to 1 is under way; no episode
    under the replicas 3 before it (one 'completed 0.0 s after the window began')."""
    result = _window(tmp_path, store, session, since)
    downs = [e for e in result.episodes if e.kind == "scale-down"]
    assert [e.summary.split(" (")[0] for e in downs] == ["web: scale-down 3→1"]
    assert "under way" not in render_text(result)
    assert result.count("fail") == 0


def test_a_scale_down_a_rollout_cut_is_under_way_from_the_window_start(tmp_path: Path) -> None:
    """b303 (cases28), --since after the template change that cut the scale-down 5→2: the change
    kept the range, web-4 terminating and web-3, web-2 condemned when the window began; the
    scale-down is told from there, its deletions in order, beside the rollout."""
    result = _window(
        tmp_path,
        "cases28",
        "b303-rollout-restart-mid-scale-down-orderedready",
        "2026-12-08T02:15:14.5Z",
    )
    assert _headers(result) == [
        "rolling-update · web: rolling update (template changed, partition 0)",
        "scale-down · web: scale-down 5→2 under way when the window began (OrderedReady: pods "
        "outside the range at the first list)",
    ]
    down = result.episodes[1]
    assert down.progress is not None
    assert down.progress.text == (
        "completed 1.9 s after the window began (it began earlier, unseen)"
    )
    [verdict] = [v for v in down.verdicts if v.proof == "reverse-order-scale-down"]
    assert verdict.reason.endswith(
        "the window alone shows pass: deleted from the highest ordinal down, each after the "
        "previous was gone: web-3, web-2; web-4 was already being deleted when the window began, "
        "so it needed no deletion of its own"
    )


def test_a_rollout_a_scale_down_cut_is_under_way_from_the_window_start(tmp_path: Path) -> None:
    """b344 (cases30), --since 02:53:52.038, after the scale 5→4 that cut the rollout: the
    rollout under way then is told from there in the range 0..3, its replacements in order, not
    as recreations outside any update; the older spec's episode, before the change, holds none
    of the pods listed after it (it told 'next step: create web-3', web-3 being there)."""
    result = _window(
        tmp_path,
        "cases30",
        "b344-scale-down-mid-rollout-when-scaled-orderedready",
        "2026-12-08T02:53:52.038Z",
    )
    kinds = [e.kind for e in result.episodes]
    assert kinds == ["scale-down", "rolling-update"]
    rollout = result.episodes[1]
    assert rollout.summary.startswith("web: rolling update under way when the window began")
    [verdict] = [v for v in rollout.verdicts if v.proof == "rolling-update"]
    assert (
        "the window alone shows pass: the controller replaced from the highest ordinal down to "
        "partition 0: web-2, web-1, web-0; completed 8.8 s after the window began"
    ) in verdict.reason
    assert "the recording began" not in render_text(result)
    assert "next step: create web-3" not in render_text(result)
    assert result.count("fail") == 0


def test_a_window_on_a_whole_session_finds_what_it_did(tmp_path: Path) -> None:
    """A window from before the first change reads the session whole: the same episodes."""
    path = real_store(tmp_path, "cases30")
    session = "b322-scale-back-short-of-condemned-orderedready"
    whole = analyse(path, session).result
    request = WindowRequest(since=Moment("start", wall_ns=0))
    assert _headers(analyse(path, session, window=request).result) == _headers(whole)


def test_a_set_deleted_before_the_window_shows_nothing_under_way_by_its_spec(
    tmp_path: Path,
) -> None:
    """A scale 5→1 cut by a scale to 3 while web-4 terminates, then the set deleted, all before
    the window: its pods go with it (the set's deletion), no scale-down under way by its spec."""
    b = web_set(replicas=5)
    for ordinal in range(5):
        b.bring_up("web", ordinal)
    b.set_spec("web", replicas=1)
    b.terminate("web-4")
    b.set_spec("web", replicas=3)
    sts = b.get("StatefulSet", "web")
    sts["metadata"]["deletionTimestamp"] = b.stamp()
    b.emit("StatefulSet", sts, "MODIFIED")
    b.tick(1000)
    since = b.now_ns
    for ordinal in (4, 3, 2, 1, 0):
        b.remove(f"web-{ordinal}")
    b.stop(after_ms=1000)
    b.write(tmp_path / "s.db")
    request = WindowRequest(since=Moment("since", wall_ns=since))
    result = analyse(tmp_path / "s.db", "s1", window=request).result
    assert [e.kind for e in result.episodes if e.summary.find("under way") >= 0] == []
    assert "statefulset-deleted" in [e.kind for e in result.episodes]
