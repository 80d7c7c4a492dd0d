"""Verdicts of a window (`--since/--until`): one whose evidence lies partly outside it says so.

A window's recording opens on the state rebuilt at `since` and stops at `until`
(`stswatch.reports.window_reader`). A verdict is inconclusive, with the window as its cause
(`Verdict.missing` "window"), and never fails, when its episode began before the window (its
trigger is in the rebuilt state), when it cites a change from before the window, or when its
episode was still open when the window ended before the session did (an episode that completed
inside the window keeps its passes and failures: their evidence is all inside). Not-applicable
verdicts too: what made them so may lie outside the window. What the window alone shows is
kept in its reason ("the window alone shows pass: …"), never as the session's verdict.
"""

from dataclasses import replace

from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.progress import episode_progress
from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.recording import Window
from stswatch.reports.window import stamp

WINDOW = "window"


def with_window(
    ctx: ProofContext, verdict: Verdict | None, window: Window | None
) -> Verdict | None:
    """The verdict, or an inconclusive one naming the window edge its evidence crosses."""
    if verdict is None or window is None:
        return verdict
    edge = _episode_edge(ctx, window, verdict) or _evidence_edge(verdict, window)
    if edge is None and verdict.missing == "recording-end" and window.cut_after:
        edge = f"the window ends at {stamp(window.until_ns)} (--until), before the session did"
    if edge is None:
        return verdict
    # What the window alone shows, not what the whole session would: the evidence outside it
    # (the deletions before it, say) is not read.
    # The window's reading began at --since: what began with that reading began with the window.
    alone = verdict.reason.replace("the recording began", "the window began")
    reason = f"{edge}; the window alone shows {verdict.outcome}: {alone}"
    return replace(verdict, outcome="inconclusive", reason=reason, missing=WINDOW)


def _episode_edge(ctx: ProofContext, window: Window, verdict: Verdict) -> str | None:
    """Why the episode is cut by the window, if it is: it began before it, or it reaches its end
    (an episode completed inside the window keeps its passes and failures: its evidence is all
    inside; what it did not decide stays open)."""
    key = "window-edge"
    if key not in ctx.memo:
        ctx.memo[key] = _cut(ctx, window)
    found = ctx.memo[key]
    if not isinstance(found, tuple):
        return None
    edge, completed = found
    return None if completed and verdict.outcome in ("pass", "fail") else str(edge)


def _cut(ctx: ProofContext, window: Window) -> tuple[str, bool] | None:
    """(why, whether the episode completed) when the window cuts the episode, else None."""
    episode = ctx.episode
    trigger = ctx.changes[episode.trigger_change_id]
    if window.cut_before and (
        trigger.id in window.seeded or trigger.received_wall_ns < window.since_ns
    ):
        return (
            f"the episode began before the window (--since {stamp(window.since_ns)}): its start "
            f"is in the state rebuilt at the window's start (change #{trigger.id})",
            False,
        )
    reaches_end = episode.end_rank >= len(ctx.ids_by_rank)
    if window.cut_after and reaches_end:
        state = episode_progress(ctx).state
        how = f" ({state})" if state in ("halted", "progressing") else ""
        if state == "completed":
            how = ", though completed,"
        return (
            f"the episode was still open{how} when the window ended at "
            f"{stamp(window.until_ns)} (--until), before the session did: what followed could "
            "change this verdict",
            state == "completed",
        )
    return None


def _evidence_edge(verdict: Verdict, window: Window) -> str | None:
    """Why the verdict's own evidence crosses the window's start, if it does."""
    if not window.cut_before:
        return None
    before = [e for e in verdict.evidence if e.received_wall_ns < window.since_ns]
    if not before:
        return None
    return (
        f"it cites change #{before[0].change_id} from before the window (--since "
        f"{stamp(window.since_ns)}), read from the state rebuilt at its start"
    )
