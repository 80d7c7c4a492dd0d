"""The live status line: pods by phase follow each pod's latest change."""

from stswatch.cli.status_line import LiveTally
from stswatch.record.records import ChangeRecord

BASE = ChangeRecord("Pod", "lab", "redis-0", "u0", "ADDED", "1", "watch", 0, 0, "{}")


def test_pods_by_phase_and_gaps() -> None:
    tally = LiveTally()
    tally.observe(BASE, {"status": {"phase": "Pending"}})
    tally.observe(BASE._replace(uid="u1"), {"status": {"phase": "Running"}})
    tally.observe(BASE._replace(event="MODIFIED"), {"status": {"phase": "Running"}})
    tally.observe(BASE._replace(uid="u1"), {"metadata": {"deletionTimestamp": "x"}})
    tally.observe(BASE._replace(kind="Event", uid="e"), {})
    tally.gaps = 2
    line = tally.line()
    assert line.startswith("5 changes (")
    assert "pods: Running 1 Terminating 1" in line
    assert line.endswith("gaps: 2")
    tally.observe(BASE._replace(event="DELETED"), {})
    assert "pods: Terminating 1 " in tally.line()
