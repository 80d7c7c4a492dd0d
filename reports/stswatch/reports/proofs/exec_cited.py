"""What a scenario's exec steps showed about one recreation: the value read back, a DNS answer.

Cited beside the controller's evidence, never deciding an outcome. The controller guarantees the
claim (`CreateStatefulPod` in pkg/controller/statefulset/stateful_pod_control.go reuses
`<template>-<set>-<ordinal>`) and the name (`initIdentity`); what the application read from the
volume and what the cluster DNS answered are facts of the run, told as they were, also when
they differ from what was written or from the pod's IP (a failed write, an answer cached from
the old pod: https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from stswatch.exec_marks import dns_answers
from stswatch.reports.history.episodes import Recreation
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.exec_marks import ExecMark, during, program, run_in
from stswatch.reports.proofs.verdict import Evidence, MarkRef, Outcome, Verdict

Decided = tuple[Outcome, str, list[Evidence]]


@dataclass(frozen=True)
class Cited:
    """A phrase for a verdict's reason and the marks it cites."""

    text: str
    marks: tuple[MarkRef, ...]


def _redis(mark: ExecMark, verb: str) -> tuple[str, ...] | None:
    """The arguments after `verb` of `redis-cli VERB ...` run against the pod's own server.

    Options before the verb (`-h host`, `-n db`) may point at another server or database, so
    such a command is not read as this pod's data.
    """
    args = mark.command[1:]
    if program(mark) != "redis-cli" or not args or args[0].upper() != verb:
        return None
    return args[1:]


def read_back(
    marks: Sequence[ExecMark], recreation: Recreation, *, same_claim: bool
) -> Cited | None:
    """What `redis-cli GET` printed in the new pod, against what `redis-cli SET` wrote in the old.

    `same_claim`: the controller reattached the very claim, so a different value is the data's
    story, not the controller's.
    """
    old, new = recreation.old, recreation.new
    get = next((m for m in run_in(marks, new) if len(_redis(m, "GET") or ()) == 1), None)
    if get is None:
        return None
    (key,) = _redis(get, "GET") or ()
    shown = f"`{' '.join(get.command)}` in the new {new.name} printed {get.output!r}"
    written = [
        m
        for m in run_in(marks, old)
        if (args := _redis(m, "SET")) and len(args) == 2 and args[0] == key and m.output == "OK"
    ]
    if not written:
        return Cited(f"{shown} (mark #{get.mark_id})", (get.ref(f"read back {get.output!r}"),))
    put = written[-1]
    value = (_redis(put, "SET") or ("", ""))[1]
    refs = (put.ref(f"wrote {value!r} in the old {old.name}"), get.ref(f"read {get.output!r}"))
    ids = f"(marks #{put.mark_id}, #{get.mark_id})"
    if get.output == value:
        return Cited(f"{shown}, the value `redis-cli SET` wrote in the old one {ids}", refs)
    differs = f"the data read back differs: {shown}, not {value!r}, which `redis-cli SET` wrote"
    lead = "the controller reattached the same claim; " if same_claim else ""
    return Cited(f"{lead}{differs} in the old one {ids}", refs)


def _asked(mark: ExecMark, fqdn: str) -> bool:
    """Whether the mark is an nslookup of `fqdn` (or a name the search path completes to it)."""
    if program(mark) != "nslookup" or len(mark.command) < 2:
        return False
    name = mark.command[1].rstrip(".")
    return name == fqdn or fqdn.startswith(name + ".")


def _answer(addresses: list[str]) -> str:
    return ", ".join(addresses) or "no address"


def dns_answer(
    marks: Sequence[ExecMark],
    recreation: Recreation,
    *,
    fqdn: str,
    ip: str,
    slice_change: int | None,
) -> Cited | None:
    """The nslookup of the pod's DNS name in the new incarnation's life, beside the old one's.

    The first answer naming the new IP is cited, beside the EndpointSlice change that serves it
    (`slice_change`); when none did, the last answer, told as it was.
    """
    old, new = recreation.old, recreation.new
    asked = [(m, dns_answers(m.output)) for m in during(marks, new) if _asked(m, fqdn)]
    if not asked:
        return None
    hit, addresses = next(((m, a) for m, a in asked if ip in a), asked[-1])
    answered = _answer(addresses)
    name = hit.command[1]
    text = f"`nslookup {name}` from pod {hit.pod} answered {answered}"
    if ip in addresses:
        text += f", the new {new.name}'s IP"
    else:
        text += f", not the new {new.name}'s IP {ip}"
    refs = [hit.ref(f"{name} → {answered}")]
    served = f"EndpointSlice change #{slice_change}, " if slice_change is not None else ""
    text += f" ({served}mark #{hit.mark_id})"
    before = [m for m in during(marks, old) if _asked(m, fqdn)]
    if before:
        earlier = before[-1]
        earlier_answer = _answer(dns_answers(earlier.output))
        text += f"; before the recreation it answered {earlier_answer} (mark #{earlier.mark_id})"
        refs.insert(0, earlier.ref(f"{name} → {earlier_answer} (before)"))
    return Cited(text, tuple(refs))


def citing_marks(
    ctx: ProofContext,
    proof: str,
    recreations: list[Recreation],
    one: Callable[[Recreation], Decided],
    cite: Callable[[Recreation, Decided], Cited | None],
) -> Verdict:
    """`ctx.per_recreation`, each reason followed by what `cite` found in the scenario's marks.

    The outcome is `one`'s alone: the marks are told beside it, never weighed.
    """
    marks: list[tuple[MarkRef, ...]] = []

    def each(recreation: Recreation) -> Decided:
        decided = one(recreation)
        outcome, reason, cited = decided
        found = cite(recreation, decided)
        marks.append(found.marks if found is not None else ())
        return outcome, reason if found is None else f"{reason}; {found.text}", cited

    return with_marks(ctx.per_recreation(proof, recreations, each), marks)


def with_marks(verdict: Verdict, per_recreation: Sequence[tuple[MarkRef, ...]]) -> Verdict:
    """The verdict citing the marks of the recreations its reason tells.

    A passing verdict tells every recreation; any other tells only the last one decided
    (`ProofContext.per_recreation` stops at the first that does not pass).
    """
    if not per_recreation:
        return verdict
    chosen = per_recreation if verdict.outcome == "pass" else per_recreation[-1:]
    return replace(verdict, marks=tuple(ref for refs in chosen for ref in refs))
