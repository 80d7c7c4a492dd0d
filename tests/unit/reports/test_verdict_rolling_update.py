"""Rolling update: highest ordinal first down to the partition, each Ready before the next."""

from pathlib import Path

from reports.verify import verify
from tests.fixtures.builder import ClusterBuilder
from tests.fixtures.verdicts import verdict_of

PROOF = "rolling-update"


def _three(partition: int = 0) -> ClusterBuilder:
    b = ClusterBuilder()
    b.service("web-headless")
    b.statefulset("web", replicas=3, partition=partition)
    for ordinal in range(3):
        b.bring_up("web", ordinal)
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    return b


def _replace(b: ClusterBuilder, ordinal: int) -> None:
    b.take_down("web", ordinal)
    b.bring_up("web", ordinal)


def test_reverse_ordinal_rollout_passes(tmp_path: Path) -> None:
    b = _three()
    for ordinal in (2, 1, 0):
        _replace(b, ordinal)
    result = verify(b.write(tmp_path / "s.db"))
    verdict = verdict_of(result, PROOF, PROOF)
    assert verdict.outcome == "pass", verdict.reason
    assert "web-2, web-1, web-0" in verdict.reason
    assert verdict_of(result, "stable-storage", PROOF).outcome == "pass"
    assert not result.failed


def test_next_deleted_before_replacement_ready_fails(tmp_path: Path) -> None:
    b = _three()
    b.take_down("web", 2)
    b.create_pod("web", 2)
    b.take_down("web", 1)  # new web-2 not Running/Ready yet
    for name in ("web-2",):
        b.schedule(name)
        b.run(name)
        b.ready(name)
    b.bring_up("web", 1)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "fail"
    assert verdict.reason.startswith("web-1 was deleted while the replacement web-2 was not")


def test_ascending_rollout_fails(tmp_path: Path) -> None:
    b = _three()
    for ordinal in (0, 1, 2):
        _replace(b, ordinal)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "fail"
    assert "ordinals ascending" in verdict.reason


def test_partition_limits_the_rollout(tmp_path: Path) -> None:
    b = _three(partition=2)
    _replace(b, 2)
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "pass"
    assert verdict.reason.endswith("partition 2: web-2")


def test_pod_below_partition_updated_fails(tmp_path: Path) -> None:
    b = _three(partition=2)
    _replace(b, 2)
    _replace(b, 1)  # comes back at the update revision although below the partition
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "fail"
    assert "web-1 is below partition 2" in verdict.reason


def test_on_delete_not_applicable(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=1, strategy="OnDelete")
    b.bring_up("web", 0)
    b.set_spec("web", image="nginx:2")
    verdict = verdict_of(verify(b.write(tmp_path / "s.db")), PROOF, PROOF)
    assert verdict.outcome == "not-applicable"
