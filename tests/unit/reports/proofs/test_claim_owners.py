"""claim-owner-references on real lab recordings, and on edited copies whose claims are wrong.

`retention-when-scaled-delete` and `retention-when-deleted-delete` (recordings/cases2.db.gz) were
recorded on kube-controller-manager v1.34.4: its claims carry what isClaimOwnerUpToDate asks for.
"""

import json
from pathlib import Path

from stswatch.reports.proofs.verdict import VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import lifecycles, pod, real_store, rewrite
from tests.fixtures.verdicts import verdict_of

PROOF = "claim-owner-references"
SCALED = "retention-when-scaled-delete-orderedready"
DELETED = "retention-when-deleted-delete-orderedready"


def _verify(path: Path, session: str) -> VerifyResult:
    return verify(load_recording(path, session))


def _settled_change(result: VerifyResult, kind: str, nth: int = 0) -> int:
    return verdict_of(result, PROOF, kind, nth).evidence[0].change_id


def _session_id(path: Path, session: str) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT id FROM session WHERE name = ?", (session,)).fetchone()[0])
    finally:
        conn.close()


def _claim_owners(path: Path, session: str, claim: str, refs: list[dict[str, object]]) -> None:
    """Give every recorded change of `claim` these ownerReferences."""
    rewrite(
        path,
        "UPDATE change SET object = json_set(object, '$.metadata.ownerReferences', json(?)) "
        "WHERE session_id = ? AND kind = 'PersistentVolumeClaim' AND name = ?",
        json.dumps(refs),
        _session_id(path, session),
        claim,
    )


def _stand_still(path: Path, session: str, after_change: int, seconds: int) -> None:
    """Receive every later change `seconds` later (and end the run later): the set stood still."""
    sid = _session_id(path, session)
    rewrite(
        path,
        "UPDATE change SET received_wall_ns = received_wall_ns + ? WHERE session_id = ? AND id > ?",
        seconds * 10**9,
        sid,
        after_change,
    )
    rewrite(
        path,
        "UPDATE run SET ended_wall_ns = ended_wall_ns + ? WHERE session_id = ?",
        seconds * 10**9,
        sid,
    )


def test_claims_carry_what_the_policy_asks(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases2")
    deleted = verdict_of(_verify(path, DELETED), PROOF, "scale-up")
    assert deleted.outcome == "pass"
    assert deleted.reason == (
        "data-web-0, data-web-1, data-web-2: the StatefulSet only, as whenScaled=Retain, "
        "whenDeleted=Delete asks for an in-range pod's claim (isClaimOwnerUpToDate)"
    )
    scaled = _verify(path, SCALED)
    up = verdict_of(scaled, PROOF, "scale-up")
    assert up.outcome == "pass"
    assert up.reason.startswith(
        "data-web-0, data-web-1, data-web-2: no owner, as whenScaled=Delete"
    )
    # The condemned web-1 and web-2 gave their claims a Pod ownerReference (the garbage collector
    # then removed them): right for condemned pods, and not judged here.
    down = verdict_of(scaled, PROOF, "scale-down")
    assert down.outcome == "pass"
    assert down.reason.startswith("data-web-0: no owner, as whenScaled=Delete, whenDeleted=Retain")


def test_an_in_range_claim_owned_by_its_pod_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases2")
    web0 = pod(lifecycles(path, SCALED), "web-0")
    ref = {"apiVersion": "v1", "kind": "Pod", "name": "web-0", "uid": web0.uid, "controller": True}
    _claim_owners(path, SCALED, "data-web-0", [ref])
    settled = _settled_change(_verify(path, SCALED), "scale-up")
    hurried = verdict_of(_verify(path, SCALED), PROOF, "scale-up")
    assert hurried.outcome == "inconclusive"
    assert hurried.reason.startswith("the set changed again 0.1 s after its pods settled")
    _stand_still(path, SCALED, settled, 10)
    verdict = verdict_of(_verify(path, SCALED), PROOF, "scale-up")
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith("data-web-0 had an ownerReference to Pod web-0 10.")
    assert "although whenScaled=Delete, whenDeleted=Retain asks for no owner" in verdict.reason
    assert "the garbage collector would delete it with its pod" in verdict.reason


def test_a_claim_without_the_sets_reference_under_when_deleted_fails(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases2")
    _claim_owners(path, DELETED, "data-web-1", [])
    # The set recreated after its deletion (second scale-up): the recording ends 1.7 s after.
    settled = _settled_change(_verify(path, DELETED), "scale-up", nth=1)
    ended = verdict_of(_verify(path, DELETED), PROOF, "scale-up", nth=1)
    assert ended.outcome == "inconclusive"
    assert ended.reason.startswith("the recording ended 1.7 s after the pods settled")
    _stand_still(path, DELETED, settled, 10)
    verdict = verdict_of(_verify(path, DELETED), PROOF, "scale-up", nth=1)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith("data-web-1 had no ownerReference to the StatefulSet")
    assert "the garbage collector would keep it when the StatefulSet is deleted" in verdict.reason


def test_a_server_before_the_policy_existed_is_not_judged(tmp_path: Path) -> None:
    path = real_store(tmp_path, "cases2")
    rewrite(path, "UPDATE run SET server_version = 'v1.26.3'")
    verdict = verdict_of(_verify(path, DELETED), PROOF, "scale-up")
    assert verdict.outcome == "not-applicable"
    assert "applied from Kubernetes 1.27" in verdict.reason
