"""The per-pod DNS records a change of the governing Service's selector withdrew, and for how long.

The EndpointSlice controller lists only the pods a Service's selector matches (a Service without
a selector gets no managed endpoints), so a selector that stops matching the set's pods removes
every pod's record from the slice, and cluster DNS stops answering `<pod>.<service>…`, while the
pods run on: the StatefulSet controller never reads or writes the Service. Told beside the
stable-network verdict as evidence of what the records did, never as the controller's fault
(https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors).
"""

from dataclasses import dataclass

from stswatch.reports.history.lifecycles import PodIncarnation, ServiceIncarnation
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.verdict import Evidence


@dataclass(frozen=True)
class _Withdrawn:
    """One pod's record removed from the slice by a selector change, and when it came back."""

    pod: PodIncarnation
    removed: int  # change id of the slice change without it
    back: int | None  # change id of the slice change listing it again
    gone: int | None  # change id of the pod's removal, when it went before its record came back


def outage(ctx: ProofContext, told: set[str], said: str) -> tuple[str, tuple[Evidence, ...]]:
    """'; meanwhile the DNS records of web-0, web-2 were withdrawn …' for the pods (uids not in
    `told`) whose records a selector change of the governing Service withdrew while the
    episode's window was open; ('', ()) when none was. A cause `said` already names is not
    told twice."""
    episode = ctx.episode
    name = episode.spec.service_name
    namespace = episode.statefulset.namespace
    parts: list[str] = []
    cited: list[Evidence] = []
    for service in ctx.life.services:
        if service.namespace != namespace or service.name != name:
            continue
        for at, change_id, selector in service.reselected:
            text, evidence = _one_change(ctx, service, at, change_id, selector, told, said)
            if text:
                parts.append(text)
                cited += evidence
    return "".join(parts), tuple(cited)


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether a Service selector matches a pod's labels (an empty one manages no endpoints)."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _one_change(
    ctx: ProofContext,
    service: ServiceIncarnation,
    at: int,
    change_id: int,
    selector: dict[str, str],
    told: set[str],
    said: str,
) -> tuple[str, list[Evidence]]:
    episode = ctx.episode
    if at >= episode.end_rank:
        return "", []
    before, _ = service.selector_at(at - 1)
    withdrawn = []
    for ordinal in sorted(ctx.slots):
        pod = ctx.alive(ordinal, at)
        if pod is None or pod.uid in told:
            continue
        labels = pod.labels_at(at)
        if not _selects(before, labels) or _selects(selector, labels):
            continue
        found = _withdrawn(ctx, service, pod, at)
        if found is not None:
            withdrawn.append(found)
    if not withdrawn:
        return "", []
    # The change that selected them again (the same selector back, or another that matches).
    labels = withdrawn[0].pod.labels_at(at)
    restored = next(
        (
            (rank, cid)
            for rank, cid, later in service.reselected
            if rank > at and _selects(later, labels)
        ),
        None,
    )
    if restored is not None and restored[0] <= episode.start_rank:
        return "", []
    if not withdrawn:
        return "", []
    shown = ", ".join(f"{k}={v}" for k, v in sorted(selector.items())) or "(empty)"
    cited = [ctx.cite(change_id, f"Service {service.name} selector {shown}")]
    groups: dict[tuple[int, int | None, int | None], list[_Withdrawn]] = {}
    for w in withdrawn:
        groups.setdefault((w.removed, w.back, w.gone), []).append(w)
    told_groups = []
    for (removed, back, gone), pods in groups.items():
        names = ", ".join(w.pod.name for w in pods)
        plural = "s" * (len(pods) > 1)
        start_ns = ctx.changes[removed].received_wall_ns
        cited.append(ctx.cite(removed, f"DNS record{plural} of {names} withdrawn"))
        if back is not None:
            seconds = (ctx.changes[back].received_wall_ns - start_ns) / 1e9
            cited.append(ctx.cite(back, f"DNS record{plural} of {names} back"))
            told_groups.append(f"{names} at #{removed}, back at #{back} ({seconds:.1f} s)")
        elif gone is not None:
            seconds = (ctx.changes[gone].received_wall_ns - start_ns) / 1e9
            told_groups.append(
                f"{names} at #{removed}, still absent when {names} went at #{gone} "
                f"({seconds:.1f} s)"
            )
        else:
            seconds = (ctx.recording_end_ns - start_ns) / 1e9
            told_groups.append(
                f"{names} at #{removed}, still absent when the recording ended ({seconds:.1f} s)"
            )
    until = ""
    if restored is not None:
        cited.append(ctx.cite(restored[1], f"Service {service.name} selector restored"))
        until = f" until #{restored[1]}"
    cause = f"the Service {service.name}'s selector {shown} (#{change_id})"
    why = (
        "for the same cause"
        if cause in said
        else f"as {cause} selected none of their labels{until} (the EndpointSlice controller "
        "lists only the pods a Service selects)"
    )
    text = (
        f"; meanwhile the DNS records of pods that ran on were withdrawn {why} (a change of the "
        f"Service, which the StatefulSet controller never makes): {'; '.join(told_groups)}"
    )
    return text, cited


def _withdrawn(
    ctx: ProofContext, service: ServiceIncarnation, pod: PodIncarnation, at: int
) -> _Withdrawn | None:
    """The slice change after `at` that no longer listed `pod`'s record it had listed, and the
    first after it that listed it again; None when it had no record at `at`."""
    records = [
        d
        for d in ctx.life.dns_records(service.namespace, service.name, pod.name)
        if d.target_uid in (None, pod.uid) and d.present
    ]
    last = next((d for d in reversed(records) if d.rank < at), None)
    if last is None:
        return None
    listed = {d.change_id for d in records}
    gone_rank = pod.deleted.rank if pod.deleted is not None else len(ctx.ids_by_rank)
    removed = None
    for rank in range(at + 1, min(gone_rank, len(ctx.ids_by_rank))):
        change_id = ctx.ids_by_rank[rank]
        change = ctx.changes[change_id]
        if change.kind == "EndpointSlice" and change.name == last.slice_name:
            if change_id in listed:
                return None  # still listed after the change: nothing withdrawn
            removed = (rank, change_id)
            break
    if removed is None:
        return None
    back = next((d.change_id for d in records if d.rank > removed[0]), None)
    gone = pod.deleted.change_id if pod.deleted is not None and back is None else None
    return _Withdrawn(pod, removed[1], back, gone)
