"""The verification side of a timeline: episode bands with their holds, verdicts, latencies.

Adapts `stswatch.reports.proofs.verdict` (what `verify` decided) to the view model the renderers
draw.
"""

from collections.abc import Callable

from stswatch.reports.frozen import builder
from stswatch.reports.proofs.explain import hold_text, missing_cause, why_inconclusive
from stswatch.reports.proofs.verdict import EpisodeResult, Evidence, Hold, MarkRef, VerifyResult
from stswatch.reports.timeline.model import (
    Band,
    EvidenceLink,
    EvidenceLinks,
    HeldStretch,
    MarkCite,
    Quantiles,
    VerdictView,
)

Clock = Callable[[int], float]  # recorder wall-clock ns to seconds from the session's start
_OUTCOME_LABELS = {"not-applicable": "n-a"}


def episode_bands(episodes: tuple[EpisodeResult, ...], clock: Clock) -> tuple[Band, ...]:
    """A band per episode, with its progress line and held stretches."""
    return tuple(_band(e, clock) for e in episodes)


def set_episodes(result: VerifyResult | None, set_name: str | None) -> tuple[EpisodeResult, ...]:
    """The episodes of the drawn StatefulSet (all of them when none is chosen)."""
    if result is None:
        return ()
    return tuple(e for e in result.episodes if set_name is None or e.statefulset == set_name)


def _band(episode: EpisodeResult, clock: Clock) -> Band:
    start, end = clock(episode.start_wall_ns), clock(episode.end_wall_ns)
    progress = episode.progress
    return Band(
        episode.kind,
        start,
        end,
        episode.summary,
        index=episode.index,
        state=progress.state if progress else "",
        progress=progress.text if progress else "",
        holds=tuple(_held(h, clock, end) for h in progress.holds) if progress else (),
    )


def _held(hold: Hold, clock: Clock, episode_end: float) -> HeldStretch:
    """A still-held hold is drawn for as long as it says it lasted (to the next episode or the
    recording's end), not only to the episode's last change."""
    start = clock(hold.from_wall_ns)
    end = max(episode_end, start + hold.seconds) if hold.to_wall_ns is None else None
    return HeldStretch(
        pod=hold.pod,
        cause=hold.cause,
        start=start,
        end=end if end is not None else clock(hold.to_wall_ns or 0),
        open_end=hold.to_wall_ns is None,
        text=hold_text(hold),
        change_ids=tuple(e.change_id for e in hold.evidence),
    )


def _episode_label(episode: EpisodeResult) -> str:
    return f"#{episode.index} {episode.kind}"


def verdict_views(episodes: tuple[EpisodeResult, ...], clock: Clock) -> tuple[VerdictView, ...]:
    """Every verdict of `episodes` as the report lists it, inconclusive ones with their cause."""

    def link(e: Evidence) -> EvidenceLink:
        return _link(e.change_id, clock(e.received_wall_ns), f"{e.name}: {e.note}")

    return tuple(
        VerdictView(
            name=f"{verdict.proof} ({_episode_label(episode)})",
            outcome=_OUTCOME_LABELS.get(verdict.outcome, verdict.outcome),
            reason=verdict.reason,
            missing=missing_cause(verdict) if verdict.outcome == "inconclusive" else "",
            why=why_inconclusive(verdict) if verdict.outcome == "inconclusive" else "",
            evidence=EvidenceLinks(verdict.evidence, link, [e.change_id for e in verdict.evidence]),
            marks=tuple(_mark_cite(m, clock) for m in verdict.marks),
        )
        for episode in episodes
        for verdict in episode.verdicts
    )


_link = builder(EvidenceLink)  # every field, in order (hot: 124,000 links at 10,000 pods)


def _mark_cite(mark: MarkRef, clock: Clock) -> MarkCite:
    step = f"step {mark.step}: " if mark.step is not None else ""
    return MarkCite(mark.mark_id, clock(mark.received_wall_ns), f"{step}{mark.label}: {mark.note}")


def latencies(episodes: tuple[EpisodeResult, ...]) -> tuple[Quantiles, ...]:
    """Each episode's latency rows, in seconds."""
    return tuple(
        Quantiles(
            episode=_episode_label(episode),
            phase=row.phase,
            count=row.count,
            p50=row.p50_ms / 1000,
            p95=row.p95_ms / 1000,
            p99=row.p99_ms / 1000,
            max=row.max_ms / 1000,
        )
        for episode in episodes
        for row in episode.latency
    )
