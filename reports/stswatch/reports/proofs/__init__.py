"""One module per StatefulSet guarantee; each decides a `Verdict` for one episode, with evidence.

Every proof is a function `decide(ctx: ProofContext) -> Verdict | None` (None: the proof says
nothing about this kind of episode). The semantics are the real controller's
(`updateStatefulSet` in pkg/controller/statefulset/stateful_set_control.go, replayed by
`stswatch.reports.history.replay`; docs/controller.md explains it for users), named with its words:
`monotonic`, `condemned`, `partition`.
"""
