"""Controller Events written late (cases22, kwok, the real controller): a second set's 200
creations throttle the controller-manager's client, and web's SuccessfulDelete Events reach the
API server 5 to 8 s after the controller recorded them (their lastTimestamp). An Event is matched
to the action it reports by its own time when it was written that late, never by arrival only."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite

SCALE_DOWN = "b279-condemned-delete-throttled-orderedready"


def test_a_late_written_delete_event_stays_with_its_deletion(tmp_path: Path) -> None:
    """b279: web's scale-down 5→3 deletes web-4 at once; its SuccessfulDelete Event (#4760,
    lastTimestamp 23:15:29Z) arrives 8.4 s later. web-4 was the controller's, not a client's."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, SCALE_DOWN))
    scale_down = next(e for e in result.episodes if e.kind == "scale-down")
    reverse = next(v for v in scale_down.verdicts if v.proof == "reverse-order-scale-down")
    assert reverse.outcome == "pass"
    assert reverse.reason.startswith(
        "deleted from the highest ordinal down, each after the previous was gone: web-4, web-3"
    )
    assert "by a client" not in reverse.reason


def test_a_rollouts_late_written_event_keeps_its_replacement(tmp_path: Path) -> None:
    """b280: no client at all; the update step's DELETE of web-2 and its Event are throttled."""
    path = real_store(tmp_path, "cases22")
    result = verify(load_recording(path, "b280-rollout-events-throttled-orderedready"))
    rollout = next(v for v in result.verdicts if v.proof == "rolling-update")
    assert "to partition 0: web-2, web-1, web-0;" in rollout.reason
    assert "by a client" not in rollout.reason


def test_an_event_stamped_long_after_the_deletion_is_not_its_own(tmp_path: Path) -> None:
    """The same recording, edited: the Event's own time is 30 s after web-4's deletion too, so
    it reports some later deletion of a web-4: the one recorded was a client's."""
    path = real_store(tmp_path, "cases22")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.lastTimestamp', '2026-12-07T23:16:00Z',"
        " '$.firstTimestamp', '2026-12-07T23:16:00Z') WHERE id = 4760",
    )
    result = verify(load_recording(path, SCALE_DOWN))
    scale_down = next(e for e in result.episodes if e.kind == "scale-down")
    reverse = next(v for v in scale_down.verdicts if v.proof == "reverse-order-scale-down")
    assert "web-4 was deleted by a client" in reverse.reason
