"""A rolling update superseded while its first victim is still terminating (cases29, real
nodes: containers that ignore SIGTERM, a grace period of 8 s). The update to v2 deletes web-2;
2 s later the template goes back to v1 (b343) or on to v3 (b349); web-2 comes back only after the
old one is gone, at the revision the next spec gives it. No pod reached v2: the v2 episode
deleted web-2 for its update and replaced nothing, and the next rollout counts web-2 as its own."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store

# session: (web-2's deletion for v2, web-2 created at the next spec's revision, that revision)
CASES = {
    "b343-real-revert-victim-terminating-orderedready": (721, 734, "web-858d558b86"),
    "b349-real-second-update-victim-slow-orderedready": (1569, 1583, "web-69684d68c6"),
    "b349-real-second-update-victim-slow-parallel": (1697, 1711, "web-69684d68c6"),
}


def _rolling(path: Path, session: str) -> list[Verdict]:
    result = verify(load_recording(path, session))
    return [v for v in result.verdicts if v.proof == "rolling-update"]


@pytest.mark.parametrize("session", sorted(CASES))
def test_the_superseded_update_replaced_nothing(tmp_path: Path, session: str) -> None:
    deleted, created, revision = CASES[session]
    first = _rolling(real_store(tmp_path, "cases29"), session)[0]
    assert first.outcome == "pass"
    assert first.reason.startswith(
        "the controller deleted for the update from the highest ordinal down (partition 0 not "
        f"reached): web-2; web-2 came back only after this episode, created at {revision} "
        f"(#{created}), the revision the next spec gives it: no pod reached this update's "
        "web-67b45c9d7f in it"
    )
    cited = {e.change_id: e.note for e in first.evidence}
    assert deleted in cited
    assert cited[created] == f"web-2 ({revision}) created"


@pytest.mark.parametrize("session", [s for s in CASES if s.startswith("b349")])
def test_the_next_rollout_counts_the_pod_it_created(tmp_path: Path, session: str) -> None:
    deleted, created, _ = CASES[session]
    rollouts = _rolling(real_store(tmp_path, "cases29"), session)
    assert (
        f"; web-2, deleted for an earlier update (#{deleted}) before this one began, was created "
        f"at this update's revision (#{created})"
    ) in rollouts[1].reason


def test_a_pod_kept_long_past_its_grace_period_is_not_said_in_it(tmp_path: Path) -> None:
    """b350 (breakR R2): web-2's kubelet paused 26 s; deleted with a grace period of 2 s, web-2
    stayed 27 s: not "in its grace period" (a cause for 2 of the 27 s), but kept past it."""
    result = verify(
        load_recording(
            real_store(tmp_path, "cases29"), "b350-real-kubelet-paused-scale-down-orderedready"
        )
    )
    texts = [e.progress.text for e in result.episodes if e.progress is not None]
    told = [t for t in texts if "held at web-2" in t]
    assert told, texts
    assert (
        "kept 25.2 s past its grace period of 2 s (deletionGracePeriodSeconds): only the kubelet "
        "on its node removes it, once its containers stopped, and nothing recorded says why it "
        "had not"
    ) in told[0]
    assert "in its grace period" not in told[0]


@pytest.mark.parametrize(
    ("session", "deletion", "set_deleted"),
    [
        ("b347-foreground-delete-mid-rollout-orderedready", 7540, 7545),
        ("b347-foreground-delete-mid-rollout-parallel", 7665, 7669),
    ],
)
def test_a_victim_never_created_again_is_not_called_replaced(
    tmp_path: Path, session: str, deletion: int, set_deleted: int
) -> None:
    """b347 (cases32, kwok; break10 P4): the set deleted (Foreground) while the rollout's second
    victim web-3 terminated: web-4 was replaced, web-3 only deleted for the update."""
    first = _rolling(real_store(tmp_path, "cases32"), session)[0]
    assert first.outcome == "pass"
    assert first.reason.startswith(
        "the controller replaced from the highest ordinal down (partition 0 not reached): web-4, "
        "then deleted web-3 for the update; web-3 was not created again: the StatefulSet's "
        f"deletion began (#{set_deleted}) while it terminated"
    )
    assert deletion in {e.change_id for e in first.evidence}
