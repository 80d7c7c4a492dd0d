"""A client's ControllerRevision the set adopts, and a revision name taken (cases25, kwok, the real
controller): b277 under both policies. A client creates web-695d6f6c with other data, no owner and
the set's labels, then changes the template to the one that hashes to that name: the set adopts
the orphan (ClaimControllerRevisions), finds the name taken by a revision with other data and
hashes again with status.collisionCount 1 (CreateControllerRevision), naming web-695d6f6b."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite

# (the client's revision ADDED, its adoption, the status with collisionCount 1)
CHANGES = {"orderedready": (4175, 4177, 4182), "parallel": (4276, 4278, 4281)}


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_the_adoption_and_the_collision_are_told(tmp_path: Path, policy: str) -> None:
    added, adopted, status = CHANGES[policy]
    path = real_store(tmp_path, "cases25")
    result = verify(load_recording(path, f"b277-revision-name-taken-{policy}"))
    history = [v for v in result.verdicts if v.proof == "revision-history"]
    assert [v.outcome for v in history] == ["pass"]
    assert (
        f"; web-695d6f6c (revision 7) was created with no owner (#{added}): a client's; the set "
        f"adopted it (#{adopted}: ClaimControllerRevisions adopts an orphan its selector matches), "
        "so it counts in the set's history; status.collisionCount rose from 0 to 1 "
        f"(#{status}): the name the new template hashes to was taken by a revision with other "
        "data, so the controller hashed it again with the count (CreateControllerRevision), "
        "naming it web-695d6f6b"
    ) in history[0].reason
    assert {added, adopted, status} <= {e.change_id for e in history[0].evidence}
    assert not [v for v in result.verdicts if v.outcome == "fail"]


def test_a_revision_the_controller_created_owned_is_no_adoption(tmp_path: Path) -> None:
    """The same recording, edited: the revision carries the set's ownerReference from its
    creation on (as the controller's own do), and no collision was counted: neither is told."""
    added, adopted, status = CHANGES["orderedready"]
    path = real_store(tmp_path, "cases25")
    owner = (
        "SELECT json_extract(object, '$.metadata.ownerReferences') FROM change WHERE id = "
        f"{adopted}"
    )
    rewrite(
        path,
        "UPDATE change SET object = "
        f"json_set(object, '$.metadata.ownerReferences', json(({owner}))) WHERE id = ?",
        added,
    )
    rewrite(
        path,
        "UPDATE change SET object = json_remove(object, '$.status.collisionCount') "
        "WHERE kind = 'StatefulSet' AND id >= ?",
        status,
    )
    result = verify(load_recording(path, "b277-revision-name-taken-orderedready"))
    history = next(v for v in result.verdicts if v.proof == "revision-history")
    assert "adopted" not in history.reason
    assert "collisionCount" not in history.reason
