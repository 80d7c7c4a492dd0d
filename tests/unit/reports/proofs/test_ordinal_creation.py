"""Ordinal creation on scale-ups: ascending creation passes, any other order fails."""

from pathlib import Path

import pytest

from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import verdict_of, web_set

PROOF = "ordinal-creation"


def _verdict(result: VerifyResult, proof: str, nth: int = 0) -> Verdict:
    return verdict_of(result, proof, "scale-up", nth)


def test_ordered_scale_up_passes(tmp_path: Path) -> None:
    b = web_set()
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    result = verify(b.write(tmp_path / "s.db"))
    creation = _verdict(result, "ordinal-creation")
    gating = _verdict(result, "ordered-ready-gating")
    assert creation.outcome == "pass"
    assert gating.outcome == "pass"
    assert gating.basis == "resourceVersion"
    notes = [e.note for e in gating.evidence]
    assert notes == [
        "web-0 created", "web-0 Ready", "web-1 created", "web-1 Ready", "web-2 created",
    ]  # fmt: skip
    assert not result.failed


def test_out_of_order_creation_fails(tmp_path: Path) -> None:
    b = web_set()
    b.bring_up("web", 0)
    b.bring_up("web", 2)
    b.bring_up("web", 1)
    result = verify(b.write(tmp_path / "s.db"))
    assert _verdict(result, "ordinal-creation").outcome == "fail"
    assert _verdict(result, "ordered-ready-gating").outcome == "fail"


def _partitioned_at_zero(rev_of_web0: str) -> ClusterBuilder:
    """web (partition 2) rolled to rev2 above the partition, scaled to 0, then 0->2."""
    b = web_set(replicas=0, partition=2)
    b.set_status("web", currentRevision="web-rev1", updateRevision="web-rev2", replicas=0)
    b.set_status("web", currentRevision="web-rev2", updateRevision="web-rev2", replicas=0)
    b.set_spec("web", replicas=2)
    b.create_pod("web", 0, revision=rev_of_web0)
    b.schedule("web-0")
    b.run("web-0")
    b.ready("web-0")
    b.create_pod("web", 1, revision="web-rev2")
    return b


def test_below_partition_at_promoted_current_revision_is_told(tmp_path: Path) -> None:
    # kubernetes#121534: at 0 replicas completeRollingUpdate promoted currentRevision to rev2, so
    # newVersionedStatefulSetPod gives web-0 and web-1 (below partition 2) rev2: right, and told.
    result = verify(_partitioned_at_zero("web-rev2").write(tmp_path / "ok.db"))
    verdict = verdict_of(result, PROOF, "scale-up", 0)
    assert verdict.outcome == "pass", verdict.reason
    assert "web-0, web-1, below the partition, came back at the update revision web-rev2" in (
        verdict.reason
    )
    assert "kubernetes#121534" in verdict.reason


def test_pod_at_a_revision_its_ordinal_is_not_given_fails(tmp_path: Path) -> None:
    result = verify(_partitioned_at_zero("web-rev9").write(tmp_path / "bad.db"))
    verdict = verdict_of(result, PROOF, "scale-up", 0)
    assert verdict.outcome == "fail"
    assert verdict.reason == (
        "web-0 was created at revision web-rev9, but newVersionedStatefulSetPod gives ordinal 0 "
        "(below partition 2) the currentRevision web-rev2"
    )


def test_revision_from_a_set_read_just_before_its_partition_changed_passes(
    tmp_path: Path,
) -> None:
    # replicas 0 -> 1, then partition 2 -> 0 and, 0.1 s later, web-0 created at the current
    # revision: the creating sync may have read the set before the partition changed (its
    # informer cache), a set under which web-0 was in range too, so rev1 is right too.
    b = web_set(replicas=0, partition=2)
    b.set_status("web", currentRevision="web-rev1", updateRevision="web-rev2")
    b.set_spec("web", replicas=1)
    b.set_spec("web", partition=0)
    b.create_pod("web", 0, revision="web-rev1")
    result = verify(b.write(tmp_path / "lag.db"))
    assert not result.failed, [v.reason for v in result.verdicts if v.outcome == "fail"]
    b.set_spec("web", replicas=2)  # control: the same revision check fails a real mistake
    b.create_pod("web", 1, revision="web-rev1")
    wrong = verify(b.write(tmp_path / "wrong.db"))
    assert PROOF in [v.proof for v in wrong.verdicts if v.outcome == "fail"]


def test_a_set_read_before_under_which_the_pod_was_out_of_range_excuses_nothing(
    tmp_path: Path,
) -> None:
    # replicas 0 -> 1 and partition 2 -> 0 in one change: a sync that read the set before it
    # (replicas 0) creates no web-0, so the one created reads the new partition: rev2, not rev1.
    b = web_set(replicas=0, partition=2)
    b.set_status("web", currentRevision="web-rev1", updateRevision="web-rev2")
    b.set_spec("web", replicas=1, partition=0)
    b.create_pod("web", 0, revision="web-rev1")
    verdict = verdict_of(verify(b.write(tmp_path / "lag.db")), PROOF, "scale-up", 0)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith("web-0 was created at revision web-rev1, but")


def test_a_pod_a_client_deletes_right_after_the_scale_up_is_its_own_recreation(
    tmp_path: Path,
) -> None:
    # web-2 came with the scale-up, so it never stood condemned: its deletion by a client
    # moments later (well within the informer's lag of the scale-up) and its recreation are a
    # pod-recreated episode, not a second creation of the scale-up (hypothesis found this).
    b = web_set(replicas=0)
    b.set_spec("web", replicas=3)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.take_down("web", 2)
    b.bring_up("web", 2)
    result = verify(b.write(tmp_path / "s.db"))
    creation = _verdict(result, PROOF)
    assert creation.outcome == "pass", creation.reason
    assert "web-0, web-1, web-2" in creation.reason
    assert any(e.kind == "pod-recreated" for e in result.episodes)
    assert not result.failed


@pytest.mark.parametrize("policy", ["OrderedReady", "Parallel"])
def test_pod_created_outside_the_ordinal_range_fails(tmp_path: Path, policy: str) -> None:
    # replicas 0 -> 3 and web-7 among the creations: the controller creates only [0, 2], under
    # either policy (Parallel leaves the order free, not the range).
    b = web_set(policy, replicas=0)
    b.set_spec("web", replicas=3)
    for ordinal in (0, 1, 7, 2):
        b.bring_up("web", ordinal)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, "scale-up", 0)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith(
        "web-7 was created outside the ordinal range [0, 2] (spec.replicas 3)"
    )
    in_range = web_set(policy, replicas=0)  # control: the same creations without web-7
    in_range.set_spec("web", replicas=3)
    for ordinal in (0, 1, 2):
        in_range.bring_up("web", ordinal)
    control = verdict_of(verify(in_range.write(tmp_path / "c.db")), PROOF, "scale-up", 0)
    assert control.outcome in ("pass", "not-applicable")
