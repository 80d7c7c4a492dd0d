"""Real recordings (`recordings/cases22.db.gz`) edited into what the StatefulSet controller could
not have done: each edit must fail the guarantee it breaks, and the recording as made, where the
same situation was handled right, must still pass."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import move, real_store, rewrite, spread
from tests.fixtures.verdicts import verdict_of

SCALE_DOWN_HELD = "b151-start-raised-while-down-held-orderedready"


def _place(path: Path, change_id: int, resource_version: int, wall_ns: int) -> None:
    """Move one change to another resourceVersion and receive time (a spread session)."""
    move(path, change_id, resource_version)
    rewrite(path, "UPDATE change SET received_wall_ns = ? WHERE id = ?", wall_ns, change_id)


def _verified(path: Path, session: str) -> VerifyResult:
    return verify(load_recording(path, session))


def test_a_condemned_pod_deleted_after_the_higher_one_was_gone_passes(tmp_path: Path) -> None:
    # b151: web-3, deleted by the scale-down 4→2 and kept Terminating by a finalizer, is gone at
    # #1352; ordinals.start 0→1 condemned web-0 too, deleted at #1353, 37 ms later.
    result = _verified(real_store(tmp_path, "cases22"), SCALE_DOWN_HELD)
    verdict = verdict_of(result, "reverse-order-scale-down", "scale-down", 1)
    assert verdict.outcome == "pass", verdict.reason


def test_a_condemned_pod_deleted_while_an_earlier_condemned_one_terminates_fails(
    tmp_path: Path,
) -> None:
    # b151 edited: web-0's deletion (#1353) and its SuccessfulDelete (#1358) moved to 1 s after
    # the ordinals.start change (#1349), while web-3, condemned by the earlier scale-down, is
    # still Terminating (until #1352): processCondemned waits at web-3 on every sync.
    path = real_store(tmp_path, "cases22")
    spread(path, SCALE_DOWN_HELD)
    _place(path, 1353, 28831, 1796662026622159950)
    _place(path, 1358, 28832, 1796662026632159950)
    verdict = verdict_of(_verified(path, SCALE_DOWN_HELD), "reverse-order-scale-down",
                         "scale-down", 1)  # fmt: skip
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-0 began terminating while the higher condemned web-3 was still Terminating (since "
        "#1343)"
    )
    assert [e.change_id for e in verdict.evidence] == [1343, 1353, 1352]


ROLLOUT = "b160-client-delete-lag-update-{}"
# b160 edited: web-1's deletion for the update and its SuccessfulDelete moved to 0.3 s after the
# new web-2 (created again after a client deleted the old one) was created, before it was Ready.
UPDATE_BEFORE_READY = {
    "orderedready": ((3278, 63541, 1796662385552082803), (3280, 63542, 1796662385562082803)),
    "parallel": ((3376, 64791, 1796662400167363614), (3377, 64792, 1796662400177363614)),
}


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_an_update_step_after_the_pod_above_was_ready_again_passes(
    tmp_path: Path, policy: str
) -> None:
    # b160: a client deletes web-2 as the rollout begins; the controller deletes web-1 for the
    # update only once the new web-2 is Ready (26 ms after, under OrderedReady).
    result = _verified(real_store(tmp_path, "cases22"), ROLLOUT.format(policy))
    verdict = verdict_of(result, "rolling-update", "rolling-update")
    assert verdict.outcome == "pass", verdict.reason


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_an_update_step_while_a_client_deleted_pod_above_is_not_ready_fails(
    tmp_path: Path, policy: str
) -> None:
    session = ROLLOUT.format(policy)
    path = real_store(tmp_path, "cases22")
    spread(path, session)
    for change_id, resource_version, wall_ns in UPDATE_BEFORE_READY[policy]:
        _place(path, change_id, resource_version, wall_ns)
    verdict = verdict_of(_verified(path, session), "rolling-update", "rolling-update")
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-1 was deleted for the update while web-2, above it, was not Ready (created again "
        "after a client deleted it): the update step walks"
    )
