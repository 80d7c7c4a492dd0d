"""Property tests: any order violation injected into a valid stream is caught."""

import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import verdict_of

Op = tuple[str, int]


def _scale_up_ops(n: int) -> list[Op]:
    return [(step, k) for k in range(n) for step in ("create", "schedule", "run", "ready")]


def _apply(b: ClusterBuilder, ops: list[Op]) -> None:
    for step, k in ops:
        name = f"web-{k}"
        if step == "create":
            if ("PersistentVolumeClaim", f"data-{name}") not in b.live:
                b.pvc(f"data-{name}")
                b.bind(f"data-{name}")
            b.create_pod("web", k)
        elif step == "schedule":
            b.schedule(name)
        elif step == "run":
            b.run(name)
        elif step == "ready":
            b.ready(name)
        elif step == "terminate":
            b.terminate(name)
        elif step == "remove":
            b.remove(name)


def _verify(b: ClusterBuilder, name: str = "s.db") -> VerifyResult:
    with tempfile.TemporaryDirectory() as tmp:
        return verify(b.write(Path(tmp) / name))


@st.composite
def _early_creation(draw: st.DrawFn) -> tuple[int, list[Op]]:
    """A valid OrderedReady scale-up of n pods with one creation moved before its gate opened."""
    n = draw(st.integers(min_value=2, max_value=6))
    k = draw(st.integers(min_value=1, max_value=n - 1))
    ops = _scale_up_ops(n)
    ops.remove(("create", k))
    gate = ops.index(("ready", k - 1))
    ops.insert(draw(st.integers(min_value=0, max_value=gate)), ("create", k))
    return n, ops


@settings(max_examples=40, deadline=None)
@given(_early_creation())
def test_creation_before_predecessor_ready_is_caught(case: tuple[int, list[Op]]) -> None:
    n, ops = case
    b = ClusterBuilder()
    b.statefulset("web", replicas=n)
    _apply(b, ops)
    result = _verify(b)
    assert verdict_of(result, "ordered-ready-gating", "scale-up").outcome == "fail"


@st.composite
def _early_deletion(draw: st.DrawFn) -> tuple[int, int, list[Op]]:
    """A valid OrderedReady scale-down n→m with one deletion begun before its predecessor left."""
    n = draw(st.integers(min_value=3, max_value=6))
    m = draw(st.integers(min_value=0, max_value=n - 2))
    condemned = list(range(n - 1, m - 1, -1))
    ops: list[Op] = [(step, k) for k in condemned for step in ("terminate", "remove")]
    q = condemned[draw(st.integers(min_value=1, max_value=len(condemned) - 1))]
    ops.remove(("terminate", q))
    gone = ops.index(("remove", q + 1))
    ops.insert(draw(st.integers(min_value=0, max_value=gone)), ("terminate", q))
    return n, m, ops


@settings(max_examples=40, deadline=None)
@given(_early_deletion())
def test_deletion_before_previous_gone_is_caught(case: tuple[int, int, list[Op]]) -> None:
    n, m, ops = case
    b = ClusterBuilder()
    b.statefulset("web", replicas=n)
    _apply(b, _scale_up_ops(n))
    b.set_spec("web", replicas=m)
    _apply(b, ops)
    result = _verify(b)
    verdict = verdict_of(result, "reverse-order-scale-down", "scale-down")
    assert verdict.outcome == "fail"


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=6), st.randoms(use_true_random=False))
def test_receive_order_does_not_matter_with_resource_versions(n: int, rnd: random.Random) -> None:
    """With numeric resourceVersions from one server, shuffled receive order changes nothing."""
    b = ClusterBuilder()
    b.statefulset("web", replicas=n)
    _apply(b, _scale_up_ops(n))
    b.sync_status("web")
    rows = list(b.rows)
    rnd.shuffle(b.rows)
    shuffled = _verify(b)
    b.rows = rows
    straight = _verify(b)
    outcomes = [(v.proof, v.outcome) for v in straight.verdicts]
    assert [(v.proof, v.outcome) for v in shuffled.verdicts] == outcomes
    assert all(outcome == "pass" for _, outcome in outcomes)


@st.composite
def _early_rollout_deletion(draw: st.DrawFn) -> tuple[int, list[Op]]:
    """A valid rolling update of n pods with one old pod deleted before its successor was Ready."""
    n = draw(st.integers(min_value=2, max_value=5))
    steps = ("terminate", "remove", "create", "schedule", "run", "ready")
    ops: list[Op] = [(step, k) for k in reversed(range(n)) for step in steps]
    q = draw(st.integers(min_value=0, max_value=n - 2))
    ops.remove(("terminate", q))
    ready = ops.index(("ready", q + 1), ops.index(("create", q + 1)))
    ops.insert(
        draw(st.integers(min_value=ops.index(("remove", q + 1)) + 1, max_value=ready)),
        ("terminate", q),
    )
    return n, ops


@settings(max_examples=30, deadline=None)
@given(_early_rollout_deletion())
def test_rollout_deletion_before_replacement_ready_is_caught(case: tuple[int, list[Op]]) -> None:
    n, ops = case
    b = ClusterBuilder()
    b.statefulset("web", replicas=n)
    _apply(b, _scale_up_ops(n))
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    _apply(b, ops)
    verdict = verdict_of(_verify(b), "rolling-update", "rolling-update")
    assert verdict.outcome == "fail", verdict.reason


Action = tuple[str, int]


@st.composite
def _valid_session(draw: st.DrawFn) -> list[Action]:
    """A random sequence of what an OrderedReady controller and a user may do, all in order."""
    return draw(
        st.lists(
            st.one_of(
                st.tuples(st.just("scale"), st.integers(min_value=0, max_value=5)),
                st.tuples(st.just("delete"), st.integers(min_value=0, max_value=4)),
                st.tuples(st.just("roll"), st.just(0)),
            ),
            min_size=1,
            max_size=6,
        )
    )


def _play(b: ClusterBuilder, actions: list[Action], *, policy: str) -> None:
    """Drive the builder as the real controller would: ascending, gated, descending, one by one."""
    replicas, revision = 2, 1
    b.service("web-headless")
    b.statefulset("web", replicas=replicas, policy=policy)
    for ordinal in range(replicas):
        b.bring_up("web", ordinal)
    b.sync_status("web")
    for action, value in actions:
        if action == "scale" and value != replicas:
            b.set_spec("web", replicas=value)
            for ordinal in range(replicas, value):
                b.bring_up("web", ordinal)
            for ordinal in reversed(range(value, replicas)):
                b.take_down("web", ordinal)
            replicas = value
        elif action == "delete" and value < replicas:
            b.take_down("web", value)
            b.bring_up("web", value)
        elif action == "roll":
            revision += 1
            b.set_spec("web", image=f"nginx:{revision}")
            generation = b.get("StatefulSet", "web")["metadata"]["generation"]
            b.controller_revision("web", f"web-rev{revision}", revision)
            b.set_status("web", observedGeneration=generation, updateRevision=f"web-rev{revision}")
            for ordinal in reversed(range(replicas)):
                b.take_down("web", ordinal)
                b.bring_up("web", ordinal)
        b.sync_status("web")
        b.endpoints("web-headless")


@settings(max_examples=40, deadline=None)
@given(_valid_session(), st.sampled_from(["OrderedReady", "Parallel"]))
def test_valid_sessions_never_fail(actions: list[Action], policy: str) -> None:
    """No false alarms: whatever a correct controller does, no verdict fails."""
    b = ClusterBuilder()
    _play(b, actions, policy=policy)
    result = _verify(b)
    failed = [(v.proof, v.reason) for v in result.verdicts if v.outcome == "fail"]
    assert not failed, (actions, failed)
    assert result.count("inconclusive") == 0
