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

from stswatch.reports.history.lifecycles import PodIncarnation, StatefulSetIncarnation
from stswatch.reports.history.objects import parse_server_version
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.verdict import Verdict

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
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
    """`proof`'s failure for the first of `pods` created without its ordinal's identity."""
    for pod in pods:
        found = mismatches(ctx.episode.statefulset, pod, server_version=ctx.server_version)
        if found:
            cited = [ctx.cite_step(pod, pod.created, f"{pod.name} created")]
            return ctx.verdict(proof, "fail", refused(pod, found), cited)
    return None


def refused(pod: PodIncarnation, found: tuple[str, ...]) -> str:
    """The one wording of a pod created without the identity its ordinal is given."""
    return (
        f"{pod.name} was created with {'; '.join(found)}: newStatefulSetPod gives every pod "
        "it creates its ordinal's identity and storage"
    )


def _shown(value: str | None) -> str:
    return "(none)" if value is None else repr(value)
