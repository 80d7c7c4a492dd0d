"""Homework 1, the truth: with the headless Service deleted, is a deleted pod recreated, with DNS?

The lesson claims the StatefulSet cannot recreate the pod. The controller has no Service informer
and never looks the Service up (`NewStatefulSetController` wires informers for Pods,
StatefulSets, PVCs and ControllerRevisions only; `serviceName` only sets `spec.subdomain` in
`initIdentity`): the pod is recreated as usual; what is lost is its DNS record, because the
Service's EndpointSlices are gone with it.
"""

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.network_identity import dns_record
from stswatch.reports.proofs.verdict import Evidence, Verdict

PROOF = "homework-1"
KINDS = ("Pod", "Service", "EndpointSlice")


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when every pod deleted while the Service was absent came back (as the source says)."""
    if ctx.episode.kind != "service-deleted":
        return None
    deleted = [
        p
        for incs in ctx.slots.values()
        for p in incs
        if (step := p.deletion_began) is not None and ctx.episode.contains(step.rank)
    ]
    if not deleted:
        return ctx.verdict(
            PROOF, "not-applicable", "no pod was deleted while the Service was absent"
        )
    name = ctx.episode.service.name if ctx.episode.service else ctx.episode.spec.service_name
    cited = [ctx.cite(ctx.episode.trigger_change_id, f"Service {name} deleted")]
    notes = []
    for old in deleted:
        new = _successor(ctx, old)
        step = old.deletion_began or old.created
        cited.append(ctx.cite_step(old, step, f"{old.name} deletion began"))
        if new is None:
            reason = f"{old.name} was not recreated within the recording"
            return ctx.verdict(PROOF, "fail", reason, cited)
        cited.append(ctx.cite_step(new, new.created, f"{new.name} recreated (uid {new.uid})"))
        took = (new.created.received_wall_ns - step.received_wall_ns) / 1e9
        notes.append(f"{new.name} was recreated {took:.2f}s after its deletion began")
        notes.append(_dns_note(ctx, new, cited))
    reason = (
        f"with Service {name} absent, " + "; ".join(notes) + " (the controller never looks the "
        "Service up: the lesson's claim does not hold; what is lost is the DNS record)"
    )
    return ctx.verdict(PROOF, "pass", reason, cited)


def _successor(ctx: ProofContext, old: PodIncarnation) -> PodIncarnation | None:
    incs = ctx.slots.get(old.ordinal, ()) if old.ordinal is not None else ()
    return next((p for p in incs if p.created.rank > old.created.rank), None)


def _dns_note(ctx: ProofContext, new: PodIncarnation, cited: list[Evidence]) -> str:
    fqdn = f"{new.name}.{ctx.episode.spec.service_name}.{new.namespace}.svc.cluster.local"
    if not new.ips:
        return f"{new.name} got no IP within the recording"
    record = dns_record(ctx, new, new.ips[-1], new.created.rank)
    if record is None:
        return f"no DNS record: no EndpointSlice ever served {fqdn} → {new.ips[-1]}"
    cited.append(ctx.cite(record.change_id, f"{fqdn} → {new.ips[-1]}"))
    if ctx.episode.contains(record.rank):
        return f"{fqdn} resolved to {new.ips[-1]} even without the Service"
    return f"no DNS record for {fqdn} until the Service was recreated"
