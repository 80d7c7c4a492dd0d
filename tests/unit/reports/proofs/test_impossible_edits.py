"""Real recordings (`recordings/cases22.db.gz`) edited into what the StatefulSet controller could
not have done: each edit must fail the guarantee it breaks, and the recording as made, where the
same situation was handled right, must still pass."""

from pathlib import Path

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
