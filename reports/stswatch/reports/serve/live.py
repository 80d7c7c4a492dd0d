"""A session being recorded, as `serve` shows it: which episodes are still under way.

`verify` decides an episode from what was recorded up to now; while a recorder still writes the
session, an episode that has not completed (or completed less than the settle window ago) may
yet change, so its verdicts read "live" (inconclusive, cause `live`) until it has, and its open
holds are told as lasting "so far". A session no recorder holds is shown exactly as `verify`
decides it.
"""

from dataclasses import dataclass, replace

from stswatch.reports.proofs.context import SETTLE_S
from stswatch.reports.proofs.holds import hold_clause
from stswatch.reports.proofs.verdict import EpisodeResult, Verdict, VerifyResult

# A recorder refreshes its claim with every commit and every 5 s when idle; one not heard of for
# this long is gone (the recorder's own takeover rule, `stswatch.record.holder`).
RECORDER_SILENT_NS = 30 * 10**9
_UNDER_WAY = ("halted", "progressing")


@dataclass(frozen=True)
class LiveView:
    """A verification as shown while recording: its under-way episodes' verdicts read live."""

    result: VerifyResult
    recording: bool  # a recorder writes the session now
    live_episodes: tuple[int, ...]  # indexes of the episodes still under way
    holds: tuple[str, ...]  # the open holds of those episodes, 'halted at web-2 … so far'


def recording_now(heard_wall_ns: int | None, *, now_wall_ns: int) -> bool:
    """Whether a recorder was heard writing the session recently enough to be recording it."""
    return heard_wall_ns is not None and now_wall_ns - heard_wall_ns <= RECORDER_SILENT_NS


def live_view(result: VerifyResult, *, recording: bool, now_wall_ns: int) -> LiveView:
    """`result` with the verdicts of episodes still under way read live (when `recording`)."""
    if not recording:
        return LiveView(result, False, (), ())
    under_way = tuple(e for e in result.episodes if _under_way(e, now_wall_ns=now_wall_ns))
    indexes = {e.index for e in under_way}
    episodes = tuple(_live(e) if e.index in indexes else e for e in result.episodes)
    return LiveView(
        replace(result, episodes=episodes),
        True,
        tuple(sorted(indexes)),
        tuple(_holds_so_far(under_way, now_wall_ns=now_wall_ns)),
    )


def _under_way(episode: EpisodeResult, *, now_wall_ns: int) -> bool:
    progress = episode.progress
    if progress is not None and progress.state in _UNDER_WAY:
        return True
    return now_wall_ns - episode.end_wall_ns < SETTLE_S * 1e9


def _live(episode: EpisodeResult) -> EpisodeResult:
    where = f" ({episode.progress.text})" if episode.progress and episode.progress.text else ""
    return replace(
        episode,
        verdicts=tuple(
            _live_verdict(v, f"live: decided when the episode completes{where}")
            for v in episode.verdicts
        ),
    )


def _live_verdict(verdict: Verdict, reason: str) -> Verdict:
    return replace(verdict, outcome="inconclusive", reason=reason, missing="live", gap=None)


def _holds_so_far(episodes: tuple[EpisodeResult, ...], *, now_wall_ns: int) -> list[str]:
    lines = []
    for episode in episodes:
        for hold in episode.progress.holds if episode.progress else ():
            if hold.to_wall_ns is None:
                lasted = replace(hold, seconds=max(0.0, (now_wall_ns - hold.from_wall_ns) / 1e9))
                lines.append(f"{episode.statefulset}: {hold_clause(lasted)} so far")
    return lines
