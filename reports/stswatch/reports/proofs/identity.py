"""The identity the controller gives a pod it creates (`newStatefulSetPod`).

`newStatefulSetPod` (pkg/controller/statefulset/stateful_set_utils.go) names the pod
`<set>-<ordinal>`, and `initIdentity` sets `spec.hostname` to that name and `spec.subdomain` to
the set's `serviceName` (immutable after creation); `updateIdentity` labels it
`statefulset.kubernetes.io/pod-name: <name>` and, with the PodIndexLabel gate (GA, always on,
from 1.32), `apps.kubernetes.io/pod-index: <ordinal>`; `updateStorage` gives it one volume per
`volumeClaimTemplates` entry, naming the claim `<template>-<set>-<ordinal>`. The controller's
unit tests check the same after every sync (`identityMatches`, `storageMatches` in
`assertBurstInvariants`). Only pods the set controlled from their creation are judged: a pod a
client created and the set adopted (ClaimPods) was not made by `newStatefulSetPod`.
"""

from collections.abc import Iterable

from stswatch.reports.history.informer import CACHE_LAG_NS
from stswatch.reports.history.lifecycles import PodIncarnation, StatefulSetIncarnation
from stswatch.reports.history.objects import parse_server_version
from stswatch.reports.history.pod_rules import POD_NAME_LABEL
from stswatch.reports.history.transition import Transition, first_of
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.verdict import Evidence, Verdict

POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
POD_INDEX_ALWAYS = (1, 32)  # PodIndexLabel GA: the label on every pod the controller creates


def mismatches(
    sts: StatefulSetIncarnation, pod: PodIncarnation, *, server_version: str
) -> tuple[str, ...]:
    """What in `pod` as created differs from what `newStatefulSetPod` gives its ordinal; empty
    when all matches or the pod was not made by this set's controller (no ordinal, no owner at
    creation)."""
    if pod.ordinal is None or pod.controller_at(pod.created.rank) != sts.uid:
        return ()
    spec = sts.spec_at(pod.created.rank)
    found = []
    if pod.hostname != pod.name:
        found.append(f"hostname {_shown(pod.hostname)}, not {pod.name} (initIdentity)")
    if spec.service_name and pod.subdomain != spec.service_name:
        found.append(
            f"subdomain {_shown(pod.subdomain)}, not serviceName {spec.service_name} (initIdentity)"
        )
    label = pod.labels.get(POD_NAME_LABEL)
    if label != pod.name:
        found.append(f"label {POD_NAME_LABEL}={_shown(label)}, not {pod.name} (updateIdentity)")
    index = pod.labels.get(POD_INDEX_LABEL)
    if parse_server_version(server_version) >= POD_INDEX_ALWAYS and index != str(pod.ordinal):
        found.append(f"label {POD_INDEX_LABEL}={_shown(index)}, not {pod.ordinal} (updateIdentity)")
    for template in sts.claim_templates:
        claim = f"{template}-{sts.name}-{pod.ordinal}"
        if claim not in pod.claims:
            found.append(f"no volume for claim {claim} of template {template} (updateStorage)")
    return tuple(found)


def first_refused(ctx: ProofContext, proof: str, pods: Iterable[PodIncarnation]) -> Verdict | None:
    """`proof`'s failure for the first of `pods` created without its ordinal's identity, or
    before its claims were there to mount."""
    for pod in pods:
        found = mismatches(ctx.episode.statefulset, pod, server_version=ctx.server_version)
        if found:
            cited = [ctx.cite_step(pod, pod.created, f"{pod.name} created")]
            return ctx.verdict(proof, "fail", refused(pod, found), cited)
        early = _before_its_claims(ctx, pod)
        if early is not None:
            return ctx.verdict(proof, "fail", early[0], early[1])
    return None


def _before_its_claims(ctx: ProofContext, pod: PodIncarnation) -> tuple[str, list[Evidence]] | None:
    """A pod created while one of its template's claims was missing or being deleted:
    `CreateStatefulPod` creates the pod's claims first (`createPersistentVolumeClaims`), and
    refuses ("pvc … is being deleted") while one has a deletionTimestamp. Judged only on a
    resourceVersion ordering with every claim change recorded; a deletion begun within the
    informer cache's lag before the creation may not have been seen (`_seen`)."""
    sts = ctx.episode.statefulset
    made = pod.ordinal is not None and pod.controller_at(pod.created.rank) == sts.uid
    if not made or pod.first_observed == "list" or "PersistentVolumeClaim" not in ctx.kinds:
        return None
    if ctx.basis != "resourceVersion" or any(g.kind == "PersistentVolumeClaim" for g in ctx.gaps):
        return None
    rank = pod.created.rank
    created = ctx.cite_step(pod, pod.created, f"{pod.name} created")
    for template in sts.claim_templates:
        name = f"{template}-{sts.name}-{pod.ordinal}"
        claims = ctx.life.claims_named(pod.namespace, name)
        alive = next((c for c in claims if c.alive_at(rank)), None)
        rule = (
            "CreateStatefulPod creates a pod's claims first (createPersistentVolumeClaims) and "
            "refuses while one is being deleted"
        )
        if alive is None:
            return f"{pod.name} was created before its claim {name} existed: {rule}", [created]
        stamp = first_of(alive.transitions, "terminating")
        if stamp is not None and stamp.rank < rank and _seen(ctx, pod, stamp):
            since = ctx.cite(stamp.change_id, f"{name} (uid {alive.uid}) being deleted")
            reason = (
                f"{pod.name} was created while its claim {name} was being deleted (since "
                f"#{stamp.change_id}), before a new {name} existed: {rule}"
            )
            return reason, [since, created]
    return None


# How far apart two informers of the controller (pods, claims), fed by one API server, may be.
_BETWEEN_CACHES_NS = 1_000_000_000


def _seen(ctx: ProofContext, pod: PodIncarnation, stamp: Transition) -> bool:
    """Whether the controller's claim informer had the claim's deletionTimestamp (`stamp`) when
    it created `pod`: beyond the informer cache's lag, or when the controller had already seen
    the pod's predecessor gone (its pod informer) well after the claim's deletion began."""
    since = pod.created.received_wall_ns - stamp.received_wall_ns
    if since > CACHE_LAG_NS:
        return True
    old = ctx.previous(pod)
    gone = old.deleted if old is not None else None
    return gone is not None and gone.received_wall_ns - stamp.received_wall_ns > _BETWEEN_CACHES_NS


def refused(pod: PodIncarnation, found: tuple[str, ...]) -> str:
    """The one wording of a pod created without the identity its ordinal is given."""
    return (
        f"{pod.name} was created with {'; '.join(found)}: newStatefulSetPod gives every pod "
        "it creates its ordinal's identity and storage"
    )


def _shown(value: str | None) -> str:
    return "(none)" if value is None else repr(value)
