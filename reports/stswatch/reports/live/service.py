"""The governing Service: missing, not headless, or selecting none (or only some) of the pods.

The per-pod DNS record `<pod>.<serviceName>.<namespace>.svc.<cluster-domain>` exists only while
a headless Service (`clusterIP: None`) named in `spec.serviceName` selects the pod and the pod is
Ready (or the Service sets `publishNotReadyAddresses`). The StatefulSet controller never reads
the Service (it only sets each pod's `spec.subdomain`), so pods are created either way and only
the records are lost. https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id
and https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
"""

import json
from typing import Any

from stswatch.reports import causes
from stswatch.reports.history.objects import deletion_timestamp, dig, is_headless, labels
from stswatch.reports.live.findings import Finding, events_evidence
from stswatch.reports.live.pods import is_ready
from stswatch.reports.live.status import selects
from stswatch.reports.live.world import World

Obj = dict[str, Any]

NETWORK_ID_DOCS = (
    "https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id"
)
DNS_DOCS = "https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/"


def service_findings(world: World) -> list[Finding]:
    """What is wrong with the governing Service, naming the DNS records each problem loses."""
    if not world.service_name:
        return [_no_service_name(world)]
    service = world.service
    if service is None:
        return [_missing(world)]
    found = []
    if not is_headless(service):
        found.append(_not_headless(world, service))
    if dig(service, "spec", "type") != "ExternalName":  # a DNS alias: it selects no pods at all
        found.extend(_selection(world, service))
    return found


def _records(world: World, pods: list[Obj] | None = None) -> list[str]:
    chosen = list(world.pods) if pods is None else pods
    names = sorted(
        (str(dig(p, "metadata", "name")) for p in chosen if not deletion_timestamp(p)),
        key=lambda n: (len(n), n),
    )
    return [world.dns_name(n) for n in names]


def _lost(records: list[str]) -> str:
    if not records:
        return "no pod exists now; every pod created will lack its record"
    return "DNS records lost: " + ", ".join(records)


def _template_labels(world: World) -> dict[str, str]:
    found = world.spec("template", "metadata", "labels")
    return dict(found) if isinstance(found, dict) else {}


def _manifest(world: World, service: Obj | None) -> str:
    ports = dig(service or {}, "spec", "ports") or [
        {"name": str(p.get("name") or f"p{p.get('containerPort')}"), "port": p["containerPort"]}
        for c in world.spec("template", "spec", "containers") or ()
        for p in c.get("ports") or ()
        if isinstance(p, dict) and "containerPort" in p
    ]
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": world.service_name, "namespace": world.namespace},
        "spec": {"clusterIP": "None", "selector": _template_labels(world), "ports": ports},
    }
    if not ports:
        del body["spec"]["ports"]  # type: ignore[attr-defined]
    return f"echo '{json.dumps(body, separators=(',', ':'))}' | kubectl apply -f -"


def _no_service_name(world: World) -> Finding:
    return Finding(
        severity="warning",
        causes=(causes.NO_SERVICE_NAME,),
        subject=f"StatefulSet {world.name}",
        what="spec.serviceName is empty: the pods have no per-pod DNS records",
        why=("spec.serviceName is unset, so the controller sets no pod spec.subdomain",),
        fix=(
            "set spec.serviceName to a headless Service when creating the set (the field is "
            "immutable; recreate the set with `kubectl delete statefulset "
            f"{world.name} -n {world.namespace} --cascade=orphan`)",
        ),
        reference=NETWORK_ID_DOCS,
    )


def _missing(world: World) -> Finding:
    name = world.service_name
    subdomains = sorted({str(dig(p, "spec", "subdomain")) for p in world.pods})
    return Finding(
        severity="error",
        causes=(causes.SERVICE_MISSING,),
        subject=f"Service {name}",
        what=f"the governing Service {name} does not exist: {_lost(_records(world))}",
        why=(
            f"spec.serviceName is {name}; GET services/{name} in {world.namespace}: not found",
            f"pods' spec.subdomain: {', '.join(subdomains) or '(no pods)'}",
            "the controller does not need the Service (pods are still created); only DNS breaks",
        ),
        fix=(f"recreate it headless: {_manifest(world, None)}",),
        reference=NETWORK_ID_DOCS,
    )


def _external(service: Obj) -> str:
    """Why an ExternalName Service serves no pod's name; "" for any other type."""
    if dig(service, "spec", "type") != "ExternalName":
        return ""
    alias = dig(service, "spec", "externalName")
    return (
        f"spec.type is ExternalName (a DNS alias of {alias!r}): no virtual IP, no endpoints and "
        "no per-pod A records; the Kubernetes DNS specification gives those only to headless "
        "Services (clusterIP: None)"
    )


def _cluster_ip(service: Obj) -> str:
    """Why a Service with a cluster IP serves no pod's name."""
    return (
        f"spec.clusterIP is {dig(service, 'spec', 'clusterIP')!r}, not 'None': the Kubernetes "
        "DNS specification gives the Service one virtual IP and per-pod A records only for "
        "headless Services (CoreDNS may still answer <pod>.<service>: not to be relied on)"
    )


def _not_headless(world: World, service: Obj) -> Finding:
    name = world.service_name
    return Finding(
        severity="error",
        causes=(causes.SERVICE_NOT_HEADLESS,),
        subject=f"Service {name}",
        what=f"Service {name} is not headless: {_lost(_records(world))}",
        why=(_external(service) or _cluster_ip(service),),
        fix=(
            "spec.clusterIP is immutable: delete the Service and create it headless: "
            f"`kubectl delete service {name} -n {world.namespace}`, then "
            f"{_manifest(world, service)}",
        ),
        reference=DNS_DOCS,
    )


def _selection(world: World, service: Obj) -> list[Finding]:
    name = world.service_name
    selector = dig(service, "spec", "selector") or {}
    pods = list(world.pods)
    targets = pods or [{"metadata": {"labels": _template_labels(world)}}]
    chosen = [p for p in targets if selects(selector, labels(p))]
    patch = json.dumps({"spec": {"selector": _template_labels(world)}}, separators=(",", ":"))
    fix = f"`kubectl patch service {name} -n {world.namespace} -p '{patch}'`"
    sample = labels(targets[0])
    endpoints = sum(len(s.get("endpoints") or ()) for s in world.endpoint_slices)
    evidence = (
        f"Service {name} spec.selector {json.dumps(selector, sort_keys=True)}",
        f"{'pod ' + str(dig(targets[0], 'metadata', 'name')) if pods else 'the pod template'} "
        f"labels {json.dumps(sample, sort_keys=True)}",
        f"EndpointSlices of {name}: {len(world.endpoint_slices)} with {endpoints} endpoints",
        *events_evidence(world, "Service", name, limit=2),
    )
    if not chosen:
        return [
            Finding(
                severity="error",
                causes=(causes.SERVICE_SELECTS_NO_POD,),
                subject=f"Service {name}",
                what=f"Service {name} selects none of the set's pods: {_lost(_records(world))}",
                why=evidence,
                fix=(f"select the pod template's labels: {fix}",),
                reference=NETWORK_ID_DOCS,
            )
        ]
    found = []
    left_out = [p for p in pods if p not in chosen]
    if left_out:
        found.append(
            Finding(
                severity="warning",
                causes=(causes.SERVICE_SELECTS_SOME_PODS,),
                subject=f"Service {name}",
                what=f"Service {name} selects {len(chosen)} of {len(pods)} pods: "
                f"{_lost(_records(world, left_out))}",
                why=evidence,
                fix=(f"select the pod template's labels: {fix}",),
                reference=NETWORK_ID_DOCS,
            )
        )
    if pods and is_headless(service) and not dig(service, "spec", "publishNotReadyAddresses"):
        # Real pods only: with none, `chosen` holds the pod template's stand-in (no name).
        unready = [p for p in chosen if not is_ready(p) and not deletion_timestamp(p)]
        if unready:
            found.append(_not_ready_records(world, unready))
    return found


def _not_ready_records(world: World, unready: list[Obj]) -> Finding:
    names = [str(dig(p, "metadata", "name")) for p in unready]
    return Finding(
        severity="info",
        causes=(causes.NO_DNS_RECORD, causes.NOT_READY),
        subject=f"Service {world.service_name}",
        what=f"{', '.join(names)} not Ready: no DNS record until Ready",
        why=(
            f"{_lost(_records(world, unready))}",
            "spec.publishNotReadyAddresses is false: EndpointSlices mark them not ready",
        ),
        fix=(
            "set spec.publishNotReadyAddresses: true on the headless Service if peers must "
            "find each other before Ready (e.g. to form a cluster)",
        ),
        reference=DNS_DOCS,
    )
