"""Stable network identity: a recreated pod keeps its name, hostname, subdomain and DNS name.

`initIdentity` sets `spec.hostname = <pod name>` and `spec.subdomain = spec.serviceName` on every
pod the controller creates (STATEFULSET.md Q5). There is no DNS server in the lab: what CoreDNS
would answer for `<pod>.<service>.<namespace>.svc.cluster.local` is the governing headless
Service's EndpointSlice endpoint with that hostname, so the proof looks for the new pod's IP there.
"""

from reports.episodes import Recreation
from reports.lifecycle import DnsObservation, ServiceIncarnation
from reports.proofs.context import ProofContext
from reports.verdict import Evidence, Outcome, Verdict

PROOF = "stable-network-identity"
KINDS = ("Pod", "EndpointSlice", "Service")
RECREATING = ("scale-up", "rolling-update", "pod-recreated")  # episodes that recreate pods


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when every recreated pod kept its identity and its DNS record points at its new IP."""
    if ctx.episode.kind == "service-recreated":
        return _records_return(ctx)
    if ctx.episode.kind not in RECREATING:
        return None
    recreations = ctx.recreations_in_window()
    if not recreations:
        return None
    return ctx.per_recreation(PROOF, recreations, lambda r: _one(ctx, r))


def governing_service(ctx: ProofContext, rank: int) -> ServiceIncarnation | None:
    """The StatefulSet's `serviceName` Service as it existed at `rank`, if it did."""
    sts = ctx.episode.statefulset
    name = ctx.episode.spec.service_name
    return next(
        (
            s
            for s in ctx.life.services
            if s.namespace == sts.namespace and s.name == name and s.alive_at(rank)
        ),
        None,
    )


def dns_record(ctx: ProofContext, pod_name: str, ip: str, after: int) -> DnsObservation | None:
    """The first EndpointSlice endpoint after `after` serving `pod_name` with `ip`, Ready."""
    service = ctx.episode.spec.service_name or ""
    records = ctx.life.dns_records(ctx.episode.statefulset.namespace, service, pod_name)
    return next(
        (d for d in records if d.rank > after and d.present and d.ready and ip in d.addresses),
        None,
    )


def _one(ctx: ProofContext, r: Recreation) -> tuple[Outcome, str, list[Evidence]]:
    old, new = r.old, r.new
    service = ctx.episode.spec.service_name
    cited = [ctx.cite_step(new, new.created, f"{new.name} created (uid {new.uid})")]
    if new.hostname != new.name:
        return "fail", f"{new.name} has hostname {new.hostname!r}, not its name", cited
    if new.subdomain != service:
        return "fail", f"{new.name} lost its subdomain: {new.subdomain!r}, not {service!r}", cited
    kept = f"{new.name} kept its name, hostname and subdomain {service}"
    old_ip = old.ips[-1] if old.ips else "unknown"
    old_step = old.first("ip")
    if old_step is not None:
        cited.insert(0, ctx.cite_step(old, old_step, f"old {old.name} IP {old_ip}"))
    if not new.ips:
        return "inconclusive", f"{kept}; the recording ended before it got an IP", cited
    new_ip = new.ips[-1]
    ip_step = [t for t in new.transitions if t.what == "ip"][-1]
    cited.append(ctx.cite_step(new, ip_step, f"new {new.name} IP {new_ip}"))
    if governing_service(ctx, ip_step.rank) is None:
        return "pass", f"{kept}; no DNS record expected: Service {service} absent", cited
    if "EndpointSlice" not in ctx.kinds:
        return "inconclusive", f"{kept}; EndpointSlices were not recorded", cited
    record = dns_record(ctx, new.name, new_ip, new.created.rank)
    if record is None:
        fqdn = f"{new.name}.{service}.{new.namespace}.svc.cluster.local"
        return (
            "fail",
            f"{kept}, but no Ready EndpointSlice endpoint serves {fqdn} → {new_ip}",
            cited,
        )
    cited.append(ctx.cite(record.change_id, f"{record.fqdn} → {new_ip} (ready)"))
    return "pass", f"{kept}; {record.fqdn} → {new_ip} (was {old_ip})", cited


def _records_return(ctx: ProofContext) -> Verdict:
    """After the governing Service is recreated, every live pod's DNS record comes back."""
    if "EndpointSlice" not in ctx.kinds:
        return ctx.verdict(PROOF, "inconclusive", "EndpointSlices were not recorded")
    start = ctx.episode.start_rank
    cited = [ctx.cite(ctx.episode.trigger_change_id, "Service recreated")]
    back = []
    for ordinal in sorted(ctx.slots):
        pod = ctx.alive(ordinal, start)
        if pod is None or not pod.ips:
            continue
        record = dns_record(ctx, pod.name, pod.ips[-1], start)
        if record is None:
            reason = f"no EndpointSlice of the recreated Service served {pod.name} → {pod.ips[-1]}"
            return ctx.verdict(PROOF, "fail", reason, cited)
        cited.append(ctx.cite(record.change_id, f"{record.fqdn} → {pod.ips[-1]}"))
        back.append(pod.name)
    if not back:
        return ctx.verdict(PROOF, "not-applicable", "no pod was running when the Service returned")
    return ctx.verdict(PROOF, "pass", f"DNS records back for {', '.join(back)}", cited)
