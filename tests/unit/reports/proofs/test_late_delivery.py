"""Changes the watch delivered late (a stalled recorder, no gap): a hold they end and the
latencies they close are told as late, by the API server's creationTimestamp of a pod in the
same burst; a recorder clock off the API server's, or a kubelet's late status write, is not."""

from pathlib import Path

from stswatch.reports.proofs.verdict import EpisodeResult, VerifyResult
from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import web_set

LATE = "delivered late by the watch"


def _scale_up(*, stall_s: int, create_in_stall: bool, skew_s: int = 0) -> ClusterBuilder:
    """web 3→5: web-3 Running, then the recorder stalls `stall_s` s (web-3 Ready and, when
    `create_in_stall`, web-4 created and started inside it) and gets the stalled changes in one
    burst; every receive time `skew_s` s ahead of the API server's clock."""
    b = web_set(replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.set_spec("web", replicas=5)
    b.pvc("data-web-3")
    b.create_pod("web", 3)
    b.schedule("web-3")
    b.run("web-3")
    stalled = len(b.rows)
    b.tick(1500)
    b.ready("web-3")
    if create_in_stall:
        b.pvc("data-web-4")
        b.create_pod("web", 4)
        b.start_pod("web-4")
    burst_ns = b.now_ns + stall_s * 10**9
    for offset, row in enumerate(b.rows[stalled:]):
        row.received_wall_ns = burst_ns + offset * 1000
    b.now_ns = burst_ns + 10**6
    if not create_in_stall:
        b.pvc("data-web-4")
        b.bring_up("web", 4, with_claim=False)
    for row in b.rows:
        row.received_wall_ns += skew_s * 10**9
    return b


def _episode(result: VerifyResult) -> EpisodeResult:
    return [e for e in result.episodes if e.kind == "scale-up"][-1]


def test_a_hold_released_by_a_late_burst_says_so(tmp_path: Path) -> None:
    result = verify(_scale_up(stall_s=8, create_in_stall=True).write(tmp_path / "s.db"))
    episode = _episode(result)
    assert episode.progress is not None
    assert "until web-3 Ready (its Ready condition's lastTransitionTime reads" in (
        episode.progress.text
    )
    assert f"{LATE}: web-4's creation came in the same burst, 8." in episode.progress.text
    phases = {p.phase for p in episode.latency}
    assert "running→ready" not in phases  # web-3's and web-4's Ready both came in the burst
    assert not result.failed


def test_a_recorder_clock_ahead_of_the_api_servers_is_no_late_delivery(tmp_path: Path) -> None:
    """Every change received 30 s after its stamps: the skew is the set's usual lag, not late."""
    b = _scale_up(stall_s=0, create_in_stall=True, skew_s=30)
    episode = _episode(verify(b.write(tmp_path / "s.db")))
    assert episode.progress is not None
    assert LATE not in episode.progress.text
    assert "running→ready" in {p.phase for p in episode.latency}


def test_a_late_ready_with_no_creation_beside_it_is_as_recorded(tmp_path: Path) -> None:
    """Only web-3's Ready arrives late: a kubelet may stamp its status seconds before writing
    it, and the controller sees the turn only then, so the hold is told as recorded."""
    b = _scale_up(stall_s=8, create_in_stall=False)
    episode = _episode(verify(b.write(tmp_path / "s.db")))
    assert episode.progress is not None
    assert "held at web-3" in episode.progress.text
    assert LATE not in episode.progress.text
    assert "lastTransitionTime" not in episode.progress.text
