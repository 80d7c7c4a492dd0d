"""revision-history on a real lab recording (`recordings/cases4.db.gz`, scenario
`scenarios/faults/revision-history.yaml`: revisionHistoryLimit 1, three rollouts and a rollback,
under both policies), and on an edited copy in which an old revision survives."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite
from tests.fixtures.verdicts import verdict_of

PROOF = "revision-history"
ORDERED = "revision-history-orderedready"


def _verify(path: Path, session: str = ORDERED) -> VerifyResult:
    return verify(load_recording(path, session))


def _revision_names(path: Path, session: str) -> list[str]:
    """The set's ControllerRevision names in order of creation (app:1, app:2, app:3, app:4)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT DISTINCT c.name FROM change c JOIN session s ON s.id = c.session_id "
            "WHERE s.name = ? AND c.kind = 'ControllerRevision' AND c.event = 'ADDED' "
            "ORDER BY c.id",
            (session,),
        ).fetchall()
    finally:
        conn.close()
    return [name for (name,) in rows]


@pytest.mark.parametrize("session", [ORDERED, "revision-history-parallel"])
def test_history_is_truncated_to_the_limit(tmp_path: Path, session: str) -> None:
    path = real_store(tmp_path, "cases4")
    first, second, third, _fourth = _revision_names(path, session)
    result = _verify(path, session)
    verdicts = [v for v in result.verdicts if v.proof == PROOF]
    assert [v.outcome for v in verdicts] == ["pass"] * 4
    assert verdicts[0].reason == (
        f"live: {second} (revision 2); kept as history: {first} (revision 1) "
        "(1 of revisionHistoryLimit 1) (truncateHistory)"
    )
    assert verdicts[1].reason == (
        f"live: {third} (revision 3); kept as history: {second} (revision 2) "
        f"(1 of revisionHistoryLimit 1); deleted: {first} (revision 1) (truncateHistory)"
    )
    # Back to app:2, whose revision had been truncated: a new object under the same name.
    rollback = verdict_of(result, PROOF, "rolling-update", nth=3)
    assert f"deleted: {third} (revision 3)" in rollback.reason
    assert (
        f"{second} was made anew as revision 5: the template went back to it after "
        "truncateHistory had deleted it (revision 2)"
    ) in rollback.reason


def test_a_revision_kept_over_the_limit_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases4")
    first, second, *_ = _revision_names(path, ORDERED)
    rewrite(
        path,
        "DELETE FROM change WHERE kind = 'ControllerRevision' AND event = 'DELETED' AND name = ? "
        "AND session_id = (SELECT id FROM session WHERE name = ?)",
        first,
        ORDERED,
    )
    verdict = verdict_of(_verify(path), PROOF, "rolling-update", nth=1)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        f"2 ControllerRevisions that no pod or status names were kept ({first} (revision 1), "
        f"{second} (revision 2)), over revisionHistoryLimit 1, "
    )
    assert "truncateHistory deletes the oldest of them at the end of every sync" in verdict.reason


def test_without_controller_revisions_recorded_it_is_inconclusive(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases4")
    rewrite(path, "DELETE FROM change WHERE kind = 'ControllerRevision'")
    verdict = verdict_of(_verify(path), PROOF, "rolling-update")
    assert verdict.outcome == "inconclusive"
    assert verdict.missing == "not-recorded"
    assert verdict.reason == "ControllerRevisions were not recorded in this session"


def test_a_pod_recreated_outside_a_rollout_is_judged_by_its_revision(tmp_path: Path) -> None:
    """A hand-deleted pod comes back at the revision newVersionedStatefulSetPod gives its
    ordinal, not only inside rollouts (issue 20: every pod's revision at its creation)."""
    path = real_store(tmp_path, "lesson")
    session = "lesson-orderedready"
    recreated = verdict_of(_verify(path, session), "ordinal-creation", "pod-recreated")
    assert recreated.outcome == "pass"
    assert recreated.reason.startswith("redis-0 was created again at revision redis-")
    assert "the updateRevision newVersionedStatefulSetPod gives ordinal 0" in recreated.reason
    uid = recreated.evidence[0].change_id
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, "
        "'$.metadata.labels.controller-revision-hash', 'redis-elsewhere') "
        "WHERE kind = 'Pod' AND uid = (SELECT uid FROM change WHERE id = ?)",
        uid,
    )
    wrong = verdict_of(_verify(path, session), "ordinal-creation", "pod-recreated")
    assert wrong.outcome == "fail"
    assert wrong.reason.startswith(
        "redis-0 was created at revision redis-elsewhere, but newVersionedStatefulSetPod gives "
        "ordinal 0 (at or above partition 0) the updateRevision redis-"
    )
