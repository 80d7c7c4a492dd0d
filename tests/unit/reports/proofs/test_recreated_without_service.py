"""Homework 1: with the headless Service deleted, a deleted pod is recreated, without DNS."""

from pathlib import Path

from stswatch.reports.proofs.verify import verify
from tests.fixtures.verdicts import running_web, verdict_of

KIND = "pod-recreated"


def test_homework_pod_recreated_without_service_and_no_dns(tmp_path: Path) -> None:
    b = running_web()
    b.delete("Service", "web-headless")
    b.delete("EndpointSlice", "web-headless-abcde")
    b.take_down("web", 2)
    b.bring_up("web", 2)
    result = verify(b.write(tmp_path / "s.db"))
    homework = verdict_of(result, "homework-1", "service-deleted")
    assert homework.outcome == "pass"
    assert homework.reason.startswith("with Service web-headless absent, web-2 was recreated")
    assert "no DNS record: no EndpointSlice ever served web-2.web-headless" in homework.reason
    assert [e.kind for e in homework.evidence[:1]] == ["Service"]
    identity = verdict_of(result, "stable-network-identity", KIND)
    assert identity.outcome == "not-applicable"
    assert "no per-pod DNS record can exist: Service web-headless was absent" in identity.reason


def test_homework_pod_not_recreated_fails(tmp_path: Path) -> None:
    b = running_web()
    b.delete("Service", "web-headless")
    b.take_down("web", 2)
    homework = verdict_of(verify(b.write(tmp_path / "s.db")), "homework-1", "service-deleted")
    assert homework.outcome == "fail"
    assert homework.reason == "web-2 was not recreated within the recording"
