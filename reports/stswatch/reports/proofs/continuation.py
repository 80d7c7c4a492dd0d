"""A rolling update cut by another episode (a scale-down or -up, an ordinals.start shift) that
goes on.

The controller keeps no "rollout" of its own: every sync compares each in-range pod with the
update revision (`updateStatefulSet`). So when a scale-down cuts a rollout halfway, the same
sync that finished the condemned pods goes on replacing the pods still behind the update
revision in the smaller range (after a scale-up, once the missing ordinals exist), until the
template changes again. Those replacements happen in
other episodes' windows; here they are told as the rollout's own, with how it ended.
"""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from operator import attrgetter

from stswatch.reports import causes
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.statefulsets import SpecVersion
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.verdict import Evidence

_RANK = attrgetter("rank")
# SpecVersion.changed's field names as a user reads them
FIELD_WORDS = {"template_hash": "template", "min_ready_seconds": "minReadySeconds"}


@dataclass(frozen=True)
class Continuation:
    """What the rollout did after its episode ended: a clause and its evidence."""

    text: str
    evidence: tuple[Evidence, ...]
    # (old pod, its deletion's beginning, the pod created in its place) in the order deleted
    steps: tuple["Step", ...] = ()


def went_on(ctx: ProofContext) -> Continuation | None:
    """The rollout's replacements after its episode ended (before the template changed again),
    and whether it then completed or halted; None when it replaced nothing more."""
    episode = ctx.episode
    found = ctx.memo.get("went_on", False)
    if found is not False:
        return found  # type: ignore[return-value]
    ctx.memo["went_on"] = None
    total = len(ctx.life.ordering.rank)
    if (
        episode.kind != "rolling-update"
        or episode.spec.update_strategy != "RollingUpdate"
        or episode.end_rank >= total
    ):
        return None
    target = ctx.update_revision()
    if target is None:
        return None
    sts = episode.statefulset
    stop = next(
        (s.rank for s in sts.specs if s.rank >= episode.end_rank and _new(s, episode.spec)), total
    )
    began = sts.deletion_began
    gone = began.rank if began is not None else total
    stop = min(stop, gone)
    steps = _replaced_after(ctx, target, episode.end_rank, stop)
    if not steps:
        return None
    cited: list[Evidence] = []
    told = []
    for old, began, new in steps:
        cited.append(ctx.cite_step(old, began, f"{old.name} ({old.revision}) deletion began"))
        where = f"deleted for the update #{began.change_id}"
        if new is not None:
            cited.append(ctx.cite_step(new, new.created, f"{new.name} ({new.revision}) created"))
            where += f", created again at {new.revision} #{new.created.change_id}"
        told.append(f"{old.name} ({where})")
    end, end_cited = _ended(ctx, steps, target, stop, total)
    cited += end_cited
    before, after = episode.spec, sts.spec_at(stop - 1)
    where = ""
    if (before.start_ordinal, before.replicas) != (after.start_ordinal, after.replicas):
        where = f" in the range {_range(after)}"
        out = _condemned_behind(ctx, target, after)
        if out:
            where += f" ({out} condemned instead of updated)"
    text = (
        f"; after {cut_by(ctx)} the rollout went on{where}: replaced {', '.join(told)}, then {end}"
    )
    result = Continuation(text, tuple(cited), tuple(steps))
    ctx.memo["went_on"] = result
    return result


def scale_down_went_on(ctx: ProofContext, pod: PodIncarnation, step: Transition) -> bool:
    """True when `pod`, condemned by this scale-down, was deleted at `step` after its episode
    ended while every spec since kept it condemned without condemning more (the same start
    ordinal, no fewer replicas: a template or partition change cut the episode, or a scale-up
    that did not reach it) and the set was not being deleted: the scale-down went on, as
    `processCondemned` runs on every sync before any update step. A later scale-down condemning
    more is an episode of its own, which judges the deletions it made."""
    episode = ctx.episode
    sts = episode.statefulset
    began = sts.deletion_began
    if (began is not None and began.rank <= step.rank) or pod.ordinal is None:
        return False
    start, replicas = episode.spec.start_ordinal, episode.spec.replicas
    specs = sts.specs
    low = bisect_left(specs, episode.end_rank, key=_RANK)
    high = bisect_right(specs, step.rank, key=_RANK)
    return all(
        spec.start_ordinal == start and spec.replicas >= replicas and not spec.in_range(pod.ordinal)
        for spec in specs[low:high]
    )


def scale_down_went_on_told(ctx: ProofContext) -> str:
    """'; after the template change (#480) the scale-down went on: web-3 (deletion #486), web-2
    (deletion #493), the last gone #500' for a scale-down whose condemned pods the controller
    deleted after its episode ended, the range kept (`scale_down_went_on`); "" otherwise."""
    episode = ctx.episode
    if episode.kind != "scale-down":
        return ""
    spec, end = episode.spec, episode.end_rank
    found = []
    for ordinal in ctx.slots:
        pod = None if spec.in_range(ordinal) else ctx.alive(ordinal, end - 1)
        began = pod.deletion_began if pod is not None else None
        if (
            pod is not None
            and began is not None
            and began.rank >= end
            and scale_down_went_on(ctx, pod, began)
        ):
            found.append((pod, began))
    if not found:
        return ""
    found.sort(key=lambda pair: pair[1].rank)
    names = ", ".join(f"{pod.name} (deletion #{began.change_id})" for pod, began in found)
    gone = [pod.deleted for pod, _ in found]
    last = max((g for g in gone if g is not None), key=_RANK, default=None)
    ended = (
        f", the last gone #{last.change_id}"
        if last is not None and all(g is not None for g in gone)
        else ", not all gone when the recording ended"
    )
    return f"; after {cut_by(ctx)} the scale-down went on: {names}{ended}"


Step = tuple[PodIncarnation, Transition, PodIncarnation | None]


def _replaced_after(ctx: ProofContext, target: str, start: int, stop: int) -> list[Step]:
    """(old pod, its deletion's beginning, the pod created in its place at `target`) for each
    replacement for the update made in [start, stop): deleted there, or deleted earlier and
    created again there."""
    found: list[Step] = []
    for ordinal, incs in ctx.slots.items():
        # The pods the rollout could still replace: those alive as its episode ended.
        old = ctx.alive(ordinal, start - 1)
        if old is None:
            continue
        at = ctx.index.position(old)
        new = incs[at + 1] if at + 1 < len(incs) else None
        began = old.deletion_began
        if began is None or old.revision in (None, target) or began.rank >= stop:
            continue
        if new is not None and (new.created.rank >= stop or new.revision != target):
            new = None
        if began.rank < start and new is None:
            continue
        if new is not None and began.rank < start and new.created.rank < start:
            continue
        actor = ctx.deleted_by(old)
        if actor is None or actor.who != causes.BY_CONTROLLER:
            continue
        if ctx.controller_reason(old) != "update":
            continue
        found.append((old, began, new))
    return sorted(found, key=lambda s: s[1].rank)


def _condemned_behind(ctx: ProofContext, target: str, after: SpecVersion) -> str:
    """'web-3, web-2 were': the pods still behind the update revision when the episode ended
    whose ordinals the smaller range no longer holds (processCondemned deletes them; the update
    never reaches them)."""
    end = ctx.episode.end_rank - 1
    names = [
        pod.name
        for ordinal in sorted(ctx.slots, reverse=True)
        if not after.start_ordinal <= ordinal < after.start_ordinal + after.replicas
        and (pod := ctx.alive(ordinal, end)) is not None
        and pod.revision not in (None, target)
    ]
    if not names:
        return ""
    return f"{', '.join(names)} {'were' if len(names) > 1 else 'was'}"


def _ended(
    ctx: ProofContext, steps: list[Step], target: str, stop: int, total: int
) -> tuple[str, list[Evidence]]:
    """'completed at #N (…)' or 'halted at web-1 (…) … until …', with what it cites."""
    last = max(s[2].created.rank if s[2] is not None else s[1].rank for s in steps)
    for step, decision in ctx.replay.between(last, stop):
        if decision.state == "settled":
            took = (step.received_wall_ns - ctx.wall_at_rank(ctx.episode.end_rank)) / 1e9
            partition = ctx.episode.statefulset.spec_at(step.rank).partition
            which = f"at or above partition {partition}" if partition else "in range"
            return (
                f"completed at #{step.change_id} ({took:.1f} s after it was cut; every pod "
                f"{which} at {target} and Ready)",
                [ctx.cite(step.change_id, f"rollout to {target} completed")],
            )
    found = ctx.replay.at(stop - 1)
    if found is None:
        return "nothing recorded", []
    decision = found
    since = ctx.wall_at_rank(last)
    seconds = (ctx.wall_at_rank(stop) - since) / 1e9
    if decision.state == "held" and decision.pod is not None:
        what = f"halted at {decision.pod.name} ({decision.what}) for {seconds:.1f} s"
    elif decision.state == "act":
        what = f"still progressing (next step: {decision.what})"
    else:
        what = f"waiting: {decision.what}"
    if stop >= total:
        return f"{what} when the recording ended", []
    change = ctx.ids_by_rank[stop]
    changed = _new(ctx.episode.statefulset.spec_at(stop), ctx.episode.spec)
    until = "the update changed again" if changed else "the StatefulSet was deleted"
    if ctx.episode.statefulset.spec_at(stop).template_hash != ctx.episode.spec.template_hash:
        until = "the template changed again"
    return f"{what}, until {until} at #{change}", [ctx.cite(change, until.replace("the ", "", 1))]


def _new(spec: SpecVersion, rollout: SpecVersion) -> bool:
    """Whether `spec` begins another update of its own (a new template, partition or strategy):
    from there on, the pods it replaces are that update's."""
    return (spec.template_hash, spec.partition, spec.update_strategy) != (
        rollout.template_hash,
        rollout.partition,
        rollout.update_strategy,
    )


def cut_by(ctx: ProofContext) -> str:
    """What began the next episode, in the spec's words: 'the scale-down 5→2 (#1714)', 'the
    template change (#480)'; 'the change #N that cut it' when that change set no spec."""
    episode = ctx.episode
    before, after = episode.spec, episode.statefulset.spec_at(episode.end_rank)
    change = ctx.ids_by_rank[episode.end_rank]
    parts = []
    if after.replicas != before.replicas:
        kind = "scale-down" if after.replicas < before.replicas else "scale-up"
        parts.append(f"the {kind} {before.replicas}→{after.replicas}")
    if after.start_ordinal != before.start_ordinal:
        parts.append(f"ordinals.start {before.start_ordinal}→{after.start_ordinal}")
    if parts:
        return f"{' and '.join(parts)} (#{change})"
    if after.change_id == change and after.changed:
        fields = " and ".join(FIELD_WORDS.get(f, f.replace("_", " ")) for f in after.changed)
        return f"the {fields} change (#{change})"
    return f"the change #{change} that cut it"


def _range(spec: SpecVersion) -> str:
    """The ordinals the spec asks for, '0..1'."""
    return f"{spec.start_ordinal}..{spec.start_ordinal + spec.replicas - 1}"
