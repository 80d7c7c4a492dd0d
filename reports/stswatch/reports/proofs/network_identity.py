"""Stable network identity: a recreated pod keeps its name, hostname, subdomain and DNS name.

`initIdentity` (pkg/controller/statefulset/stateful_set_utils.go) sets `spec.hostname = <pod
name>` and `spec.subdomain = spec.serviceName` on every pod the controller creates. What cluster
DNS answers for `<pod>.<service>.<namespace>.svc.cluster.local` comes from the governing
Service's EndpointSlices (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/):
only a headless Service has per-pod records, only for endpoints that are Ready (unless
`publishNotReadyAddresses`: then `podToEndpoint` in k8s.io/endpointslice marks every endpoint
`ready: true`, `serving` telling whether the pod is Ready, and a pod has its record before it is
Ready, as the members of an etcd or ZooKeeper ensemble need to find each other), and only for
pods its selector matches. The evidence for one pod
incarnation is the endpoint whose `targetRef.uid` is that pod's uid, inside its lifetime.
"""

from bisect import bisect_right
from dataclasses import replace

from stswatch.reports import causes
from stswatch.reports.history.episodes import Recreation
from stswatch.reports.history.lifecycles import DnsObservation, PodIncarnation, ServiceIncarnation
from stswatch.reports.history.transition import Transition
from stswatch.reports.proofs.context import SETTLE_S, ProofContext
from stswatch.reports.proofs.dns_outage import outage
from stswatch.reports.proofs.exec_cited import (
    Cited,
    Decided,
    citing_marks,
    dns_answer,
    joined,
    member_identity,
)
from stswatch.reports.proofs.verdict import Evidence, Outcome, Verdict

PROOF = "stable-network-identity"
KINDS = ("Pod", "EndpointSlice", "Service")
# Episodes that recreate pods.
RECREATING = ("scale-up", "rolling-update", "ondelete-update", "pod-recreated")


def decide(ctx: ProofContext) -> Verdict | None:
    """Pass when every recreated pod kept its identity and its DNS record points at its new IP."""
    if ctx.episode.kind == "service-recreated":
        return _records_return(ctx)
    if ctx.episode.kind not in RECREATING:
        return None
    recreations = ctx.recreations_in_window()
    if not recreations:
        return None
    verdict = citing_marks(
        ctx,
        PROOF,
        recreations,
        lambda r: _one(ctx, r),
        lambda r, d: joined(_asked_dns(ctx, r, d), member_identity(ctx.execs, r)),
    )
    told = {p.uid for r in recreations for p in (r.old, r.new)}
    text, cited = outage(ctx, told, verdict.reason)
    if not text:
        return verdict
    seen = {e.change_id for e in verdict.evidence}
    more = tuple(e for e in cited if e.change_id not in seen)
    return replace(verdict, reason=verdict.reason + text, evidence=verdict.evidence + more)


def _asked_dns(ctx: ProofContext, r: Recreation, decided: Decided) -> Cited | None:
    """What the scenario's nslookup of the new pod's name answered, beside the slice serving it.

    The outcome stays the EndpointSlice's: an answer without the new IP is told, never judged.
    """
    new = r.new
    if not new.ips:
        return None
    fqdn = f"{new.name}.{ctx.episode.spec.service_name}.{new.namespace}.svc.cluster.local"
    served = next((e.change_id for e in reversed(decided[2]) if e.kind == "EndpointSlice"), None)
    return dns_answer(ctx.execs, r, fqdn=fqdn, ip=new.ips[-1], slice_change=served)


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


def not_headless(name: str | None, cluster_ip: str | None, external_name: str | None = None) -> str:
    """Why a Service that is not headless promises no per-pod record: one with a cluster IP (and
    what CoreDNS does anyway), or one of type ExternalName (`external_name`: a DNS alias)."""
    if external_name is not None:
        alias = f" of {external_name}" if external_name else ""
        return (
            f"Service {name} is of type ExternalName (a DNS alias{alias}): no virtual IP, no "
            "endpoints, and the Kubernetes DNS specification gives it no per-pod DNS records "
            "(those are for headless Services: clusterIP: None)"
        )
    return (
        f"Service {name} is not headless (clusterIP {cluster_ip}): it serves one virtual IP, and "
        "the Kubernetes DNS specification gives it no per-pod DNS records (those are for headless "
        f"Services; CoreDNS still answers <pod>.{name} from the hostname its EndpointSlice lists: "
        "an endpoint query)"
    )


def dns_record(
    ctx: ProofContext, pod: PodIncarnation, ip: str, after: int, *, ready: bool = True
) -> DnsObservation | None:
    """The first EndpointSlice endpoint of this pod incarnation after `after` serving `ip`.

    The endpoint must name the pod's uid in `targetRef` (when the slice gives one) and be seen
    while the pod existed: another incarnation with the same name and IP is not evidence.
    """
    service = ctx.episode.spec.service_name or ""
    records = ctx.life.dns_records(ctx.episode.statefulset.namespace, service, pod.name)
    gone = pod.deleted.rank if pod.deleted is not None else None
    first = bisect_right(records, after, key=lambda d: d.rank)  # records are in rank order
    return next(
        (
            d
            for d in records[first:]
            if (gone is None or d.rank < gone)
            and d.target_uid in (None, pod.uid)
            and d.present
            and (d.ready or not ready)
            and ip in d.addresses
        ),
        None,
    )


def no_record_cause(ctx: ProofContext, pod: PodIncarnation, rank: int) -> tuple[str, str] | None:
    """(cause word, why) when no per-pod DNS record can exist for `pod` at `rank` (or, for a
    Service that is not headless, none is promised), else None."""
    name = ctx.episode.spec.service_name
    if not name:
        why = "spec.serviceName is empty, so the controller gives the pods no subdomain"
        return causes.NO_SERVICE_NAME, f"{why} ({causes.NO_SERVICE_NAME})"
    sts = ctx.episode.statefulset
    same = [s for s in ctx.life.services if s.namespace == sts.namespace and s.name == name]
    if not same:
        # Every recording watches Services (watcher/stswatch/kube/kinds.py): none so named means
        # none existed.
        why = f"serviceName {name!r} names a Service that never existed in the recording"
        return causes.SERVICE_NEVER_EXISTED, f"{why} ({causes.SERVICE_NEVER_EXISTED})"
    service = governing_service(ctx, rank)
    if service is None:
        return causes.SERVICE_MISSING, f"Service {name} was absent ({causes.SERVICE_MISSING})"
    if not service.headless:
        return causes.SERVICE_NOT_HEADLESS, not_headless(
            name, service.cluster_ip, service.external_name
        )
    if service.selector and any(pod.labels.get(k) != v for k, v in service.selector.items()):
        wanted = ",".join(f"{k}={v}" for k, v in sorted(service.selector.items()))
        why = f"Service {name} selects {wanted}, which {pod.name}'s labels do not match"
        return causes.SERVICE_SELECTS_NO_POD, why
    if not service.selector:
        return causes.SERVICE_SELECTS_NO_POD, f"Service {name} has no selector"
    return None


def _one(ctx: ProofContext, r: Recreation) -> tuple[Outcome, str, list[Evidence]]:
    old, new = r.old, r.new
    service = ctx.episode.spec.service_name
    cited = [ctx.cite_step(new, new.created, f"{new.name} created (uid {new.uid})")]
    if new.hostname != new.name:
        return "fail", f"{new.name} has hostname {new.hostname!r}, not its name", cited
    if (new.subdomain or "") != (service or ""):  # an empty string is omitted from the object
        return "fail", f"{new.name} lost its subdomain: {new.subdomain!r}, not {service!r}", cited
    if not service:
        why = (
            "spec.serviceName is empty, so the controller gives its pods no subdomain and no "
            f"per-pod DNS record can exist ({causes.NO_SERVICE_NAME})"
        )
        return "not-applicable", f"{new.name} kept its name and hostname; {why}", cited
    kept = f"{new.name} kept its name, hostname and subdomain {service}"
    old_ip = old.ips[-1] if old.ips else "unknown"
    was = f"was {old_ip}" if old.ips else f"the old {old.name} never had an IP"
    if (old.subdomain or "") != service:
        # A serviceName is immutable: the old pod came from another StatefulSet of that name (a
        # set deleted with propagation Orphan and created again) or from a client.
        had = f"{old.subdomain} (another DNS name)" if old.subdomain else "none (no DNS name)"
        kept = (
            f"{new.name} kept its name and hostname; its subdomain is {service}, the serviceName "
            f"of the StatefulSet that created it, where the old {old.name} had {had}"
        )
        at = f" at {old_ip}" if old.ips else ""
        named = f"was {old.name}.{old.subdomain}" if old.subdomain else "had no per-pod DNS name"
        was = f"the old {old.name}{at} {named}"
    if old.ips and old.first("ready") is None and not _publishes_not_ready(ctx, old.created.rank):
        was = f"the old {old.name} at {old_ip} was never Ready, so never served"
    old_step = old.first("ip")
    if old_step is not None:
        cited.insert(0, ctx.cite_step(old, old_step, f"old {old.name} IP {old_ip}"))
    if not new.ips:
        if ctx.near_end(new.created):
            return "inconclusive", f"{kept}; the recording ended before it got an IP", cited
        return "not-applicable", f"{kept}; it never got an IP, so no DNS record", cited
    new_ip = new.ips[-1]
    ip_step = [t for t in new.transitions if t.what == "ip"][-1]
    cited.append(ctx.cite_step(new, ip_step, f"new {new.name} IP {new_ip}"))
    cause = no_record_cause(ctx, new, ip_step.rank)
    if cause is not None:
        came = _once_served(ctx, new, new_ip, ip_step, cause)
        if came is not None:
            later, why = came
            cited.append(ctx.cite(later.change_id, f"{later.fqdn} → {new_ip} (uid {new.uid})"))
            return "pass", f"{kept}; {later.fqdn} → {new_ip} ({was}), {why}", cited
        can = "is promised" if cause[0] == causes.SERVICE_NOT_HEADLESS else "can exist"
        return "not-applicable", f"{kept}; no per-pod DNS record {can}: {cause[1]}", cited
    publish = _publishes_not_ready(ctx, ip_step.rank)
    ready = new.first("ready")
    if ready is None and not publish:
        if ctx.near_end(ip_step):
            return "inconclusive", f"{kept}; the recording ended before it was Ready", cited
        why = f"{new.name} was never Ready, so it has no DNS record by design"
        return "not-applicable", f"{kept}; {why} ({causes.NO_DNS_RECORD_NOT_READY})", cited
    if "EndpointSlice" not in ctx.kinds:
        return "inconclusive", f"{kept}; EndpointSlices were not recorded", cited
    record = dns_record(ctx, new, new_ip, new.created.rank, ready=not publish)
    if record is None:
        fqdn = f"{new.name}.{service}.{new.namespace}.svc.cluster.local"
        since = ready or ip_step
        if ctx.near_end(since):
            why = (
                f"the recording ended {SETTLE_S:.0f} s or less after it; the slice could still come"
            )
            return "inconclusive", f"{kept}; no EndpointSlice served {fqdn} yet: {why}", cited
        if publish:
            reason = (
                f"{kept}, but no EndpointSlice endpoint of this pod (targetRef uid {new.uid}) "
                f"serves {fqdn} → {new_ip}, although Service {service} sets "
                "publishNotReadyAddresses (its pods are published Ready or not)"
            )
            return "fail", reason, cited
        reason = (
            f"{kept}, but no Ready EndpointSlice endpoint of this pod (targetRef uid {new.uid}) "
            f"serves {fqdn} → {new_ip}"
        )
        return "fail", reason, cited
    unready = publish and (ready is None or record.rank < ready.rank)
    note = f"{record.fqdn} → {new_ip} (uid {new.uid})" + (", published not Ready" * unready)
    cited.append(ctx.cite(record.change_id, note))
    served = f"{kept}; {record.fqdn} → {new_ip} ({was})"
    if ready is not None and record.received_wall_ns - ready.received_wall_ns > _LATE_NS:
        # The EndpointSlice controller publishes a Ready pod within moments; later than that,
        # something kept the record back (the governing Service's selector, for one).
        late = (record.received_wall_ns - ready.received_wall_ns) / 1e9
        served += f", published {late:.1f} s after {new.name} was Ready"
        cited.insert(-1, ctx.cite_step(new, ready, f"{new.name} Ready"))
        served += _unselected(ctx, new, ready, record, cited)
    served += _shared_name(ctx, r, service, cited)
    if unready:
        return "pass", f"{served}{_published_not_ready(new, service, record, ready)}", cited
    return "pass", served, cited


def _shared_name(ctx: ProofContext, r: Recreation, service: str, cited: list[Evidence]) -> str:
    """'; web-1.web-hl… also answered 10.244.0.3, pod uid … (not one of web's)': a Ready
    endpoint with the pod's hostname whose targetRef is another pod (one with hostname web-1 and
    subdomain web-hl that the Service selects) while the old or new pod lived in the episode:
    the name was not the set's pod's alone (CoreDNS answers every Ready endpoint of a hostname).
    O(the hostname's records in the episode's window)."""
    name, sts = r.new.name, ctx.episode.statefulset
    if r.new.ordinal is None:
        return ""
    records = ctx.life.dns_records(sts.namespace, service, name)
    first = bisect_right(records, r.old.created.rank - 1, key=lambda d: d.rank)
    last = bisect_right(records, ctx.episode.end_rank - 1, key=lambda d: d.rank)
    # Any incarnation of this name under a set so named (one replaced, re-created) is its.
    named = ctx.life.set_pods(sts.namespace, sts.name).get(r.new.ordinal, ())
    for d in records[first:last]:
        uid = d.target_uid
        if not (d.present and d.ready) or uid is None or ctx.own_pod(uid) is not None:
            continue
        if any(p.uid == uid for p in named):
            continue
        cited.append(ctx.cite(d.change_id, f"{d.fqdn} → {', '.join(d.addresses)}"))
        return (
            f"; {d.fqdn} also answered {', '.join(d.addresses)}, the pod uid {uid}, not one of "
            f"{sts.name}'s (a pod with hostname {name} and subdomain {service} that the Service "
            "selects): the name was not this pod's alone"
        )
    return ""


def _once_served(
    ctx: ProofContext,
    pod: PodIncarnation,
    ip: str,
    since: Transition,
    cause: tuple[str, str],
) -> tuple[DnsObservation, str] | None:
    """(record, 'published once the Service web-hl was created headless (#81); before it …')
    when the governing Service could serve no per-pod record as `pod` got its IP (absent or not
    headless) but a headless Service so named, created later within the episode, served this
    incarnation; None otherwise (the not-applicable stands). A slice of a Service that is not
    headless may list the pod's hostname too: cluster DNS serves no per-pod name from it, so it
    is no record."""
    if cause[0] not in (causes.SERVICE_MISSING, causes.SERVICE_NOT_HEADLESS):
        return None
    if "EndpointSlice" not in ctx.kinds:
        return None
    sts = ctx.episode.statefulset
    name = ctx.episode.spec.service_name
    later = [
        s
        for s in ctx.life.services
        if s.namespace == sts.namespace
        and s.name == name
        and s.headless
        and s.transitions[0].rank > since.rank
    ]
    for service in later:
        created = service.transitions[0]
        record = dns_record(ctx, pod, ip, created.rank - 1, ready=not service.publish_not_ready)
        if record is None or record.rank >= ctx.episode.end_rank:
            return None  # told by the Service's own episode (service-recreated), if at all
        if governing_service(ctx, record.rank) is not service:
            continue
        why = (
            f"published once the Service {service.name} was created headless "
            f"(#{created.change_id}); before it no per-pod DNS record could exist: {cause[1]}"
        )
        return record, why
    return None


def _unselected(
    ctx: ProofContext,
    pod: PodIncarnation,
    ready: Transition,
    record: DnsObservation,
    cited: list[Evidence],
) -> str:
    """': the Service web-hl's selector app=nobody (#3796) selected none of its labels until
    #3813': when the governing Service's selector in force at Ready did not match the pod's
    labels and a later change of it, before the record, did (the EndpointSlice controller
    publishes only the pods a Service selects)."""
    service = governing_service(ctx, ready.rank)
    if service is None:
        return ""
    selector, since = service.selector_at(ready.rank)
    labels = pod.labels_at(ready.rank)
    if since is None or all(labels.get(k) == v for k, v in selector.items()):
        return ""
    back = next(
        (
            change_id
            for at, change_id, later in service.reselected
            if ready.rank < at <= record.rank and all(labels.get(k) == v for k, v in later.items())
        ),
        None,
    )
    if back is None:
        return ""
    cited.insert(-1, ctx.cite(since, f"Service {service.name} selector changed"))
    cited.insert(-1, ctx.cite(back, f"Service {service.name} selector changed back"))
    shown = ", ".join(f"{k}={v}" for k, v in sorted(selector.items())) or "(empty)"
    return (
        f": the Service {service.name}'s selector {shown} (#{since}) selected none of its labels "
        f"until #{back} (the EndpointSlice controller publishes only the pods a Service selects)"
    )


# A record recorded this long (wall ns) after its pod was Ready is told as late.
_LATE_NS = 2_000_000_000


def _published_not_ready(
    pod: PodIncarnation, service: str | None, record: DnsObservation, ready: Transition | None
) -> str:
    """Why a pod that was not Ready had a DNS record: the Service publishes not-ready pods."""
    when = (
        f"although {pod.name} was never Ready" if ready is None else f"before {pod.name} was Ready"
    )
    conditions = "ready: true, serving: false; " if record.serving is False else ""
    return (
        f", {when}: Service {service} sets publishNotReadyAddresses, so its EndpointSlice "
        f"publishes the endpoint of a pod that is not Ready ({conditions}podToEndpoint in "
        "k8s.io/endpointslice) and cluster DNS answers for it"
    )


def _publishes_not_ready(ctx: ProofContext, rank: int) -> bool:
    service = governing_service(ctx, rank)
    return service is not None and service.publish_not_ready


def _records_return(ctx: ProofContext) -> Verdict:
    """After the governing Service is recreated, every live pod's DNS record comes back."""
    if "EndpointSlice" not in ctx.kinds:
        return ctx.verdict(PROOF, "inconclusive", "EndpointSlices were not recorded")
    start = ctx.episode.start_rank
    cited = [ctx.cite(ctx.episode.trigger_change_id, "Service recreated")]
    recreated = ctx.episode.service
    if recreated is not None and not recreated.headless:
        # Its slices may list the pods' hostnames, but cluster DNS serves no per-pod name for it.
        why = not_headless(recreated.name, recreated.cluster_ip, recreated.external_name)
        reason = f"the recreated {why} ({causes.SERVICE_NOT_HEADLESS})"
        return ctx.verdict(PROOF, "not-applicable", reason, cited)
    back = []
    publish = _publishes_not_ready(ctx, start)
    for ordinal in sorted(ctx.slots):
        pod, told = _to_serve(ctx, ordinal, start, publish)
        if pod is None or not pod.ips:
            continue
        if pod.first("ready") is None and not publish:
            continue  # never Ready: no record by design
        record = dns_record(ctx, pod, pod.ips[-1], start, ready=not publish)
        if record is None:
            reason = f"no EndpointSlice of the recreated Service served {pod.name} → {pod.ips[-1]}"
            return ctx.verdict(PROOF, "fail", reason, cited)
        cited.append(ctx.cite(record.change_id, f"{record.fqdn} → {pod.ips[-1]}"))
        back.append(pod.name + told)
    if not back:
        return ctx.verdict(PROOF, "not-applicable", "no pod was running when the Service returned")
    before = _served_none(ctx)
    if before:
        reason = f"DNS records served for {', '.join(back)}, none before: {before}"
        return ctx.verdict(PROOF, "pass", reason, cited)
    return ctx.verdict(PROOF, "pass", f"DNS records back for {', '.join(back)}", cited)


def _to_serve(
    ctx: ProofContext, ordinal: int, start: int, publish: bool
) -> tuple[PodIncarnation | None, str]:
    """The incarnation at `ordinal` the Service recreated at `start` is to serve, and a note:
    the one alive then, unless it was already Terminating and the Service does not publish
    not-ready pods (a terminating endpoint is never ready: podToEndpoint in
    k8s.io/endpointslice), then the one created after it, if any."""
    pod = ctx.alive(ordinal, start)
    if pod is None or publish or pod.terminating is None or pod.terminating.rank > start:
        return pod, ""
    after = next((p for p in ctx.slots[ordinal] if p.created.rank > start), None)
    if after is None:
        return None, ""
    return after, f" (the one created after the Service: the {pod.name} before was Terminating)"


def _served_none(ctx: ProofContext) -> str:
    """Why the governing Service before the recreated one served no per-pod record ('' when it
    could): not headless, or a selector that matched none of the set's pods."""
    recreated = ctx.episode.service
    if recreated is None:
        return ""
    earlier = [
        s
        for s in ctx.life.services
        if s.namespace == recreated.namespace
        and s.name == recreated.name
        and s.transitions[0].rank < recreated.transitions[0].rank
    ]
    if not earlier:
        return ""
    previous = earlier[-1]
    if not previous.headless:
        ip = previous.cluster_ip
        return f"the Service {previous.name} before it was not headless (clusterIP {ip})"
    labels = [p.labels for incs in ctx.slots.values() for p in incs]
    if previous.selector and not any(
        all(pod.get(k) == v for k, v in previous.selector.items()) for pod in labels
    ):
        return f"the Service {previous.name} before it selected none of the pods"
    return ""
