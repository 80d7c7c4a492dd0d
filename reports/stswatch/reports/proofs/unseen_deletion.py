"""Pods a list found already terminating: their deletion began before the reading did.

A list (the recording's first, or the state rebuilt at a window's start,
`stswatch.reports.window_reader`) shows a pod as its last change before the reading began, ranked
there; a pod terminating then was deleted earlier, at a moment and by a deleter (no Event, no
change of it in the reading) the reading does not show. Such a deletion is told as seen, never
as one of the episode's own.
"""

from collections.abc import Sequence

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.proofs.context import ProofContext


def listed_terminating(pod: PodIncarnation) -> bool:
    """True when the pod was already terminating when the list found it."""
    began = pod.deletion_began
    return (
        pod.first_observed == "list"
        and began is not None
        and began.change_id == pod.created.change_id
    )


def reading(ctx: ProofContext) -> str:
    """What began with the reading: 'the window' (--since), else 'the recording'."""
    return "the window" if ctx.read_from_ns is not None else "the recording"


def none_begun(ctx: ProofContext, pods: Sequence[PodIncarnation]) -> str:
    """'no condemned pod's deletion began after the window began' when the list found `pods`
    terminating (else ''): not 'none deleted in the episode', which may have deleted them
    itself before the reading began."""
    return f"no condemned pod's deletion began after {reading(ctx)} began" if pods else ""


def already_deleting(ctx: ProofContext, pods: Sequence[PodIncarnation]) -> str:
    """'; web-0, web-1 were already being deleted when the window began (their deletions began
    before it: when, and by whom, it does not show)'."""
    if not pods:
        return ""
    began = reading(ctx)
    names = ", ".join(p.name for p in pods)
    if len(pods) == 1:
        return (
            f"; {names} was already being deleted when {began} began (its deletion began before "
            "it: when, and by whom, it does not show)"
        )
    return (
        f"; {names} were already being deleted when {began} began (their deletions began "
        "before it: when, and by whom, it does not show)"
    )
