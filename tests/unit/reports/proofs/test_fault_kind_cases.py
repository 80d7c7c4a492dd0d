"""The fault kinds of issue 10, recorded on the lab's real controller: the right verdicts, in words.

Each row names a session of `recordings/cases.db.gz`, `cases2.db.gz` or `cases3.db.gz` (scenario
files in `scenarios/cases/` and `scenarios/faults/`, whose top comments say what really happens), a
proof,
the episode it is decided on, and the outcome and words the verdict must carry. No recording here
has a verdict that fails: in each the controller did what it should, although things went wrong.
"""

from functools import cache
from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.fault_kinds import ROWS, Row
from tests.fixtures.real import real_store

SESSIONS = sorted({(store, session) for store, session, *_ in ROWS})


@cache
def _result(store: str, session: str, tmp: Path) -> VerifyResult:
    return verify(load_recording(real_store(tmp, store), session))


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cases")


def _verdict(result: VerifyResult, proof: str, kind: str, nth: int) -> Verdict:
    episodes = [e for e in result.episodes if e.kind == kind]
    assert len(episodes) > nth, [e.kind for e in result.episodes]
    return next(v for v in episodes[nth].verdicts if v.proof == proof)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[1]}:{r[2]}:{r[4]}" for r in ROWS])
def test_the_right_verdict_in_the_right_words(row: Row, stores: Path) -> None:
    store, session, proof, kind, nth, outcome, words = row
    verdict = _verdict(_result(store, session, stores), proof, kind, nth)
    assert verdict.outcome == outcome, verdict.reason
    for word in words:
        assert word in verdict.reason


@pytest.mark.parametrize(("store", "session"), SESSIONS)
def test_no_verdict_fails_when_the_controller_was_right(
    store: str, session: str, stores: Path
) -> None:
    result = _result(store, session, stores)
    assert not result.failed, [v.reason for v in result.verdicts if v.outcome == "fail"]


def test_a_halt_is_never_invented_at_a_pod_the_scale_up_just_created(stores: Path) -> None:
    result = _result("cases", "halt-mid-scale-up-orderedready", stores)
    gating = _verdict(result, "ordered-ready-gating", "scale-up", 0)
    held = [clause for clause in gating.reason.split("; ")[1:] if "held at" in clause]
    assert [c.split(" (")[0] for c in held] == ["held at web-2"]


def test_who_deleted_a_recreated_pod_and_on_what_basis(stores: Path) -> None:
    evicted = _result("cases2", "evicted-pod-orderedready", stores).episodes[1]
    assert evicted.kind == "pod-recreated"
    assert "web-1 ended Failed (Evicted)" in evicted.summary
    assert "deleted by the StatefulSet controller (its SuccessfulDelete Event)" in evicted.summary
    by_hand = _result("cases", "claim-deleted-with-pod-orderedready", stores).episodes[1]
    assert "deleted by a client (no SuccessfulDelete Event" in by_hand.summary


def test_every_episode_says_where_it_stands(stores: Path) -> None:
    for store, session in SESSIONS:
        for episode in _result(store, session, stores).episodes:
            assert episode.progress is not None
            assert episode.progress.text
    halted = _result("cases2", "rollout-stuck-unrescued-parallel", stores).episodes[-1]
    assert halted.progress is not None
    assert halted.progress.state == "halted"
    assert halted.progress.holds[-1].pod == "web-2"


def test_retention_policy_is_carried_to_the_report(stores: Path) -> None:
    result = _result("cases2", "retention-when-scaled-delete-parallel", stores)
    assert {e.retention_policy for e in result.episodes} == {
        "whenScaled=Delete, whenDeleted=Retain"
    }


def test_a_finalizer_after_a_completed_rollout_is_no_forced_rollback(stores: Path) -> None:
    # Issue 20, item 1: the rollout had completed and nothing was rolled back; a client's
    # deletion of web-0 (below the partition, kept by a finalizer) is a hold of its own.
    result = _result("cases3", "finalizer-after-rollout-orderedready", stores)
    reasons = [v.reason for v in result.verdicts]
    assert not [r for r in reasons if "forced rollback" in r]
    assert not [r for r in reasons if "until web-0 deleted by" in r]


def test_orphaned_pods_adopted_by_a_set_that_cannot_update_them(stores: Path) -> None:
    # Issue 20, item 6: deleted with --cascade=orphan, no pod goes; the new set adopts the pods
    # and its update of web-0 (a second claim template: a new volume) is refused, every sync.
    for session in ("orphan-and-adopt-orderedready", "orphan-and-adopt-parallel"):
        result = _result("cases3", session, stores)
        deleted = next(e for e in result.episodes if e.kind == "statefulset-deleted")
        assert deleted.progress is not None
        assert (
            deleted.progress.text == "completed: web-0, web-1 left running, orphaned (none deleted)"
        )
        replaced = next(e for e in result.episodes if e.kind == "statefulset-replaced")
        assert replaced.progress is not None
        assert "web-0, web-1 adopted by the new StatefulSet" in replaced.progress.text
        adopting = next(e for e in result.episodes if "of the pods it adopted" in e.summary)
        assert adopting.kind == "rolling-update"  # the adopted pods are at the old revision
        assert adopting.progress is not None
        text = adopting.progress.text
        # A refused call is a hold of its own: at the pod it names, from the first refusal.
        assert adopting.progress.state == "halted"
        assert text.startswith(
            "did not complete within the episode (the recording ended): halted at web-0 (update "
            'refused: FailedUpdate recorded 12 times ("update Pod web-0 in StatefulSet web failed '
            'error: Pod "web-0" is invalid'
        )
        assert ")) for 13.4 s within the episode" in text
        assert "next step: create web-0" not in text
        assert not result.failed
