"""The outputs of a scenario's exec steps, read from the recording's marks, per pod incarnation.

A scenario's `exec` step runs a command in a pod (`kubectl exec`'s path: the pod's `exec`
subresource, answered by the node's kubelet) and marks its output (`stswatch.exec_mark_format`).
Proofs cite those outputs beside the changes: the value read back in a recreated pod, a DNS
answer. A mark names a pod by name only, so it belongs to the incarnation alive when it was
recorded: receive times are the recorder's one wall clock for changes and marks alike.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from stswatch import exec_mark_format as keys
from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.proofs.verdict import MarkRef
from stswatch.reports.recording import Mark, Recording


@dataclass(frozen=True)
class ExecMark:
    """One exec step's mark: where the command ran, what it was and what it printed."""

    mark_id: int
    received_wall_ns: int
    step: int | None
    label: str
    namespace: str
    pod: str
    command: tuple[str, ...]
    output: str

    def ref(self, note: str) -> MarkRef:
        """This mark as a verdict cites it."""
        return MarkRef(self.mark_id, self.received_wall_ns, self.step, self.label, note)


def exec_marks(recording: Recording) -> tuple[ExecMark, ...]:
    """Every exec mark that says where it ran and what it printed, in receive order."""
    return tuple(m for m in (_exec_mark(mark) for mark in recording.marks) if m is not None)


def _exec_mark(mark: Mark) -> ExecMark | None:
    detail = mark.detail if isinstance(mark.detail, dict) else {}
    command, output = detail.get(keys.COMMAND), detail.get(keys.OUTPUT)
    pod = detail.get(keys.POD)
    if detail.get("kind") != "exec" or not isinstance(command, list) or not command:
        return None
    if not isinstance(output, str) or not isinstance(pod, str):
        return None
    step = detail.get("step")
    return ExecMark(
        mark_id=mark.id,
        received_wall_ns=mark.received_wall_ns,
        step=step if isinstance(step, int) else None,
        label=mark.label,
        namespace=str(detail.get(keys.NAMESPACE) or ""),
        pod=pod,
        command=tuple(str(part) for part in command),
        output=output,
    )


def during(marks: Iterable[ExecMark], pod: PodIncarnation) -> list[ExecMark]:
    """The exec marks of the pod's namespace recorded while this incarnation existed.

    Between its creation and its deletion as recorded: a mark about the same name before or
    after belongs to another incarnation.
    """
    start = pod.created.received_wall_ns
    gone = pod.deleted.received_wall_ns if pod.deleted is not None else None
    return [
        m
        for m in marks
        if m.namespace in ("", pod.namespace)
        and m.received_wall_ns >= start
        and (gone is None or m.received_wall_ns < gone)
    ]


def run_in(marks: Iterable[ExecMark], pod: PodIncarnation) -> list[ExecMark]:
    """The exec marks of commands run in this very incarnation."""
    return [m for m in during(marks, pod) if m.pod == pod.name]


def program(mark: ExecMark) -> str:
    """The command's program name, without its directory (`/bin/nslookup` → `nslookup`)."""
    return mark.command[0].rsplit("/", 1)[-1]
