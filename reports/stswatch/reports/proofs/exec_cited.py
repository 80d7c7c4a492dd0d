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

from stswatch.exec_mark_format import dns_answers, etcd_status, zookeeper_srvr
from stswatch.reports.history.episodes import Recreation
from stswatch.reports.proofs.context import ProofContext
from stswatch.reports.proofs.exec_outputs import ExecMark, during, program, run_in
from stswatch.reports.proofs.verdict import Evidence, MarkRef, Outcome, Verdict

Decided = tuple[Outcome, str, list[Evidence]]


@dataclass(frozen=True)
class Cited:
    """A phrase for a verdict's reason and the marks it cites."""

    text: str
    marks: tuple[MarkRef, ...]


@dataclass(frozen=True)
class _Store:
    """A client that writes a key with one verb and prints it with another, in the pod it runs
    in: `redis-cli SET k v` / `GET k`, `etcdctl put k v` / `get k --print-value-only`."""

    program: str
    write: str
    read: str
    read_flags: frozenset[str] = frozenset()  # flags a read may carry (no other server)
    needed: str | None = None  # a flag the read must carry to print the value alone


STORES = (
    _Store("redis-cli", "SET", "GET"),
    # `--consistency=s`: the member answers from its own store, not the leader's
    _Store(
        "etcdctl",
        "put",
        "get",
        frozenset({"--print-value-only", "--consistency=s", "--consistency=l"}),
        "--print-value-only",
    ),
)


def _args(mark: ExecMark, verb: str) -> tuple[_Store, tuple[str, ...]] | None:
    """The store and the arguments after `verb` of a command run against the pod's own server.

    Options before the verb (`-h host`, `--endpoints`) may point at another server or database,
    so such a command is not read as this pod's data.
    """
    args = mark.command[1:]
    for store in STORES:
        wanted = store.write if verb == "write" else store.read
        if program(mark) == store.program and args and args[0].upper() == wanted.upper():
            return store, args[1:]
    return None


def _read_key(mark: ExecMark) -> tuple[_Store, str] | None:
    found = _args(mark, "read")
    if found is None:
        return None
    store, args = found
    flags = set(args[1:])
    if not args or not flags <= store.read_flags or (store.needed and store.needed not in flags):
        return None
    return store, args[0]


def read_back(
    marks: Sequence[ExecMark], recreation: Recreation, *, same_claim: bool
) -> Cited | None:
    """What a store's read printed in the new pod, against what its write put in the old one.

    `same_claim`: the controller reattached the very claim, so a different value is the data's
    story, not the controller's.
    """
    old, new = recreation.old, recreation.new
    get = next((m for m in run_in(marks, new) if _read_key(m) is not None), None)
    if get is None:
        return None
    store, key = _read_key(get) or (STORES[0], "")
    shown = f"`{' '.join(get.command)}` in the new {new.name} printed {get.output!r}"
    written = [
        (m, args[1])
        for m in run_in(marks, old)
        if (found := _args(m, "write")) is not None
        and found[0] is store
        and len(args := found[1]) == 2
        and args[0] == key
        and m.output == "OK"
    ]
    if not written:
        return Cited(f"{shown} (mark #{get.mark_id})", (get.ref(f"read back {get.output!r}"),))
    put, value = written[-1]
    refs = (put.ref(f"wrote {value!r} in the old {old.name}"), get.ref(f"read {get.output!r}"))
    ids = f"(marks #{put.mark_id}, #{get.mark_id})"
    verb = f"`{store.program} {store.write}`"
    if get.output == value:
        return Cited(f"{shown}, the value {verb} wrote in the old one {ids}", refs)
    differs = f"the data read back differs: {shown}, not {value!r}, which {verb} wrote"
    lead = "the controller reattached the same claim; " if same_claim else ""
    return Cited(f"{lead}{differs} in the old one {ids}", refs)


@dataclass(frozen=True)
class _Member:
    """Who a pod was in its cluster, as one exec output told it."""

    mark: ExecMark
    what: str  # "etcd member", "ZooKeeper server"
    identity: str  # "member ab12 of cluster c1", "myid 2": what must not change
    shown: str  # how the output reads in a reason


def _etcd_member(mark: ExecMark) -> _Member | None:
    """`etcdctl endpoint status -w json` of the pod's own member (no `--endpoints`)."""
    if program(mark) != "etcdctl" or mark.command[1:3] != ("endpoint", "status"):
        return None
    if any(part.startswith("--endpoints") or part == "--cluster" for part in mark.command):
        return None  # another member's status, not this pod's
    status = etcd_status(mark.output)
    if status is None:
        return None
    role = "the leader" if status.is_leader else f"leader {status.leader}"
    return _Member(
        mark,
        "etcd member",
        f"member {status.member_id} of cluster {status.cluster_id}",
        f"`etcdctl endpoint status` in the new {mark.pod}: member {status.member_id} ({role})",
    )


def _zookeeper_server(mark: ExecMark) -> _Member | None:
    """`cat <dataDir>/myid`: the server id ZooKeeper reads from its data dir."""
    if program(mark) != "cat" or len(mark.command) != 2 or not mark.command[1].endswith("/myid"):
        return None
    if not mark.output.strip().isdigit():
        return None
    myid = mark.output.strip()
    shown = f"`cat {mark.command[1]}` in the new {mark.pod} printed {myid}"
    return _Member(mark, "ZooKeeper server", f"myid {myid}", shown)


def _members(marks: Sequence[ExecMark]) -> list[_Member]:
    return [
        member for m in marks if (member := _etcd_member(m) or _zookeeper_server(m)) is not None
    ]


def member_identity(marks: Sequence[ExecMark], recreation: Recreation) -> Cited | None:
    """The cluster member the pod was before and after its recreation: the etcd member ID
    (`etcdctl endpoint status`), the ZooKeeper myid (`cat <dataDir>/myid`), and the `srvr`
    answer (mode, zxid) of the new pod.

    A member restarted on its own data dir keeps its identity (etcd reads its member ID from the
    WAL, ZooKeeper its myid from the data dir); another one means the new pod joined as another
    member, without its predecessor's data.
    """
    old, new = recreation.old, recreation.new
    after = _members(run_in(marks, new))
    if not after:
        return None
    now = after[-1]
    before = [m for m in _members(run_in(marks, old)) if m.what == now.what]
    served = _srvr(run_in(marks, new))
    if not before:
        cited = Cited(f"{now.shown} (mark #{now.mark.mark_id})", (now.mark.ref(now.identity),))
        return joined(cited, served)
    was = before[-1]
    refs = (was.mark.ref(f"{was.identity} (before)"), now.mark.ref(f"{now.identity} (after)"))
    ids = f"(marks #{was.mark.mark_id}, #{now.mark.mark_id})"
    if was.identity == now.identity:
        return joined(
            Cited(f"{now.shown}, the same {now.what} as the old {old.name} {ids}", refs), served
        )
    text = (
        f"{new.name} came back as a NEW {now.what}: {now.identity}, not {was.identity} as the "
        f"old {old.name} was {ids}; it did not restart from its predecessor's data"
    )
    return joined(Cited(text, refs), served)


def _srvr(marks: Sequence[ExecMark]) -> Cited | None:
    """The last `srvr` answer in the new pod: ZooKeeper's mode and last zxid."""
    answered = [(m, state) for m in marks if (state := zookeeper_srvr(m.output)) is not None]
    if not answered:
        return None
    mark, state = answered[-1]
    text = f"`srvr` in the new {mark.pod}: {state.mode}, zxid {state.zxid} (mark #{mark.mark_id})"
    return Cited(text, (mark.ref(f"{state.mode}, zxid {state.zxid}"),))


def joined(*found: Cited | None) -> Cited | None:
    """Several citations as one: their phrases in order, their marks in order."""
    present = [c for c in found if c is not None]
    if not present:
        return None
    return Cited("; ".join(c.text for c in present), tuple(r for c in present for r in c.marks))


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
    marks: list[tuple[str, tuple[MarkRef, ...]]] = []

    def each(recreation: Recreation) -> Decided:
        decided = one(recreation)
        outcome, reason, cited = decided
        found = cite(recreation, decided)
        marks.append((outcome, found.marks if found is not None else ()))
        return outcome, reason if found is None else f"{reason}; {found.text}", cited

    return with_marks(ctx.per_recreation(proof, recreations, each), marks)


def with_marks(
    verdict: Verdict, per_recreation: Sequence[tuple[str, tuple[MarkRef, ...]]]
) -> Verdict:
    """The verdict citing the marks of the recreations its reason tells: those whose outcome
    is the verdict's (`ProofContext.per_recreation`), each recreation's (outcome, marks)."""
    chosen = [refs for outcome, refs in per_recreation if outcome == verdict.outcome]
    if not chosen:
        return verdict
    return replace(verdict, marks=tuple(ref for refs in chosen for ref in refs))
