"""The controller's rules for one pod (`stateful_set_utils.go`, `podutil.IsPodAvailable`), the
one source the replay, the proofs and status/doctor read: Ready against Available with
minReadySeconds, terminating, Failed and Succeeded, a pod without conditions, hostile JSON."""

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stswatch.reports import causes
from stswatch.reports.history.first_unhealthy import lowest_unhealthy
from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.history.pod_rules import (
    PHASES,
    PodState,
    api_phase,
    api_pod_state,
    halts_walk,
    is_available,
    is_healthy,
    is_running_and_available,
    is_running_and_ready,
    is_terminal,
    is_terminating,
)
from stswatch.reports.history.replay import replay_set
from stswatch.reports.live.pods import blocker
from stswatch.reports.proofs.context import health
from tests.fixtures.builder import ClusterBuilder

SERVING = PodState("running", ready=True, ready_since=100.0)


def _halts(pod: PodState, min_ready: int = 0, now: float = 1000.0) -> str | None:
    return halts_walk(pod, min_ready_seconds=min_ready, now=now)


def test_ready_is_not_available_until_min_ready_seconds_have_passed() -> None:
    assert is_running_and_ready(SERVING)
    assert not is_available(SERVING, min_ready_seconds=10, now=105.0)
    assert _halts(SERVING, 10, 105.0) == causes.NOT_AVAILABLE
    assert not is_available(SERVING, min_ready_seconds=10, now=109.999)
    # API timestamps are cut to the second: exactly minReadySeconds later may be past it.
    assert is_available(SERVING, min_ready_seconds=10, now=110.0)
    assert _halts(SERVING, 10, 110.0) is None


def test_without_min_ready_seconds_ready_is_available_whatever_its_time() -> None:
    unknown = PodState("running", ready=True, ready_since=None)
    assert is_available(unknown, min_ready_seconds=0, now=0.0)
    assert _halts(unknown) is None


def test_an_unknown_ready_time_is_never_available_with_min_ready_seconds() -> None:
    # IsPodAvailable asks a non-zero lastTransitionTime before it counts minReadySeconds.
    unknown = PodState("running", ready=True, ready_since=None)
    assert not is_available(unknown, min_ready_seconds=1, now=1e12)
    assert _halts(unknown, 1, 1e12) == causes.NOT_AVAILABLE


def test_the_recordings_nanosecond_clock_is_exact_at_the_boundary() -> None:
    ready_ns = 1_765_000_000_123_456_789
    pod = PodState("running", ready=True, ready_since=ready_ns)
    at = ready_ns + 5 * 10**9
    assert is_available(pod, min_ready_seconds=5, now=at, per_second=10**9)
    assert not is_available(pod, min_ready_seconds=5, now=at - 1, per_second=10**9)


def test_a_terminating_ready_pod_is_ready_but_not_healthy() -> None:
    # readyReplicas counts it (isRunningAndReady; kubernetes#86209), processReplica waits on it.
    pod = PodState("running", ready=True, ready_since=1.0, terminating=True)
    assert is_terminating(pod)
    assert is_running_and_ready(pod)
    assert not is_healthy(pod)
    assert _halts(pod) == causes.TERMINATING


@pytest.mark.parametrize("phase", ["failed", "succeeded"])
def test_failed_and_succeeded_pods_are_terminal_and_stop_the_walk(phase: str) -> None:
    pod = PodState(phase, ready=False)
    assert is_terminal(pod)
    assert not is_running_and_ready(pod)
    assert _halts(pod) == causes.NOT_RUNNING
    # Terminating comes first: processReplica waits for a terminal pod it already deleted.
    assert _halts(PodState(phase, terminating=True)) == causes.TERMINATING


@pytest.mark.parametrize("phase", [None, "pending", "unknown"])
def test_a_pod_not_running_stops_the_walk_even_if_its_ready_condition_says_true(
    phase: str | None,
) -> None:
    pod = PodState(phase, ready=True, ready_since=1.0)
    assert not is_running_and_ready(pod)
    assert not is_running_and_available(pod, min_ready_seconds=0, now=2.0)
    assert not is_terminal(pod)
    assert _halts(pod) == causes.NOT_RUNNING


def test_a_pod_with_no_conditions_is_running_but_not_ready() -> None:
    view = api_pod_state({"metadata": {"name": "web-0"}, "status": {"phase": "Running"}})
    assert view == PodState("running", ready=False, ready_since=None, terminating=False)
    assert _halts(view) == causes.NOT_READY


def test_a_served_pods_json_reads_as_the_controller_reads_it() -> None:
    pod = {
        "metadata": {"name": "web-0", "deletionTimestamp": "2026-01-01T00:00:30Z"},
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "PodScheduled", "status": "True"},
                {"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
            ],
        },
    }
    view = api_pod_state(pod)
    assert view == PodState("running", True, 1767225600.0, True)
    assert _halts(view) == causes.TERMINATING


HOSTILE: list[Any] = [
    {},
    {"status": "Running"},
    {"status": {"phase": 3, "conditions": {"type": "Ready", "status": "True"}}},
    {"status": {"phase": "running", "conditions": ["Ready", None, 7]}},
    {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "true"}]}},
    {"status": {"phase": ["Running"], "conditions": [{"type": "Ready", "status": True}]}},
    {"metadata": "x", "status": {"phase": None}},
    {"metadata": {"deletionTimestamp": ""}, "status": {"phase": "Unknown"}},
]


@pytest.mark.parametrize("pod", HOSTILE)
def test_hostile_fields_read_as_absent_never_as_ready(pod: Any) -> None:
    view = api_pod_state(pod)
    assert not view.ready
    assert not view.terminating
    assert not is_running_and_ready(view)
    assert _halts(view) in (causes.NOT_RUNNING, causes.NOT_READY)


def test_a_malformed_ready_time_is_unknown() -> None:
    pod = {
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "yesterday"}],
        }
    }
    view = api_pod_state(pod)
    assert view.ready
    assert view.ready_since is None
    assert _halts(view, 0) is None
    assert _halts(view, 5) == causes.NOT_AVAILABLE


def test_only_the_apis_spelling_of_a_phase_is_a_phase() -> None:
    assert [api_phase(p.capitalize()) for p in PHASES] == list(PHASES)
    assert api_phase("running") is None
    assert api_phase("RUNNING") is None
    assert api_phase(None) is None


VIEWS = st.builds(
    PodState,
    st.sampled_from([None, *PHASES]),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 100)),
    st.booleans(),
)


@given(pod=VIEWS, min_ready=st.integers(0, 20), now=st.integers(0, 150))
def test_the_walk_goes_on_exactly_past_a_healthy_available_pod(
    pod: PodState, min_ready: int, now: int
) -> None:
    # processReplica: isTerminating, then !isRunningAndReady, then !isRunningAndAvailable.
    cause = halts_walk(pod, min_ready_seconds=min_ready, now=now)
    available = is_running_and_available(pod, min_ready_seconds=min_ready, now=now)
    assert (cause is None) == (is_healthy(pod) and available)
    assert (cause == causes.TERMINATING) == is_terminating(pod)
    assert not (is_terminal(pod) and is_running_and_ready(pod))
    if min_ready == 0:
        assert (cause is None) == is_healthy(pod)


def test_the_replay_the_proofs_the_sweep_and_doctor_stop_at_one_pod_for_one_reason(
    tmp_path: Path,
) -> None:
    # The four readers of the rules, each on its own input: the replay's walk, the proofs'
    # `health` of an incarnation, the sweep of `lowest_unhealthy`, doctor's `blocker` of the JSON.
    b = ClusterBuilder()
    b.statefulset("web", replicas=3)
    b.bring_up("web", 0)
    b.create_pod("web", 1)
    b.start_pod("web-1")
    b.ready("web-0", False)
    b.ready("web-0")
    b.terminate("web-1")
    b.remove("web-1")
    b.bring_up("web", 1, with_claim=False)
    b.bring_up("web", 2)
    recording = b.write(tmp_path / "s.db")
    life = build_lifecycles(recording)
    (sts,) = life.statefulsets
    replay = replay_set(life, sts)
    rank = life.ordering.rank
    sweep = lowest_unhealthy(
        life.pods_of(sts), start=0, ranks=[rank[c.id] + 1 for c in recording.changes]
    )
    latest: dict[str, dict[str, Any]] = {}
    seen: list[str] = []
    for change in recording.changes:
        if change.kind == "Pod":
            latest[change.uid] = change.object
        decision = replay.at(rank[change.id])
        if decision is None or decision.state != "held" or decision.pod is None:
            continue
        pod = decision.pod
        proof = health(pod, rank[change.id] + 1, min_ready_seconds=0, at=None)
        doctor = blocker(latest[pod.uid], min_ready_seconds=0, now=0.0)
        assert not proof.ok
        assert proof.problem.startswith(decision.cause), (proof, decision)
        assert doctor is not None
        assert doctor.cause == decision.cause
        assert sweep[rank[change.id] + 1] == decision.ordinal
        seen.append(decision.cause)
    assert set(seen) == {causes.NOT_RUNNING, causes.NOT_READY, causes.TERMINATING}
