"""One module per StatefulSet guarantee; each decides a `Verdict` for one episode, with evidence.

Every proof is a function `decide(ctx: ProofContext) -> Verdict | None` (None: the proof says
nothing about this kind of episode). The semantics are the real controller's
(`/work/shared/STATEFULSET.md`), named with its words: `monotonic`, `condemned`, `partition`.
"""
