"""`stswatch scenario run lesson --policy both` on the lab: record, verify, report, compare."""

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reports.recording import load_recording
from reports.verdict import Verdict, VerifyResult
from reports.verify import verify
from watcher.cli import main

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"


def run_cli(lab: Any, *args: str) -> Any:
    """Invoke stswatch against the lab; the output is kept for the assertion message."""
    runner = CliRunner()
    argv = [*args, "--kubeconfig", str(lab.kubeconfig), "--storage-class", lab.storage_class]
    return runner.invoke(main, argv, catch_exceptions=False)


def verdicts(result: VerifyResult, proof: str) -> list[Verdict]:
    """Every verdict of one proof, across the session's episodes."""
    return [v for v in result.verdicts if v.proof == proof]


@pytest.fixture(scope="module")
def lesson(lab: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the lesson under both policies once for the tests of this module."""
    out = tmp_path_factory.mktemp("lesson")
    db = out / "stswatch.db"
    cli = run_cli(
        lab, "scenario", "run", "lesson", "--policy", "both", "--session", "lesson",
        "--db", str(db), "-o", str(out / "reports"),
    )  # fmt: skip
    assert cli.exit_code == 0, cli.output
    results = {
        policy: verify(load_recording(db, f"lesson-{policy.lower()}"), statefulset="redis")
        for policy in ("OrderedReady", "Parallel")
    }
    return {"out": out / "reports", "cli": cli, "results": results}


def test_ordered_ready_verdicts_all_pass(lesson: dict[str, Any]) -> None:
    result = lesson["results"]["OrderedReady"]
    assert result.count("fail") == 0, result.to_dict()
    assert result.count("inconclusive") == 0, result.to_dict()
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
    assert "redis-2 recreated" in homework.reason


def test_reports_written_and_comparison_opens(lesson: dict[str, Any]) -> None:
    out: Path = lesson["out"]
    for session in ("lesson-orderedready", "lesson-parallel"):
        assert (out / f"{session}.html").stat().st_size > 1000
    compare = out / "compare.html"
    assert compare.stat().st_size > 1000
    assert str(compare) in lesson["cli"].output
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(compare.as_uri())
            assert page.locator("svg").count() >= 1
            assert errors == []
        finally:
            browser.close()
