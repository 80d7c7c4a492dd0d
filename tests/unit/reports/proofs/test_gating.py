"""OrderedReady gating: no pod created while a lower ordinal is not Running and Ready (or not
Available with minReadySeconds); halts and holds told where they happened."""

from pathlib import Path

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from tests.fixtures.verdicts import verdict_of, web_set


def _verdict(result: VerifyResult, proof: str, nth: int = 0) -> Verdict:
    return verdict_of(result, proof, "scale-up", nth)


def test_successor_created_before_predecessor_ready_fails(tmp_path: Path) -> None:
    b = web_set()
    b.bring_up("web", 0)
    b.create_pod("web", 1)
    b.schedule("web-1")
    b.run("web-1")
    b.create_pod("web", 2)  # web-1 is Running but not Ready
    b.ready("web-1")
    result = verify(b.write(tmp_path / "s.db"))
    gating = _verdict(result, "ordered-ready-gating")
    assert gating.outcome == "fail"
    assert "web-2 was created while web-1 was not Ready" in gating.reason
    assert [e.name for e in gating.evidence] == ["web-1", "web-2"]
    assert gating.evidence[1].event == "ADDED"
    assert result.failed


def test_min_ready_seconds_requires_available(tmp_path: Path) -> None:
    for wait_ms, outcome in ((2_000, "fail"), (6_000, "pass")):
        b = web_set(replicas=2, min_ready_seconds=5)
        b.bring_up("web", 0)
        b.tick(wait_ms)
        b.bring_up("web", 1)
        gating = _verdict(verify(b.write(tmp_path / f"{wait_ms}.db")), "ordered-ready-gating")
        assert gating.outcome == outcome, gating.reason
        if outcome == "fail":
            assert "not Available" in gating.reason


def test_halt_cites_the_held_pod(tmp_path: Path) -> None:
    b = web_set(replicas=1)
    b.bring_up("web", 0)
    b.ready("web-0", False)  # the readiness probe breaks
    b.set_spec("web", replicas=3)
    b.tick(10_000)
    b.set_status("web", replicas=1, readyReplicas=0)
    result = verify(b.write(tmp_path / "s.db"))
    gating = _verdict(result, "ordered-ready-gating", nth=1)
    assert gating.outcome == "pass"
    assert "halted at web-0 (not Ready) for 10.1 s: no successor created" in gating.reason
    assert gating.evidence[-1].note == "held at web-0: web-0 Running, not Ready"
    assert _verdict(result, "ordinal-creation", nth=1).outcome == "not-applicable"


def test_missing_lower_pod_recreated_below_unhealthy_one(tmp_path: Path) -> None:
    b = web_set()
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.ready("web-1", False)
    b.take_down("web", 0)
    b.bring_up("web", 0)
    result = verify(b.write(tmp_path / "s.db"))
    recreated = next(e for e in result.episodes if e.kind == "pod-recreated")
    gating = next(v for v in recreated.verdicts if v.proof == "ordered-ready-gating")
    assert gating.outcome == "pass"


def test_a_hold_in_the_middle_of_a_scale_up_is_told_where_it_happened(tmp_path: Path) -> None:
    b = web_set(replicas=4)
    b.bring_up("web", 0)
    b.bring_up("web", 1)
    b.create_pod("web", 2)
    b.schedule("web-2")
    b.run("web-2")
    b.tick(6_000)  # web-2 Running, not Ready: no web-3 meanwhile
    b.ready("web-2")
    b.bring_up("web", 3)
    result = verify(b.write(tmp_path / "s.db"))
    gating = _verdict(result, "ordered-ready-gating")
    assert gating.outcome == "pass"
    assert "held at web-2 (not Ready) for 6." in gating.reason
    assert "s, until web-2 Ready, then web-3 created" in gating.reason
    assert "web-0" not in gating.reason.split(";", 1)[1]  # no hold invented at a new pod


def test_a_scale_up_without_a_hold_tells_none(tmp_path: Path) -> None:
    b = web_set(replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    gating = _verdict(verify(b.write(tmp_path / "s.db")), "ordered-ready-gating")
    assert gating.outcome == "pass"
    assert "held" not in gating.reason


def test_creation_racing_a_lower_pods_turn_is_the_controllers_cache(tmp_path: Path) -> None:
    # web-1 turned Ready, the controller's sync began, and web-0's readiness broke 0.1 s before
    # web-2 was created: a cache that showed web-1 Ready need not have shown that yet.
    b = web_set()
    b.bring_up("web", 0)
    b.bring_up("web", 1)
    b.ready("web-0", False)
    b.create_pod("web", 2)
    gating = _verdict(verify(b.write(tmp_path / "race.db")), "ordered-ready-gating")
    assert gating.outcome == "pass", gating.reason
    assert (
        "web-2 was created 0.100 s after web-0 turned not Ready, after web-1 was Ready: the "
        "controller's informer cache may not have shown it yet"
    ) in gating.reason


def test_lower_pod_unready_before_the_predecessor_ready_still_fails(tmp_path: Path) -> None:
    # web-0 broke before web-1 turned Ready: any cache showing web-1 Ready shows web-0 broken.
    b = web_set()
    b.bring_up("web", 0)
    b.create_pod("web", 1)
    b.schedule("web-1")
    b.run("web-1")
    b.ready("web-0", False)
    b.ready("web-1")
    b.create_pod("web", 2)
    gating = _verdict(verify(b.write(tmp_path / "bad.db")), "ordered-ready-gating")
    assert gating.outcome == "fail"
    assert gating.reason == "web-2 was created while web-0 was not Ready"


def test_lower_pod_unready_long_before_the_creation_still_fails(tmp_path: Path) -> None:
    b = web_set()
    b.bring_up("web", 0)
    b.bring_up("web", 1)
    b.ready("web-0", False)
    b.tick(40_000)  # past any call an admission webhook may hold (30 s): no slow write explains it
    b.create_pod("web", 2)
    gating = _verdict(verify(b.write(tmp_path / "late.db")), "ordered-ready-gating")
    assert gating.outcome == "fail"
    assert gating.reason == "web-2 was created while web-0 was not Ready"


def test_lower_pod_unready_seconds_before_the_creation_is_inconclusive(tmp_path: Path) -> None:
    # 10 s: past the informer cache's lag, within what a CREATE held by a webhook may take.
    b = web_set()
    b.bring_up("web", 0)
    b.bring_up("web", 1)
    b.ready("web-0", False)
    b.tick(10_000)
    b.create_pod("web", 2)
    gating = _verdict(verify(b.write(tmp_path / "slow.db")), "ordered-ready-gating")
    assert gating.outcome == "inconclusive"
    assert gating.reason.startswith(
        "would have been fail: web-2 was created while web-0 was not Ready; web-0 turned not "
        "Ready 10.1 s before, after web-1 was Ready"
    )


def test_halt_at_the_highest_ordinal_claims_no_missing_successor(tmp_path: Path) -> None:
    # A one-replica set: web-0 never turns Ready. Nothing above it can be created, so the halt
    # must not say that no successor was created; with three replicas it must.
    for replicas, said in ((1, False), (3, True)):
        b = web_set(replicas=replicas)
        b.create_pod("web", 0)
        b.schedule("web-0")
        b.run("web-0")
        b.tick(10_000)
        b.set_status("web", replicas=1, readyReplicas=0)
        gating = _verdict(verify(b.write(tmp_path / f"{replicas}.db")), "ordered-ready-gating")
        assert gating.outcome == "pass", gating.reason
        assert "halted at web-0 (not Ready)" in gating.reason
        assert ("no successor created" in gating.reason) is said, gating.reason


def test_a_hold_on_a_pod_a_client_was_deleting_ends_when_it_is_gone(tmp_path: Path) -> None:
    # The hold began on a pod already terminating (a client's delete): its removal released
    # it; the new pod's start is not joined to it (only a hold the client's delete cut is).
    b = web_set(replicas=3)
    b.bring_up("web", 0)
    b.controller_event(
        "web", "create", "Pod", "web-0"
    )  # Events recorded: no delete Event is a client
    b.bring_up("web", 1)
    b.terminate("web-1")
    b.tick(6_000)
    b.remove("web-1")
    b.bring_up("web", 1)
    b.bring_up("web", 2)
    gating = _verdict(verify(b.write(tmp_path / "s.db")), "ordered-ready-gating")
    assert gating.outcome == "pass", gating.reason
    assert "held at web-1 (terminating: deleted by a client) for 6.1 s, until web-1 gone" in (
        gating.reason
    )
    assert "created again;" not in gating.reason


def test_a_hold_cut_by_a_client_delete_goes_on_at_the_new_pod(tmp_path: Path) -> None:
    b = web_set(replicas=3)
    b.bring_up("web", 0)
    b.controller_event("web", "create", "Pod", "web-0")
    b.create_pod("web", 1)
    b.schedule("web-1")
    b.run("web-1")
    b.tick(5_000)
    b.terminate("web-1")  # a client's delete (no SuccessfulDelete Event)
    b.tick(1_000)
    b.remove("web-1")
    b.create_pod("web", 1)
    b.start_pod("web-1")
    b.bring_up("web", 2)
    gating = _verdict(verify(b.write(tmp_path / "s.db")), "ordered-ready-gating")
    assert gating.outcome == "pass", gating.reason
    assert "(web-1 deleted by a client after 5.3 s and created again; the new web-1 held it" in (
        gating.reason
    )
    assert "until web-1 Ready, then web-2 created" in gating.reason
