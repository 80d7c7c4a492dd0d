"""A template change reverted within the informer's lag (cases27, kwok, the real controller):
b155. A client changes the template app:1→app:2 and back 29 ms later; under Parallel the
controller's sync, its cache not yet showing the revert, creates app:2's revision and deletes
web-2 for it (its status right after observed generation 2), then the rollback recreates web-2
at app:1's revision. The episode of app:2 was observed and acted on, just after it ended."""

from pathlib import Path

from stswatch.reports.proofs.verdict import EpisodeResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite

SESSION = "b155-template-revert-within-lag-parallel"
STATUS_AFTER = 2260  # the status the deleting sync wrote: observedGeneration 2


def _episodes(path: Path) -> list[EpisodeResult]:
    return list(verify(load_recording(path, SESSION)).episodes)


def test_the_spec_replaced_within_the_lag_was_observed_and_acted_on(tmp_path: Path) -> None:
    episodes = _episodes(real_store(tmp_path, "cases27"))
    update = next(e for e in episodes if e.summary.endswith("(template changed, partition 0)"))
    assert update.progress is not None
    assert update.progress.text.startswith(
        "did not complete within the episode (the next episode began): the controller had "
        "observed it; web-2 was deleted 0.0 s after this episode ended (#2257), in the next one's "
        f"window, by the sync that read this spec (its status right after, #{STATUS_AFTER}, "
        "observed generation 2): a sync that read the spec before the next change reached the "
        "controller's informer cache"
    )
    assert not any(
        "has not yet observed" in (e.progress.text if e.progress else "") for e in episodes
    )
    recreated = next(e for e in episodes if e.kind == "pod-recreated")
    assert (
        "for the update: it was at revision web-67c9cbf9b4, behind the update revision "
        f"web-695d6f6c of the spec its sync read (generation 2: its status right after, "
        f"#{STATUS_AFTER}, observed it; updateStatefulSetStatus), a spec changed since"
    ) in recreated.summary
    rolling = [v for v in update.verdicts if v.proof == "rolling-update"]
    assert rolling[0].reason.count("web-2 was deleted 0.0 s after this episode ended") == 1


def test_with_no_status_proving_the_read_the_spec_is_not_said_observed(tmp_path: Path) -> None:
    """The same recording, edited: the status right after web-2's deletion observed generation 3
    (the revert), so nothing shows the sync read app:2's spec: not "had observed it"."""
    path = real_store(tmp_path, "cases27")
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.status.observedGeneration', 3) "
        "WHERE id = ?",
        STATUS_AFTER,
    )
    episodes = _episodes(path)
    texts = [e.progress.text for e in episodes if e.progress is not None]
    assert not any("had observed it" in t for t in texts)
    assert not any("of the spec its sync read" in e.summary for e in episodes)
