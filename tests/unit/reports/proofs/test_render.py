"""`stswatch verify`: text, JSON and JUnit output, and the exit codes."""

import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.errors import ExitCode
from stswatch.reports.proofs.render import render_junit, render_text
from stswatch.reports.proofs.verify import verify
from tests.fixtures.builder import ClusterBuilder


def _store(tmp_path: Path, *, ready: bool) -> Path:
    """web-0 and web-1; without `ready`, web-1 is created before web-0 is Ready (a failure)."""
    b = ClusterBuilder()
    b.statefulset("web", replicas=2)
    for ordinal in range(2):
        if ready:
            b.bring_up("web", ordinal)
        else:
            b.create_pod("web", ordinal)
    path = tmp_path / "s.db"
    b.write(path)
    return path


def test_exit_zero_when_nothing_failed(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["verify", "s1", "--db", str(_store(tmp_path, ready=True))])
    assert result.exit_code == ExitCode.OK, result.output
    assert "PASS  ordered-ready-gating" in result.output
    assert "ordering: resourceVersion" in result.output


def test_exit_one_when_a_verdict_failed(tmp_path: Path) -> None:
    args = ["verify", "s1", "--db", str(_store(tmp_path, ready=False)), "--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == ExitCode.VERDICT_FAILED
    data = orjson.loads(result.output)
    assert data["totals"]["fail"] >= 1
    assert data["episodes"][0]["verdicts"][0]["evidence"][0]["resource_version"]


def test_unknown_session_and_statefulset(tmp_path: Path) -> None:
    db = str(_store(tmp_path, ready=True))
    missing = CliRunner().invoke(main, ["verify", "nope", "--db", db])
    assert missing.exit_code == ExitCode.NOT_FOUND
    other = CliRunner().invoke(main, ["verify", "s1", "--db", db, "--statefulset", "db"])
    assert other.exit_code == ExitCode.NOT_FOUND
    assert "recorded: web" in other.output


def test_junit_maps_outcomes(tmp_path: Path) -> None:
    b = ClusterBuilder()
    b.statefulset("web", replicas=2, policy="Parallel")
    b.create_pod("web", 0)
    b.create_pod("web", 1)
    junit = ET.fromstring(render_junit(verify(b.write(tmp_path / "p.db"))))
    cases = {c.get("name"): c for c in junit.iter("testcase")}
    gating = cases["ordered-ready-gating"].find("skipped")
    assert gating is not None
    assert gating.get("message", "").startswith("not-applicable: Parallel")
    assert cases["parallel-described"].find("skipped") is None


def test_text_lists_evidence_lines(tmp_path: Path) -> None:
    text = render_text(verify(ClusterBuilder().write(tmp_path / "empty.db")))
    assert "totals: 0 pass, 0 fail" in text
