"""`stswatch demo` (the lesson under both policies) on the lab: record, verify, report, compare."""

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stswatch.cli import main
from stswatch.lab.paths import LAB_DIR_ENV
from stswatch.reports.proofs.verdict import Verdict, VerifyResult
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import list_session_names, load_recording
from tests.fixtures.verdicts import unexplained_inconclusive

pytestmark = pytest.mark.integration


def verdicts(result: VerifyResult, proof: str) -> list[Verdict]:
    """Every verdict of one proof, across the session's episodes."""
    return [v for v in result.verdicts if v.proof == proof]


@pytest.fixture(scope="module")
def lesson(lab: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the demo once (it finds the running lab through STSWATCH_LAB_DIR)."""
    out = tmp_path_factory.mktemp("lesson")
    db = out / "stswatch.db"
    argv = ["demo", "--db", str(db), "-o", str(out / "reports")]
    env = {LAB_DIR_ENV: str(lab.directory)}
    cli = CliRunner().invoke(main, argv, env=env, catch_exceptions=False)
    assert cli.exit_code == 0, cli.output
    sessions = list_session_names(db)
    assert len(sessions) == 2, sessions
    assert sessions[0].endswith("-orderedready")
    assert sessions[1].endswith("-parallel")
    results = {
        policy: verify(load_recording(db, session), statefulset="redis")
        for policy, session in zip(("OrderedReady", "Parallel"), sessions, strict=True)
    }
    return {"out": out / "reports", "cli": cli, "results": results, "sessions": sessions}


def test_ordered_ready_verdicts_all_pass(lesson: dict[str, Any]) -> None:
    result = lesson["results"]["OrderedReady"]
    assert result.count("fail") == 0, result.to_dict()
    assert not unexplained_inconclusive(result), result.to_dict()
    passed = {v.proof for v in result.verdicts if v.outcome == "pass"}
    for proof in ("ordinal-creation", "ordered-ready-gating", "reverse-order-scale-down",
                  "rolling-update", "stable-storage"):  # fmt: skip
        assert proof in passed, (proof, sorted(passed))


def test_parallel_gating_not_applicable_with_burst(lesson: dict[str, Any]) -> None:
    result = lesson["results"]["Parallel"]
    assert result.count("fail") == 0, result.to_dict()
    gating = verdicts(result, "ordered-ready-gating")
    assert gating
    assert {v.outcome for v in gating} == {"not-applicable"}
    widths = [
        int(v.reason.split("burst width ")[1].split()[0])
        for v in verdicts(result, "parallel-described")
        if "burst width " in v.reason
    ]
    assert widths
    assert max(widths) > 1, widths


@pytest.mark.parametrize("policy", ["OrderedReady", "Parallel"])
def test_homework_1_says_what_happened(lesson: dict[str, Any], policy: str) -> None:
    (homework,) = verdicts(lesson["results"][policy], "homework-1")
    assert homework.outcome == "pass", homework
    # The real controller never looks the Service up (docs/controller.md, "Identity and DNS"):
    # redis-2 comes back.
    assert "redis-2" in homework.reason
    assert "recreated" in homework.reason


def test_reports_written_and_comparison_opens(lesson: dict[str, Any]) -> None:
    out: Path = lesson["out"]
    for session in lesson["sessions"]:
        report = out / f"{session}.html"
        assert report.stat().st_size > 1000
        assert str(report) in lesson["cli"].output
    compare = out / "compare.html"
    assert compare.stat().st_size > 1000
    assert str(compare) in lesson["cli"].output
    assert "first scale-up 0->3: all Ready after" in lesson["cli"].output
    assert "burst width 1 vs 3" in lesson["cli"].output  # OrderedReady vs Parallel
    from playwright.sync_api import sync_playwright

    from tests.browser.chromium import launch

    with sync_playwright() as p:
        browser = launch(p.chromium)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(compare.as_uri())
            assert page.locator("svg").count() >= 1
            assert errors == []
        finally:
            browser.close()
