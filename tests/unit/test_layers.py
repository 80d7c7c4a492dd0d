"""The floor plan holds: every import-linter contract in pyproject.toml is kept, and only the CLI
and the pipeline see both sides."""

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_only_the_cli_and_the_pipeline_see_both_sides() -> None:
    # The contracts name the rooms they constrain; a new module outside them would be free to
    # import both sides. The README's rule, checked over every module there is.
    graph = grimp.build_graph("stswatch")

    def within(module: str, *rooms: str) -> bool:
        return any(module == room or module.startswith(f"{room}.") for room in rooms)

    recording = (
        "stswatch.kube",
        "stswatch.record",
        "stswatch.scenario",
        "stswatch.lab",
        "stswatch.set_reader",
    )
    both = {
        module
        for module in graph.modules
        if not within(module, "stswatch.reports", *recording)
        and any(
            within(m, "stswatch.reports") for m in graph.find_modules_directly_imported_by(module)
        )
        and any(within(m, *recording) for m in graph.find_modules_directly_imported_by(module))
    }
    assert {m for m in both if not within(m, "stswatch.cli", "stswatch.pipeline")} == set()
