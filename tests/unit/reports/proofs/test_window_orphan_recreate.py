"""Windows of a StatefulSet deleted with Orphan and created again (cases37, the real controller).
b367: the new set (#1724, another template) adopted web-0..2 and rolled them (web-2, web-1,
web-0); a window opening mid-rollout lists the pods at their last change before it, after the
set's creation, yet the set's first episode is the rollout of the pods it adopted, not a
scale-up 0→3."""

from pathlib import Path

import pytest

from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.render import render_text
from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.window import WindowRequest, parse_moment
from tests.fixtures.real import real_store, relocate, stamp_deletion

ADOPTED = "b367-orphan-recreate-other-service-orderedready"


def _window(path: Path, session: str, since: str) -> VerifyResult:
    return analyse(path, session, window=WindowRequest(since=parse_moment(since))).result


def _rolling_reason(result: VerifyResult) -> str:
    [verdict] = [v for v in result.verdicts if v.proof == "rolling-update"]
    return verdict.reason


def test_a_window_mid_rollout_reads_the_adopted_pods_rollout(tmp_path: Path) -> None:
    """--since 05:19:57: web-2 replaced, web-1's replacement Running, web-0 to go (main told
    'scale-up 0→3' and ran no rolling-update verdict)."""
    result = _window(real_store(tmp_path, "cases37"), ADOPTED, "2026-12-08T05:19:57Z")
    assert [f"{e.kind} · {e.summary}" for e in result.episodes] == [
        "rolling-update · web: rolling update of the pods it adopted (their revision is another "
        "template's, partition 0)"
    ]
    assert _rolling_reason(result).endswith(
        "the window alone shows pass: the controller replaced from the highest ordinal down to "
        "partition 0: web-0; completed within the episode in 5.2 s"
    )
    assert "scale-up" not in render_text(result)


def test_a_deletion_before_the_replacement_was_ready_shows_in_the_window(tmp_path: Path) -> None:
    """Edited (break11's e1-b367): web-0's deletion (#1777, its Event #1778) moved to 05:19:57.5,
    deletionTimestamp 05:19:59Z, before web-1's replacement was Ready (#1773, 05:19:58.18). The
    whole session fails it; the window, whose episode began before it, says the window alone
    shows that failure (it showed no rolling-update verdict, 0 fail)."""
    path = real_store(tmp_path, "cases37")
    relocate(path, (1777, 3475, 1796707197500000000), (1778, 3476, 1796707197510000000))
    stamp_deletion(path, 1777, "2026-12-08T05:19:59Z")
    whole = analyse(path, ADOPTED).result
    assert _rolling_reason(whole) == "web-0 was deleted while the replacement web-1 was not Ready"
    assert whole.count("fail") == 1
    reason = _rolling_reason(_window(path, ADOPTED, "2026-12-08T05:19:57Z"))
    assert (
        "the window alone shows fail: web-0 was deleted for the update while web-1, above it, "
        "was not Ready" in reason
    )


HELD = "b362-orphan-recreate-other-selector-orderedready"
_NAME_TAKEN = (
    "held at web-0 (name taken by the pod web-0, an orphan the set did not adopt: its label "
    "gen=1 does not match the selector app=web, gen=2 (ClaimPods adopts only the pods the "
    "selector matches)) for {held}, until web-0 deleted by a client"
)


@pytest.mark.parametrize(
    ("session", "since", "held"),
    [
        (HELD, "2026-12-08T05:15:12Z", "8.9 s"),
        (HELD, "2026-12-08T05:15:16Z", "8.9 s"),
        ("b362-orphan-recreate-other-selector-parallel", "2026-12-08T05:15:38Z", "9.4 s"),
    ],
)
def test_a_window_tells_the_orphan_holding_the_name(
    tmp_path: Path, session: str, since: str, held: str
) -> None:
    """b362: the set deleted with Orphan, created again (#719) with the selector gen=2; the
    orphans (gen=1) are listed at the window's start without an ownerReference. The window
    knows them as the earlier set's pods from their last change under it: the name web-0 was
    taken until a client deleted it (#730), as the whole session says (main told 'the
    controller took its next step only 10.3 s after the rules allowed it, with nothing recorded
    to hold it'), and the client's deletions of the orphans (#722, #727, #746)."""
    result = _window(real_store(tmp_path, "cases37"), session, since)
    text = render_text(result)
    assert _NAME_TAKEN.format(held=held) in text
    assert "with nothing recorded to hold it" not in text
    assert "after the rules allowed it" not in text
    [deletion] = [v for v in result.verdicts if v.proof == "statefulset-deletion"]
    assert deletion.reason.endswith(
        "orphaned (deleted with --cascade=orphan), not removed; afterwards web-0, web-1, web-2 "
        "deleted by a client"
    )
    assert result.count("fail") == 0


def test_the_whole_session_tells_the_same(tmp_path: Path) -> None:
    """The words the windows above now share with the whole session."""
    result = analyse(real_store(tmp_path, "cases37"), HELD).result
    assert _NAME_TAKEN.format(held="8.9 s") in render_text(result)
    [deletion] = [v for v in result.verdicts if v.proof == "statefulset-deletion"]
    assert deletion.reason.endswith("afterwards web-0, web-1, web-2 deleted by a client")


def test_a_window_mid_rollout_names_the_reused_revision(tmp_path: Path) -> None:
    """cases8 b42: the set deleted with Orphan mid-rollout and created again (#534) with the
    older template, whose ControllerRevision web-67c9cbf9b4 it adopted and reused; web-2 was
    replaced before the window, web-1 (#567) in it. The revision is listed after the set's
    creation, older than it by its creationTimestamp (main told 'scale-up 0→3' and web-1's
    replacement as a pod-recreated)."""
    path = real_store(tmp_path, "cases8")
    result = _window(
        path, "b42-orphan-mid-rollout-readopt-old-orderedready", "2026-12-07T07:10:16.5Z"
    )
    assert [f"{e.kind} · {e.summary}" for e in result.episodes] == [
        "rolling-update · web: rolling update of the pods it adopted to revision web-67c9cbf9b4 "
        "(an earlier set's ControllerRevision it adopted and reused for its template: "
        "getStatefulSetRevisions; partition 0)"
    ]
    assert _rolling_reason(result).endswith(
        "the window alone shows pass: the controller replaced from the highest ordinal down to "
        "partition 0: web-1; completed within the episode in 3.5 s"
    )


def test_one_pod_listed_is_told_in_the_singular(tmp_path: Path) -> None:
    """cases8 b43: a foreground deletion of the set, web-0 held by a finalizer; the window opens
    with that one pod of the set there (main: '1 of its pods were there')."""
    result = _window(
        real_store(tmp_path, "cases8"),
        "b43-foreground-delete-held-by-finalizer-orderedready",
        "2026-12-07T07:11:09.489504Z",
    )
    assert result.episodes[0].summary.endswith(
        "(its deletion began before the window; its pod was there when the window began)"
    )
