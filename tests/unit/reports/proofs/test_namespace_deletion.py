"""A namespace deleted under a running set (cases26, kwok, the real controller): b191 under both
policies. The namespace controller deletes the pods, claims, Service, Events and the set within
about a second, and writes no SuccessfulDelete Event; namespaces are not recorded, so a pod's
deletion is told as a client's or the namespace's, and never as one while the set "is being
deleted" when the set was removed outright."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import EpisodeResult, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, rewrite

# the StatefulSet's DELETED change; the Service's
SET_GONE = {"orderedready": 1989, "parallel": 2156}
SERVICE_GONE = {"orderedready": 1990}


def _deleted(result: VerifyResult) -> list[EpisodeResult]:
    return [e for e in result.episodes if e.kind == "pod-deleted"]


@pytest.mark.parametrize("policy", ["orderedready", "parallel"])
def test_pods_deleted_with_their_namespace_are_told_so(tmp_path: Path, policy: str) -> None:
    path = real_store(tmp_path, "cases26")
    result = verify(load_recording(path, f"b191-namespace-deleted-{policy}"))
    deleted = _deleted(result)
    assert [e.summary.split(" ", 1)[0] for e in deleted] == ["web-0", "web-1", "web-2"]
    for episode in deleted:
        assert "deleted by a client (no SuccessfulDelete Event" in episode.summary
        assert (
            "; or by its namespace's deletion: the StatefulSet, the Service web-hl and 3 claims "
            "of namespace stswatch-b191-namespace-deleted-"
        ) in episode.summary
        assert episode.progress is not None
        assert (
            f"the StatefulSet was deleted (#{SET_GONE[policy]}): no pod is managed"
        ) in episode.progress.text
        assert "is being deleted" not in episode.progress.text
    assert not [v for v in result.verdicts if v.outcome == "fail"]


def test_a_service_left_standing_is_no_namespace_deletion(tmp_path: Path) -> None:
    """The same recording, edited: the Service's deletion moved a minute later, so something
    of the namespace outlived its pods by far: the pods are told as a client's only."""
    path = real_store(tmp_path, "cases26")
    rewrite(
        path,
        "UPDATE change SET received_wall_ns = received_wall_ns + 60000000000 WHERE id = ?",
        SERVICE_GONE["orderedready"],
    )
    result = verify(load_recording(path, "b191-namespace-deleted-orderedready"))
    deleted = _deleted(result)
    assert deleted
    for episode in deleted:
        assert "deleted by a client" in episode.summary
        assert "namespace's deletion" not in episode.summary
