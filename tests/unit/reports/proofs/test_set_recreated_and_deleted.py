"""Sets created again and deleted, on the real controller (cases39, kwok; break11 F3, F6)."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.real import real_store, relocate, stamp_deletion


def _verdicts(path: Path, session: str, proof: str) -> list[Verdict]:
    result = verify(load_recording(path, session))
    return [v for v in result.verdicts if v.proof == proof]


def test_a_pod_of_a_set_created_again_with_another_service_is_not_said_to_keep_its_dns_name(
    tmp_path: Path,
) -> None:
    """b367: the adopted web-2 had subdomain web-hl; the new set's web-2 has web-hl2, and
    web-2.web-hl2 never resolved before: its DNS name changed (the controller was right)."""
    session = "b367-orphan-recreate-other-service-orderedready"
    verdicts = _verdicts(real_store(tmp_path, "cases39"), session, "stable-network-identity")
    told = [v for v in verdicts if "web-hl2" in v.reason]
    assert told
    assert all(v.outcome == "pass" for v in told)
    reason = told[-1].reason
    assert "kept its name, hostname and subdomain web-hl2" not in reason
    assert reason.startswith(
        "web-2 kept its name and hostname; its subdomain is web-hl2, the serviceName of the "
        "StatefulSet that created it, where the old web-2 had web-hl (another DNS name); "
        "web-2.web-hl2."
    )
    assert "(the old web-2 at 10.244.0.3 was web-2.web-hl)" in reason


@pytest.mark.parametrize(
    ("session", "live", "kept"),
    [
        (
            "b374-down-when-deleted-then-del-orderedready",
            "the claim data-web-0",
            "data-web-1, data-web-2",
        ),
        (
            "b374-down-when-deleted-then-del-parallel",
            "the claim data-web-0",
            "data-web-1, data-web-2",
        ),
        (
            "b373-start-shift-when-deleted-then-del-orderedready",
            "the claims data-web-2, data-web-3, data-web-4",
            "data-web-0, data-web-1",
        ),
        (
            "b373-start-shift-when-deleted-then-del-parallel",
            "the claims data-web-2, data-web-3, data-web-4",
            "data-web-0, data-web-1",
        ),
    ],
)
def test_claims_kept_by_whenscaled_retain_are_told_deleted_with_the_set(
    tmp_path: Path, session: str, live: str, kept: str
) -> None:
    [verdict] = _verdicts(real_store(tmp_path, "cases39"), session, "statefulset-deletion")
    assert verdict.outcome == "pass"
    assert verdict.reason.endswith(
        f"; {live} removed with the set by the PVC retention policy (whenDeleted: Delete); and "
        f"{kept}, claims of ordinals no pod held when the set was deleted (kept by whenScaled: "
        "Retain), removed with it by the PVC retention policy (whenDeleted: Delete), their data "
        "with them"
    )


GRACE30 = "b368-minready-rollout-grace30-orderedready"


def test_a_rollout_under_minreadyseconds_waits_for_availability(tmp_path: Path) -> None:
    """b368: web-1 deleted (#1999, 05:20:59.355) 7.3 s after the replacement web-2 was Ready
    (#1996): Available (minReadySeconds 4) by then."""
    [verdict] = _verdicts(real_store(tmp_path, "cases39"), GRACE30, "rolling-update")
    assert verdict.outcome == "pass"


def test_a_deletion_before_availability_fails_whatever_the_grace_period(tmp_path: Path) -> None:
    """Edited (break11 F1): web-1's DELETE moved to 05:20:53, 1 s after web-2 was Ready (its
    lastTransitionTime 05:20:52Z), its deletionTimestamp with it (05:21:23Z: the request plus the
    grace period of 30 s). Judged at the deletionTimestamp, web-2 was Available 'by then' and the
    verdict passed; the DELETE came 3 s before it was."""
    path = real_store(tmp_path, "cases39")
    relocate(path, (1999, 3917, 1796707253000000000), (2002, 3917, 1796707253009999872))
    stamp_deletion(path, 1999, "2026-12-08T05:21:23Z")
    [verdict] = _verdicts(path, GRACE30, "rolling-update")
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-1 was deleted while the replacement web-2 was Ready 1s < minReadySeconds=4 "
        "(not Available)"
    )


def test_a_wait_for_availability_after_a_scale_down_is_told(tmp_path: Path) -> None:
    """b366 Parallel (break11 F8): ordinals.start 0→1; the condemned web-0 gone 0.7 s in, the set
    waited 5 s more for the new web-3, Ready 1 s later, then not Available for minReadySeconds."""
    session = "b366-minready-start-shift-parallel"
    result = verify(load_recording(real_store(tmp_path, "cases39"), session))
    texts = [e.progress.text for e in result.episodes if e.progress is not None]
    assert any(
        t.endswith(
            "before it settled: waiting: web-3 not Ready, then not Available (minReadySeconds=4)"
        )
        for t in texts
    ), texts
